"""A plain number that is no valid GTIN is also tried as a GS1 element string; the valid reading wins."""

from __future__ import annotations

import datetime as dt

import pytest

from api.barcodes import gs1

TODAY = dt.date(2025, 6, 1)

# text, valid, [(ai, value)], error codes
CASES = [
    # a bare element string that happens to be 13 digits: (17) expiry + (10) batch
    ("1722123110123", True, [("17", "2022-12-31"), ("10", "123")], []),
    # 14 digits: (11) production date + (10) batch
    ("11250101101234", True, [("11", "2025-01-01"), ("10", "1234")], []),
    # 8 digits: (11) production date alone
    ("11250101", True, [("11", "2025-01-01")], []),
    # a valid reading that proves nothing (a free count, a free-text order number) does not beat the GTIN
    ("30123457", False, [("01", "00000030123457")], ["bad_check_digit"]),
    ("4006381333932", False, [("01", "04006381333932")], ["bad_check_digit"]),
    # a valid GTIN-13 stays a GTIN even if it might also be read as an element string
    ("4006381333931", True, [("01", "04006381333931")], []),
    # another batch, same date: still an element string
    ("1722123110124", True, [("17", "2022-12-31"), ("10", "124")], []),
    # a bad GTIN-13 whose element-string reading is invalid too (month 13) keeps the GTIN error
    ("1722133110123", False, [("01", "01722133110123")], ["bad_check_digit"]),
    # 18 digits are always an SSCC, never retried
    ("003456789012345671", False, [("00", "003456789012345671")], ["bad_check_digit"]),
]


@pytest.mark.parametrize(("text", "valid", "elements", "errors"), CASES, ids=[c[0] for c in CASES])
def test_plain_number_falls_back_to_an_element_string(text: str, valid: bool, elements: list, errors: list) -> None:
    result = gs1.parse(text, today=TODAY)
    assert result.valid is valid
    assert [(e.ai, e.value) for e in result.elements] == elements
    assert [e.code for e in result.errors] == errors


def test_a_gs1_symbology_identifier_still_reads_the_element_string_only() -> None:
    result = gs1.parse("]C11722123110123", today=TODAY)
    assert result.valid and result.hri == "(17)221231(10)123"


def test_the_api_answers_with_the_valid_reading(world) -> None:  # type: ignore[no-untyped-def]
    body = world.inspector.post("/api/barcodes/parse", json={"text": "1722123110123"}).json()
    assert body["valid"] is True
    assert [(e["ai"], e["value"]) for e in body["elements"]] == [("17", "2022-12-31"), ("10", "123")]
    assert body["errors"] == []
