// Which forms hold input that is not saved yet. An update of the app never reloads the page while
// any form is dirty (js/sw-client.js), and the browser asks before the page is closed.

const dirty = new Set();
const listeners = new Set();

/** Mark the form `id` as holding unsaved input (true) or as saved / cleared (false). */
export function setDirty(id, isDirty) {
  const before = dirty.size;
  if (isDirty) dirty.add(id); else dirty.delete(id);
  if (dirty.size !== before) for (const listener of listeners) listener(dirty.size > 0);
}

export const isDirty = () => dirty.size > 0;

export function onDirtyChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

addEventListener('beforeunload', (event) => {
  if (!isDirty()) return;
  event.preventDefault();
  event.returnValue = '';  // older browsers need it to ask
});
