// Orders: #/orders (the list: search, filters, paging) and #/orders/{id} (an order: its lines, packing list,
// inspections, open follow-ups and timeline, with what staff can do next). Online only, like every office screen.
import { errorMessage, isNetworkError } from '../../api.js';
import { formatDateTime, t, tn } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { ShipOrder } from './booking.js';
import { Failed, Loaded, NeedsNetwork, OfficeScreen, dash, date, get, useLoad, zh } from './common.js';
import { SectionNav, seesOffice } from './nav.js';

const PER_PAGE = 20;
const ORDER_STATUSES = ['draft', 'confirmed', 'in_production', 'ready_to_ship', 'shipped', 'cancelled'];
// --- the list ---------------------------------------------------------------------------------------------

let remembered = null;  // {user, filters}: the filters as the user left them, until the page is reloaded

/** A merchandiser starts on their own orders ("Mine"); everyone else on all the orders they may see. */
const startingFilters = (user) => ({ q: '', status: '', customer_id: '', factory_id: '', ship_from: '', ship_to: '',
  merchandiser_id: user.role === 'merchandiser' ? user.id : '' });

function query(filters, page) {
  const params = new URLSearchParams({ page: String(page), per_page: String(PER_PAGE) });
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  return `/api/orders?${params}`;
}

function OrderRow({ order }) {
  const status = zh() ? order.inspection_status_zh || order.inspection_status : order.inspection_status;
  return html`
    <li>
      <article class="card order-card" aria-labelledby=${`order-${order.id}`} data-order=${order.id}>
        <h3 id=${`order-${order.id}`}>
          <a class="order-link" href=${`#/orders/${order.id}`}><span class="po-label">${t('field_po')} </span>${order.po_number}</a>
        </h3>
        <dl class="fields">
          <div><dt>${t('field_style')}</dt><dd>${order.style_number}</dd></div>
          <div><dt>${t('field_ship_date')}</dt><dd>${date(order.ship_date)}</dd></div>
          <div class="wide"><dt>${t('office.customer')}</dt><dd>${order.customer.name}</dd></div>
          <div class="wide"><dt>${t('field_factory')}</dt><dd>${order.factory.name}</dd></div>
          <div class="wide"><dt>${t('office.inspection_status')}</dt><dd data-inspection-status>${dash(status)}</dd></div>
        </dl>
      </article>
    </li>`;
}

function Select({ label, value, onChange, options }) {
  return html`
    <label class="field">
      <span>${label}</span>
      <select value=${value} onChange=${(event) => onChange(event.currentTarget.value)}>
        <option value="">${t('office.any')}</option>
        ${options.map(([id, name]) => html`<option key=${id} value=${id}>${name}</option>`)}
      </select>
    </label>`;
}

export function OrdersScreen({ state }) {
  const [filters, setFilters] = useState(() => (remembered?.user === state.user.id ? remembered.filters : startingFilters(state.user)));
  const [draft, setDraft] = useState(filters.q);
  const [result, setResult] = useState(null);  // {items, total, page}
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(false);
  const [catalogue, setCatalogue] = useState({ customers: [], factories: [] });
  const seq = useRef(0);
  const isFactory = state.user.role === 'factory';

  async function load(page = 1) {
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const answer = await get(query(filters, page));
      if (mine !== seq.current) return;
      setResult((before) => ({
        items: page > 1 && before ? [...before.items, ...answer.items] : answer.items,
        total: answer.total, page,
      }));
    } catch (failure) {
      if (mine === seq.current) setError(failure);
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  }

  useEffect(() => { document.title = `${t('office.orders')} · ${t('app_name')}`; }, [state.lang]);
  useEffect(() => {
    remembered = { user: state.user.id, filters };
    if (state.online) load(1);
  }, [filters, state.online]);

  useEffect(() => {
    if (!state.online) return;
    Promise.all([get('/api/customers'), isFactory ? [] : get('/api/factories')])
      .then(([customers, factories]) => setCatalogue({ customers, factories }))
      .catch(() => {});  // the filters are a convenience: the list still works without them
  }, [state.online]);

  const set = (key) => (value) => setFilters({ ...filters, [key]: value });
  const items = result?.items ?? [];
  const names = (list) => list.map((x) => [x.id, x.name]);
  return html`
    <main id="main" tabindex="-1" class="screen" data-screen="orders">
      <${SectionNav} user=${state.user} current="orders" />
      <h1>${t('office.orders')}</h1>
      ${!state.online ? html`<${NeedsNetwork} />` : html`
        ${seesOffice(state.user, 'order-new') ? html`
          <p class="office-actions"><a class="btn primary" href="#/orders/new">${t('office.new_order')}</a></p>` : null}
        <form class="orders-filters" role="search" onSubmit=${(event) => { event.preventDefault(); setFilters({ ...filters, q: draft.trim() }); }}>
          <div class="searchrow">
            <label class="field grow">
              <span class="sr-only">${t('office.search')}</span>
              <input type="search" name="q" value=${draft} placeholder=${t('office.search')} maxlength="100"
                onInput=${(event) => setDraft(event.currentTarget.value)} />
            </label>
            <button type="submit" class="btn primary">${t('office.search_button')}</button>
          </div>
          ${state.user.role === 'merchandiser' ? html`
            <label class="check mine">
              <input type="checkbox" name="mine" checked=${Boolean(filters.merchandiser_id)}
                onChange=${(e) => set('merchandiser_id')(e.currentTarget.checked ? state.user.id : '')} />
              <span>${t('office.mine')}</span>
            </label>` : null}
          <details class="filterbox" open=${Boolean(filters.status || filters.customer_id || filters.factory_id || filters.ship_from || filters.ship_to)}>
            <summary>${t('office.filters')}</summary>
            <div class="filtergrid">
              <${Select} label=${t('office.order_status')} value=${filters.status} onChange=${set('status')}
                options=${ORDER_STATUSES.map((s) => [s, t(`order_status.${s}`)])} />
              <${Select} label=${t('office.customer')} value=${filters.customer_id} onChange=${set('customer_id')}
                options=${names(catalogue.customers)} />
              ${isFactory ? null : html`<${Select} label=${t('field_factory')} value=${filters.factory_id}
                onChange=${set('factory_id')} options=${names(catalogue.factories)} />`}
              <label class="field"><span>${t('office.ship_from')}</span>
                <input type="date" name="ship_from" value=${filters.ship_from} onChange=${(e) => set('ship_from')(e.currentTarget.value)} /></label>
              <label class="field"><span>${t('office.ship_to')}</span>
                <input type="date" name="ship_to" value=${filters.ship_to} onChange=${(e) => set('ship_to')(e.currentTarget.value)} /></label>
            </div>
          </details>
        </form>
        <div role="status" class="orders-count">
          ${loading && !result ? t('loading') : result ? html`
            ${tn('office.count', result.total)}${result.total > items.length ? ` · ${t('office.shown', { shown: items.length, total: result.total })}` : ''}` : null}
        </div>
        ${error ? html`<${Failed} error=${error} onRetry=${() => load(1)} />` : null}
        ${result && !items.length ? html`<p class="empty">${t('office.none')}</p>` : null}
        <ul class="cards">${items.map((order) => html`<${OrderRow} key=${order.id} order=${order} />`)}</ul>
        ${result && result.total > items.length ? html`
          <button type="button" class="btn secondary block more" disabled=${loading} onClick=${() => load(result.page + 1)}>
            ${t('office.more')}
          </button>` : null}`}
    </main>`;
}

// --- an order ---------------------------------------------------------------------------------------------

/** Everything the detail shows, each part on its own: a part the server refuses does not hide the others. */
async function loadOrder(id) {
  const base = `/api/orders/${encodeURIComponent(id)}`;
  const order = await get(base);  // a 404 or no network: nothing to show
  const parts = await Promise.allSettled([get(`${base}/packing-list`), get(`${base}/inspections`),
    get(`${base}/timeline`), get(`/api/follow-ups?order_id=${encodeURIComponent(order.id)}`)]);
  const lost = parts.find((p) => p.status === 'rejected' && isNetworkError(p.reason));
  if (lost) throw lost.reason;
  const [packing, inspections, timeline, followUps] = parts;
  return { order, packing, inspections, timeline, followUps: followUps.status === 'fulfilled' ? followUps.value : [] };
}

function Part({ part, children }) {
  if (part.status === 'fulfilled') return children(part.value);
  if (part.reason?.status === 404) return null;
  return html`<p class="notice error">${t('office.failed', { message: errorMessage(part.reason) })}</p>`;
}

function Lines({ order }) {
  return html`
    <section aria-labelledby="lines-title">
      <h2 id="lines-title">${t('office.lines')}</h2>
      <table class="grid">
        <thead><tr><th scope="col">${t('office.colour')}</th><th scope="col">${t('office.size')}</th>
          <th scope="col">${t('office.sku')}</th><th scope="col" class="num">${t('office.quantity')}</th></tr></thead>
        <tbody>${order.lines.map((line) => html`
          <tr key=${line.id}><td>${line.colour}</td><td>${line.size}</td><td class="sku">${line.sku}</td><td class="num">${line.quantity}</td></tr>`)}
        </tbody>
        <tfoot><tr><th scope="row" colspan="3">${t('office.total')}</th><td class="num">${order.total_quantity}</td></tr></tfoot>
      </table>
    </section>`;
}

function Packing({ part }) {
  const missing = part.status === 'rejected' && part.reason?.status === 404;
  return html`
    <section aria-labelledby="packing-title" data-packing>
      <h2 id="packing-title">${t('office.packing')}</h2>
      ${missing ? html`<p class="empty">${t('office.packing_none')}</p>` : html`<${Part} part=${part}>${(list) => {
        const recon = list.reconciliation || {};
        return html`
          <dl class="fields">
            <div><dt>${t('office.version')}</dt><dd>${list.version}</dd></div>
            <div><dt>${t('office.cartons')}</dt><dd data-cartons>${list.carton_count}</dd></div>
            <div><dt>${t('office.packed_units')}</dt><dd>${list.total_quantity}</dd></div>
            <div><dt>${t('office.imported')}</dt><dd>${formatDateTime(list.imported_at)}</dd></div>
            <div class="wide"><dt>${t('office.file')}</dt><dd>${list.filename}</dd></div>
            ${recon.status ? html`<div class="wide"><dt>${t('office.against_order')}</dt>
              <dd class=${`recon-${recon.status}`} data-recon=${recon.status}>${t(`recon.${recon.status}`)}</dd></div>` : null}
          </dl>
          ${recon.lines?.length ? html`
            <table class="grid recon">
              <caption class="sr-only">${t('office.against_order')}</caption>
              <thead><tr><th scope="col">${t('office.colour')} / ${t('office.size')}</th><th scope="col" class="num">${t('office.ordered')}</th>
                <th scope="col" class="num">${t('office.packed')}</th><th scope="col" class="num">${t('office.difference')}</th></tr></thead>
              <tbody>${recon.lines.map((row) => html`
                <tr key=${row.order_line_id} class=${row.difference ? 'off' : ''}><td>${row.colour} / ${row.size}</td>
                  <td class="num">${row.ordered}</td><td class="num">${row.packed}</td>
                  <td class="num">${row.difference > 0 ? `+${row.difference}` : row.difference}</td></tr>`)}
              </tbody>
            </table>` : null}`;
      }}<//>`}
    </section>`;
}

/** An inspection's result can be opened once it is submitted; a rejected one can be inspected again. */
const RESULT_STATUSES = new Set(['submitted', 'reviewed']);

function Inspections({ part, order, user }) {
  const base = `#/orders/${order.id}`;
  return html`
    <section aria-labelledby="order-inspections-title" data-inspections>
      <h2 id="order-inspections-title">${t('office.inspections')}</h2>
      <${Part} part=${part}>${(list) => {
        // A rejection with a live re-inspection booked needs no second one (the server would refuse it).
        const reinspected = new Set(list.filter((x) => x.reinspection_of_id && x.status !== 'aborted').map((x) => x.reinspection_of_id));
        const mayReinspect = (i) => i.review_decision === 'rejected' && !i.superseded_by_id && !reinspected.has(i.id)
          && seesOffice(user, 'book');
        return !list.length ? html`<p class="empty">${t('office.inspections_none')}</p>` : html`
        <ul class="cards">${list.map((i) => html`
          <li key=${i.id}>
            <article class="card" aria-label=${t(`type.${i.type}`)} data-inspection=${i.id}>
              <h3 class="small-title">${t(`type.${i.type}`)}</h3>
              <dl class="fields">
                <div><dt>${t('office.date')}</dt><dd>${date(i.scheduled_for)}</dd></div>
                <div><dt>${t('field_status')}</dt><dd>${t(`status.${i.status}`)}</dd></div>
                <div><dt>${t('office.verdict')}</dt><dd>${i.verdict ? t(`verdict.${i.verdict}`) : '—'}</dd></div>
                <div><dt>${t('office.decision')}</dt><dd>${i.review_decision ? t(`decision.${i.review_decision}`) : '—'}</dd></div>
              </dl>
              ${i.reinspection_of_id ? html`<p class="muted" data-reinspection>${t('office.is_reinspection')}</p>` : null}
              ${RESULT_STATUSES.has(i.status) || mayReinspect(i) ? html`
                <p class="office-actions">
                  ${RESULT_STATUSES.has(i.status) ? html`
                    <a class="btn secondary small" href=${`${base}/inspections/${i.id}`}>${t('office.open_result')}</a>` : null}
                  ${mayReinspect(i) ? html`
                    <a class="btn secondary small" href=${`${base}/book?reinspection_of=${i.id}`}>${t('office.book_reinspection')}</a>` : null}
                </p>` : null}
            </article>
          </li>`)}
        </ul>`;
      }}<//>
    </section>`;
}

function FollowUps({ items, order }) {
  return html`
    <section aria-labelledby="follow-ups-title" data-follow-ups>
      <h2 id="follow-ups-title">${t('office.follow_ups')}</h2>
      ${items.length ? html`<p><a class="order-link" href=${`#/follow-ups?order_id=${order.id}`}>${t('office.follow_ups_work')}</a></p>` : null}
      ${!items.length ? html`<p class="empty">${t('office.follow_ups_none')}</p>` : html`
        <ul class="plain">${items.map((d) => html`
          <li key=${d.id} class="followup">
            <strong>${d.code}</strong> · ${t(`severity.${d.severity}`)} × ${d.count}
            ${d.location || d.note ? html`<br /><span>${[d.location, d.note].filter(Boolean).join(' · ')}</span>` : null}
            <br /><span class="muted">${t('office.due')}: ${date(d.follow_up_due)}</span>
          </li>`)}
        </ul>`}
    </section>`;
}

function Timeline({ part }) {
  return html`
    <section aria-labelledby="timeline-title" data-timeline>
      <h2 id="timeline-title">${t('office.timeline')}</h2>
      <${Part} part=${part}>${(events) => (!events.length ? html`<p class="empty">${t('office.timeline_none')}</p>` : html`
        <ol class="timeline">${events.map((e) => html`
          <li key=${e.id}><time datetime=${e.at}>${formatDateTime(e.at)}</time> <span>${e.message}</span></li>`)}
        </ol>`)}<//>
    </section>`;
}

export function OrderScreen({ state, ids: [id] }) {
  const load = useLoad(state, () => loadOrder(id), [id]);
  const order = load.data?.order;
  const title = order ? t('office.order_title', { po: order.po_number }) : t('office.orders');
  return html`
    <${OfficeScreen} state=${state} name="order" title=${title} back=${{ href: '#/orders', label: t('office.back') }}>
      <${Loaded} load=${load}>${(data) => html`
        <${OrderFacts} order=${data.order} />
        ${seesOffice(state.user, 'order-edit') ? html`
          <nav class="office-actions" aria-label=${t('office.order_actions')}>
            <a class="btn secondary small" href=${`#/orders/${id}/edit`}>${t('office.edit_order')}</a>
            <a class="btn secondary small" href=${`#/orders/${id}/packing-list`}>${t('office.upload_packing')}</a>
            <a class="btn secondary small" href=${`#/orders/${id}/spec-sheet`}>${t('office.spec_sheet')}</a>
            <a class="btn primary small" href=${`#/orders/${id}/book`}>${t('office.book')}</a>
          </nav>
          <${ShipOrder} order=${data.order} onShipped=${load.reload} />` : null}
        <${Lines} order=${data.order} />
        <${Packing} part=${data.packing} />
        <${Inspections} part=${data.inspections} order=${data.order} user=${state.user} />
        <${FollowUps} items=${data.followUps} order=${data.order} />
        <${Timeline} part=${data.timeline} />`}<//>
    <//>`;
}

function OrderFacts({ order }) {
  const status = zh() ? order.inspection_status_zh || order.inspection_status : order.inspection_status;
  return html`
    <dl class="fields panel-fields">
      <div><dt>${t('field_style')}</dt><dd>${order.style_number}</dd></div>
      <div><dt>${t('field_ship_date')}</dt><dd>${date(order.ship_date)}</dd></div>
      <div class="wide"><dt>${t('office.customer')}</dt><dd>${order.customer.name}</dd></div>
      <div class="wide"><dt>${t('field_factory')}</dt><dd>${order.factory.name}</dd></div>
      <div><dt>${t('office.order_status_label')}</dt><dd>${t(`order_status.${order.status}`)}</dd></div>
      <div><dt>${t('office.destination')}</dt><dd>${dash(order.destination)}</dd></div>
      ${order.factory_batch ? html`<div class="wide"><dt>${t('office.batch')}</dt><dd>${order.factory_batch}</dd></div>` : null}
      ${order.description ? html`<div class="wide"><dt>${t('office.description')}</dt><dd>${order.description}</dd></div>` : null}
      <div class="wide"><dt>${t('office.inspection_status')}</dt><dd>${dash(status)}</dd></div>
    </dl>`;
}
