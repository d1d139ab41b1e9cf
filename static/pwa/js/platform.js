// What the phone and its browser can do: iOS and installed-or-not, and the storage it grants.

export function isIOS() {
  return /iPad|iPhone|iPod/.test(navigator.userAgent)
    || (navigator.platform === 'MacIntel' && navigator.maxTouchPoints > 1);  // iPadOS asks for the desktop site
}

export const isWeChat = () => /MicroMessenger/i.test(navigator.userAgent);

export function isStandalone() {
  return navigator.standalone === true || matchMedia('(display-mode: standalone)').matches;
}

/** iOS Safari may delete the data of a site that is not on the Home Screen: tell the user how to add it. */
export const needsInstallHint = () => isIOS() && !isStandalone();

/** Ask the browser to keep our data when space runs low. Headless Chromium always answers false. */
export async function askPersistentStorage() {
  if (!navigator.storage?.persist) return false;
  try {
    return (await navigator.storage.persisted()) || (await navigator.storage.persist());
  } catch {
    return false;
  }
}

export async function storageEstimate() {
  const storage = navigator.storage;
  if (!storage?.estimate) return { usage: null, quota: null, persisted: false };
  const [estimate, persisted] = await Promise.all([
    storage.estimate().catch(() => ({})),
    storage.persisted ? storage.persisted().catch(() => false) : false,
  ]);
  return { usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
}
