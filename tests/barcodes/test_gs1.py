"""GS1 check digits and element strings, table by table (values from the GS1 General
Specifications and real, published GTINs/SSCCs)."""

from __future__ import annotations

import datetime as dt

import pytest

from api.barcodes import gs1
from api.barcodes.gs1 import GS
from tests.vectors_loader import load_vectors, params

TODAY = dt.date(2025, 6, 1)


def parse(text: str) -> gs1.ParseResult:
    return gs1.parse(text, today=TODAY)


def codes(result: gs1.ParseResult) -> list[str]:
    return [e.code for e in result.errors]


# --- check digits (cases in tests/vectors/gs1_check_digits.json, shared with the phone app) ---

CHECK_DIGITS = load_vectors("gs1_check_digits")


def code_id(case: dict) -> str:
    return repr(case["code"])


@pytest.mark.parametrize("case", params(CHECK_DIGITS["check_digits"], lambda c: c["body"]))
def test_check_digit(case: dict) -> None:
    assert gs1.check_digit(case["body"]) == case["check_digit"]
    assert gs1.check_digit(case["body"]) == _reference_check_digit(case["body"])


def _reference_check_digit(body: str) -> str:
    """Straight from the GS1 spec: weights 3 and 1 alternate from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@pytest.mark.parametrize("case", params(CHECK_DIGITS["check_digit_errors"], lambda c: repr(c["body"])))
def test_check_digit_rejects_non_digits(case: dict) -> None:
    with pytest.raises(ValueError):
        gs1.check_digit(case["body"])


@pytest.mark.parametrize("case", params(CHECK_DIGITS["valid_check_digit"], code_id))
def test_has_valid_check_digit(case: dict) -> None:
    assert gs1.has_valid_check_digit(case["code"]) is case["valid"]


@pytest.mark.parametrize("case", params(CHECK_DIGITS["gtin_or_sscc"], code_id))
def test_is_valid_gtin_and_sscc(case: dict) -> None:
    assert gs1.is_valid_gtin(case["code"]) is case["gtin"]
    assert gs1.is_valid_sscc(case["code"]) is case["sscc"]


@pytest.mark.parametrize("case", params(CHECK_DIGITS["normalize_gtin"], code_id))
def test_normalize_gtin(case: dict) -> None:
    assert gs1.normalize_gtin(case["code"]) == case["gtin_14"]


@pytest.mark.parametrize("case", params(CHECK_DIGITS["normalize_gtin_errors"], code_id))
def test_normalize_gtin_rejects(case: dict) -> None:
    with pytest.raises(ValueError):
        gs1.normalize_gtin(case["code"])


# --- element strings: valid ---------------------------------------------------------------

VALID = [
    # (input, symbology identifier, [(ai, value, unit)])
    ("(00)350123451234567894", None, [("00", "350123451234567894", None)]),
    ("]C1(00)350123451234567894(37)12", "]C1", [("00", "350123451234567894", None), ("37", 12, None)]),
    ("]C100350123451234567894", "]C1", [("00", "350123451234567894", None)]),
    ("00350123451234567894", None, [("00", "350123451234567894", None)]),  # 20 digits: (00)+SSCC
    (
        "]d2010950110153000317251231" + "10AB12" + GS + "21XYZ123",
        "]d2",
        [("01", "09501101530003", None), ("17", "2025-12-31", None), ("10", "AB12", None), ("21", "XYZ123", None)],
    ),
    (
        "]Q3" + "0109501101530003" + "3103001250" + "15260200",
        "]Q3",
        [("01", "09501101530003", None), ("3103", "1.250", "kg"), ("15", "2026-02-28", None)],
    ),
    ("]e00109501101530003", "]e0", [("01", "09501101530003", None)]),
    # HRI with spaces between groups, as people type it
    ("(02) 09501101530003 (37) 24 (10) LOT-7", None,
     [("02", "09501101530003", None), ("37", 24, None), ("10", "LOT-7", None)]),
    # FNC1 in first position transmitted as GS, and a separator after a fixed field (tolerated)
    (GS + "0109501101530003" + GS + "10A1", None, [("01", "09501101530003", None), ("10", "A1", None)]),
    # weights: 310n kg, 320n lb, 330n gross kg, 3300 with no decimals
    ("(3102)001250", None, [("3102", "12.50", "kg")]),
    ("(3205)012345", None, [("3205", "0.12345", "lb")]),
    ("(3301)000987", None, [("3301", "98.7", "kg")]),
    ("(3300)000042", None, [("3300", "42", "kg")]),
    ("(3363)001500", None, [("3363", "1.500", "m3")]),
    # counts
    ("(30)00000012", None, [("30", 12, None)]),
    ("]C1" + "0209501101530003" + "3712" + GS + "400PO-2025-0042", "]C1",
     [("02", "09501101530003", None), ("37", 12, None), ("400", "PO-2025-0042", None)]),
    # locations (GLN, check digit), postcodes, PO, route, GSIN
    ("(410)9501101000001", None, [("410", "9501101000001", None)]),
    ("(414)9501101000001(415)9501101000001", None, [("414", "9501101000001", None), ("415", "9501101000001", None)]),
    ("(420)10115", None, [("420", "10115", None)]),
    ("(421)276D-10115", None, [("421", "276D-10115", None)]),
    ("(401)9501101ABC123", None, [("401", "9501101ABC123", None)]),
    ("(402)95011010000000001", None, [("402", "95011010000000001", None)]),
    ("(403)ROUTE-7", None, [("403", "ROUTE-7", None)]),
    ("(8005)000199", None, [("8005", "000199", None)]),
    ("(3922)1999", None, [("3922", "19.99", None)]),
    ("]C18101054321120021123456", "]C1", [("8101", "0543211200", None), ("21", "123456", None)]),
    ("(20)01(21)ABC(22)CPV-1", None, [("20", "01", None), ("21", "ABC", None), ("22", "CPV-1", None)]),
    ("(11)250101(12)250102(13)250103(16)250104", None,
     [("11", "2025-01-01", None), ("12", "2025-01-02", None), ("13", "2025-01-03", None), ("16", "2025-01-04", None)]),
]


@pytest.mark.parametrize(("text", "sym", "elements"), VALID)
def test_parse_valid(text: str, sym: str | None, elements: list[tuple]) -> None:
    r = parse(text)
    assert r.errors == []
    assert r.valid
    assert r.symbology_identifier == sym
    assert [(e.ai, e.value, e.unit) for e in r.elements] == elements


@pytest.mark.parametrize(
    ("raw", "hri"),
    [
        ("0109501101530003" + "17251231" + "10AB12" + GS + "21XYZ", "(01)09501101530003(17)251231(10)AB12(21)XYZ"),
        ("00350123451234567894", "(00)350123451234567894"),
    ],
)
def test_raw_and_hri_forms_agree(raw: str, hri: str) -> None:
    a, b = parse(raw), parse(hri)
    assert a.valid and b.valid
    assert a.elements == b.elements
    assert a.hri == hri


# --- plain numbers (EAN/UPC/ITF-14 and bare SSCCs) ------------------------------------------

@pytest.mark.parametrize(
    ("text", "ai", "value", "valid"),
    [
        ("96385074", "01", "00000096385074", True),  # EAN-8
        ("036000291452", "01", "00036000291452", True),  # UPC-A
        ("4006381333931", "01", "04006381333931", True),  # EAN-13
        ("]E04006381333931", "01", "04006381333931", True),
        ("15012345678907", "01", "15012345678907", True),  # ITF-14
        ("]I115012345678907", "01", "15012345678907", True),
        ("4006381333932", "01", "04006381333932", False),
        ("350123451234567894", "00", "350123451234567894", True),  # bare SSCC
        ("350123451234567890", "00", "350123451234567890", False),
    ],
)
def test_plain_numbers(text: str, ai: str, value: str, valid: bool) -> None:
    r = parse(text)
    assert [(e.ai, e.name, e.value) for e in r.elements] == [(ai, "GTIN" if ai == "01" else "SSCC", value)]
    assert r.valid is valid
    assert codes(r) == ([] if valid else ["bad_check_digit"])


def test_gs1_symbology_identifier_forces_element_string() -> None:
    # 16 digits under ]C1 are (01)+GTIN, not a plain number.
    r = parse("]C10109501101530003")
    assert [(e.ai, e.value) for e in r.elements] == [("01", "09501101530003")]
    # and 14 digits under ]C1 are an element string too: (17)+date+(10)
    r = parse("]C11725123110ABCD")
    assert [(e.ai, e.value) for e in r.elements] == [("17", "2025-12-31"), ("10", "ABCD")]


# --- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("yymmdd", "iso"),
    [
        ("251231", "2025-12-31"),
        ("250200", "2025-02-28"),  # DD=00: last day of the month
        ("240200", "2024-02-29"),  # leap year
        ("241100", "2024-11-30"),
        ("250100", "2025-01-31"),
        ("000229", "2000-02-29"),
        ("750101", "2075-01-01"),  # 50 years ahead: still this century
        ("760101", "1976-01-01"),  # 51 years ahead: previous century (sliding window)
        ("991231", "1999-12-31"),
    ],
)
def test_dates(yymmdd: str, iso: str) -> None:
    r = parse(f"(17){yymmdd}")
    assert r.valid, r.errors
    assert r.elements[0].value == iso
    assert r.elements[0].raw == yymmdd


def test_century_window_moves_with_today() -> None:
    assert gs1.parse("(11)010101", today=dt.date(2090, 1, 1)).elements[0].value == "2101-01-01"
    assert gs1.parse("(11)410101", today=dt.date(2090, 1, 1)).elements[0].value == "2041-01-01"
    # exactly 50 years behind is already the next century (GS1 General Specifications 7.12)
    assert gs1.parse("(11)400101", today=dt.date(2090, 1, 1)).elements[0].value == "2140-01-01"


def test_datetime_7003() -> None:
    assert parse("(7003)2512312359").elements[0].value == "2025-12-31T23:59"
    assert codes(parse("(7003)2512312460")) == ["invalid_date"]


# --- errors: every kind, each with a position and both languages -----------------------------

ERRORS = [
    # (input, [codes], ai of the first error, position of the first error)
    ("", ["empty"], None, None),
    ("]C1", ["empty"], None, None),
    ("(99)A(9999)12", ["unknown_ai"], None, 6),
    ("2312", ["unknown_ai"], None, 0),
    ("]C1" + "0109501101530003" + "2312", ["unknown_ai"], None, 19),
    ("(01)0950110153000", ["too_short"], "01", 4),
    ("]C1" + "01095011015300", ["too_short"], "01", 5),
    ("(10)" + "A" * 21, ["too_long"], "10", 4),
    ("(01)095011015300033", ["too_long"], "01", 4),
    ("]C1" + "10" + "A" * 25, ["missing_separator"], "10", 25),
    ("]C1" + "21" + "S" * 20 + "17251231", ["missing_separator"], "21", 25),
    ("(01)09501101530003(17", ["missing_separator"], None, 18),
    ("(01 09501101530003", ["missing_separator"], None, 0),
    ("(01)09501101530004", ["bad_check_digit"], "01", 17),
    ("(00)350123451234567895", ["bad_check_digit"], "00", 21),
    ("(02)09501101530004", ["bad_check_digit"], "02", 17),
    ("(410)9501101000002", ["bad_check_digit"], "410", 17),
    ("(17)251332", ["invalid_date"], "17", 4),
    ("(11)250230", ["invalid_date"], "11", 4),
    ("(15)251300", ["invalid_date"], "15", 4),
    ("(30)12AB", ["not_numeric"], "30", 4),
    ("(3103)00125A", ["not_numeric"], "3103", 6),
    ("(01)0950110153000X", ["not_numeric"], "01", 4),
    ("(421)ABCD1234", ["not_numeric"], "421", 5),
    ("(10)AB CD", ["invalid_character"], "10", 6),
    ("(10)LOT#1", ["invalid_character"], "10", 7),
    ("(10)A(10)B", ["duplicate_ai"], "10", None),
]


@pytest.mark.parametrize(("text", "expected", "ai", "position"), ERRORS)
def test_errors(text: str, expected: list[str], ai: str | None, position: int | None) -> None:
    r = parse(text)
    assert not r.valid
    assert codes(r) == expected
    first = r.errors[0]
    assert first.ai == ai
    assert first.position == position
    assert first.message and first.message_zh
    assert first.message != first.message_zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in first.message_zh), first.message_zh


def test_every_error_code_is_tested() -> None:
    tested = {c for _, cs, _, _ in ERRORS for c in cs} | {"bad_check_digit"}
    assert tested == set(gs1.ERROR_CODES)


@pytest.mark.parametrize(
    "junk",
    ["hello world", "((((", "))))", "(", ")", "]", "]C", GS * 5, "(01)", "()", "(01)()", "\x00\x01",
     "0" * 200, "(" * 50 + ")" * 50, "]Q3" + GS, "(3106)000001", "12345", "ÄÖÜ", "(10)\u00e9"],
)
def test_never_raises(junk: str) -> None:
    r = parse(junk)
    assert isinstance(r.valid, bool)
    assert isinstance(r.to_dict(), dict)
    if not r.valid:
        assert r.errors or not r.elements


def test_symbology_identifier_argument() -> None:
    r = gs1.parse("1725123110ABCD", symbology_identifier="]C1", today=TODAY)
    assert r.symbology_identifier == "]C1"
    assert [(e.ai, e.value) for e in r.elements] == [("17", "2025-12-31"), ("10", "ABCD")]
    bad = gs1.parse("0109501101530004", symbology_identifier="]d2")
    assert bad.errors[0].position == 15  # a position in the text given, not counting "]d2"


def test_unknown_decimal_position_is_unknown_ai() -> None:
    # GS1 defines decimal positions 0..5 only: 3106 is no AI
    assert codes(parse("(3106)000001")) == ["unknown_ai"]


def test_element_kept_when_its_value_is_wrong() -> None:
    r = parse("(01)09501101530004(10)ABC")
    assert [e.ai for e in r.elements] == ["01", "10"]
    assert codes(r) == ["bad_check_digit"]


# --- to_dict ---------------------------------------------------------------------------------

def test_to_dict_shape() -> None:
    d = parse("]C1(02)09501101530003(37)12(3103)001250(17)251399").to_dict()
    assert d["valid"] is False
    assert d["symbology_identifier"] == "]C1"
    assert d["elements"][0] == {"ai": "02", "name": "CONTENT", "value": "09501101530003",
                                "raw": "09501101530003", "unit": None}
    assert d["elements"][1]["value"] == 12
    assert d["elements"][2] == {"ai": "3103", "name": "NET WEIGHT (kg)", "value": "1.250", "raw": "001250", "unit": "kg"}
    [err] = d["errors"]
    assert set(err) == {"code", "message", "message_zh", "ai", "position"}
    assert err["code"] == "invalid_date" and err["ai"] == "17"


def test_ai_table_covers_the_common_ais() -> None:
    needed = ["00", "01", "02", "10", "11", "12", "13", "15", "16", "17", "20", "21", "22", "30", "37",
              "400", "401", "402", "403", "410", "411", "412", "413", "414", "415", "420", "421", "8005"]
    needed += [f"{p}{n}" for p in ("310", "320", "330") for n in range(6)]
    missing = [ai for ai in needed if ai not in gs1.AI_TABLE]
    assert missing == []
    assert gs1.AI_TABLE["00"].length == 18 and gs1.AI_TABLE["10"].max_length == 20
    assert gs1.AI_TABLE["3103"].unit == "kg" and gs1.AI_TABLE["3205"].unit == "lb"
