// Sync runs in the foreground: on "Sync now" / "Download for offline use", when the app opens, when the
// network comes back and when the page becomes visible again (iOS has no Background Sync). One run at a
// time. For now a run pulls the change feed; pushing the outbox comes with the inspection flow.
import { ApiError, errorMessage, isNetworkError } from './api.js';
import { refreshAssignments, loadAssignments } from './assignments.js';
import { countOutbox, countRecords } from './db.js';
import { feedState, pullFeed } from './feed.js';
import { askPersistentStorage, storageEstimate } from './platform.js';
import { getState, setState } from './store.js';
import { t } from './i18n.js';

let running = null;

/** Re-read My inspections and the storage figures from IndexedDB into the state. */
export async function refreshLocal() {
  const user = getState().user;
  if (!user) return;
  const [assignments, estimate, records, unsynced, feed] = await Promise.all([
    loadAssignments(user.id), storageEstimate(), countRecords(user.id), countOutbox(user.id), feedState(user.id),
  ]);
  setState((s) => ({
    assignments,
    assignmentsLoaded: true,
    storage: { ...estimate, records, unsynced },
    sync: { ...s.sync, syncedAt: feed?.synced_at ?? null },
  }));
}

/** The light list of assignments from the server (online only); the page shows it next to what is stored. */
export async function refreshFromServer() {
  const user = getState().user;
  if (!user || !navigator.onLine) return;
  try {
    await refreshAssignments(user.id);
  } catch (error) {
    if (!isNetworkError(error) && !(error instanceof ApiError && error.status === 401)) console.warn(error);
  }
  await refreshLocal();
}

/**
 * Pull the change feed now. `download`: the user asked to keep everything offline (asks for persistent
 * storage too). `quiet`: started by the app itself (opening, back online): no message unless it fails.
 */
export function syncNow({ download = false, quiet = false } = {}) {
  if (running) return running;
  const user = getState().user;
  if (!user) return Promise.resolve(false);
  running = (async () => {
    setState((s) => ({ sync: { ...s.sync, running: true, items: 0, error: null, message: null } }));
    try {
      const result = await pullFeed(user.id, {
        onProgress: ({ items }) => setState((s) => ({ sync: { ...s.sync, items } })),
      });
      if (download) await askPersistentStorage();
      const message = quiet ? null : t(download ? 'download_done' : 'sync_done', { items: result.items });
      setState((s) => ({ sync: { ...s.sync, running: false, message, syncedAt: result.syncedAt } }));
      await refreshFromServer();
      return true;
    } catch (error) {
      const message = t('sync_failed', { message: errorMessage(error) });
      const silent = quiet && isNetworkError(error);
      setState((s) => ({ sync: { ...s.sync, running: false, error: silent ? null : message } }));
      if (!(error instanceof ApiError) && !isNetworkError(error)) console.error(error);
      await refreshLocal();
      return false;
    } finally {
      running = null;
    }
  })();
  return running;
}

let lastAuto = 0;
const AUTO_GAP_MS = 20_000;  // switching apps back and forth on the floor must not pull the feed each time

/**
 * Sync by itself: when the app opens, the user logs in, the network returns, or (`throttled`, at most every
 * 20 s) the page is visible again. It pulls the feed only once the user has downloaded (the first download is
 * their choice, on the floor's Wi-Fi); before that it refreshes the list of assignments.
 */
export async function autoSync({ throttled = false } = {}) {
  const user = getState().user;
  if (!user || !navigator.onLine || running) return;
  if (throttled && Date.now() - lastAuto < AUTO_GAP_MS) return;
  lastAuto = Date.now();
  if (await feedState(user.id)) await syncNow({ quiet: true });
  else await refreshFromServer();
}
