"""Reading typed measurements and grading them against spec and tolerance.

The cases are in tests/vectors/grading.json, shared with the phone app's tests.
"""

from decimal import Decimal

import pytest

from api.inspections.grading import Grade, grade, parse_reading, unit_is_defective
from tests.vectors_loader import load_vectors, params

VECTORS = load_vectors("grading")


def reading_id(case):
    return f"{case['unit']}:{case['text']!r}"


def grade_id(case):
    return "/".join(str(case[name]) for name in ("reading", "spec", "tol_minus", "tol_plus"))


def grade_args(case):
    return case["reading"], case["spec"], case["tol_minus"], case["tol_plus"]


@pytest.mark.parametrize("case", params(VECTORS["readings"], reading_id))
def test_parse_reading(case):
    assert parse_reading(case["text"], case["unit"]) == Decimal(case["value"])


def test_thirds_are_kept_as_exactly_as_decimal_allows():
    assert parse_reading("1/3", "in") == Decimal(1) / Decimal(3)


@pytest.mark.parametrize("case", params(VECTORS["reading_errors"], reading_id))
def test_parse_reading_rejects_garbage(case):
    with pytest.raises(ValueError) as caught:
        parse_reading(case["text"], case["unit"])
    assert str(caught.value)


def test_error_message_says_what_to_type():
    with pytest.raises(ValueError, match=r"15 3/8"):
        parse_reading("fifteen", "in")


@pytest.mark.parametrize("case", params(VECTORS["grades"], grade_id))
def test_grade(case):
    expected = Grade(Decimal(case["deviation"]), case["within"], case["direction"])
    assert grade(*grade_args(case)) == expected


@pytest.mark.parametrize("case", params(VECTORS["grade_errors"], grade_id))
def test_grade_rejects_bad_numbers(case):
    with pytest.raises(ValueError):
        grade(*grade_args(case))


def test_grade_a_typed_inch_reading():
    assert grade(parse_reading("15-3/8", "in"), "15.5", "0.125", "0.125").within


@pytest.mark.parametrize("case", params(
    VECTORS["defective_units"], lambda c: ",".join(c["readings"]) or "no-readings"))
def test_unit_is_defective(case):
    grades = [grade(r, case["spec"], case["tol_minus"], case["tol_plus"]) for r in case["readings"]]
    assert unit_is_defective(grades) is case["defective"]
