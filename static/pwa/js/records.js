// An inspection's records on the phone: read from IndexedDB, written with their outbox entry in one
// transaction (db.js saveWithOutbox), each as one operation of POST /api/sync/push (kind, key = the route's
// path parameters, body = the route's body). Every record shows at once; the sync engine sends it later.
//
// Versions: the server raises a record's version by exactly 1 for every applied edit, so an edit queued
// offline is based on the version the phone holds plus the edits of it still in the outbox (`pending`); a new
// record on 0. (The sync engine sends each entry based on the version the phone holds when it goes out, which
// comes to the same.) Scans, signatures, aborts and deletes take no version: their base_version is null.
import { request } from './api.js';
import { getMeta, getRecord, recordsOfInspection, recordsOfKind, saveWithOutbox, setMeta } from './db.js';

const live = (entry) => entry && !entry.deleted && entry.record;
/** The version an edit of this stored record is based on. */
export const baseOf = (entry) => (entry?.version ?? 0) + (entry?.pending ?? 0);

/** Everything an inspection screen shows, from IndexedDB (null: not on this phone). */
export async function loadInspection(id) {
  const head = await getRecord('inspection', id);
  if (!live(head)) return null;
  const inspection = head.record;
  const orderId = inspection.order_id ?? inspection.order?.id;
  const [orderEntry, packingEntry, specEntry, parts, codes, templates] = await Promise.all([
    getRecord('order', orderId), getRecord('packing_list', orderId), getRecord('spec_sheet', orderId),
    recordsOfInspection(id), recordsOfKind('defect_code'), recordsOfKind('checklist_template'),
  ]);
  const of = (kind) => parts.filter((e) => e.kind === kind && live(e) && !e.record.deleted_here);
  // In the order they were made: the server's time once it has them, the phone's before.
  const when = (e) => Date.parse(e.record.scanned_at ?? e.record.created_at ?? e.local_at ?? e.received_at ?? '') || 0;
  const byTime = (a, b) => when(a) - when(b);
  const template = inspection.checklist
    ?? templates.map((e) => e.record).find((t) => t && t.id === inspection.checklist_template_id) ?? null;
  return {
    id, head, inspection, orderId, orderEntry, packingEntry,
    order: live(orderEntry) ? orderEntry.record : inspection.order ?? {},
    packing: live(packingEntry) ? packingEntry.record : null,
    spec: live(specEntry) ? specEntry.record : inspection.spec_sheet ?? null,
    defects: of('defect').sort(byTime),
    measurements: of('measurement'),
    answers: of('checklist_answer'),
    scans: of('scan').sort(byTime),
    signatures: Object.fromEntries(of('signature').map((e) => [e.record.role ?? e.key.split('/')[1], e])),
    photos: of('photo'),
    // Inactive codes too: findings recorded with one keep its name (the picker offers only active ones).
    codes: codes.filter(live).map((e) => e.record),
    template,
    dupro: inspection.type === 'in_process',
  };
}

function save(data, user, { kind, key, record, operation }) {
  return saveWithOutbox({ kind, key, record, userId: user.id, inspectionId: data.id, orderId: data.orderId, operation });
}

const iid = (data) => ({ inspection_id: data.id });

// --- the inspection itself -------------------------------------------------------------------------------

function saveHead(data, user, record, operation) {
  return save(data, user, { kind: 'inspection', key: data.id, record: { ...data.inspection, ...record }, operation });
}

/** Scheduled → in progress, offline. */
export function startInspection(data, user) {
  return saveHead(data, user, { status: 'in_progress', started_at: new Date().toISOString() },
    { kind: 'inspection.start', key: iid(data), base_version: baseOf(data.head) });
}

/** Units inspected, production stage, percent complete, notes: a PUT of the inspection (left-out fields keep). */
export function saveInspectionFields(data, user, fields) {
  const { inspection } = data;
  const body = { order_id: data.orderId, type: inspection.type, ...fields };
  if (inspection.status === 'scheduled') body.status = 'in_progress';
  return saveHead(data, user, { ...fields, status: body.status ?? inspection.status },
    { kind: 'inspection', key: iid(data), body, base_version: baseOf(data.head) });
}

/** Submit with the reasons for picked cartons not opened; `verdict` is the phone's, shown until the server's. */
export function submitInspection(data, user, missing, verdict) {
  const missingCartons = Object.entries(missing).map(([number, reason]) => ({ carton_number: Number(number), reason }));
  return saveHead(data, user, { status: 'submitted', submitted_at: new Date().toISOString(), verdict },
    { kind: 'inspection.submit', key: iid(data), body: { missing_cartons: missingCartons }, base_version: baseOf(data.head) });
}

export function abortInspection(data, user, reason) {
  return saveHead(data, user, { status: 'aborted', abort_reason: reason },
    { kind: 'inspection.abort', key: iid(data), body: { reason }, base_version: null });
}

export function signReport(data, user, role, name, imagePng) {
  const record = { role, name, has_image: Boolean(imagePng), signed_at: new Date().toISOString(), by_id: user.id };
  return save(data, user, { kind: 'signature', key: `${data.id}/${role}`, record,
    operation: { kind: 'signature', key: iid(data), body: { role, name, image_png: imagePng }, base_version: null } });
}

// --- scans -----------------------------------------------------------------------------------------------

/** A scan as the phone judged it (`judged` from logic/cartons.js scanVerdict); the server's verdict replaces it. */
export function saveScan(data, user, text, judged, source) {
  const id = crypto.randomUUID();
  const record = {
    id, text, verdict: judged.verdict, message: judged.message ?? '', message_zh: judged.message_zh ?? '',
    carton_id: judged.carton_id ?? null, carton_number: judged.carton_number ?? null, sku: judged.sku ?? null,
    scanned_at: new Date().toISOString(), source, judged_on_phone: true,
  };
  return save(data, user, { kind: 'scan', key: id, record,
    operation: { kind: 'scan', key: iid(data), body: { id, text }, base_version: null } });
}

// --- findings: defects, measurements, checklist answers ---------------------------------------------------

const FINDING = {
  defect: ['defect_id', 'defect'],
  measurement: ['measurement_id', 'measurement'],
  checklist_answer: ['answer_id', 'checklist_answer'],
};

/** Create (no `entry`) or edit a finding; `body` is the route's PUT body, `shown` what the phone shows. */
export function saveFinding(data, user, kind, entry, body, shown = {}) {
  const key = entry?.key ?? body.id ?? crypto.randomUUID();
  const { id: _drop, ...put } = body;
  const [param] = FINDING[kind];
  const record = { ...(entry?.record ?? {}), ...put, ...shown, id: key };
  return save(data, user, { kind, key, record,
    operation: { kind, key: { ...iid(data), [param]: key }, body: put, base_version: baseOf(entry) } });
}

export function deleteFinding(data, user, kind, entry) {
  const [param] = FINDING[kind];
  return saveWithOutbox({ kind, key: entry.key, record: { ...entry.record, deleted_here: true }, userId: user.id,
    inspectionId: data.id, orderId: data.orderId,
    operation: { kind: `${kind}.delete`, key: { ...iid(data), [param]: entry.key }, base_version: null } });
}

// --- people to name as a follow-up owner (staff only; kept for offline use) --------------------------------

export async function people(user) {
  const cached = await getMeta('people');
  if (navigator.onLine && (!cached || cached.user_id !== user.id || Date.now() - cached.at > 3_600_000)) {
    let list = null;
    try {
      list = await request('/api/people');
    } catch (error) {
      if (error?.status === 403) list = [];  // not staff: nobody else to name, and no need to ask again soon
    }
    if (list) {
      await setMeta('people', { user_id: user.id, at: Date.now(), list });
      return list;
    }
  }
  return cached?.user_id === user.id ? cached.list : [];
}
