"""ISO 2859-1:1999 Table 1 and Tables 2-A/2-B/2-C, checked against the printed values."""

from decimal import Decimal

import pytest

from api.inspections import aql
from api.inspections.aql import Plan, PlanInputError, plan, plan_for_letter

LETTERS = "ABCDEFGHJKLMNPQR"

# Table 1, general level II: every lot-size row at both of its ends.
LEVEL_II_BOUNDARIES = [
    (2, "A"), (8, "A"), (9, "B"), (15, "B"), (16, "C"), (25, "C"), (26, "D"), (50, "D"),
    (51, "E"), (90, "E"), (91, "F"), (150, "F"), (151, "G"), (280, "G"), (281, "H"), (500, "H"),
    (501, "J"), (1200, "J"), (1201, "K"), (3200, "K"), (3201, "L"), (10000, "L"),
    (10001, "M"), (35000, "M"), (35001, "N"), (150000, "N"), (150001, "P"), (500000, "P"),
    (500001, "Q"), (10**9, "Q"),
]


@pytest.mark.parametrize(("lot_size", "letter"), LEVEL_II_BOUNDARIES)
def test_table_1_level_ii_boundaries(lot_size, letter):
    assert aql.code_letter(lot_size, "II") == letter


# Table 1, whole rows: lot size → letters for S-1, S-2, S-3, S-4, I, II, III.
TABLE_1_ROWS = [
    (5, "AAAAAAB"), (12, "AAAAABC"), (20, "AABBBCD"), (40, "ABBCCDE"), (70, "BBCCCEF"),
    (120, "BBCDDFG"), (200, "BCDEEGH"), (400, "BCDEFHJ"), (1000, "CCEFGJK"),
    (2000, "CDEGHKL"), (5000, "CDFGJLM"), (20000, "CDFHKMN"), (100000, "DEGJLNP"),
    (300000, "DEGJMPQ"), (600000, "DEHKNQR"),
]


@pytest.mark.parametrize(("lot_size", "letters"), TABLE_1_ROWS)
def test_table_1_all_levels(lot_size, letters):
    assert "".join(aql.code_letter(lot_size, level) for level in aql.LEVELS) == letters


# Special levels at row boundaries, where their letters change.
SPECIAL_BOUNDARIES = [
    ("S-1", 50, "A"), ("S-1", 51, "B"), ("S-1", 500, "B"), ("S-1", 501, "C"),
    ("S-1", 35000, "C"), ("S-1", 35001, "D"), ("S-1", 10**7, "D"),
    ("S-2", 25, "A"), ("S-2", 26, "B"), ("S-2", 150, "B"), ("S-2", 151, "C"),
    ("S-2", 1200, "C"), ("S-2", 1201, "D"), ("S-2", 35001, "E"),
    ("S-3", 15, "A"), ("S-3", 16, "B"), ("S-3", 50, "B"), ("S-3", 51, "C"), ("S-3", 151, "D"),
    ("S-3", 501, "E"), ("S-3", 3201, "F"), ("S-3", 35001, "G"), ("S-3", 500000, "G"),
    ("S-3", 500001, "H"),
    ("S-4", 16, "B"), ("S-4", 26, "C"), ("S-4", 91, "D"), ("S-4", 151, "E"), ("S-4", 501, "F"),
    ("S-4", 1201, "G"), ("S-4", 10001, "H"), ("S-4", 35001, "J"), ("S-4", 500001, "K"),
    ("I", 15, "A"), ("I", 16, "B"), ("I", 281, "F"), ("I", 500001, "N"),
    ("III", 8, "B"), ("III", 9, "C"), ("III", 500001, "R"),
]


@pytest.mark.parametrize(("level", "lot_size", "letter"), SPECIAL_BOUNDARIES)
def test_table_1_other_levels(level, lot_size, letter):
    assert aql.code_letter(lot_size, level) == letter


# (lot size, level, AQL, mode) → (letter used, n, Ac, Re). Arrows noted as "X↓Y" / "X↑Y".
PLANS = [
    # Table 2-A, normal
    (1000, "II", "0.65", "normal", ("J", 80, 1, 2)),
    (1000, "II", "1.0", "normal", ("J", 80, 2, 3)),
    (1000, "II", "1.5", "normal", ("J", 80, 3, 4)),
    (1000, "II", "2.5", "normal", ("J", 80, 5, 6)),
    (1000, "II", "4.0", "normal", ("J", 80, 7, 8)),
    (1000, "II", "6.5", "normal", ("J", 80, 10, 11)),
    (1000, "II", "10", "normal", ("J", 80, 14, 15)),
    (1000, "II", "0.40", "normal", ("K", 125, 1, 2)),  # J↓K
    (1000, "II", "0.25", "normal", ("H", 50, 0, 1)),  # J↑H
    (1000, "II", "0.15", "normal", ("J", 80, 0, 1)),
    (2000, "II", "2.5", "normal", ("K", 125, 7, 8)),
    (2000, "II", "4.0", "normal", ("K", 125, 10, 11)),
    (5000, "II", "2.5", "normal", ("L", 200, 10, 11)),
    (5000, "II", "4.0", "normal", ("L", 200, 14, 15)),
    (5000, "II", "0.065", "normal", ("L", 200, 0, 1)),
    (5000, "II", "0.10", "normal", ("K", 125, 0, 1)),  # L↑K
    (5000, "II", "0.15", "normal", ("M", 315, 1, 2)),  # L↓M
    (5000, "II", "10", "normal", ("K", 125, 21, 22)),  # L↑K
    (40, "II", "2.5", "normal", ("C", 5, 0, 1)),  # D↑C
    (40, "II", "4.0", "normal", ("E", 13, 1, 2)),  # D↓E
    (40, "II", "6.5", "normal", ("D", 8, 1, 2)),
    (60, "II", "2.5", "normal", ("F", 20, 1, 2)),  # E↓F
    (60, "II", "1.5", "normal", ("D", 8, 0, 1)),  # E↑D
    (120, "II", "2.5", "normal", ("F", 20, 1, 2)),
    (120, "II", "4.0", "normal", ("F", 20, 2, 3)),
    (200, "II", "2.5", "normal", ("G", 32, 2, 3)),
    (400, "II", "2.5", "normal", ("H", 50, 3, 4)),
    (400, "II", "4.0", "normal", ("H", 50, 5, 6)),
    (20000, "II", "2.5", "normal", ("M", 315, 14, 15)),
    (20000, "II", "6.5", "normal", ("L", 200, 21, 22)),  # M↑L
    (100000, "II", "2.5", "normal", ("N", 500, 21, 22)),
    (100000, "II", "4.0", "normal", ("M", 315, 21, 22)),  # N↑M
    (600000, "III", "0.010", "normal", ("Q", 1250, 0, 1)),  # R↑Q
    (600000, "III", "0.015", "normal", ("P", 800, 0, 1)),  # R↑Q↑P
    (600000, "III", "0.025", "normal", ("R", 2000, 1, 2)),
    (600000, "III", "0.65", "normal", ("R", 2000, 21, 22)),
    (600000, "III", "1.0", "normal", ("Q", 1250, 21, 22)),  # R↑Q
    (2000, "S-4", "1.0", "normal", ("H", 50, 1, 2)),  # G↓H
    (1000, "S-3", "1.0", "normal", ("E", 13, 0, 1)),
    (1000, "S-2", "4.0", "normal", ("B", 3, 0, 1)),  # C↑B
    # Table 2-B, tightened
    (1000, "II", "2.5", "tightened", ("J", 80, 3, 4)),
    (1000, "II", "4.0", "tightened", ("J", 80, 5, 6)),
    (1000, "II", "1.0", "tightened", ("J", 80, 1, 2)),
    (1000, "II", "0.65", "tightened", ("K", 125, 1, 2)),  # J↓K
    (1000, "II", "0.40", "tightened", ("L", 200, 1, 2)),  # J↓K↓L
    (1000, "II", "0.25", "tightened", ("J", 80, 0, 1)),
    (1000, "II", "6.5", "tightened", ("J", 80, 8, 9)),
    (1000, "II", "10", "tightened", ("J", 80, 12, 13)),
    (5000, "II", "2.5", "tightened", ("L", 200, 8, 9)),
    (5000, "II", "6.5", "tightened", ("L", 200, 18, 19)),
    (5000, "II", "10", "tightened", ("K", 125, 18, 19)),  # L↑K
    (120, "II", "2.5", "tightened", ("G", 32, 1, 2)),  # F↓G
    (120, "II", "1.0", "tightened", ("F", 20, 0, 1)),
    (40, "II", "6.5", "tightened", ("E", 13, 1, 2)),  # D↓E
    (600000, "III", "0.010", "tightened", ("R", 2000, 0, 1)),
    (600000, "III", "0.015", "tightened", ("Q", 1250, 0, 1)),  # R↑Q
    (600000, "III", "0.025", "tightened", ("S", 3150, 1, 2)),  # R↓S
    (300000, "III", "0.025", "tightened", ("S", 3150, 1, 2)),  # Q↓R↓S
    # Table 2-C, reduced (own sample sizes: K is 50)
    (2000, "II", "1.0", "reduced", ("K", 50, 2, 3)),
    (1000, "II", "2.5", "reduced", ("J", 32, 3, 4)),
    (1000, "II", "4.0", "reduced", ("J", 32, 5, 6)),
    (1000, "II", "6.5", "reduced", ("J", 32, 6, 7)),
    (1000, "II", "10", "reduced", ("J", 32, 8, 9)),
    (1000, "II", "0.65", "reduced", ("K", 50, 1, 2)),  # J↓K
    (5000, "II", "2.5", "reduced", ("L", 80, 6, 7)),
    (20000, "II", "6.5", "reduced", ("L", 80, 10, 11)),  # M↑L
    (60, "II", "4.0", "reduced", ("F", 8, 1, 2)),  # E↓F
    (300000, "III", "0.025", "reduced", ("N", 200, 0, 1)),  # Q↑P↑N
    (600000, "III", "0.040", "reduced", ("R", 800, 1, 2)),
    (400, "II", "2.5", "reduced", ("H", 20, 2, 3)),
]


@pytest.mark.parametrize(("lot_size", "level", "aql_value", "mode", "expected"), PLANS)
def test_plans(lot_size, level, aql_value, mode, expected):
    found = plan(lot_size, level, aql_value, mode)
    assert (found.code_letter, found.sample_size, found.accept, found.reject) == expected
    assert found.full_inspection is False
    assert found.initial_letter == aql.code_letter(lot_size, level)


# Letter → plan straight from the tables, including cells no lot size reaches at level II.
LETTER_PLANS = [
    ("A", "0.065", "normal", ("L", 200, 0, 1)),  # A↓…↓L
    ("A", "6.5", "normal", ("A", 2, 0, 1)),
    ("A", "10", "normal", ("C", 5, 1, 2)),  # no plan above A: A↓B↓C
    ("A", "15", "normal", ("B", 3, 1, 2)),
    ("A", "1000", "normal", ("A", 2, 30, 31)),
    ("B", "1000", "normal", ("B", 3, 44, 45)),
    ("C", "1000", "normal", ("B", 3, 44, 45)),  # C↑B
    ("E", "150", "normal", ("E", 13, 30, 31)),
    ("F", "100", "normal", ("E", 13, 21, 22)),  # F↑E
    ("A", "10", "tightened", ("A", 2, 0, 1)),  # ISO; Z1.4 / MIL-STD-105E give D 8 1/2
    ("B", "10", "tightened", ("D", 8, 1, 2)),  # B↓C↓D
    ("A", "0.010", "tightened", ("R", 2000, 0, 1)),
    ("B", "1000", "tightened", ("B", 3, 41, 42)),
    ("E", "150", "tightened", ("E", 13, 27, 28)),
    ("F", "100", "tightened", ("E", 13, 18, 19)),  # F↑E
    ("A", "10", "reduced", ("D", 3, 1, 2)),  # A↓B↓C↓D
    ("A", "25", "reduced", ("A", 2, 1, 2)),
    ("B", "25", "reduced", ("B", 2, 1, 2)),
    ("C", "25", "reduced", ("C", 2, 2, 3)),
    ("A", "0.010", "reduced", ("Q", 500, 0, 1)),
    ("R", "0.015", "reduced", ("P", 315, 0, 1)),  # R↑Q↑P
    ("B", "1000", "reduced", ("B", 2, 30, 31)),
]


@pytest.mark.parametrize(("letter", "aql_value", "mode", "expected"), LETTER_PLANS)
def test_plan_for_letter(letter, aql_value, mode, expected):
    found = plan_for_letter(letter, aql_value, mode)
    assert (found.code_letter, found.sample_size, found.accept, found.reject) == expected


# 100 % inspection: the plan's sample size reaches the lot size.
FULL_INSPECTION = [
    (5, "II", "0.065", "normal", ("L", 5, 0, 1)),  # A↓L, n=200
    (8, "II", "1.0", "normal", ("E", 8, 0, 1)),  # A↓E, n=13
    (20, "II", "0.65", "normal", ("F", 20, 0, 1)),  # C↓F, n=20 equals the lot
    (2, "II", "2.5", "normal", ("C", 2, 0, 1)),  # A↓C, n=5
    (1, "II", "2.5", "normal", ("C", 1, 0, 1)),
    (8, "III", "4.0", "normal", ("B", 3, 0, 1)),  # not full: B n=3 < 8, see the check below
    (50, "II", "0.40", "tightened", ("H", 50, 0, 1)),  # D↓H, n=50 equals the lot
    (10, "II", "0.40", "reduced", ("G", 10, 0, 1)),  # B↓G, n=13
    (3, "II", "10", "normal", ("C", 3, 1, 2)),  # A↓C, n=5
]


@pytest.mark.parametrize(("lot_size", "level", "aql_value", "mode", "expected"), FULL_INSPECTION)
def test_full_inspection(lot_size, level, aql_value, mode, expected):
    found = plan(lot_size, level, aql_value, mode)
    assert (found.code_letter, found.sample_size, found.accept, found.reject) == expected
    full = plan_for_letter(found.initial_letter, aql_value, mode).sample_size >= lot_size
    assert found.full_inspection is full


@pytest.mark.parametrize(("lot_size", "mode", "n"), [
    (1000, "normal", 80), (1000, "tightened", 80), (1000, "reduced", 32), (5, "normal", 2),
])
def test_zero_tolerance_uses_the_letters_own_sample_size(lot_size, mode, n):
    for zero in (0, "0", Decimal("0.0"), 0.0):
        found = plan(lot_size, "II", zero, mode)
        assert (found.sample_size, found.accept, found.reject) == (n, 0, 1)
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


@pytest.mark.parametrize(("given", "tighter"), [
    ("2.5", "1.5"), ("4.0", "2.5"), (6.5, "4.0"), ("0.065", "0.040"), ("0.10", "0.065"),
    ("1000", "650"), ("15", "10"), ("0.010", None), (0, None),
])
def test_tighter_aql(given, tighter):
    result = aql.tighter_aql(given)
    assert (None if result is None else str(result)) == tighter


@pytest.mark.parametrize(("letter", "aql_value", "accept"), [
    ("J", "2.5", 3), ("J", "4.0", 5), ("K", "4.0", 7), ("L", "2.5", 7), ("E", "100", 14),
    ("J", "0.65", None),  # 0.40 at J is an arrow: no plan with n=80
    ("A", "0.010", None),
])
def test_accept_at_tighter_aql(letter, aql_value, accept):
    assert aql.accept_at_tighter_aql(letter, aql_value) == accept


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


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"lot_size": 0}, "lot_size"),
    ({"lot_size": -5}, "lot_size"),
    ({"lot_size": 2.5}, "lot_size"),
    ({"lot_size": True}, "lot_size"),
    ({"lot_size": "many"}, "lot_size"),
    ({"lot_size": None}, "lot_size"),
    ({"lot_size": 100, "level": "IV"}, "level"),
    ({"lot_size": 100, "level": "S-5"}, "level"),
    ({"lot_size": 100, "level": ""}, "level"),
    ({"lot_size": 100, "aql": "3"}, "aql"),
    ({"lot_size": 100, "aql": -2.5}, "aql"),
    ({"lot_size": 100, "aql": "abc"}, "aql"),
    ({"lot_size": 100, "aql": True}, "aql"),
    ({"lot_size": 100, "aql": None}, "aql"),
    ({"lot_size": 100, "aql": float("nan")}, "aql"),
    ({"lot_size": 100, "aql": "2000"}, "aql"),
    ({"lot_size": 100, "mode": "strict"}, "mode"),
    ({"lot_size": 100, "mode": ""}, "mode"),
])
def test_bad_input_names_the_parameter(kwargs, param):
    with pytest.raises(PlanInputError) as caught:
        plan(**kwargs)
    assert isinstance(caught.value, ValueError)
    assert caught.value.param == param
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
        "import sys, api.inspections.aql, api.inspections.switching, api.inspections.grading, "
        "api.inspections.rules, api.inspections.carton_draw; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('litestar', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
