// A customer's colour aliases: the other names its factories write for the order colours ({"黑色": "Black"}),
// which the packing-list import reads as those colours. Used where an import meets an unknown colour (packing.js)
// and on the Customers screen. The server keeps the whole map and replaces it on each save (PATCH with the
// version this edit was based on: a stale one is a 409 carrying the customer as it is now).
import '../../office-packing-strings.js';
import { ApiError, errorMessage } from '../../api.js';
import { t } from '../../i18n.js';
import { html, useEffect, useRef, useState } from '../html.js';
import { Field, send } from './common.js';

const MAX_CHARS = 80;  // a name and a colour have 1 to 80 characters (api/orders/schemas.py ColourAliases)
let rowKeys = 0;
const row = (name = '', colour = '') => ({ key: ++rowKeys, name, colour });
const fold = (text) => text.trim().toLowerCase();

/** The customer's aliases as rows, with a new one for `suggest` unless the map has that name already. */
function rowsOf(customer, suggest) {
  const rows = Object.entries(customer.colour_aliases || {}).map(([name, colour]) => row(name, colour));
  const wanted = (suggest || '').trim();
  if (wanted && !rows.some((r) => fold(r.name) === fold(wanted))) rows.push(row(wanted, ''));
  return rows;
}

/** Each row's problems ({`${key}.name`: message}), checked as the server would, before anything is sent. */
function problemsOf(rows) {
  const found = {};
  const seen = new Set();
  for (const r of rows) {
    const name = r.name.trim();
    if (!name) found[`${r.key}.name`] = t('packing.alias_name_needed');
    else if (seen.has(fold(name))) found[`${r.key}.name`] = t('packing.alias_twice', { name });
    seen.add(fold(name));
    if (!r.colour.trim()) found[`${r.key}.colour`] = t('packing.alias_colour_needed');
  }
  return found;
}

/**
 * The alias editor. customer: a CustomerOut ({id, version, name, colour_aliases}); orderColours: the colours an
 * alias may stand for (then a select; else free text); suggest: a name to start a new alias with (the unknown
 * colour of a packing list); onSaved(customerOut) after the server stored the map.
 */
export function ColourAliasesEditor({ customer, orderColours = [], suggest = '', onSaved }) {
  const [base, setBase] = useState(customer);  // the version the edit is based on
  const [rows, setRows] = useState(() => rowsOf(customer, suggest));
  const [problems, setProblems] = useState({});
  const [message, setMessage] = useState(null);  // {kind: 'ok'|'warn'|'error', text}
  const [busy, setBusy] = useState(false);
  const list = useRef(null);

  // Another customer, a newer copy than the one edited, or another unknown colour: start again from it. The
  // copy this editor just saved, handed back by the parent, changes nothing.
  const seen = useRef({ id: customer.id, version: customer.version, suggest });
  useEffect(() => {
    const before = seen.current;
    seen.current = { id: customer.id, version: customer.version, suggest };
    if (before.suggest === suggest && customer.id === base.id && customer.version <= base.version) return;
    setBase(customer);
    setRows(rowsOf(customer, suggest));
    setProblems({});
    setMessage(null);
  }, [customer.id, customer.version, suggest]);

  const edit = (key, field) => (value) => {
    setRows((now) => now.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
    setMessage(null);
  };
  const remove = (key) => {
    setRows((now) => now.filter((r) => r.key !== key));
    setMessage(null);
  };
  const add = () => {
    setRows((now) => [...now, row()]);
    setMessage(null);
    // The new alias's name field, so that typing can start at once.
    requestAnimationFrame(() => list.current?.querySelector('li:last-child input')?.focus());
  };

  async function save(event) {
    event.preventDefault();
    const found = problemsOf(rows);
    setProblems(found);
    if (Object.keys(found).length) {
      setMessage({ kind: 'error', key: 'packing.alias_fix' });
      return;
    }
    const map = Object.fromEntries(rows.map((r) => [r.name.trim(), r.colour.trim()]));
    setBusy(true);
    setMessage(null);
    try {
      const saved = await send('PATCH', `/api/customers/${encodeURIComponent(base.id)}`,
        { version: base.version, colour_aliases: map });
      setBase(saved);
      setRows(rowsOf(saved, ''));
      setMessage({ kind: 'ok', key: 'packing.alias_saved' });
      onSaved?.(saved);
    } catch (failure) {
      const current = failure instanceof ApiError && failure.status === 409 ? failure.problem.current : null;
      if (current && current.id === base.id && current.colour_aliases) {
        // Someone saved this customer meanwhile: show the map as it is now and keep the name being added.
        setBase(current);
        setRows(rowsOf(current, suggest));
        setMessage({ kind: 'warn', key: 'packing.alias_stale' });
      } else {
        setMessage({ kind: 'error', error: failure });
      }
    } finally {
      setBusy(false);
    }
  }

  const colourField = (r) => {
    const common = { label: t('packing.alias_colour'), name: `alias-${base.id}-colour-${r.key}`, value: r.colour,
      onValue: edit(r.key, 'colour'), error: problems[`${r.key}.colour`], required: true };
    if (!orderColours.length) return html`<${Field} ...${common} maxlength=${MAX_CHARS} autocomplete="off" />`;
    // A colour of another order of this customer stays choosable in its own row.
    const choices = [...new Set([...orderColours, ...(r.colour ? [r.colour] : [])])];
    return html`<${Field} ...${common} as="select" blank=${t('packing.alias_pick_colour')}
      options=${choices.map((c) => [c, c])} />`;
  };

  return html`
    <form class="aliases" onSubmit=${save} noValidate aria-labelledby=${`aliases-${base.id}`} data-aliases=${base.id}>
      <h3 id=${`aliases-${base.id}`} class="small-title">${t('packing.aliases_title', { customer: base.name })}</h3>
      <p class="field-hint">${t('packing.aliases_hint')}</p>
      ${rows.length ? html`
        <ul class="alias-rows" ref=${list}>${rows.map((r) => html`
          <li key=${r.key} class="alias-row" data-alias=${r.name}>
            <${Field} label=${t('packing.alias_name')} name=${`alias-${base.id}-name-${r.key}`} value=${r.name}
              onValue=${edit(r.key, 'name')} error=${problems[`${r.key}.name`]} maxlength=${MAX_CHARS}
              autocomplete="off" required />
            <span class="alias-arrow" aria-hidden="true">→</span>
            ${colourField(r)}
            <button type="button" class="btn secondary small alias-remove" onClick=${() => remove(r.key)}>
              ${t('packing.alias_remove')}<span class="sr-only"> ${r.name}</span>
            </button>
          </li>`)}
        </ul>` : html`<p class="empty" ref=${list}>${t('packing.aliases_none')}</p>`}
      ${message ? html`<p class=${`notice ${message.kind}`} role=${message.kind === 'ok' ? 'status' : 'alert'}
        data-aliases-message>${message.key ? t(message.key) : errorMessage(message.error)}</p>` : null}
      <p class="office-actions">
        <button type="button" class="btn secondary" onClick=${add}>${t('packing.alias_add')}</button>
        <button type="submit" class="btn primary" disabled=${busy}>
          ${busy ? t('packing.alias_saving') : t('packing.alias_save')}
        </button>
      </p>
    </form>`;
}
