// Defects: search the downloaded library in English or Chinese, set the severity and the count, take
// photos, and for an in-process check (DUPRO) a follow-up (整改) with an owner and a due date. The tally
// above shows the result so far against Ac/Re and warns the moment a severity reaches Re.
import { errorMessage } from '../../api.js';
import { formatDate, t } from '../../i18n.js';
import { discardPhoto } from '../../photos.js';
import { deleteFinding, people, saveFinding } from '../../records.js';
import { html, useEffect, useMemo, useRef, useState } from '../html.js';
import { AddPhoto, PhotoStrip, RecordIssue, SEVERITIES, SeverityBadge, local, useDirty } from './parts.js';
import { TallyTable } from './tally.js';

const MAX_RESULTS = 12;
const fold = (text) => String(text ?? '').toLowerCase().normalize('NFKC').replace(/\s+/g, ' ').trim();

/** Library entries matching `query` in either language (or the code), best first. */
export function searchLibrary(codes, query) {
  const q = fold(query);
  if (!q) return codes;
  const scored = [];
  for (const c of codes) {
    const code = fold(c.code);
    const names = [fold(c.name_en), fold(c.name_zh), fold(c.category)];
    const rank = code === q ? 0 : code.startsWith(q) ? 1 : names.some((n) => n.startsWith(q)) ? 2
      : names.some((n) => n.includes(q)) ? 3 : -1;
    if (rank >= 0) scored.push([rank, c]);
  }
  return scored.sort((a, b) => a[0] - b[0]).map(([, c]) => c);
}

const nameOf = (code) => (code ? `${code.code} · ${local(code, 'name')}` : '');

function blank(data) {
  return { id: crypto.randomUUID(), code: '', severity: '', count: 1, carton_number: '', sample_unit: '', note: '',
    photo_ids: [], follow_up: data.dupro, follow_up_owner_id: '', follow_up_due: '' };
}

function fromRecord(record) {
  return { ...record, carton_number: record.carton_number ?? '', follow_up_owner_id: record.follow_up_owner_id ?? '',
    follow_up_due: record.follow_up_due ?? '', photo_ids: [...(record.photo_ids ?? [])] };
}

function DefectForm({ data, user, entry, onDone }) {
  const initial = useMemo(() => (entry ? fromRecord(entry.record) : blank(data)), [entry]);
  const [form, setForm] = useState(initial);
  const [query, setQuery] = useState('');
  const [error, setError] = useState(null);
  const [owners, setOwners] = useState([]);
  const added = useRef(new Set());  // photos taken in this form: gone again if the form is cancelled
  const changed = JSON.stringify(form) !== JSON.stringify(initial) || query !== '';
  useDirty('defect', changed);
  useEffect(() => { if (data.dupro) people(user).then(setOwners); }, []);
  const chosen = data.codes.find((c) => c.code === form.code);
  const results = useMemo(() => searchLibrary(data.codes.filter((c) => c.active !== false), query).slice(0, MAX_RESULTS),
    [query, data.codes]);
  const set = (patch) => setForm((f) => ({ ...f, ...patch }));
  const drop = (ids) => { for (const id of ids) if (added.current.delete(id)) discardPhoto(id).catch(() => {}); };
  const cancel = () => { drop([...added.current]); onDone(); };
  const field = (name, parse = (v) => v) => (event) => set({ [name]: parse(event.currentTarget.value) });

  function choose(code) {
    set({ code: code.code, severity: form.severity && form.code ? form.severity : code.default_severity });
    setQuery('');
  }

  async function save(event) {
    event.preventDefault();
    const count = Number(form.count);
    if (!form.code) return setError(t('defect_pick_code'));
    if (!Number.isInteger(count) || count < 1) return setError(t('count_invalid'));
    if (data.dupro && form.follow_up && !form.follow_up_due) return setError(t('follow_up_due_missing'));
    const body = {
      id: form.id, code: form.code, severity: form.severity, count, carton_number: form.carton_number === '' ? null : Number(form.carton_number),
      sample_unit: form.sample_unit.trim(), note: form.note.trim(), photo_ids: form.photo_ids,
    };
    if (data.dupro) {
      Object.assign(body, { follow_up: Boolean(form.follow_up), follow_up_owner_id: form.follow_up ? form.follow_up_owner_id || user.id : null,
        follow_up_due: form.follow_up ? form.follow_up_due : null });
    }
    try {
      await saveFinding(data, user, 'defect', entry, body);
      onDone();
    } catch (failure) {
      console.error(failure);
      setError(errorMessage(failure));
    }
  }

  const cartons = data.inspection.cartons || [];
  const ownerChoices = [{ id: user.id, display_name: t('owner_me', { name: user.display_name || user.username }) },
    ...owners.filter((p) => p.id !== user.id)];
  return html`
    <form class="form defect-form" onSubmit=${save} data-defect-form>
      <h2>${t(entry ? 'edit_defect' : 'new_defect')}</h2>
      <div class="field">
        <label for="defect-search"><span>${t('defect_search')}</span></label>
        ${chosen ? html`<p class="chosen" data-chosen>${nameOf(chosen)}</p>` : null}
        <input id="defect-search" type="search" value=${query} placeholder=${t('defect_search_hint')} autocomplete="off"
          onInput=${(e) => setQuery(e.currentTarget.value)} />
        ${query || !chosen ? html`
          <ul class="library" aria-label=${t('defect_library')}>
            ${results.map((c) => html`
              <li><button type="button" class=${`libitem ${c.code === form.code ? 'on' : ''}`} aria-pressed=${c.code === form.code}
                onClick=${() => choose(c)}>
                <span class="libcode">${c.code}</span><span class="libname">${local(c, 'name')}</span>
                <span class="libother muted">${zhOther(c)}</span>
              </button></li>`)}
            ${results.length ? null : html`<li class="muted">${t('defect_none_found')}</li>`}
          </ul>` : null}
      </div>
      <fieldset class="segmented">
        <legend>${t('severity')}</legend>
        ${SEVERITIES.map((s) => html`
          <label class=${`seg ${s} ${form.severity === s ? 'on' : ''}`}>
            <input type="radio" name="severity" value=${s} checked=${form.severity === s} onChange=${() => set({ severity: s })} />
            ${t(`severity.${s}`)}
          </label>`)}
      </fieldset>
      <div class="row2">
        <div class="field">
          <label for="defect-count"><span>${t('count')}</span></label>
          <div class="stepper">
            <button type="button" class="btn secondary" aria-label=${t('count_less')} onClick=${() => set({ count: Math.max(1, Number(form.count) - 1) })}>−</button>
            <input id="defect-count" type="number" inputmode="numeric" min="1" step="1" value=${form.count} onInput=${field('count')} />
            <button type="button" class="btn secondary" aria-label=${t('count_more')} onClick=${() => set({ count: Number(form.count) + 1 })}>+</button>
          </div>
        </div>
        ${cartons.length ? html`
          <label class="field"><span>${t('carton')}</span>
            <select value=${form.carton_number} onChange=${field('carton_number')}>
              <option value="">—</option>
              ${cartons.map((c) => html`<option value=${c.number}>${c.number}</option>`)}
            </select>
          </label>` : html`
          <label class="field"><span>${t('sample_unit')}</span>
            <input value=${form.sample_unit} maxlength="40" onInput=${field('sample_unit')} />
          </label>`}
      </div>
      <label class="field"><span>${t('note')}</span>
        <textarea rows="2" maxlength="4000" value=${form.note} onInput=${field('note')}></textarea>
      </label>
      <div class="field">
        <${PhotoStrip} ids=${form.photo_ids} onRemove=${(id) => { drop([id]); set({ photo_ids: form.photo_ids.filter((p) => p !== id) }); }} />
        <${AddPhoto} links=${{ inspectionId: data.id, userId: user.id, defectId: form.id }}
          onAdded=${(id) => { added.current.add(id); setForm((f) => ({ ...f, photo_ids: [...f.photo_ids, id] })); }} />
      </div>
      ${data.dupro ? html`
        <fieldset class="followup">
          <legend>${t('follow_up')}</legend>
          <label class="check"><input type="checkbox" checked=${form.follow_up} onChange=${(e) => set({ follow_up: e.currentTarget.checked })} />
            <span>${t('follow_up_needed')}</span></label>
          ${form.follow_up ? html`
            <label class="field"><span>${t('follow_up_owner')}</span>
              <select value=${form.follow_up_owner_id || user.id} onChange=${field('follow_up_owner_id')}>
                ${ownerChoices.map((p) => html`<option value=${p.id}>${p.display_name}${p.company ? ` · ${p.company}` : ''}</option>`)}
              </select>
            </label>
            <label class="field"><span>${t('follow_up_due')}</span>
              <input type="date" value=${form.follow_up_due} onInput=${field('follow_up_due')} />
            </label>` : null}
        </fieldset>` : null}
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${cancel}>${t('cancel')}</button>
        <button type="submit" class="btn primary">${t('save_defect')}</button>
      </div>
    </form>`;
}

const zhOther = (c) => (local(c, 'name') === c.name_zh ? c.name_en : c.name_zh);

function DefectItem({ data, user, entry, frozen, onEdit }) {
  const d = entry.record;
  const code = data.codes.find((c) => c.code === d.code);
  const [confirm, setConfirm] = useState(false);
  return html`
    <li class="defect" data-defect=${d.id}>
      <div class="defect-head">
        <span class="defect-name">${code ? nameOf(code) : d.code}</span>
        <${SeverityBadge} severity=${d.severity} />
      </div>
      <p class="defect-facts">
        ${t('count_n', { n: d.count })}${d.carton_number ? ` · ${t('carton_no', { n: d.carton_number })}` : ''}${d.sample_unit ? ` · ${t('unit_n', { n: d.sample_unit })}` : ''}
      </p>
      ${d.note ? html`<p class="defect-note">${d.note}</p>` : null}
      ${d.follow_up ? html`<p class="followup-line">${t('follow_up_due_on', { date: d.follow_up_due ? formatDate(d.follow_up_due) : '—' })}</p>` : null}
      <${PhotoStrip} ids=${d.photo_ids} />
      <${RecordIssue} entry=${entry} />
      ${frozen ? null : html`
        <div class="item-actions">
          <button type="button" class="btn small secondary" onClick=${() => onEdit(entry)}>${t('edit')}</button>
          ${confirm ? html`
            <button type="button" class="btn small danger" onClick=${() => deleteFinding(data, user, 'defect', entry)}>${t('delete_confirm')}</button>`
            : html`<button type="button" class="btn small secondary" onClick=${() => setConfirm(true)}>${t('delete')}</button>`}
        </div>`}
    </li>`;
}

export function DefectsScreen({ data, user, tally, frozen }) {
  const [editing, setEditing] = useState(null);  // null, 'new' or the entry being edited
  const [closed, setClosed] = useState(0);
  const add = useRef(null);
  useEffect(() => {
    // Back from the form: at the top, the focus on "Add defect" for the next one.
    if (closed) { scrollTo(0, 0); add.current?.focus({ preventScroll: true }); }
  }, [closed]);
  if (editing) {
    return html`<${DefectForm} data=${data} user=${user} entry=${editing === 'new' ? null : editing}
      onDone=${() => { setEditing(null); setClosed((n) => n + 1); }} />`;
  }
  const total = data.defects.reduce((n, e) => n + (Number(e.record.count) || 0), 0);
  return html`
    <h1>${t('tab.defects')}</h1>
    ${data.dupro ? html`<p class="progress-line">${SEVERITIES.map((s) => `${t(`severity.${s}`)} ${tally.counts[s]}`).join(' · ')}</p>`
      : html`<${TallyTable} tally=${tally} plans=${data.inspection.plans} />`}
    ${frozen ? null : html`
      <button type="button" class="btn primary block add" ref=${add} onClick=${() => setEditing('new')}>
        <span aria-hidden="true">＋ </span>${t('add_defect')}
      </button>`}
    <h2>${t('defects_recorded', { n: total })}</h2>
    ${data.defects.length ? html`
      <ul class="defects">${data.defects.map((e) => html`<${DefectItem} key=${e.key} data=${data} user=${user} entry=${e}
        frozen=${frozen} onEdit=${setEditing} />`)}</ul>` : html`<p class="empty">${t('no_defects')}</p>`}`;
}
