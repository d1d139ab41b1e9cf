// Booking an inspection (#/orders/{id}/book; ?reinspection_of={iid} books the re-inspection of a rejected one)
// and marking an order shipped (ShipOrder, on the order's page). The booking's id is made here, once per screen,
// so pressing the button again after the network dropped replays the same booking instead of making a second.
import '../../office-forms-strings.js';
import { ApiError, errorMessage, isNetworkError } from '../../api.js';
import { t, tn } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { Failed, Field, FormError, NeedsNetwork, OfficeScreen, date, fieldErrors, get, send } from './common.js';

const TYPES = ['pre_shipment', 'in_process', 'pre_production', 'container_loading'];
// Who may be assigned an inspection (api/access.py ASSIGNABLE); inspectors come first, they do most of them.
const ASSIGNABLE = ['inspector', 'merchandiser', 'supervisor', 'admin'];
const SHOWN = 20;  // people listed at once: a longer list is narrowed by typing, not scrolled

async function loadBooking(orderId, reinspectionOf) {
  const base = `/api/orders/${encodeURIComponent(orderId)}`;
  const [order, people, inspections] = await Promise.all([
    get(base), get('/api/people'), reinspectionOf ? get(`${base}/inspections`) : []]);
  return { order, people, original: inspections.find((i) => i.id === reinspectionOf) ?? null };
}

const rank = (person) => ASSIGNABLE.indexOf(person.role);

function matches(person, words) {
  const text = `${person.display_name} ${person.company ?? ''} ${t(`role.${person.role}`)}`.toLowerCase();
  return words.every((word) => text.includes(word));
}

function People({ people, value, onValue, error }) {
  const [query, setQuery] = useState('');
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const found = people.filter((p) => matches(p, words));
  const shown = found.slice(0, SHOWN);
  const picked = people.find((p) => p.id === value);
  // The one picked stays on the list while the search looks for someone else.
  if (picked && !shown.includes(picked)) shown.unshift(picked);
  return html`
    <fieldset class=${`people${error ? ' invalid' : ''}`} aria-describedby=${error ? 'assignee-error' : null}>
      <legend>${t('book.assignee')}</legend>
      <label class="field">
        <span>${t('book.find')}</span>
        <input type="search" name="find-person" value=${query} autocomplete="off" maxlength="100"
          onInput=${(event) => setQuery(event.currentTarget.value)} />
      </label>
      <p class="people-count" role="status">
        ${found.length ? tn('book.matches', found.length) : t('book.nobody_matches')}
        ${found.length > SHOWN ? html` ${t('book.more_matches', { shown: SHOWN })}` : null}
      </p>
      <ul class="plain people-list">
        ${shown.map((person) => html`
          <li key=${person.id}>
            <label class="person">
              <input type="radio" name="assignee_id" value=${person.id} checked=${person.id === value}
                aria-invalid=${error ? 'true' : null} onChange=${() => onValue(person.id)} />
              <span class="dot" aria-hidden="true"></span>
              <span class="person-words">
                <span class="person-name">${person.display_name}</span>
                <span class="person-meta">${t(`role.${person.role}`)} · ${person.company || t('book.company_none')}</span>
              </span>
            </label>
          </li>`)}
      </ul>
      ${error ? html`<p class="field-error" id="assignee-error">${error}</p>` : null}
    </fieldset>`;
}

function Reinspects({ original, error }) {
  if (!original) {
    return html`<div class="notice error" data-reinspects><p>${error || t('book.reinspects_missing')}</p></div>`;
  }
  const when = original.reviewed_at ? t('book.reinspects_when', { date: date(original.reviewed_at.slice(0, 10)) }) : '';
  const day = date(original.scheduled_for || original.created_at.slice(0, 10));
  return html`
    <div class=${`notice ${error ? 'error' : 'warn'}`} data-reinspects=${original.id}>
      <p>${t('book.reinspects', { type: t(`type.${original.type}`), date: day, when })}</p>
      ${error ? html`<p class="field-error" role="alert">${error}</p>` : null}
    </div>`;
}

export function BookScreen({ state, ids: [orderId], params = {} }) {
  const reinspectionOf = params.reinspection_of || null;
  const [data, setData] = useState(null);
  const [loadError, setLoadError] = useState(null);

  const screen = `${orderId}/${reinspectionOf}`;  // a new address (?reinspection_of=…) is a new booking

  async function load() {
    setLoadError(null);
    try {
      setData({ ...(await loadBooking(orderId, reinspectionOf)), screen });
    } catch (failure) {
      setLoadError(failure);
    }
  }
  // Loaded once per address: what was picked stays when the network comes and goes.
  useEffect(() => { if (state.online && data?.screen !== screen) load(); }, [screen, state.online]);

  const title = reinspectionOf ? t('book.reinspection_title') : t('book.title');
  const po = data?.order.po_number;
  const back = { href: `#/orders/${orderId}`, label: po ? t('forms.back_order', { po }) : t('office.back') };
  const heading = html`${title}${po ? html` <span class="title-po">· ${po}</span>` : null}`;
  return html`
    <${OfficeScreen} state=${state} name="book" title=${title} heading=${heading} back=${back} keepOffline>
      ${data?.screen === screen ? html`<${BookingForm} key=${screen} state=${state} data=${data}
        reinspectionOf=${reinspectionOf} />`
        : !state.online ? html`<${NeedsNetwork} />`
        : loadError ? html`<${Failed} error=${loadError} onRetry=${load} />`
        : html`<p role="status">${t('loading')}</p>`}
    <//>`;
}

function BookingForm({ state, data, reinspectionOf }) {
  const { order, original } = data;
  const bookingId = useRef(crypto.randomUUID());  // one booking per screen: a retry is its replay
  const [type, setType] = useState(original?.type ?? 'pre_shipment');
  const [day, setDay] = useState('');
  const [assignee, setAssignee] = useState('');
  const [missing, setMissing] = useState({});  // what the browser found missing: {field: string key}
  const [failure, setFailure] = useState(null);  // the server's refusal, said in the UI's language when shown
  const [notice, setNotice] = useState(null);
  const [saving, setSaving] = useState(false);
  const form = useRef(null);
  const people = data.people.filter((p) => ASSIGNABLE.includes(p.role))
    .sort((a, b) => rank(a) - rank(b) || a.display_name.localeCompare(b.display_name));

  const errors = { ...(failure ? fieldErrors(failure) : {}),
    ...Object.fromEntries(Object.entries(missing).map(([name, key]) => [name, t(key)])) };
  const reveal = useRef(false);
  useEffect(() => {
    if (!reveal.current) return;
    reveal.current = false;
    const invalid = form.current?.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    else form.current?.querySelector('[data-reinspects], [data-form-error], [data-notice]')?.scrollIntoView({ block: 'center' });
  }, [missing, failure, notice]);
  // A field's mark goes once the user changes it.
  const changed = (name, setter) => (value) => {
    setter(value);
    setMissing(({ [name]: _, ...rest }) => rest);
    if (failure && fieldErrors(failure)[name]) setFailure(null);
  };

  async function submit(event) {
    event.preventDefault();
    if (saving) return;
    setNotice(null);
    setFailure(null);
    const absent = {};
    if (!day) absent.scheduled_for = 'forms.required';
    if (!assignee) absent.assignee_id = 'book.pick_someone';
    reveal.current = true;
    setMissing(absent);
    if (Object.keys(absent).length) return;
    const body = { id: bookingId.current, type, assignee_id: assignee, scheduled_for: day };
    if (reinspectionOf) body.reinspection_of_id = reinspectionOf;
    setSaving(true);
    try {
      await send('POST', `/api/orders/${order.id}/inspections`, body);
      location.hash = `#/orders/${order.id}`;
    } catch (error) {
      reveal.current = true;
      if (isNetworkError(error)) setNotice({ kind: 'warn', key: 'book.not_booked_offline' });
      else if (error instanceof ApiError && error.status === 409 && error.problem.current?.id === bookingId.current) {
        setNotice({ kind: 'warn', key: 'book.booked_before', link: true });
      } else setFailure(error);
    } finally {
      setSaving(false);
    }
  }

  return html`
    <form ref=${form} class="booking-form" noValidate onSubmit=${submit} aria-busy=${saving ? 'true' : 'false'}>
      ${!state.online ? html`<p class="notice warn" data-needs-network>${t('forms.offline_keep')}</p>` : null}
      ${reinspectionOf ? html`<${Reinspects} original=${original} error=${errors.reinspection_of_id} />` : null}
      <div class="form-grid">
        <${Field} as="select" name="type" label=${t('book.type')} value=${type} onValue=${changed('type', setType)} error=${errors.type}
          options=${TYPES.map((k) => [k, t(`type.${k}`)])} />
        <${Field} type="date" name="scheduled_for" label=${t('book.date')} value=${day} onValue=${changed('scheduled_for', setDay)}
          error=${errors.scheduled_for} required />
      </div>
      <${People} people=${people} value=${assignee} onValue=${changed('assignee_id', setAssignee)} error=${errors.assignee_id} />
      <${FormError} errors=${errors} />
      ${notice ? html`
        <div class=${`notice ${notice.kind}`} role="alert" data-notice>
          <p>${t(notice.key)}</p>
          ${notice.link ? html`<a class="order-link" href=${`#/orders/${order.id}`}>${t('book.open_order')}</a>` : null}
        </div>` : null}
      <p class="office-actions form-actions">
        <button type="submit" class="btn primary" disabled=${saving}>
          ${saving ? t('book.booking') : reinspectionOf ? t('book.submit_reinspection') : t('book.submit')}
        </button>
        <a class="btn secondary" href=${`#/orders/${order.id}`}>${t('forms.cancel')}</a>
      </p>
    </form>`;
}

// --- marking an order shipped -------------------------------------------------------------------------------

/** "Mark shipped" on an order's page: asked once more, then sent with the order's version. The shipping guard's
 * refusal (its latest pre-shipment inspection not accepted) is shown beside the button, in the UI's language. */
export function ShipOrder({ order, onShipped }) {
  const [step, setStep] = useState('idle');  // idle, confirm, sending
  const [failure, setFailure] = useState(null);
  const yes = useRef(null);
  const mark = useRef(null);

  useEffect(() => {
    if (step === 'confirm') yes.current?.focus();
  }, [step]);

  if (order.status === 'shipped' || order.status === 'cancelled') return null;

  async function ship() {
    setStep('sending');
    setFailure(null);
    try {
      await send('PATCH', `/api/orders/${order.id}`, { version: order.version, status: 'shipped' });
      setStep('idle');
      onShipped?.();
    } catch (error) {
      setFailure(error);
      setStep('idle');
      requestAnimationFrame(() => mark.current?.focus());
    }
  }

  const stale = failure instanceof ApiError && failure.status === 409;
  const message = !failure ? null : isNetworkError(failure) ? t('ship.offline') : stale ? t('ship.stale')
    : errorMessage(failure);  // the guard's own words: why the order cannot ship
  return html`
    <div class="ship-order" data-ship>
      ${step === 'idle' ? html`
        <button type="button" ref=${mark} class="btn secondary small" onClick=${() => { setFailure(null); setStep('confirm'); }}>
          ${t('ship.mark')}
        </button>` : html`
        <div class="notice warn ship-confirm">
          <p id="ship-question">${t('ship.confirm', { po: order.po_number })}</p>
          <p class="office-actions">
            <button type="button" ref=${yes} class="btn primary small" disabled=${step === 'sending'}
              aria-describedby="ship-question" onClick=${ship}>
              ${step === 'sending' ? t('ship.sending') : t('ship.yes')}
            </button>
            <button type="button" class="btn secondary small" disabled=${step === 'sending'}
              onClick=${() => { setStep('idle'); requestAnimationFrame(() => mark.current?.focus()); }}>
              ${t('ship.no')}
            </button>
          </p>
        </div>`}
      ${message ? html`
        <div class="notice error" role="alert" data-ship-refused>
          <p>${message}</p>
          ${stale ? html`<button type="button" class="btn secondary small" onClick=${() => { setFailure(null); onShipped?.(); }}>
            ${t('ship.reload')}</button>` : null}
        </div>` : null}
    </div>`;
}
