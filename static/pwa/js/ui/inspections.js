// "My inspections": today's and upcoming assignments from IndexedDB, the offline download, the storage
// figures and the account. The main actions sit in the bar at the bottom, within the thumb's reach.
import '../inspection-strings.js';
import { formatBytes, formatDate, formatDateTime, t, tn, todayIso } from '../i18n.js';
import { logOut, unsyncedCount } from '../session.js';
import { syncNow } from '../sync.js';
import { html, useEffect, useRef, useState } from './html.js';
import { SectionNav } from './office/nav.js';

function when(item) {
  if (!item.scheduled_for) return t('not_scheduled');
  if (item.scheduled_for === todayIso()) return t('today');
  const date = formatDate(item.scheduled_for);
  return item.overdue ? t('overdue', { date }) : date;
}

function Card({ item }) {
  const titleId = `po-${item.id}`;
  return html`
    <li>
      <article class=${`card ${item.ready ? 'is-ready' : ''}`} aria-labelledby=${titleId} data-inspection=${item.id}>
        <div class="card-head">
          <h3 id=${titleId}><span class="po-label">${t('field_po')} </span><span class="po">${item.po_number}</span></h3>
          ${item.unsynced ? html`
            <span class=${`badge ${item.unsynced === 'attention' ? 'attention' : 'missing'}`} data-unsynced=${item.unsynced}>
              ${item.unsynced === 'attention' ? html`<span aria-hidden="true">! </span>` : null}${t(`unsynced_${item.unsynced}`)}
            </span>` : html`
            <span class=${`badge ${item.ready ? 'ready' : 'missing'}`}>
              ${item.ready ? html`<span aria-hidden="true">✓ </span>` : null}${t(item.ready ? 'ready_offline' : 'not_downloaded')}
            </span>`}
        </div>
        <dl class="fields">
          <div class="wide"><dt>${t('field_type')}</dt><dd>${t(`type.${item.type}`)}</dd></div>
          <div><dt>${t('field_style')}</dt><dd>${item.style_number}</dd></div>
          <div><dt>${t('field_ship_date')}</dt><dd>${item.ship_date ? formatDate(item.ship_date) : '—'}</dd></div>
          <div><dt>${t('field_inspection_date')}</dt><dd class=${item.overdue ? 'overdue' : ''}>${when(item)}</dd></div>
          <div><dt>${t('field_status')}</dt><dd>${t(`status.${item.status}`)}</dd></div>
          <div class="wide"><dt>${t('field_factory')}</dt><dd>${item.factory}</dd></div>
        </dl>
        ${item.ready ? html`
          <button type="button" class="btn primary block card-open" onClick=${() => { location.hash = `/inspections/${item.id}`; }}>
            ${t(item.unsynced ? 'open_inspection' : item.status === 'scheduled' ? 'start_inspection' : 'continue_inspection')}
          </button>` : null}
      </article>
    </li>`;
}

function Section({ id, title, items }) {
  if (!items.length) return null;
  return html`
    <section aria-labelledby=${id}>
      <h2 id=${id}>${title}</h2>
      <ul class="cards">${items.map((item) => html`<${Card} key=${item.id} item=${item} />`)}</ul>
    </section>`;
}

/** What the running sync does now, as the sync store reports it: pushing, uploading photos, downloading. */
function phaseText(sync) {
  if (sync.phase === 'photos') return sync.photos ? t('sync_photos_n', { n: sync.photo, total: sync.photos }) : t('sync_photos');
  if (sync.phase === 'pull') return t('downloading', { items: sync.items });
  return sync.sent ? t('sync_pushing_sent', { n: sync.sent }) : t('sync_pushing');
}

function SyncStatus({ state }) {
  const { sync, online } = state;
  if (sync.running) {
    return html`
      <div class="status" role="status" data-phase=${sync.phase ?? 'push'}>
        <p>${phaseText(sync)}</p>
        <progress aria-label=${t(sync.phase === 'pull' ? 'sync_progress' : 'sync_phase_progress')}></progress>
      </div>`;
  }
  return html`
    <div class="status" role="status">
      ${online ? null : html`<p class="notice warn">${t('offline_banner')}</p>`}
      ${sync.error ? html`<p class="notice error">${sync.error}</p>` : null}
      ${sync.message ? html`<p class="notice ok">${sync.message}</p>` : null}
      <p class="muted synced">${sync.syncedAt ? t('last_synced', { time: formatDateTime(sync.syncedAt) }) : t('never_synced')}</p>
    </div>`;
}

function Storage({ state }) {
  const { storage, swVersion } = state;
  if (!storage) return null;
  return html`
    <section class="panel" aria-labelledby="storage-title" data-storage>
      <h2 id="storage-title">${t('storage_title')}</h2>
      <p>${storage.usage == null ? t('storage_unknown')
        : t('storage_used', { used: formatBytes(storage.usage), quota: formatBytes(storage.quota) })}</p>
      <p>${t('storage_counts', { records: storage.records, unsynced: storage.unsynced })}</p>
      <p>${t(storage.persisted ? 'persisted_yes' : 'persisted_no')}</p>
      <p>${swVersion ? t('app_ready_offline', { version: swVersion }) : t('app_not_ready_offline')}</p>
    </section>`;
}

function LogoutSheet({ count, photos, online, onCancel, onConfirm }) {
  const first = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    first.current?.focus();
    const escape = (event) => { if (event.key === 'Escape') onCancel(); };
    addEventListener('keydown', escape);
    return () => {
      removeEventListener('keydown', escape);
      if (opener?.isConnected) opener.focus();  // back to "Log out"
    };
  }, []);
  return html`
    <div class="scrim" onClick=${onCancel}></div>
    <div class="sheet" role="alertdialog" aria-modal="true" aria-labelledby="logout-title" aria-describedby="logout-text">
      <h2 id="logout-title">${t('logout_warn_title')}</h2>
      <div id="logout-text">
        <p>${tn('logout_warn', count)}</p>
        ${photos ? html`<p>${tn('logout_warn_photos', photos)}</p>` : null}
        ${online ? html`<p>${t('logout_warn_sync')}</p>` : null}
      </div>
      <div class="sheet-actions">
        <button type="button" class="btn secondary" ref=${first} onClick=${onCancel}>${t('cancel')}</button>
        <button type="button" class="btn danger" onClick=${onConfirm}>${t('logout_anyway')}</button>
      </div>
    </div>`;
}

export function Inspections({ state }) {
  const { assignments, sync, user } = state;
  const [unsynced, setUnsynced] = useState(null);  // {count, photos} while the logout warning is open
  const asking = unsynced !== null;  // the rest of the screen is inert behind the warning

  async function askLogOut() {
    const left = await unsyncedCount();
    if (left.count > 0) setUnsynced(left);
    else await logOut();
  }

  const today = assignments.filter((item) => item.section === 'today');
  const upcoming = assignments.filter((item) => item.section === 'upcoming');
  return html`
    <main id="main" tabindex="-1" class="screen with-actions" data-screen="inspections" inert=${asking}>
      <${SectionNav} user=${user} current="inspections" />
      <h1>${t('my_inspections')}</h1>
      <${SyncStatus} state=${state} />
      ${state.assignmentsLoaded && !assignments.length
        ? html`<p class="empty">${t(state.online || sync.syncedAt ? 'no_inspections' : 'no_inspections_offline')}</p>` : null}
      <${Section} id="today-title" title=${t('section_today')} items=${today} />
      <${Section} id="upcoming-title" title=${t('section_upcoming')} items=${upcoming} />
      <${Storage} state=${state} />
      <section class="panel" aria-labelledby="account-title">
        <h2 id="account-title">${t('account_title')}</h2>
        <p>${t('signed_in_as', { name: user.display_name || user.username })}</p>
        <p class="muted">${t(`role.${user.role}`)}${user.company ? ` · ${user.company}` : ''}</p>
        <button type="button" class="btn secondary block" onClick=${askLogOut}>${t('logout')}</button>
      </section>
    </main>
    <div class="actionbar" inert=${asking}>
      <button type="button" class="btn secondary" disabled=${sync.running} onClick=${() => syncNow()}>
        ${t('sync_now')}
      </button>
      <button type="button" class="btn primary" disabled=${sync.running} onClick=${() => syncNow({ download: true })}>
        ${t('download')}
      </button>
    </div>
    ${!asking ? null : html`
      <${LogoutSheet} count=${unsynced.count} photos=${unsynced.photos} online=${state.online} onCancel=${() => setUnsynced(null)}
        onConfirm=${async () => { setUnsynced(null); await logOut(); }} />`}`;
}
