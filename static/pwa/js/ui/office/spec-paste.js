// Reading a spec sheet (尺寸表) pasted from Excel or WPS: what a copy of cells puts on the clipboard is tab-separated
// text, a row a line, a cell with a line break or a tab in it quoted ("…", a quote doubled). Merchandisers copy
// the customer's sheet as it is: a title row or two, then a header row (部位 / Point, 公差 / Tol, one column per
// size), then a row per point. Pure functions: the screen shows what they found before anything is replaced.
import { parseReading } from '../../logic/grading.js';

/** The cells of tab-separated text, rows of strings; without a tab anywhere, cells split at 2+ spaces. */
export function splitCells(text) {
  const source = String(text ?? '').replace(/^\uFEFF/, '');
  if (!source.includes('\t')) {
    return source.split(/\r\n|\r|\n/).map((line) => line.trim() ? line.trim().split(/\s{2,}|\u3000+/) : ['']);
  }
  const rows = [];
  let row = [];
  let cell = '';
  let i = 0;
  let atStart = true;
  while (i < source.length) {
    const ch = source[i];
    if (atStart && ch === '"') {  // a quoted cell runs to the quote that is not doubled
      i += 1;
      while (i < source.length) {
        if (source[i] !== '"') { cell += source[i]; i += 1; continue; }
        if (source[i + 1] !== '"') { i += 1; break; }
        cell += '"';
        i += 2;
      }
      atStart = false;
      continue;
    }
    if (ch === '\t') { row.push(cell); cell = ''; atStart = true; i += 1; continue; }
    if (ch === '\r' || ch === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; atStart = true;
      i += ch === '\r' && source[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    cell += ch; atStart = false; i += 1;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

const clean = (cell) => String(cell ?? '').normalize('NFKC').replace(/\s+/g, ' ').trim();
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
const blank = (row) => row.every((cell) => !clean(cell));

// What a header cell names. Everything that is none of these (and not blank) is a size.
const IGNORED = /^(unit|units|单位|remarks?|notes?|comments?|备注|说明|grad(e|ing)|跳码|档差|放码|样衣|sample)\b/;
const TOL = /(tol|公差|允差|误差|偏差|±|\+\/-|\+-|-\/\+)/;
const CODE = /^(code|pom|pom ?(code|no\.?|#)|no\.?|#|ref|编号|代码|序号|部位代码|部位编号)$/;
const NAME_ZH = /(中文|chinese)/;
const NAME = /(point|measure|description|desc\b|部位|名称|描述|位置|测量)/;

function classify(header) {
  const h = clean(header).toLowerCase();
  if (!h) return 'blank';
  if (IGNORED.test(h)) return 'ignore';
  if (h === '-' || h === '−' || h === '-tol') return 'tol_minus';
  if (h === '+' || h === '+tol') return 'tol_plus';
  if (TOL.test(h)) {
    if (/(±|\+\/-|\+-|-\/\+|\+\/−)/.test(h)) return 'tol';
    if (/(minus|负|下|-|−)/.test(h)) return 'tol_minus';
    if (/(plus|正|上|\+)/.test(h)) return 'tol_plus';
    return 'tol';
  }
  if (CODE.test(h)) return 'code';
  if (NAME_ZH.test(h)) return 'name_zh';
  if (NAME.test(h)) return 'name';
  return 'size';
}

/** The unit a header row or title names, if any: 'inch', 'cm' or null. */
function unitOf(rows) {
  const words = rows.flat().map((c) => clean(c).toLowerCase()).join(' ');
  const inch = /(inch|英寸|")/.test(words);
  const cm = /(\bcm\b|厘米|公分)/.test(words);
  return inch === cm ? null : inch ? 'inch' : 'cm';
}

/** "Chest width 胸围" → ['Chest width', '胸围']; one language only → [it, ''] or ['', it]. */
export function splitName(text) {
  const name = clean(text);
  if (!CJK.test(name)) return [name, ''];
  const chars = [...name];
  let first = chars.findIndex((c) => CJK.test(c));
  let last = chars.length - 1 - [...chars].reverse().findIndex((c) => CJK.test(c));
  const opens = (c) => /[(（]/.test(c ?? '');
  const closes = (c) => /[)）]/.test(c ?? '');
  if (opens(chars[first - 1]) && closes(chars[last + 1])) { first -= 1; last += 1; }  // "(臀围) Hip"
  const inner = chars.slice(first, last + 1).join('');
  if (opens(inner) && !closes(inner) && closes(chars[last + 1])) last += 1;  // "腰围(平量) Waist"
  const zh = chars.slice(first, last + 1).join('').trim().replace(/^\(([^()]*)\)$/, '$1');
  const en = (chars.slice(0, first).join('') + ' ' + chars.slice(last + 1).join(''))
    .replace(/[(（]\s*[)）]/g, ' ').replace(/[(（]\s*$/, '').replace(/^\s*[)）]/, '')
    .replace(/^[\s/|,，;；:：-]+|[\s/|,，;；:：-]+$/g, '').replace(/\s+/g, ' ').trim()
    .replace(/^\(([^()]*)\)$/, '$1');
  return [en, zh];
}

const stripSign = (text) => text.replace(/^[+\-−±]\s*/, '').trim();
const stripUnit = (text) => text.replace(/\s*(cm|inch|inches|in|"|厘米|英寸)$/i, '').trim();

/** One tolerance cell: "±1", "1", "+/-0.5", "-0.5/+1", "+1 -0.5" → {minus, plus (null: the same)}. */
export function splitTolerance(text) {
  const t = stripUnit(clean(text));
  if (!t) return { minus: '', plus: null };
  let m = /^(?:±|\+\/-|\+-|\+\/−|-\/\+)\s*(.+)$/.exec(t);
  if (m) return { minus: stripSign(m[1]), plus: null };
  m = /^[-−]\s*([^+\s/,;，]+)\s*[/,;，]?\s*\+\s*(.+)$/.exec(t);
  if (m) return { minus: m[1].trim(), plus: m[2].trim() };
  m = /^\+\s*([^-−\s/,;，]+)\s*[/,;，]?\s*[-−]\s*(.+)$/.exec(t);
  if (m) return { minus: m[2].trim(), plus: m[1].trim() };
  return { minus: stripSign(t), plus: null };
}

/** The code after `code` in A, B … Z, AA, AB …: the codes a sheet without a code column gets. */
export function nextCode(taken) {
  for (let n = 0; ; n += 1) {
    let code = '';
    for (let k = n + 1; k > 0; k = Math.floor((k - 1) / 26)) code = String.fromCharCode(65 + ((k - 1) % 26)) + code;
    if (!taken.has(code)) return code;
  }
}

/**
 * A pasted sheet: {sizes, points: [{code, name, name_zh, tol_minus, tol_plus, specs}], unit (named in the paste,
 * or null), problems: [{row, column, problem, text}]}. `unit` is the sheet's (for reading the numbers),
 * `knownSizes` the order's sizes: a header "xl" is the order's "XL". Rows are numbered as in the paste (1 = its
 * first line); a problem's `problem` is one of no_header, no_sizes, no_tolerance_column, duplicate_size, no_name,
 * no_values, no_tolerance, number.
 */
export function parseSpecPaste(text, { unit = 'cm', knownSizes = [] } = {}) {
  const rows = splitCells(text);
  const problems = [];
  const found = { sizes: [], points: [], unit: null, problems };
  // The header row is the first that names a point, tolerance or code column and a size (a title row above it
  // may say "measurements"); else the first that names such a column; else the first with anything.
  const named = (row) => row.map(classify).some((kind) => ['name', 'name_zh', 'code', 'tol', 'tol_minus', 'tol_plus'].includes(kind));
  const sized = (row) => row.map(classify).includes('size');
  let headerAt = rows.findIndex((row, index) => index < 15 && named(row) && sized(row));
  if (headerAt < 0) headerAt = rows.findIndex((row, index) => index < 15 && named(row));
  if (headerAt < 0) headerAt = rows.findIndex((row) => !blank(row));
  if (headerAt < 0 || rows[headerAt].filter((cell) => clean(cell)).length < 2) {  // no columns: not a copy of cells
    problems.push({ row: 0, column: '', problem: 'no_header', text: '' });
    return found;
  }
  found.unit = unitOf(rows.slice(0, headerAt + 1));
  const readUnit = found.unit || unit;
  const header = rows[headerAt];
  const kinds = header.map(classify);
  // A blank header left of the sizes is the points' names (a sheet whose top-left cell is empty).
  const firstSize = kinds.indexOf('size');
  kinds.forEach((kind, index) => {
    if (kind === 'blank' && !kinds.includes('name') && (firstSize < 0 || index < firstSize)) kinds[index] = 'name';
  });
  const known = new Map(knownSizes.map((size) => [size.toLowerCase(), size]));
  const sizeAt = new Map();
  kinds.forEach((kind, index) => {
    if (kind !== 'size') return;
    const label = clean(header[index]).slice(0, 40);
    const size = known.get(label.toLowerCase()) ?? label;
    if (found.sizes.includes(size)) problems.push({ row: headerAt + 1, column: label, problem: 'duplicate_size', text: label });
    else { found.sizes.push(size); sizeAt.set(index, size); }
  });
  if (!found.sizes.length) problems.push({ row: headerAt + 1, column: '', problem: 'no_sizes', text: '' });
  const column = (kind) => kinds.indexOf(kind);
  const [codeAt, nameAt, zhAt] = [column('code'), column('name'), column('name_zh')];
  const [tolAt, minusAt, plusAt] = [column('tol'), column('tol_minus'), column('tol_plus')];
  if (tolAt < 0 && minusAt < 0 && plusAt < 0) {
    problems.push({ row: headerAt + 1, column: '', problem: 'no_tolerance_column', text: '' });
  }

  const checkNumber = (row, label, value) => {
    if (value && parseReading(value, readUnit).error) problems.push({ row, column: label, problem: 'number', text: value });
  };
  rows.slice(headerAt + 1).forEach((cells, offset) => {
    const row = headerAt + 2 + offset;
    if (blank(cells)) return;
    const cell = (index) => (index >= 0 ? clean(cells[index]) : '');
    const specs = {};
    for (const [index, size] of sizeAt) {
      const value = stripUnit(cell(index));
      if (value) { specs[size] = value; checkNumber(row, size, value); }
    }
    let [name, nameZh] = nameAt >= 0 ? splitName(cell(nameAt)) : ['', ''];
    if (zhAt >= 0 && cell(zhAt)) nameZh = cell(zhAt);
    if (!name) name = nameZh;
    const code = cell(codeAt).slice(0, 40);
    const tolerated = [tolAt, minusAt, plusAt].some((index) => cell(index));
    if (!Object.keys(specs).length) {
      // A section title ("Top 上身") or a note has no values; a point with a tolerance but no values is a slip.
      if (tolerated) problems.push({ row, column: '', problem: 'no_values', text: name || nameZh || code });
      return;
    }
    if (!name && !code) { problems.push({ row, column: '', problem: 'no_name', text: '' }); return; }
    let tolerance = { minus: '', plus: null };
    if (tolAt >= 0) tolerance = splitTolerance(cell(tolAt));
    if (minusAt >= 0) tolerance.minus = stripSign(stripUnit(cell(minusAt))) || tolerance.minus;
    if (plusAt >= 0) tolerance.plus = stripSign(stripUnit(cell(plusAt))) || tolerance.plus;
    if (!tolerance.minus && tolerance.plus) tolerance = { minus: tolerance.plus, plus: null };
    if (!tolerance.minus) problems.push({ row, column: '', problem: 'no_tolerance', text: name || code });
    checkNumber(row, 'tol', tolerance.minus);
    checkNumber(row, 'tol', tolerance.plus);
    found.points.push({ code, name: name.slice(0, 200), name_zh: nameZh.slice(0, 200), tol_minus: tolerance.minus,
      tol_plus: tolerance.plus && tolerance.plus !== tolerance.minus ? tolerance.plus : null, specs });
  });
  if (!found.points.length && !problems.length) problems.push({ row: headerAt + 1, column: '', problem: 'no_sizes', text: '' });
  return found;
}

/**
 * The pasted points as the sheet's: a point whose name (or code) is on the sheet already keeps that code, so that
 * readings already taken against it still find it; the others get a code of their own (A, B …) unless pasted.
 */
export function withCodes(pasted, existing = []) {
  const byName = new Map(existing.filter((p) => p.name).map((p) => [p.name.toLowerCase(), p.code]));
  const taken = new Set(pasted.map((p) => p.code).filter(Boolean));
  const named = pasted.map((p) => {
    if (p.code) return p;
    const kept = byName.get(p.name.toLowerCase());
    if (kept && !taken.has(kept)) { taken.add(kept); return { ...p, code: kept }; }
    return p;
  });
  return named.map((p) => {
    if (p.code) return p;
    const code = nextCode(taken);
    taken.add(code);
    return { ...p, code };
  });
}
