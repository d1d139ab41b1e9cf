// The spec sheet (尺寸表) of an order, #/orders/{id}/spec-sheet: points of measure × sizes, each point with its
// tolerances, typed in a grid or pasted from Excel / WPS. The phone grades every measurement against it, so an
// order without one cannot have its measurements graded. Saved whole with the version it was based on: if someone
// else saved meanwhile, the server refuses (409) and nothing of this edit is kept.
import '../../office-spec-strings.js';
import { ApiError } from '../../api.js';
import { t, tn } from '../../i18n.js';
import { html, useMemo, useRef, useState } from '../html.js';
import { Field, Loaded, OfficeScreen, fieldErrors, get, send, useLoad } from './common.js';
import { nextCode, parseSpecPaste, withCodes } from './spec-paste.js';

const UNITS = ['cm', 'inch'];
const SEVERITIES = ['major', 'minor', 'critical'];

async function loadSheet(orderId) {
  const base = `/api/orders/${encodeURIComponent(orderId)}`;
  const order = await get(base);
  let sheet = null;
  try {
    sheet = await get(`${base}/spec-sheet`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;  // 404: none yet, start one
  }
  return { order, sheet };
}

/** The order's sizes as its lines list them, each once. */
const orderSizes = (order) => [...new Set(order.lines.map((line) => line.size))];

let nextKey = 0;
const keyed = (point) => ({ key: `p${++nextKey}`, code: '', name: '', name_zh: '', tol_minus: '', tol_plus: '',
  ...point, tol_plus: point.tol_plus ?? '', specs: { ...(point.specs || {}) } });

/** The sizes the grid shows: the order's, then any other the sheet has values for. */
function sizesOf(order, points) {
  const sizes = orderSizes(order);
  for (const point of points) for (const size of Object.keys(point.specs)) if (!sizes.includes(size)) sizes.push(size);
  return sizes;
}

export function SpecSheetScreen({ state, ids: [orderId] }) {
  const load = useSheet(state, orderId);
  const po = load.data?.order.po_number;
  return html`
    <${OfficeScreen} state=${state} name="spec-sheet" title=${po ? t('spec.title', { po }) : t('office.spec_sheet')}
      back=${{ href: `#/orders/${orderId}`, label: po ? t('spec.back', { po }) : t('office.back') }}>
      <p class="notice spec-why">${t('spec.why')}</p>
      <${Loaded} load=${load}>${({ order, sheet }) => html`
        <${SheetEditor} key=${`${sheet?.version ?? 0}-${load.round}`} order=${order} sheet=${sheet}
          onReload=${load.reload} />`}<//>
    <//>`;
}

// useLoad, and which load this is: a reload after a stale save starts the editor afresh even if the version is
// the one it already had.
function useSheet(state, orderId) {
  const round = useRef(0);
  const load = useLoad(state, () => { round.current += 1; return loadSheet(orderId); }, [orderId]);
  return { ...load, round: round.current };
}

function SheetEditor({ order, sheet, onReload }) {
  const [unit, setUnit] = useState(sheet?.unit ?? 'cm');
  const [severity, setSeverity] = useState(sheet?.defect_severity ?? 'major');
  const [points, setPoints] = useState(() => (sheet?.points.length ? sheet.points : [{}]).map(keyed));
  const [sizes, setSizes] = useState(() => sizesOf(order, sheet?.points ?? []));
  const [version, setVersion] = useState(sheet?.version ?? 0);
  const [status, setStatus] = useState('');  // '', 'saving', 'saved', 'stale', 'refused'
  const [errors, setErrors] = useState({});  // by the point's key: `${key}.tol_minus`, and '' for the rest
  const [dirty, setDirty] = useState(false);
  const [newSize, setNewSize] = useState('');
  const [sizeError, setSizeError] = useState('');
  const fromOrder = useMemo(() => new Set(orderSizes(order)), [order]);

  const changed = () => { setDirty(true); if (status === 'saved') setStatus(''); };
  const setCell = (key, field, value) => {
    changed();
    setPoints((list) => list.map((p) => (p.key !== key ? p
      : field.startsWith('specs.') ? { ...p, specs: { ...p.specs, [field.slice(6)]: value } } : { ...p, [field]: value })));
  };
  const addPoint = () => { changed(); setPoints((list) => [...list, keyed({})]); };
  const removePoint = (key) => { changed(); setPoints((list) => list.filter((p) => p.key !== key)); };

  function addSize(event) {
    event.preventDefault();
    const size = newSize.trim();
    if (!size) return;
    if (sizes.some((s) => s.toLowerCase() === size.toLowerCase())) { setSizeError(t('spec.size_taken', { size })); return; }
    changed();
    setSizes([...sizes, size]);
    setNewSize('');
    setSizeError('');
  }
  function removeSize(size) {
    changed();
    setSizes(sizes.filter((s) => s !== size));
    setPoints((list) => list.map((p) => { const specs = { ...p.specs }; delete specs[size]; return { ...p, specs }; }));
  }

  function usePaste(found) {
    changed();
    setPoints(withCodes(found.points, points).map(keyed));
    setSizes([...sizes, ...found.sizes.filter((s) => !sizes.includes(s))]);
    if (found.unit) setUnit(found.unit);
  }

  async function save(event) {
    event.preventDefault();
    // Rows left wholly empty are not points; the server's field names count the points sent.
    const sent = points.filter((p) => [p.code, p.name, p.name_zh, p.tol_minus, p.tol_plus, ...Object.values(p.specs)]
      .some((v) => String(v ?? '').trim()));
    // A point typed without a code gets the next free letter: the phone names points by code.
    const taken = new Set(sent.map((p) => p.code.trim()).filter(Boolean));
    const codes = sent.map((p) => p.code.trim() || (() => { const code = nextCode(taken); taken.add(code); return code; })());
    const body = {
      version, unit, defect_severity: severity,
      points: sent.map((p, i) => ({
        code: codes[i], name: p.name.trim(), name_zh: p.name_zh.trim(), tol_minus: p.tol_minus.trim(),
        tol_plus: p.tol_plus.trim() || null,
        specs: Object.fromEntries(sizes.map((s) => [s, String(p.specs[s] ?? '').trim()]).filter(([, v]) => v)),
      })),
    };
    setStatus('saving');
    setErrors({});
    try {
      const saved = await send('PUT', `/api/orders/${encodeURIComponent(order.id)}/spec-sheet`, body);
      setVersion(saved.version);
      setPoints((saved.points.length ? saved.points : [{}]).map(keyed));
      setStatus('saved');
      setDirty(false);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) { setStatus('stale'); return; }
      const found = fieldErrors(error);
      const byKey = {};
      for (const [field, message] of Object.entries(found)) {
        const match = /^points\[(\d+)\]\.(.+)$/.exec(field);
        const point = match && sent[Number(match[1])];
        byKey[point ? `${point.key}.${match[2]}` : field] = message;
      }
      setErrors(byKey);
      setStatus('refused');
    }
  }

  const saving = status === 'saving';
  return html`
    ${version ? html`<p class="muted spec-version" data-version=${version}>${t('spec.version', { version })}</p>`
      : html`<p class="notice warn" data-none-yet>${t('spec.none_yet')}</p>`}
    <${PasteBox} unit=${unit} sizes=${sizes} onUse=${usePaste} />
    <form class="spec-form" onSubmit=${save} novalidate>
      <div class="spec-settings">
        <${Field} as="select" label=${t('spec.unit')} name="unit" value=${unit} error=${errors.unit}
          options=${UNITS.map((u) => [u, t(`spec.unit_${u}`)])} onValue=${(v) => { changed(); setUnit(v); }} />
        <${Field} as="select" label=${t('spec.severity')} name="defect_severity" value=${severity}
          error=${errors.defect_severity} hint=${t('spec.severity_hint')}
          options=${SEVERITIES.map((s) => [s, t(`severity.${s}`)])} onValue=${(v) => { changed(); setSeverity(v); }} />
      </div>
      <h2 id="spec-points-title">${t('spec.points')} <span class="muted">(${tn('spec.points_count', points.length)})</span></h2>
      <p class="field-hint">${t('spec.sizes_hint')}</p>
      <${Grid} points=${points} sizes=${sizes} unit=${unit} errors=${errors} fromOrder=${fromOrder}
        onCell=${setCell} onRemove=${removePoint} onRemoveSize=${removeSize} />
      <p class="office-actions">
        <button type="button" class="btn secondary small" onClick=${addPoint}>${t('spec.add_point')}</button>
      </p>
      <div class="spec-add-size">
        <${Field} label=${t('spec.new_size')} name="new_size" value=${newSize} maxlength="40" error=${sizeError}
          onValue=${(v) => { setNewSize(v); setSizeError(''); }}
          onKeyDown=${(e) => { if (e.key === 'Enter') addSize(e); }} />
        <button type="button" class="btn secondary small" onClick=${addSize}>${t('spec.add_size')}</button>
      </div>
      ${status === 'refused' ? html`
        <div class="notice error" role="alert" data-form-error>
          ${Object.keys(errors).some((k) => k !== '') ? html`<p>${t('spec.not_saved')}</p>` : null}
          ${Object.entries(errors).filter(([k]) => !/^p\d+\./.test(k) && k !== 'unit' && k !== 'defect_severity')
            .map(([k, message]) => html`<p key=${k}>${message}</p>`)}
          <${CellErrors} errors=${errors} points=${points} />
        </div>` : null}
      ${status === 'stale' ? html`
        <div class="notice error" role="alert" data-stale>
          <p>${t('spec.stale')}</p>
          <button type="button" class="btn secondary small" onClick=${onReload}>${t('spec.reload')}</button>
        </div>` : null}
      ${status === 'saved' ? html`<p class="notice ok" role="status" data-saved>${t('spec.saved', { version })}</p>` : null}
      ${dirty && !saving ? html`<p class="muted" role="status">${t('spec.unsaved')}</p>` : null}
      <button type="submit" class="btn primary block" disabled=${saving}>${saving ? t('spec.saving') : t('spec.save')}</button>
    </form>`;
}

const COLUMNS = { name: 'spec.name', code: 'spec.code', name_zh: 'spec.name_zh', tol_minus: 'spec.tol_minus',
  tol_plus: 'spec.tol_plus' };
const cellId = (key, field) => `spec-${key}-${field.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
/** What names a point's row in its cells' labels: its name, else its code, else its place. */
const pointLabel = (p, i) => p.name.trim() || p.code.trim() || t('spec.row', { n: i + 1 });

/** The refused cells, listed where the phone shows them whole; each takes the user to its cell. */
function CellErrors({ errors, points }) {
  const listed = points.flatMap((p, i) => Object.entries(errors)
    .filter(([k]) => k.startsWith(`${p.key}.`))
    .map(([k, message]) => {
      const field = k.slice(p.key.length + 1);
      const column = field.startsWith('specs.') ? field.slice(6) : t(COLUMNS[field] ?? 'spec.name');
      return { id: cellId(p.key, field), label: t('spec.cell', { column, point: pointLabel(p, i) }), message };
    }));
  if (!listed.length) return null;
  return html`
    <ul class="spec-errors">${listed.map((e) => html`
      <li key=${e.id}>
        <button type="button" class="btn secondary small" onClick=${() => document.getElementById(e.id)?.focus()}>${e.label}</button>
        <span>${e.message}</span>
      </li>`)}
    </ul>`;
}

/** The grid: a row per point, a column per size; the point's name stays in view while the sizes scroll. */
function Grid({ points, sizes, unit, errors, fromOrder, onCell, onRemove, onRemoveSize }) {
  const cell = (p, i, field, column, props = {}) => {
    const error = errors[`${p.key}.${field}`];
    const id = cellId(p.key, field);
    const value = field.startsWith('specs.') ? p.specs[field.slice(6)] ?? '' : p[field];
    return html`
      <input id=${id} name=${`${p.key}.${field}`} value=${value} aria-label=${t('spec.cell', { column, point: pointLabel(p, i) })}
        aria-invalid=${error ? 'true' : null} aria-describedby=${error ? `${id}-error` : null} autocomplete="off"
        onInput=${(e) => onCell(p.key, field, e.currentTarget.value)} ...${props} />
      ${error ? html`<p class="cell-error" id=${`${id}-error`}>${error}</p>` : null}`;
  };
  const numeric = { inputmode: unit === 'cm' ? 'decimal' : 'text', maxlength: 40, class: 'num' };
  if (!points.length) return html`<p class="empty">${t('spec.no_points')}</p>`;
  return html`
    <div class="table-wrap spec-wrap">
      <table class="grid spec-grid" aria-labelledby="spec-points-title">
        <thead><tr>
          <th scope="col" class="sticky">${t('spec.name')}</th>
          <th scope="col">${t('spec.code')}</th>
          <th scope="col">${t('spec.name_zh')}</th>
          <th scope="col">${t('spec.tol_minus')}</th>
          <th scope="col">${t('spec.tol_plus')}</th>
          ${sizes.map((size) => html`
            <th scope="col" key=${size} class="size" data-size=${size}>
              <span>${size}</span>
              ${fromOrder.has(size) ? null : html`
                <span class="muted extra">${t('spec.extra_size')}</span>
                <button type="button" class="btn secondary small" aria-label=${t('spec.remove_size', { size })}
                  onClick=${() => onRemoveSize(size)}>${t('spec.remove_point')}</button>`}
            </th>`)}
          <th scope="col"><span class="sr-only">${t('spec.remove_point')}</span></th>
        </tr></thead>
        <tbody>${points.map((p, i) => html`
          <tr key=${p.key} data-point=${i}>
            <th scope="row" class="sticky">${cell(p, i, 'name', t('spec.name'), {
              class: 'name', maxlength: 200,
              'aria-label': t('spec.cell', { column: t('spec.name'), point: t('spec.row', { n: i + 1 }) }) })}</th>
            <td>${cell(p, i, 'code', t('spec.code'), { class: 'code', maxlength: 40 })}</td>
            <td>${cell(p, i, 'name_zh', t('spec.name_zh'), { class: 'name-zh', maxlength: 200 })}</td>
            <td>${cell(p, i, 'tol_minus', t('spec.tol_minus'), numeric)}</td>
            <td>${cell(p, i, 'tol_plus', t('spec.tol_plus'), { ...numeric, placeholder: t('spec.tol_plus_same') })}</td>
            ${sizes.map((size) => html`<td key=${size}>${cell(p, i, `specs.${size}`, size, numeric)}</td>`)}
            <td><button type="button" class="btn secondary small" aria-label=${t('spec.remove_point_label', { point: pointLabel(p, i) })}
              onClick=${() => onRemove(p.key)}>${t('spec.remove_point')}</button></td>
          </tr>`)}
        </tbody>
      </table>
    </div>`;
}

/** The paste: read as it is typed or pasted, shown as it will be, used only when asked. */
function PasteBox({ unit, sizes, onUse }) {
  const [text, setText] = useState('');
  const found = useMemo(() => (text.trim() ? parseSpecPaste(text, { unit, knownSizes: sizes }) : null), [text, unit, sizes]);
  const problem = (p) => (p.row ? t('spec.paste_row', { row: p.row }) : '')
    + t(`spec.paste.${p.problem}`, { text: p.text, column: p.column });
  return html`
    <details class="filterbox spec-paste" open=${Boolean(text)}>
      <summary>${t('spec.paste_title')}</summary>
      <${Field} as="textarea" label=${t('spec.paste_label')} name="paste" value=${text} hint=${t('spec.paste_hint')}
        rows="5" spellcheck="false" onValue=${setText} />
      ${found ? html`
        <section class="spec-preview" aria-labelledby="spec-preview-title" data-preview>
          <h3 id="spec-preview-title" class="small-title">${t('spec.preview')}</h3>
          <p role="status">${found.points.length
            ? t('spec.paste_found', { points: tn('spec.points_count', found.points.length), sizes: found.sizes.join(', ') })
            : t('spec.paste_nothing')}</p>
          ${found.unit && found.unit !== unit ? html`
            <p class="notice warn">${t('spec.paste_unit', { unit: t(`spec.unit_${found.unit}`) })}</p>` : null}
          ${found.problems.length ? html`
            <div class="notice warn" data-paste-problems>
              <p>${t('spec.paste_problems')}</p>
              <ul>${found.problems.map((p, i) => html`<li key=${i}>${problem(p)}</li>`)}</ul>
            </div>` : null}
          ${found.points.length ? html`
            <div class="table-wrap">
              <table class="grid spec-preview-grid">
                <caption class="sr-only">${t('spec.preview')}</caption>
                <thead><tr><th scope="col">${t('spec.name')}</th><th scope="col">${t('spec.tol_minus')}</th>
                  <th scope="col">${t('spec.tol_plus')}</th>
                  ${found.sizes.map((s) => html`<th scope="col" class="num" key=${s}>${s}</th>`)}</tr></thead>
                <tbody>${found.points.map((p, i) => html`
                  <tr key=${i}><th scope="row">${p.code ? `${p.code} ` : ''}${p.name}${p.name_zh && p.name_zh !== p.name
                    ? html` <span lang="zh-CN">${p.name_zh}</span>` : null}</th>
                    <td class="num">${p.tol_minus}</td><td class="num">${p.tol_plus ?? p.tol_minus}</td>
                    ${found.sizes.map((s) => html`<td class="num" key=${s}>${p.specs[s] ?? '—'}</td>`)}</tr>`)}
                </tbody>
              </table>
            </div>` : null}
          <p class="office-actions">
            <button type="button" class="btn primary small" disabled=${!found.points.length}
              onClick=${() => { onUse(found); setText(''); }}>${t('spec.paste_use')}</button>
            <button type="button" class="btn secondary small" onClick=${() => setText('')}>${t('spec.paste_cancel')}</button>
          </p>
        </section>` : null}
    </details>`;
}
