// Logging in and out. The session is the HttpOnly cookie the login answer sets; the phone remembers who
// is logged in (meta "user") so that the app opens offline. Local data is never dropped here: the outbox
// and photos belong to their user and wait for that user's next login.
import { api, isNetworkError } from './api.js';
import { countOutbox, countUnsentPhotos, forgetOtherUsers, getMeta, setMeta } from './db.js';
import { getState, setState } from './store.js';
import { autoSync, refreshLocal } from './sync.js';

function userOf(answer) {
  const { id, username, display_name: displayName, role, company, factory_id: factoryId } = answer.user;
  return { id, username, display_name: displayName, role, company, factory_id: factoryId,
    expires_at: answer.expires_at, logged_in_at: new Date().toISOString() };
}

export async function logIn(username, password) {
  const answer = await api.login(username, password);
  const user = userOf(answer);
  // A shared phone: what another user downloaded is not shown to this one (unsynced work stays).
  await forgetOtherUsers(user.id);
  await setMeta('user', user);
  await setMeta('last_user', { id: user.id, username: user.username });
  setState({ user, sessionEnded: false, lastUsername: user.username, assignments: [], storage: null,
    sync: { running: false, items: 0, message: null, error: null, syncedAt: null } });
  await refreshLocal();
  autoSync();
  return user;
}

/** What the user would leave unsynced by logging out now: {count, photos}, the changes and the photos not
 * uploaded yet (waiting or refused) together in `count`. */
export async function unsyncedCount() {
  const user = getState().user;
  if (!user) return { count: 0, photos: 0 };
  const [entries, photos] = await Promise.all([countOutbox(user.id), countUnsentPhotos(user.id)]);
  return { count: entries + photos, photos };
}

export async function logOut() {
  try {
    await api.logout();
  } catch (error) {
    // Offline: the phone forgets the user now; the server's session ends when it expires.
    if (!isNetworkError(error)) console.warn(error);
  }
  await setMeta('user', null);
  setState((s) => ({ user: null, sessionEnded: false, lastUsername: s.user?.username ?? s.lastUsername,
    assignments: [], storage: null }));
}

/** The server answered 401: back to the login screen, keeping everything stored on the phone. */
export async function sessionEnded() {
  const user = getState().user;
  if (!user) return;
  await setMeta('user', null);
  setState({ user: null, sessionEnded: true, lastUsername: user.username });
}

/** At start, before the first render: who is logged in on this phone (works offline). */
export async function loadSession() {
  const [user, last] = await Promise.all([getMeta('user'), getMeta('last_user')]);
  setState({ user: user ?? null, lastUsername: last?.username ?? '' });
}

/** Then, online: check the session with the server (a 401 ends it), and sync. */
export async function verifySession() {
  if (!getState().user || !navigator.onLine) return;
  let me;
  try {
    me = await api.me();  // a 401 here ends the session (api.js calls sessionEnded)
  } catch {
    return;  // ended, or no answer: the app goes on with what is stored
  }
  // An admin may have changed the role, name or factory since the login: the menus follow the server's answer.
  const stored = getState().user;
  if (stored && me?.id === stored.id) {
    const now = { display_name: me.display_name, role: me.role, company: me.company, factory_id: me.factory_id };
    if (Object.entries(now).some(([key, value]) => stored[key] !== value)) {
      const user = { ...stored, ...now };
      await setMeta('user', user);
      setState({ user });
    }
  }
  await autoSync();
}
