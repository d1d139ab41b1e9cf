// The app's state in one small observable object: modules set it, the UI re-renders on every change.

const listeners = new Set();
let state = {
  ready: false,          // IndexedDB opened and the saved user and language read
  fatal: null,           // a string key when the app cannot run (no IndexedDB)
  lang: 'en',
  online: navigator.onLine,
  user: null,            // the logged-in user (meta "user"); null shows the login screen
  lastUsername: '',      // prefills the login after a session ended
  sessionEnded: false,
  assignments: [],       // My inspections, from IndexedDB (js/assignments.js)
  assignmentsLoaded: false,
  sync: { running: false, items: 0, message: null, error: null, syncedAt: null },
  storage: null,         // { usage, quota, persisted, records, unsynced }
  update: null,          // a waiting service worker: "Update ready — reload"
  updateBlocked: false,  // the user asked to reload while a form had unsaved input
  swVersion: null,       // the version of the service worker that controls the page
  iosHint: false,
  announce: '',          // read out by screen readers (an aria-live region)
};

export const getState = () => state;

export function setState(patch) {
  state = { ...state, ...(typeof patch === 'function' ? patch(state) : patch) };
  for (const listener of listeners) listener(state);
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
