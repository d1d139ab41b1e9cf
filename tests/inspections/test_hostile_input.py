"""Hostile or absurd input gets a precise 4xx problem naming the field, on both databases; never a 500."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import assert_problem


def _refused(response, status, field):  # type: ignore[no-untyped-def]
    body = assert_problem(response, status)
    assert body["detail_zh"], body
    if status == 422:
        assert body["field"] == field, body
    else:
        assert field in body["detail"], body
    return body


def _answer(world, psi, value):  # type: ignore[no-untyped-def]
    return world.inspector.put(f"/api/inspections/{psi['id']}/checklist/{uuid.uuid4()}",
                               json={"item_key": "moisture", "result": "pass", "value": value})


@pytest.mark.parametrize("value", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1e999", "1E2", "1_000",
                                   "9" * 24, "0." + "1" * 22, "twelve", ""])
def test_a_checklist_value_must_be_a_plain_finite_number(world, psi, value) -> None:  # type: ignore[no-untyped-def]
    _refused(_answer(world, psi, value), 422, "value")


def test_checklist_values_that_are_numbers_still_grade(world, psi) -> None:  # type: ignore[no-untyped-def]
    assert _answer(world, psi, "11,5").json()["result"] == "pass"
    assert _answer(world, psi, "12.01").status_code == 409  # the item is answered already
    _refused(_answer(world, psi, "9" * 25), 400, "value")  # longer than the column: the schema refuses it


def _sheet(world, points):  # type: ignore[no-untyped-def]
    return world.merchandiser.put(f"/api/orders/{world.orders[0]['id']}/spec-sheet", json={"unit": "cm",
                                                                                           "points": points})


def _point(code="CH", **extra):  # type: ignore[no-untyped-def]
    return {"code": code, "name": "Chest", "tol_minus": "1", "specs": {"M": "50"}} | extra


@pytest.mark.parametrize(("points", "field"), [
    ([_point(tol_minus="-0.5")], "points[0].tol_minus"),
    ([_point(), _point("BL", tol_plus="-1")], "points[1].tol_plus"),
    ([_point(tol_minus="NaN")], "points[0].tol_minus"),
    ([_point(tol_plus="Infinity")], "points[0].tol_plus"),
    ([_point(specs={"M": "NaN"})], "points[0].specs.M"),
    ([_point(specs={"M": "1e999"})], "points[0].specs.M"),
    ([_point(specs={"M": "9" * 30})], "points[0].specs.M"),
    ([_point(specs={"M": "0.123456789"})], "points[0].specs.M"),
])
def test_a_spec_sheet_with_bad_numbers_is_refused_when_saved(world, points, field) -> None:  # type: ignore[no-untyped-def]
    _refused(_sheet(world, points), 422, field)
    assert_problem(world.merchandiser.get(f"/api/orders/{world.orders[0]['id']}/spec-sheet"), 404)


def test_absurd_readings_are_refused_not_stored(world, psi) -> None:  # type: ignore[no-untyped-def]
    assert _sheet(world, [_point()]).status_code == 201

    def measure(reading):  # type: ignore[no-untyped-def]
        return world.inspector.put(f"/api/inspections/{psi['id']}/measurements/{uuid.uuid4()}",
                                   json={"sample_unit": "u1", "size": "M", "point": "CH", "reading": reading})

    for reading in ["9" * 40, "0." + "3" * 30, "NaN", "Infinity"]:
        _refused(measure(reading), 422, "reading")
    assert measure("50.5").json()["within"] is True


def test_a_checklist_limit_must_be_a_number(world) -> None:  # type: ignore[no-untyped-def]
    item = {"key": "moisture", "label": "Moisture", "label_zh": "湿度", "kind": "value", "unit": "%"}
    body = {"name": "Hostile", "name_zh": "测试", "items": [{"key": "a", "label": "A", "label_zh": "甲"}, item]}
    for limit in ["abc", "NaN", "Infinity", "1e999", ""]:
        _refused(world.admin.put("/api/checklist-templates/hostile", json=body | {
            "items": [body["items"][0], item | {"limit": limit}]}), 422, "items[1].limit")
    _refused(world.admin.put("/api/checklist-templates/hostile", json=body | {
        "items": [body["items"][0], item | {"limit": "1" * 25}]}), 400, "limit")
    assert world.admin.put("/api/checklist-templates/hostile", json=body | {
        "items": [body["items"][0], item | {"limit": "12.5"}]}).status_code == 201


@pytest.mark.parametrize("number", [2**63, 2**31, 2**31 - 1, 1_000_001, 0, -1])
def test_a_carton_number_out_of_range_is_the_same_400_on_both_databases(world, psi, number) -> None:  # type: ignore[no-untyped-def]
    defect = world.inspector.put(f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}",
                                 json={"code": "W01", "severity": "major", "carton_number": number})
    _refused(defect, 400, "carton_number")
    submit = world.inspector.post(f"/api/inspections/{psi['id']}/submit", json={
        "version": psi["version"], "missing_cartons": [{"carton_number": number, "reason": "lost in transit"}]})
    _refused(submit, 400, "carton_number")


def test_a_carton_number_in_range_is_stored(world, psi) -> None:  # type: ignore[no-untyped-def]
    defect = world.inspector.put(f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}",
                                 json={"code": "W01", "severity": "major", "carton_number": 1_000_000})
    assert defect.status_code == 201 and defect.json()["carton_number"] == 1_000_000


@pytest.mark.parametrize("version", [2**63, 2**31])
def test_a_huge_version_is_a_400(world, psi, version) -> None:  # type: ignore[no-untyped-def]
    defect = world.inspector.put(f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}",
                                 json={"code": "W01", "severity": "major", "version": version})
    _refused(defect, 400, "version")


def test_the_openapi_schema_shows_the_bounds(world) -> None:  # type: ignore[no-untyped-def]
    schemas = world.admin.get("/schema/openapi.json").json()["components"]["schemas"]
    text = str({name: s for name, s in schemas.items() if "DefectPut" in name or "MissingCarton" in name})
    assert "'maximum': 1000000" in text and "'minimum': 1" in text, text


# --- every string bounded and without NUL, every integer within its column: the same 400 on both databases -------

NUL = "a\x00b"


def _cases(world, psi, make):  # type: ignore[no-untyped-def]
    """(actor, method, path, json body, the field the 400 must name) for one hostile value `make(field)`."""
    iid, order = psi["id"], world.orders[0]
    inspection = f"/api/inspections/{iid}"
    put = {"order_id": order["id"], "type": "pre_shipment", "version": psi["version"]}
    point = {"code": "CH", "name": "Chest", "tol_minus": "1", "specs": {"M": "50"}}
    item = {"key": "a", "label": "A", "label_zh": "甲", "kind": "value", "limit": "12", "unit": "%"}
    template = {"name": "Hostile", "name_zh": "测试", "items": [item]}
    code = {"category": "workmanship", "name_en": "Frayed", "name_zh": "磨损", "default_severity": "minor"}
    defect = {"code": "W01", "severity": "major"}
    measurement = {"sample_unit": "1", "size": "M", "point": "CH", "reading": "50"}
    answer = {"item_key": "moisture", "result": "pass", "value": "10"}
    i, s, a, m = world.inspector, world.supervisor, world.admin, world.merchandiser
    new = uuid.uuid4
    return [
        (s, "PUT", inspection, put | {"notes": make("notes")}, "notes"),
        (s, "PUT", inspection, put | {"aql_level": make("aql_level")}, "aql_level"),
        (s, "PUT", inspection, put | {"aql_major": make("aql_major")}, "aql_major"),
        *[(i, "PUT", f"{inspection}/defects/{new()}", defect | {f: make(f)}, f)
          for f in ("code", "sample_unit", "location", "note")],
        *[(i, "PUT", f"{inspection}/measurements/{new()}", measurement | {f: make(f)}, f)
          for f in ("sample_unit", "size", "point", "reading", "note")],
        *[(i, "PUT", f"{inspection}/checklist/{new()}", answer | {f: make(f)}, f)
          for f in ("item_key", "value", "note")],
        (i, "POST", f"{inspection}/signatures", {"role": "inspector", "name": make("name")}, "name"),
        (i, "POST", f"{inspection}/signatures", {"role": "inspector", "name": "Li", "image_png": make("image_png")},
         "image_png"),
        (i, "POST", f"{inspection}/submit", {"version": psi["version"], "missing_cartons": [
            {"carton_number": 1, "reason": make("reason")}]}, "reason"),
        (s, "POST", f"{inspection}/review", {"decision": "on_hold", "note": make("note")}, "note"),
        (i, "POST", f"{inspection}/abort", {"reason": make("reason")}, "reason"),
        (i, "POST", f"{inspection}/defects/{new()}/close", {"note": make("note")}, "note"),
        *[(m, "PUT", f"/api/orders/{order['id']}/spec-sheet", {"points": [point | {f: make(f)}]}, f)
          for f in ("code", "name", "name_zh", "tol_minus", "tol_plus")],
        (m, "PUT", f"/api/orders/{order['id']}/spec-sheet", {"points": [point | {"specs": {"M": make("specs")}}]},
         "specs"),
        *[(a, "PUT", "/api/checklist-templates/hostile", template | {f: make(f)}, f) for f in ("name", "name_zh")],
        *[(a, "PUT", "/api/checklist-templates/hostile", template | {"items": [item | {f: make(f)}]}, f)
          for f in ("label", "label_zh", "limit", "unit")],
        *[(a, "PUT", "/api/defect-codes/X01", code | {f: make(f)}, f) for f in ("category", "name_en", "name_zh")],
    ]


def _check(cases, status=400):  # type: ignore[no-untyped-def]
    wrong = []
    for actor, method, path, body, field in cases:
        response = actor.request(method, path, json=body)
        problem = response.json() if response.headers["content-type"].startswith("application/") else {}
        if response.status_code != status or field not in problem.get("detail", "") or not problem.get("detail_zh"):
            wrong.append((method, path, field, response.status_code, response.text[:200]))
    assert not wrong, "\n".join(map(str, wrong))


def test_a_nul_character_in_any_text_is_the_same_400_on_both_databases(world, psi) -> None:  # type: ignore[no-untyped-def]
    _check(_cases(world, psi, lambda _: NUL))
    after = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    assert after["version"] == psi["version"] and after["defects"] == after["measurements"] == []


# The longest column (or JSON limit) behind each field name; one character more is too long wherever it is used
# (a defect's code is String(20), a spec point's 40; a signature's name String(120), a spec point's 200).
LIMITS = {"notes": 4000, "note": 4000, "aql_level": 8, "aql_major": 8, "code": 40, "sample_unit": 40, "size": 40,
          "point": 40, "reading": 40, "location": 200, "item_key": 40, "value": 24, "name": 200, "name_zh": 200,
          "image_png": 400_000, "tol_minus": 40, "tol_plus": 40, "specs": 40, "label": 200, "label_zh": 200,
          "limit": 24, "unit": 40, "category": 30, "name_en": 200, "reason": 2000}


def test_a_string_longer_than_its_column_is_the_same_400_on_both_databases(world, psi) -> None:  # type: ignore[no-untyped-def]
    _check(_cases(world, psi, lambda field: "9" * (LIMITS[field] + 1)))
    # Just too long for the shorter columns, too.
    _check([(world.inspector, "PUT", f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}",
             {"code": "W" * 21, "severity": "major"}, "code"),
            (world.inspector, "POST", f"/api/inspections/{psi['id']}/signatures",
             {"role": "inspector", "name": "n" * 121}, "name"),
            (world.inspector, "POST", f"/api/inspections/{psi['id']}/submit", {
                "version": psi["version"], "missing_cartons": [{"carton_number": 1, "reason": "r" * 1001}]},
             "reason")])


def test_a_checklist_template_code_is_bounded_in_the_path(world) -> None:  # type: ignore[no-untyped-def]
    body = {"name": "Hostile", "name_zh": "测试", "items": [{"key": "a", "label": "A", "label_zh": "甲"}]}
    for code in ("t" * 41, "a%00b"):
        problem = assert_problem(world.admin.put(f"/api/checklist-templates/{code}", json=body), 400)
        assert "code" in problem["detail"] and problem["detail_zh"]
    assert world.admin.put(f"/api/checklist-templates/{'t' * 40}", json=body).status_code == 201


@pytest.mark.parametrize("number", [2**31, 2**63])
def test_an_integer_beyond_its_column_is_the_same_400_on_both_databases(world, psi, number) -> None:  # type: ignore[no-untyped-def]
    inspection = f"/api/inspections/{psi['id']}"
    put = {"order_id": world.orders[0]["id"], "type": "pre_shipment", "version": psi["version"]}
    template = {"name": "Hostile", "name_zh": "测试", "items": [{"key": "a", "label": "A", "label_zh": "甲"}]}
    code = {"category": "workmanship", "name_en": "Frayed", "name_zh": "磨损", "default_severity": "minor"}
    i, s, a = world.inspector, world.supervisor, world.admin
    _check([
        *[(s, "PUT", inspection, put | {f: number}, f) for f in ("version", "lot_size", "units_inspected",
                                                                 "percent_complete")],
        *[(i, "PUT", f"{inspection}/defects/{uuid.uuid4()}", {"code": "W01", "severity": "major", f: number}, f)
          for f in ("version", "count", "carton_number")],
        (i, "PUT", f"{inspection}/measurements/{uuid.uuid4()}", {"sample_unit": "1", "size": "M", "point": "CH",
                                                                 "reading": "50", "version": number}, "version"),
        (i, "PUT", f"{inspection}/checklist/{uuid.uuid4()}", {"item_key": "labels", "result": "pass",
                                                              "version": number}, "version"),
        (i, "POST", f"{inspection}/submit", {"version": number}, "version"),
        (world.merchandiser, "PUT", f"/api/orders/{world.orders[0]['id']}/spec-sheet",
         {"points": [], "version": number}, "version"),
        (a, "PUT", "/api/checklist-templates/garment-final", template | {"version": number}, "version"),
        (a, "PUT", "/api/defect-codes/W01", code | {"version": number}, "version"),
    ])
    problem = assert_problem(i.get(f"/api/aql/plan?lot_size={number}"), 400)
    assert "lot_size" in problem["detail"]


@pytest.mark.parametrize("value", ["2.500000000", "2.5000000", "02.500000"])
def test_an_aql_longer_than_its_column_is_refused_before_it_is_canonicalised(world, psi, value) -> None:  # type: ignore[no-untyped-def]
    current = world.supervisor.get(f"/api/inspections/{psi['id']}").json()
    body = {"order_id": world.orders[0]["id"], "type": "pre_shipment", "version": current["version"]}
    too_long = world.supervisor.put(f"/api/inspections/{psi['id']}", json=body | {"aql_major": value})
    if len(value) > 8:
        problem = _refused(too_long, 400, "aql_major")
        assert "length" in problem["detail"]
    else:  # as typed it fits; canonicalised it is stored as its series value, which fits String(8) too
        assert too_long.status_code == 200, too_long.text
        assert too_long.json()["aql_major"] == "2.5"


def test_aql_settings_are_stored_canonical(world, psi) -> None:  # type: ignore[no-untyped-def]
    body = {"order_id": world.orders[0]["id"], "type": "pre_shipment", "version": psi["version"]}
    stored = world.supervisor.put(f"/api/inspections/{psi['id']}", json=body | {
        "aql_level": " s-4 ", "aql_critical": "0.000", "aql_major": "2,50%", "aql_minor": "4.000000"})
    assert stored.status_code == 200, stored.text
    assert {k: stored.json()[k] for k in ("aql_level", "aql_critical", "aql_major", "aql_minor")} == {
        "aql_level": "S-4", "aql_critical": "0", "aql_major": "2.5", "aql_minor": "4.0"}
    _refused(world.supervisor.put(f"/api/inspections/{psi['id']}", json=body | {
        "version": stored.json()["version"], "aql_minor": "3.3"}), 422, "aql_minor")


@pytest.mark.parametrize("query", ["level=II%00", "aql=2.5%00", "mode=normal%00", "level=" + "I" * 21])
def test_aql_plan_query_text_is_bounded_and_without_nul(world, query) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.inspector.get(f"/api/aql/plan?lot_size=100&{query}"), 400)
    assert query.split("=")[0] in problem["detail"] and problem["detail_zh"]
