"""Inspections through the API: plans, the carton draw, findings, scans, the lifecycle and access."""

from __future__ import annotations

import base64
import io
import math
import uuid
from pathlib import Path

import pytest
from PIL import Image

from api.inspections.carton_draw import draw_cartons
from tests.helpers import assert_problem, inspection_body, order_body, sscc, upload_packing_list

EXIF_JPEG = Path(__file__).resolve().parents[1] / "data" / "exif" / "Portrait_0.jpg"  # a camera's photo

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def put_defect(actor, inspection, severity="major", count=1, defect_id=None, **extra):  # type: ignore[no-untyped-def]
    defect_id = defect_id or str(uuid.uuid4())
    body = {"code": "W01", "severity": severity, "count": count, **extra}
    return actor.put(f"/api/inspections/{inspection['id']}/defects/{defect_id}", json=body)


def set_units(actor, inspection, units):  # type: ignore[no-untyped-def]
    current = actor.get(f"/api/inspections/{inspection['id']}").json()
    body = inspection_body({"id": current["order"]["id"]}, type=current["type"], lot_size=current["lot_size"],
                           version=current["version"], units_inspected=units)
    response = actor.put(f"/api/inspections/{inspection['id']}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def scan(actor, inspection, text, scan_id=None):  # type: ignore[no-untyped-def]
    return actor.post(f"/api/inspections/{inspection['id']}/scans", json={"id": scan_id or str(uuid.uuid4()),
                                                                           "text": text})


def scan_all_picked(actor, inspection):  # type: ignore[no-untyped-def]
    for carton in inspection["cartons"]:
        assert scan(actor, inspection, carton["barcode"]).json()["verdict"] == "ok"


def png_signature() -> str:
    buffer = io.BytesIO()
    Image.new("L", (120, 40), 255).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


# --- sampling ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("lot_size=1000&level=II&aql=2.5", {"code_letter": "J", "sample_size": 80, "accept": 5, "reject": 6,
                                        "full_inspection": False}),
    ("lot_size=1000", {"code_letter": "J", "sample_size": 80, "accept": 5, "reject": 6, "full_inspection": False}),
    ("lot_size=5000&aql=4.0&mode=tightened", {"code_letter": "L", "sample_size": 200, "accept": 12, "reject": 13,
                                              "full_inspection": False}),
    ("lot_size=5000&aql=2.5&mode=reduced", {"code_letter": "L", "sample_size": 80, "accept": 6, "reject": 7,
                                            "full_inspection": False}),
    ("lot_size=1000&aql=0", {"code_letter": "J", "sample_size": 80, "accept": 0, "reject": 1,
                             "full_inspection": False}),
    ("lot_size=10&aql=0.65", {"code_letter": "F", "sample_size": 10, "accept": 0, "reject": 1,
                              "full_inspection": True}),
])
def test_aql_plan_endpoint(world, query, expected) -> None:  # type: ignore[no-untyped-def]
    assert world.inspector.get(f"/api/aql/plan?{query}").json() == expected


@pytest.mark.parametrize(("query", "param"), [
    ("lot_size=0", "lot_size"), ("lot_size=abc", "lot_size"), ("level=II", "lot_size"),
    ("lot_size=100&level=IV", "level"), ("lot_size=100&aql=3", "aql"), ("lot_size=100&mode=lenient", "mode"),
])
def test_aql_plan_bad_parameters_name_the_parameter(world, query, param) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.inspector.get(f"/api/aql/plan?{query}"), 400)
    assert param in problem["detail"] or problem.get("param") == param
    assert problem["detail_zh"]


def test_plans_are_computed_per_severity_with_the_customer_defaults(world) -> None:  # type: ignore[no-untyped-def]
    world.admin.patch(f"/api/customers/{world.customers[0]['id']}", json={"version": 1, "aql_major": "1.5"})
    inspection_id = str(uuid.uuid4())
    response = world.merchandiser.put(f"/api/inspections/{inspection_id}", json=inspection_body(world.orders[0]))
    assert response.status_code == 201
    body = response.json()
    assert (body["aql_level"], body["aql_critical"], body["aql_major"], body["aql_minor"]) == ("II", "0", "1.5", "4.0")
    assert body["plans"]["critical"] == {"code_letter": "J", "sample_size": 80, "accept": 0, "reject": 1,
                                         "full_inspection": False}
    assert body["plans"]["major"]["accept"] == 3 and body["plans"]["minor"]["accept"] == 7
    assert body["mode"] == "normal" and body["mode_reason"]


# --- the carton draw -----------------------------------------------------------------------------------------


def test_cartons_are_drawn_reproducibly_from_the_seed(world, psi) -> None:  # type: ignore[no-untyped-def]
    packing = world.admin.get(f"/api/orders/{world.orders[0]['id']}/packing-list").json()
    cartons = [(str(c["number"]), "+".join(sorted(f"{i['colour']}/{i['size']}" for i in c["items"])))
               for c in packing["cartons"]]
    expected = draw_cartons(cartons, psi["carton_seed"])
    assert [str(c["number"]) for c in psi["cartons"]] == expected
    assert len(expected) >= math.ceil(math.sqrt(60))
    assert {c["reason"] for c in psi["cartons"][:8]} == {"random"}
    picked_assortments = {(c["items"][0]["colour"], c["items"][0]["size"]) for c in psi["cartons"]}
    assert len(picked_assortments) == 6  # every colour and size has a carton opened


def test_reimport_after_the_draw_needs_a_supervisor_and_a_reason(world, psi) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    first = psi["cartons"][0]
    assert scan(world.inspector, psi, first["barcode"]).json()["verdict"] == "ok"
    assert_problem(upload_packing_list(world.merchandiser, order, 3000), 403)
    assert_problem(upload_packing_list(world.supervisor, order, 3000), 422)
    assert upload_packing_list(world.supervisor, order, 3000, reason="Factory repacked 2 cartons").status_code == 201
    again = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    assert again["carton_seed"] != psi["carton_seed"]
    assert all(c["barcode"].startswith("0690123400003") or c["barcode"] >= sscc(3000) for c in again["cartons"])
    assert [s["text"] for s in again["scans"]] == [first["barcode"]]  # earlier scans stay in the history
    events = world.admin.get(f"/api/orders/{order['id']}/timeline").json()
    redrawn = [e for e in events if e["kind"] == "cartons_redrawn"]
    assert len(redrawn) == 1 and redrawn[0]["data"]["reason"] == "Factory repacked 2 cartons"
    # The factory reads its order's timeline, but not the new draw's seed before the inspection is submitted.
    seen = world.factory_user.get(f"/api/orders/{order['id']}/timeline").json()
    assert "packing_list_imported" in {e["kind"] for e in seen}
    assert "cartons_redrawn" not in {e["kind"] for e in seen} and again["carton_seed"] not in str(seen)


# --- idempotent, versioned writes ---------------------------------------------------------------------------


def test_inspection_put_replays_and_conflicts(world) -> None:  # type: ignore[no-untyped-def]
    inspection_id = str(uuid.uuid4())
    path = f"/api/inspections/{inspection_id}"
    body = inspection_body(world.orders[1], type="in_process", production_stage="sewing", percent_complete=40)
    first = world.merchandiser.put(path, json=body)
    assert first.status_code == 201 and first.json()["version"] == 1
    replay = world.merchandiser.put(path, json=body)
    assert replay.status_code == 200 and replay.json()["version"] == 1
    edit = world.merchandiser.put(path, json=body | {"version": 1, "percent_complete": 60})
    assert edit.status_code == 200 and edit.json()["version"] == 2
    late_replay = world.merchandiser.put(path, json=body | {"version": 1, "percent_complete": 60})
    assert late_replay.status_code == 200 and late_replay.json()["version"] == 2
    stale = assert_problem(world.supervisor.put(path, json=body | {"version": 1, "percent_complete": 70}), 409)
    assert stale["current"]["percent_complete"] == 60 and stale["current"]["version"] == 2
    assert_problem(world.merchandiser.put(path, json=body | {"version": 2, "type": "pre_shipment"}), 409)


def test_defect_put_replays_and_conflicts(world, psi) -> None:  # type: ignore[no-untyped-def]
    defect_id = str(uuid.uuid4())
    first = put_defect(world.inspector, psi, defect_id=defect_id, location="left sleeve")
    assert first.status_code == 201 and first.json()["version"] == 1
    assert put_defect(world.inspector, psi, defect_id=defect_id, location="left sleeve").status_code == 200
    moved = put_defect(world.inspector, psi, defect_id=defect_id, location="right sleeve", version=1)
    assert moved.json()["version"] == 2
    stale = assert_problem(put_defect(world.inspector, psi, defect_id=defect_id, location="collar", version=1), 409)
    assert stale["current"]["location"] == "right sleeve"
    assert len(world.inspector.get(f"/api/inspections/{psi['id']}").json()["defects"]) == 1


def test_bad_finding_input_gets_precise_answers(world, psi) -> None:  # type: ignore[no-untyped-def]
    assert assert_problem(put_defect(world.inspector, psi, code="ZZ99"), 422)["field"] == "code"
    assert "severity" in assert_problem(put_defect(world.inspector, psi, severity="huge"), 400)["detail"]
    assert "count" in assert_problem(put_defect(world.inspector, psi, count=0), 400)["detail"]
    assert assert_problem(put_defect(world.inspector, psi, follow_up=True), 422)["field"] == "follow_up"
    assert len(world.inspector.get(f"/api/inspections/{psi['id']}").json()["defects"]) == 0


# --- the live result ----------------------------------------------------------------------------------------


def test_live_result_per_severity(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/result"
    result = world.inspector.get(path).json()
    assert result["overall"] == "pending" and result["counting"] == "defects"
    assert result["severities"]["major"] == {"count": 0, "accept": 5, "reject": 6, "sample_size": 80,
                                             "verdict": "pending"}
    put_defect(world.inspector, psi, "minor", count=3)
    put_defect(world.inspector, psi, "major", count=5)
    set_units(world.inspector, psi, 80)
    result = world.inspector.get(path).json()
    assert result["overall"] == "pass" and result["severities"]["minor"]["count"] == 3
    put_defect(world.inspector, psi, "major", count=1)  # the sixth major defect reaches Re
    assert world.inspector.get(path).json()["severities"]["major"]["verdict"] == "fail"
    assert world.inspector.get(path).json()["overall"] == "fail"


def test_a_critical_defect_fails_at_once(world, psi) -> None:  # type: ignore[no-untyped-def]
    put_defect(world.inspector, psi, "critical", code="A05")
    assert world.inspector.get(f"/api/inspections/{psi['id']}/result").json()["overall"] == "fail"


def test_measurements_are_graded_and_count_one_defect_per_unit(world, psi) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    sheet = {"unit": "inch", "points": [
        {"code": "CH", "name": "Chest 1/2", "name_zh": "胸围", "tol_minus": "1/4", "specs": {"M": "21", "L": "22"}},
        {"code": "BL", "name": "Body length", "tol_minus": "1/4", "tol_plus": "3/8", "specs": {"M": "28 1/2"}},
    ]}
    assert world.merchandiser.put(f"/api/orders/{order['id']}/spec-sheet", json=sheet).status_code == 201
    base = f"/api/inspections/{psi['id']}/measurements"

    def measure(unit, point, reading):  # type: ignore[no-untyped-def]
        return world.inspector.put(f"{base}/{uuid.uuid4()}", json={"sample_unit": unit, "size": "M", "point": point,
                                                                   "reading": reading})

    ok = measure("u1", "BL", "28 7/8").json()
    assert ok["within"] and ok["deviation"] == "0.375" and ok["value"] == "28.875"
    over = measure("u2", "CH", "21 3/8").json()
    assert not over["within"] and over["deviation"] == "0.375"
    measure("u2", "BL", "27")  # a second point out on the same unit is still one defect
    assert world.inspector.get(f"/api/inspections/{psi['id']}/result").json()["severities"]["major"]["count"] == 1
    assert assert_problem(measure("u3", "CH", "twenty"), 422)["field"] == "reading"
    assert assert_problem(measure("u3", "XX", "21"), 422)["field"] == "point"


def test_checklist_failures_become_defects(world, psi) -> None:  # type: ignore[no-untyped-def]
    base = f"/api/inspections/{psi['id']}/checklist"
    assert psi["checklist"]["code"] == "garment-final"
    hang = world.inspector.put(f"{base}/{uuid.uuid4()}", json={"item_key": "hang_tags", "result": "fail",
                                                               "note": "price ticket missing"}).json()
    assert hang["severity"] == "minor"
    moisture = world.inspector.put(f"{base}/{uuid.uuid4()}", json={"item_key": "moisture", "result": "pass",
                                                                   "value": "13.5"}).json()
    assert moisture["result"] == "fail" and moisture["severity"] == "major"  # over its 12 % limit
    world.inspector.put(f"{base}/{uuid.uuid4()}", json={"item_key": "carton_drop", "result": "pass"})
    counts = world.inspector.get(f"/api/inspections/{psi['id']}/result").json()["severities"]
    assert (counts["major"]["count"], counts["minor"]["count"]) == (1, 1)
    assert_problem(world.inspector.put(f"{base}/{uuid.uuid4()}", json={"item_key": "hang_tags", "result": "pass"}), 409)
    assert_problem(world.inspector.put(f"{base}/{uuid.uuid4()}", json={"item_key": "nope", "result": "pass"}), 422)


# --- scans ---------------------------------------------------------------------------------------------------


def test_scan_verdicts(world, psi) -> None:  # type: ignore[no-untyped-def]
    picked = psi["cartons"]
    picked_numbers = {c["number"] for c in picked}
    first = scan(world.inspector, psi, f"(00){picked[0]['barcode']}")
    assert first.status_code == 201 and first.json()["verdict"] == "ok"
    assert first.json()["message"] and first.json()["message_zh"]
    assert scan(world.inspector, psi, picked[0]["barcode"]).json()["verdict"] == "already_scanned"
    unpicked = next(n for n in range(1, 61) if n not in picked_numbers)
    assert scan(world.inspector, psi, sscc(100 + unpicked - 1)).json()["verdict"] == "not_selected"
    assert scan(world.inspector, psi, sscc(99999)).json()["verdict"] == "not_on_packing_list"
    assert scan(world.inspector, psi, sscc(100)[:-1] + str((int(sscc(100)[-1]) + 1) % 10)).json()[
        "verdict"] == "bad_check_digit"
    # a unit from the carton opened last, then a unit of another SKU
    line = next(x for x in world.orders[0]["lines"] if x["sku"] == picked[0]["items"][0]["sku"])
    assert scan(world.inspector, psi, line["gtin"]).json()["verdict"] == "ok"
    other = next(x for x in world.orders[0]["lines"] if x["sku"] != line["sku"])
    mismatch = scan(world.inspector, psi, other["gtin"]).json()
    assert mismatch["verdict"] == "gtin_mismatch" and mismatch["sku"] == other["sku"]


def test_a_scan_never_reveals_an_order_the_user_cannot_see(world, psi) -> None:  # type: ignore[no-untyped-def]
    upload_packing_list(world.admin, world.orders[1], 5000)
    foreign = sscc(5003)
    assert scan(world.inspector, psi, foreign).json()["verdict"] == "not_on_packing_list"
    supervisor_scan = scan(world.supervisor, psi, foreign).json()
    assert supervisor_scan["verdict"] == "other_order" and "PO-2" in supervisor_scan["message"]


def test_scan_replay_returns_the_stored_scan(world, psi) -> None:  # type: ignore[no-untyped-def]
    scan_id = str(uuid.uuid4())
    first = scan(world.inspector, psi, psi["cartons"][0]["barcode"], scan_id)
    again = scan(world.inspector, psi, psi["cartons"][0]["barcode"], scan_id)
    assert again.status_code == 200 and again.json() == first.json()  # not "already_scanned"
    assert_problem(scan(world.inspector, psi, psi["cartons"][1]["barcode"], scan_id), 409)


# --- lifecycle -----------------------------------------------------------------------------------------------


def test_submit_needs_every_picked_carton_and_a_complete_sample(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/submit"
    current = set_units(world.inspector, psi, 80)
    for carton in psi["cartons"][1:]:
        scan(world.inspector, psi, carton["barcode"])
    problem = assert_problem(world.inspector.post(path, json={"version": current["version"]}), 422)
    assert problem["cartons"] == [psi["cartons"][0]["number"]]
    missing = [{"carton_number": psi["cartons"][0]["number"], "reason": "Carton at the bottom of the pallet"}]
    submitted = world.inspector.post(path, json={"version": current["version"], "missing_cartons": missing})
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert body["status"] == "submitted" and body["verdict"] == "pass"
    assert body["cartons"][0]["missing_reason"] == "Carton at the bottom of the pallet"
    order = world.admin.get(f"/api/orders/{world.orders[0]['id']}").json()
    assert order["inspection_status"] == "PSI passed — awaiting review"


def test_incomplete_sample_cannot_be_submitted(world, psi) -> None:  # type: ignore[no-untyped-def]
    scan_all_picked(world.inspector, psi)
    current = set_units(world.inspector, psi, 50)
    problem = assert_problem(world.inspector.post(f"/api/inspections/{psi['id']}/submit",
                                                  json={"version": current["version"]}), 422)
    assert "30 more" in problem["detail"]


def submitted(world, psi, units=80, **defects):  # type: ignore[no-untyped-def]
    for severity, count in defects.items():
        put_defect(world.inspector, psi, severity, count=count)
    scan_all_picked(world.inspector, psi)
    current = set_units(world.inspector, psi, units)
    response = world.inspector.post(f"/api/inspections/{psi['id']}/submit", json={"version": current["version"]})
    assert response.status_code == 200, response.text
    return response.json()


def sign_both(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/signatures"
    assert world.inspector.post(path, json={"role": "inspector", "name": "Chen", "image_png": png_signature()}
                                ).status_code == 201
    assert world.factory_user.post(path, json={"role": "factory", "name": "Mr. Zhou 周厂长"}).status_code == 201


def test_findings_freeze_on_submission_but_replays_photos_and_signatures_still_land(world, psi) -> None:  # type: ignore[no-untyped-def]
    defect_id = str(uuid.uuid4())
    put_defect(world.inspector, psi, defect_id=defect_id)
    submitted(world, psi)
    assert put_defect(world.inspector, psi, defect_id=defect_id).status_code == 200  # a late replay
    assert_problem(put_defect(world.inspector, psi, defect_id=defect_id, count=2, version=1), 409)
    assert_problem(put_defect(world.inspector, psi), 409)
    assert_problem(scan(world.inspector, psi, psi["cartons"][0]["barcode"]), 409)
    sign_both(world, psi)
    image = world.supervisor.get(f"/api/inspections/{psi['id']}/signatures/inspector/image")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert_problem(world.inspector.post(f"/api/inspections/{psi['id']}/signatures",
                                        json={"role": "inspector", "name": "Someone else"}), 409)


def test_bad_signature_images_are_refused(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/signatures"
    for image in ("not base64!", base64.b64encode(b"GIF89a....").decode(),
                  base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).decode()):
        assert assert_problem(world.inspector.post(path, json={"role": "inspector", "name": "C", "image_png": image}),
                              422)["field"] == "image_png"


def test_review_and_shipping(world, psi) -> None:  # type: ignore[no-untyped-def]
    order_path = f"/api/orders/{world.orders[0]['id']}"
    review = f"/api/inspections/{psi['id']}/review"
    submitted(world, psi)
    assert_problem(world.merchandiser.post(review, json={"decision": "accepted"}), 403)
    problem = assert_problem(world.supervisor.post(review, json={"decision": "accepted"}), 422)
    assert problem["missing"] == ["factory", "inspector"]
    version = world.admin.get(order_path).json()["version"]
    assert_problem(world.merchandiser.patch(order_path, json={"version": version, "status": "shipped"}), 422)
    sign_both(world, psi)
    reviewed = world.supervisor.post(review, json={"decision": "accepted", "note": "Good lot"})
    assert reviewed.status_code == 200 and reviewed.json()["review_decision"] == "accepted"
    order = world.admin.get(order_path).json()
    assert (order["inspection_status"], order["status"]) == ("PSI accepted", "ready_to_ship")
    assert order["inspection_status_zh"] == "尾期验货已接受"
    shipped = world.merchandiser.patch(order_path, json={"version": order["version"], "status": "shipped"})
    assert shipped.status_code == 200 and shipped.json()["status"] == "shipped"
    kinds = [e["kind"] for e in world.admin.get(f"{order_path}/timeline").json()]
    assert {"inspection_submitted", "report_signed", "inspection_reviewed"} <= set(kinds)

    # After shipping, a correction is a supervisor's call and reopens nothing.
    revise = f"/api/inspections/{psi['id']}/revisions"
    assert_problem(world.inspector.post(revise, json={"id": str(uuid.uuid4())}), 403)
    revision = world.supervisor.post(revise, json={"id": str(uuid.uuid4())})
    assert revision.status_code == 201, revision.text
    put_defect(world.supervisor, revision.json(), "critical")
    current = world.supervisor.get(f"/api/inspections/{revision.json()['id']}").json()
    resubmitted = world.supervisor.post(f"/api/inspections/{current['id']}/submit",
                                        json={"version": current["version"]})
    assert resubmitted.status_code == 200 and resubmitted.json()["verdict"] == "fail"
    after = world.admin.get(order_path).json()
    assert (after["status"], after["inspection_status"]) == ("shipped", "PSI accepted")


def test_the_factory_never_sees_the_picked_cartons_before_submission(world, psi) -> None:  # type: ignore[no-untyped-def]
    cartons = world.admin.get(f"/api/orders/{psi['order']['id']}/packing-list").json()["cartons"]
    picked = {c["barcode"] for c in psi["cartons"]}
    assert scan(world.inspector, psi, next(c["barcode"] for c in cartons if c["barcode"] not in picked)).json()[
        "verdict"] == "not_selected"
    seen = world.factory_user.get(f"/api/inspections/{psi['id']}").json()
    assert (seen["cartons"], seen["carton_seed"], seen["scans"]) == ([], None, [])
    # Who inspects, by name: a factory may not read the people directory.
    [inspector] = [u for u in world.admin.get("/api/users").json() if u["id"] == world.inspector.id]
    assert seen["assignee_name"] == inspector["display_name"]
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json()["carton_seed"] == psi["carton_seed"]
    submitted(world, psi)
    seen = world.factory_user.get(f"/api/inspections/{psi['id']}").json()
    assert len(seen["cartons"]) == len(psi["cartons"]) and seen["carton_seed"] == psi["carton_seed"] and seen["scans"]


def test_findings_and_photos_name_no_picked_carton_to_the_factory_before_submission(world, psi) -> None:  # type: ignore[no-untyped-def]
    """A defect or a photo of a picked carton carries its number: the factory gets it only with the picks."""
    number = psi["cartons"][0]["number"]
    defect_id = str(uuid.uuid4())
    assert put_defect(world.inspector, psi, defect_id=defect_id, carton_number=number).status_code in (200, 201)
    photo = world.inspector.put(f"/api/photos/{uuid.uuid4()}", content=EXIF_JPEG.read_bytes(),
                                params={"inspection_id": psi["id"], "defect_id": defect_id,
                                        "carton_number": number}, headers={"Content-Type": "image/jpeg"})
    assert photo.status_code == 201, photo.text

    def numbers(actor):  # type: ignore[no-untyped-def]
        inspection = actor.get(f"/api/inspections/{psi['id']}").json()
        photos = actor.get(f"/api/inspections/{psi['id']}/photos").json()
        one = actor.get(f"/api/photos/{photo.json()['id']}").json()
        feed = actor.get("/api/sync/changes").json()["items"]
        fed = [i["record"]["carton_number"] for i in feed if i["kind"] in ("defect", "photo") and i.get("record")]
        return ([d["carton_number"] for d in inspection["defects"]], [p["carton_number"] for p in photos],
                one["carton_number"], fed)

    assert numbers(world.factory_user) == ([None], [None], None, [None, None])
    assert numbers(world.inspector) == ([number], [number], number, [number, number])
    submitted(world, psi)
    assert numbers(world.factory_user) == ([number], [number], number, [number, number])


def test_a_failed_lot_needs_a_concession_to_ship(world, psi) -> None:  # type: ignore[no-untyped-def]
    review = f"/api/inspections/{psi['id']}/review"
    body = submitted(world, psi, major=6)
    assert body["verdict"] == "fail"
    assert world.admin.get(f"/api/orders/{world.orders[0]['id']}").json()[
        "inspection_status"] == "PSI failed — awaiting review"
    sign_both(world, psi)
    assert assert_problem(world.supervisor.post(review, json={"decision": "accepted"}), 422)["field"] == "decision"
    assert assert_problem(world.supervisor.post(review, json={"decision": "accepted_with_concession"}), 422)[
        "field"] == "note"
    on_hold = world.supervisor.post(review, json={"decision": "on_hold", "note": "Asking the customer"})
    assert on_hold.json()["review_decision"] == "on_hold"
    concession = world.supervisor.post(review, json={"decision": "accepted_with_concession",
                                                     "note": "Customer accepts 6 minor seam defects"})
    assert concession.status_code == 200
    assert world.admin.get(f"/api/orders/{world.orders[0]['id']}").json()[
        "inspection_status"] == "PSI accepted with concession"


def test_a_rejection_means_rework(world, psi) -> None:  # type: ignore[no-untyped-def]
    submitted(world, psi, critical=1)
    world.supervisor.post(f"/api/inspections/{psi['id']}/review", json={"decision": "rejected", "note": "Needle"})
    order = world.admin.get(f"/api/orders/{world.orders[0]['id']}").json()
    assert order["inspection_status"] == "PSI rejected — rework and re-inspection"
    assert_problem(world.supervisor.post(f"/api/inspections/{psi['id']}/review", json={"decision": "accepted"}), 409)


def test_a_correction_is_a_new_revision(world, psi) -> None:  # type: ignore[no-untyped-def]
    put_defect(world.inspector, psi, "minor", count=2)
    submitted(world, psi)
    new_id = str(uuid.uuid4())
    revision = world.inspector.post(f"/api/inspections/{psi['id']}/revisions", json={"id": new_id})
    assert revision.status_code == 201
    body = revision.json()
    assert body["revision_of_id"] == psi["id"] and body["status"] == "in_progress"
    assert [d["count"] for d in body["defects"]] == [2] and len(body["scans"]) == len(psi["cartons"])
    assert world.inspector.post(f"/api/inspections/{psi['id']}/revisions", json={"id": new_id}).status_code == 200
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json()["superseded_by_id"] == new_id
    assert put_defect(world.inspector, body, "minor").status_code == 201
    assert_problem(world.inspector.post(f"/api/inspections/{psi['id']}/revisions", json={"id": str(uuid.uuid4())}), 409)


def test_abort_needs_a_reason(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}/abort"
    assert_problem(world.inspector.post(path, json={"reason": ""}), 400)
    aborted = world.inspector.post(path, json={"reason": "Goods not ready: only 40 % packed"})
    assert aborted.json()["status"] == "aborted"
    assert_problem(put_defect(world.inspector, psi), 409)


def test_dupro_follow_ups_count_on_the_order(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[1]
    inspection_id = str(uuid.uuid4())
    body = inspection_body(order, type="in_process", lot_size=None, production_stage="sewing", percent_complete=60)
    inspection = world.merchandiser.put(f"/api/inspections/{inspection_id}", json=body).json()
    defect_id = str(uuid.uuid4())
    put_defect(world.merchandiser, inspection, defect_id=defect_id, follow_up=True,
               follow_up_owner_id=world.supervisor.id, follow_up_due="2026-12-01", note="Open seams at side")
    put_defect(world.merchandiser, inspection, follow_up=True, note="Stains near pocket")
    submitted_ = world.merchandiser.post(f"/api/inspections/{inspection_id}/submit",
                                         json={"version": inspection["version"]})
    assert submitted_.status_code == 200, submitted_.text
    order_path = f"/api/orders/{order['id']}"
    assert world.admin.get(order_path).json()["inspection_status"] == "DUPRO: 60 %, 2 issues open"
    assert len(world.supervisor.get("/api/follow-ups").json()) == 2
    of_order = world.supervisor.get(f"/api/follow-ups?order_id={order['id']}").json()
    assert [(f["order_id"], f["inspection_id"], f["inspection_type"]) for f in of_order] == [
        (order["id"], inspection_id, "in_process")] * 2
    assert world.supervisor.get(f"/api/follow-ups?order_id={world.orders[0]['id']}").json() == []
    closed = world.supervisor.post(f"/api/inspections/{inspection_id}/defects/{defect_id}/close",
                                   json={"note": "Resewn and checked 20 pcs"})
    assert closed.status_code == 200 and closed.json()["closed_at"]
    assert world.admin.get(order_path).json()["inspection_status"] == "DUPRO: 60 %, 1 issue open"


def test_lists_and_filters(world, psi) -> None:  # type: ignore[no-untyped-def]
    other = str(uuid.uuid4())
    world.merchandiser.put(f"/api/inspections/{other}", json=inspection_body(world.orders[1], type="in_process"))
    assert {i["id"] for i in world.inspector.get("/api/inspections").json()["items"]} == {psi["id"]}
    assert world.supervisor.get("/api/inspections").json()["total"] == 2
    assert world.supervisor.get("/api/inspections?mine=true").json()["total"] == 0
    assert world.merchandiser.get("/api/inspections?mine=true").json()["items"][0]["id"] == other
    assert world.supervisor.get(f"/api/inspections?order_id={world.orders[0]['id']}").json()["total"] == 1
    submitted(world, psi)
    queue = world.supervisor.get("/api/inspections?status=submitted").json()["items"]
    assert [i["id"] for i in queue] == [psi["id"]]
    assert world.factory_user.get("/api/inspections").json()["items"][0]["id"] == psi["id"]  # own factory only
    assert world.other_inspector.get("/api/inspections").json()["total"] == 0


def test_access_to_an_inspection_by_role(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{psi['id']}"
    for actor in (world.admin, world.supervisor, world.merchandiser, world.inspector, world.factory_user):
        assert actor.get(path).status_code == 200
    for sub in ("", "/result", "/signatures/inspector/image"):
        assert_problem(world.other_inspector.get(path + sub), 404)
    assert_problem(put_defect(world.other_inspector, psi), 404)
    assert_problem(put_defect(world.factory_user, psi), 403)
    assert_problem(world.inspector.put(f"/api/inspections/{uuid.uuid4()}", json=inspection_body(world.orders[0])), 403)
    # a merchandiser who does not answer for this order may read it but not write to it
    order_path = f"/api/orders/{world.orders[0]['id']}"
    version = world.admin.get(order_path).json()["version"]
    world.admin.patch(order_path, json={"version": version, "merchandiser_id": world.admin.id})
    assert world.merchandiser.get(path).status_code == 200
    assert_problem(put_defect(world.merchandiser, psi), 403)
    assert put_defect(world.supervisor, psi).status_code == 201


def test_switching_to_tightened_after_two_rejected_lots(world) -> None:  # type: ignore[no-untyped-def]
    """Two of the factory's last five lots failed: its next pre-shipment inspection is tightened."""
    customer, factory = world.customers[0]["id"], world.factories[0]["id"]
    for n in range(2):
        order = world.admin.post("/api/orders", json=order_body(customer, factory, f"SW-{n}")).json()
        inspection = world.supervisor.put(f"/api/inspections/{uuid.uuid4()}", json=inspection_body(order)).json()
        put_defect(world.supervisor, inspection, "critical", code="A05")
        assert world.supervisor.post(f"/api/inspections/{inspection['id']}/submit",
                                     json={"version": inspection["version"]}).json()["verdict"] == "fail"
    state = world.supervisor.get(f"/api/factories/{factory}/switching").json()
    assert state["mode"] == "tightened"
    next_lot = world.supervisor.put(f"/api/inspections/{uuid.uuid4()}", json=inspection_body(world.orders[0])).json()
    assert next_lot["mode"] == "tightened" and "tightened" in next_lot["mode_reason"]
    assert next_lot["mode_reason_zh"]
    assert next_lot["plans"]["major"] == {"code_letter": "J", "sample_size": 80, "accept": 3, "reject": 4,
                                          "full_inspection": False}
    assert_problem(world.merchandiser.put(f"/api/factories/{factory}/reduced-inspection", json={"allowed": True}), 403)
    assert world.supervisor.put(f"/api/factories/{factory}/reduced-inspection",
                                json={"allowed": True}).json()["reduced_allowed"] is True


def test_library_is_seeded_and_admins_edit_it(world) -> None:  # type: ignore[no-untyped-def]
    codes = world.inspector.get("/api/defect-codes").json()
    assert len(codes) >= 40 and {c["category"] for c in codes} >= {"workmanship", "fabric", "packaging", "labelling"}
    assert all(c["name_en"] and c["name_zh"] for c in codes)
    new = {"category": "workmanship", "name_en": "Crooked label", "name_zh": "商标歪斜", "default_severity": "minor"}
    assert_problem(world.supervisor.put("/api/defect-codes/W99", json=new), 403)
    assert world.admin.put("/api/defect-codes/W99", json=new).status_code == 201
    # Version 0 creates only: a code that exists answers 409 with the stored one, unless it is the same (a replay).
    assert world.admin.put("/api/defect-codes/W99", json=new | {"version": 0}).status_code == 200
    taken = assert_problem(world.admin.put("/api/defect-codes/W99", json=new | {"name_en": "Label", "version": 0}), 409)
    assert taken["current"]["name_en"] == "Crooked label"
    # Both names are trimmed and neither may be blank: the phone shows the one of its language.
    blank = assert_problem(world.admin.put("/api/defect-codes/W98", json=new | {"name_zh": "   "}), 422)
    assert (blank["field"], bool(blank["detail_zh"])) == ("name_zh", True)
    assert world.admin.put("/api/defect-codes/W98", json=new | {"name_en": " Loose label "}).json()[
        "name_en"] == "Loose label"
    templates = world.inspector.get("/api/checklist-templates").json()
    assert templates[0]["items"][0]["label_zh"]
    template = {k: templates[0][k] for k in ("name", "name_zh", "items")}
    template["items"] = [dict(template["items"][0], label_zh=" ")] + template["items"][1:]
    blank = assert_problem(world.admin.put(f"/api/checklist-templates/{templates[0]['code']}", json=template), 422)
    assert blank["field"] == "items[0].label_zh"


def test_a_booking_is_a_ready_assignment(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    booking_id = str(uuid.uuid4())
    booked = world.supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": booking_id, "type": "pre_shipment", "assignee_id": world.inspector.id})
    assert booked.status_code == 201
    # Until one is submitted, the order's inspection status is its latest booking.
    listed = world.merchandiser.get(f"/api/orders/{order['id']}").json()
    assert (listed["inspection_status"], listed["inspection_status_zh"]) == ("PSI booked", "尾期验货已预约")
    ready = world.inspector.get(f"/api/inspections/{booking_id}").json()
    # No packing list yet: the order's quantity, the plans, the checklist; no cartons to pick yet.
    assert (ready["status"], ready["lot_size"], ready["cartons"]) == ("scheduled", 720, [])
    assert ready["plans"]["major"]["sample_size"] == 80 and ready["checklist"]["code"] == "garment-final"

    # The packing list arrives: the assignment follows it, and the phone learns it through the feed.
    assert upload_packing_list(world.merchandiser, order).status_code == 201
    ready = world.inspector.get(f"/api/inspections/{booking_id}").json()
    assert ready["lot_size"] == 720 and len(ready["cartons"]) >= 8 and ready["carton_seed"]
    feed = world.inspector.get("/api/sync/changes").json()["items"]
    assert any(i["kind"] == "inspection" and i["record"]["cartons"] for i in feed)

    # On site the inspector corrects the lot size: new plans, the same cartons. Sampling and assignee are staff's.
    body = {"order_id": order["id"], "type": "pre_shipment", "version": ready["version"]}
    corrected = world.inspector.put(f"/api/inspections/{booking_id}", json=body | {"lot_size": 1300})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["plans"]["major"]["sample_size"] == 125
    assert corrected.json()["carton_seed"] == ready["carton_seed"]
    version = corrected.json()["version"]
    for change in ({"aql_major": "6.5"}, {"aql_level": "S-1"}, {"assignee_id": world.other_inspector.id}):
        problem = assert_problem(world.inspector.put(f"/api/inspections/{booking_id}",
                                                     json=body | {"version": version} | change), 403)
        assert problem["detail_zh"]
    staff = world.supervisor.put(f"/api/inspections/{booking_id}", json=body | {"version": version, "aql_major": "1.5"})
    assert staff.status_code == 200 and staff.json()["aql_major"] == "1.5"


def test_the_order_shows_its_inspections_outcome_and_an_inspection_carries_the_order_lines(world, psi) -> None:  # type: ignore[no-untyped-def]
    assert len(psi["order"]["lines"]) == 6 and psi["order"]["total_quantity"] == 720
    submitted(world, psi, major=6)
    listed = world.merchandiser.get(f"/api/orders/{psi['order']['id']}/inspections").json()
    mine = next(i for i in listed if i["id"] == psi["id"])
    assert (mine["verdict"], mine["review_decision"], mine["submitted_at"] is not None) == ("fail", None, True)
