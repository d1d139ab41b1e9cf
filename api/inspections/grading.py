"""Measurement readings: reading what the inspector typed, and grading it against the spec."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

__all__ = ["Grade", "bounded", "grade", "parse_plain_number", "parse_reading", "unit_is_defective"]

INCH_UNITS = frozenset({"in", "inch", "inches", '"'})
METRIC_UNITS = frozenset({"mm", "cm", "m"})

_DECIMAL = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")
# Whole inches and a fraction, joined by spaces or a hyphen ("15 3/8", "15-3/8"), or a fraction.
_FRACTION = re.compile(r"(?P<sign>[+-]?)\s*(?:(?P<whole>\d+)(?:\s+|-))?(?P<num>\d+)/(?P<den>\d+)")


def _normalise(text: str) -> str:
    # Vulgar fractions first: NFKC would turn "15½" into "151⁄2", which reads as 151/2.
    chars = []
    for ch in text:
        if unicodedata.category(ch) == "No" and 0 < unicodedata.numeric(ch, 0) < 1:
            value = Fraction(unicodedata.numeric(ch)).limit_denominator(64)
            chars.append(f" {value.numerator}/{value.denominator}")
        else:
            chars.append(ch)
    text = unicodedata.normalize("NFKC", "".join(chars))
    return text.replace("⁄", "/").replace("−", "-").strip()


def parse_reading(text: str, unit: str) -> Decimal:
    """A typed measurement as a Decimal in ``unit``.

    Decimals take a point or a comma ("15.5", "15,5"). Inch readings may also be fractions:
    "15 3/8", "15-3/8", "3/8", "-1/8", "15⅜"; any non-zero denominator is accepted, but the
    fraction of a mixed number must be proper. A trailing unit ("15.5 cm", '15 3/8"') is allowed.
    """
    unit_key = str(unit).strip().lower()
    inches = unit_key in INCH_UNITS
    if not inches and unit_key not in METRIC_UNITS:
        raise ValueError(f"Unknown unit {unit!r}; use cm, mm, m or in.")
    raw = _normalise(str(text))
    body = raw
    for suffix in sorted(INCH_UNITS if inches else {unit_key}, key=len, reverse=True):
        if body.lower().endswith(suffix):
            body = body[: -len(suffix)].strip()
            break
    if _DECIMAL.fullmatch(body):
        return Decimal(body.replace(",", "."))
    match = _FRACTION.fullmatch(body) if inches else None
    if match is None:
        hint = "15.5, 15,5, 15 3/8 or 3/8" if inches else "15.5 or 15,5"
        raise ValueError(f"Cannot read {text!r} as a measurement in {unit}; write it like {hint}.")
    num, den = int(match["num"]), int(match["den"])
    if den == 0:
        raise ValueError(f"Cannot read {text!r}: the fraction has a zero denominator.")
    if match["whole"] is not None and num >= den:
        raise ValueError(f"Cannot read {text!r}: in a mixed number the fraction must be below 1.")
    magnitude = Decimal(int(match["whole"] or 0)) + Decimal(num) / Decimal(den)
    return -magnitude if match["sign"] == "-" else magnitude


# A stored number stays short: below a million, to at most 8 places (1/64 inch is 0.015625), so the decimal text
# of a reading, a spec and their difference fits the 24-character columns.
MAX_MAGNITUDE = Decimal(1_000_000)
MAX_PLACES = 8


def bounded(value: Decimal, text: object) -> Decimal:
    """``value`` if it is finite, below a million and has at most 8 decimal places; else a ValueError."""
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number.")
    if abs(value) >= MAX_MAGNITUDE:
        raise ValueError(f"{text!r} is too large; numbers must be below {MAX_MAGNITUDE:,}.")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise ValueError(f"{text!r} is too precise; use at most {MAX_PLACES} decimal places.")
    return value


def parse_plain_number(text: object) -> Decimal:
    """A plain decimal as typed ("12", "12.5", "12,5"): no exponent, NaN or Infinity; bounded like a reading."""
    body = str(text).strip()
    if not _DECIMAL.fullmatch(body):
        raise ValueError(f"{text!r} is not a plain number; write it like 12 or 12.5.")
    return bounded(Decimal(body.replace(",", ".")), text)


@dataclass(frozen=True)
class Grade:
    deviation: Decimal  # reading − spec
    within: bool
    direction: str  # "ok", "over" or "under"


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    try:
        text = repr(value) if isinstance(value, float) else value  # repr: 0.1 stays 0.1
        number = Decimal(text)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return number


def grade(reading: object, spec: object, tol_minus: object, tol_plus: object) -> Grade:
    """Grade a reading against spec −tol_minus / +tol_plus; the edges are within tolerance.

    Both tolerances are positive amounts (a "−0.5" tolerance is given as 0.5).
    """
    deviation = _decimal(reading, "reading") - _decimal(spec, "spec")
    minus, plus = _decimal(tol_minus, "tol_minus"), _decimal(tol_plus, "tol_plus")
    if minus < 0 or plus < 0:
        raise ValueError("Tolerances are positive amounts; give a minus tolerance of 0.5 as 0.5.")
    if deviation > plus:
        return Grade(deviation, False, "over")
    if deviation < -minus:
        return Grade(deviation, False, "under")
    return Grade(deviation, True, "ok")


def unit_is_defective(grades: Iterable[Grade]) -> bool:
    """A sample unit with any point out of tolerance is one measurement defect, however many."""
    return any(not g.within for g in grades)
