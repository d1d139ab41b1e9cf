// The page's side of the service worker: register it, notice a new version, and switch to it only
// when the user asks AND no form holds unsaved input.
import { isDirty } from './dirty.js';

const SW_URL = '/app/sw.js';
const HOUR = 3_600_000;
let applying = false;  // this page asked for the new version and reloads once it is in control

/** Register; onUpdate(worker) whenever a new version is installed and waiting. Returns the registration. */
export async function registerServiceWorker({ onUpdate, onControllerVersion }) {
  if (!('serviceWorker' in navigator)) return null;
  const registration = await navigator.serviceWorker.register(SW_URL, { scope: '/app/' });
  const offer = () => {
    // A first install is not an update: only a worker waiting behind an active one is.
    if (registration.waiting && navigator.serviceWorker.controller) onUpdate(registration.waiting);
  };
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => { if (worker.state === 'installed') offer(); });
  });
  offer();
  const check = () => registration.update().catch(() => { /* offline: next time */ });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') check(); });
  setInterval(check, HOUR);
  const report = () => controllerVersion().then(onControllerVersion);
  let controlled = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    report();
    // Another tab of the app applied an update: this page still runs the old code. Offer the reload here
    // too (the first install taking control is not an update).
    if (controlled && !applying) onUpdate(navigator.serviceWorker.controller);
    controlled = true;
  });
  report();
  return registration;
}

/** The version of the worker that controls this page, or null (not controlled yet). */
export function controllerVersion() {
  const controller = navigator.serviceWorker?.controller;
  if (!controller) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 3000);
    channel.port1.onmessage = (event) => { clearTimeout(timer); resolve(event.data?.version ?? null); };
    controller.postMessage({ type: 'VERSION' }, [channel.port2]);
  });
}


/**
 * The user tapped "Update ready — reload". Returns false (and does nothing) while a form is dirty;
 * otherwise activates the waiting worker, and the page reloads once it has taken control.
 */
export function applyUpdate(worker) {
  if (isDirty()) return false;
  applying = true;
  if (worker === navigator.serviceWorker.controller) {
    location.reload();  // already in control (another tab applied it): only this page is old
    return true;
  }
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
  worker.postMessage({ type: 'SKIP_WAITING' });
  return true;
}
