// The defect library and the checklist templates (#/library, admins only): the codes inspectors pick defects
// from, edited in English and Chinese side by side, and the checklists inspections are answered against.
// #/library lists the codes, #/library?tab=checklists the templates, #/library?template=<code> edits one and
// #/library?new=template makes one. Every save names the version it was based on: when someone else saved in
// between, the server answers 409 with their copy, which is shown beside the form to choose from.
import '../../office-library-strings.js';
import { ApiError } from '../../api.js';
import { setDirty } from '../../dirty.js';
import { t, tn } from '../../i18n.js';
import { html, useEffect, useMemo, useRef, useState } from '../html.js';
import { Field, FormError, Loaded, OfficeScreen, fieldErrors, get, localName, send, useLoad, zh } from './common.js';

const SEVERITIES = ['critical', 'major', 'minor'];
// What new inspections start with (DEFAULT_TEMPLATE in api/inspections/services.py).
const DEFAULT_TEMPLATE = 'garment-final';
// The server's rules (api/inspections/controllers.py, schemas.py), written so that HTML can check them first.
// A template's code is looser on the server; it is kept to what reads well in an address.
const CODE_PATTERN = '[A-Z0-9\\-]+';
const TEMPLATE_CODE_PATTERN = '[a-z0-9\\-]+';
const KEY_PATTERN = '[a-z0-9_]+';
const NEW_CATEGORY = '__new';

const fold = (text) => String(text ?? '').toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').trim();
const codeName = (code) => localName(code, 'name_en', 'name_zh');
const severityOptions = () => SEVERITIES.map((s) => [s, t(`severity.${s}`)]);

/** A category's name in the UI language; one an admin made up is shown as it was typed. */
export function categoryName(category) {
  const key = `library.cat.${category}`;
  const text = t(key);
  return text === key ? category : text;
}

function useDirtyForm(id, dirty) {
  useEffect(() => setDirty(id, Boolean(dirty)), [id, dirty]);
  useEffect(() => () => setDirty(id, false), [id]);
}

/** The server's 409: the copy it holds now, or null for any other failure. */
const theirCopy = (failure) => (failure instanceof ApiError && failure.status === 409 && failure.problem.current) || null;

/**
 * The server's refusal, by field, in the UI language. A 400 names the field with msgspec's English words: the
 * field's rule from `rules` (key → string key, by the field's last name) says it in the UI's language instead.
 * What names no field shown (`shown(key)`) goes above the form.
 */
function refusal(failure, rules, shown) {
  const found = fieldErrors(failure);
  const result = {};
  let general = found[''] ?? '';
  for (const [key, message] of Object.entries(found)) {
    if (!key) continue;
    const rule = rules[key.replace(/^.*[.\]]/, '')];
    const text = failure instanceof ApiError && failure.status === 400 && rule ? t(rule) : message;
    if (shown(key)) result[key] = text;
    else general = general || text;
  }
  if (Object.keys(result).length) general = t('library.fix_fields');
  if (general) result[''] = general;
  return result;
}

/** Focus the first field with an error (after the render that shows it). */
function focusFirstError(form) {
  requestAnimationFrame(() => form?.querySelector('[aria-invalid="true"]')?.focus());
}

// --- the defect codes -----------------------------------------------------------------------------------

/** The next free code in a category: its most used letters and the next number ("W13" → "W14"). */
export function nextCode(codes, category) {
  const prefixes = new Map();
  for (const c of codes) {
    const match = c.category === category && /^([A-Z]+)(\d+)$/.exec(c.code);
    if (!match) continue;
    const [, prefix, digits] = match;
    const seen = prefixes.get(prefix) ?? { count: 0, max: 0, width: digits.length };
    prefixes.set(prefix, { count: seen.count + 1, max: Math.max(seen.max, Number(digits)), width: digits.length });
  }
  const best = [...prefixes.entries()].sort((a, b) => b[1].count - a[1].count)[0];
  if (!best) return '';
  const taken = new Set(codes.map((c) => c.code));
  const [prefix, { max, width }] = best;
  for (let n = max + 1; ; n += 1) {
    const code = `${prefix}${String(n).padStart(width, '0')}`;
    if (!taken.has(code)) return code;
  }
}

export function matchesCode(code, query) {
  const q = fold(query);
  if (!q) return true;
  return [code.code, code.name_en, code.name_zh, categoryName(code.category)].some((text) => fold(text).includes(q));
}

// The seeded categories in the order an inspection meets them (api/inspections/library.py); others after them.
const CATEGORY_ORDER = ['workmanship', 'fabric', 'measurement', 'accessories', 'labelling', 'packaging', 'appearance',
  'safety', 'checklist'];
const rank = (category) => {
  const found = CATEGORY_ORDER.indexOf(category);
  return found < 0 ? CATEGORY_ORDER.length : found;
};
const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const byCategoryAndCode = (a, b) => rank(a.category) - rank(b.category) || compare(a.category, b.category) || compare(a.code, b.code);
const upsert = (codes, record) => [...codes.filter((c) => c.code !== record.code), record].sort(byCategoryAndCode);

const CODE_RULES = { code: 'library.code_rule', category: 'library.category_rule', name_en: 'library.name_rule', name_zh: 'library.name_rule' };
const CODE_FIELDS = new Set(['code', 'category', 'name_en', 'name_zh', 'default_severity']);

function codeForm(record) {
  return { code: record?.code ?? '', category: record?.category ?? '', other: '', name_en: record?.name_en ?? '',
    name_zh: record?.name_zh ?? '', default_severity: record?.default_severity ?? 'major' };
}

/** After a 409: what the server holds now (children show it), and the choice between theirs and mine. */
function ConflictChoice({ current, onMine, onTheirs, busy, children }) {
  return html`
    <div class="notice warn lib-conflict" role="alert" data-conflict>
      <p>${t('library.conflict', { version: current.version })}</p>
      <div class="lib-theirs" data-theirs>
        <h4 class="small-title">${t('library.theirs')} · ${t('library.version', { version: current.version })}</h4>
        ${children}
      </div>
      <div class="office-actions">
        <button type="button" class="btn primary small" disabled=${busy} onClick=${onMine}>${t('library.keep_mine')}</button>
        <button type="button" class="btn secondary small" disabled=${busy} onClick=${onTheirs}>${t('library.use_theirs')}</button>
      </div>
    </div>`;
}

function CodeFacts({ code }) {
  return html`
    <dl class="fields">
      <div><dt>${t('library.name_en')}</dt><dd lang="en">${code.name_en || '—'}</dd></div>
      <div><dt>${t('library.name_zh')}</dt><dd lang="zh-CN">${code.name_zh || '—'}</dd></div>
      <div><dt>${t('library.category')}</dt><dd>${categoryName(code.category)}</dd></div>
      <div><dt>${t('library.default_severity')}</dt><dd>${t(`severity.${code.default_severity}`)}${code.active ? '' : ` · ${t('library.inactive')}`}</dd></div>
    </dl>`;
}

/** Add a code (record null) or edit one: both names side by side, the category and the default severity. */
function CodeForm({ codes, record, onSaved, onCancel, onFresh }) {
  const [form, setForm] = useState(() => codeForm(record));
  const [version, setVersion] = useState(record?.version ?? 0);  // 0: a new code, refused (409) if it exists
  const [codeTouched, setCodeTouched] = useState(false);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(null);
  const formRef = useRef(null);
  const isNew = !record;
  const prefix = isNew ? 'new' : record.code;
  useDirtyForm(`library-code-${prefix}`, JSON.stringify(form) !== JSON.stringify(codeForm(record)));
  useEffect(() => { formRef.current?.querySelector('input, select')?.focus(); }, []);

  const categories = useMemo(() => [...new Set(codes.map((c) => c.category))]
    .sort((a, b) => categoryName(a).localeCompare(categoryName(b))), [codes]);
  const set = (name) => (value) => {
    setForm((f) => {
      const next = { ...f, [name]: name === 'code' ? value.toUpperCase() : value };
      if (name === 'category' && isNew && !codeTouched) next.code = value === NEW_CATEGORY ? '' : nextCode(codes, value);
      return next;
    });
    if (name === 'code') setCodeTouched(true);
    setErrors((e) => ({ ...e, [name]: undefined }));
  };

  function check() {
    const found = {};
    // The form is checked here, not by the browser, so that every message is in the UI's language. The code's
    // format is left to the server, whose refusal is shown at the field.
    if (!form.category) found.category = t('library.category_required');
    if (form.category === NEW_CATEGORY && !form.other.trim()) found.category = t('library.category_rule');
    if (isNew) {
      const taken = codes.find((c) => c.code === form.code.trim());
      if (!form.code.trim()) found.code = t('library.code_rule');
      else if (taken) found.code = t('library.code_taken', { code: taken.code, name: codeName(taken) });
    }
    for (const name of ['name_en', 'name_zh']) if (!form[name].trim()) found[name] = t('library.name_required');
    return found;
  }

  async function save(base = version) {
    const found = check();
    if (Object.keys(found).length) { setErrors(found); focusFirstError(formRef.current); return; }
    setBusy(true);
    setErrors({});
    const code = form.code.trim();
    try {
      if (isNew) {
        // A PUT of a code that exists would change it: the list is read again just before, so that another
        // admin's code made since this screen was opened is not overwritten.
        const fresh = await get('/api/defect-codes');
        onFresh(fresh);
        const taken = fresh.find((c) => c.code === code);
        if (taken) {
          setErrors({ code: t('library.code_taken', { code, name: codeName(taken) }) });
          focusFirstError(formRef.current);
          return;
        }
      }
      const body = {
        category: form.category === NEW_CATEGORY ? form.other.trim() : form.category, name_en: form.name_en.trim(),
        name_zh: form.name_zh.trim(), default_severity: form.default_severity, active: record ? record.active : true,
      };
      if (base !== undefined) body.version = base;
      const saved = await send('PUT', `/api/defect-codes/${encodeURIComponent(code)}`, body);
      setConflict(null);
      onSaved(saved, isNew);
    } catch (failure) {
      const current = theirCopy(failure);
      if (current) {
        setConflict(current);
        onFresh(null, current);
      } else {
        setErrors(refusal(failure, CODE_RULES, (key) => CODE_FIELDS.has(key)));
        focusFirstError(formRef.current);
      }
    } finally {
      setBusy(false);
    }
  }

  function takeTheirs() {
    setForm(codeForm(conflict));
    setVersion(conflict.version);
    setConflict(null);
  }

  const submit = (event) => { event.preventDefault(); save(); };
  const id = `code-form-${prefix}`;
  const severity = html`
    <${Field} label=${t('library.default_severity')} name="default_severity" as="select" options=${severityOptions()}
      value=${form.default_severity} onValue=${set('default_severity')} hint=${t('library.severity_hint')}
      error=${errors.default_severity} />`;
  return html`
    <form class="lib-form" ref=${formRef} onSubmit=${submit} noValidate aria-labelledby=${id} data-code-form=${prefix}>
      <h3 id=${id}>${isNew ? t('library.new_code') : t('library.edit_title', { code: record.code })}</h3>
      <${FormError} errors=${errors} />
      ${conflict ? html`
        <${ConflictChoice} current=${conflict} busy=${busy} onMine=${() => save(conflict.version)} onTheirs=${takeTheirs}>
          <${CodeFacts} code=${conflict} />
        <//>` : null}
      <div class="lib-pair">
        <${Field} label=${t('library.category')} name="category" as="select" blank="" required
          options=${[...categories.map((c) => [c, categoryName(c)]), [NEW_CATEGORY, t('library.category_new')]]}
          value=${form.category} onValue=${set('category')} error=${form.category !== NEW_CATEGORY ? errors.category : null} />
        ${form.category === NEW_CATEGORY ? html`
          <${Field} label=${t('library.category_name')} name="category_other" value=${form.other} onValue=${set('other')}
            maxlength="30" required error=${errors.category} />` : null}
        ${isNew ? html`
          <${Field} label=${t('library.code')} name="code" value=${form.code} onValue=${set('code')} required
            maxlength="20" pattern=${CODE_PATTERN} autocapitalize="characters" autocomplete="off" spellcheck=${false}
            title=${t('library.code_rule')} hint=${t('library.code_hint')} error=${errors.code} />` : severity}
      </div>
      <div class="lib-pair">
        <${Field} label=${t('library.name_en')} name="name_en" lang="en" value=${form.name_en} onValue=${set('name_en')}
          required maxlength="200" error=${errors.name_en} />
        <${Field} label=${t('library.name_zh')} name="name_zh" lang="zh-CN" value=${form.name_zh} onValue=${set('name_zh')}
          required maxlength="200" error=${errors.name_zh} />
      </div>
      ${isNew ? severity : null}
      <div class="office-actions">
        <button type="submit" class="btn primary" disabled=${busy}>${busy ? t('library.saving') : t('library.save')}</button>
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('library.cancel')}</button>
      </div>
    </form>`;
}

/** Both names, the UI language's first. */
function Names({ en, zh: chinese }) {
  const english = html`<span lang="en" class=${zh() ? 'other' : null}>${en}</span>`;
  const cn = html`<span lang="zh-CN" class=${zh() ? null : 'other'}>${chinese}</span>`;
  return html`<p class="lib-names">${zh() ? [cn, english] : [english, cn]}</p>`;
}

function CodeCard({ code, flash, onEdit, onToggle, busy }) {
  return html`
    <li class=${`card lib-code${code.active ? '' : ' off'}`} data-code=${code.code}>
      <div class="card-head">
        <h3 class="lib-code-id">${code.code}</h3>
        <span class="lib-badges">
          <span class=${`sev-badge ${code.default_severity}`}>${t(`severity.${code.default_severity}`)}</span>
          ${code.active ? null : html`<span class="badge missing">${t('library.inactive')}</span>`}
        </span>
      </div>
      <${Names} en=${code.name_en} zh=${code.name_zh} />
      ${code.active ? null : html`<p class="lib-note">${t('library.inactive_note')}</p>`}
      ${flash ? html`<p class=${`notice ${flash.tone}`} role="status" data-flash>${flash.text}</p>` : null}
      <div class="lib-actions">
        <button type="button" class="btn secondary small" onClick=${onEdit}>
          ${t('library.edit')}<span class="sr-only"> ${code.code}</span>
        </button>
        <button type="button" class="btn secondary small" disabled=${busy} onClick=${onToggle}>
          ${t(code.active ? 'library.deactivate' : 'library.reactivate')}<span class="sr-only"> ${code.code}</span>
        </button>
      </div>
    </li>`;
}

function DefectLibrary({ state }) {
  const load = useLoad(state, async () => (await get('/api/defect-codes')).sort(byCategoryAndCode));
  const [query, setQuery] = useState('');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState(null);
  const [flash, setFlash] = useState(null);  // {code, text, tone}: what just happened to a code, at its card
  const [busy, setBusy] = useState(null);
  const addButton = useRef(null);

  const replace = (record) => load.setData((codes) => upsert(codes ?? [], record));
  function fresh(list, one) {
    if (list) load.setData([...list].sort(byCategoryAndCode));
    if (one) replace(one);
  }
  function saved(record, isNew) {
    replace(record);
    setAdding(false);
    setEditing(null);
    setQuery('');
    const text = isNew ? t('library.added_code', { code: record.code }) : t('library.saved_code', { code: record.code, version: record.version });
    setFlash({ code: record.code, text, tone: 'ok' });
    requestAnimationFrame(() => {
      const card = document.querySelector(`[data-code="${record.code}"]`);
      card?.scrollIntoView({ block: 'center' });
      card?.querySelector('button')?.focus({ preventScroll: true });
    });
  }

  async function toggle(code) {
    setBusy(code.code);
    setFlash(null);
    const { version, ...rest } = code;
    const body = { category: rest.category, name_en: rest.name_en, name_zh: rest.name_zh,
      default_severity: rest.default_severity, active: !code.active, version };
    try {
      const record = await send('PUT', `/api/defect-codes/${encodeURIComponent(code.code)}`, body);
      replace(record);
      setFlash({ code: code.code, text: t(record.active ? 'library.reactivated' : 'library.deactivated', { code: code.code }), tone: 'ok' });
    } catch (failure) {
      const current = theirCopy(failure);
      if (current) replace(current);
      const text = current ? t('library.changed_meanwhile', { code: code.code }) : refusal(failure, {}, () => false)[''];
      setFlash({ code: code.code, text, tone: 'error' });
    } finally {
      setBusy(null);
    }
  }

  return html`
    <p class="lib-intro">${t('library.codes_intro')}</p>
    <${Loaded} load=${load}>${(codes) => {
      const shown = codes.filter((c) => matchesCode(c, query));
      const groups = [];
      for (const c of shown) {
        const last = groups[groups.length - 1];
        if (last?.category === c.category) last.codes.push(c); else groups.push({ category: c.category, codes: [c] });
      }
      return html`
        ${adding ? html`
          <div class="card lib-new">
            <${CodeForm} codes=${codes} record=${null} onSaved=${saved} onFresh=${fresh}
              onCancel=${() => { setAdding(false); requestAnimationFrame(() => addButton.current?.focus()); }} />
          </div>` : html`
          <div class="office-actions">
            <button type="button" class="btn primary" ref=${addButton} onClick=${() => { setAdding(true); setFlash(null); }}>
              ${t('library.add_code')}
            </button>
          </div>`}
        <div class="field lib-search">
          <label for="library-search"><span>${t('library.search')}</span></label>
          <input id="library-search" type="search" value=${query} autocomplete="off"
            onInput=${(event) => setQuery(event.currentTarget.value)} />
        </div>
        <p class="orders-count" role="status" data-count>
          ${query ? t('library.shown', { shown: shown.length, total: codes.length }) : tn('library.count', codes.length)}
        </p>
        ${shown.length ? null : html`<p class="empty">${t('library.no_match')}</p>`}
        ${groups.map((group) => html`
          <section key=${group.category} class="lib-group" aria-labelledby=${`cat-${group.category}`} data-category=${group.category}>
            <h2 id=${`cat-${group.category}`}>${categoryName(group.category)} <span class="lib-count">(${group.codes.length})</span></h2>
            <ul class="cards lib-codes">
              ${group.codes.map((c) => (editing === c.code ? html`
                <li key=${c.code} class="card lib-code editing" data-code=${c.code}>
                  <${CodeForm} codes=${codes} record=${c} onSaved=${saved} onFresh=${fresh} onCancel=${() => {
                    setEditing(null);
                    requestAnimationFrame(() => document.querySelector(`[data-code="${c.code}"] button`)?.focus());
                  }} />
                </li>` : html`
                <${CodeCard} key=${c.code} code=${c} busy=${busy === c.code}
                  flash=${flash?.code === c.code ? flash : null}
                  onEdit=${() => { setEditing(c.code); setFlash(null); }} onToggle=${() => toggle(c)} />`))}
            </ul>
          </section>`)}`;
    }}<//>`;
}

// --- the checklist templates ----------------------------------------------------------------------------

/** A key for an item from its English words: "Carton drop test" → "carton_drop_test". */
export function keyFrom(label) {
  return fold(label).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '').slice(0, 40).replace(/_+$/, '');
}

/** A template's code from its English name: "Knitwear final" → "knitwear-final". */
export function codeFrom(name) {
  return fold(name).normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '');
}

/** `base`, or base_2, base_3 … if another item has it. */
function uniqueKey(base, others) {
  const taken = new Set(others);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const key = `${base.slice(0, 40 - String(n).length - 1)}_${n}`;
    if (!taken.has(key)) return key;
  }
}

const uid = () => crypto.randomUUID();

function itemForm(item, saved) {
  return { uid: uid(), open: false, key: item.key, keyTouched: true, saved, label: item.label, label_zh: item.label_zh,
    kind: item.kind ?? 'check', limit: item.limit ?? '', unit: item.unit ?? '', fail_severity: item.fail_severity ?? 'major' };
}

function templateForm(template) {
  return {
    code: template?.code ?? '', codeTouched: false, name: template?.name ?? '', name_zh: template?.name_zh ?? '',
    items: template ? template.items.map((i) => itemForm(i, true)) : [blankItem()],
  };
}

const blankItem = () => ({ uid: uid(), open: true, key: '', keyTouched: false, saved: false, label: '', label_zh: '', kind: 'check',
  limit: '', unit: '', fail_severity: 'major' });

/** The PUT body's items, in the form's order. */
function itemsBody(items) {
  return items.map((i) => {
    const value = i.kind === 'value';
    return { key: i.key.trim(), label: i.label.trim(), label_zh: i.label_zh.trim(), kind: i.kind,
      limit: value && i.limit.trim() ? i.limit.trim() : null, unit: value && i.unit.trim() ? i.unit.trim() : null,
      fail_severity: i.fail_severity };
  });
}

const comparable = (form) => JSON.stringify({ ...form, codeTouched: undefined,
  items: form.items.map(({ uid: _u, keyTouched: _k, saved: _s, open: _o, ...rest }) => rest) });

const TEMPLATE_RULES = { code: 'library.template_code_rule', name: 'library.name_rule', name_zh: 'library.name_rule',
  label: 'library.name_rule', label_zh: 'library.name_rule', key: 'library.key_rule', unit: 'library.name_rule' };

/** What an item asks for, in a few words: "Number, fails above 12 %" · "fails as Major". */
function itemSummary(item) {
  const limit = item.limit?.trim?.() ?? item.limit;
  const kind = item.kind !== 'value' ? t('library.sum_check')
    : limit ? t('library.sum_limit', { limit: `${limit}${item.unit ? ` ${item.unit}` : ''}` }) : t('library.sum_value');
  return `${kind} · ${t('library.sum_severity', { severity: t(`severity.${item.fail_severity}`) })}`;
}

/** One item: a short summary with its buttons, and its fields while it is open. */
function ItemEditor({ item, index, count, errors, onChange, onMove, onRemove }) {
  const n = index + 1;
  const at = (name) => `items[${index}].${name}`;
  const open = item.open;
  const suffix = html`<span class="sr-only"> ${t('library.item_suffix', { n })}</span>`;
  const first = localName(item, 'label');
  const second = first === item.label ? item.label_zh : item.label;
  const fieldsId = `item-fields-${item.uid}`;
  return html`
    <li class=${`lib-item${open ? ' open' : ''}`} data-item=${item.uid} data-key=${item.key}>
      <div class="lib-item-head">
        <span class="lib-item-n" aria-hidden="true">${n}</span>
        <div class="lib-item-sum">
          <h3><span class="sr-only">${t('library.item_n', { n })}: </span>${first || '—'}</h3>
          ${second ? html`<p class="lib-item-other">${second}</p>` : null}
          <p class="lib-meta" data-summary>${itemSummary(item)}</p>
        </div>
      </div>
      ${open ? html`
        <fieldset id=${fieldsId}>
          <legend class="sr-only">${t('library.item_n', { n })}</legend>
          <div class="lib-pair">
            <${Field} label=${t('library.label_en')} name=${at('label')} lang="en" value=${item.label} required maxlength="200"
              onValue=${(label) => onChange({ label })} error=${errors[at('label')]} />
            <${Field} label=${t('library.label_zh')} name=${at('label_zh')} lang="zh-CN" value=${item.label_zh} required
              maxlength="200" onValue=${(label_zh) => onChange({ label_zh })} error=${errors[at('label_zh')]} />
          </div>
          ${item.saved ? html`
            <p class="lib-key" data-key-fixed>${t('library.key_fixed', { key: item.key })}</p>
            ${errors[at('key')] ? html`<p class="field-error">${errors[at('key')]}</p>` : null}` : html`
            <${Field} label=${t('library.key')} name=${at('key')} value=${item.key} required maxlength="40" pattern=${KEY_PATTERN}
              autocomplete="off" autocapitalize="none" spellcheck=${false} title=${t('library.key_rule')}
              hint=${t('library.key_hint')} onValue=${(key) => onChange({ key, keyTouched: true })} error=${errors[at('key')]} />`}
          <div class="lib-pair">
            <${Field} label=${t('library.kind')} name=${at('kind')} as="select" value=${item.kind}
              options=${[['check', t('library.kind_check')], ['value', t('library.kind_value')]]}
              onValue=${(kind) => onChange({ kind })} error=${errors[at('kind')]} />
            <${Field} label=${t('library.fail_severity')} name=${at('fail_severity')} as="select" value=${item.fail_severity}
              options=${severityOptions()} onValue=${(fail_severity) => onChange({ fail_severity })}
              error=${errors[at('fail_severity')]} />
          </div>
          ${item.kind === 'value' ? html`
            <div class="lib-pair">
              <${Field} label=${t('library.limit')} name=${at('limit')} value=${item.limit} inputmode="decimal" maxlength="24"
                autocomplete="off" hint=${t('library.limit_hint')} onValue=${(limit) => onChange({ limit })} error=${errors[at('limit')]} />
              <${Field} label=${t('library.unit')} name=${at('unit')} value=${item.unit} maxlength="40" autocomplete="off"
                onValue=${(unit) => onChange({ unit })} error=${errors[at('unit')]} />
            </div>` : null}
        </fieldset>` : null}
      <div class="lib-item-actions">
        <button type="button" class="btn secondary small" data-act="open" aria-expanded=${open ? 'true' : 'false'}
          aria-controls=${open ? fieldsId : null} onClick=${() => onChange({ open: !open })}>
          ${t(open ? 'library.close_item' : 'library.edit')}${suffix}
        </button>
        <button type="button" class="btn secondary small lib-remove" data-act="remove" disabled=${count === 1} onClick=${onRemove}>
          ${t('library.remove')}${suffix}
        </button>
        <button type="button" class="btn secondary small" data-act="up" disabled=${index === 0} onClick=${() => onMove(-1)}>
          <span aria-hidden="true">${'↑\u00a0'}</span>${t('library.move_up')}${suffix}
        </button>
        <button type="button" class="btn secondary small" data-act="down" disabled=${index === count - 1} onClick=${() => onMove(1)}>
          <span aria-hidden="true">${'↓\u00a0'}</span>${t('library.move_down')}${suffix}
        </button>
      </div>
    </li>`;
}

function TemplateFacts({ template }) {
  return html`
    <p><strong>${localName(template)}</strong></p>
    <ol class="lib-their-items">
      ${template.items.map((i) => html`<li key=${i.key}>${localName(i, 'label')}${i.kind === 'value' && i.limit != null ? ` (≤ ${i.limit}${i.unit ? ` ${i.unit}` : ''})` : ''}</li>`)}
    </ol>`;
}

let flashAfterCreate = null;  // the words to show once the new template's own address has opened

function TemplateForm({ templates, template, onSaved }) {
  const [form, setForm] = useState(() => templateForm(template));
  const [base, setBase] = useState(() => templateForm(template));
  const [version, setVersion] = useState(template?.version ?? 0);  // 0: a new template, never one that exists
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState(null);
  const [notice, setNotice] = useState(() => {
    const text = flashAfterCreate;
    flashAfterCreate = null;
    return text;
  });
  const [focus, setFocus] = useState(null);  // {uid, act}: the control to focus after a move, add or remove
  const formRef = useRef(null);
  const isNew = !template;
  useDirtyForm('library-template', comparable(form) !== comparable(base));

  useEffect(() => {
    if (!focus) return;
    const row = formRef.current?.querySelector(`[data-item="${focus.uid}"]`);
    const wanted = row?.querySelector(focus.act ? `[data-act="${focus.act}"]` : 'input');
    const target = wanted && !wanted.disabled ? wanted : row?.querySelector('[data-act]:not([disabled])');
    (target ?? formRef.current?.querySelector('[data-add-item]'))?.focus();
    setFocus(null);
  }, [focus]);

  // Errors are shown at their fields: the items they name are opened.
  function showErrors(found) {
    setErrors(found);
    const named = (i) => Object.keys(found).some((key) => key.startsWith(`items[${i}].`));
    setForm((f) => ({ ...f, items: f.items.map((item, i) => (named(i) && !item.open ? { ...item, open: true } : item)) }));
    focusFirstError(formRef.current);
  }

  const clearError = (...names) => setErrors((e) => {
    const next = { ...e };
    for (const name of names) delete next[name];
    return next;
  });

  function setField(name, value) {
    setForm((f) => {
      const next = { ...f, [name]: value };
      if (name === 'name' && isNew && !f.codeTouched) next.code = codeFrom(value);
      if (name === 'code') next.codeTouched = true;
      return next;
    });
    clearError(name, ...(name === 'name' ? ['code'] : []));
  }

  function changeItem(index, patch) {
    setForm((f) => {
      const items = f.items.map((item, i) => {
        if (i !== index) return item;
        const next = { ...item, ...patch };
        if ('label' in patch && !item.saved && !item.keyTouched) {
          const others = f.items.filter((_, j) => j !== index).map((o) => o.key);
          next.key = uniqueKey(keyFrom(patch.label) || `item_${index + 1}`, others);
        }
        return next;
      });
      return { ...f, items };
    });
    clearError(...Object.keys(patch).map((name) => `items[${index}].${name}`), ...('label' in patch ? [`items[${index}].key`] : []));
  }

  // Positions name the errors (items[2].limit): after a move or a removal they would point at another item.
  function move(index, step) {
    const target = index + step;
    setForm((f) => {
      const items = [...f.items];
      [items[index], items[target]] = [items[target], items[index]];
      return { ...f, items };
    });
    setErrors({});
    setFocus({ uid: form.items[index].uid, act: step < 0 ? 'up' : 'down' });
  }

  function remove(index) {
    const next = form.items[index + 1] ?? form.items[index - 1];
    setForm((f) => ({ ...f, items: f.items.filter((_, i) => i !== index) }));
    setErrors({});
    setFocus(next ? { uid: next.uid, act: 'remove' } : null);
  }

  function add() {
    const item = blankItem();
    setForm((f) => ({ ...f, items: [...f.items, item] }));
    setFocus({ uid: item.uid, act: null });
  }

  function check() {
    const found = {};
    for (const name of ['name', 'name_zh']) if (!form[name].trim()) found[name] = t('library.name_required');
    if (isNew) {
      const code = form.code.trim();
      const taken = templates.find((x) => x.code === code);
      if (!new RegExp(`^${TEMPLATE_CODE_PATTERN}$`).test(code)) found.code = t('library.template_code_rule');
      else if (taken) found.code = t('library.template_taken', { code, name: localName(taken) });
    }
    if (!form.items.length) found.items = t('library.items_required');
    const keys = new Map();
    form.items.forEach((item, i) => {
      for (const name of ['label', 'label_zh']) if (!item[name].trim()) found[`items[${i}].${name}`] = t('library.name_required');
      const key = item.key.trim();
      if (keys.has(key)) found[`items[${i}].key`] = t('library.key_taken');
      keys.set(key, i);
    });
    return found;
  }

  async function save(baseVersion = version) {
    const found = check();
    if (Object.keys(found).length) {
      showErrors({ '': t('library.fix_fields'), ...found });
      return;
    }
    setBusy(true);
    setErrors({});
    setNotice(null);
    const code = form.code.trim();
    try {
      if (isNew) {
        // A PUT of a code that exists would replace that checklist: read the list again just before.
        const taken = (await get('/api/checklist-templates')).find((x) => x.code === code);
        if (taken) {
          setErrors({ code: t('library.template_taken', { code, name: localName(taken) }) });
          focusFirstError(formRef.current);
          return;
        }
      }
      const body = { name: form.name.trim(), name_zh: form.name_zh.trim(), items: itemsBody(form.items) };
      if (baseVersion !== undefined) body.version = baseVersion;
      const saved = await send('PUT', `/api/checklist-templates/${encodeURIComponent(code)}`, body);
      const text = t('library.saved_template', { version: saved.version });
      setConflict(null);
      if (isNew) {
        flashAfterCreate = text;
        setDirty('library-template', false);
        onSaved(saved);
        return;
      }
      const next = templateForm(saved);
      setForm(next);
      setBase(next);
      setVersion(saved.version);
      setNotice(text);
      onSaved(saved);
    } catch (failure) {
      const current = theirCopy(failure);
      if (current) {
        setConflict(current);
      } else {
        const shown = (key) => key in TOP_FIELDS || key === 'items' || /^items\[\d+\]\.\w+$/.test(key);
        showErrors(refusal(failure, TEMPLATE_RULES, shown));
      }
    } finally {
      setBusy(false);
    }
  }

  function takeTheirs() {
    const next = templateForm(conflict);
    setForm(next);
    setBase(next);
    setVersion(conflict.version);
    setConflict(null);
    setErrors({});
  }

  const submit = (event) => { event.preventDefault(); save(); };
  return html`
    <form class="lib-form lib-template" ref=${formRef} onSubmit=${submit} noValidate data-template-form>
      ${template ? html`<p class="lib-meta" data-version>${template.code} · ${t('library.version', { version })}
        ${template.code === DEFAULT_TEMPLATE ? html` · <span class="badge ready">${t('library.default_template')}</span>` : null}</p>` : null}
      <p class="lib-intro">${t('library.templates_intro')}</p>
      ${notice ? html`<p class="notice ok" role="status" data-saved>${notice}</p>` : null}
      <${FormError} errors=${errors} />
      ${conflict ? html`
        <${ConflictChoice} current=${conflict} busy=${busy} onMine=${() => save(conflict.version)} onTheirs=${takeTheirs}>
          <${TemplateFacts} template=${conflict} />
        <//>` : null}
      <div class="lib-pair">
        <${Field} label=${t('library.template_name_en')} name="name" lang="en" value=${form.name} required maxlength="200"
          onValue=${(v) => setField('name', v)} error=${errors.name} />
        <${Field} label=${t('library.template_name_zh')} name="name_zh" lang="zh-CN" value=${form.name_zh} required
          maxlength="200" onValue=${(v) => setField('name_zh', v)} error=${errors.name_zh} />
      </div>
      ${isNew ? html`
        <${Field} label=${t('library.template_code')} name="code" value=${form.code} required maxlength="40"
          pattern=${TEMPLATE_CODE_PATTERN} autocomplete="off" autocapitalize="none" spellcheck=${false}
          title=${t('library.template_code_rule')} hint=${t('library.template_code_hint')}
          onValue=${(v) => setField('code', v)} error=${errors.code} />` : null}
      <section class="lib-items" aria-labelledby="lib-items-title">
        <h2 id="lib-items-title">${t('library.items')} <span class="lib-count">(${form.items.length})</span></h2>
        <p class="field-hint">${t('library.items_hint')}</p>
        ${errors.items ? html`<p class="field-error" data-items-error>${errors.items}</p>` : null}
        <ol class="plain lib-item-list">
          ${form.items.map((item, index) => html`
            <${ItemEditor} key=${item.uid} item=${item} index=${index} count=${form.items.length} errors=${errors}
              onChange=${(patch) => changeItem(index, patch)} onMove=${(step) => move(index, step)}
              onRemove=${() => remove(index)} />`)}
        </ol>
        <button type="button" class="btn secondary lib-add" data-add-item onClick=${add}>${t('library.add_item')}</button>
      </section>
      <div class="office-actions lib-save">
        <button type="submit" class="btn primary" disabled=${busy}>${busy ? t('library.saving') : t('library.save_template')}</button>
        <a class="btn secondary" href="#/library?tab=checklists">${t('library.cancel')}</a>
      </div>
    </form>`;
}

const TOP_FIELDS = { name: true, name_zh: true, code: true };

function TemplateEditor({ state, code }) {
  const load = useLoad(state, () => get('/api/checklist-templates'), [code]);
  const template = code ? load.data?.find((x) => x.code === code) : null;
  const title = code ? t('library.template_title', { name: template ? localName(template) : code }) : t('library.new_template');
  const saved = (record) => {
    if (!code) location.replace(`#/library?template=${encodeURIComponent(record.code)}`);
    else load.setData((list) => list.map((x) => (x.code === record.code ? record : x)));
  };
  return html`
    <${OfficeScreen} state=${state} name="library" title=${title}
      back=${{ href: '#/library?tab=checklists', label: t('library.back') }}>
      <${Loaded} load=${load}>${(templates) => (code && !template
        ? html`<p class="notice error" role="alert">${t('library.template_missing', { code })}</p>`
        : html`<${TemplateForm} key=${code || 'new'} templates=${templates} template=${template} onSaved=${saved} />`)}<//>
    <//>`;
}

function TemplateList({ state }) {
  const load = useLoad(state, () => get('/api/checklist-templates'));
  return html`
    <p class="lib-intro">${t('library.templates_intro')}</p>
    <div class="office-actions">
      <a class="btn primary lib-new-template" href="#/library?new=template">${t('library.new_template')}</a>
    </div>
    <${Loaded} load=${load}>${(templates) => (templates.length ? html`
      <ul class="cards lib-templates">
        ${templates.map((x) => html`
          <li key=${x.code} class="card lib-template-card" data-template=${x.code}>
            <div class="card-head">
              <h3>${localName(x)}</h3>
              ${x.code === DEFAULT_TEMPLATE ? html`<span class="badge ready">${t('library.default_template')}</span>` : null}
            </div>
            <${Names} en=${x.name} zh=${x.name_zh} />
            <p class="lib-meta">${x.code} · ${tn('library.items', x.items.length)} · ${t('library.version', { version: x.version })}</p>
            <div class="lib-actions">
              <a class="btn secondary small" href=${`#/library?template=${encodeURIComponent(x.code)}`}>
                ${t('library.edit')}<span class="sr-only"> ${localName(x)}</span>
              </a>
            </div>
          </li>`)}
      </ul>` : html`<p class="empty">${t('library.no_templates')}</p>`)}<//>`;
}

// --- the screen -----------------------------------------------------------------------------------------

export function LibraryScreen({ state, params = {} }) {
  const code = params.template || null;
  const editor = Boolean(code) || params.new === 'template';
  const part = editor ? 'editor' : params.tab === 'checklists' ? 'templates' : 'codes';
  const view = `${part}/${code ?? ''}`;
  const first = useRef(true);
  useEffect(() => {
    // The app moves the focus only when the route's screen changes; the library's parts share one route.
    if (first.current) { first.current = false; return; }
    document.getElementById('main')?.focus({ preventScroll: true });
    scrollTo(0, 0);
  }, [view]);

  if (editor) return html`<${TemplateEditor} key=${view} state=${state} code=${code} />`;
  const tab = (key, href, label) => html`
    <a href=${href} class="lib-tab" aria-current=${part === key ? 'page' : null}>${label}</a>`;
  return html`
    <${OfficeScreen} state=${state} name="library" title=${t('library.title')} section="library">
      <nav class="lib-parts" aria-label=${t('library.parts')}>
        ${tab('codes', '#/library', t('library.codes_tab'))}
        ${tab('templates', '#/library?tab=checklists', t('library.templates_tab'))}
      </nav>
      ${part === 'codes' ? html`<${DefectLibrary} state=${state} />` : html`<${TemplateList} state=${state} />`}
    <//>`;
}
