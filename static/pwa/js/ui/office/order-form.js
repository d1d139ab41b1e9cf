// An order and its lines in a form: #/orders/new creates one, #/orders/{id}/edit changes one. The server is the
// authority: what it refuses is marked at the field it names ("lines[2].gtin" is line 3's GTIN), and nothing the
// user typed is lost, not on a refusal, not when the network drops mid-save, not when someone else changed the
// order meanwhile (409: their changes can be loaded while the user's own stay in the form).
import '../../office-forms-strings.js';
import { ApiError, isNetworkError } from '../../api.js';
import { t, tn } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { Failed, Field, FormError, NeedsNetwork, OfficeScreen, fieldErrors, get, send } from './common.js';

const STATUSES = ['draft', 'confirmed', 'in_production', 'ready_to_ship', 'shipped', 'cancelled'];
const LEVELS = ['S-1', 'S-2', 'S-3', 'S-4', 'I', 'II', 'III'];
const AQLS = ['0', '0.065', '0.1', '0.15', '0.25', '0.4', '0.65', '1.0', '1.5', '2.5', '4.0', '6.5', '10'];
// Without a setting on the order or the customer, the server samples at these (api/inspections/services.py).
const GARMENT_DEFAULTS = { aql_level: 'II', aql_critical: '0', aql_major: '2.5', aql_minor: '4.0' };
const AQL_FIELDS = Object.keys(GARMENT_DEFAULTS);
// The columns' limits (api/orders/schemas.py): the browser stops typing there; the server checks again.
const MAX = { po_number: 60, style_number: 60, factory_batch: 60, description: 4000, destination: 200,
  colour: 80, size: 40, sku: 80, gtin: 24 };
const QUANTITY_MAX = 10_000_000;
const FIELDS = ['customer_id', 'factory_id', 'po_number', 'style_number', 'factory_batch', 'description', 'ship_date',
  'destination', 'status', 'merchandiser_id', ...AQL_FIELDS];
const LABELS = { customer_id: 'forms.customer', factory_id: 'forms.factory', po_number: 'forms.po',
  style_number: 'forms.style', factory_batch: 'forms.batch', description: 'forms.description',
  ship_date: 'forms.ship_date', destination: 'forms.destination', status: 'forms.status',
  merchandiser_id: 'forms.merchandiser', aql_level: 'forms.aql_level', aql_critical: 'forms.aql_critical',
  aql_major: 'forms.aql_major', aql_minor: 'forms.aql_minor' };
const LINE_FIELDS = ['colour', 'size', 'sku', 'quantity', 'gtin'];
// Empty means "none" for these: the server takes null (no date, nobody, the customer's sampling).
const NULLABLE = new Set(['ship_date', 'merchandiser_id', ...AQL_FIELDS]);

let lineKeys = 0;
const nextKey = () => `line-${++lineKeys}`;

/** The form's values (all strings, as the inputs hold them) of an order, or of a new one. */
function formOf(order, user) {
  const values = {};
  for (const name of FIELDS) values[name] = order?.[name] ?? '';
  if (!order) {
    values.status = 'confirmed';
    if (user.role === 'merchandiser') values.merchandiser_id = user.id;
  }
  values.customer_id = order?.customer?.id ?? values.customer_id ?? '';
  values.factory_id = order?.factory?.id ?? values.factory_id ?? '';
  return values;
}

const lineOf = (line) => ({ key: nextKey(), id: line?.id ?? null, colour: line?.colour ?? '', size: line?.size ?? '',
  sku: line?.sku ?? '', quantity: line ? String(line.quantity) : '', gtin: line?.gtin ?? '' });

/** What the server takes for a field: trimmed text, null for an empty date, person or sampling setting. */
function valueOf(name, text) {
  const trimmed = typeof text === 'string' && name !== 'description' ? text.trim() : text;
  return NULLABLE.has(name) && !trimmed ? null : trimmed;
}

const lineBody = (line) => ({ colour: line.colour.trim(), size: line.size.trim(), sku: line.sku.trim(),
  quantity: Number(line.quantity), gtin: line.gtin.trim() || null });

/** The fields of `values` that differ from `before`, as the server takes them. */
function changedFields(values, before) {
  const changed = {};
  for (const name of FIELDS) {
    const now = valueOf(name, values[name]);
    if (now !== valueOf(name, before[name])) changed[name] = now;
  }
  return changed;
}

function changedLine(line, before) {
  const now = lineBody(line);
  const was = lineBody(before);
  return Object.fromEntries(LINE_FIELDS.filter((k) => now[k] !== was[k]).map((k) => [k, now[k]]));
}

/** The browser's checks before anything is sent: what is required, and whole quantities of at least 1. */
function check(values, lines) {
  const errors = {};
  for (const name of ['customer_id', 'factory_id', 'po_number', 'style_number']) {
    if (!String(values[name]).trim()) errors[name] = () => t('forms.required');
  }
  lines.forEach((line, i) => {
    for (const name of ['colour', 'size', 'sku', 'quantity']) {
      if (!String(line[name]).trim()) errors[`lines[${i}].${name}`] = () => t('forms.required');
    }
    const quantity = Number(line.quantity);
    if (String(line.quantity).trim() && !(Number.isInteger(quantity) && quantity >= 1 && quantity <= QUANTITY_MAX)) {
      errors[`lines[${i}].quantity`] = () => t('forms.quantity_min');
    }
  });
  return errors;
}

/**
 * The server's refusal by field, each message said in the UI's language when shown (not when it came): {name: () =>
 * message}. `place` renames a field: a line's own call names "gtin", which is "lines[2].gtin" in the form.
 */
function serverErrors(error, place = (key) => key) {
  const found = {};
  for (const key of Object.keys(fieldErrors(error))) found[place(key)] = () => fieldErrors(error)[key];
  return found;
}

const lineErrors = (error, index) => serverErrors(error,
  (key) => (key ? `lines[${index}].${key.replace(/^.*\./, '')}` : `lines[${index}]`));

/** An error as the fields show it: a message made in the UI's language now. */
const say = (message) => (typeof message === 'function' ? message() : message);

// --- the screen -------------------------------------------------------------------------------------------

async function loadForm(id) {
  const [customers, factories, merchandisers, order] = await Promise.all([
    get('/api/customers'), get('/api/factories'), get('/api/people?role=merchandiser'),
    id ? get(`/api/orders/${encodeURIComponent(id)}`) : null]);
  return { customers, factories, merchandisers, order };
}

export function OrderFormScreen({ state, ids }) {
  const id = ids?.[0] ?? null;
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);

  async function load() {
    setError(null);
    try {
      setData({ ...(await loadForm(id)), id });
    } catch (failure) {
      setError(failure);
    }
  }
  // Loaded once per order: a form being typed in must not be replaced when the network comes back.
  useEffect(() => { if (state.online && data?.id !== id) load(); }, [id, state.online]);

  const po = data?.order?.po_number;
  const title = id ? t('forms.edit_title', { po: po ?? '' }) : t('forms.new_title');
  const back = id ? { href: `#/orders/${id}`, label: po ? t('forms.back_order', { po }) : t('office.back') }
    : { href: '#/orders', label: t('office.back') };
  return html`
    <${OfficeScreen} state=${state} name=${id ? 'order-edit' : 'order-new'} title=${title} back=${back} keepOffline>
      ${data?.id === id ? html`<${OrderForm} key=${id || 'new'} state=${state} data=${data} cancel=${back.href} />`
        : !state.online ? html`<${NeedsNetwork} />`
        : error ? html`<${Failed} error=${error} onRetry=${load} />`
        : html`<p role="status">${t('loading')}</p>`}
    <//>`;
}

function OrderForm({ state, data, cancel }) {
  const editing = Boolean(data.order);
  const orderId = useRef(crypto.randomUUID());  // one order per form: sent again after a lost answer, a replay
  const [base, setBase] = useState(data.order);  // the server's copy the edit is based on (its version)
  const [values, setValues] = useState(() => formOf(data.order, state.user));
  const [lines, setLines] = useState(() => (data.order ? data.order.lines.map(lineOf) : [lineOf(null)]));
  const [removed, setRemoved] = useState([]);  // saved lines the user took out, deleted on save
  const [errors, setErrors] = useState({});
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState(null);  // {kind: 'warn'|'error'|'ok', key}: what came of the last save
  const [stale, setStale] = useState(null);  // the server's copy after a 409
  const [poTaken, setPoTaken] = useState(null);  // {id, po_number} of the order that holds the PO number
  const form = useRef(null);
  const reveal = useRef(false);  // after a save: show what came of it (not while the user types)

  useEffect(() => {
    if (!reveal.current) return;
    reveal.current = false;
    // The first field to fix, else the words about the save, which on a phone may be out of sight.
    const invalid = form.current?.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    else form.current?.querySelector('[data-stale], [data-form-error], [data-notice]')?.scrollIntoView({ block: 'center' });
  }, [errors, stale, notice]);

  // A field's mark goes once the user changes it: the message was about what it held before.
  const unmark = (name) => setErrors((before) => {
    if (!(name in before)) return before;
    const { [name]: _, ...rest } = before;
    return rest;
  });
  const set = (name) => (value) => {
    setValues((before) => ({ ...before, [name]: value }));
    unmark(name);
  };
  const setLine = (key, name) => (value) => {
    setLines((before) => before.map((l) => (l.key === key ? { ...l, [name]: value } : l)));
    const index = lines.findIndex((l) => l.key === key);
    unmark(`lines[${index}].${name}`);
  };
  const baseLines = new Map((base?.lines ?? []).map((l) => [l.id, l]));

  function removeLine(line) {
    setLines((before) => before.filter((l) => l.key !== line.key));
    if (line.id) setRemoved((before) => [...before, line]);
    setErrors({});  // the places of the lines after it moved: their marks would point at other lines
  }

  function addLine() {
    setLines((before) => [...before, lineOf(null)]);
    // The new line's first field, so the keyboard (or a phone's) is where the typing goes.
    requestAnimationFrame(() => {
      const all = form.current?.querySelectorAll('fieldset.line-card');
      all?.[all.length - 1]?.querySelector('input')?.focus();
    });
  }

  function refused(found) {
    reveal.current = true;
    setErrors(found);
  }

  function tell(kind, key) {
    reveal.current = true;
    setNotice({ kind, key });
  }

  async function lookUpPo(po) {
    try {
      const query = new URLSearchParams({ q: po, customer_id: values.customer_id, per_page: '5' });
      const found = (await get(`/api/orders?${query}`)).items.find((o) => o.po_number === po && o.id !== base?.id);
      setPoTaken(found ?? null);
    } catch {
      setPoTaken(null);  // the link is a convenience; the refusal is shown anyway
    }
  }

  function failed(error) {
    if (isNetworkError(error)) {
      tell('warn', 'forms.not_saved_offline');
      return;
    }
    const found = serverErrors(error);
    if (found.po_number && error.status === 409) lookUpPo(valueOf('po_number', values.po_number));
    refused(found);
  }

  async function create() {
    const body = { id: orderId.current, lines: lines.map(lineBody) };
    for (const name of FIELDS) if (name !== 'status') body[name] = valueOf(name, values[name]);
    try {
      const order = await send('POST', '/api/orders', body);
      location.hash = `#/orders/${order.id}`;
    } catch (error) {
      failed(error);
    }
  }

  async function update() {
    const before = formOf(base, state.user);
    const changed = changedFields(values, before);
    const edits = lines.map((line, index) => ({ line, index, changes: line.id && baseLines.has(line.id)
      ? changedLine(line, lineOf(baseLines.get(line.id))) : null }));
    const ops = [
      ...removed.map((line) => ({ kind: 'delete', line })),
      ...edits.filter((e) => e.changes && Object.keys(e.changes).length).map((e) => ({ kind: 'patch', ...e })),
      ...edits.filter((e) => !e.line.id).map((e) => ({ kind: 'post', ...e })),
    ];
    if (!Object.keys(changed).length && !ops.length) {
      tell('warn', 'forms.nothing_changed');
      return;
    }
    let current = base;
    try {
      if (Object.keys(changed).length) {
        current = await send('PATCH', `/api/orders/${base.id}`, { version: base.version, ...changed });
      } else {
        // The line calls take no version: make sure nobody changed the order since it was loaded.
        const fresh = await get(`/api/orders/${base.id}`);
        if (fresh.version !== base.version) {
          reveal.current = true;
          setStale(fresh);
          return;
        }
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.problem.current && !error.problem.field) {
        reveal.current = true;
        setStale(error.problem.current);
        return;
      }
      failed(error);
      return;
    }
    // Each line call is its own write: what succeeded becomes part of the base, so saving again sends only the rest.
    let version = current.version;
    let savedLines = [...(current.lines ?? base.lines)];
    let keptRemoved = [];
    let formLines = lines;
    const found = {};
    let offline = false;
    for (const op of ops) {
      if (offline) {
        if (op.kind === 'delete') keptRemoved.push(op.line);
        continue;
      }
      try {
        if (op.kind === 'delete') {
          await send('DELETE', `/api/orders/${base.id}/lines/${op.line.id}`);
          savedLines = savedLines.filter((l) => l.id !== op.line.id);
        } else if (op.kind === 'patch') {
          const saved = await send('PATCH', `/api/orders/${base.id}/lines/${op.line.id}`, op.changes);
          savedLines = savedLines.map((l) => (l.id === saved.id ? saved : l));
        } else {
          const saved = await send('POST', `/api/orders/${base.id}/lines`, lineBody(op.line));
          savedLines = [...savedLines, saved];
          formLines = formLines.map((l) => (l.key === op.line.key ? { ...l, id: saved.id } : l));
        }
        version += 1;  // every line call moves the order's version on by one
      } catch (error) {
        offline = isNetworkError(error);
        if (op.kind === 'delete') {
          // Not deleted (a packed line, say): back in the form, at its place among the saved lines, with why.
          formLines = [...formLines, op.line];
          if (!offline) Object.assign(found, lineErrors(error, formLines.length - 1));
        } else if (!offline) {
          const index = formLines.findIndex((l) => l.key === op.line.key);
          Object.assign(found, lineErrors(error, index));
        }
      }
    }
    const nextBase = { ...current, version, lines: savedLines };
    setBase(nextBase);
    setValues(formOf(nextBase, state.user));
    setLines(formLines);
    setRemoved(keptRemoved);
    if (offline) {
      tell('warn', 'forms.not_saved_offline');
      return;
    }
    if (Object.keys(found).length) {
      const general = Object.entries(found).filter(([key]) => /^lines\[\d+\]$/.test(key));
      refused({ ...found, '': () => [t('forms.partly_saved'), ...general.map(([key, message]) =>
        t('forms.line_failed', { n: Number(key.slice(6, -1)) + 1, message: say(message) }))].join(' ') });
      return;
    }
    location.hash = `#/orders/${base.id}`;
  }

  async function submit(event) {
    event.preventDefault();
    if (saving) return;
    setNotice(null);
    setPoTaken(null);
    const found = check(values, lines);
    if (Object.keys(found).length) {
      refused(found);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await (editing ? update() : create());
    } finally {
      setSaving(false);
    }
  }

  /** Their changes in, mine kept: each field (and saved line) the user did not change takes the server's value. */
  async function loadTheirs() {
    setNotice(null);
    let fresh;
    try {
      fresh = await get(`/api/orders/${base.id}`);
    } catch (error) {
      failed(error);
      return;
    }
    const mine = changedFields(values, formOf(base, state.user));
    const theirs = formOf(fresh, state.user);
    for (const name of Object.keys(mine)) theirs[name] = values[name];
    const freshLines = new Map(fresh.lines.map((l) => [l.id, l]));
    const gone = new Set(removed.map((l) => l.id));
    const merged = [];
    for (const line of lines) {
      if (!line.id) merged.push(line);
      else if (freshLines.has(line.id)) {
        const edited = baseLines.has(line.id) && Object.keys(changedLine(line, lineOf(baseLines.get(line.id)))).length;
        merged.push(edited ? line : { ...lineOf(freshLines.get(line.id)), key: line.key });
      }
    }
    const known = new Set(lines.map((l) => l.id).filter(Boolean));
    for (const line of fresh.lines) if (!known.has(line.id) && !gone.has(line.id)) merged.push(lineOf(line));
    setBase(fresh);
    setValues(theirs);
    setLines(merged);
    setRemoved(removed.filter((l) => freshLines.has(l.id)));
    setStale(null);
    setErrors({});
    tell('ok', 'forms.reloaded');
  }

  const people = data.merchandisers.map((p) => [p.id, p.company ? `${p.display_name} · ${p.company}` : p.display_name]);
  if (values.merchandiser_id && !people.some(([pid]) => pid === values.merchandiser_id)) {
    people.push([values.merchandiser_id, t('forms.former_person')]);
  }
  const customer = data.customers.find((c) => c.id === values.customer_id);
  const inherit = (name) => t('forms.inherit', { value: customer?.[name] || GARMENT_DEFAULTS[name] });
  const choices = (list, value) => (value && !list.includes(value) ? [value, ...list] : list).map((v) => [v, v]);
  const staleFields = stale ? FIELDS.filter((name) => valueOf(name, formOf(stale, state.user)[name])
    !== valueOf(name, formOf(base, state.user)[name])).map((name) => t(LABELS[name])) : [];
  const total = lines.reduce((sum, l) => sum + (Number.isInteger(Number(l.quantity)) ? Number(l.quantity) : 0), 0);
  const field = (name, props = {}) => html`<${Field} name=${name} label=${t(LABELS[name])} value=${values[name]}
    onValue=${set(name)} error=${say(errors[name])} maxlength=${MAX[name]} ...${props} />`;

  return html`
    <form ref=${form} class="order-form" noValidate onSubmit=${submit} aria-busy=${saving ? 'true' : 'false'}>
      ${!state.online ? html`<p class="notice warn" data-needs-network>${t('forms.offline_keep')}</p>` : null}
      <section class="form-part" aria-labelledby="order-part-title">
        <h2 id="order-part-title">${t('forms.order_part')}</h2>
        <div class="form-grid">
          ${field('customer_id', { as: 'select', required: true, blank: t('forms.choose'),
            options: data.customers.map((c) => [c.id, c.name]) })}
          ${field('factory_id', { as: 'select', required: true, blank: t('forms.choose'),
            options: data.factories.map((f) => [f.id, f.name]) })}
          <div>
            ${field('po_number', { required: true, autocomplete: 'off' })}
            ${poTaken ? html`
              <a class="order-link" href=${`#/orders/${poTaken.id}`}>${t('forms.po_open', { po: poTaken.po_number })}</a>` : null}
          </div>
          ${field('style_number', { required: true, autocomplete: 'off' })}
          ${field('factory_batch')}
          ${field('ship_date', { type: 'date' })}
          ${field('destination')}
          ${editing ? field('status', { as: 'select', options: STATUSES.map((s) => [s, t(`order_status.${s}`)]) }) : null}
          ${field('merchandiser_id', { as: 'select', blank: t('forms.nobody'), options: people })}
          <div class="wide">${field('description', { as: 'textarea', rows: 3 })}</div>
        </div>
      </section>
      <section class="form-part" aria-labelledby="sampling-part-title">
        <h2 id="sampling-part-title">${t('forms.sampling_part')}</h2>
        <p class="field-hint">${t('forms.sampling_hint')}</p>
        <div class="form-grid quad">
          ${field('aql_level', { as: 'select', blank: inherit('aql_level'), options: choices(LEVELS, values.aql_level) })}
          ${['aql_critical', 'aql_major', 'aql_minor'].map((name) => field(name, { as: 'select', blank: inherit(name),
            options: choices(AQLS, values[name]) }))}
        </div>
      </section>
      <section class="form-part" aria-labelledby="lines-part-title" data-lines>
        <h2 id="lines-part-title">${t('forms.lines')}</h2>
        ${errors.lines ? html`<p class="field-error" role="alert">${say(errors.lines)}</p>` : null}
        ${!lines.length ? html`<p class="empty">${t('forms.lines_none')}</p>` : null}
        ${lines.map((line, i) => html`
          <fieldset key=${line.key} class=${`line-card${errors[`lines[${i}]`] ? ' invalid' : ''}`} data-line=${line.id || 'new'}>
            <legend>${t('forms.line', { n: i + 1 })}</legend>
            ${errors[`lines[${i}]`] ? html`<p class="field-error">${say(errors[`lines[${i}]`])}</p>` : null}
            <div class="line-fields">
              ${LINE_FIELDS.map((name) => html`<${Field} key=${name} name=${`lines[${i}].${name}`}
                label=${t(`forms.${name}`)} value=${line[name]} onValue=${setLine(line.key, name)}
                error=${say(errors[`lines[${i}].${name}`])} required=${name !== 'gtin'} autocomplete="off"
                ...${name === 'quantity' ? { type: 'number', min: 1, max: QUANTITY_MAX, step: 1, inputmode: 'numeric' }
                  : name === 'gtin' ? { maxlength: MAX.gtin, inputmode: 'numeric' } : { maxlength: MAX[name] }} />`)}
              <button type="button" class="btn secondary small remove-line" onClick=${() => removeLine(line)}>
                ${t('forms.remove_line', { n: i + 1 })}
              </button>
            </div>
          </fieldset>`)}
        <p class="lines-foot">
          <button type="button" class="btn secondary" onClick=${addLine}>${t('forms.add_line')}</button>
          <strong data-total>${tn('forms.total', total)}</strong>
        </p>
      </section>
      ${stale ? html`
        <div class="notice warn" role="alert" data-stale>
          <p>${t('forms.stale')}</p>
          ${staleFields.length ? html`<p>${t('forms.stale_fields', { fields: staleFields.join(', ') })}</p>` : null}
          <button type="button" class="btn secondary small" onClick=${loadTheirs}>${t('forms.reload_keep')}</button>
        </div>` : null}
      <${FormError} errors=${{ '': say(errors['']) }} />
      ${notice ? html`
        <p class=${`notice ${notice.kind}`} role=${notice.kind === 'ok' ? 'status' : 'alert'} data-notice>${t(notice.key)}</p>`
        : null}
      <p class="office-actions form-actions">
        <button type="submit" class="btn primary" disabled=${saving}>
          ${saving ? t('forms.saving') : editing ? t('forms.save') : t('forms.create')}
        </button>
        <a class="btn secondary" href=${cancel}>${t('forms.cancel')}</a>
      </p>
    </form>`;
}
