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
