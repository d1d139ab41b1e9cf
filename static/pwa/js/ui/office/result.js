// An inspection's result, #/orders/{id}/inspections/{iid}: read-only, for staff and the order's factory (the
// full photo report and the review are elsewhere). A factory user of the order's factory signs it here on its
// own login once it is submitted.
//
// The order's list of inspections is read first: it says whether this inspection is submitted without naming
// any carton. Only a submitted one is loaded in full, so that nothing this screen asks for before submission
// can tell a factory which cartons will be opened (the server hides the picks from it too: api/access.py).
import '../../office-result-strings.js';
import { ApiError, errorMessage, isNetworkError } from '../../api.js';
import { formatDateTime, t, tn } from '../../i18n.js';
import { html, useState } from '../html.js';
import { SEVERITIES, SeverityBadge } from '../inspection/parts.js';
import { DrawingPad, usePad } from '../inspection/signature.js';
import { Field, FormError, Loaded, OfficeScreen, dash, date, fieldErrors, get, localName, send, useLoad, zh } from './common.js';

const DONE = new Set(['submitted', 'reviewed']);
const when = (iso) => (iso ? formatDateTime(iso) : '—');

async function loadResult(orderId, inspectionId) {
  const base = `/api/orders/${encodeURIComponent(orderId)}`;
  const [order, listed] = await Promise.all([get(base), get(`${base}/inspections`)]);
  const booking = listed.find((i) => i.id === inspectionId) ?? null;
  if (!booking || !DONE.has(booking.status)) return { order, booking };
  const path = `/api/inspections/${encodeURIComponent(inspectionId)}`;
  const [inspection, photos, codes] = await Promise.allSettled([get(path), get(`${path}/photos`),
    get('/api/defect-codes')]);
  const lost = [inspection, photos, codes].find((p) => p.status === 'rejected' && isNetworkError(p.reason));
  if (lost) throw lost.reason;
  if (inspection.status === 'rejected') throw inspection.reason;
  return {
    order, booking, inspection: inspection.value, photos,
    codes: new Map((codes.status === 'fulfilled' ? codes.value : []).map((c) => [c.code, c])),
  };
}

export function ResultScreen({ state, ids: [orderId, inspectionId] }) {
  const load = useLoad(state, () => loadResult(orderId, inspectionId), [orderId, inspectionId]);
  const shown = load.data?.inspection ?? load.data?.booking;
  const po = load.data?.order.po_number;
  return html`
    <${OfficeScreen} state=${state} name="result"
      title=${shown ? t('result.title', { type: t(`type.${shown.type}`) }) : t('result.heading_loading')}
      back=${{ href: `#/orders/${orderId}`, label: po ? t('office.order_title', { po }) : t('result.back') }}>
      <${Loaded} load=${load}>${(data) => {
        if (!data.booking) return html`<p class="notice error" role="alert">${t('result.not_found')}</p>`;
        if (!data.inspection) return html`<${NotYet} booking=${data.booking} />`;
        return html`<${Result} data=${data} user=${state.user} load=${load} />`;
      }}<//>
    <//>`;
}

/** Booked, in progress or aborted: what the order's list says, and why there is no result. */
function NotYet({ booking }) {
  return html`
    <dl class="fields panel-fields">
      <div><dt>${t('office.date')}</dt><dd>${date(booking.scheduled_for)}</dd></div>
      <div><dt>${t('field_status')}</dt><dd data-status>${t(`status.${booking.status}`)}</dd></div>
    </dl>
    <p class="notice warn result-notice" data-not-submitted>
      ${t(booking.status === 'aborted' ? 'result.aborted' : 'result.not_submitted')}
    </p>`;
}

function Result({ data, user, load }) {
  const { inspection } = data;
  const signatures = Object.fromEntries(inspection.signatures.map((s) => [s.role, s]));
  return html`
    <div class="result">
      <${Verdict} inspection=${inspection} />
      <${Facts} inspection=${inspection} inspector=${inspection.assignee_name || signatures.inspector?.name} />
      <${Review} inspection=${inspection} />
      <${AqlTable} inspection=${inspection} />
      <${Defects} inspection=${inspection} codes=${data.codes} />
      <${Measurements} inspection=${inspection} />
      <${Checklist} inspection=${inspection} />
      <section aria-labelledby="result-notes-title" data-notes>
        <h2 id="result-notes-title">${t('notes')}</h2>
        ${inspection.notes ? html`<p class="result-notes">${inspection.notes}</p>`
          : html`<p class="empty">${t('result.no_notes')}</p>`}
      </section>
      <${Photos} part=${data.photos} inspection=${inspection} codes=${data.codes} />
      <${Signatures} inspection=${inspection} signatures=${signatures} user=${user} load=${load} />
    </div>`;
}

// --- the verdict and the facts --------------------------------------------------------------------------

function Verdict({ inspection }) {
  const { verdict } = inspection;
  if (!verdict) {
    return html`
      <div class="result-verdict">
        <p class="verdict-big pending" data-verdict="none">${t('result.no_verdict')}</p>
        ${inspection.type === 'in_process' ? html`<p>${t('dupro_rules')}</p>` : null}
      </div>`;
  }
  return html`
    <div class="result-verdict">
      <p class=${`verdict-big ${verdict}`} data-verdict=${verdict}>
        <span aria-hidden="true">${verdict === 'pass' ? '✓ ' : '✗ '}</span>${t('result.verdict', { verdict: t(`verdict.${verdict}`) })}
      </p>
      <p>${t(`verdict_long.${verdict}`)}</p>
    </div>`;
}

function Facts({ inspection, inspector }) {
  // The sampling matters where it gave a verdict (an in-process check's plans judged nothing).
  const planned = Boolean(inspection.verdict) && Object.keys(inspection.plans || {}).length > 0;
  return html`
    <dl class="fields panel-fields" data-facts>
      <div><dt>${t('field_type')}</dt><dd>${t(`type.${inspection.type}`)}</dd></div>
      <div><dt>${t('office.date')}</dt><dd>${date(inspection.scheduled_for)}</dd></div>
      <div><dt>${t('result.inspector')}</dt><dd data-inspector>${dash(inspector)}</dd></div>
      <div><dt>${t('field_status')}</dt><dd data-status>${t(`status.${inspection.status}`)}</dd></div>
      <div><dt>${t('result.submitted_at')}</dt><dd>${when(inspection.submitted_at)}</dd></div>
      <div><dt>${t('units_inspected')}</dt><dd>${inspection.units_inspected}</dd></div>
      ${inspection.lot_size ? html`<div><dt>${t('result.lot_size')}</dt><dd>${inspection.lot_size}</dd></div>` : null}
      ${inspection.production_stage ? html`
        <div><dt>${t('production_stage')}</dt><dd>${t(`stage.${inspection.production_stage}`)}</dd></div>` : null}
      ${inspection.percent_complete !== null ? html`
        <div><dt>${t('percent_complete')}</dt><dd>${inspection.percent_complete} %</dd></div>` : null}
      ${planned ? html`
        <div class="wide"><dt>${t('result.sampling')}</dt><dd>
          ${t('result.sampling_value', { level: inspection.aql_level, critical: inspection.aql_critical,
            major: inspection.aql_major, minor: inspection.aql_minor })}
          <br />${t(`result.mode.${inspection.mode}`)}
        </dd></div>` : null}
    </dl>`;
}

function Review({ inspection }) {
  const decided = inspection.status === 'reviewed' && inspection.review_decision;
  return html`
    <section aria-labelledby="result-review-title" data-review>
      <h2 id="result-review-title">${t('result.review')}</h2>
      ${!decided ? html`<p class="empty">${t('result.not_reviewed')}</p>` : html`
        <dl class="fields panel-fields">
          <div><dt>${t('office.decision')}</dt><dd class=${`decision ${inspection.review_decision}`} data-decision>
            ${t(`decision.${inspection.review_decision}`)}</dd></div>
          <div><dt>${t('result.reviewed_at')}</dt><dd>${when(inspection.reviewed_at)}</dd></div>
          <div class="wide"><dt>${t('result.review_note')}</dt><dd class="result-notes">${dash(inspection.review_note)}</dd></div>
        </dl>`}
    </section>`;
}

/** Per severity: the plan (n, Ac, Re), what was found, and the verdict in words. Without a verdict (an in-process
 * check: no sample to complete) the plans judged nothing, and the defects say what was found. */
function AqlTable({ inspection }) {
  const { severities } = inspection.result;
  const rows = SEVERITIES.filter((s) => severities[s]);
  if (!inspection.verdict || !rows.length) return null;
  return html`
    <section aria-labelledby="result-aql-title" data-aql>
      <h2 id="result-aql-title">${t('result.aql')}</h2>
      <div class="table-wrap" tabindex="0" role="group" aria-labelledby="result-aql-title">
        <table class="grid aql">
          <caption>${t('result.aql_caption', { units: inspection.units_inspected })}</caption>
          <thead><tr><th scope="col">${t('severity')}</th><th scope="col" class="num">${t('result.sample')}</th>
            <th scope="col" class="num">Ac</th><th scope="col" class="num">Re</th><th scope="col" class="num">${t('found')}</th>
            <th scope="col">${t('verdict')}</th></tr></thead>
          <tbody>${rows.map((s) => {
            const r = severities[s];
            return html`
              <tr key=${s} class=${r.verdict === 'fail' ? 'off' : ''} data-severity=${s}>
                <th scope="row">${t(`severity.${s}`)}</th><td class="num">${r.sample_size}</td>
                <td class="num">${r.accept}</td><td class="num">${r.reject}</td><td class="num" data-found>${r.count}</td>
                <td><span class=${`verdict-word ${r.verdict}`}>${t(`verdict.${r.verdict}`)}</span></td>
              </tr>`;
          })}</tbody>
        </table>
      </div>
    </section>`;
}

// --- findings -------------------------------------------------------------------------------------------

const codeName = (codes, code) => (codes.get(code) ? localName(codes.get(code), 'name_en', 'name_zh') : '');

function Defects({ inspection, codes }) {
  const defects = inspection.defects;
  return html`
    <section aria-labelledby="result-defects-title" data-defects>
      <h2 id="result-defects-title">${t('result.defects')}</h2>
      ${!defects.length ? html`<p class="empty">${t('result.no_defects')}</p>` : SEVERITIES.map((severity) => {
        const mine = defects.filter((d) => d.severity === severity);
        if (!mine.length) return null;
        const total = mine.reduce((sum, d) => sum + d.count, 0);
        return html`
          <div key=${severity} class="result-group" data-severity=${severity}>
            <h3 class="small-title"><${SeverityBadge} severity=${severity} /> ${t('result.times', { n: total })}</h3>
            <ul class="defects">
              ${mine.map((d) => html`<${DefectItem} key=${d.id} defect=${d} name=${codeName(codes, d.code)} />`)}
            </ul>
          </div>`;
      })}
    </section>`;
}

function DefectItem({ defect, name }) {
  const where = [defect.sample_unit ? t('result.sample_unit', { unit: defect.sample_unit }) : '',
    defect.carton_number ? t('result.carton', { n: defect.carton_number }) : '', defect.location].filter(Boolean);
  return html`
    <li class="defect" data-defect=${defect.code}>
      <div class="defect-head">
        <span class="defect-name"><span class="code">${defect.code}</span> ${name}</span>
        <span class="defect-count">${t('result.times', { n: defect.count })}</span>
      </div>
      ${where.length ? html`<p class="defect-facts">${where.join(' · ')}</p>` : null}
      ${defect.note ? html`<p class="defect-note">${defect.note}</p>` : null}
      ${defect.follow_up ? html`<p class="followup-line">${defect.closed_at
        ? t('result.follow_up_closed', { date: formatDateTime(defect.closed_at) })
        : t('result.follow_up_due', { date: date(defect.follow_up_due) })}</p>` : null}
    </li>`;
}

function Measurements({ inspection }) {
  const all = inspection.measurements;
  const off = all.filter((m) => !m.within);
  const points = new Map((inspection.spec_sheet?.points || []).map((p) => [p.code, p]));
  const units = new Set(all.map((m) => m.sample_unit)).size;
  return html`
    <section aria-labelledby="result-measurements-title" data-measurements>
      <h2 id="result-measurements-title">${t('result.measurements')}</h2>
      ${!all.length ? html`<p class="empty">${t('result.no_measurements')}</p>` : html`
        <p data-measured>
          ${tn('result.measured', all.length, { units })}${zh() ? '' : ' '}${off.length ? tn('result.off', off.length) : t('result.all_within')}
        </p>
        ${off.length ? html`
          <div class="table-wrap" tabindex="0" role="group" aria-label=${t('result.off_caption')}>
            <table class="grid measured-off">
              <caption class="sr-only">${t('result.off_caption')}</caption>
              <thead><tr>
                <th scope="col">${t('result.point')}</th>
                <th scope="col" class="num">${t('result.spec', { unit: t(`result.unit.${off[0].unit}`) })}</th>
                <th scope="col" class="num">${t('result.reading')}</th>
                <th scope="col" class="num">${t('result.deviation')}</th>
              </tr></thead>
              <tbody>${off.map((m) => html`
                <tr key=${m.id} class="off">
                  <td>${localName(points.get(m.point), 'name') || m.point}
                    <span class="measured-where">${t('result.size_unit', { size: m.size, unit: m.sample_unit })}</span></td>
                  <td class="num">${m.spec}</td><td class="num">${m.reading}</td><td class="num">${m.deviation}</td>
                </tr>`)}
              </tbody>
            </table>
          </div>` : null}`}
    </section>`;
}

function Checklist({ inspection }) {
  const answers = inspection.checklist_answers;
  const items = new Map((inspection.checklist?.items || []).map((i) => [i.key, i]));
  const failed = answers.filter((a) => a.result === 'fail');
  return html`
    <section aria-labelledby="result-checklist-title" data-checklist>
      <h2 id="result-checklist-title">${t('checklist_title')}</h2>
      ${!answers.length ? html`<p class="empty">${t(inspection.checklist ? 'result.no_answers' : 'no_checklist')}</p>` : html`
        <p data-checks>${tn('result.checks', answers.length, { failed: failed.length })}</p>
        ${failed.length ? html`
          <ul class="checklist">${failed.map((a) => html`
            <li key=${a.id} class="citem fail" data-item=${a.item_key}>
              <div class="defect-head">
                <span class="defect-name">${localName(items.get(a.item_key), 'label') || a.item_key}</span>
                <${SeverityBadge} severity=${a.severity || 'major'} />
              </div>
              ${a.value ? html`<p class="defect-facts">${t('result.value', { value: a.value })}</p>` : null}
              ${a.note ? html`<p class="defect-note">${a.note}</p>` : null}
            </li>`)}
          </ul>` : null}`}
    </section>`;
}

/** What a photo shows, from what it was taken for. */
function photoSubject(photo, inspection, codes) {
  const defect = photo.defect_id && inspection.defects.find((d) => d.id === photo.defect_id);
  const item = photo.checklist_item && inspection.checklist?.items.find((i) => i.key === photo.checklist_item);
  const parts = [
    defect ? `${defect.code} ${codeName(codes, defect.code)}`.trim() : '',
    photo.checklist_item ? t('result.photo_item', { item: localName(item, 'label') || photo.checklist_item }) : '',
    photo.carton_number ? t('result.carton', { n: photo.carton_number }) : '',
    photo.sample_unit ? t('result.sample_unit', { unit: photo.sample_unit }) : '',
    photo.caption,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : t('result.photo_general');
}

function Photos({ part, inspection, codes }) {
  let body;
  if (part.status === 'rejected') {
    const message = errorMessage(part.reason);
    body = html`<p class="notice error">${t('result.load_part_failed', { part: t('result.photos'), message })}</p>`;
  } else {
    const photos = part.value.filter((p) => !p.withdrawn_at);
    body = !photos.length ? html`<p class="empty">${t('result.no_photos')}</p>` : html`
      <ul class="result-photos">${photos.map((p, index) => html`
        <li key=${p.id} data-photo=${p.id}>
          <a href=${p.urls.display} target="_blank" rel="noopener">
            <img src=${p.urls.thumb} alt="" loading="lazy" width="160" height="160" />
            <span>${t('result.photo_alt', { n: index + 1, what: photoSubject(p, inspection, codes) })}</span>
          </a>
        </li>`)}
      </ul>`;
  }
  return html`
    <section aria-labelledby="result-photos-title" data-photos>
      <h2 id="result-photos-title">${t('result.photos')}</h2>
      ${body}
    </section>`;
}

// --- signatures -------------------------------------------------------------------------------------------

function SignatureShown({ inspection, role, signature }) {
  const title = t(`signer.${role}`);
  return html`
    <section class="signature" aria-label=${title} data-signature=${role}>
      <h3>${title}</h3>
      ${!signature ? html`<p class="empty">${t('result.not_signed')}</p>` : html`
        <p class="notice ok" data-signed>
          <span aria-hidden="true">✓ </span>${t('signed_by', { name: signature.name, time: when(signature.signed_at) })}
        </p>
        ${signature.has_image ? html`
          <img class="signature-image" alt=${t('result.signature_alt', { name: signature.name })}
            src=${`/api/inspections/${encodeURIComponent(inspection.id)}/signatures/${role}/image`} />`
          : html`<p class="muted">${t('result.typed_name')}</p>`}`}
    </section>`;
}

function Signatures({ inspection, signatures, user, load }) {
  const [notice, setNotice] = useState(null);  // the last signing's outcome: {kind: 'ok'} or {kind: 'error', error}
  const ownFactory = user.role === 'factory' && user.factory_id && user.factory_id === inspection.order.factory.id;
  const mayAsk = ownFactory && DONE.has(inspection.status) && !signatures.factory;

  function signed(signature) {
    setNotice({ kind: 'ok' });
    load.setData({ ...load.data, inspection: { ...inspection, signatures: [...inspection.signatures, signature] } });
  }
  function refused(error) {
    // Signed meanwhile (another phone of the factory's, or the inspector's with the factory's representative).
    setNotice({ kind: 'error', error });
    load.reload();
  }
  return html`
    <section aria-labelledby="result-signatures-title" data-signatures>
      <h2 id="result-signatures-title">${t('signatures_title')}</h2>
      ${notice ? html`<p class=${`notice ${notice.kind}`} role=${notice.kind === 'ok' ? 'status' : 'alert'}>
        ${notice.kind === 'ok' ? t('result.signed_now') : errorMessage(notice.error)}</p>` : null}
      <div class="result-signatures">
        <${SignatureShown} inspection=${inspection} role="inspector" signature=${signatures.inspector} />
        ${mayAsk ? html`<${FactorySign} inspection=${inspection} user=${user} onSigned=${signed} onTaken=${refused} />`
          : html`<${SignatureShown} inspection=${inspection} role="factory" signature=${signatures.factory} />`}
      </div>
    </section>`;
}

/** The factory signs with its own login: a name, and a drawn signature or the typed name alone. */
function FactorySign({ inspection, user, onSigned, onTaken }) {
  const pad = usePad();
  const [name, setName] = useState(user.display_name || '');
  const [how, setHow] = useState('draw');
  const [errors, setErrors] = useState({});
  const [undrawn, setUndrawn] = useState(false);  // "Sign" was tapped before anything was drawn
  const [busy, setBusy] = useState(false);

  async function sign(event) {
    event.preventDefault();
    const missing = name.trim() ? {} : { name: t('sign_name_missing') };
    setErrors(missing);
    setUndrawn(how === 'draw' && !pad.drawn);
    if (missing.name || (how === 'draw' && !pad.drawn)) return;
    setBusy(true);
    try {
      const signature = await send('POST', `/api/inspections/${encodeURIComponent(inspection.id)}/signatures`,
        { role: 'factory', name: name.trim(), image_png: how === 'draw' ? pad.png() : null });
      onSigned(signature);
    } catch (failure) {
      setBusy(false);
      if (failure instanceof ApiError && failure.status === 409) onTaken(failure);
      else {
        const found = fieldErrors(failure);
        // A refusal that names a field this form does not have (or none) is shown above the form.
        if (!found[''] && !found.name && !found.image_png) found[''] = errorMessage(failure);
        setErrors(found);
      }
    }
  }

  function choose(value) {
    if (value !== how) pad.clear();  // the canvas goes away with "typed": what was drawn on it goes too
    setHow(value);
  }
  const title = t('result.sign_title');
  const choice = (value, label) => html`
    <label class=${`seg ${how === value ? 'on' : ''}`}>
      <input type="radio" name="sign-how" value=${value} checked=${how === value} onChange=${() => choose(value)} />
      ${label}
    </label>`;
  return html`
    <form class="signature factory-sign" aria-labelledby="factory-sign-title" data-factory-sign onSubmit=${sign} noValidate>
      <h3 id="factory-sign-title">${title}</h3>
      <p>${t('result.sign_intro', { factory: inspection.order.factory.name })}</p>
      <${FormError} errors=${errors} />
      <${Field} label=${t('signer_name')} name="name" value=${name} onValue=${setName} error=${errors.name}
        maxlength="120" autocomplete="name" />
      <fieldset class="sign-how">
        <legend>${t('result.sign_how')}</legend>
        ${choice('draw', t('result.sign_draw'))}
        ${choice('typed', t('result.sign_typed'))}
      </fieldset>
      ${how === 'draw' ? html`
        <${DrawingPad} pad=${pad} label=${t('sign_here', { who: t('signer.factory') })} />
        ${undrawn && !pad.drawn ? html`<p class="field-error" role="alert">${t('sign_missing')}</p>` : null}
        ${errors.image_png ? html`<p class="field-error" role="alert">${errors.image_png}</p>` : null}
        <p class="office-actions">
          <button type="button" class="btn secondary small" onClick=${pad.clear}>${t('clear')}</button>
        </p>`
        : null}
      <button type="submit" class="btn primary block" disabled=${busy}>
        ${busy ? t('result.signing') : t('result.sign_button')}
      </button>
    </form>`;
}
