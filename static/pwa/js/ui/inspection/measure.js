// Measurements: the spec sheet's points of measure down the side, sample units across. Each value is read
// as typed (inch fractions such as "15 3/8" too) and graded against spec ± tolerance as soon as it is
// entered (logic/grading.js); each sample unit has its size.
import { errorMessage } from '../../api.js';
import { t } from '../../i18n.js';
import { gradeMeasurement } from '../../logic/grading.js';
import { saveFinding } from '../../records.js';
import { html, useRef, useState } from '../html.js';
import { RecordIssue, local, useDirty } from './parts.js';

const DEFAULT_UNITS = 3;

/** The spec sheet's sizes, in the order's size order where it has one. */
function sizesOf(data) {
  const onSheet = new Set(data.spec.points.flatMap((p) => Object.keys(p.specs || {})));
  const ordered = [...new Set((data.order.lines || []).map((l) => l.size))].filter((s) => onSheet.has(s));
  return [...ordered, ...[...onSheet].filter((s) => !ordered.includes(s))];
}

function signed(deviation) {
  const n = Number(deviation);
  return n > 0 ? `+${deviation}` : String(deviation);
}

function Cell({ data, user, point, unit, size, entry, frozen }) {
  const saved = entry?.record.reading ?? '';
  const [text, setText] = useState(saved);
  const [error, setError] = useState(null);
  const id = `m-${point.code}-${unit}`;
  useDirty(id, text.trim() !== saved && text.trim() !== '');
  const m = entry?.record;
  // One record per cell, whatever its saves: Enter then leaving the field must not make two.
  const key = useRef(entry?.key ?? crypto.randomUUID());
  const sent = useRef(saved);

  async function commit() {
    const reading = text.trim();
    if (!reading || (reading === sent.current && (!m || m.size === size))) return;
    const judged = gradeMeasurement(reading, data.spec, point.code, size);
    if (judged.error) { setError(judged.field === 'reading' ? t('reading_invalid', { text: reading }) : local(judged, 'message')); return; }
    setError(null);
    sent.current = reading;
    try {
      await saveFinding(data, user, 'measurement', entry, { id: key.current, sample_unit: String(unit), size, point: point.code, reading },
        { value: judged.value, spec: judged.spec, deviation: judged.deviation, within: judged.within, unit: judged.unit });
    } catch (failure) {
      sent.current = null;
      setError(errorMessage(failure));
    }
  }

  const label = t('measure_cell', { point: local(point, 'name'), unit });
  return html`
    <td class=${m && text.trim() === saved ? (m.within ? 'within' : 'off') : ''}>
      <input id=${id} value=${text} inputmode="text" autocomplete="off" aria-label=${label} disabled=${frozen || !size}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${`${id}-g`}
        onInput=${(e) => setText(e.currentTarget.value)} onChange=${commit}
        onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); commit(); } }} />
      <span id=${`${id}-g`} class="grade">${error ? html`<span class="bad">${error}</span>`
        : m && text.trim() === saved ? (m.within ? html`✓ ${signed(m.deviation)}` : html`✗ ${signed(m.deviation)}`) : ''}</span>
    </td>`;
}

export function MeasureScreen({ data, user, frozen }) {
  const { spec } = data;
  const known = [...new Set(data.measurements.map((e) => Number(e.record.sample_unit)).filter(Number.isInteger))];
  const [count, setCount] = useState(Math.max(DEFAULT_UNITS, ...known));
  const sizes = spec?.points?.length ? sizesOf(data) : [];
  const stored = {};
  for (const e of data.measurements) stored[e.record.sample_unit] ??= e.record.size;
  const [chosen, setChosen] = useState({});
  if (!spec?.points?.length) return html`<h1>${t('tab.measure')}</h1><p class="empty">${t('no_spec_sheet')}</p>`;
  const units = Array.from({ length: count }, (_, i) => i + 1);
  // A unit takes the size chosen for it, else the one it was measured in, else the unit before it's.
  const sizeOf = (u) => chosen[u] ?? stored[String(u)] ?? (u > 1 ? sizeOf(u - 1) : sizes.length === 1 ? sizes[0] : '');
  const find = (u, code) => data.measurements.find((e) => e.record.sample_unit === String(u) && e.record.point === code);
  const off = new Set(data.measurements.filter((e) => e.record.within === false).map((e) => e.record.sample_unit));

  return html`
    <h1>${t('tab.measure')}</h1>
    <p class="muted">${t('measure_help', { unit: spec.unit === 'inch' ? t('unit_inch') : 'cm' })}</p>
    <p class="progress-line" data-off>${t('units_off', { n: off.size })}</p>
    <div class="grid-wrap">
      <table class="mgrid">
        <thead>
          <tr><th scope="col">${t('point_of_measure')}</th>${units.map((u) => html`<th scope="col">${t('unit_n', { n: u })}</th>`)}</tr>
          <tr><th scope="row">${t('size')}</th>${units.map((u) => html`
            <td><select aria-label=${t('size_of_unit', { n: u })} value=${sizeOf(u)} disabled=${frozen || Boolean(stored[String(u)])}
              onChange=${(e) => setChosen({ ...chosen, [u]: e.currentTarget.value })}>
              <option value="">—</option>${sizes.map((s) => html`<option value=${s}>${s}</option>`)}
            </select></td>`)}</tr>
        </thead>
        <tbody>
          ${spec.points.map((p) => html`
            <tr>
              <th scope="row"><span class="pname">${local(p, 'name')}</span>
                <span class="muted ptol">±${p.tol_minus}${p.tol_plus && p.tol_plus !== p.tol_minus ? `/+${p.tol_plus}` : ''}</span></th>
              ${units.map((u) => html`<${Cell} key=${`${p.code}-${u}-${sizeOf(u)}`} data=${data} user=${user} point=${p} unit=${u}
                size=${sizeOf(u)} entry=${find(u, p.code)} frozen=${frozen} />`)}
            </tr>`)}
        </tbody>
      </table>
    </div>
    ${data.measurements.filter((e) => e.error || e.conflict).map((e) => html`
      <div key=${e.key}><p class="progress-line">${t('measure_cell', { point: local(spec.points.find((p) => p.code === e.record.point), 'name'),
        unit: e.record.sample_unit })}</p><${RecordIssue} entry=${e} /></div>`)}
    ${frozen ? null : html`<button type="button" class="btn secondary block" onClick=${() => setCount(count + 1)}>${t('add_unit')}</button>`}`;
}
