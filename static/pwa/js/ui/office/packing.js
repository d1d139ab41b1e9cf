// #/orders/{id}/packing-list: import a packing list (装箱单) from CSV or Excel. The file is sent first as a dry
// run (?dry_run=true): what it would give against the order and against the current version is shown before
// anything is replaced; then Import sends the same file for real. A refused file lists every bad row and column,
// and an unknown colour can become one of the customer's colour aliases right there. Replacing a list that
// an open inspection already picked cartons from draws them again: a supervisor's call, with a reason
// (api/inspections/reactions.py redraw_picked_cartons).
import '../../office-packing-strings.js';
import { ApiError, errorMessage, isNetworkError, upload } from '../../api.js';
import { formatDateTime, t, tn } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { ColourAliasesEditor } from './colour-aliases.js';
import { Field, Loaded, OfficeScreen, Progress, dash, get, useLoad, zh } from './common.js';

const ACCEPT = '.csv,.xlsx,.xls,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,'
  + 'application/vnd.ms-excel';
const OPEN = new Set(['scheduled', 'in_progress']);
const REVIEWERS = new Set(['admin', 'supervisor']);  // api/access.py is_reviewer: they may draw cartons again
const signed = (n) => (n > 0 ? `+${n}` : String(n));

/**
 * The order, its current list (null when there is none), its customer (for the aliases) and whether an open
 * inspection already picked cartons from the current list (the server's rule: an open one with a seed).
 */
async function loadScreen(id) {
  const base = `/api/orders/${encodeURIComponent(id)}`;
  const order = await get(base);
  const [current, inspections, customers] = await Promise.allSettled([
    get(`${base}/packing-list`), get(`${base}/inspections`), get('/api/customers')]);
  for (const part of [current, inspections, customers]) {
    if (part.status === 'rejected' && (isNetworkError(part.reason) || part.reason?.status !== 404)) throw part.reason;
  }
  const open = inspections.value.filter((i) => OPEN.has(i.status));
  const details = await Promise.all(open.map((i) => get(`/api/inspections/${encodeURIComponent(i.id)}`)));
  return {
    order,
    current: current.status === 'fulfilled' ? current.value : null,
    customer: customers.value.find((c) => c.id === order.customer.id) || null,
    picked: details.some((i) => i.carton_seed),
  };
}

const kilobytes = (bytes) => (bytes < 1024 ? `${bytes} B` : `${Math.ceil(bytes / 1024).toLocaleString()} KB`);

// A chosen file and its answer belong to one order: another order's address starts afresh.
export const PackingListScreen = (props) => html`<${PackingList} key=${props.ids[0]} ...${props} />`;

function PackingList({ state, ids: [id] }) {
  const load = useLoad(state, () => loadScreen(id), [id]);
  const [file, setFile] = useState(null);
  const [sending, setSending] = useState(null);  // {what: 'check'|'import', fraction}
  const [preview, setPreview] = useState(null);  // the dry run's answer
  const [refusal, setRefusal] = useState(null);  // a 422 with row errors
  const [failure, setFailure] = useState(null);  // {error, what}: anything else that stopped a send
  const [imported, setImported] = useState(null);
  const [cancelled, setCancelled] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState(null);
  const [reasonAsked, setReasonAsked] = useState(false);  // the server asked for one though no picks were seen

  async function sendFile(what, chosen = file) {
    if (!chosen || sending) return;
    setSending({ what, fraction: 0 });
    setFailure(null);
    setRefusal(null);
    setImported(null);
    setCancelled(false);
    if (what === 'check') setPreview(null);
    const body = new FormData();
    body.append('file', chosen, chosen.name);
    if (what === 'import' && reason.trim()) body.append('reason', reason.trim());
    const path = `/api/orders/${encodeURIComponent(id)}/packing-list${what === 'check' ? '?dry_run=true' : ''}`;
    try {
      const answer = await upload(path, { body, onProgress: (fraction) => setSending({ what, fraction }) });
      if (what === 'check') {
        setPreview(answer);
      } else {
        setImported(answer);
        setPreview(null);
        setFile(null);
        setReason('');
        setReasonAsked(false);
        load.reload();
      }
    } catch (error) {
      const rows = error instanceof ApiError && error.status === 422 && Array.isArray(error.problem.errors)
        && error.problem.errors.some((e) => e && typeof e.row === 'number');
      if (rows) {
        setRefusal(error.problem);
        setPreview(null);
      } else if (what === 'import' && error instanceof ApiError
        && (error.problem.field === 'reason' || error.status === 403)) {
        // Cartons were picked since this screen loaded: the reason field, or for a merchandiser the server's
        // word that only a supervisor may replace the list, in place of the Import button.
        setReasonAsked(true);
        setReasonError(errorMessage(error));
      } else {
        setFailure({ error, what });
      }
    } finally {
      setSending(null);
    }
  }

  function choose(event) {
    const [chosen] = event.currentTarget.files || [];
    event.currentTarget.value = '';  // choosing the same (corrected) file again still counts as a choice
    if (!chosen) return;
    setFile(chosen);
    setReasonError(null);
    sendFile('check', chosen);
  }

  function cancel() {
    setPreview(null);
    setFile(null);
    setReason('');
    setReasonError(null);
    setCancelled(true);
  }

  function importNow(data) {
    if ((data.picked || reasonAsked) && !reason.trim()) {
      setReasonError(t('packing.reason_needed'));
      return;
    }
    setReasonError(null);
    sendFile('import');
  }

  const order = load.data?.order;
  return html`
    <${OfficeScreen} state=${state} name="packing-list"
      title=${order ? t('packing.title_po', { po: order.po_number }) : t('office.packing')}
      back=${{ href: `#/orders/${id}`, label: order ? t('office.order_title', { po: order.po_number }) : t('office.back') }}>
      <${Loaded} load=${load}>${(data) => html`
        <${Current} list=${data.current} />
        <${PicksNotice} data=${data} user=${state.user} />
        <${Chooser} file=${file} busy=${Boolean(sending)} onChange=${choose} />
        ${sending ? html`<${Sending} sending=${sending} file=${file} />` : null}
        ${failure ? html`<${SendFailed} failure=${failure} file=${file} onRetry=${() => sendFile(failure.what)} />` : null}
        ${cancelled ? html`<p class="notice" role="status">${t('packing.cancelled')}</p>` : null}
        ${imported ? html`<${Imported} list=${imported} orderId=${id} />` : null}
        ${refusal ? html`<${Refusal} problem=${refusal} data=${data} busy=${Boolean(sending)}
          onCheckAgain=${() => sendFile('check')}
          onCustomer=${(customer) => load.setData({ ...data, customer })} />` : null}
        ${preview && !sending ? html`<${Preview} preview=${preview} data=${data} user=${state.user}
          reason=${reason} onReason=${(value) => { setReason(value); setReasonError(null); }}
          reasonError=${reasonError} reasonAsked=${reasonAsked}
          onImport=${() => importNow(data)} onCancel=${cancel} />` : null}`}
      <//>
    <//>`;
}

function Current({ list }) {
  return html`
    <section aria-labelledby="current-title" class="panel-fields packing-current" data-current>
      <h2 id="current-title" class="small-title">${t('packing.current')}</h2>
      ${!list ? html`<p class="empty">${t('packing.current_none')}</p>` : html`
        <dl class="fields">
          <div><dt>${t('office.version')}</dt><dd data-current-version>${list.version}</dd></div>
          <div><dt>${t('office.cartons')}</dt><dd>${list.carton_count}</dd></div>
          <div><dt>${t('office.packed_units')}</dt><dd>${list.total_quantity}</dd></div>
          <div><dt>${t('office.imported')}</dt><dd>${formatDateTime(list.imported_at)}</dd></div>
          <div class="wide"><dt>${t('office.file')}</dt><dd class="filename">${list.filename}</dd></div>
        </dl>`}
    </section>`;
}

/** Said before anything is chosen: a new list draws the picked cartons again, which only a supervisor may do. */
function PicksNotice({ data, user }) {
  if (!data.picked || !data.current) return null;
  if (REVIEWERS.has(user.role)) return html`<p class="notice warn" data-picks>${t('packing.picks_supervisor')}</p>`;
  return html`
    <div class="notice warn" data-picks>
      <p>${t('packing.supervisor_only')}</p>
      <p>${t('packing.supervisor_only_next')}</p>
    </div>`;
}

function Chooser({ file, busy, onChange }) {
  return html`
    <div class="packing-chooser">
      <label class=${`btn ${file ? 'secondary' : 'primary'} block packing-pick`}>
        ${file ? t('packing.choose_other') : t('packing.choose')}
        <input type="file" class="overlay" name="packing-file" accept=${ACCEPT} disabled=${busy} onChange=${onChange} />
      </label>
      ${file ? html`<p class="packing-file" data-file>${t('packing.chosen', { name: file.name, size: kilobytes(file.size) })}</p>`
        : html`<p class="field-hint">${t('packing.columns_hint')}</p>`}
    </div>`;
}

function Sending({ sending, file }) {
  const label = t(sending.what === 'check' ? 'packing.checking' : 'packing.importing', { name: file?.name ?? '' });
  return html`
    <div class="packing-progress" data-sending=${sending.what}>
      <${Progress} fraction=${sending.fraction} label=${label} />
      ${sending.fraction >= 1 ? html`<p class="muted">${t('packing.server_reading')}</p>` : null}
    </div>`;
}

/** A send that did not arrive or was refused as a whole: nothing was imported; the same file can go again. */
function SendFailed({ failure, file, onRetry }) {
  const { error, what } = failure;
  const lost = isNetworkError(error);
  const text = lost ? t('packing.upload_failed', { message: errorMessage(error) })
    : t('packing.refused_whole', { message: errorMessage(error) });
  return html`
    <div class="notice error" role="alert" data-send-failed>
      <p>${text}</p>
      ${lost && file ? html`
        <button type="button" class="btn secondary small" onClick=${onRetry}>
          ${what === 'check' ? t('packing.retry_check') : t('packing.retry_import')}
        </button>` : null}
    </div>`;
}

function Imported({ list, orderId }) {
  const status = list.reconciliation?.status;
  return html`
    <div class="notice ok" role="status" data-imported>
      <p>${t('packing.imported', { version: list.version, cartons: list.carton_count, units: list.total_quantity })}
        ${status ? ` ${t(`recon.${status}`)}.` : ''}</p>
      <p class="office-actions"><a class="btn primary small" href=${`#/orders/${orderId}`}>${t('packing.open_order')}</a></p>
    </div>`;
}

// --- the dry run's answer -------------------------------------------------------------------------------

/** A table that may scroll sideways on a phone: the scrolling box can be reached and scrolled by keyboard. */
function Wide({ label, children }) {
  return html`<div class="table-wrap" tabindex="0" role="group" aria-label=${label}>${children}</div>`;
}

function LineName({ row }) {
  return html`<span class="line-name">${row.colour} / ${row.size}</span> <span class="line-sku">${row.sku}</span>`;
}

function Reconciliation({ recon }) {
  return html`
    <${Wide} label=${t('office.against_order')}>
      <table class="grid recon" data-reconciliation>
        <caption class="sr-only">${t('office.against_order')}</caption>
        <thead><tr><th scope="col">${t('office.colour')} / ${t('office.size')}</th>
          <th scope="col" class="num">${t('office.ordered')}</th><th scope="col" class="num">${t('office.packed')}</th>
          <th scope="col" class="num">${t('office.difference')}</th></tr></thead>
        <tbody>${recon.lines.map((row) => html`
          <tr key=${row.order_line_id} class=${row.difference ? 'off' : ''} data-line=${row.sku}>
            <th scope="row"><${LineName} row=${row} /></th><td class="num">${row.ordered}</td>
            <td class="num">${row.packed}</td><td class="num">${signed(row.difference)}</td></tr>`)}
        </tbody>
        <tfoot><tr><th scope="row">${t('office.total')}</th><td class="num">${recon.total_ordered}</td>
          <td class="num">${recon.total_packed}</td>
          <td class="num">${signed(recon.total_packed - recon.total_ordered)}</td></tr></tfoot>
      </table>
    <//>`;
}

function Changes({ preview }) {
  const changed = preview.changes.filter((c) => c.difference);
  if (!changed.length) return html`<p class="empty" data-changes>${t('packing.no_changes', { version: preview.replaces_version })}</p>`;
  return html`
    <${Wide} label=${t('packing.changes_title', { version: preview.replaces_version })}>
      <table class="grid" data-changes>
        <caption class="sr-only">${t('packing.changes_title', { version: preview.replaces_version })}</caption>
        <thead><tr><th scope="col">${t('office.colour')} / ${t('office.size')}</th>
          <th scope="col" class="num">${t('packing.now_version', { version: preview.replaces_version })}</th>
          <th scope="col" class="num">${t('packing.new_in_version', { version: preview.version })}</th>
          <th scope="col" class="num">${t('packing.change')}</th></tr></thead>
        <tbody>${changed.map((c) => html`
          <tr key=${c.order_line_id} data-line=${c.sku}>
            <th scope="row"><${LineName} row=${c} /></th><td class="num">${c.current_packed}</td>
            <td class="num">${c.packed}</td><td class="num">${signed(c.difference)}</td></tr>`)}
        </tbody>
      </table>
    <//>
    ${changed.length < preview.changes.length ? html`
      <p class="muted">${tn('packing.unchanged', preview.changes.length - changed.length)}</p>` : null}`;
}

/** The answer to a send, brought into view: on a phone it appears below the fold. */
function useShown() {
  const ref = useRef(null);
  useEffect(() => { ref.current?.scrollIntoView?.({ block: 'start', behavior: 'smooth' }); }, []);
  return ref;
}

function Preview({ preview, data, user, reason, onReason, reasonError, reasonAsked, onImport, onCancel }) {
  const shown = useShown();
  const recon = preview.reconciliation;
  const redraw = (data.picked && preview.replaces_version) || reasonAsked;
  const blocked = redraw && !REVIEWERS.has(user.role);
  return html`
    <section aria-labelledby="preview-title" class="packing-preview" data-preview ref=${shown}>
      <h2 id="preview-title">${t('packing.preview_title')}</h2>
      <p class="notice" role="status">${t('packing.preview_note')}</p>
      <dl class="fields panel-fields">
        <div class="wide"><dt>${t('office.file')}</dt><dd class="filename">${preview.filename}</dd></div>
        <div><dt>${t('packing.new_version')}</dt><dd data-new-version>${preview.version}</dd></div>
        <div><dt>${t('packing.replaces')}</dt>
          <dd data-replaces>${preview.replaces_version ? t('packing.version_n', { version: preview.replaces_version }) : t('packing.replaces_none')}</dd></div>
        <div><dt>${t('office.cartons')}</dt><dd data-preview-cartons>${preview.carton_count}</dd></div>
        <div><dt>${t('office.packed_units')}</dt><dd data-preview-units>${preview.total_quantity}</dd></div>
        <div class="wide"><dt>${t('office.against_order')}</dt>
          <dd class=${`recon-${recon.status}`} data-recon=${recon.status}>${t(`recon.${recon.status}`)}</dd></div>
      </dl>
      <h3 class="small-title packing-sub">${t('office.against_order')}</h3>
      <${Reconciliation} recon=${recon} />
      ${preview.replaces_version ? html`
        <h3 class="small-title packing-sub">${t('packing.changes_title', { version: preview.replaces_version })}</h3>
        <${Changes} preview=${preview} />` : null}
      ${redraw && !blocked ? html`
        <div class="packing-reason">
          <p class="notice warn">${t('packing.redraw_warning')}</p>
          <${Field} as="textarea" label=${t('packing.reason')} name="reason" value=${reason} onValue=${onReason}
            error=${reasonError} hint=${t('packing.reason_hint')} maxlength="1000" rows="3" required />
        </div>` : null}
      ${blocked ? html`
        <div class="notice warn" role="alert" data-blocked>
          <p>${reasonError || t('packing.supervisor_only')}</p>
          <p>${t('packing.supervisor_only_next')}</p>
        </div>` : null}
      <p class="office-actions">
        ${blocked ? null : html`
          <button type="button" class="btn primary" onClick=${onImport}>${t('packing.import', { version: preview.version })}</button>`}
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('packing.cancel')}</button>
      </p>
    </section>`;
}

// --- a refused file -------------------------------------------------------------------------------------

/** The distinct unknown colours, each with the rows that name it, in the order they first appear. */
function unknownColours(errors) {
  const found = new Map();
  for (const e of errors) {
    if (e.kind !== 'unknown_colour' || !e.value) continue;
    const key = e.value.trim().toLowerCase();
    if (!found.has(key)) found.set(key, { value: e.value.trim(), rows: [] });
    found.get(key).rows.push(e.row);
  }
  return [...found.values()];
}

function Refusal({ problem, data, busy, onCheckAgain, onCustomer }) {
  const shown = useShown();
  const [aliasFor, setAliasFor] = useState(null);
  const [saved, setSaved] = useState(false);
  const errors = problem.errors || [];
  const count = problem.error_count ?? errors.length;
  const colours = unknownColours(errors);
  const orderColours = [...new Set(data.order.lines.map((line) => line.colour))];
  return html`
    <section aria-labelledby="refusal-title" class="packing-refusal" data-refusal ref=${shown}>
      <h2 id="refusal-title">${t('packing.errors_title')}</h2>
      <div class="notice error" role="alert">
        <p>${[tn('packing.errors_count', count), t('packing.nothing_imported')].join(zh() ? '' : ' ')}</p>
        ${count > errors.length ? html`<p>${t('packing.errors_first', { shown: errors.length })}</p>` : null}
      </div>
      <p class="field-hint">${t('packing.errors_next')}</p>
      ${colours.length ? html`
        <div class="packing-colours" data-unknown-colours>
          <h3 class="small-title packing-sub">${t('packing.unknown_title')}</h3>
          <ul class="plain">${colours.map((c) => html`
            <li key=${c.value} class="unknown-colour" data-unknown=${c.value}>
              <span>${t('packing.unknown_colour', { colour: c.value, rows: c.rows.join(zh() ? '、' : ', ') })}</span>
              ${data.customer ? html`
                <button type="button" class="btn secondary small" aria-expanded=${aliasFor === c.value ? 'true' : 'false'}
                  onClick=${() => { setAliasFor(c.value); setSaved(false); }}>
                  ${t('packing.add_alias', { colour: c.value })}
                </button>` : null}
            </li>`)}
          </ul>
          ${aliasFor && data.customer ? html`
            <${ColourAliasesEditor} customer=${data.customer} orderColours=${orderColours} suggest=${aliasFor}
              onSaved=${(customer) => { onCustomer(customer); setSaved(true); }} />` : null}
        </div>` : null}
      ${saved ? html`<p class="notice ok" data-check-hint>${t('packing.aliases_saved_next')}</p>` : null}
      <p class="office-actions">
        <button type="button" class=${`btn ${saved ? 'primary' : 'secondary'}`} disabled=${busy} onClick=${onCheckAgain}>
          ${t('packing.check_again')}
        </button>
      </p>
      <${Wide} label=${t('packing.errors_title')}>
        <table class="grid packing-errors" data-errors>
          <caption class="sr-only">${t('packing.errors_title')}</caption>
          <thead><tr><th scope="col" class="num">${t('packing.row')}</th><th scope="col">${t('packing.column')}</th>
            <th scope="col">${t('packing.problem')}</th></tr></thead>
          <tbody>${errors.map((e, index) => html`
            <tr key=${index} data-row=${e.row} data-column=${e.column}>
              <td class="num">${e.row ? e.row : t('packing.whole_file')}</td><td>${dash(e.column)}</td>
              <td>${(zh() && e.message_zh) || e.message}</td></tr>`)}
          </tbody>
        </table>
      <//>
    </section>`;
}
