"""Reading typed measurements and grading them against spec and tolerance."""

from decimal import Decimal

import pytest

from api.inspections.grading import Grade, grade, parse_reading, unit_is_defective

READINGS = [
    ("15.5", "cm", "15.5"),
    ("15,5", "cm", "15.5"),
    ("15", "cm", "15"),
    (" 15.50 ", "cm", "15.50"),
    ("15.5 cm", "cm", "15.5"),
    ("15.5CM", "cm", "15.5"),
    ("-0.5", "cm", "-0.5"),
    ("+0.5", "cm", "0.5"),
    (".5", "cm", "0.5"),
    ("0,25", "mm", "0.25"),
    ("１５．５", "cm", "15.5"),  # full-width digits from a Chinese keyboard
    ("15.25", "in", "15.25"),
    ("15,25", "inch", "15.25"),
    ("15 3/8", "in", "15.375"),
    ("15-3/8", "in", "15.375"),
    ("15  3/8", "in", "15.375"),
    ('15 3/8"', "in", "15.375"),
    ("15 3/8 in", "inch", "15.375"),
    ("1/4", "in", "0.25"),
    ("-1/8", "in", "-0.125"),
    ("- 1/8", "in", "-0.125"),
    ("-15 1/2", "in", "-15.5"),
    ("15 1/32", "in", "15.03125"),
    ("3/64", "in", "0.046875"),
    ("9/8", "in", "1.125"),
    ("15⅜", "in", "15.375"),
    ("½", "in", "0.5"),
    ("15 ¼", "inches", "15.25"),
    ("0 1/2", "in", "0.5"),
]


@pytest.mark.parametrize(("text", "unit", "value"), READINGS)
def test_parse_reading(text, unit, value):
    assert parse_reading(text, unit) == Decimal(value)


def test_thirds_are_kept_as_exactly_as_decimal_allows():
    assert parse_reading("1/3", "in") == Decimal(1) / Decimal(3)


BAD_READINGS = [
    ("abc", "cm"),
    ("", "cm"),
    ("15 3/8", "cm"),  # fractions are for inches
    ("1/4", "mm"),
    ("1/0", "in"),
    ("15 9/8", "in"),  # the fraction of a mixed number must be below 1
    ("15.5.5", "cm"),
    ("15..5", "cm"),
    ("3/", "in"),
    ("/8", "in"),
    ("15 3/8 1/2", "in"),
    ("15.5 3/8", "in"),
    ("--1", "cm"),
    ("15 cm", "in"),
    ("15", "furlong"),
]


@pytest.mark.parametrize(("text", "unit"), BAD_READINGS)
def test_parse_reading_rejects_garbage(text, unit):
    with pytest.raises(ValueError) as caught:
        parse_reading(text, unit)
    assert str(caught.value)


def test_error_message_says_what_to_type():
    with pytest.raises(ValueError, match=r"15 3/8"):
        parse_reading("fifteen", "in")


# (reading, spec, tol−, tol+) → (deviation, within, direction). Edges are within.
GRADES = [
    ("50", "50", "1", "1", ("0", True, "ok")),
    ("51", "50", "1", "1", ("1", True, "ok")),
    ("49", "50", "1", "1", ("-1", True, "ok")),
    ("51.1", "50", "1", "1", ("1.1", False, "over")),
    ("48.9", "50", "1", "1", ("-1.1", False, "under")),
    ("49.5", "50", "0.5", "1", ("-0.5", True, "ok")),
    ("49.4", "50", "0.5", "1", ("-0.6", False, "under")),
    ("51", "50", "0.5", "1", ("1", True, "ok")),
    ("51.01", "50", "0.5", "1", ("1.01", False, "over")),
    ("50", "50", "0", "0", ("0", True, "ok")),
    ("50.01", "50", "0", "0", ("0.01", False, "over")),
    ("15.375", "15.5", "0.125", "0.125", ("-0.125", True, "ok")),  # 15 3/8 vs 15 1/2 ± 1/8
    ("15.3125", "15.5", "0.125", "0.125", ("-0.1875", False, "under")),
    (Decimal("70.1"), 70, 0.1, 0.1, ("0.1", True, "ok")),  # floats are taken as written
]


@pytest.mark.parametrize(("reading", "spec", "tol_minus", "tol_plus", "expected"), GRADES)
def test_grade(reading, spec, tol_minus, tol_plus, expected):
    deviation, within, direction = expected
    assert grade(reading, spec, tol_minus, tol_plus) == Grade(Decimal(deviation), within, direction)


@pytest.mark.parametrize("args", [
    ("50", "50", "-1", "1"), ("50", "50", "1", "-1"), ("x", "50", "1", "1"),
    (True, "50", "1", "1"), ("50", "nan", "1", "1"),
])
def test_grade_rejects_bad_numbers(args):
    with pytest.raises(ValueError):
        grade(*args)


def test_grade_a_typed_inch_reading():
    assert grade(parse_reading("15-3/8", "in"), "15.5", "0.125", "0.125").within


@pytest.mark.parametrize(("readings", "defective"), [
    ([], False),
    (["50"], False),
    (["50", "51", "49"], False),
    (["50", "51.5", "49"], True),
    (["47", "53", "50"], True),  # one unit, two points out: still one defect
])
def test_unit_is_defective(readings, defective):
    grades = [grade(r, "50", "1", "1") for r in readings]
    assert unit_is_defective(grades) is defective
