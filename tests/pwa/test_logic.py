"""The phone's offline logic (static/pwa/js/logic/) in Chromium, against the shared vectors in tests/vectors/
that the server's tests check too, and against the server itself: the live result, the measurement grades and the
checklist outcomes the phone computes from what the change feed gives it are the ones the server stores.

Each check runs in the page (the modules are imported from the live app) and returns its mismatches, one line each.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Page

from tests.vectors_loader import load_vectors

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

LOGIC = "/app/js/logic/"


# Helpers every check shares: `same` compares decimals by value (the vectors' rule), `fail` records a mismatch.
PRELUDE = """
  const grading = await import(base + 'grading.js');
  const same = (a, b) => { try { return grading.grade(a, b, '0', '0').within; } catch { return false; } };
  const failures = [];
  const fail = (where, got, want) => failures.push(`${where}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  const throws = (f) => { try { f(); return false; } catch (e) { return e instanceof RangeError; } };
"""


def run(page: Page, body: str, **args: Any) -> list[str]:
    """Run `body` in the page with `base`, `vectors` … in scope; it returns its failures."""
    page.goto("/health")  # any page of the app's origin can import its modules
    source = f"async ({{ base, {', '.join(args)} }}) => {{ {PRELUDE}\n{body}\n return failures; }}"
    return page.evaluate(source, {"base": LOGIC, **args})


def test_live_result(page: Page) -> None:
    failures = run(page, """
      const tally = await import(base + 'tally.js');
      for (const c of vectors.severity_verdicts) {
        const got = tally.severityVerdict(c.count, c.sample_size, c.accept, c.reject, c.units_inspected);
        if (got !== c.verdict) fail(`severity ${JSON.stringify(c)}`, got, c.verdict);
      }
      for (const c of vectors.results) {
        const r = tally.liveResult(c.plans, c.counts, c.units_inspected);
        const verdicts = Object.fromEntries(Object.entries(r.severities).map(([s, x]) => [s, x.verdict]));
        if (JSON.stringify(verdicts) !== JSON.stringify(c.verdicts)) fail(`verdicts ${JSON.stringify(c.counts)}`, verdicts, c.verdicts);
        if (r.overall !== c.overall || r.verdict !== c.overall) fail(`overall ${JSON.stringify(c.counts)}`, r.overall, c.overall);
        for (const [s, x] of Object.entries(r.severities)) {
          const count = c.counts[s] ?? 0;
          const want = { count, accept: c.plans[s].accept, reject: c.plans[s].reject, sample_size: c.plans[s].sample_size,
            found: count, ac: c.plans[s].accept, re: c.plans[s].reject, reached_re: count >= c.plans[s].reject };
          for (const [k, v] of Object.entries(want)) if (x[k] !== v) fail(`${s}.${k} ${JSON.stringify(c.counts)}`, x[k], v);
        }
      }
      for (const c of vectors.errors) {
        if (!throws(() => tally.liveResult(c.plans, c.counts, c.units_inspected))) fail(`error ${c.note}`, 'no RangeError', 'RangeError');
      }
      // Tombstones do not count, in either shape the phone holds a defect.
      const counts = tally.countDefects([
        { severity: 'major', count: 2 }, { kind: 'defect', key: 'a', record: { severity: 'minor', count: 3 }, deleted: false },
        { kind: 'defect', key: 'b', record: null, deleted: true }, { kind: 'defect', key: 'c', record: { severity: 'major', count: 4, deleted_here: true } },
        { kind: 'defect', key: 'd', record: { severity: 'critical', count: 9 }, deleted: true }, { severity: 'critical' }]);
      if (JSON.stringify(counts) !== '{"critical":1,"major":2,"minor":3}') fail('countDefects', counts, { critical: 1, major: 2, minor: 3 });
    """, vectors=load_vectors("live_result"))
    assert failures == []


def test_grading(page: Page) -> None:
    failures = run(page, """
      for (const c of vectors.readings) {
        const r = grading.parseReading(c.text, c.unit);
        if (r.error || !same(r.value, c.value)) fail(`reading ${JSON.stringify(c.text)} ${c.unit}`, r, c.value);
      }
      for (const c of vectors.reading_errors) {
        const r = grading.parseReading(c.text, c.unit);
        if (!r.error || r.value !== null || !r.message) fail(`reading error ${JSON.stringify(c.text)} ${c.unit}`, r, 'an error');
      }
      for (const c of vectors.grades) {
        for (const g of [grading.grade(c.reading, c.spec, c.tol_minus, c.tol_plus),
                         grading.grade(c.reading, { spec: c.spec, tol_minus: c.tol_minus, tol_plus: c.tol_plus })]) {
          if (!same(g.deviation, c.deviation) || g.within !== c.within || g.direction !== c.direction) {
            fail(`grade ${JSON.stringify(c)}`, g, c);
          }
        }
      }
      for (const c of vectors.grade_errors) {
        if (!throws(() => grading.grade(c.reading, c.spec, c.tol_minus, c.tol_plus))) fail(`grade error ${c.note}`, 'no RangeError', 'RangeError');
      }
      for (const c of vectors.defective_units) {
        const got = grading.unitIsDefective(c.readings.map((r) => grading.grade(r, c.spec, c.tol_minus, c.tol_plus)));
        if (got !== c.defective) fail(`defective ${JSON.stringify(c.readings)}`, got, c.defective);
      }
    """, vectors=load_vectors("grading"))
    assert failures == []


def test_gs1(page: Page) -> None:
    failures = run(page, """
      const gs1 = await import(base + 'gs1.js');
      const d = digits;
      for (const c of d.check_digits) if (gs1.checkDigit(c.body) !== c.check_digit) fail(`check digit ${c.body}`, gs1.checkDigit(c.body), c.check_digit);
      for (const c of d.check_digit_errors) if (!throws(() => gs1.checkDigit(c.body))) fail(`check digit error ${JSON.stringify(c.body)}`, 'none', 'RangeError');
      for (const c of d.valid_check_digit) if (gs1.hasValidCheckDigit(c.code) !== c.valid) fail(`valid ${JSON.stringify(c.code)}`, !c.valid, c.valid);
      for (const c of d.gtin_or_sscc) {
        const got = { gtin: gs1.isValidGtin(c.code), sscc: gs1.isValidSscc(c.code) };
        if (got.gtin !== c.gtin || got.sscc !== c.sscc) fail(`gtin/sscc ${c.code}`, got, c);
      }
      for (const c of d.normalize_gtin) if (gs1.normalizeGtin(c.code) !== c.gtin_14) fail(`normalize ${c.code}`, gs1.normalizeGtin(c.code), c.gtin_14);
      for (const c of d.normalize_gtin_errors) if (!throws(() => gs1.normalizeGtin(c.code))) fail(`normalize error ${c.code}`, 'none', 'RangeError');

      const parse = (c) => gs1.parse(c.text, { today: c.today ?? parses.today, symbologyIdentifier: c.symbology_identifier_argument ?? null });
      for (const c of parses.parses) {
        const r = parse(c);
        const got = { valid: r.valid, symbology_identifier: r.symbology_identifier,
          elements: r.elements.map((e) => ({ ai: e.ai, value: e.value, unit: e.unit })), errors: r.errors.map((e) => e.code) };
        const want = { valid: c.valid, symbology_identifier: c.symbology_identifier, elements: c.elements, errors: c.errors };
        if (JSON.stringify(got) !== JSON.stringify(want)) fail(`parse ${JSON.stringify(c.text)}`, got, want);
      }
      for (const c of parses.errors) {
        const r = parse(c);
        const got = { valid: r.valid, errors: r.errors.map((e) => e.code), ai: r.errors[0]?.ai, position: r.errors[0]?.position };
        const want = { valid: false, errors: c.errors, ai: c.ai, position: c.position };
        if (JSON.stringify(got) !== JSON.stringify(want)) fail(`parse error ${JSON.stringify(c.text)}`, got, want);
      }
      for (const c of parses.messages) {
        const [e] = parse(c).errors;
        if (e?.message !== c.message || e?.message_zh !== c.message_zh) fail(`message ${JSON.stringify(c.text)}`, e, c);
      }
      for (const c of parses.sscc_from_text) {
        if (gs1.ssccFromText(c.text) !== c.sscc) fail(`sscc ${JSON.stringify(c.text)}`, gs1.ssccFromText(c.text), c.sscc);
      }
    """, digits=load_vectors("gs1_check_digits"), parses=load_vectors("gs1_parse"))
    assert failures == []


# The vectors' orders as the change feed gives them to the phone: the inspected order and every order the user may
# see (another inspection in hand), each with its packing list; ids are made up from PO, SKU and carton number.
SCANS = """
  const { scanContext, scanVerdict } = await import(base + 'cartons.js');
  const orderId = (po) => `order-${po}`;
  const lineId = (po, sku) => `line-${po}-${sku}`;
  const cartonId = (po, n) => `carton-${po}-${n}`;
  const orderRecord = (o) => ({ id: orderId(o.po_number), po_number: o.po_number, lines: o.lines.map((l) => (
    { id: lineId(o.po_number, l.sku), sku: l.sku, colour: l.colour, size: l.size, gtin: l.gtin, quantity: 120 })) });
  const cartonRecord = (o, c) => ({ id: cartonId(o.po_number, c.number), number: c.number, barcode: c.barcode,
    items: c.items.map((i) => ({ order_line_id: lineId(o.po_number, i.sku), sku: i.sku, quantity: i.quantity })) });
  for (const kase of vectors.cases) {
    const iid = `inspection-${kase.name}`;
    const own = vectors.orders.find((o) => o.po_number === kase.order);
    const records = [];
    for (const o of vectors.orders.filter((x) => x.visible)) {
      records.push({ kind: 'order', key: orderId(o.po_number), version: 1, record: orderRecord(o), deleted: false });
      records.push({ kind: 'packing_list', key: orderId(o.po_number), version: 1,
        record: { id: `list-${o.po_number}`, order_id: orderId(o.po_number), cartons: o.cartons.map((c) => cartonRecord(o, c)) } });
      if (o !== own) records.push({ kind: 'inspection', key: `held-${o.po_number}`, record: { id: `held-${o.po_number}`, order: orderRecord(o), cartons: [] } });
    }
    const picks = own.cartons.filter((c) => kase.picked.includes(c.number)).map((c) => {
      const { id, number, barcode, items } = cartonRecord(own, c);
      return { carton_id: id, number, barcode, reason: 'random', scanned: false, missing_reason: '', items };
    });
    records.push({ kind: 'inspection', key: iid, record: { id: iid, order: orderRecord(own), cartons: picks } });
    // Neither a tombstone nor another inspection's scan counts.
    records.push({ kind: 'scan', key: 'gone', record: null, deleted: true, inspection_id: iid });
    records.push({ kind: 'scan', key: 'other', inspection_id: `held-PO-B`, record: { verdict: 'ok', carton_id: picks[0].carton_id } });
    kase.steps.forEach((step, i) => {
      const codes = step.scan ?? step.label.map((c) => ({ text: c.text, symbologyIdentifier: c.symbology_identifier }));
      const got = scanVerdict(codes, scanContext(records, iid));
      const where = `${kase.name} step ${i + 1} ${JSON.stringify(step.scan ?? step.label.map((c) => c.text))}`;
      if (step.expect === null) {
        if (got !== null) fail(where, got, null);
        return;
      }
      const shown = Object.fromEntries(Object.keys(step.expect).map((k) => [k, got?.[k]]));
      if (JSON.stringify(shown) !== JSON.stringify(step.expect)) fail(where, shown, step.expect);
      // Kept as the phone keeps a scan: the first half as synced already (the server's clock), the rest unsynced
      // (the phone's clock, behind the server's); stored newest first, so the order comes from the records.
      const synced = i < kase.steps.length / 2;
      records.unshift({ kind: 'scan', key: `scan-${i}`, pending: synced ? 0 : 1, inspection_id: iid, record: {
        id: `scan-${i}`, text: got.code, verdict: got.verdict, carton_id: got.carton_id, carton_number: got.carton_number,
        sku: got.sku, scanned_at: new Date(Date.UTC(2025, 5, 1, synced ? 10 : 8, 0, i)).toISOString() } });
    });
  }
"""


def test_scan_verdicts(page: Page) -> None:
    assert run(page, SCANS, vectors=load_vectors("scan_verdicts")) == []


# --- against the server: the records the feed gives, and what the server made of them -----------------------

SHEET = {"version": 0, "unit": "inch", "defect_severity": "minor", "points": [
    {"code": "chest", "name": "Chest 1/2", "name_zh": "胸宽", "tol_minus": "1/4", "tol_plus": "3/8",
     "specs": {"S": "20 1/2", "M": "21 1/2", "L": "22 1/2"}},
    {"code": "length", "name": "Body length", "name_zh": "衣长", "tol_minus": "0,5",
     "specs": {"S": "27", "M": "28", "L": "28 15/16"}},
]}
# (sample unit, size, point, reading): within, out, and refused; sample unit 2 has one point out, 3 two.
READINGS = [
    ("1", "M", "chest", "21 1/2"), ("1", "M", "length", "28-1/4\""), ("2", "M", "chest", "21 7/8"),
    ("2", "M", "length", "27,5"), ("3", "L", "chest", "２２ ¼"), ("3", "L", "length", "30"), ("3", "L", "chest", "22⅛"),
    ("4", "S", "chest", "20.875"), ("4", "S", "length", "26.5 in"), ("5", "S", "chest", "-0"),
    ("5", "S", "length", "1/3"), ("5", "S", "chest", "abc"), ("5", "S", "chest", "15 9/8"), ("5", "S", "chest", "1/0"),
    ("5", "S", "chest", "1000000"), ("5", "S", "chest", "0.0000001"), ("5", "S", "chest", "٢٠٫٥"), ("5", "XL", "chest", "20"),
    ("5", "S", "sleeve", "20"), ("5", "S", "chest", "20 cm"),
]
ANSWERS = [("packing_method", "pass", None), ("hang_tags", "fail", None), ("labels", "na", None),
           ("moisture", "pass", "12,5"), ("carton_marks", "fail", None), ("colour_shade", "pass", None),
           ("hand_feel", "fail", "x"), ("nonsense", "pass", None), ("barcode_scan", "pass", "12")]


def _findings(floor: Floor) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The findings of the floor's inspection, made through the API: what the server stored or refused of each."""
    inspector, base = floor.inspector, f"/api/inspections/{floor.inspection_id}"
    sheet = floor.supervisor.put(f"/api/orders/{floor.order['id']}/spec-sheet", json=SHEET)
    assert sheet.status_code in (200, 201), sheet.text
    head = inspector.get(base).json()
    template = head["checklist"] or next(t for t in inspector.get("/api/checklist-templates").json()
                                         if t["code"] == "garment-final")
    put = inspector.put(base, json={"order_id": floor.order["id"], "type": "pre_shipment", "version": head["version"],
                                    "units_inspected": 80, "checklist_template_id": template["id"]})
    assert put.status_code == 200, put.text
    codes = [c["code"] for c in inspector.get("/api/defect-codes").json()]
    for code, (severity, count, deleted) in zip(codes, [("major", 2, False), ("major", 1, False), ("minor", 5, False),
                                                        ("major", 4, True), ("critical", 1, True)]):
        defect_id = str(uuid.uuid4())
        assert inspector.put(f"{base}/defects/{defect_id}", json={"code": code, "severity": severity, "count": count,
                                                                  "version": 0}).status_code == 201
        if deleted:
            assert inspector.delete(f"{base}/defects/{defect_id}").status_code == 204

    def outcome(response: Any) -> dict[str, Any]:
        body = response.json()
        if response.status_code == 201:
            return {"stored": body}
        return {"status": response.status_code, "field": body.get("field"), "detail": body["detail"]}

    measurements = [{"sent": {"sample_unit": unit, "size": size, "point": point, "reading": reading}, **outcome(
        inspector.put(f"{base}/measurements/{uuid.uuid4()}", json={"sample_unit": unit, "size": size, "point": point,
                                                                   "reading": reading, "version": 0}))}
        for unit, size, point, reading in READINGS]
    answers = [{"sent": {"item_key": key, "result": result, "value": value}, **outcome(
        inspector.put(f"{base}/checklist/{uuid.uuid4()}", json={"item_key": key, "result": result, "value": value,
                                                                "version": 0}))}
        for key, result, value in ANSWERS]
    return measurements, answers


def test_the_phone_computes_what_the_server_stores(page: Page, floor: Floor) -> None:
    measurements, answers = _findings(floor)
    assert sum("stored" in m for m in measurements) >= 8 and sum("stored" not in m for m in measurements) >= 8
    items: list[dict[str, Any]] = []
    cursor = None
    while True:  # the inspector's whole snapshot, as the phone downloads it
        page_ = floor.inspector.get("/api/sync/changes", params={"since": cursor} if cursor else {}).json()
        items += page_["items"]
        cursor = page_["next"]
        if not page_["more"]:
            break
    result = floor.inspector.get(f"/api/inspections/{floor.inspection_id}/result").json()
    assert result["overall"] == "fail" and result["severities"]["minor"]["count"] >= result["severities"]["minor"]["reject"]
    failures = run(page, """
      const tally = await import(base + 'tally.js');
      const head = items.find((i) => i.kind === 'inspection' && i.key === iid).record;
      const spec = items.find((i) => i.kind === 'spec_sheet' && i.key === head.order.id).record;
      const of = (kind) => items.filter((i) => i.kind === kind && (i.inspection_id ?? iid) === iid);
      const ours = tally.inspectionResult(head, { defects: of('defect'), answers: of('checklist_answer'),
        measurements: of('measurement'), template: head.checklist, spec });
      const server = { overall: result.overall, units_inspected: result.units_inspected, severities: result.severities };
      const phone = { overall: ours.overall, units_inspected: ours.units_inspected, severities: Object.fromEntries(
        Object.entries(ours.severities).map(([s, r]) => [s, { count: r.count, accept: r.accept, reject: r.reject,
          sample_size: r.sample_size, verdict: r.verdict }])) };
      if (JSON.stringify(phone) !== JSON.stringify(server)) fail('live result', phone, server);
      if (JSON.stringify(head.result.severities) !== JSON.stringify(server.severities)) fail('feed result', head.result, server);
      for (const m of measurements) {
        const graded = grading.gradeMeasurement(m.sent.reading, spec, m.sent.point, m.sent.size);
        const where = `measurement ${JSON.stringify(m.sent)}`;
        if (m.stored) {
          const got = { value: graded.value, unit: graded.unit, spec: graded.spec, deviation: graded.deviation, within: graded.within };
          const want = { value: m.stored.value, unit: m.stored.unit, spec: m.stored.spec, deviation: m.stored.deviation, within: m.stored.within };
          if (JSON.stringify(got) !== JSON.stringify(want)) fail(where, graded, want);
        } else if (m.status !== 422 || graded.field !== (m.field ?? null) || graded.message !== m.detail) {
          fail(where, graded, m);
        }
      }
      for (const a of answers) {
        const outcome = grading.answerOutcome(a.sent, head.checklist);
        const where = `answer ${JSON.stringify(a.sent)}`;
        if (a.stored) {
          if (outcome.result !== a.stored.result || outcome.severity !== a.stored.severity) fail(where, outcome, a.stored);
        } else if (a.status !== 422 || outcome.field !== a.field || outcome.message !== a.detail) {
          fail(where, outcome, a);
        }
      }
    """, items=items, iid=floor.inspection_id, result=result, measurements=measurements, answers=answers)
    assert failures == [], json.dumps(failures, ensure_ascii=False, indent=1)
