// The change feed into IndexedDB: GET /api/sync/changes, page after page while `more`, each page applied
// in order in ONE transaction together with the cursor it ends at, so an interrupted download resumes
// where it stopped and never skips a change.
//
// Without a cursor the feed is a snapshot of everything the user keeps offline. Records that the snapshot
// does not bring (left the user's hands while the phone was away) are turned into tombstones at its end.
import { ApiError, api } from './api.js';
import { db } from './db.js';

const PAGE_LIMIT = 500;

/** The inspection and order a feed item belongs to, for the by_inspection / by_order indexes. */
function links(item, existing, bundle) {
  const record = item.record || {};
  const known = { inspection_id: existing?.inspection_id ?? null, order_id: existing?.order_id ?? null };
  // The feed names each item's inspection and order (api/sync/feed.py FeedItem); an older server did not.
  const inspectionId = item.inspection_id ?? record.inspection_id ?? null;
  const orderId = item.order_id ?? record.order_id ?? null;
  switch (item.kind) {
    case 'inspection':
      return { inspection_id: item.key, order_id: record.order?.id ?? orderId ?? known.order_id };
    case 'order':
    case 'packing_list':
    case 'spec_sheet':  // the packing list and the spec sheet are keyed by their order's id
      return { inspection_id: null, order_id: item.key };
    case 'signature':   // "<inspection id>/<role>"
      return { inspection_id: item.key.split('/')[0], order_id: known.order_id };
    case 'defect_code':
    case 'checklist_template':
      return { inspection_id: null, order_id: null };
    default:
      // defects, measurements, checklist answers, scans, photos: inside a snapshot they follow their
      // inspection's head; in the log they must say it themselves (or be known already).
      return {
        inspection_id: inspectionId ?? known.inspection_id ?? bundle.inspection_id ?? null,
        order_id: orderId ?? known.order_id ?? bundle.order_id ?? null,
      };
  }
}

/** Apply one page and move the cursor, in one transaction. Returns the new feed state. */
async function applyPage(page, feed, userId) {
  const database = await db();
  const tx = database.transaction(['records', 'meta'], 'readwrite');
  const records = tx.objectStore('records');
  const now = new Date().toISOString();
  const inSnapshot = Boolean(feed.sweep);
  let bundle = { inspection_id: null, order_id: null };
  for (const item of page.items) {
    const existing = await records.get([item.kind, item.key]);
    const linked = links(item, existing, inSnapshot ? bundle : {});
    if (item.kind === 'inspection') bundle = linked;
    const server = { version: item.version, record: item.deleted ? null : item.record, deleted: Boolean(item.deleted) };
    if (existing?.pending) {
      // Unsynced local changes: keep them; the server's copy waits beside them for the push to settle.
      await records.put({ ...existing, ...linked, server, seen: feed.sweep ?? existing.seen, received_at: now });
    } else {
      await records.put({
        kind: item.kind, key: item.key, ...server, ...linked, user_id: userId, pending: 0, server: null,
        seen: feed.sweep, received_at: now,
      });
    }
  }
  const done = !page.more;
  if (done && feed.sweep) {
    // The snapshot is complete: what this user had that it did not bring is gone from their hands.
    let cursor = await records.index('by_user').openCursor(userId);
    while (cursor) {
      const value = cursor.value;
      if (value.seen !== feed.sweep && !value.pending && !value.deleted) {
        await cursor.update({ ...value, record: null, deleted: true, received_at: now });
      }
      cursor = await cursor.continue();
    }
  }
  const next = {
    user_id: userId, cursor: page.next, sweep: done ? null : feed.sweep,
    synced_at: done ? now : feed.synced_at ?? null,
  };
  await tx.objectStore('meta').put(next, 'feed');
  await tx.done;
  return next;
}

/**
 * Pull everything that changed since the stored cursor, `limit` items a page (about: the snapshot sends
 * whole inspections). onProgress({items, pages, more}) after every page.
 * Rejects with NetworkError / ApiError; what was applied before stays applied.
 */
export async function pullFeed(userId, { onProgress, signal, limit = PAGE_LIMIT } = {}) {
  const database = await db();
  let feed = await database.get('meta', 'feed');
  if (!feed || feed.user_id !== userId) feed = { user_id: userId, cursor: null, sweep: null, synced_at: null };
  let items = 0;
  let pages = 0;
  let restarted = false;
  for (;;) {
    if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
    // A download from the start is a snapshot; its mark tells, at the end, what it did not bring.
    if (!feed.cursor && !feed.sweep) feed = { ...feed, sweep: crypto.randomUUID() };
    let page;
    try {
      page = await api.changes(feed.cursor, limit);
    } catch (error) {
      // A cursor the server no longer accepts: start again from a snapshot, once.
      if (error instanceof ApiError && error.status === 400 && error.problem.param === 'since' && !restarted) {
        restarted = true;
        feed = { ...feed, cursor: null, sweep: null };
        continue;
      }
      throw error;
    }
    feed = await applyPage(page, feed, userId);
    items += page.items.length;
    pages += 1;
    onProgress?.({ items, pages, more: page.more });
    if (!page.more) return { items, pages, syncedAt: feed.synced_at };
  }
}

export async function feedState(userId) {
  const feed = await (await db()).get('meta', 'feed');
  return feed && feed.user_id === userId ? feed : null;
}
