// The outbox to the server: each user's entries (db.js), in the order they were made, through POST
// /api/sync/push, and what each answer means for the entry and its record.
//
//   2xx            the entry goes; the record takes the server's version (and, once nothing of it is pending,
//                  the server's copy).
//   409 + current  a stale edit: the entry and every later one of its record wait (state 'conflict'), with
//                  both versions kept on the record, until the user chooses (resolveConflict).
//   other 4xx      kept (state 'error') with the server's words in `last_error`, shown against its record,
//                  until the user retries or discards it. Never dropped silently.
//   401            the session ended: sessionEnded(), everything stays.
//   408, 429, 5xx, no answer   RetryLater: the run stops and sync.js backs off.
//
// The server applies a push in order, each operation on its own. An edit carries the version it is based on;
// that version is the one the local copy holds when the entry goes out (the server raises it by one for every
// applied edit, and the answer says by how much), so a record goes out one entry per push: the next one waits
// for the answer and is based on the version that answer gave. A push stops before a second entry of the
// same record, so the order of the whole outbox holds. Replays are harmless: the server answers a repeated
// operation with the stored record.
//
// Submit waits: an inspection's submit goes only after the server has confirmed every photo its records name,
// and after the user has dealt with every refused or conflicting entry of that inspection before it.
import { ApiError, NetworkError, retryAfterOf } from './api.js';
import { db, getMeta, notifyLocalChange, outboxOf, recordsOfInspection, setMeta, unsyncedCounts } from './db.js';
import { sessionEnded } from './session.js';

export const MAX_OPERATIONS = 500;  // api/sync/push.py MAX_OPERATIONS
export const MAX_BATCH_BYTES = 1_500_000;  // the route takes 8 MB (PUSH_BODY_FACTOR): stay well under it
const PUSH_TIMEOUT_MS = 120_000;
export const SUBMIT = 'inspection.submit';
// The push kinds whose route takes a version (api/sync/push.py KINDS, version "body" or "argument"); the
// others take none and are sent without a base_version.
export const VERSIONED = new Set(['inspection', 'inspection.start', SUBMIT, 'defect', 'measurement',
  'checklist_answer', 'spec_sheet', 'annotations']);
// Where the answer of a kind keeps the record's version.
const VERSION_FIELD = { annotations: 'annotations_version' };
// The parts of an inspection that travel as records of their own (api/sync/feed.py PARTS).
const PARTS = ['defects', 'measurements', 'checklist_answers', 'scans', 'signatures', 'spec_sheet'];

/** A failure that ends this run and is retried later: no answer, or 408 / 429 / 5xx. */
export const isTransient = (error) => error instanceof NetworkError
  || (error instanceof ApiError && (error.status === 408 || error.status === 429 || error.status >= 500));

/** The user's session ended during sync (401): the run stops, the outbox stays. */
export class SessionEnded extends Error {
  constructor() { super('session ended'); this.name = 'SessionEnded'; }
}

const recordOf = (entry) => `${entry.kind}\u0000${entry.key}`;
const inspectionOf = (entry) => entry.operation?.key?.inspection_id ?? null;
const now = () => new Date().toISOString();

// --- backoff: exponential with jitter, persisted (meta "sync_retry") --------------------------------------

const BACKOFF_BASE_MS = 5_000;
const BACKOFF_MAX_MS = 15 * 60_000;
let retry = null;  // {user_id, failures, next_at (ms)}: kept here too, so that `online` can clear it at once

export async function backoffOf(userId) {
  retry ??= (await getMeta('sync_retry')) ?? { user_id: null, failures: 0, next_at: 0 };
  return retry.user_id === userId ? retry : { user_id: userId, failures: 0, next_at: 0 };
}

/** Note a failed run; returns the milliseconds until the next try (Retry-After when the server gave more). */
export async function noteFailure(userId, retryAfterSeconds = null) {
  const failures = (await backoffOf(userId)).failures + 1;
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  let wait = Math.round(ceiling * (0.5 + Math.random() / 2));  // jitter: phones that lost the same Wi-Fi spread out
  if (retryAfterSeconds) wait = Math.max(wait, Math.min(BACKOFF_MAX_MS, retryAfterSeconds * 1000));
  retry = { user_id: userId, failures, next_at: Date.now() + wait };
  await setMeta('sync_retry', retry);
  return wait;
}

export async function clearBackoff() {
  if (retry && !retry.failures) return;
  retry = { user_id: null, failures: 0, next_at: 0 };
  await setMeta('sync_retry', null);
}

// --- what an inspection's submit waits for -----------------------------------------------------------------

function photoIdsIn(value, into) {
  if (Array.isArray(value)) value.forEach((v) => photoIdsIn(v, into));
  else if (value && typeof value === 'object') {
    for (const [name, inner] of Object.entries(value)) {
      if (/photo_ids$/.test(name) && Array.isArray(inner)) inner.forEach((id) => into.add(String(id)));
      else if (inner && typeof inner === 'object') photoIdsIn(inner, into);
    }
  }
  return into;
}

/** The photo ids that an inspection's records (as the phone holds them, and as its outbox sends them) name. */
export async function photosNamedBy(inspectionId, entries) {
  const ids = new Set();
  for (const entry of await recordsOfInspection(inspectionId)) {
    if (!entry.deleted && entry.kind !== 'photo') photoIdsIn(entry.record, ids);
  }
  for (const entry of entries) if (inspectionOf(entry) === inspectionId) photoIdsIn(entry.operation.body, ids);
  return ids;
}

/**
 * Why a submit entry cannot go yet: 'photos' (a photo its inspection's records name is not confirmed by the
 * server), 'attention' (an entry of that inspection before it was refused or conflicts), or null (it can go).
 */
export async function submitHold(entry, entries) {
  const inspectionId = inspectionOf(entry);
  if (entries.some((e) => e.id < entry.id && e.state && inspectionOf(e) === inspectionId)) return 'attention';
  const database = await db();
  for (const id of await photosNamedBy(inspectionId, entries)) {
    const photo = await database.get('photos', id);
    if (photo && photo.state !== 'uploaded') return 'photos';
  }
  return null;
}

/**
 * An inspection's submission still on the phone: {id, state, waiting: 'photos' | 'attention' | null (it goes
 * with the next sync)}, or null once the server has it. For the screens ("waiting for photos").
 */
export async function pendingSubmit(userId, inspectionId) {
  const entries = await outboxOf(userId);
  const entry = entries.find((e) => e.operation.kind === SUBMIT && inspectionOf(e) === inspectionId);
  if (!entry) return null;
  return { id: entry.id, state: entry.state ?? null, waiting: entry.state ? null : await submitHold(entry, entries) };
}

// --- one push --------------------------------------------------------------------------------------------

/** The next push: entries in order, up to the second entry of one record, the size limits or a held submit. */
async function planBatch(entries, { submits, limit }) {
  const batch = [];
  const inBatch = new Set();
  const held = new Set();  // records whose earlier entry waits: their later entries wait behind it
  let bytes = 0;
  for (const entry of entries) {
    const record = recordOf(entry);
    if (entry.state === 'conflict') held.add(record);
    if (entry.state || held.has(record)) continue;
    if (entry.operation.kind === SUBMIT && (!submits || await submitHold(entry, entries))) {
      held.add(record);
      continue;
    }
    if (inBatch.has(record)) break;  // it waits for the answer to the one before
    const size = JSON.stringify(entry.operation).length + 64;
    if (batch.length >= limit || (batch.length && bytes + size > MAX_BATCH_BYTES)) break;
    batch.push(entry);
    inBatch.add(record);
    bytes += size;
  }
  return batch;
}

/** The operation as it goes out: based on the version the local copy holds now. */
function operationOf(entry, stored) {
  const { kind, key, body = null } = entry.operation;
  if (!VERSIONED.has(kind)) return { kind, key, body };
  const base = stored ? stored.version ?? 0 : entry.operation.base_version ?? null;
  const sent = body && typeof body === 'object' && 'version' in body ? { ...body, version: base } : body;
  return { kind, key, body: sent, base_version: base };
}

async function postPush(operations) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, PUSH_TIMEOUT_MS);
  let response;
  let data = null;
  try {
    response = await fetch('/api/sync/push', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', signal: controller.signal,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json' },
      body: JSON.stringify({ operations }),
    });
    if ((response.headers.get('content-type') || '').includes('json')) data = await response.json();
    else await response.text();
  } catch (error) {
    if (error instanceof SyntaxError && response) data = null;  // a proxy's page, not JSON
    else throw new NetworkError(timedOut ? 'timeout' : 'network', { timeout: timedOut, cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (response.ok && Array.isArray(data?.results)) return data;
  const error = new ApiError(response.status, data && typeof data === 'object' ? data
    : { status: response.status, title: response.statusText });
  error.retryAfter = retryAfterOf(response.headers.get('retry-after'));
  if (response.ok) error.status = 502;  // an answer that is not the push's: try again later
  throw error;
}

const problemOf = (status, problem = {}) => ({
  status, title: problem.title ?? null, detail: problem.detail ?? null, detail_zh: problem.detail_zh ?? null,
  field: problem.field ?? problem.param ?? null, at: now(),
});

/** The inspection head as the feed keeps it: its parts travel as records of their own. */
function serverCopy(kind, body) {
  if (kind !== 'inspection' || !body || typeof body !== 'object') return body ?? null;
  const head = { ...body };
  for (const part of PARTS) delete head[part];
  return head;
}

/**
 * Settle a record after one of its entries is gone (confirmed, discarded, or dropped for the server's copy).
 * `server`: the server's copy that came with it; `based`: the version the local copy is now based on (the one
 * the server's answer gave; null: unchanged). While entries of the record are left, the local copy stays and
 * is based on that version, even when the feed brought a newer copy (someone else's edit: the next entry
 * must meet it as a conflict); once none is left, the newest server copy is the record.
 */
function settle(stored, { server, based = null, leftInError }) {
  const pending = Math.max(0, (stored.pending ?? 1) - 1);
  const newest = stored.server && server && stored.server.version > server.version ? stored.server : server ?? stored.server;
  const next = { ...stored, pending, error: leftInError ? stored.error ?? null : null };
  if (pending === 0 && newest) {
    // Nothing of it waits any more: it is the server's copy now, as the feed would bring it.
    Object.assign(next, { version: newest.version ?? stored.version, deleted: Boolean(newest.deleted),
      record: newest.deleted ? null : newest.record ?? stored.record, server: null, conflict: null });
  } else {
    Object.assign(next, { version: based ?? stored.version, server: newest ?? null });
  }
  return next;
}

/** Apply a push's answers to the outbox and the records, in one transaction. */
async function applyResults(batch, results) {
  const database = await db();
  const tx = database.transaction(['records', 'outbox'], 'readwrite');
  const records = tx.objectStore('records');
  const outbox = tx.objectStore('outbox');
  const outcome = { done: 0, refused: 0, conflicts: 0, transient: null, unauthorized: false };
  for (const result of results) {
    const entry = batch[result.index];
    if (!entry) continue;
    const { kind } = entry.operation;
    const stored = await records.get([entry.kind, entry.key]);
    const status = result.status;
    if (status >= 200 && status < 300) {
      await outbox.delete(entry.id);
      outcome.done += 1;
      if (!stored) continue;
      const body = result.body ?? null;
      const version = body && typeof body === 'object' ? body[VERSION_FIELD[kind] ?? 'version'] : undefined;
      // A delete is the last word on its record (no copy the feed brought before it is newer).
      const server = status === 204 ? { version: Math.max(stored.version ?? 0, stored.server?.version ?? 0), record: null, deleted: true }
        : body ? { version: typeof version === 'number' ? version : stored.version, record: serverCopy(entry.kind, body), deleted: false }
          : null;
      const others = await outbox.index('by_record').getAll([entry.kind, entry.key]);
      await records.put(settle(stored, { server, based: server?.version ?? null,
        leftInError: others.some((e) => e.state === 'error') }));
    } else if (status === 409 && result.problem?.current !== undefined && VERSIONED.has(kind)) {
      // A stale edit: this entry and every later one of the record wait for the user's choice.
      outcome.conflicts += 1;
      for (const other of await outbox.index('by_record').getAll([entry.kind, entry.key])) {
        if (other.id >= entry.id && other.state !== 'error') {
          await outbox.put({ ...other, state: 'conflict', attempts: (other.attempts ?? 0) + (other.id === entry.id ? 1 : 0) });
        }
      }
      if (stored) {
        const problem = result.problem;
        const current = problem.current ?? null;
        await records.put({ ...stored, conflict: {
          theirs: serverCopy(entry.kind, current), version: problem.current_version ?? current?.version ?? stored.version,
          deleted: Boolean(problem.deleted), detail: problem.detail ?? null, detail_zh: problem.detail_zh ?? null,
          kind, outbox_id: entry.id, at: now(),
        } });
      }
    } else if (status === 401) {
      outcome.unauthorized = true;
    } else if (status === 408 || status === 429 || status >= 500) {
      await outbox.put({ ...entry, attempts: (entry.attempts ?? 0) + 1 });
      outcome.transient ??= new ApiError(status, result.problem ?? { status });
    } else {
      // Refused: kept, with the server's words, against its record. Never dropped silently.
      const problem = problemOf(status, result.problem);
      outcome.refused += 1;
      await outbox.put({ ...entry, state: 'error', last_error: problem, attempts: (entry.attempts ?? 0) + 1 });
      if (stored) await records.put({ ...stored, error: { ...problem, outbox_id: entry.id, kind } });
    }
  }
  await tx.done;
  return outcome;
}

/**
 * Send this user's outbox, push after push, until nothing more can go now. `submits: false` holds every
 * submit back (sync.js sends them after the photos). onProgress({sent}) after every push.
 * Resolves to {sent, refused, conflicts}; rejects with a transient error (RetryLater: NetworkError or an
 * ApiError of 408 / 429 / 5xx, with `retryAfter`) or SessionEnded.
 */
export async function pushOutbox(user, { submits = true, onProgress, stillUser = () => true } = {}) {
  const database = await db();
  const total = { sent: 0, refused: 0, conflicts: 0 };
  let limit = MAX_OPERATIONS;
  while (stillUser()) {
    const entries = await outboxOf(user.id);
    const batch = await planBatch(entries, { submits, limit });
    if (!batch.length) break;
    const operations = [];
    for (const entry of batch) operations.push(operationOf(entry, await database.get('records', [entry.kind, entry.key])));
    let answer;
    try {
      answer = await postPush(operations);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        await sessionEnded();
        throw new SessionEnded();
      }
      if (error instanceof ApiError && error.status === 413 && batch.length > 1) {
        limit = Math.max(1, Math.floor(batch.length / 2));  // too big a push: split it
        continue;
      }
      if (error instanceof ApiError && error.status === 413) {
        // One operation too large for any push: keep it with the server's words, and go on with the others.
        await applyResults(batch, [{ index: 0, status: 413, problem: error.problem }]);
        total.refused += 1;
        continue;
      }
      throw error;
    }
    const outcome = await applyResults(batch, answer.results);
    total.sent += outcome.done;
    total.refused += outcome.refused;
    total.conflicts += outcome.conflicts;
    notifyLocalChange({ source: 'sync' });
    onProgress?.({ sent: total.sent });
    if (outcome.unauthorized) {
      await sessionEnded();
      throw new SessionEnded();
    }
    if (outcome.transient) throw outcome.transient;
    limit = MAX_OPERATIONS;
  }
  return total;
}

// --- the user's choices ----------------------------------------------------------------------------------

/** The newest server copy known for a record in conflict: the 409's, or a newer one the feed brought since. */
function theirsOf(stored) {
  const { conflict, server } = stored;
  if (server && (!conflict || server.version > conflict.version)) {
    return { record: server.record, version: server.version, deleted: Boolean(server.deleted) };
  }
  return { record: conflict.theirs, version: conflict.version, deleted: Boolean(conflict.deleted) };
}

/** What the user changed, as the entries in conflict send it: the fields of their bodies, the later winning. */
function mineOf(entries) {
  const mine = {};
  let deleted = false;
  for (const entry of entries) {
    const { kind, body } = entry.operation;
    if (kind.endsWith('.delete')) deleted = true;
    else if (kind === 'inspection.start') mine.status = 'in_progress';
    else if (kind === SUBMIT) Object.assign(mine, { status: 'submitted' }, body);
    else if (body && typeof body === 'object') Object.assign(mine, body);
  }
  delete mine.version;
  delete mine.id;
  return { fields: mine, deleted };
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
  || (Array.isArray(a) && Array.isArray(b) && JSON.stringify([...a].map(String).sort()) === JSON.stringify([...b].map(String).sort()));

/**
 * Both versions of a record in conflict, for the chooser: {kind, key, mine, theirs, deleted, fields:
 * [{name, mine, theirs, differs}], canKeepMine, detail, detail_zh}; null when there is no conflict.
 */
export async function conflictOf(kind, key) {
  const database = await db();
  const stored = await database.get('records', [kind, key]);
  if (!stored?.conflict) return null;
  const entries = (await database.getAllFromIndex('outbox', 'by_record', [kind, key])).filter((e) => e.state === 'conflict');
  const theirs = theirsOf(stored);
  const mine = mineOf(entries);
  const fields = Object.keys(mine.fields).map((name) => ({
    name, mine: mine.fields[name], theirs: theirs.record?.[name], differs: !same(mine.fields[name], theirs.record?.[name]),
  }));
  return {
    kind, key, mine, theirs, fields, deleted: theirs.deleted, local: stored.record,
    canKeepMine: !theirs.deleted, detail: stored.conflict.detail, detail_zh: stored.conflict.detail_zh,
  };
}

/**
 * The user's choice for a record in conflict. 'mine': send my entries again, based on the server's version
 * (the server then holds my fields over its copy). 'theirs': drop my entries and take the server's copy.
 * Returns false when there was no conflict (already resolved).
 */
export async function resolveConflict(kind, key, choice) {
  if (choice !== 'mine' && choice !== 'theirs') throw new TypeError(`resolveConflict: ${choice}`);
  const database = await db();
  const tx = database.transaction(['records', 'outbox'], 'readwrite');
  const records = tx.objectStore('records');
  const outbox = tx.objectStore('outbox');
  const stored = await records.get([kind, key]);
  if (!stored?.conflict) {
    await tx.done;
    return false;
  }
  const theirs = theirsOf(stored);
  const entries = (await outbox.index('by_record').getAll([kind, key])).filter((e) => e.state === 'conflict');
  if (choice === 'mine') {
    if (theirs.deleted) {
      tx.abort();
      await tx.done.catch(() => {});
      throw new Error('The record was deleted on the server: only its copy can be taken.');
    }
    for (const entry of entries) await outbox.put({ ...entry, state: null, last_error: null });
    await records.put({ ...stored, version: theirs.version, conflict: null,
      server: { version: theirs.version, record: theirs.record, deleted: false } });
  } else {
    let next = { ...stored, conflict: null, server: null };
    for (const entry of entries) {
      await outbox.delete(entry.id);
      next = settle(next, { server: { ...theirs }, based: theirs.version, leftInError: false });
    }
    const left = await outbox.index('by_record').getAll([kind, key]);
    next.error = left.some((e) => e.state === 'error') ? stored.error ?? null : null;
    await records.put(next);
  }
  await tx.done;
  notifyLocalChange({ kind, key, source: 'user' });
  return true;
}

/** Send a refused entry again (the user fixed what the server objected to, or the server may now take it). */
export async function retryEntry(id) {
  const database = await db();
  const tx = database.transaction(['records', 'outbox'], 'readwrite');
  const entry = await tx.objectStore('outbox').get(id);
  if (entry?.state === 'error') {
    await tx.objectStore('outbox').put({ ...entry, state: null });
    const stored = await tx.objectStore('records').get([entry.kind, entry.key]);
    if (stored?.error?.outbox_id === id) await tx.objectStore('records').put({ ...stored, error: null });
  }
  await tx.done;
  notifyLocalChange({ kind: entry?.kind, key: entry?.key, source: 'user' });
  return Boolean(entry);
}

/**
 * Drop a refused entry, as the user decided (never by itself). Its record goes back to the server's copy
 * once nothing of it is pending; a record the server never had goes away.
 */
export async function discardEntry(id) {
  const database = await db();
  const tx = database.transaction(['records', 'outbox'], 'readwrite');
  const outbox = tx.objectStore('outbox');
  const entry = await outbox.get(id);
  if (!entry || entry.state !== 'error') {
    await tx.done;
    return false;
  }
  await outbox.delete(id);
  const records = tx.objectStore('records');
  const stored = await records.get([entry.kind, entry.key]);
  if (stored) {
    const left = await outbox.index('by_record').getAll([entry.kind, entry.key]);
    const next = settle({ ...stored, error: null }, { server: stored.server, leftInError: left.some((e) => e.state === 'error') });
    if (!next.pending && !stored.server && !stored.version) Object.assign(next, { record: null, deleted: true });
    // A refused submit leaves the inspection open on the server: so it is on the phone again (else it would
    // vanish from My inspections until the feed next brought it).
    if (entry.operation.kind === SUBMIT && next.record?.status === 'submitted' && !left.length) {
      next.record = { ...next.record, status: 'in_progress', submitted_at: null };
    }
    if (next.error?.outbox_id === id) next.error = null;
    await records.put(next);
  }
  await tx.done;
  notifyLocalChange({ kind: entry.kind, key: entry.key, source: 'user' });
  return true;
}

// --- what the banner shows ---------------------------------------------------------------------------------

/**
 * The user's unsynced work: {entries, photos, count, oldest (ISO), attention: [...]}. Attention items:
 * {type: 'conflict', kind, key, label}, {type: 'error', id, kind, key, label, problem},
 * {type: 'photo_error', id, problem}, {type: 'waiting', reason: 'photos' | 'attention', inspectionId}.
 */
export async function outboxSummary(userId) {
  // Through indexes only: a save's refresh must not read every entry and photo (it would slow down as the
  // outbox grows). The entries and photos read here are the few that wait for the user, and the submits.
  const database = await db();
  const [counts, waiting, submits, refusedPhotos] = await Promise.all([
    unsyncedCounts(userId),
    database.getAllFromIndex('outbox', 'by_user_state', IDBKeyRange.bound([userId, ''], [userId, []])),
    database.getAllFromIndex('outbox', 'by_user_kind', [userId, SUBMIT]),
    database.getAllFromIndex('photos', 'by_user_state', IDBKeyRange.bound([userId, 'error'], [userId, 'error', []])),
  ]);
  waiting.sort((a, b) => a.id - b.id);
  const attention = [];
  const seen = new Set();
  for (const entry of waiting) {
    const stored = () => database.get('records', [entry.kind, entry.key]);
    if (entry.state === 'conflict' && !seen.has(recordOf(entry))) {
      seen.add(recordOf(entry));
      attention.push({ type: 'conflict', kind: entry.kind, key: entry.key, label: labelOf(entry, await stored()) });
    } else if (entry.state === 'error') {
      attention.push({ type: 'error', id: entry.id, kind: entry.kind, key: entry.key, operation: entry.operation.kind,
        label: labelOf(entry, await stored()), problem: entry.last_error ?? {} });
    }
  }
  for (const entry of submits) {
    if (entry.state) continue;
    // What it waits for: the refused or conflicting entries before it, and the photos of its inspection.
    const reason = await submitHold(entry, waiting.filter((e) => inspectionOf(e) === inspectionOf(entry)));
    if (reason) attention.push({ type: 'waiting', reason, id: entry.id, inspectionId: inspectionOf(entry) });
  }
  for (const photo of refusedPhotos) attention.push({ type: 'photo_error', id: photo.id, problem: photo.last_error ?? {} });
  return { entries: counts.entries, photos: counts.photos, count: counts.entries + counts.photos,
    oldest: counts.oldest, attention };
}

/** A few words that say which record an entry is about (its code, item, point or text). */
function labelOf(entry, stored) {
  const record = stored?.record ?? entry.operation.body ?? {};
  const bits = [record.code, record.item_key, record.point, record.sample_unit, record.text, record.role, record.name]
    .filter((bit) => typeof bit === 'string' && bit);
  return bits.slice(0, 2).join(' · ');
}
