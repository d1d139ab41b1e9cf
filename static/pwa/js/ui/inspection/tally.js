// The live AQL result on the phone: the defects found so far per severity against the plan's Ac/Re
// (logic/tally.js, the same arithmetic as the server's, checked against tests/vectors/live_result.json).
// Counted as the server counts them: defects by their count, each failed checklist item once at its
// severity, and each sample unit with a measurement out of tolerance once at the spec sheet's severity.
import { t } from '../../i18n.js';
import { countFindings, liveResult } from '../../logic/tally.js';
import { html } from '../html.js';
import { SEVERITIES } from './parts.js';

export function tallyOf(data) {
  const { inspection, defects, answers, measurements, spec, template } = data;
  const counts = countFindings({ defects, answers, measurements, template, spec });
  const plans = inspection.plans || {};
  const units = inspection.units_inspected || 0;
  const result = Object.keys(plans).length ? liveResult(plans, counts, units) : null;
  const reached = result ? SEVERITIES.filter((s) => result.severities[s]?.reached_re) : [];
  return { counts, result, units, reached, overall: result?.overall ?? 'pending' };
}

/** The verdict so far, in words and colour, with an alert the moment a severity reaches Re. */
export function TallyStrip({ tally, final }) {
  const { result, reached } = tally;
  if (!result) return null;
  return html`
    <section class="tally" aria-label=${t('tally_title')}>
      <p class=${`tally-verdict ${tally.overall}`}><span class="sr-only">${t('tally_title')}: </span>${t(`${final ? 'verdict' : 'so_far'}.${tally.overall}`)}</p>
      ${SEVERITIES.map((severity) => {
        const r = result.severities[severity];
        return r ? html`
          <p class=${`tally-sev ${r.verdict}`}>
            <span class="tally-name">${t(`severity.${severity}`)}</span>
            <span class="tally-count">${r.count}<span class="muted"> / Re ${r.reject}</span></span>
          </p>` : null;
      })}
    </section>
    ${reached.length ? html`
      <p class="notice error reached" role="alert">
        ${reached.map((s) => t('reached_re', { severity: t(`severity.${s}`), count: result.severities[s].count,
          reject: result.severities[s].reject })).join(' ')}
      </p>` : null}`;
}

/** The whole table: for each severity, what was found against its plan, and the verdict. */
export function TallyTable({ tally, plans }) {
  if (!tally.result) return null;
  return html`
    <table class="plan">
      <caption>${t('tally_caption', { units: tally.units })}</caption>
      <thead><tr><th scope="col">${t('severity')}</th><th scope="col">${t('found')}</th><th scope="col">n</th>
        <th scope="col">Ac</th><th scope="col">Re</th><th scope="col">${t('verdict')}</th></tr></thead>
      <tbody>
        ${SEVERITIES.filter((s) => tally.result.severities[s]).map((s) => {
          const r = tally.result.severities[s];
          return html`<tr class=${r.verdict}><th scope="row">${t(`severity.${s}`)}</th><td>${r.count}</td>
            <td>${plans?.[s]?.sample_size ?? r.sample_size}</td><td>${r.accept}</td><td>${r.reject}</td>
            <td><span class=${`verdict-word ${r.verdict}`}>${t(`verdict.${r.verdict}`)}</span></td></tr>`;
        })}
      </tbody>
    </table>`;
}
