// Customers (#/customers) and factories (#/factories), for staff: the list, a new one, an edit based on the
// version read (a 409 shows the record as now), and a deletion the server refuses while orders (or a factory's
// user accounts) use the record. A customer carries its default sampling (level and AQLs) and its colour
// aliases; a factory shows its switching state (normal, tightened, reduced) with the server's reason, and
// supervisors allow or withdraw reduced inspection for it.
import '../../office-partners-strings.js';
import { ApiError, errorMessage } from '../../api.js';
import { t, tn } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { ColourAliasesEditor } from './colour-aliases.js';
import { Field, FormError, Loaded, OfficeScreen, dash, fieldErrors, get, send, useLoad, zh } from './common.js';

// Sampling defaults when a customer names none (api/orders/schemas.py AqlFields): level II, 0 / 2.5 / 4.0.
const STANDARD = { aql_level: 'II', aql_critical: '0', aql_major: '2.5', aql_minor: '4.0' };
const LEVELS = ['I', 'II', 'III', 'S-1', 'S-2', 'S-3', 'S-4'];
// ISO 2859-1's AQL series, and 0 (no defect of the class accepted).
const AQLS = ['0', '0.010', '0.015', '0.025', '0.040', '0.065', '0.10', '0.15', '0.25', '0.40', '0.65', '1.0', '1.5',
  '2.5', '4.0', '6.5', '10', '15', '25', '40', '65', '100', '150', '250', '400', '650', '1000'];
const REVIEWERS = ['admin', 'supervisor'];  // api/access.py requires_supervisor: who allows reduced inspection

/** Moves the keyboard (and a screen reader) into a panel when it opens. */
function useFocusFirst() {
  const ref = useRef(null);
  useEffect(() => { ref.current?.querySelector('input, select, textarea, button')?.focus(); }, []);
  return ref;
}

const currentOf = (error) => (error instanceof ApiError && error.status === 409 ? error.problem?.current : null);

/** An option list that keeps a value typed elsewhere (e.g. "2.50" over the API) choosable. */
const withValue = (values, value) => (value && !values.includes(value) ? [value, ...values] : values);

/**
 * A new record or an edit of one, from a list of field descriptions ({name, label, as, options, blank, hint,
 * maxlength, required, nullable}). An edit sends the version it was based on; based on a stale one, the form
 * shows the record as the server has it now.
 */
function RecordForm({ path, record, fields, title, onSaved, onCancel }) {
  const from = (r) => Object.fromEntries(fields.map((f) => [f.name, r?.[f.name] ?? '']));
  const [form, setForm] = useState(() => from(record));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst();

  async function save(event) {
    event.preventDefault();
    const missing = Object.fromEntries(fields.filter((f) => f.required && !String(form[f.name]).trim())
      .map((f) => [f.name, t('partners.required')]));
    if (Object.keys(missing).length) { setErrors({ '': t('partners.check_fields'), ...missing }); return; }
    const body = Object.fromEntries(fields.map((f) => {
      const value = String(form[f.name] ?? '').trim();
      return [f.name, f.nullable && !value ? null : value];
    }));
    setBusy(true);
    setErrors({});
    try {
      const saved = record ? await send('PATCH', `${path}/${record.id}`, { version: record.version, ...body })
        : await send('POST', path, body);
      onSaved(saved);
    } catch (error) {
      const current = currentOf(error);
      setErrors(current ? { '': t('partners.stale') } : fieldErrors(error));
      if (current) { setForm(from(current)); onSaved(current, true); }
    } finally {
      setBusy(false);
    }
  }

  const set = (name) => (value) => setForm({ ...form, [name]: value });
  return html`
    <form class="form compact partner-form" ref=${ref} onSubmit=${save} aria-label=${title} novalidate>
      ${record ? null : html`<h2>${title}</h2>`}
      <${FormError} errors=${errors} />
      <div class="partner-fields">
        ${fields.map(({ name, label, nullable, required, options, ...props }) => html`
          <${Field} key=${name} name=${name} label=${label} value=${form[name]} onValue=${set(name)} error=${errors[name]}
            options=${options ? options(form[name]) : undefined} required=${required || undefined} ...${props} />`)}
      </div>
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="submit" class="btn primary" disabled=${busy}>
          ${busy ? t('partners.saving') : record ? t('partners.save') : t('partners.create')}
        </button>
      </div>
    </form>`;
}

/** Asked once more; the server refuses while orders (or a factory's users) use the record, and says so. */
function DeleteRecord({ path, record, question, onDeleted, onCancel }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const ref = useFocusFirst();
  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await send('DELETE', `${path}/${record.id}`);
      onDeleted(record);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <div class="form compact partner-form" ref=${ref} role="group" aria-label=${t('partners.delete')}>
      <p>${question}</p>
      ${error ? html`<p class="notice error" role="alert" data-refusal>${errorMessage(error)}</p>` : null}
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="button" class="btn danger" disabled=${busy} onClick=${remove}>${t('partners.delete_confirm')}</button>
      </div>
    </div>`;
}

/** A list of records with "New …", a filter and one open panel at a time (field names stay unique). */
function Catalogue({ load, path, noun, fields, Facts, factsProps = {}, Extra, extraLabel, searchIn, empty, onCreated }) {
  const [open, setOpen] = useState(null);  // {id, mode}
  const [notice, setNotice] = useState(null);  // [key, params]: worded when shown, in the language of the moment
  const [q, setQ] = useState('');
  const items = load.data;
  const replace = (record) => load.setData((list) => (list.some((r) => r.id === record.id)
    ? list.map((r) => (r.id === record.id ? record : r)) : [...list, record].sort((a, b) => a.code.localeCompare(b.code))));
  const openOnly = (next) => { setNotice(null); setOpen(next); };
  const needle = q.trim().toLowerCase();
  const shown = items.filter((r) => !needle || searchIn(r).some((v) => v && v.toLowerCase().includes(needle)));

  return html`
    ${notice ? html`<p class="notice ok" role="status" data-notice>${t(...notice)}</p>` : null}
    <p class="office-actions">
      <button type="button" class="btn primary" aria-expanded=${String(open?.id === 'new')}
        onClick=${() => openOnly(open?.id === 'new' ? null : { id: 'new' })}>${t(`partners.new_${noun}`)}</button>
    </p>
    ${open?.id === 'new' ? html`
      <${RecordForm} path=${path} fields=${fields} title=${t(`partners.new_${noun}`)} onCancel=${() => setOpen(null)}
        onSaved=${(record) => { replace(record); onCreated?.(record); setOpen(null); setNotice(['partners.created', { name: record.name }]); }} />` : null}
    ${items.length > 5 || needle ? html`
      <form class="partner-search" role="search" onSubmit=${(e) => e.preventDefault()}>
        <label class="field"><span>${t('partners.search')}</span>
          <input type="search" name="q" value=${q} maxlength="100" onInput=${(e) => setQ(e.currentTarget.value)} /></label>
      </form>` : null}
    <p class="orders-count" role="status">${tn(`partners.count_${noun}`, shown.length)}</p>
    ${shown.length ? null : html`<p class="empty">${empty}</p>`}
    <ul class="cards partner-cards">
      ${shown.map((record) => {
        const mode = open?.id === record.id ? open.mode : null;
        const toggle = (m) => openOnly(mode === m ? null : { id: record.id, mode: m });
        const close = () => setOpen(null);
        return html`
          <li key=${record.id}>
            <article class="card partner-card" aria-labelledby=${`rec-${record.id}`} data-code=${record.code}>
              <h3 id=${`rec-${record.id}`}>${record.name}</h3>
              <${Facts} record=${record} ...${factsProps} />
              <p class="office-actions">
                <button type="button" class="btn secondary small" aria-expanded=${String(mode === 'edit')}
                  onClick=${() => toggle('edit')}>${t('partners.edit')}</button>
                ${Extra ? html`<button type="button" class="btn secondary small" aria-expanded=${String(mode === 'extra')}
                  onClick=${() => toggle('extra')}>${extraLabel}</button>` : null}
                <button type="button" class="btn secondary small" aria-expanded=${String(mode === 'delete')}
                  onClick=${() => toggle('delete')}>${t('partners.delete')}</button>
              </p>
              ${mode === 'edit' ? html`
                <${RecordForm} path=${path} record=${record} fields=${fields} title=${t('partners.edit_title', { name: record.name })}
                  onCancel=${close} onSaved=${(saved, stale) => { replace(saved); if (!stale) { close(); setNotice(['partners.saved', { name: saved.name }]); } }} />` : null}
              ${mode === 'extra' ? html`<${Extra} record=${record} onSaved=${replace} />` : null}
              ${mode === 'delete' ? html`
                <${DeleteRecord} path=${path} record=${record} question=${t(`partners.delete_${noun}`, { name: record.name })}
                  onCancel=${close} onDeleted=${() => {
                    close();
                    load.setData((list) => list.filter((r) => r.id !== record.id));
                    setNotice(['partners.deleted', { name: record.name }]);
                  }} />` : null}
            </article>
          </li>`;
      })}
    </ul>`;
}

// --- customers --------------------------------------------------------------------------------------------

const aqlField = (name) => ({
  name, as: 'select', nullable: true, label: t(`partners.${name}`),
  blank: t('partners.standard', { value: STANDARD[name] }),
  options: (value) => withValue(name === 'aql_level' ? LEVELS : AQLS, value).map((v) => [v, v]),
});

const customerFields = () => [
  { name: 'code', label: t('partners.code'), required: true, maxlength: 40, autocapitalize: 'characters', hint: t('partners.code_hint') },
  { name: 'name', label: t('partners.name'), required: true, maxlength: 200 },
  aqlField('aql_level'), aqlField('aql_critical'), aqlField('aql_major'), aqlField('aql_minor'),
];

/** A default as the customer sets it, or the standard one, said so. */
const sampling = (c, name) => (c[name] ? c[name] : t('partners.standard_short', { value: STANDARD[name] }));

function CustomerFacts({ record: c }) {
  const aliases = Object.keys(c.colour_aliases || {}).length;
  return html`
    <dl class="fields">
      <div><dt>${t('partners.code')}</dt><dd>${c.code}</dd></div>
      <div><dt>${t('partners.aql_level')}</dt><dd data-aql-level>${sampling(c, 'aql_level')}</dd></div>
      <div class="wide"><dt>${t('partners.aqls')}</dt>
        <dd data-aqls>${['aql_critical', 'aql_major', 'aql_minor'].map((n) => sampling(c, n)).join(' / ')}</dd></div>
      <div class="wide"><dt>${t('partners.colour_aliases')}</dt><dd>${aliases ? tn('partners.alias_count', aliases) : t('partners.no_aliases')}</dd></div>
    </dl>`;
}

/** The editor says itself when the aliases are saved; the card then counts them. Free text for the colours
 * here: the order colours a name may stand for are the packing list's business (packing.js offers them). */
function CustomerAliases({ record, onSaved }) {
  return html`
    <section class="partner-aliases" aria-label=${t('partners.colour_aliases')}>
      <${ColourAliasesEditor} customer=${record} onSaved=${onSaved} />
    </section>`;
}

export function CustomersScreen({ state }) {
  const load = useLoad(state, () => get('/api/customers'));
  return html`
    <${OfficeScreen} state=${state} name="customers" title=${t('office.nav_customers')} section="customers">
      <${Loaded} load=${load}>${() => html`
        <${Catalogue} load=${load} path="/api/customers" noun="customer" fields=${customerFields()} Facts=${CustomerFacts}
          Extra=${CustomerAliases} extraLabel=${t('partners.colour_aliases')} empty=${t('partners.no_customers')}
          searchIn=${(c) => [c.code, c.name]} />`}<//>
    <//>`;
}

// --- factories --------------------------------------------------------------------------------------------

const factoryFields = () => [
  { name: 'code', label: t('partners.code'), required: true, maxlength: 40, autocapitalize: 'characters', hint: t('partners.code_hint') },
  { name: 'name', label: t('partners.name'), required: true, maxlength: 200 },
  { name: 'address', label: t('partners.address'), as: 'textarea', maxlength: 400, rows: 2 },
  { name: 'contact', label: t('partners.contact'), maxlength: 200, hint: t('partners.contact_hint') },
];

/** What the supervisor should know about reduced inspection for the factory as it stands. */
function reducedRule(s) {
  if (s.discontinue) return t('partners.rule_discontinued');
  if (s.mode === 'tightened') return t('partners.rule_tightened');
  if (s.mode === 'reduced') return t('partners.rule_reduced');
  if (s.switching_score >= 30) return s.reduced_allowed ? '' : t('partners.rule_score_reached');
  return t(s.reduced_allowed ? 'partners.rule_allowed_waiting' : 'partners.rule_score', { score: s.switching_score, need: 30 });
}

function Switching({ factory, switching, user, onChanged }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [said, setSaid] = useState(null);
  if (!switching) return null;
  if (switching.status === 'rejected') {
    return html`<p class="notice error">${t('partners.switching_failed', { message: errorMessage(switching.reason) })}</p>`;
  }
  const s = switching.value;
  const reviewer = REVIEWERS.includes(user.role);
  const rule = reducedRule(s);

  async function allow(allowed) {
    setBusy(true);
    setError(null);
    setSaid(null);
    try {
      onChanged(factory.id, await send('PUT', `/api/factories/${factory.id}/reduced-inspection`, { allowed }));
      setSaid(allowed ? 'partners.reduced_now_allowed' : 'partners.reduced_withdrawn');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class=${`switching mode-${s.mode}${s.discontinue ? ' discontinued' : ''}`} aria-labelledby=${`sw-${factory.id}`} data-switching=${s.mode}>
      <h4 id=${`sw-${factory.id}`}>${t('partners.switching')}</h4>
      <p class="switching-mode" data-mode>${t(`partners.mode_${s.mode}`)}</p>
      <p class="switching-reason" data-reason>${zh() ? s.reason_zh || s.reason : s.reason}</p>
      <p data-reduced-allowed=${String(s.reduced_allowed)}>
        ${t(s.reduced_allowed ? 'partners.reduced_allowed' : 'partners.reduced_not_allowed')}
      </p>
      ${rule ? html`<p class="muted" data-rule>${rule}</p>` : null}
      ${error ? html`<p class="notice error" role="alert">${errorMessage(error)}</p>` : null}
      <p class="switching-said" role="status">${said ? t(said) : null}</p>
      ${reviewer ? html`
        <p class="office-actions">
          <button type="button" class=${`btn small ${s.reduced_allowed ? 'secondary' : 'primary'}`} disabled=${busy}
            onClick=${() => allow(!s.reduced_allowed)}>
            ${t(s.reduced_allowed ? 'partners.withdraw_reduced' : 'partners.allow_reduced')}
          </button>
        </p>` : null}
    </section>`;
}

/** The factories, each with its switching state (asked per factory: one refusal does not hide the list). */
async function loadFactories() {
  const factories = await get('/api/factories');
  const states = await Promise.allSettled(factories.map((f) => get(`/api/factories/${f.id}/switching`)));
  return { factories, switching: Object.fromEntries(factories.map((f, i) => [f.id, states[i]])) };
}

function FactoryFacts({ record: f, switching, user, onChanged }) {
  return html`
    <dl class="fields">
      <div><dt>${t('partners.code')}</dt><dd>${f.code}</dd></div>
      <div><dt>${t('partners.contact')}</dt><dd>${dash(f.contact)}</dd></div>
      <div class="wide"><dt>${t('partners.address')}</dt><dd>${dash(f.address)}</dd></div>
    </dl>
    <${Switching} factory=${f} switching=${switching[f.id]} user=${user} onChanged=${onChanged} />`;
}

export function FactoriesScreen({ state }) {
  const load = useLoad(state, loadFactories);
  // The Catalogue keeps the list of factories; their switching states stay beside it in the loaded data.
  const list = {
    data: load.data?.factories,
    setData: (change) => load.setData((d) => ({ ...d, factories: typeof change === 'function' ? change(d.factories) : change })),
  };
  const setState = (id, settled) => load.setData((d) => ({ ...d, switching: { ...d.switching, [id]: settled } }));
  const changed = (id, value) => setState(id, { status: 'fulfilled', value });
  // A factory created here gets its state as the server says it (no lots yet: normal).
  const created = (f) => get(`/api/factories/${f.id}/switching`)
    .then((value) => changed(f.id, value), (reason) => setState(f.id, { status: 'rejected', reason }));
  return html`
    <${OfficeScreen} state=${state} name="factories" title=${t('office.nav_factories')} section="factories">
      <${Loaded} load=${load}>${(data) => html`
        <${Catalogue} load=${list} path="/api/factories" noun="factory" fields=${factoryFields()} Facts=${FactoryFacts}
          factsProps=${{ switching: data.switching, user: state.user, onChanged: changed }} onCreated=${created}
          empty=${t('partners.no_factories')} searchIn=${(f) => [f.code, f.name, f.address, f.contact]} />`}<//>
    <//>`;
}
