// A scan's verdict on the phone, from the downloaded packing list, as the server gives it (ScanService.resolve and
// carton_code_first in api/barcodes/services.py; the cases: tests/vectors/scan_verdicts.json). Pure: no DOM.
//
//   scanContext(records, inspectionId?) → ctx, from feed items or stored entries ({kind, key, record, deleted,
//       pending, inspection_id}): the inspection, its order, packing list and scans (the unsynced after the synced),
//       and any other orders and packing lists among them, to tell another order's codes.
//   scanVerdict(codes, ctx) → {verdict, message_key, message, message_zh, carton_id, carton_number, order_line_id,
//       sku, code, other_codes, provisional}, or null when no code can be a scan's.
//       `codes`: the text typed or scanned, or a label's codes (strings or {text, symbologyIdentifier}), of which
//       the server's choice is judged. `code` is the scan's text to send. A unit of this order is verdict 'ok' with
//       message_key 'ok_unit'. `provisional`: the server, which knows every order, may answer otherwise
//       (not_on_packing_list, other_order, bad_check_digit); its verdict replaces the phone's after sync.
//   withScan(ctx, scan) → ctx with one more scan.
import { GS1_SYMBOLOGY_IDENTIFIERS, isValidSscc, normalizeGtin, parse, ssccFromText } from './gs1.js';
import { format, strip } from './py.js';

// The server's table: {n} the carton number, {po} the other order, {sku} the unit's SKU.
export const MESSAGES = {
  ok: ['Carton {n}: picked, opened.', '第 {n} 箱：已抽中，已开箱。'],
  ok_unit: ['Unit {sku} belongs to this order.', '产品 {sku} 属于本订单。'],
  not_on_packing_list: ["Not on this order's packing list.", '不在本订单的装箱单中。'],
  other_order: ['This belongs to order {po}, not to this one.', '此条码属于订单 {po}，不是本订单。'],
  already_scanned: ['Carton {n} was scanned already.', '第 {n} 箱已扫描过。'],
  not_selected: ['Carton {n} was not picked: open a picked carton.', '第 {n} 箱未被抽中，请打开抽中的箱子。'],
  bad_check_digit: ['The check digit is wrong: scan again or type the code.', '校验位错误，请重新扫描或手动输入。'],
  gtin_mismatch: ['Unit {sku} does not belong in carton {n}.', '产品 {sku} 不应在第 {n} 箱中。'],
};
const PROVISIONAL = new Set(['not_on_packing_list', 'other_order', 'bad_check_digit']);
const OPENED = new Set(['ok', 'already_scanned']);
const SCAN_TEXT_MAX = 200;  // the longest code a scan keeps (Scan.text)

// --- the context ---------------------------------------------------------------------------------------------

/** Feed items and stored entries alike, without tombstones. */
function entries(records) {
  return (records || []).filter((e) => e && e.record && !e.deleted && !e.record.deleted_here);
}

const time = (e) => Date.parse(e.record.scanned_at ?? e.local_at ?? '') || 0;

export function scanContext(records, inspectionId) {
  const all = entries(records);
  const heads = all.filter((e) => e.kind === 'inspection' && (inspectionId === undefined || e.key === inspectionId));
  if (heads.length !== 1) throw new RangeError(`scanContext needs one inspection, found ${heads.length}`);
  const inspection = heads[0].record;
  const id = heads[0].key;
  const orderId = inspection.order?.id ?? inspection.order_id;
  const orders = new Map();
  for (const e of all) {
    if (e.kind === 'inspection' && e.record.order?.id && !orders.has(e.record.order.id)) orders.set(e.record.order.id, e.record.order);
  }
  for (const e of all) if (e.kind === 'order') orders.set(e.key, e.record);  // the order's own record is the newer
  const ctx = {
    inspectionId: id, orderId, cartons: new Map(), byId: new Map(), lines: orders.get(orderId)?.lines ?? [],
    picked: new Set((inspection.cartons || []).map((c) => c.carton_id)),
    elsewhere: { cartons: new Map(), lines: [] }, scans: [],
  };
  const remember = (carton) => {
    if (!ctx.byId.has(carton.id)) {
      ctx.byId.set(carton.id, { id: carton.id, number: carton.number, items: new Set((carton.items || []).map((i) => i.order_line_id)) });
    }
    return ctx.byId.get(carton.id);
  };
  for (const e of all) {
    if (e.kind !== 'packing_list') continue;
    const po = orders.get(e.key)?.po_number;
    for (const carton of e.record.cartons || []) {
      if (e.key === orderId) ctx.cartons.set(carton.barcode, remember(carton));
      else if (po !== undefined && !ctx.elsewhere.cartons.has(carton.barcode)) ctx.elsewhere.cartons.set(carton.barcode, po);
    }
  }
  for (const pick of inspection.cartons || []) remember({ ...pick, id: pick.carton_id });
  for (const [key, order] of orders) {
    if (key !== orderId) for (const line of order.lines || []) ctx.elsewhere.lines.push({ gtin: line.gtin, po: order.po_number });
  }
  // The server's scans in its order, then the phone's unsynced ones in theirs.
  ctx.scans = all.filter((e) => e.kind === 'scan' && (e.inspection_id ?? id) === id)
    .map((e, i) => ({ e, i, pending: e.pending > 0 ? 1 : 0 }))
    .sort((a, b) => a.pending - b.pending || time(a.e) - time(b.e) || a.i - b.i)
    .map(({ e }) => ({ carton_id: e.record.carton_id ?? null, verdict: e.record.verdict }));
  return ctx;
}

export const withScan = (ctx, scan) => ({ ...ctx, scans: [...ctx.scans, { carton_id: scan.carton_id ?? null, verdict: scan.verdict }] });

// --- choosing the code of a label ------------------------------------------------------------------------------

const textOf = (code) => (typeof code === 'string' ? code : code.text);

/** The GS1 elements of a code with valid check digits, as the server reads a decoded symbol. */
function elementsOf(code) {
  const sym = typeof code === 'string' ? null : code.symbologyIdentifier ?? code.symbology_identifier ?? null;
  const parsed = parse(textOf(code), { symbologyIdentifier: GS1_SYMBOLOGY_IDENTIFIERS.has(sym) ? sym : null });
  if (parsed.errors.some((e) => e.code === 'bad_check_digit')) return new Set();
  return new Set(parsed.elements.map((e) => e.ai));
}

function choose(codes, ctx) {
  const read = codes.filter((c) => !textOf(c).includes('\x00'));
  const ours = (text) => ctx.cartons.has(strip(text)) || ctx.cartons.has(ssccFromText(text));
  const rank = (code) => {
    if (ours(textOf(code))) return 0;
    const ais = elementsOf(code);
    return ais.has('00') ? 1 : ais.has('01') || ais.has('02') ? 2 : 3;
  };
  const ranked = read.filter((c) => [...textOf(c)].length <= SCAN_TEXT_MAX)
    .map((code, i) => ({ code, i, rank: rank(code) })).sort((a, b) => a.rank - b.rank || a.i - b.i);
  if (!ranked.length) return null;
  const code = textOf(ranked[0].code);
  return { code, other_codes: read.map(textOf).filter((t) => t !== code) };
}

// --- the verdict -----------------------------------------------------------------------------------------------

function answer(verdict, { carton = null, line = null, po = '' } = {}) {
  const key = verdict === 'ok' && !carton ? 'ok_unit' : verdict;
  const values = { n: carton ? carton.number : '', sku: line ? line.sku : '', po };
  const [english, chinese] = MESSAGES[key];
  return {
    verdict, message_key: key, message: format(english, values), message_zh: format(chinese, values),
    carton_id: carton?.id ?? null, carton_number: carton?.number ?? null,
    order_line_id: line?.id ?? null, sku: line?.sku ?? null, provisional: PROVISIONAL.has(verdict),
  };
}

/** A carton code: this order's carton first (factories reuse their own codes, SSCCs collide across orders). */
function cartonVerdict(ctx, code) {
  const carton = ctx.cartons.get(code);
  if (!carton) {
    const po = ctx.elsewhere.cartons.get(code);
    return po === undefined ? null : answer('other_order', { po });
  }
  if (!ctx.picked.has(carton.id)) return answer('not_selected', { carton });
  const earlier = ctx.scans.some((s) => s.carton_id === carton.id && s.verdict === 'ok');
  return answer(earlier ? 'already_scanned' : 'ok', { carton });
}

/** The ways one GTIN may be written on an order line: GTIN-14 and its shorter zero-stripped forms. */
const gtinForms = (gtin14) => [14, 13, 12, 8].filter((n) => /^0*$/.test(gtin14.slice(0, 14 - n))).map((n) => gtin14.slice(14 - n));

/** A unit: it must be a line of this order and, once a carton is open, among the last opened carton's contents. */
function unitVerdict(ctx, gtin) {
  let forms;
  try {
    forms = gtinForms(normalizeGtin(gtin));
  } catch {
    return answer('not_on_packing_list');  // no GTIN of any length: no unit of any order
  }
  const line = ctx.lines.find((l) => l.gtin && forms.includes(l.gtin));
  if (!line) {
    const other = ctx.elsewhere.lines.find((l) => l.gtin && forms.includes(l.gtin));
    return other ? answer('other_order', { po: other.po }) : answer('not_on_packing_list');
  }
  const last = ctx.scans.findLast((s) => s.carton_id && OPENED.has(s.verdict));
  const carton = last && ctx.byId.get(last.carton_id);
  if (carton && !carton.items.has(line.id)) return answer('gtin_mismatch', { carton, line });
  return answer('ok', { line });
}

function resolve(ctx, text) {
  const own = cartonVerdict(ctx, text);  // a customer's own carton code is taken as printed
  if (own) return own;
  // An SSCC as printed under the bars or typed with hyphens: the carton the packing list reads.
  const sscc = ssccFromText(text);
  if (sscc) return isValidSscc(sscc) ? (cartonVerdict(ctx, sscc) ?? answer('not_on_packing_list')) : answer('bad_check_digit');
  const parsed = parse(text);
  if (parsed.errors.some((e) => e.code === 'bad_check_digit')) return answer('bad_check_digit');
  const elements = Object.fromEntries(parsed.elements.map((e) => [e.ai, e.value]));
  if ('00' in elements) return cartonVerdict(ctx, elements['00']) ?? answer('not_on_packing_list');
  const gtin = elements['01'] || elements['02'];
  return gtin ? unitVerdict(ctx, gtin) : answer('not_on_packing_list');
}

export function scanVerdict(codes, ctx) {
  const chosen = typeof codes === 'string' ? { code: codes, other_codes: [] } : choose(Array.isArray(codes) ? codes : [codes], ctx);
  if (!chosen) return null;
  return { ...resolve(ctx, strip(chosen.code)), code: chosen.code, other_codes: chosen.other_codes };
}
