// Finish: the units inspected, a reason for each picked carton not opened, the signatures of the inspector
// and the factory's representative, then "Submit inspection" (queued: the sync engine sends it once the
// photos are on the server). Or abort the inspection with a reason.
import { errorMessage } from '../../api.js';
import { t } from '../../i18n.js';
import { abortInspection, saveInspectionFields, submitInspection } from '../../records.js';
import { html, useState } from '../html.js';
import { useDirty } from './parts.js';
import { SignaturePad } from './signature.js';
import { scannedCartons } from './start.js';
import { TallyTable } from './tally.js';

const MIN_REASON = 3;

function UnitsForm({ data, user, frozen, sample }) {
  const saved = data.inspection.units_inspected ?? 0;
  const [units, setUnits] = useState(String(saved));
  const [error, setError] = useState(null);
  useDirty('units', units !== String(saved));
  async function save(event) {
    event.preventDefault();
    const n = Number(units);
    if (!Number.isInteger(n) || n < 0) return setError(t('units_invalid'));
    setError(null);
    try { await saveInspectionFields(data, user, { units_inspected: n }); } catch (failure) { setError(errorMessage(failure)); }
  }
  return html`
    <form class="form compact" onSubmit=${save} data-units>
      <label class="field"><span>${t('units_inspected')}</span>
        <span class="inline-save">
          <input type="number" inputmode="numeric" min="0" step="1" value=${units} disabled=${frozen}
            onInput=${(e) => setUnits(e.currentTarget.value)} />
          <button type="submit" class="btn primary" disabled=${frozen || units === String(saved)}>${t('save')}</button>
        </span>
      </label>
      ${sample ? html`<p class="muted">${t('units_sample', { n: sample })}</p>` : null}
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
    </form>`;
}

function AbortForm({ data, user, onCancel }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState(null);
  useDirty('abort', reason.trim() !== '');
  async function abort(event) {
    event.preventDefault();
    if (reason.trim().length < MIN_REASON) return setError(t('abort_reason_missing'));
    try { await abortInspection(data, user, reason.trim()); location.hash = '/'; } catch (failure) { setError(errorMessage(failure)); }
  }
  return html`
    <form class="form" onSubmit=${abort} data-abort>
      <label class="field"><span>${t('abort_reason')}</span>
        <textarea rows="2" maxlength="2000" value=${reason} placeholder=${t('abort_reason_hint')}
          onInput=${(e) => setReason(e.currentTarget.value)}></textarea>
      </label>
      ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
      <div class="form-actions">
        <button type="button" class="btn secondary" onClick=${onCancel}>${t('cancel')}</button>
        <button type="submit" class="btn danger">${t('abort_now')}</button>
      </div>
    </form>`;
}

export function FinishScreen({ data, user, tally, frozen }) {
  const { inspection } = data;
  const [missing, setMissing] = useState({});
  const [problems, setProblems] = useState([]);
  const [aborting, setAborting] = useState(false);
  useDirty('missing', Object.values(missing).some((r) => r.trim()));
  const opened = scannedCartons(data);
  const unopened = data.dupro ? [] : (inspection.cartons || []).filter((c) => !opened.has(c.number));
  const sample = data.dupro ? 0 : Math.max(0, ...Object.values(inspection.plans || {}).map((p) => p.sample_size));

  async function submit() {
    const found = [];
    for (const c of unopened) {
      if ((missing[c.number] ?? '').trim().length < MIN_REASON && !c.missing_reason) found.push(t('carton_unopened', { n: c.number }));
    }
    if (!data.dupro && (inspection.units_inspected ?? 0) < sample) found.push(t('units_short', { n: sample }));
    setProblems(found);
    if (found.length) return;
    const reasons = Object.fromEntries(unopened.map((c) => [c.number, (missing[c.number] ?? '').trim() || c.missing_reason]));
    try {
      await submitInspection(data, user, reasons, tally.overall === 'pending' ? null : tally.overall);
      setMissing({});
      scrollTo(0, 0);  // the status and the verdict, at the top
      document.getElementById('main')?.focus({ preventScroll: true });
    } catch (failure) {
      setProblems([errorMessage(failure)]);
    }
  }

  const submitted = inspection.status === 'submitted' || inspection.status === 'reviewed';
  const waiting = (data.head.pending ?? 0) > 0;
  return html`
    <h1>${t('tab.finish')}</h1>
    ${submitted ? html`
      <p class=${`notice ${waiting ? 'warn' : 'ok'}`} role="status" data-submitted>
        ${t(waiting ? 'submitted_waiting' : 'submitted_synced')}
      </p>` : null}
    ${!data.dupro ? html`
      <section aria-labelledby="result-title" data-result>
        <h2 id="result-title">${t('result_title')}</h2>
        <p class=${`verdict-big ${tally.overall}`} data-verdict=${tally.overall}>${t(`verdict_long.${tally.overall}`)}</p>
        <${TallyTable} tally=${tally} plans=${inspection.plans} />
      </section>` : null}
    <${UnitsForm} data=${data} user=${user} frozen=${frozen} sample=${sample} />
    ${unopened.length && !frozen ? html`
      <section aria-labelledby="unopened-title">
        <h2 id="unopened-title">${t('unopened_title')}</h2>
        <p class="muted">${t('unopened_help')}</p>
        ${unopened.map((c) => html`
          <label class="field" key=${c.number}><span>${t('reason_for_carton', { n: c.number })}</span>
            <input value=${missing[c.number] ?? c.missing_reason ?? ''} maxlength="1000"
              onInput=${(e) => setMissing({ ...missing, [c.number]: e.currentTarget.value })} />
          </label>`)}
      </section>` : null}
    <h2>${t('signatures_title')}</h2>
    <${SignaturePad} data=${data} user=${user} role="inspector" entry=${data.signatures.inspector}
      defaultName=${user.display_name || user.username} />
    <${SignaturePad} data=${data} user=${user} role="factory" entry=${data.signatures.factory} />
    ${frozen ? null : html`
      <section class="submit" aria-label=${t('submit_inspection')}>
        ${problems.length ? html`<div class="notice error" role="alert"><p>${t('submit_blocked')}</p>
          <ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : null}
        <p class="muted">${t('submit_help')}</p>
        <button type="button" class="btn primary block" onClick=${submit}>${t('submit_inspection')}</button>
        ${aborting ? html`<${AbortForm} data=${data} user=${user} onCancel=${() => setAborting(false)} />` : html`
          <button type="button" class="btn secondary block abort" onClick=${() => setAborting(true)}>${t('abort_inspection')}</button>`}
      </section>`}`;
}
