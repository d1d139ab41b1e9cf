// The live tally of an inspection against its AQL plans, as the server computes GET /api/inspections/{id}
// `result` (api/inspections/rules.py live_result, and InspectionService.tally for what counts). Pure: no DOM.
//
//   liveResult(plans, counts, unitsInspected) → {overall, verdict, units_inspected, severities: {critical |
//       major | minor: {count, accept, reject, sample_size, verdict, found, ac, re, reached_re}}}
//       plans: {severity: {sample_size, accept, reject}} as the inspection record carries them; counts: defects per
//       severity (a missing one is 0). Verdicts are the server's: 'pass', 'fail' or 'pending'. `found`, `ac`,
//       `re` repeat count, accept and reject; `reached_re` is true from the moment count ≥ Re. Throws a
//       RangeError where the server raises (no plans, n < 1, Ac < 0, Re ≤ Ac, a negative count or unit count,
//       a count for a class without a plan).
//   countDefects(defects) → {critical, major, minor}: the defects' counts summed per severity, tombstones aside.
//   countFindings({defects, answers, measurements, template, spec}) → the counts the server tallies: defects,
//       failed checklist answers (at their item's fail severity), and one defect per sample unit with any
//       measurement out of tolerance (at the spec sheet's defect severity).
//   inspectionResult(inspection, findings) → the inspection's `result` as the server gives it.
//
// Records may be given bare (a DefectOut …) or as the phone stores them ({record, deleted, …}).
import { answerOutcome } from './grading.js';

export const SEVERITIES = ['critical', 'major', 'minor'];

/** One defect class: fail as soon as the count reaches Re; pass once its sample is complete within Ac. */
export function severityVerdict(count, sampleSize, accept, reject, unitsInspected) {
  if (count >= reject) return 'fail';
  if (unitsInspected >= sampleSize && count <= accept) return 'pass';
  return 'pending';
}

export function liveResult(plans, counts = {}, unitsInspected = 0) {
  const classes = Object.keys(plans || {});
  if (!classes.length) throw new RangeError('at least one defect class needs a plan');
  const unknown = Object.keys(counts).filter((s) => !classes.includes(s)).sort();
  if (unknown.length) throw new RangeError(`counts for classes without a plan: ${unknown.join(', ')}`);
  if (unitsInspected < 0) throw new RangeError('units_inspected must not be negative');
  const order = [...SEVERITIES.filter((s) => classes.includes(s)), ...classes.filter((s) => !SEVERITIES.includes(s))];
  const severities = {};
  for (const severity of order) {
    const { sample_size: n, accept, reject } = plans[severity];
    if (n < 1 || accept < 0 || reject <= accept) throw new RangeError(`not a sampling plan: n=${n}, Ac=${accept}, Re=${reject}`);
    const count = counts[severity] ?? 0;
    if (count < 0) throw new RangeError(`${severity}: defect count must not be negative`);
    const verdict = severityVerdict(count, n, accept, reject, unitsInspected);
    severities[severity] = { count, accept, reject, sample_size: n, verdict,
      found: count, ac: accept, re: reject, reached_re: count >= reject };
  }
  const verdicts = new Set(Object.values(severities).map((r) => r.verdict));
  const overall = verdicts.has('fail') ? 'fail' : verdicts.size === 1 && verdicts.has('pass') ? 'pass' : 'pending';
  return { overall, verdict: overall, units_inspected: unitsInspected, severities };
}

/** The live records among `items`: bare records, or stored entries without their tombstones. */
function live(items) {
  return (items || []).flatMap((item) => {
    const stored = item && 'record' in item && ('kind' in item || 'deleted' in item);
    const record = stored ? item.record : item;
    return !record || (stored && item.deleted) || record.deleted_here || record.deleted_at ? [] : [record];
  });
}

const zero = () => Object.fromEntries(SEVERITIES.map((s) => [s, 0]));

export function countDefects(defects) {
  const counts = zero();
  for (const defect of live(defects)) counts[defect.severity] = (counts[defect.severity] ?? 0) + (defect.count ?? 1);
  return counts;
}

export function countFindings({ defects, answers, measurements, template = null, spec = null } = {}) {
  const counts = countDefects(defects);
  for (const answer of live(answers)) {
    const outcome = template ? answerOutcome(answer, template) : answer;
    const { result, severity } = outcome.error ? answer : outcome;
    if (result === 'fail') counts[severity || 'major'] = (counts[severity || 'major'] ?? 0) + 1;
  }
  const offUnits = new Set(live(measurements).filter((m) => m.within === false).map((m) => m.sample_unit));
  if (offUnits.size) counts[spec?.defect_severity || 'major'] += offUnits.size;
  return counts;
}

export function inspectionResult(inspection, findings = {}) {
  const units = inspection.units_inspected ?? 0;
  const plans = inspection.plans || {};
  if (!Object.keys(plans).length) return { overall: 'pending', verdict: 'pending', units_inspected: units, severities: {} };
  return { ...liveResult(plans, countFindings(findings), units), counting: 'defects' };
}
