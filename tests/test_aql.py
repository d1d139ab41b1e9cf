"""ISO 2859-1:1999 Table 1 and Tables 2-A/2-B/2-C, checked against the printed values.

The cases are in tests/vectors/aql_plans.json, shared with the phone app's tests.
"""

import dataclasses
import json
from decimal import Decimal

import pytest

from api import aql
from api.aql import Plan, PlanInputError, plan, plan_for_letter
from tests.vectors_loader import load_vectors, params

LETTERS = "ABCDEFGHJKLMNPQR"
VECTORS = load_vectors("aql_plans")
PLAN_FIELDS = [field.name for field in dataclasses.fields(Plan)]


@pytest.mark.parametrize("case", params(
    VECTORS["code_letters"], lambda c: f"{c['level']}-{c['lot_size']}"))
def test_code_letter(case):
    assert aql.code_letter(case["lot_size"], case["level"]) == case["code_letter"]


@pytest.mark.parametrize("case", params(VECTORS["table_1_rows"], lambda c: str(c["lot_size"])))
def test_table_1_row(case):
    letters = {level: aql.code_letter(case["lot_size"], level) for level in aql.LEVELS}
    assert letters == case["code_letters"]


def plan_id(case):
    return f"{case['lot_size']}-{case['level']}-{case['aql']}-{case['mode']}"


@pytest.mark.parametrize("case", params(VECTORS["plans"], plan_id))
def test_plans(case):
    found = plan(case["lot_size"], case["level"], case["aql"], case["mode"])
    assert dataclasses.asdict(found) == {name: case[name] for name in PLAN_FIELDS}


@pytest.mark.parametrize("case", params(
    VECTORS["letter_plans"], lambda c: f"{c['letter']}-{c['aql']}-{c['mode']}"))
def test_plan_for_letter(case):
    found = plan_for_letter(case["letter"], case["aql"], case["mode"])
    expected = tuple(case[name] for name in ("code_letter", "sample_size", "accept", "reject"))
    assert (found.code_letter, found.sample_size, found.accept, found.reject) == expected


@pytest.mark.parametrize("case", params([c for c in VECTORS["plans"] if c["aql"] == "0"], plan_id))
def test_zero_tolerance_uses_the_letters_own_sample_size(case):
    # The vectors spell AQL 0 one way; the API takes it in every spelling.
    for zero in (0, "0", Decimal("0.0"), 0.0):
        found = plan(case["lot_size"], case["level"], zero, case["mode"])
        assert (found.sample_size, found.accept, found.reject) == (case["sample_size"], 0, 1)
        assert found.code_letter == found.initial_letter


@pytest.mark.parametrize("mode", aql.MODES)
def test_every_letter_and_aql_resolves_to_a_plan_with_re_ac_plus_1(mode):
    for aql_value in aql.AQL_SERIES:
        sizes = []
        for letter in LETTERS:
            found = plan_for_letter(letter, aql_value, mode)
            assert found.reject == found.accept + 1
            sizes.append(found.sample_size)
        # Down a column the plan used never gets smaller, arrows or not.
        assert sizes == sorted(sizes), (mode, aql_value)


def test_series_and_constants():
    assert [str(v) for v in aql.AQL_SERIES] == [
        "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
        "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65", "100", "150", "250",
        "400", "650", "1000",
    ]
    assert aql.LEVELS == ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
    assert aql.MODES == ("normal", "tightened", "reduced")
    assert plan(1000) == Plan("J", 80, 5, 6, False, "J")


@pytest.mark.parametrize("case", params(VECTORS["tighter_aql"], lambda c: c["aql"]))
def test_tighter_aql(case):
    result = aql.tighter_aql(case["aql"])
    assert (None if result is None else str(result)) == case["tighter"]


@pytest.mark.parametrize("case", params(
    VECTORS["accept_at_tighter_aql"], lambda c: f"{c['letter']}-{c['aql']}"))
def test_accept_at_tighter_aql(case):
    assert aql.accept_at_tighter_aql(case["letter"], case["aql"]) == case["accept"]


@pytest.mark.parametrize(("level", "canonical"), [
    ("II", "II"), ("ii", "II"), (" iii ", "III"), ("I", "I"), ("S-1", "S-1"), ("s-2", "S-2"),
    ("S3", "S-3"), ("s 4", "S-4"), ("Ⅱ", "II"), ("Ｓ－１", "S-1"),
])
def test_level_spellings(level, canonical):
    assert aql.parse_level(level) == canonical
    assert aql.code_letter(1000, level) == aql.code_letter(1000, canonical)


@pytest.mark.parametrize(("value", "canonical"), [
    ("2.5", "2.5"), ("2.50", "2.5"), (2.5, "2.5"), (Decimal("2.5"), "2.5"), ("0.65", "0.65"),
    (".65", "0.65"), ("2,5", "2.5"), ("2.5%", "2.5"), (10, "10"), ("10.0", "10"),
    ("0.01", "0.010"), (0.1, "0.10"), (1, "1.0"), (" 4 ", "4.0"),
])
def test_aql_spellings(value, canonical):
    assert str(aql.parse_aql(value)) == canonical


def bad_input_id(case):
    return f"{case['param']}={json.dumps(case[case['param']], ensure_ascii=False)}"


# NaN has no JSON spelling, so that case lives here.
NAN_AQL = {"lot_size": 100, "level": "II", "aql": float("nan"), "mode": "normal", "param": "aql"}


@pytest.mark.parametrize("case", [
    *params(VECTORS["errors"], bad_input_id), pytest.param(NAN_AQL, id="aql=NaN"),
])
def test_bad_input_names_the_parameter(case):
    with pytest.raises(PlanInputError) as caught:
        plan(case["lot_size"], case["level"], case["aql"], case["mode"])
    assert isinstance(caught.value, ValueError)
    assert caught.value.param == case["param"]
    assert caught.value.message and str(caught.value) == caught.value.message


def test_lot_size_may_come_as_digits_and_mode_in_any_case():
    assert plan("1000", "ii", "2.50", " Tightened ") == plan(1000, "II", 2.5, "tightened")


def test_plan_for_letter_rejects_unknown_letters():
    for letter in ("I", "O", "S", "Z", "", "AB"):
        with pytest.raises(PlanInputError) as caught:
            plan_for_letter(letter, "2.5")
        assert caught.value.param == "letter"


def test_pure_module():
    import subprocess
    import sys

    code = (
        "import sys, api.aql, api.inspections.switching, api.inspections.grading, "
        "api.inspections.rules, api.inspections.carton_draw; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('litestar', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
