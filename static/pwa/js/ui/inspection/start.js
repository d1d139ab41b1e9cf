// Start: the order, the AQL plan per severity (sample size, Ac/Re) and the cartons to pull. For an
// in-process check (DUPRO), once started, the production stage, the percent complete and notes.
import { errorMessage } from '../../api.js';
import { formatDate, t } from '../../i18n.js';
import { saveInspectionFields, startInspection } from '../../records.js';
import { html, useState } from '../html.js';
import { SEVERITIES, useDirty } from './parts.js';

function PlanTable({ inspection }) {
  const plans = inspection.plans || {};
  if (!Object.keys(plans).length) return html`<p class="notice warn">${t('no_plan')}</p>`;
  return html`
    <table class="plan" data-plan>
      <caption>${t('plan_caption', { lot: inspection.lot_size ?? '—', level: inspection.aql_level })}</caption>
      <thead><tr><th scope="col">${t('severity')}</th><th scope="col">AQL</th><th scope="col">${t('sample_size')}</th>
        <th scope="col">Ac</th><th scope="col">Re</th></tr></thead>
      <tbody>
        ${SEVERITIES.filter((s) => plans[s]).map((s) => html`
          <tr><th scope="row">${t(`severity.${s}`)}</th><td>${inspection[`aql_${s}`]}</td>
            <td>${plans[s].sample_size}${plans[s].full_inspection ? html` <span class="muted">(100%)</span>` : null}</td>
            <td>${plans[s].accept}</td><td>${plans[s].reject}</td></tr>`)}
      </tbody>
    </table>
    ${inspection.mode && inspection.mode !== 'normal' ? html`<p class="notice warn">${t(`mode.${inspection.mode}`)}</p>` : null}`;
}

/** The picked cartons, each with what it holds and whether a scan proved it was opened. */
export function CartonsToPull({ data, scanned }) {
  const cartons = data.inspection.cartons || [];
  if (!cartons.length) return html`<p class="muted">${t('no_cartons_picked')}</p>`;
  return html`
    <ul class="pull" data-pull>
      ${cartons.map((c) => {
        const done = scanned?.has(c.number);
        const content = (c.items || []).map((i) => `${i.colour} ${i.size} × ${i.quantity}`).join(', ');
        return html`
          <li class=${done ? 'done' : ''} data-carton=${c.number}>
            <span class="pull-no">${t('carton_no', { n: c.number })}</span>
            <span class="pull-state">${done ? html`<span aria-hidden="true">✓ </span>${t('carton_opened')}` : t('carton_to_open')}</span>
            ${content ? html`<span class="pull-content muted">${content}</span>` : null}
          </li>`;
      })}
    </ul>`;
}

/** Carton numbers that a scan (the phone's verdict until the server's replaces it) proved opened. */
export function scannedCartons(data) {
  const opened = new Set();
  for (const { record } of data.scans) {
    if ((record.verdict === 'ok' || record.verdict === 'already_scanned') && record.carton_number != null) {
      opened.add(record.carton_number);
    }
  }
  for (const c of data.inspection.cartons || []) if (c.scanned) opened.add(c.number);
  return opened;
}

const STAGES = ['cutting', 'sewing', 'finishing', 'packing'];

function ProgressForm({ data, user, frozen }) {
  const { inspection } = data;
  const initial = { stage: inspection.production_stage ?? '', percent: inspection.percent_complete ?? '', notes: inspection.notes ?? '' };
  const [form, setForm] = useState(initial);
  const [message, setMessage] = useState(null);
  const changed = form.stage !== initial.stage || String(form.percent) !== String(initial.percent) || form.notes !== initial.notes;
  useDirty('progress', changed);
  const set = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });
  async function save(event) {
    event.preventDefault();
    const percent = form.percent === '' ? null : Number(form.percent);
    if (percent !== null && !(Number.isInteger(percent) && percent >= 0 && percent <= 100)) {
      setMessage({ error: t('percent_invalid') });
      return;
    }
    try {
      await saveInspectionFields(data, user, { production_stage: form.stage || null, percent_complete: percent, notes: form.notes });
      setMessage({ ok: t('saved_here') });
    } catch (error) {
      setMessage({ error: errorMessage(error) });
    }
  }
  return html`
    <form class="form" onSubmit=${save} data-progress>
      <h2>${t('progress_title')}</h2>
      <label class="field"><span>${t('production_stage')}</span>
        <select value=${form.stage} onChange=${set('stage')} disabled=${frozen}>
          <option value="">${t('choose')}</option>
          ${STAGES.map((s) => html`<option value=${s}>${t(`stage.${s}`)}</option>`)}
        </select>
      </label>
      <label class="field"><span>${t('percent_complete')}</span>
        <input type="number" inputmode="numeric" min="0" max="100" step="1" value=${form.percent}
          onInput=${set('percent')} disabled=${frozen} />
      </label>
      <label class="field"><span>${t('notes')}</span>
        <textarea rows="3" value=${form.notes} onInput=${set('notes')} disabled=${frozen}></textarea>
      </label>
      ${message?.error ? html`<p class="notice error" role="alert">${message.error}</p>` : null}
      ${message?.ok && !changed ? html`<p class="notice ok" role="status">${message.ok}</p>` : null}
      <button type="submit" class="btn primary block" disabled=${frozen || !changed}>${t('save_progress')}</button>
    </form>`;
}

export function StartScreen({ data, user, started, frozen }) {
  const { inspection, order } = data;
  const [error, setError] = useState(null);
  async function start() {
    try {
      await startInspection(data, user);
      location.hash = `/inspections/${data.id}/${data.dupro ? 'start' : 'cartons'}`;
    } catch (failure) {
      setError(errorMessage(failure));
    }
  }
  return html`
    <h1>${t(data.dupro ? (started ? 'tab.progress' : 'start_title_dupro') : 'start_title')}</h1>
    <dl class="fields order-facts">
      <div><dt>${t('field_style')}</dt><dd>${order.style_number}</dd></div>
      <div><dt>${t('field_ship_date')}</dt><dd>${order.ship_date ? formatDate(order.ship_date) : '—'}</dd></div>
      <div class="wide"><dt>${t('field_factory')}</dt><dd>${order.factory?.name ?? ''}</dd></div>
    </dl>
    ${data.dupro && started ? html`<${ProgressForm} data=${data} user=${user} frozen=${frozen} />` : null}
    ${data.dupro ? html`<p class="muted">${t('dupro_rules')}</p>` : html`
      <h2>${t('plan_title')}</h2>
      <${PlanTable} inspection=${inspection} />
      <h2>${t('cartons_title', { n: (inspection.cartons || []).length })}</h2>
      <${CartonsToPull} data=${data} scanned=${scannedCartons(data)} />`}
    ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
    ${started ? null : html`
      <div class="actionbar single">
        <button type="button" class="btn primary" onClick=${start}>${t('start_inspection')}</button>
      </div>`}`;
}
