// Start: open IndexedDB, read the language and who is logged in (so the app opens offline), render,
// then check the session, sync, and register the service worker.
import { onUnauthorized } from './api.js';
import { db, getMeta, onLocalChange } from './db.js';
import { onDirtyChange } from './dirty.js';
import { detectLanguage, setLanguage, t } from './i18n.js';
import { needsInstallHint } from './platform.js';
import { loadSession, sessionEnded, verifySession } from './session.js';
import { getState, setState } from './store.js';
import { registerServiceWorker } from './sw-client.js';
import { autoSync, refreshLocal, scheduleRefresh } from './sync.js';
import { App } from './ui/app.js';
import { html, render } from './ui/html.js';

async function boot() {
  const root = document.getElementById('app');
  let hints = null;
  try {
    await db();
    const lang = await getMeta('lang');
    setState({ lang: setLanguage(lang || detectLanguage()) });
    hints = await getMeta('hints');
    await loadSession();
  } catch (error) {
    console.error(error);
    setState({ lang: setLanguage(detectLanguage()), fatal: 'storage_unavailable' });
  }
  root.textContent = '';
  render(html`<${App} />`, root);
  if (getState().fatal) return;

  onUnauthorized(() => sessionEnded());
  onLocalChange(() => scheduleRefresh());  // once per frame however many saves
  onDirtyChange((dirty) => { if (!dirty) setState({ updateBlocked: false }); });
  addEventListener('online', () => { setState({ online: true }); autoSync(); });
  addEventListener('offline', () => setState({ online: false }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') autoSync({ throttled: true });
  });
  setState({ iosHint: needsInstallHint() && !hints?.ios_dismissed });

  registerServiceWorker({
    onUpdate: (worker) => setState({ update: worker, announce: t('update_ready') }),
    onControllerVersion: (version) => setState({ swVersion: version }),
  }).catch((error) => console.warn('service worker', error));
  if (getState().user) await refreshLocal();  // My inspections from IndexedDB: offline too
  setState({ ready: true });
  document.documentElement.dataset.ready = 'true';  // for the tests and bench/pwa.py
  performance.mark('floorcheck:ready');
  await verifySession();
}

boot().catch((error) => {
  console.error(error);
  setState({ fatal: 'app_error' });
});
