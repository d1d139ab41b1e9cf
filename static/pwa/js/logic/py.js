// Python's string semantics, where the server's answer depends on them: what str.strip() and \s take for
// white space (the ASCII separators \x1c–\x1f among them, not the BOM), what \d and int() take for a digit (any
// Unicode decimal digit), and repr() of a string as the server's messages show it. Pure: no DOM.

// str.isspace(): JavaScript's \s without U+FEFF, plus \x1c–\x1f and U+0085.
export const SPACE = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGES = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
const LEFT = new RegExp(`^[${SPACE}]+`);
const RIGHT = new RegExp(`[${SPACE}]+$`);

export const strip = (s) => s.replace(EDGES, '');
export const lstrip = (s) => s.replace(LEFT, '');
export const rstrip = (s) => s.replace(RIGHT, '');
export const isSpace = (ch) => ch !== '' && strip(ch) === '';

const ND = /\p{Nd}/u;
const ND_ALL = /\p{Nd}/gu;

/** Every Unicode decimal digit as its ASCII digit, as Python's int() and Decimal() read it (٣ → 3, ３ → 3). */
export function asciiDigits(s) {
  return s.replace(ND_ALL, (ch) => {
    // Unicode keeps each script's digits 0–9 in one run of code points, starting at zero.
    let cp = ch.codePointAt(0);
    let n = 0;
    while (ND.test(String.fromCodePoint(cp - 1))) { cp -= 1; n += 1; }
    return String(n % 10);
  });
}

const UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}\p{Zs}]/u;

/** repr() of a str, as Python 3 writes it in the server's messages. */
export function repr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch !== ' ' && (cp < 0x20 || cp === 0x7f || UNPRINTABLE.test(ch))) {
      const [prefix, width] = cp < 0x100 ? ['x', 2] : cp < 0x10000 ? ['u', 4] : ['U', 8];
      out += `\\${prefix}${cp.toString(16).padStart(width, '0')}`;
    } else out += ch;
  }
  return quote + out + quote;
}

/** str.format() for the server's message templates: {name} and {name!r}. */
export function format(template, values) {
  return template.replace(/\{(\w+)(!r)?\}/g, (_, name, r) => {
    const value = values[name];
    if (r) return typeof value === 'string' ? repr(value) : String(value);
    return value === null || value === undefined ? 'None' : String(value);
  });
}
