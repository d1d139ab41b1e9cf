// "My inspections": the user's open assignments, read from IndexedDB so the list works offline.
//
// Two sources meet here: the inspections the change feed downloaded (complete, ready offline), and a
// light list from GET /api/inspections?mine=true, fetched when online (meta "assignments"), so that an
// assignment shows before it is downloaded. An assignment is ready offline when the phone holds its
// inspection, its order and, when it has one, its packing list.
import { api } from './api.js';
import { db, getMeta, setMeta } from './db.js';
import { todayIso } from './i18n.js';

const OPEN = new Set(['scheduled', 'in_progress']);
const MAX_PAGES = 5;  // 500 assignments: far more than anyone holds at once

/** Fetch the user's open assignments from the server and keep them in meta "assignments". */
export async function refreshAssignments(userId) {
  const summaries = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const answer = await api.myInspections(page);
    summaries.push(...answer.items);
    if (page * answer.per_page >= answer.total) break;
  }
  const open = summaries.filter((s) => OPEN.has(s.status));
  // The list gives PO, style, type and dates; the factory and ship date are on the order.
  const database = await db();
  const orders = new Map();
  for (const orderId of new Set(open.map((s) => s.order_id))) {
    const stored = await database.get('records', ['order', orderId]);
    orders.set(orderId, stored?.record && !stored.deleted ? stored.record : await api.order(orderId));
  }
  const items = open.map((s) => {
    const order = orders.get(s.order_id) || {};
    return {
      id: s.id, order_id: s.order_id, type: s.type, status: s.status, version: s.version,
      scheduled_for: s.scheduled_for, po_number: s.po_number, style_number: s.style_number,
      factory: order.factory?.name ?? '', ship_date: order.ship_date ?? null,
    };
  });
  await setMeta('assignments', { user_id: userId, fetched_at: new Date().toISOString(), items });
}

/**
 * Whether an inspection that is no longer open still has this user's work on the phone: 'attention' (a
 * change refused or in conflict, a photo refused), 'waiting' (changes or photos not synced yet), or null.
 * Read from its records (their `pending`, `error`, `conflict`) and its photos: not from the whole outbox.
 */
async function unsyncedWork(database, inspectionId, userId) {
  const [records, photos] = await Promise.all([
    database.getAllFromIndex('records', 'by_inspection', inspectionId),
    database.getAllFromIndex('photos', 'by_inspection', inspectionId),
  ]);
  const head = await database.get('records', ['inspection', inspectionId]);
  let state = null;
  for (const entry of [head, ...records]) {
    if (!entry || entry.user_id !== userId) continue;
    if (entry.error || entry.conflict) return 'attention';
    if (entry.pending > 0) state = 'waiting';
  }
  for (const photo of photos) {
    if (photo.user_id !== userId || photo.state === 'uploaded') continue;
    if (photo.state === 'error') return 'attention';
    state = 'waiting';
  }
  return state;
}

/**
 * The list to show: open assignments, each with `ready` (offline) and `section` (today / upcoming), and the
 * submitted (or aborted) ones whose work is still on the phone, with `unsynced` ('waiting' | 'attention'): the
 * user must be able to open them to read a refusal or fix it.
 */
export async function loadAssignments(userId) {
  const database = await db();
  const cached = await getMeta('assignments');
  const fetched = cached?.user_id === userId ? cached : { items: [], fetched_at: '' };
  const byId = new Map(fetched.items.map((item) => [item.id, { ...item, ready: false }]));
  const downloaded = await database.getAllFromIndex('records', 'by_kind', 'inspection');
  for (const entry of downloaded) {
    if (entry.user_id !== userId) continue;
    const listed = byId.get(entry.key);
    if (entry.deleted) {
      // Gone from the user's hands since the list was fetched.
      if (listed && entry.received_at > fetched.fetched_at) byId.delete(entry.key);
      continue;
    }
    const inspection = entry.record;
    const order = inspection.order || {};
    const [orderEntry, packing] = await Promise.all([
      database.get('records', ['order', inspection.order_id ?? order.id]),
      inspection.packing_list_id ? database.get('records', ['packing_list', inspection.order_id ?? order.id]) : true,
    ]);
    const ready = Boolean(orderEntry && !orderEntry.deleted && packing && !packing.deleted);
    const fromFeed = {
      id: entry.key, order_id: inspection.order_id ?? order.id, type: inspection.type, status: inspection.status,
      version: entry.version, scheduled_for: inspection.scheduled_for, po_number: order.po_number,
      style_number: order.style_number, factory: order.factory?.name ?? '', ship_date: order.ship_date ?? null,
    };
    // The newer of the two copies describes it; readiness comes from what is stored.
    const newer = listed && listed.version > entry.version ? listed : fromFeed;
    const unsynced = OPEN.has(fromFeed.status) ? null : await unsyncedWork(database, entry.key, userId);
    byId.set(entry.key, { ...newer, ready, unsynced, status: unsynced ? fromFeed.status : newer.status });
  }
  const today = todayIso();
  return [...byId.values()]
    .filter((item) => OPEN.has(item.status) || item.unsynced)
    .map((item) => ({
      ...item,
      section: item.unsynced || item.status === 'in_progress' || (item.scheduled_for && item.scheduled_for <= today)
        ? 'today' : 'upcoming',
      overdue: Boolean(item.scheduled_for && item.scheduled_for < today),
    }))
    .sort((a, b) => (a.scheduled_for || '9999').localeCompare(b.scheduled_for || '9999')
      || (a.ship_date || '9999').localeCompare(b.ship_date || '9999')
      || String(a.po_number).localeCompare(String(b.po_number)));
}
