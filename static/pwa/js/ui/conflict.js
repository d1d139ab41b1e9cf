// A stale edit (409): the phone's version and the server's side by side, field by field, the differences
// marked, and the user's choice: "Keep mine" (sent again on top of the server's version) or "Take theirs".
// Used by the banner's list of work that needs attention (ui/banners.js), and placed by the screens next to
// the record itself.
import { onLocalChange } from '../db.js';
import { t, tn } from '../i18n.js';
import { conflictOf, resolveConflict } from '../outbox.js';
import { getState, subscribe } from '../store.js';
import { syncNow } from '../sync.js';
import '../sync-strings.js';
import { html, useEffect, useState } from './html.js';

const CSS = `
.conflict-table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 8px 0 12px; font-size: 0.95rem; }
.conflict-table th, .conflict-table td { padding: 8px 6px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.conflict-table thead th { font-size: 0.85rem; color: var(--muted); }
.conflict-table tbody th { width: 32%; font-weight: 600; }
.conflict-table tr.diff td { background: var(--amber-bg); color: var(--amber); font-weight: 700; }
.conflict-table .mark { color: var(--amber); font-weight: 700; }
.conflict-actions { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.conflict-actions .btn { min-height: 56px; }
`;
if (!document.getElementById('conflict-css')) {
  document.head.append(Object.assign(document.createElement('style'), { id: 'conflict-css', textContent: CSS }));
}

const word = (key, fallback) => {
  const text = t(key);
  return text === key ? fallback : text;
};

/** A field's name in the UI language. */
export const fieldName = (name) => word(`conflict.field.${name}`, name);

/** A record kind in the UI language ("Defect"). */
export const kindName = (kind) => word(`sync.kind.${kind}`, kind);

/** A value as a person reads it: yes / no, "2 photos", a severity or status in words, or the text. */
export function showValue(name, value) {
  if (value === undefined || value === null || value === '') return t('conflict.none');
  if (typeof value === 'boolean') return t(value ? 'conflict.yes' : 'conflict.no');
  if (Array.isArray(value)) {
    if (!value.length) return t('conflict.none');
    if (/photo_ids$/.test(name)) return tn('conflict.photos', value.length);
    if (value.every((v) => v === null || typeof v !== 'object')) return value.join(', ');
    return tn('conflict.items', value.length);
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return word(`${name}.${value}`, String(value));  // severity.major, status.submitted, result.pass … if known
}

/** Re-read the conflict whenever the phone's data change (a push, a feed that brought a newer copy). */
function useConflict(kind, key) {
  const [data, setData] = useState(undefined);
  useEffect(() => {
    let live = true;
    const load = () => conflictOf(kind, key).then((found) => { if (live) setData(found); }).catch(() => {});
    load();
    let synced = getState().sync?.syncedAt;
    const offState = subscribe((state) => {
      if (state.sync?.syncedAt !== synced) { synced = state.sync?.syncedAt; load(); }
    });
    const offLocal = onLocalChange((change) => { if (!change?.kind || (change.kind === kind && change.key === key)) load(); });
    return () => { live = false; offState(); offLocal(); };
  }, [kind, key]);
  return data;
}

/**
 * Both versions of the record `kind`/`key` and the two choices. onDone(choice) after the choice is saved (the
 * sync engine sends it at once). Shows nothing while loading, and a short note when there is no conflict.
 * In a template, pass the record's key as `recordKey`: preact keeps a prop named `key` for itself
 * (html`<${ConflictChooser} kind="defect" recordKey=${id} />`); `key` works when it is called directly.
 */
export function ConflictChooser({ kind, key: keyProp, recordKey, onDone }) {
  const key = recordKey ?? keyProp;
  const data = useConflict(kind, key);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState(null);
  if (data === undefined) return null;
  const titleId = `conflict-${kind}-${key}`.replace(/[^\w-]/g, '-');
  if (data === null) {
    return html`<section class="conflict" aria-labelledby=${titleId}>
      <h2 id=${titleId}>${t('conflict.title')}</h2><p class="notice ok">${t('conflict.gone')}</p></section>`;
  }

  async function choose(choice) {
    setBusy(true);
    setFailed(null);
    try {
      await resolveConflict(kind, key, choice);
      onDone?.(choice);
      syncNow({ quiet: true });
    } catch (error) {
      setFailed(error.message);
    } finally {
      setBusy(false);
    }
  }

  const theirs = data.theirs.record ?? {};
  const rows = data.fields.map((field) => html`
    <tr class=${field.differs ? 'diff' : ''} data-field=${field.name}>
      <th scope="row">
        ${field.differs ? html`<span class="mark" aria-hidden="true">≠ </span>` : null}${fieldName(field.name)}
        ${field.differs ? html`<span class="sr-only"> (${t('conflict.differs')})</span>` : null}
      </th>
      <td data-side="mine">${showValue(field.name, field.mine)}</td>
      <td data-side="theirs">${data.deleted ? t('conflict.none') : showValue(field.name, theirs[field.name])}</td>
    </tr>`);
  if (data.mine.deleted) {
    rows.push(html`
      <tr class="diff" data-field="deleted">
        <th scope="row"><span class="mark" aria-hidden="true">≠ </span>${fieldName('status')}
          <span class="sr-only"> (${t('conflict.differs')})</span></th>
        <td data-side="mine">${t('conflict.mine_deleted')}</td>
        <td data-side="theirs">${data.deleted ? t('conflict.mine_deleted') : t('conflict.none')}</td>
      </tr>`);
  }
  return html`
    <section class="conflict" aria-labelledby=${titleId} data-conflict=${`${kind}/${key}`}>
      <h2 id=${titleId}>${t('conflict.title')}</h2>
      <p>${t('conflict.intro', { what: kindName(kind).toLowerCase() })}</p>
      <table class="conflict-table">
        <thead>
          <tr>
            <th scope="col">${t('conflict.field')}</th>
            <th scope="col">${t('conflict.mine')}</th>
            <th scope="col">${t('conflict.theirs')}</th>
          </tr>
        </thead>
        <tbody>${rows}</tbody>
      </table>
      ${data.deleted ? html`<p class="notice warn">${t('conflict.deleted')}</p>` : null}
      ${failed ? html`<p class="notice error" role="alert">${failed}</p>` : null}
      <div class="conflict-actions">
        <button type="button" class="btn secondary" disabled=${busy || !data.canKeepMine} onClick=${() => choose('mine')}>
          ${t('conflict.keep_mine')}
        </button>
        <button type="button" class="btn primary" disabled=${busy} onClick=${() => choose('theirs')}>
          ${t('conflict.take_theirs')}
        </button>
      </div>
    </section>`;
}
