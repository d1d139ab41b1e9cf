// GS1 check digits and element strings, as the server reads them (api/barcodes/gs1.py: its docstring says which
// forms are read and how). Pure: no DOM. Positions and lengths count code points, as Python does.
//
//   checkDigit(body) → '0'…'9'        (throws a RangeError unless body is ASCII digits)
//   hasValidCheckDigit(code), isValidGtin(code), isValidSscc(code) → boolean
//   normalizeGtin(code) → 14 digits   (throws a RangeError unless 8, 12, 13 or 14 ASCII digits)
//   parse(text, { today, symbologyIdentifier }) → { valid, elements: [{ai, name, value, raw, unit}],
//       errors: [{code, message, message_zh, ai, position}], symbology_identifier }   (never throws)
//   ssccFromText(text) → the 18 SSCC digits of a typed or scanned carton code, or null
import { format, isSpace, lstrip, rstrip, strip } from './py.js';

export const GS = '\x1d';  // FNC1 as scanners send it
export const GS1_SYMBOLOGY_IDENTIFIERS = new Set([']C1', ']d2', ']Q3', ']e0', ']J1']);

const DIGITS = /^[0-9]+$/;
const isDigits = (s) => DIGITS.test(s);
const CSET82 = new Set("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");

// --- check digits ------------------------------------------------------------------------------------------

export function checkDigit(body) {
  if (typeof body !== 'string' || !isDigits(body)) throw new RangeError(`checkDigit needs a string of digits, got ${body}`);
  let total = 0;
  for (let i = 0; i < body.length; i += 1) total += (body.charCodeAt(body.length - 1 - i) - 48) * (i % 2 ? 1 : 3);
  return String((10 - (total % 10)) % 10);
}

const cdOk = (code) => code.length >= 2 && isDigits(code) && checkDigit(code.slice(0, -1)) === code.at(-1);
const keyOf = (lengths) => (code) => typeof code === 'string' && lengths.includes(code.length) && cdOk(code);
export const hasValidCheckDigit = keyOf([8, 12, 13, 14, 18]);
export const isValidGtin = keyOf([8, 12, 13, 14]);
export const isValidSscc = keyOf([18]);

export function normalizeGtin(code) {
  const s = strip(String(code));
  if (![8, 12, 13, 14].includes(s.length) || !isDigits(s)) throw new RangeError(`not a GTIN-8/12/13/14: ${code}`);
  return s.padStart(14, '0');
}

// --- the AI table ------------------------------------------------------------------------------------------

export const AI_TABLE = new Map();
function def(ai, name, length, max, numeric, kind, extra) {
  AI_TABLE.set(ai, { ai, name, length, limit: length ?? max, numeric, kind, unit: null, decimals: 0, min: 1, ...extra });
}
const fixed = (ai, name, n, kind = 'numeric', extra) => def(ai, name, n, null, true, kind, extra);
const vary = (ai, name, n, { numeric = false, kind, ...extra } = {}) =>
  def(ai, name, null, n, numeric, kind ?? (numeric ? 'numeric' : 'text'), extra);

fixed('00', 'SSCC', 18, 'gs1key');
fixed('01', 'GTIN', 14, 'gs1key');
fixed('02', 'CONTENT', 14, 'gs1key');
vary('10', 'BATCH/LOT', 20);
for (const [ai, name] of [['11', 'PROD DATE'], ['12', 'DUE DATE'], ['13', 'PACK DATE'], ['15', 'BEST BEFORE or BEST BY'],
  ['16', 'SELL BY'], ['17', 'USE BY or EXPIRY']]) fixed(ai, name, 6, 'date');
fixed('20', 'VARIANT', 2);
vary('21', 'SERIAL', 20);
vary('22', 'CPV', 20);
vary('235', 'TPX', 28);
vary('240', 'ADDITIONAL ID', 30);
vary('241', 'CUST. PART No.', 30);
vary('242', 'MTO VARIANT', 6, { numeric: true });
vary('243', 'PCN', 20);
vary('250', 'SECONDARY SERIAL', 30);
vary('251', 'REF. TO SOURCE', 30);
vary('253', 'GDTI', 30, { min: 13 });
vary('254', 'GLN EXTENSION COMPONENT', 20);
vary('255', 'GCN', 25, { numeric: true, min: 13 });
vary('30', 'VAR. COUNT', 8, { numeric: true, kind: 'count' });
vary('37', 'COUNT', 8, { numeric: true, kind: 'count' });
vary('400', 'ORDER NUMBER', 30);
vary('401', 'GINC', 30);
fixed('402', 'GSIN', 17, 'gs1key');
vary('403', 'ROUTE', 30);
for (const [ai, name] of [['410', 'SHIP TO LOC'], ['411', 'BILL TO'], ['412', 'PURCHASE FROM'], ['413', 'SHIP FOR LOC'],
  ['414', 'LOC No.'], ['415', 'PAY TO'], ['416', 'PROD/SERV LOC']]) fixed(ai, name, 13, 'gs1key');
vary('420', 'SHIP TO POST', 20);
vary('421', 'SHIP TO POST', 12, { kind: 'country_text', min: 4 });
fixed('422', 'ORIGIN', 3);
vary('423', 'COUNTRY - INITIAL PROCESS.', 15, { numeric: true, min: 3 });
fixed('424', 'COUNTRY - PROCESS.', 3);
vary('425', 'COUNTRY - DISASSEMBLY', 15, { numeric: true, min: 3 });
fixed('426', 'COUNTRY - FULL PROCESS', 3);
fixed('7001', 'NSN', 13);
vary('7002', 'MEAT CUT', 30);
fixed('7003', 'EXPIRY TIME', 10, 'datetime');
fixed('7006', 'FIRST FREEZE DATE', 6, 'date');
fixed('8001', 'DIMENSIONS', 14);
vary('8003', 'GRAI', 30, { min: 14 });
vary('8004', 'GIAI', 30);
fixed('8005', 'PRICE PER UNIT', 6);
fixed('8006', 'ITIP', 18);
vary('8007', 'IBAN', 34);
vary('8008', 'PROD TIME', 12, { numeric: true, min: 8 });
vary('8012', 'VERSION', 20);
vary('8013', 'GMN', 25);
fixed('8017', 'GSRN - PROVIDER', 18, 'gs1key');
fixed('8018', 'GSRN - RECIPIENT', 18, 'gs1key');
vary('8020', 'REF No.', 25);
fixed('8101', 'COUPON EXTENDED CODE', 10);
fixed('8102', 'COUPON EXTENDED CODE', 2);
vary('8110', 'COUPON CODE', 70);
vary('8200', 'PRODUCT URL', 70);
vary('90', 'INTERNAL', 30);
for (let n = 91; n < 100; n += 1) vary(String(n), 'INTERNAL', 90);
// Measures (GS1 310n–369n): the AI's last digit (0–5) is the decimal point's position.
const measure = (prefix, name, unit) => {
  for (let n = 0; n < 6; n += 1) fixed(prefix + n, name, 6, 'measure', { unit, decimals: n });
};
const SIDES = ['LENGTH', 'WIDTH', 'HEIGHT'];
[['310', 'NET WEIGHT (kg)', 'kg'], ['314', 'AREA (m2)', 'm2'], ['315', 'NET VOLUME (l)', 'l'], ['316', 'NET VOLUME (m3)', 'm3'],
  ['320', 'NET WEIGHT (lb)', 'lb'], ['330', 'GROSS WEIGHT (kg)', 'kg'], ['334', 'AREA (m2), log', 'm2'],
  ['335', 'VOLUME (l), log', 'l'], ['336', 'VOLUME (m3), log', 'm3'], ['337', 'KG PER m2', 'kg/m2'],
  ['340', 'GROSS WEIGHT (lb)', 'lb'], ['356', 'NET WEIGHT (troy oz)', 'oz t'], ['357', 'NET VOLUME (oz)', 'oz'],
  ['360', 'NET VOLUME (qt)', 'qt'], ['361', 'NET VOLUME (gal.)', 'gal'], ['362', 'VOLUME (qt), log', 'qt'],
  ['363', 'VOLUME (gal.), log', 'gal']].forEach((m) => measure(...m));
SIDES.forEach((side, i) => {
  measure(`31${i + 1}`, `${side} (m)`, 'm');
  measure(`33${i + 1}`, `${side} (m), log`, 'm');
  ['in', 'ft', 'yd'].forEach((unit, j) => {
    measure(`32${1 + 3 * i + j}`, `${side} (${unit})`, unit);
    measure(`34${1 + 3 * i + j}`, `${side} (${unit}), log`, unit);
  });
});
['in', 'ft', 'yd'].forEach((u, j) => {
  measure(`35${j}`, `AREA (${u}2)`, `${u}2`);
  measure(`35${j + 3}`, `AREA (${u}2), log`, `${u}2`);
  measure(`36${4 + j}`, `VOLUME (${u}3)`, `${u}3`);
  measure(`36${7 + j}`, `VOLUME (${u}3), log`, `${u}3`);
});
for (let n = 0; n < 10; n += 1) {
  vary(`390${n}`, 'AMOUNT', 15, { numeric: true, kind: 'measure', decimals: n });
  vary(`392${n}`, 'PRICE', 15, { numeric: true, kind: 'measure', decimals: n });
}

const lookupAi = (s, pos) => [2, 3, 4].map((n) => AI_TABLE.get(s.slice(pos, pos + n).join(''))).find(Boolean);

// --- messages (English and Simplified Chinese, the server's words) ----------------------------------------

const MESSAGES = {
  empty: ['Nothing to parse: the code is empty.', '条码内容为空,无法解析。'],
  unknown_ai: ['Unknown application identifier at position {position}: {found!r}.',
    '第 {position} 位的应用标识符(AI)无法识别:{found!r}。'],
  too_short: ['AI ({ai}) {name} needs {need} characters, got {got}.', 'AI ({ai}) {name} 需要 {need} 位,实际只有 {got} 位。'],
  too_long: ['AI ({ai}) {name} allows at most {need} characters, got {got}.',
    'AI ({ai}) {name} 最多允许 {need} 位,实际有 {got} 位。'],
  missing_separator_raw: ['AI ({ai}) {name} is longer than its maximum of {need} characters: a FNC1/GS separator is '
    + 'probably missing after it.', 'AI ({ai}) {name} 超过最大长度 {need} 位:其后可能缺少 FNC1/GS 分隔符。'],
  missing_separator_hri: ['Malformed human-readable form at position {position}: {detail}.',
    '第 {position} 位的人工可读格式有误:{detail_zh}。'],
  bad_check_digit: ['AI ({ai}) {name}: check digit is {got}, should be {need}.', 'AI ({ai}) {name}:校验位为 {got},应为 {need}。'],
  invalid_date: ['AI ({ai}) {name}: {raw!r} is not a valid date ({detail}).', 'AI ({ai}) {name}:{raw!r} 不是有效日期({detail_zh})。'],
  not_numeric: ['AI ({ai}) {name} must contain digits only, got {raw!r}.', 'AI ({ai}) {name} 只能包含数字,实际为 {raw!r}。'],
  invalid_character: ['AI ({ai}) {name} contains a character not allowed in GS1 data: {char!r}.',
    'AI ({ai}) {name} 含有 GS1 不允许的字符:{char!r}。'],
  duplicate_ai: ['AI ({ai}) appears twice with different values.', 'AI ({ai}) 出现两次且取值不同。'],
  plain_bad_check_digit: ['{name} {raw}: check digit is {got}, should be {need}.', '{name} {raw}:校验位为 {got},应为 {need}。'],
};

function makeError(code, key, ai, position, values = {}) {
  const [en, zh] = MESSAGES[key];
  const all = { ai, position, ...values };
  return { code, message: format(en, all), message_zh: format(zh, all), ai, position };
}

// --- values ------------------------------------------------------------------------------------------------

const pad = (n, width = 2) => String(n).padStart(width, '0');
const daysIn = (year, month) => [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
  31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];

/** GS1 General Specifications 7.12: the sliding window for two-digit years. */
function centuryYear(yy, today) {
  const century = Math.floor(today.year / 100);
  const diff = yy - (today.year % 100);
  if (diff >= 51 && diff <= 99) return (century - 1) * 100 + yy;
  if (diff >= -99 && diff <= -50) return (century + 1) * 100 + yy;
  return century * 100 + yy;
}

function parseDate(raw, today) {
  const yy = Number(raw.slice(0, 2));
  const mm = Number(raw.slice(2, 4));
  let dd = Number(raw.slice(4, 6));
  if (mm < 1 || mm > 12) return { why: `month ${pad(mm)} does not exist`, whyZh: `月份 ${pad(mm)} 不存在` };
  const year = centuryYear(yy, today);
  const last = daysIn(year, mm);
  if (dd === 0) dd = last;  // DD=00: the last day of the month
  else if (dd > last) return { why: `${year}-${pad(mm)} has only ${last} days`, whyZh: `${year}-${pad(mm)} 只有 ${last} 天` };
  return { iso: `${pad(year, 4)}-${pad(mm)}-${pad(dd)}` };
}

function decimalString(raw, decimals) {
  if (decimals === 0) return BigInt(raw).toString();
  return `${BigInt(raw.slice(0, -decimals) || '0')}.${raw.slice(-decimals)}`;
}

class Ctx {
  constructor(offset, today) {
    this.offset = offset;  // where the parsed text starts in the text given to parse()
    this.today = today;
    this.elements = [];
    this.errors = [];
  }

  error(code, ai, pos, key, values) {
    this.errors.push(makeError(code, key ?? code, ai, pos === null ? null : pos + this.offset, values));
  }
}

/** Check one delimited value and keep its element, errors and all, so that what was read can be shown. */
function element(ctx, d, chars, pos) {
  const raw = chars.join('');
  const { name } = d;
  const n = chars.length;
  let value = raw;
  let bad = false;
  if (d.length !== null && n < d.limit) {
    ctx.error('too_short', d.ai, pos, null, { name, need: d.limit, got: n });
    bad = true;
  } else if (n < d.min) {
    ctx.error('too_short', d.ai, pos, null, { name, need: d.min, got: n });
    bad = true;
  }
  if (d.numeric || d.kind === 'country_text') {
    if (!isDigits(d.numeric ? raw : chars.slice(0, 3).join(''))) {
      ctx.error('not_numeric', d.ai, pos, null, { name, raw });
      bad = true;
    }
  }
  if (!d.numeric) {
    const i = chars.findIndex((ch) => !CSET82.has(ch));
    if (i >= 0) {
      ctx.error('invalid_character', d.ai, pos + i, null, { name, char: chars[i] });
      bad = true;
    }
  }
  if (!bad) {
    if (d.kind === 'gs1key') {
      const want = checkDigit(raw.slice(0, -1));
      if (want !== raw.at(-1)) ctx.error('bad_check_digit', d.ai, pos + n - 1, null, { name, got: raw.at(-1), need: want });
    } else if (d.kind === 'date' || d.kind === 'datetime') {
      const date = parseDate(raw.slice(0, 6), ctx.today);
      const hh = Number(raw.slice(6, 8));
      const mi = Number(raw.slice(8, 10));
      if (!date.iso) {
        ctx.error('invalid_date', d.ai, pos, null, { name, raw, detail: date.why, detail_zh: date.whyZh });
      } else if (d.kind === 'date') {
        value = date.iso;
      } else if (hh > 23 || mi > 59) {
        ctx.error('invalid_date', d.ai, pos, null, { name, raw, detail: `time ${pad(hh)}:${pad(mi)} does not exist`,
          detail_zh: `时间 ${pad(hh)}:${pad(mi)} 不存在` });
      } else {
        value = `${date.iso}T${pad(hh)}:${pad(mi)}`;
      }
    } else if (d.kind === 'measure') {
      value = decimalString(raw, d.decimals);
    } else if (d.kind === 'count') {
      value = Number(raw);
    }
  }
  ctx.elements.push({ ai: d.ai, name, value, raw, unit: d.unit });
}

// --- the three forms ---------------------------------------------------------------------------------------

function parseRaw(ctx, s) {
  let pos = s[0] === GS ? 1 : 0;  // FNC1 in first position, sent as GS by some scanners
  const n = s.length;
  while (pos < n) {
    if (s[pos] === GS) { pos += 1; continue; }  // an extra separator (after a fixed-length field) is tolerated
    const d = lookupAi(s, pos);
    if (!d) {
      ctx.error('unknown_ai', null, pos, null, { found: s.slice(pos, pos + 4).join('') });
      return;
    }
    const vpos = pos + d.ai.length;
    if (d.length !== null) {
      let end = vpos + d.limit;
      const at = s.slice(vpos, end).indexOf(GS);
      if (at >= 0) end = vpos + at;  // cut short by a separator
      element(ctx, d, s.slice(vpos, end), vpos);
      pos = end;
    } else {
      const at = s.indexOf(GS, vpos);
      const end = at < 0 ? n : at;
      const value = s.slice(vpos, end);
      if (value.length > d.limit) {
        ctx.error('missing_separator', d.ai, vpos + d.limit, 'missing_separator_raw', { name: d.name, need: d.limit });
        element(ctx, d, value.slice(0, d.limit), vpos);
        return;  // where the next AI starts cannot be known
      }
      element(ctx, d, value, vpos);
      pos = end;
    }
  }
}

function parseHri(ctx, s) {
  const n = s.length;
  const hriError = (pos, detail, detailZh) =>
    ctx.error('missing_separator', null, pos, 'missing_separator_hri', { detail, detail_zh: detailZh });
  let pos = 0;
  while (pos < n) {
    if (isSpace(s[pos])) { pos += 1; continue; }
    if (s[pos] !== '(') {
      hriError(pos, "expected '(' before an application identifier", "应用标识符前缺少 '('");
      return;
    }
    const close = s.indexOf(')', pos + 1);
    const nextOpen = s.indexOf('(', pos + 1);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      hriError(pos, "'(' without a closing ')'", "'(' 缺少对应的 ')'");
      return;
    }
    const ai = s.slice(pos + 1, close).join('');
    let vpos = close + 1;
    const next = s.indexOf('(', vpos);
    const end = next < 0 ? n : next;
    const value = [...rstrip(s.slice(vpos, end).join(''))];
    const stripped = [...lstrip(value.join(''))];
    vpos += value.length - stripped.length;  // spaces between groups are tolerated
    const d = AI_TABLE.get(ai);
    if (!d) ctx.error('unknown_ai', null, pos + 1, null, { found: ai });
    else if (stripped.length > d.limit) ctx.error('too_long', d.ai, vpos, null, { name: d.name, need: d.limit, got: stripped.length });
    else element(ctx, d, stripped, vpos);
    pos = end;
  }
}

const PLAIN = { 8: 'GTIN-8', 12: 'GTIN-12', 13: 'GTIN-13', 14: 'GTIN-14', 18: 'SSCC' };

/** An EAN/UPC/ITF-14 number or a bare SSCC; false when `s` is none. */
function plainNumber(ctx, s) {
  const label = PLAIN[s.length];
  if (!isDigits(s) || !label) return false;
  const sscc = s.length === 18;
  const ai = sscc ? '00' : '01';
  const want = checkDigit(s.slice(0, -1));
  if (want !== s.at(-1)) {
    ctx.error('bad_check_digit', ai, s.length - 1, 'plain_bad_check_digit', { name: label, raw: s, got: s.at(-1), need: want });
  }
  ctx.elements.push({ ai, name: sscc ? 'SSCC' : 'GTIN', value: sscc ? s : s.padStart(14, '0'), raw: s, unit: null });
  return true;
}

function checkDuplicates(ctx) {
  const seen = new Map();
  for (const e of ctx.elements) {
    if (seen.has(e.ai) && seen.get(e.ai) !== e.raw) {
      ctx.errors.push(makeError('duplicate_ai', 'duplicate_ai', e.ai, null));
      return;
    }
    seen.set(e.ai, e.raw);
  }
}

const SELF_CHECKING = new Set(['date', 'datetime', 'gs1key']);

/** A plain number that is no valid GTIN may be an element string without its identifier
 *  ("1722123110123" is (17)221231(10)123): that reading wins when it is valid and proves itself. */
function elementStringIfValid(asGtin, body, offset, today) {
  const asString = new Ctx(offset, today);
  parseRaw(asString, [...body]);
  checkDuplicates(asString);
  const proved = asString.elements.some((e) => SELF_CHECKING.has(AI_TABLE.get(e.ai).kind));
  return asString.elements.length && !asString.errors.length && proved ? asString : asGtin;
}

function dayOf(today) {
  if (typeof today === 'string') {
    const [year, month, day] = today.split('-').map(Number);
    return { year, month, day };
  }
  const date = today ?? new Date();
  return { year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate() };
}

/** One scanned or typed GS1 string → elements and errors; never throws. `today` ("2025-06-01" or a Date) fixes
 *  the two-digit-year window; `symbologyIdentifier` is the reader's AIM identifier when the text lacks it. */
export function parse(text, { today, symbologyIdentifier = null } = {}) {
  text = String(text);
  const day = dayOf(today);
  let sym = symbologyIdentifier;
  let offset = 0;
  const m = /^\][A-Za-z][0-9A-Za-z]/.exec(text);
  if (m) {
    sym = m[0];
    offset = 3;
  }
  const body = text.slice(offset);
  let ctx = new Ctx(offset, day);
  const stripped = strip(body);
  const chars = [...body];
  if (!stripped) {
    ctx.error('empty', null, null);
  } else if (stripped.startsWith('(')) {
    ctx.offset += chars.length - [...lstrip(body)].length;
    parseHri(ctx, [...stripped]);
  } else if (GS1_SYMBOLOGY_IDENTIFIERS.has(sym) || !plainNumber(ctx, body)) {
    parseRaw(ctx, chars);
  } else if (ctx.errors.length && [8, 12, 13, 14].includes(body.length)) {
    ctx = elementStringIfValid(ctx, body, offset, day);
  }
  checkDuplicates(ctx);
  return { valid: !ctx.errors.length && ctx.elements.length > 0, elements: ctx.elements, errors: ctx.errors,
    symbology_identifier: sym };
}

/** The 18 SSCC digits of '(00) 3 6901234 000000001 8', '00369012340000000018', ']C100…' or the bare 18 digits;
 *  null when the text is not SSCC-shaped. The check digit is not judged here. */
export function ssccFromText(text) {
  let s = strip(String(text));
  if (s.startsWith(']C1')) s = s.slice(3);
  s = s.replace(/[ -]/g, '');
  if (s.startsWith('(00)')) s = s.slice(4);
  else if (s.length === 20 && s.startsWith('00')) s = s.slice(2);
  return s.length === 18 && isDigits(s) ? s : null;
}
