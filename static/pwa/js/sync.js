// Sync runs in the foreground (iOS has no Background Sync): when the app opens, when the network comes back,
// when the page becomes visible again, a moment after each local save, on "Sync now" and "Download for offline
// use". One run at a time; a run asked for during another one follows it.
//
// A run: push the records (js/outbox.js) → upload the photos (js/photos.js) → push the submits that waited for
// their photos → pull the change feed (js/feed.js). No answer, 408, 429 and 5xx end the run and back off
// (exponential with jitter, persisted; "Sync now" does not wait for it); a 401 ends the session and keeps
// everything on the phone.
import { ApiError, errorMessage, isNetworkError } from './api.js';
import { refreshAssignments, loadAssignments } from './assignments.js';
import { countRecords, onLocalChange } from './db.js';
import { feedState, pullFeed } from './feed.js';
import { SessionEnded, backoffOf, clearBackoff, isTransient, noteFailure, outboxSummary, pushOutbox } from './outbox.js';
import { uploadPhotos } from './photos.js';
import { askPersistentStorage, storageEstimate } from './platform.js';
import { getState, setState } from './store.js';
import { t } from './i18n.js';
import './sync-strings.js';

const SAVE_DELAY_MS = 2_000;  // a save starts a sync this long after the last one in a row
const AUTO_GAP_MS = 20_000;  // switching apps back and forth on the floor must not pull the feed each time

let running = null;
let queued = null;  // {options, promise}: the run asked for while one was running
let retryTimer = null;
let saveTimer = null;
let lastAuto = 0;

/** Re-read My inspections, the storage figures and the unsynced work from IndexedDB into the state. */
export async function refreshLocal() {
  const user = getState().user;
  if (!user) return;
  const [assignments, estimate, records, feed, outbox] = await Promise.all([
    loadAssignments(user.id), storageEstimate(), countRecords(user.id), feedState(user.id), outboxSummary(user.id),
  ]);
  if (getState().user?.id !== user.id) return;  // logged out meanwhile
  setState((s) => ({
    assignments,
    assignmentsLoaded: true,
    storage: { ...estimate, records, unsynced: outbox.entries },
    outbox,
    sync: { ...s.sync, syncedAt: feed?.synced_at ?? null },
  }));
}

// A burst of saves (a tally tapped quickly, a sync's confirmations) makes one refresh: at the next frame, and
// while one runs, one more after it.
let refreshing = null;
let refreshAgain = false;
let refreshAsked = false;

const nextFrame = (run) => {
  if (document.visibilityState === 'visible' && typeof requestAnimationFrame === 'function') {
    // A hidden page gets no frames: the timer stands in for it.
    const timer = setTimeout(run, 250);
    requestAnimationFrame(() => { clearTimeout(timer); run(); });
  } else {
    setTimeout(run, 16);
  }
};

/** refreshLocal() soon, once for all the changes asked for until then. */
export function scheduleRefresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  if (refreshAsked) return;
  refreshAsked = true;
  let ran = false;
  nextFrame(() => {
    if (ran) return;
    ran = true;
    refreshAsked = false;
    refreshing = refreshLocal().catch((error) => console.warn(error)).finally(() => {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        scheduleRefresh();
      }
    });
  });
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

function scheduleRetry(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => { retryTimer = null; autoSync(); }, Math.max(1_000, ms));
}

async function run(user, { download, quiet, pull }) {
  const sameUser = () => getState().user?.id === user.id;
  const phase = (name, extra = {}) => setState((s) => ({ sync: { ...s.sync, phase: name, ...extra } }));
  setState((s) => ({ sync: { ...s.sync, running: true, phase: 'push', items: 0, sent: 0, error: null, message: null } }));
  try {
    if (quiet && (await backoffOf(user.id)).next_at > Date.now()) {
      // Backing off after a failure: the timer tries again; "Sync now" does not wait.
      setState((s) => ({ sync: { ...s.sync, running: false, phase: null } }));
      return false;
    }
    const onProgress = ({ sent }) => phase('push', { sent });
    const pushed = await pushOutbox(user, { submits: false, onProgress, stillUser: sameUser });
    phase('photos', { photo: 0, photos: 0 });
    await uploadPhotos(user, { stillUser: sameUser, onProgress: ({ n, total }) => phase('photos', { photo: n, photos: total }) });
    phase('push');
    const submitted = await pushOutbox(user, { submits: true, onProgress, stillUser: sameUser });
    let result = { items: 0, syncedAt: getState().sync.syncedAt };
    if (pull && sameUser()) {
      phase('pull');
      result = await pullFeed(user.id, {
        onProgress: ({ items }) => setState((s) => ({ sync: { ...s.sync, items } })),
      });
    }
    if (download) await askPersistentStorage();
    await clearBackoff();
    clearTimeout(retryTimer);
    // What needs the user (refused, conflicting) is in the banner, in the language of the moment.
    const attention = pushed.refused + pushed.conflicts + submitted.refused + submitted.conflicts;
    const message = quiet || (attention && !download) ? null
      : t(download ? 'download_done' : 'sync_done', { items: result.items });
    setState((s) => ({ sync: { ...s.sync, running: false, phase: null, message, syncedAt: result.syncedAt } }));
    if (pull) await refreshFromServer();
    return true;
  } catch (error) {
    let message = null;
    if (!(error instanceof SessionEnded)) {
      message = t('sync_failed', { message: errorMessage(error) });
      if (isTransient(error)) scheduleRetry(await noteFailure(user.id, error.retryAfter ?? null));
      else if (!(error instanceof ApiError)) console.error(error);
    }
    const silent = quiet && isNetworkError(error);
    setState((s) => ({ sync: { ...s.sync, running: false, phase: null, error: silent ? null : message } }));
    return false;
  } finally {
    await refreshLocal().catch((error) => console.warn(error));
  }
}

function start(options) {
  const user = getState().user;
  if (!user) return Promise.resolve(false);
  running = run(user, options).finally(() => { running = null; });
  return running;
}

/**
 * Sync now: push, upload, pull. `download`: the user asked to keep everything offline (asks for persistent
 * storage too). `quiet`: started by the app itself (no message unless it fails, and it respects the backoff).
 * `pull`: pull the change feed too (the app's own runs pull only once the user has downloaded).
 * Asked during a run, it runs again after it. Resolves to true when everything that could go went.
 */
export function syncNow({ download = false, quiet = false, pull = true } = {}) {
  const options = { download, quiet, pull };
  if (!running) return start(options);
  if (queued) {
    // One run waits at most: it does what every request for it asked.
    Object.assign(queued.options, { download: queued.options.download || download,
      quiet: queued.options.quiet && quiet, pull: queued.options.pull || pull });
    return queued.promise;
  }
  const waiting = { options };
  waiting.promise = running.then(() => {
    queued = null;
    return start(waiting.options);
  });
  queued = waiting;
  return waiting.promise;
}

/**
 * Sync by itself: when the app opens, the user logs in, the network returns, after a save, or (`throttled`, at
 * most every 20 s) when the page is visible again. It pulls the feed only once the user has downloaded (the
 * first download is their choice, on the floor's Wi-Fi); before that it refreshes the list of assignments.
 */
export async function autoSync({ throttled = false } = {}) {
  const user = getState().user;
  if (!user || !navigator.onLine) return;
  if (throttled && Date.now() - lastAuto < AUTO_GAP_MS) return;
  lastAuto = Date.now();
  const downloaded = Boolean(await feedState(user.id));
  const summary = await outboxSummary(user.id);
  if (downloaded || summary.count) await syncNow({ quiet: true, pull: downloaded });
  if (!downloaded) await refreshFromServer();
}

// A save (not a confirmation from the server) syncs a moment later: several saves in a row make one run.
onLocalChange((change) => {
  if (change?.source === 'sync') return;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => { saveTimer = null; autoSync(); }, SAVE_DELAY_MS);
});

// The network is back: whatever failed for want of it is tried now, not after the backoff.
addEventListener('online', () => {
  clearBackoff().catch(() => {});
});
