// Measurements: what the inspector typed, read as the server reads it, and graded as the server grades it
// (api/inspections/grading.py and the measurement check in api/inspections/findings.py). Pure: no DOM.
//
// Numbers are exact decimals, as Python's Decimal computes them (28 significant digits, half-even), and are
// given out as the server writes them: parseReading('15 3/8', 'in').value === '15.375', like MeasurementOut.value.
//
//   parseReading(text, unit) → {value, decimal, error: null} | {value: null, error, message, message_zh}
//       error: 'unknown_unit' | 'unreadable' | 'zero_denominator' | 'improper_fraction'; `decimal` is the exact
//       number, which bounded() and grade() take as it is
//   bounded(value) → {value, error: null} | {value: null, error: 'not_finite' | 'too_large' | 'too_precise', …}
//   parsePlainNumber(text) → like parseReading, for a checklist value or limit ("12", "12,5"; no fractions)
//   grade(reading, spec, tolMinus, tolPlus) or grade(reading, {spec, tol_minus, tol_plus}) (a missing tol_plus is
//       tol_minus, as on a spec sheet) → {deviation, within, direction: 'ok' | 'over' | 'under'}; numbers are
//       decimal texts, JSON numbers (taken as written) or decimals; throws a RangeError for a bad one
//   unitIsDefective(grades) → boolean
//   gradeMeasurement(reading, sheet, point, size) → the fields the server stores with a measurement
//       {value, unit, spec, deviation, within, direction}, or {error, field, message, message_zh}
//   answerOutcome(answer, template) → {result, severity} the server stores for a checklist answer, or {error, …}
import { SPACE, asciiDigits, format, strip } from './py.js';

// --- exact decimals ({neg, coef: BigInt, exp}, or {special: 'inf' | 'nan'}) ---------------------------------

const PREC = 28;
const TEN = 10n;
const pow10 = (n) => TEN ** BigInt(n);
const digitsOf = (coef) => coef.toString().length;
const dec = (neg, coef, exp) => ({ neg, coef, exp });

/** Round to 28 significant digits, half-even (Python's _fix in the default context). */
function fix(d) {
  const drop = digitsOf(d.coef) - PREC;
  if (drop <= 0) return d;
  const unit = pow10(drop);
  let q = d.coef / unit;
  const r = d.coef % unit;
  const half = 5n * pow10(drop - 1);
  if (r > half || (r === half && q % 2n === 1n)) q += 1n;
  let exp = d.exp + drop;
  if (digitsOf(q) > PREC) { q /= TEN; exp += 1; }
  return dec(d.neg, q, exp);
}

function scaled(d, exp) { return (d.neg ? -d.coef : d.coef) * pow10(d.exp - exp); }

function add(a, b) {
  const exp = Math.min(a.exp, b.exp);
  const sum = scaled(a, exp) + scaled(b, exp);
  if (sum === 0n) return fix(dec(a.coef === 0n && b.coef === 0n && a.neg && b.neg, 0n, exp));
  return fix(dec(sum < 0n, sum < 0n ? -sum : sum, exp));
}

const negate = (d) => dec(!d.neg, d.coef, d.exp);
const sub = (a, b) => add(a, negate(b));
const minus = (d) => fix(d.coef === 0n ? dec(false, 0n, d.exp) : negate(d));  // -Decimal('0') is 0

function cmp(a, b) {
  const exp = Math.min(a.exp, b.exp);
  const x = scaled(a, exp);
  const y = scaled(b, exp);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Decimal(p) / Decimal(q) for integers p ≥ 0, q > 0, as Python divides (exact, else 28 digits). */
function divide(p, q) {
  if (p === 0n) return dec(false, 0n, 0);
  const shift = digitsOf(q) - digitsOf(p) + PREC + 1;
  let exp = -shift;
  let coef;
  let rest;
  if (shift >= 0) { coef = (p * pow10(shift)) / q; rest = (p * pow10(shift)) % q; } else {
    coef = p / (q * pow10(-shift)); rest = p % (q * pow10(-shift));
  }
  if (rest) {
    if (coef % 5n === 0n) coef += 1n;  // not exact: a sticky digit makes the rounding right
  } else {
    while (exp < 0 && coef % TEN === 0n) { coef /= TEN; exp += 1; }  // exact: as close to exponent 0 as it goes
  }
  return fix(dec(false, coef, exp));
}

/** str(Decimal): plain notation unless the exponent is positive or the number is very small. */
export function decimalText(d) {
  if (d.special) return d.special === 'inf' ? `${d.neg ? '-' : ''}Infinity` : 'NaN';
  const digits = d.coef.toString();
  const adjusted = d.exp + digits.length - 1;
  let body;
  if (d.exp <= 0 && adjusted >= -6) {
    const dot = digits.length + d.exp;
    body = d.exp === 0 ? digits : dot > 0 ? `${digits.slice(0, dot)}.${digits.slice(dot)}` : `0.${'0'.repeat(-dot)}${digits}`;
  } else {
    body = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}E${adjusted >= 0 ? '+' : '-'}${Math.abs(adjusted)}`;
  }
  return (d.neg ? '-' : '') + body;
}

const FINITE = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const SPECIAL = /^([+-])?(?:(inf(?:inity)?)|s?nan\d*)$/i;

/** Decimal(text) as Python reads a string (white space, underscores and any script's digits allowed); null if
 *  it is no number at all. */
function decimalFrom(text) {
  const s = asciiDigits(strip(text).replace(/_/g, ''));
  const m = FINITE.exec(s);
  if (m) {
    const frac = m[3] ?? m[4] ?? '';
    const exp = -frac.length + Number(m[5] ?? 0);
    // An exponent past ±1000 (no measurement has one) is refused, where Python would compute with it.
    return Math.abs(exp) > 1000 ? { special: 'nan' } : dec(m[1] === '-', BigInt((m[2] ?? '') + frac), exp);
  }
  const special = SPECIAL.exec(s);
  return special ? { neg: special[1] === '-', special: special[2] ? 'inf' : 'nan' } : null;
}

/** A reading, spec or tolerance as grade() takes it: a decimal, a decimal string, or a number as written. */
function toDecimal(value, name) {
  let d = null;
  if (value && typeof value === 'object' && 'coef' in value) d = value;
  else if (typeof value === 'string' || typeof value === 'number') d = decimalFrom(String(value));
  if (!d) throw new RangeError(`${name} must be a number, not ${JSON.stringify(value)}`);
  if (d.special) throw new RangeError(`${name} must be a finite number`);
  return d;
}

// --- reading what was typed -------------------------------------------------------------------------------

const INCH_UNITS = ['inches', 'inch', 'in', '"'];  // longest first, as the suffix is looked for
const METRIC_UNITS = ['mm', 'cm', 'm'];
const DECIMAL = /^[+-]?(?:\p{Nd}+(?:[.,]\p{Nd}*)?|[.,]\p{Nd}+)$/u;
const FRACTION = new RegExp(`^([+-]?)[${SPACE}]*(?:(\\p{Nd}+)(?:[${SPACE}]+|-))?(\\p{Nd}+)/(\\p{Nd}+)$`, 'u');

// The characters of category No worth less than 1 (½, ⅜, ৵ …) with the fraction Python makes of each
// (Fraction(unicodedata.numeric(ch)).limit_denominator(64); Unicode 14): code point → "n/d".
const VULGAR = new Map(`bc:1/4 bd:1/2 be:3/4 9f4:1/16 9f5:1/8 9f6:3/16 9f7:1/4 9f8:3/4 b72:1/4 b73:1/2 b74:3/4 b75:1/16 b76:1/8
b77:3/16 d58:0/1 d59:1/40 d5a:2/53 d5b:1/20 d5c:1/10 d5d:3/20 d5e:1/5 d73:1/4 d74:1/2 d75:3/4 d76:1/16 d77:1/8
d78:3/16 f2a:1/2 2150:1/7 2151:1/9 2152:1/10 2153:1/3 2154:2/3 2155:1/5 2156:2/5 2157:3/5 2158:4/5 2159:1/6
215a:5/6 215b:1/8 215c:3/8 215d:5/8 215e:7/8 2cfd:1/2 a830:1/4 a831:1/2 a832:3/4 a833:1/16 a834:1/8 a835:3/16
10175:1/2 10176:1/2 10177:2/3 10178:3/4 1018b:1/4 109bc:11/12 109bd:1/2 109f6:1/12 109f7:1/6 109f8:1/4
109f9:1/3 109fa:5/12 109fb:1/2 109fc:7/12 109fd:2/3 109fe:3/4 109ff:5/6 10a48:1/2 10e7b:1/2 10e7c:1/4 10e7d:1/3
10e7e:2/3 10f26:1/2 11fc0:0/1 11fc1:0/1 11fc2:1/64 11fc3:1/64 11fc4:1/40 11fc5:1/32 11fc6:2/53 11fc7:3/64
11fc8:1/20 11fc9:1/16 11fca:1/16 11fcb:1/10 11fcc:1/8 11fcd:3/20 11fce:3/16 11fcf:1/5 11fd0:1/4 11fd1:1/2
11fd2:1/2 11fd3:3/4 11fd4:0/1 1ecad:1/4 1ecae:1/2 1ecaf:3/4 1ed3c:1/2 1ed3d:1/6`.split(/\s+/).map((entry) => {
  const [cp, fraction] = entry.split(':');
  return [parseInt(cp, 16), fraction];
}));

function normalise(text) {
  // Vulgar fractions first: NFKC would make "15½" into "151⁄2", which reads as 151/2.
  let out = '';
  for (const ch of text) {
    const fraction = VULGAR.get(ch.codePointAt(0));
    out += fraction ? ` ${fraction}` : ch;
  }
  return strip(out.normalize('NFKC').replaceAll('⁄', '/').replaceAll('−', '-'));
}

const plainDecimal = (body) => {
  const [whole, frac = ''] = asciiDigits(body.replace(/^[+-]/, '')).split(/[.,]/);
  return dec(body.startsWith('-'), BigInt(whole + frac || '0'), -frac.length);
};

const failure = (error, message, messageZh) => ({ value: null, error, message, message_zh: messageZh });
const ok = (d) => ({ value: decimalText(d), error: null, decimal: d });

/** A typed measurement in `unit` (cm, mm, m, or in / inch / inches / "): "15.5", "15,5", "15 3/8", "15-3/8",
 *  "3/8", "15⅜", "１５．５", with or without the unit after it. */
export function parseReading(text, unit) {
  const unitKey = strip(String(unit)).toLowerCase();
  const inches = INCH_UNITS.includes(unitKey);
  if (!inches && !METRIC_UNITS.includes(unitKey)) {
    return failure('unknown_unit', `Unknown unit ${format('{u!r}', { u: String(unit) })}; use cm, mm, m or in.`, '单位无法识别。');
  }
  let body = normalise(String(text));
  const suffix = (inches ? INCH_UNITS : [unitKey]).find((s) => body.toLowerCase().endsWith(s));
  if (suffix) body = strip(body.slice(0, body.length - suffix.length));
  if (DECIMAL.test(body)) return ok(plainDecimal(body));
  const match = inches ? FRACTION.exec(body) : null;
  const shown = format('{t!r}', { t: String(text) });
  if (!match) {
    const hint = inches ? '15.5, 15,5, 15 3/8 or 3/8' : '15.5 or 15,5';
    return failure('unreadable', `Cannot read ${shown} as a measurement in ${unit}; write it like ${hint}.`, '读数无法识别。');
  }
  const [, sign, whole, num, den] = match;
  const [n, d] = [BigInt(asciiDigits(num)), BigInt(asciiDigits(den))];
  if (d === 0n) return failure('zero_denominator', `Cannot read ${shown}: the fraction has a zero denominator.`, '分母不能为 0。');
  if (whole !== undefined && n >= d) {
    return failure('improper_fraction', `Cannot read ${shown}: in a mixed number the fraction must be below 1.`,
      '带分数的分数部分必须小于 1。');
  }
  const magnitude = add(dec(false, BigInt(asciiDigits(whole ?? '0')), 0), divide(n, d));
  return ok(sign === '-' ? minus(magnitude) : magnitude);
}

// A stored number stays short: below a million, at most 8 decimal places (1/64 inch is 0.015625).
const MAX_MAGNITUDE = dec(false, 1000000n, 0);
const MAX_PLACES = 8;

/** The server's check of a reading or spec before it is stored (grading.bounded): finite, below a million, at
 *  most 8 decimal places. `value` is a decimal text or one of this module's decimals; `text` what was typed. */
export function bounded(value, text = value) {
  const d = typeof value === 'string' ? decimalFrom(value) : value;
  const shown = typeof text === 'string' ? format('{t!r}', { t: text }) : decimalText(d);
  if (!d || d.special) return failure('not_finite', `${shown} is not a finite number.`, '不是有限的数字。');
  if (cmp(fix(dec(false, d.coef, d.exp)), MAX_MAGNITUDE) >= 0) {
    return failure('too_large', `${shown} is too large; numbers must be below 1,000,000.`, '数值过大，须小于 1,000,000。');
  }
  let { coef, exp } = fix(d);
  while (coef !== 0n && coef % TEN === 0n) { coef /= TEN; exp += 1; }
  if (coef !== 0n && exp < -MAX_PLACES) {
    return failure('too_precise', `${shown} is too precise; use at most 8 decimal places.`, '小数位过多，最多 8 位。');
  }
  return ok(d);
}

/** A plain decimal ("12", "12.5", "12,5"; no fractions, no exponent), bounded like a reading. */
export function parsePlainNumber(text) {
  const body = strip(String(text));
  if (!DECIMAL.test(body)) {
    return failure('unreadable', `${format('{t!r}', { t: String(text) })} is not a plain number; write it like 12 or 12.5.`,
      '不是数字，例如 12 或 12.5。');
  }
  return bounded(plainDecimal(body), String(text));
}

// --- grading -----------------------------------------------------------------------------------------------

/** Grade a reading against spec −tol_minus / +tol_plus (both positive amounts); the edges are within. */
export function grade(reading, spec, tolMinus, tolPlus) {
  if (spec && typeof spec === 'object' && !('coef' in spec)) {  // a point: {spec, tol_minus, tol_plus}
    ({ tol_minus: tolMinus, tol_plus: tolPlus } = spec);
    tolPlus ||= tolMinus;  // as on a spec sheet: no plus tolerance is the minus one
    spec = spec.spec;
  }
  const deviation = sub(toDecimal(reading, 'reading'), toDecimal(spec, 'spec'));
  const [low, high] = [toDecimal(tolMinus, 'tol_minus'), toDecimal(tolPlus, 'tol_plus')];
  if ((low.neg && low.coef) || (high.neg && high.coef)) {
    throw new RangeError('Tolerances are positive amounts; give a minus tolerance of 0.5 as 0.5.');
  }
  const direction = cmp(deviation, high) > 0 ? 'over' : cmp(deviation, minus(low)) < 0 ? 'under' : 'ok';
  return { deviation: decimalText(deviation), within: direction === 'ok', direction };
}

/** A sample unit with any point out of tolerance is one defective unit, however many points are out. */
export const unitIsDefective = (grades) => grades.some((g) => !g.within);

const fieldError = (field, error, message, messageZh) => ({ error, field, message, message_zh: messageZh });

/** What the server stores for a measurement of `point` (its code) at `size` on the order's spec sheet, or why
 *  it refuses it (the PUT's 422, naming the field). */
export function gradeMeasurement(reading, sheet, point, size) {
  if (!sheet) return fieldError(null, 'no_spec_sheet', 'This order has no spec sheet yet.', '该订单还没有尺寸表。');
  const entry = (sheet.points || []).find((p) => p.code === point);
  if (!entry) {
    return fieldError('point', 'unknown_point', `Point of measure ${format('{p!r}', { p: point })} is not on the spec sheet.`,
      '尺寸表中没有该测量部位。');
  }
  const specText = Object.hasOwn(entry.specs || {}, size) ? entry.specs[size] : null;
  if (specText === null) {
    return fieldError('size', 'unknown_size', `The spec sheet has no ${point} value for size ${size}.`, '尺寸表中没有该尺码的数值。');
  }
  const read = parseReading(reading, sheet.unit);
  const value = read.error ? read : bounded(read.decimal, String(reading));
  if (value.error) return fieldError('reading', value.error, value.message, '读数无法识别。');
  const parts = [parseReading(specText, sheet.unit)];
  if (!parts[0].error) parts[0] = bounded(parts[0].decimal, String(specText));
  parts.push(parseReading(entry.tol_minus, sheet.unit), parseReading(entry.tol_plus || entry.tol_minus, sheet.unit));
  const broken = parts.find((p) => p.error);
  let graded;
  try {
    if (broken) throw new RangeError(broken.message);
    graded = grade(value.decimal, parts[0].decimal, parts[1].decimal, parts[2].decimal);
  } catch (error) {
    return fieldError('point', 'bad_spec_sheet', `The spec sheet's ${point} cannot be graded against (${error.message}); `
      + 'correct the spec sheet first.', '尺寸表中该部位的数值有误，请先修改尺寸表。');
  }
  return { value: value.value, unit: sheet.unit, spec: parts[0].value, ...graded };
}

/** The result and severity the server stores for a checklist answer: a value item over its limit fails,
 *  whatever was tapped; a failed item carries its template's fail severity. */
export function answerOutcome(answer, template) {
  const item = (template?.items || []).find((i) => i.key === answer.item_key);
  if (!item) {
    return fieldError('item_key', 'unknown_item', `${format('{k!r}', { k: answer.item_key })} is not an item of this `
      + "inspection's checklist.", '该检查项不在本次检查表中。');
  }
  let { result } = answer;
  if (item.kind === 'value' && result !== 'na') {
    if (answer.value === null || answer.value === undefined) {
      return fieldError('value', 'value_needed', 'This item needs a numeric value.', '该检查项需要填写数值。');
    }
    const reading = parsePlainNumber(answer.value);
    if (reading.error) {
      return fieldError('value', reading.error, `This item needs a numeric value: ${reading.message}`,
        '该检查项需要填写数值，例如 12 或 12.5。');
    }
    if (item.limit !== null && item.limit !== undefined) {
      const limit = parsePlainNumber(item.limit);
      if (limit.error) {
        return fieldError('item_key', 'bad_limit', `The checklist's limit for ${format('{k!r}', { k: item.key })} is not `
          + 'a number; an admin must correct the checklist template.', '检查表中该项的限值有误，请管理员修改检查表模板。');
      }
      if (cmp(reading.decimal, limit.decimal) > 0) result = 'fail';
    }
  }
  return { result, severity: result === 'fail' ? item.fail_severity ?? 'major' : null };
}
