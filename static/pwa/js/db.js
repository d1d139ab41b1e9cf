// The phone's database (IndexedDB through idb). Everything the app shows offline is read from here.
//
//   records  what the change feed brought, and what the user wrote here: key [kind, key]
//            { kind, key, version, record, deleted, inspection_id, order_id, user_id, pending, server, ... }
//            `pending` counts the outbox entries not yet confirmed by the server; while it is above 0 the
//            feed does not overwrite the local copy (it keeps the server's in `server`). `version` is the
//            server version the local copy is based on: the sync engine (js/outbox.js) raises it as the
//            server confirms each entry, and sends it as the entry's base_version. Set by the sync engine:
//            `error` {status, detail, detail_zh, outbox_id} when the server refused an entry of this record
//            (4xx), `conflict` {theirs, version, deleted, detail, detail_zh} when an edit was stale (409).
//   outbox   the operations to push, in order (auto-increment id), each with the user who made it:
//            { id, user_id, kind, key, operation: {kind, key, base_version, body}, created_at, attempts,
//              last_error, state }. `operation` is one operation of POST /api/sync/push. `state`: null
//            (to send), 'error' (refused, kept with last_error until the user retries or discards it) or
//            'conflict' (waits for the user's choice, see js/outbox.js resolveConflict).
//   photos   photo blobs, by their client-made id, apart from the records (they are large):
//            { id, user_id, inspection_id, defect_id, …, blob, thumb, state: 'pending' | 'uploaded' | 'error',
//              server, last_error } (js/photos.js). The full-size blob goes once the server has the photo.
//   Indexes beyond the lookups (version 2), so that the banner counts without reading every entry: outbox
//   "by_user_state" [user_id, state] holds only the entries that wait for the user (a null state is no key),
//   "by_user_kind" [user_id, operation.kind] finds the submits; photos "by_user_state" [user_id, state,
//   created_at] counts the photos to upload and finds the oldest.
//   meta     small values by name: "user", "lang", "feed" (cursor), "assignments", "last_user", "hints".
import { openDB } from '../vendor/idb/index.js';

export const DB_NAME = 'floorcheck';
export const DB_VERSION = 2;

let opening = null;
const changeListeners = new Set();

/** listener(change) after every local write (a record and its outbox entry): the UI shows it at once.
 * `change.source` is 'sync' when the sync engine wrote (a confirmation from the server), else the user did. */
export function onLocalChange(listener) {
  changeListeners.add(listener);
  return () => changeListeners.delete(listener);
}

/** Tell the listeners of onLocalChange about a write made outside saveWithOutbox (a photo, the sync engine). */
export function notifyLocalChange(change = {}) {
  for (const listener of changeListeners) listener(change);
}

export function db() {
  opening ??= openDB(DB_NAME, DB_VERSION, {
    upgrade(database, oldVersion, newVersion, transaction) {
      if (oldVersion < 1) {
        const records = database.createObjectStore('records', { keyPath: ['kind', 'key'] });
        records.createIndex('by_inspection', 'inspection_id');
        records.createIndex('by_order', 'order_id');
        records.createIndex('by_kind', 'kind');
        records.createIndex('by_user', 'user_id');
        const outbox = database.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
        outbox.createIndex('by_user', 'user_id');
        outbox.createIndex('by_record', ['kind', 'key']);
        const photos = database.createObjectStore('photos', { keyPath: 'id' });
        photos.createIndex('by_inspection', 'inspection_id');
        photos.createIndex('by_user', 'user_id');
        database.createObjectStore('meta');
      }
      if (oldVersion < 2) {
        const outbox = transaction.objectStore('outbox');
        outbox.createIndex('by_user_state', ['user_id', 'state']);
        outbox.createIndex('by_user_kind', ['user_id', 'operation.kind']);
        transaction.objectStore('photos').createIndex('by_user_state', ['user_id', 'state', 'created_at']);
      }
      // A later version adds its stores and indexes here, under `if (oldVersion < 3)`, and so on.
    },
    blocking() {
      // A newer version of the app (another tab, after an update) needs to upgrade the database: let it.
      opening?.then((database) => database.close());
      opening = null;
    },
    terminated() { opening = null; },
  }).catch((error) => { opening = null; throw error; });
  return opening;
}

export async function getMeta(name) {
  return (await db()).get('meta', name);
}

export async function setMeta(name, value) {
  const database = await db();
  if (value === undefined || value === null) await database.delete('meta', name);
  else await database.put('meta', value, name);
}

export async function getRecord(kind, key) {
  return (await db()).get('records', [kind, key]);
}

export async function recordsOfKind(kind) {
  return (await db()).getAllFromIndex('records', 'by_kind', kind);
}

export async function recordsOfInspection(inspectionId) {
  return (await db()).getAllFromIndex('records', 'by_inspection', inspectionId);
}

export async function recordsOfOrder(orderId) {
  return (await db()).getAllFromIndex('records', 'by_order', orderId);
}

/**
 * Write a record and the outbox entry that will push it, in ONE transaction: both or neither.
 *
 * `key` is the record's id, made here with crypto.randomUUID() when not given (the server takes the
 * client's id, so a replay never duplicates). `operation` is the push operation ({kind, key, body,
 * base_version}); base_version defaults to the version the local copy was based on (an explicit null stays
 * null: kinds that take no version). The sync engine sends, for kinds that take one, the version the local
 * copy is based on when the entry goes out. Returns {key, outboxId}.
 */
export async function saveWithOutbox({ kind, key = crypto.randomUUID(), record, userId, inspectionId = null,
  orderId = null, operation }) {
  if (!userId) throw new TypeError('saveWithOutbox: the user who makes the change is required');
  if (!kind || !operation?.kind) throw new TypeError('saveWithOutbox: kind and operation.kind are required');
  const database = await db();
  const tx = database.transaction(['records', 'outbox'], 'readwrite');
  try {
    const records = tx.objectStore('records');
    const existing = await records.get([kind, key]);
    const now = new Date().toISOString();
    const version = existing?.version ?? 0;
    await records.put({
      kind, key, version, record, deleted: false,
      inspection_id: inspectionId ?? existing?.inspection_id ?? null,
      order_id: orderId ?? existing?.order_id ?? null,
      user_id: userId,
      pending: (existing?.pending ?? 0) + 1,
      server: existing?.server ?? null,
      local_at: now,
    });
    const outboxId = await tx.objectStore('outbox').add({
      user_id: userId, kind, key,
      operation: {
        kind: operation.kind, key: operation.key ?? {}, body: operation.body ?? null,
        base_version: operation.base_version === null ? null : operation.base_version ?? version,
      },
      created_at: now, attempts: 0, last_error: null, state: null,
    });
    await tx.done;
    notifyLocalChange({ kind, key, source: 'user' });
    return { key, outboxId };
  } catch (error) {
    // A write that throws before it reaches IndexedDB (a value that cannot be stored) leaves the
    // transaction active: abort it, or the other write would commit alone.
    try { tx.abort(); } catch { /* already finished */ }
    await tx.done.catch(() => {});
    throw error;
  }
}

/** The outbox entries that `userId` made, oldest first (another login never pushes them). */
export async function outboxOf(userId) {
  return (await db()).getAllFromIndex('outbox', 'by_user', userId);
}

export async function countOutbox(userId) {
  return (await db()).countFromIndex('outbox', 'by_user', userId);
}

/** The range of a user's photos in one state (or 'error' to 'pending': every photo still to upload). */
const photoRange = (userId, from, to = from) => IDBKeyRange.bound([userId, from], [userId, to, []]);

/** How many of the user's photos the server does not have yet (waiting or refused). */
export async function countUnsentPhotos(userId) {
  return (await db()).countFromIndex('photos', 'by_user_state', photoRange(userId, 'error', 'pending'));
}

/**
 * The user's unsynced work, counted through indexes (its cost does not grow with the outbox):
 * {entries, photos, oldest (ISO or null)}.
 */
export async function unsyncedCounts(userId) {
  const database = await db();
  const tx = database.transaction(['outbox', 'photos']);
  const byUser = tx.objectStore('outbox').index('by_user');
  const photos = tx.objectStore('photos').index('by_user_state');
  const [entries, unsent, first, ...photoFirsts] = await Promise.all([
    byUser.count(userId), photos.count(photoRange(userId, 'error', 'pending')), byUser.openCursor(userId),
    photos.openKeyCursor(photoRange(userId, 'error')), photos.openKeyCursor(photoRange(userId, 'pending')),
  ]);
  const times = [first?.value?.created_at, ...photoFirsts.map((cursor) => cursor?.key?.[2])]
    .filter((time) => typeof time === 'string').sort();
  return { entries, photos: unsent, oldest: times[0] ?? null };
}

export async function countRecords(userId) {
  return (await db()).countFromIndex('records', 'by_user', userId);
}

/**
 * A different user logs in on a shared phone: remove what the others downloaded, so that nobody sees
 * someone else's work. Records with unsynced changes stay, as do the outbox and the photos: they belong to
 * their user and wait for that user's next login.
 */
export async function forgetOtherUsers(userId) {
  const database = await db();
  const tx = database.transaction(['records', 'meta'], 'readwrite');
  let cursor = await tx.objectStore('records').openCursor();
  while (cursor) {
    const { user_id: owner, pending } = cursor.value;
    if (owner !== userId && !pending) await cursor.delete();
    cursor = await cursor.continue();
  }
  const meta = tx.objectStore('meta');
  for (const name of ['feed', 'assignments']) {
    const value = await meta.get(name);
    if (value && value.user_id !== userId) await meta.delete(name);
  }
  await tx.done;
}
