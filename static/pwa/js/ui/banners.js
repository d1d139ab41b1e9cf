// Messages above the screen: a new version of the app, on an iPhone how to install it, and the unsynced work
// ("3 unsynced · oldest 2 h") with what needs the user: refused changes, conflicts (the chooser opens from
// here), refused photos, and submissions that wait.
import { getMeta, setMeta } from '../db.js';
import { discardEntry, retryEntry } from '../outbox.js';
import { discardPhoto, retryPhoto } from '../photos.js';
import { isWeChat } from '../platform.js';
import { setState } from '../store.js';
import { applyUpdate } from '../sw-client.js';
import { syncNow } from '../sync.js';
import '../sync-strings.js';
import { language, t, tn } from '../i18n.js';
import { ConflictChooser, kindName } from './conflict.js';
import { html, useEffect, useRef, useState } from './html.js';

const CSS = `
.syncbar { padding: 8px 12px; border: 1px solid var(--line); border-left: 8px solid #a97400; border-radius: 12px;
  background: var(--card); }
.syncbar.attn { border-left-color: var(--red); }
.syncbar-head { display: grid; grid-template-columns: 1fr auto; align-items: center; gap: 4px 10px; }
.syncbar-head p { margin: 0; }
.syncbar .count { font-weight: 700; }
.syncbar .needs { color: var(--red); font-weight: 700; }
.syncbar progress { width: 100%; height: 12px; accent-color: var(--blue); }
.syncbar ul { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 8px; }
.syncbar li { padding: 6px 10px 8px; border-radius: 10px; background: var(--page); }
.syncbar li p { margin: 2px 0; }
.syncbar li.bad { background: var(--red-bg); color: var(--red); }
.syncbar li.warn { background: var(--amber-bg); color: var(--amber); }
.syncbar .acts { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px; }
.sheet.conflict-sheet { max-height: 92vh; max-height: 92dvh; overflow-y: auto; }
`;
if (!document.getElementById('syncbar-css')) {
  document.head.append(Object.assign(document.createElement('style'), { id: 'syncbar-css', textContent: CSS }));
}

function UpdateBanner({ state }) {
  const reload = () => { if (!applyUpdate(state.update)) setState({ updateBlocked: true }); };
  return html`
    <div class="banner update">
      <button type="button" class="btn update" onClick=${reload}>${t('update_ready')}</button>
      ${state.updateBlocked ? html`<p class="banner-note" role="alert">${t('update_wait')}</p>` : null}
    </div>`;
}

async function dismissIosHint() {
  setState({ iosHint: false });
  await setMeta('hints', { ...(await getMeta('hints')), ios_dismissed: new Date().toISOString() });
}

function IosHint() {
  return html`
    <aside class="banner hint" aria-labelledby="ios-title">
      <h2 id="ios-title">${t('ios_title')}</h2>
      <p>${t(isWeChat() ? 'ios_wechat' : 'ios_hint')}</p>
      <button type="button" class="btn secondary small" onClick=${dismissIosHint}>${t('dismiss')}</button>
    </aside>`;
}

/** "2 h": how long ago, short. */
export function age(since, now = Date.now()) {
  const minutes = Math.floor((now - Date.parse(since)) / 60_000);
  if (!(minutes >= 1)) return t('sync.age_now');
  if (minutes < 60) return t('sync.age_min', { n: minutes });
  if (minutes < 48 * 60) return t('sync.age_h', { n: Math.floor(minutes / 60) });
  return t('sync.age_d', { n: Math.floor(minutes / 1440) });
}

/** The server's words in the UI language. */
const said = (problem = {}) => (language() === 'zh' ? problem.detail_zh || problem.detail : problem.detail || problem.detail_zh)
  || problem.title || (problem.status ? t('error_http', { status: problem.status }) : '');

const what = (item) => (item.label ? t('sync.what', { kind: kindName(item.kind), label: item.label }) : kindName(item.kind));

function ErrorItem({ item }) {
  const [confirming, setConfirming] = useState(false);
  const again = async () => { await retryEntry(item.id); syncNow({ quiet: true }); };
  return html`
    <li class="bad" data-attention="error" data-outbox=${item.id}>
      <p><strong>${t('sync.error_item', { what: what(item) })}</strong></p>
      <p>${said(item.problem)}</p>
      ${confirming ? html`<p>${t('sync.discard_warn')}</p>` : null}
      <div class="acts">
        ${confirming ? html`
          <button type="button" class="btn small danger" onClick=${() => discardEntry(item.id)}>${t('sync.discard_yes')}</button>
          <button type="button" class="btn small secondary" onClick=${() => setConfirming(false)}>${t('cancel')}</button>`
        : html`
          <button type="button" class="btn small secondary" onClick=${again}>${t('sync.retry')}</button>
          <button type="button" class="btn small secondary" onClick=${() => setConfirming(true)}>${t('sync.discard')}</button>`}
      </div>
    </li>`;
}

function PhotoErrorItem({ item }) {
  const [confirming, setConfirming] = useState(false);
  const again = async () => { await retryPhoto(item.id); syncNow({ quiet: true }); };
  return html`
    <li class="bad" data-attention="photo_error" data-photo-error=${item.id}>
      <p><strong>${t('sync.photo_error')}</strong> ${said(item.problem)}</p>
      <div class="acts">
        ${confirming ? html`
          <button type="button" class="btn small danger" onClick=${() => discardPhoto(item.id)}>${t('sync.discard_yes')}</button>
          <button type="button" class="btn small secondary" onClick=${() => setConfirming(false)}>${t('cancel')}</button>`
        : html`
          <button type="button" class="btn small secondary" onClick=${again}>${t('sync.retry')}</button>
          <button type="button" class="btn small secondary" onClick=${() => setConfirming(true)}>${t('sync.discard_photo')}</button>`}
      </div>
    </li>`;
}

/** The conflict chooser in a sheet from the bottom of the screen, modal; Escape or the scrim closes it. */
function ConflictSheet({ kind, recordKey, onClose }) {
  const box = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    const focus = setTimeout(() => box.current?.querySelector('button:not([disabled])')?.focus(), 50);
    const escape = (event) => { if (event.key === 'Escape') onClose(); };
    addEventListener('keydown', escape);
    return () => {
      clearTimeout(focus);
      removeEventListener('keydown', escape);
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return html`
    <div class="scrim" onClick=${onClose}></div>
    <div class="sheet conflict-sheet" role="dialog" aria-modal="true" aria-label=${t('conflict.title')} ref=${box}>
      <${ConflictChooser} kind=${kind} recordKey=${recordKey} onDone=${onClose} />
      <button type="button" class="btn secondary block" style="margin-top: 10px" onClick=${onClose}>${t('conflict.close')}</button>
    </div>`;
}

function SyncBanner({ state }) {
  const summary = state.outbox;
  const [open, setOpen] = useState(true);
  const [choosing, setChoosing] = useState(null);  // {kind, key} of the conflict shown in the sheet
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 60_000);  // the age goes on
    return () => clearInterval(timer);
  }, []);
  const uploading = Object.values(state.photoProgress ?? {});
  const { running, phase, sent } = state.sync ?? {};
  if (!summary || (!summary.count && !summary.attention.length && !(running && phase === 'photos' && uploading.length))) {
    return null;
  }
  const needs = summary.attention.filter((item) => item.type !== 'waiting').length;
  const listId = 'sync-attention';
  const fraction = uploading.length ? uploading.reduce((a, b) => a + b, 0) / uploading.length : 0;
  return html`
    <section class=${`syncbar ${needs ? 'attn' : ''}`} aria-labelledby="syncbar-title" data-sync-banner>
      <div class="syncbar-head">
        <p id="syncbar-title">
          <span class="count">${tn('sync.unsynced', summary.count)}</span>${summary.oldest
            ? html` · <span class="age">${t('sync.oldest', { age: age(summary.oldest) })}</span>` : null}
          ${needs ? html`<br /><span class="needs">${tn('sync.attention', needs)}</span>` : null}
        </p>
        ${summary.attention.length ? html`
          <button type="button" class="btn small secondary" aria-expanded=${open} aria-controls=${listId}
            onClick=${() => setOpen(!open)}>${t(open ? 'sync.hide' : 'sync.details')}</button>` : null}
      </div>
      ${running && phase === 'push' ? html`<p class="muted" role="status">${sent ? t('sync.sent', { n: sent }) : t('sync.sending')}</p>` : null}
      ${running && phase === 'photos' && uploading.length ? html`
        <p class="muted" role="status">${t('sync.uploading')}</p>
        <progress max="100" value=${Math.round(100 * fraction)} aria-label=${t('sync.photo_progress')}></progress>` : null}
      ${open && summary.attention.length ? html`
        <ul id=${listId} aria-label=${t('sync.list_title')}>
          ${summary.attention.map((item) => {
            if (item.type === 'error') return html`<${ErrorItem} key=${`e${item.id}`} item=${item} />`;
            if (item.type === 'photo_error') return html`<${PhotoErrorItem} key=${`p${item.id}`} item=${item} />`;
            if (item.type === 'conflict') {
              return html`
                <li key=${`c${item.kind}/${item.key}`} class="warn" data-attention="conflict" data-record=${`${item.kind}/${item.key}`}>
                  <p><strong>${t('sync.conflict_item', { what: what(item) })}</strong></p>
                  <div class="acts">
                    <button type="button" class="btn small secondary" onClick=${() => setChoosing({ kind: item.kind, key: item.key })}>
                      ${t('sync.compare')}
                    </button>
                  </div>
                </li>`;
            }
            return html`
              <li key=${`w${item.id}`} data-attention="waiting" data-reason=${item.reason}>
                <p>${t(item.reason === 'photos' ? 'sync.waiting_photos' : 'sync.waiting_attention')}</p>
              </li>`;
          })}
        </ul>` : null}
    </section>
    ${choosing ? html`<${ConflictSheet} kind=${choosing.kind} recordKey=${choosing.key} onClose=${() => setChoosing(null)} />` : null}`;
}

export function Banners({ state }) {
  const unsynced = state.user && state.outbox && (state.outbox.count || state.outbox.attention.length
    || Object.keys(state.photoProgress ?? {}).length);
  if (!state.update && !state.iosHint && !unsynced) return null;
  return html`
    <div class="banners">
      ${state.update ? html`<${UpdateBanner} state=${state} />` : null}
      ${state.iosHint ? html`<${IosHint} />` : null}
      ${unsynced ? html`<${SyncBanner} state=${state} />` : null}
    </div>`;
}
