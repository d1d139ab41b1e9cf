// Small pieces the inspection screens share: a photo button with its thumbnails and upload progress, the
// dirty flag of a form, a severity badge, a bottom sheet.
import { setDirty } from '../../dirty.js';
import { language, t } from '../../i18n.js';
import { retryEntry } from '../../outbox.js';
import { addPhoto, photoUrl, usePhotoProgress } from '../../photos.js';
import { syncNow } from '../../sync.js';
import { ConflictChooser } from '../conflict.js';
import { html, useEffect, useRef, useState } from '../html.js';

export const SEVERITIES = ['critical', 'major', 'minor'];
export const zh = () => language() === 'zh';
/** A record's own words in the UI language: name_zh / label_zh / message_zh when Chinese. */
export const local = (record, field) => (zh() && record?.[`${field}_zh`]) || record?.[field] || record?.[`${field}_en`] || '';

/** Mark the form `id` dirty while `isDirty`, and clean when it goes away. */
export function useDirty(id, isDirty) {
  useEffect(() => setDirty(id, Boolean(isDirty)), [id, isDirty]);
  useEffect(() => () => setDirty(id, false), [id]);
}

/** What the server said of a record's change, next to the record: a 409 with both versions to choose from, or a
 * refusal in the server's words (kept in the outbox until the user retries, or discards it from the banner). */
export function RecordIssue({ entry }) {
  if (entry?.conflict) return html`<${ConflictChooser} kind=${entry.kind} recordKey=${entry.key} />`;
  const error = entry?.error;
  if (!error) return null;
  const again = async () => { await retryEntry(error.outbox_id); syncNow({ quiet: true }); };
  return html`
    <div class="notice error refused" role="alert" data-refused>
      <p>${t('refused', { detail: local(error, 'detail') || error.title || error.status })}</p>
      <button type="button" class="btn small secondary" onClick=${again}>${t('sync.retry')}</button>
    </div>`;
}

export function SeverityBadge({ severity }) {
  return html`<span class=${`sev-badge ${severity}`}>${t(`severity.${severity}`)}</span>`;
}

/** "Add photo": the camera (or the gallery) → addPhoto → onAdded(photoId). `links` say what it shows. */
export function AddPhoto({ links, onAdded, disabled, label = t('add_photo') }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function picked(event) {
    const files = [...event.currentTarget.files];
    event.currentTarget.value = '';
    setBusy(true);
    setError(null);
    try {
      for (const file of files) await onAdded(await addPhoto(file, links));
    } catch (failure) {
      console.error(failure);
      setError(t('photo_failed'));
    } finally {
      setBusy(false);
    }
  }
  return html`
    <label class=${`btn secondary photo-btn ${disabled || busy ? 'is-disabled' : ''}`}>
${busy ? t('photo_saving') : label}
      <input type="file" accept="image/*" capture="environment" class="overlay" disabled=${disabled || busy}
        onChange=${picked} />
    </label>
    ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}`;
}

/** Thumbnails of photos (local blobs until uploaded), each with its upload progress. */
export function PhotoStrip({ ids = [], onRemove }) {
  if (!ids.length) return null;
  return html`<ul class="photos">${ids.map((id) => html`<${Thumb} key=${id} id=${id} onRemove=${onRemove} />`)}</ul>`;
}

function Thumb({ id, onRemove }) {
  const [src, setSrc] = useState(null);
  const progress = usePhotoProgress(id);
  useEffect(() => {
    let live = true;
    let url = null;
    Promise.resolve(photoUrl(id)).then((value) => {
      url = value;
      if (live) setSrc(value); else if (value?.startsWith('blob:')) URL.revokeObjectURL(value);
    }).catch(() => {});
    return () => { live = false; if (url?.startsWith('blob:')) URL.revokeObjectURL(url); };
  }, [id]);
  const done = progress?.done ?? progress?.uploaded ?? false;
  const value = Math.round(100 * (progress?.fraction ?? (done ? 1 : 0)));
  return html`
    <li class="thumb" data-photo=${id}>
      ${src ? html`<img src=${src} alt=${t('photo_alt')} />` : html`<span class="noimg">${t('photo_alt')}</span>`}
      <progress max="100" value=${value} aria-label=${t('photo_upload_progress')}></progress>
      <span class="thumb-state">${done ? t('photo_uploaded') : progress?.error ? t('photo_retry') : t('photo_waiting')}</span>
      ${onRemove ? html`<button type="button" class="btn small secondary" onClick=${() => onRemove(id)}>${t('remove')}</button>` : null}
    </li>`;
}

/** A sheet from the bottom of the screen, modal: Escape or the scrim closes it, the focus goes back after. */
export function Sheet({ title, onClose, children }) {
  const box = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    box.current?.querySelector('input, select, textarea, button')?.focus();
    const escape = (event) => { if (event.key === 'Escape') onClose(); };
    addEventListener('keydown', escape);
    return () => { removeEventListener('keydown', escape); if (opener?.isConnected) opener.focus(); };
  }, []);
  return html`
    <div class="scrim" onClick=${onClose}></div>
    <div class="sheet tall" role="dialog" aria-modal="true" aria-label=${title} ref=${box}>
      <h2>${title}</h2>
      ${children}
    </div>`;
}
