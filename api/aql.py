"""Single sampling plans of ISO 2859-1:1999 (= ANSI/ASQ Z1.4, GB/T 2828.1-2012).

Edition encoded: ISO 2859-1:1999 — Table 1 and Tables 2-A, 2-B, 2-C, as GB/T 2828.1-2012
reprints them. In this edition every single sampling plan has Re = Ac + 1, the reduced table
included (the MIL-STD-105E reduced plans with a gap, such as "1 3" or "2 5", are gone), so a lot
is always either accepted or rejected. Every arrow-resolved cell (3 tables × 16 letters × 26
AQLs) was compared with a cell-by-cell transcription of GB/T 2828.1-2012, and Tables 2-A and 2-B
also with an independent Z1.4 / MIL-STD-105E encoding. Those two agree everywhere except
tightened A / AQL 10: ISO prints 0/1 at n=2, Z1.4 / MIL-STD-105E an arrow down to D (n=8, 1/2).
We follow ISO.

The tables below are written the way they are printed: for each AQL column, one cell per
sample-size code letter (A, B, C … R; tightened also has S, which holds a plan only under
AQL 0.025). A cell is "Ac/Re", "↓" (use the first plan below), "↑" (use the first plan above) or
"·" (blank). The arrow rule takes the whole plan it lands on, sample size included, so plans of
different defect classes in one inspection may have different sample sizes. AQLs are percent
nonconforming up to 10 and nonconformities per 100 units above; the tables cover 0.010 … 1000.

Choices the standard leaves to the user, made here:
- AQL 0 (zero tolerance, not an ISO column) is Ac 0 / Re 1 at the code letter's own sample size.
- When the sample size reaches the lot size the plan becomes 100 % inspection: sample_size is the
  lot size, full_inspection is True, and Ac/Re stay those of the plan (the standard gives no
  other numbers, and keeping them means a lot is judged the same whether sampled or not).
- A lot of 1 unit falls in the first lot-size row (2 to 8) and so is inspected 100 %.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

__all__ = [
    "AQL_SERIES", "LEVELS", "MODES", "Plan", "PlanInputError", "accept_at_tighter_aql",
    "code_letter", "parse_aql", "parse_level", "parse_mode", "plan", "plan_for_letter",
    "tighter_aql",
]

LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
MODES = ("normal", "tightened", "reduced")


class PlanInputError(ValueError):
    """A bad argument; ``param`` names it so the HTTP layer can answer 400 about that field."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass(frozen=True)
class Plan:
    code_letter: str  # letter of the plan actually used, i.e. after following arrows
    sample_size: int
    accept: int
    reject: int
    full_inspection: bool = False
    initial_letter: str = ""  # Table 1 letter before following arrows


# Table 1 — sample size code letters. Upper bounds of the lot-size rows; the last is open.
_LOT_UPPER = (8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10000, 35000, 150000, 500000)
_TABLE_1 = {  # one letter per lot-size row: 2-8, 9-15, 16-25, … , 150001-500000, 500001+
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}

_SAMPLE_SIZES = {
    "normal": "A2 B3 C5 D8 E13 F20 G32 H50 J80 K125 L200 M315 N500 P800 Q1250 R2000",
    "tightened": "A2 B3 C5 D8 E13 F20 G32 H50 J80 K125 L200 M315 N500 P800 Q1250 R2000 S3150",
    "reduced": "A2 B2 C2 D3 E5 F8 G13 H20 J32 K50 L80 M125 N200 P315 Q500 R800",
}

# Table 2-A — normal inspection. Cells for letters A B C D E F G H J K L M N P Q R.
_TABLE_2A = {
    "0.010": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑",
    "0.015": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↑",
    "0.025": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2",
    "0.040": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3",
    "0.065": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4",
    "0.10": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6",
    "0.15": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8",
    "0.25": "↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11",
    "0.40": "↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15",
    "0.65": "↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22",
    "1.0": "↓ ↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑",
    "1.5": "↓ ↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑",
    "2.5": "↓ ↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑",
    "4.0": "↓ 0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑",
    "6.5": "0/1 ↑ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑",
    "10": "↓ ↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑",
    "15": "↓ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "25": "1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "40": "2/3 3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "65": "3/4 5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "100": "5/6 7/8 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "150": "7/8 10/11 14/15 21/22 30/31 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "250": "10/11 14/15 21/22 30/31 44/45 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "400": "14/15 21/22 30/31 44/45 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "650": "21/22 30/31 44/45 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "1000": "30/31 44/45 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
}

# Table 2-B — tightened inspection. Letters A … R, plus S where the column reaches it.
_TABLE_2B = {
    "0.010": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1",
    "0.015": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑",
    "0.025": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2",
    "0.040": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2",
    "0.065": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3",
    "0.10": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4",
    "0.15": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6",
    "0.25": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9",
    "0.40": "↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13",
    "0.65": "↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19",
    "1.0": "↓ ↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑",
    "1.5": "↓ ↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑",
    "2.5": "↓ ↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑",
    "4.0": "↓ ↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑",
    "6.5": "↓ 0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑",
    "10": "0/1 ↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑ ↑",
    "15": "↓ ↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "25": "↓ 1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "40": "1/2 2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "65": "2/3 3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "100": "3/4 5/6 8/9 12/13 18/19 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "150": "5/6 8/9 12/13 18/19 27/28 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "250": "8/9 12/13 18/19 27/28 41/42 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "400": "12/13 18/19 27/28 41/42 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "650": "18/19 27/28 41/42 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "1000": "27/28 41/42 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
}

# Table 2-C — reduced inspection (sample sizes above). Letters A … R.
_TABLE_2C = {
    "0.010": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑",
    "0.015": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↑",
    "0.025": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↑ ↑",
    "0.040": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2",
    "0.065": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3",
    "0.10": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4",
    "0.15": "↓ ↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6",
    "0.25": "↓ ↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7",
    "0.40": "↓ ↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9",
    "0.65": "↓ ↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11",
    "1.0": "↓ ↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑",
    "1.5": "↓ ↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑",
    "2.5": "↓ ↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑",
    "4.0": "↓ 0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑",
    "6.5": "0/1 ↑ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑",
    "10": "↓ ↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑ ↑",
    "15": "↓ ↓ 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "25": "1/2 1/2 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "40": "2/3 2/3 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "65": "3/4 3/4 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "100": "5/6 5/6 6/7 8/9 10/11 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "150": "7/8 7/8 8/9 10/11 14/15 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "250": "10/11 10/11 10/11 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "400": "14/15 14/15 14/15 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "650": "21/22 21/22 21/22 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
    "1000": "30/31 30/31 ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑ ↑",
}

Cell = tuple[int, int] | str  # (Ac, Re), "↓", "↑" or "·"


def _parse_sizes(text: str) -> dict[str, int]:
    return {token[0]: int(token[1:]) for token in text.split()}


def _parse_table(columns: dict[str, str], letters: str) -> dict[Decimal, tuple[Cell, ...]]:
    table: dict[Decimal, tuple[Cell, ...]] = {}
    for aql, text in columns.items():
        cells: list[Cell] = []
        for token in text.split():
            if token in ("↓", "↑", "·"):
                cells.append(token)
            else:
                ac, re_ = (int(part) for part in token.split("/"))
                cells.append((ac, re_))
        if len(cells) > len(letters):
            raise ValueError(f"AQL {aql}: more cells than code letters")
        # A column may stop early: the rows after its last cell are blank (tightened row S).
        cells += ["·"] * (len(letters) - len(cells))
        table[Decimal(aql)] = tuple(cells)
    return table


_SIZES = {mode: _parse_sizes(text) for mode, text in _SAMPLE_SIZES.items()}
_LETTERS = {mode: "".join(sizes) for mode, sizes in _SIZES.items()}
_TABLES = {
    mode: _parse_table(columns, _LETTERS[mode])
    for mode, columns in (("normal", _TABLE_2A), ("tightened", _TABLE_2B), ("reduced", _TABLE_2C))
}

AQL_SERIES: tuple[Decimal, ...] = tuple(_TABLES["normal"])
_ZERO = Decimal(0)


def parse_level(level: object) -> str:
    """Canonical inspection level ("S-1" … "S-4", "I", "II", "III"); case and width forgiven."""
    text = unicodedata.normalize("NFKC", str(level)).strip().upper().replace(" ", "")
    special = re.fullmatch(r"S-?([1-4])", text)
    if special:
        return f"S-{special.group(1)}"
    if text in LEVELS:
        return text
    raise PlanInputError(
        "level", f"Unknown inspection level {level!r}; use one of {', '.join(LEVELS)}.")


def parse_mode(mode: object) -> str:
    text = unicodedata.normalize("NFKC", str(mode)).strip().lower()
    if text in MODES:
        return text
    raise PlanInputError(
        "mode", f"Unknown inspection mode {mode!r}; use one of {', '.join(MODES)}.")


def parse_aql(aql: object) -> Decimal:
    """The AQL as the series value it equals ("2.50", 2.5 and "2,5%" all give 2.5), or 0."""
    bad = PlanInputError(
        "aql", f"AQL {aql!r} is not in the ISO 2859-1 series (0.010 … 1000) and is not 0.")
    if isinstance(aql, bool):
        raise bad
    if isinstance(aql, float):
        aql = repr(aql)  # the shortest text that round-trips, so 0.1 stays 0.1
    if isinstance(aql, str):
        aql = unicodedata.normalize("NFKC", aql).strip().rstrip("%").strip().replace(",", ".")
    try:
        value = Decimal(aql)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise bad from None
    if not value.is_finite():
        raise bad
    if value == 0:
        return _ZERO
    for series_value in AQL_SERIES:
        if value == series_value:
            return series_value
    raise bad


def _parse_lot_size(lot_size: object) -> int:
    if isinstance(lot_size, str) and lot_size.strip().isdecimal():
        lot_size = int(lot_size.strip())
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise PlanInputError(
            "lot_size", f"Lot size must be a whole number of at least 1, not {lot_size!r}.")
    return lot_size


def code_letter(lot_size: int, level: str = "II") -> str:
    """Table 1: the sample size code letter for a lot size and inspection level."""
    lot = _parse_lot_size(lot_size)
    row = next((i for i, upper in enumerate(_LOT_UPPER) if lot <= upper), len(_LOT_UPPER))
    return _TABLE_1[parse_level(level)][row]


def tighter_aql(aql: object) -> Decimal | None:
    """The next tighter (smaller) AQL of the series, or None for 0.010 and for AQL 0."""
    value = parse_aql(aql)
    if value == 0:
        return None
    index = AQL_SERIES.index(value)
    return AQL_SERIES[index - 1] if index else None


def plan_for_letter(letter: str, aql: object = "2.5", mode: str = "normal") -> Plan:
    """The plan a code letter and AQL give in the table of ``mode``, arrows followed."""
    mode = parse_mode(mode)
    value = parse_aql(aql)
    letters = _LETTERS[mode]
    start = str(letter).strip().upper()
    if len(start) != 1 or start not in _LETTERS["normal"]:  # Table 1 never gives tightened S
        raise PlanInputError("letter", f"Unknown sample size code letter {letter!r}.")
    if value == 0:
        return Plan(start, _SIZES[mode][start], 0, 1, False, start)
    column = _TABLES[mode][value]
    row = letters.index(start)
    while not isinstance(cell := column[row], tuple):
        row += {"↓": 1, "↑": -1}.get(cell, len(letters))  # a blank cell ends the walk off the table
        if not 0 <= row < len(letters):  # never happens; the tests walk every letter and AQL
            raise LookupError(f"no plan for letter {start} / AQL {value} in the {mode} table")
    accept, reject = cell
    used = letters[row]
    return Plan(used, _SIZES[mode][used], accept, reject, False, start)


def plan(
    lot_size: int, level: str = "II", aql: float | Decimal | str = 2.5, mode: str = "normal",
) -> Plan:
    """Single sampling plan for a lot: Table 1, then Table 2-A/2-B/2-C with the arrow rule."""
    lot = _parse_lot_size(lot_size)
    level = parse_level(level)
    value = parse_aql(aql)
    mode = parse_mode(mode)
    found = plan_for_letter(code_letter(lot, level), value, mode)
    if found.sample_size >= lot:
        return replace(found, sample_size=lot, full_inspection=True)
    return found


def accept_at_tighter_aql(letter: str, aql: object) -> int | None:
    """Ac of Table 2-A one AQL step tighter, at the same sample size (the switching score's test).

    ``letter`` is the letter of the plan used (Plan.code_letter). None when there is no tighter
    AQL or when that cell is an arrow, i.e. no plan with this sample size exists there; that can
    only happen when the plan in use has Ac 0 or 1, where the switching score does not ask.
    """
    tighter = tighter_aql(aql)
    if tighter is None:
        return None
    start = str(letter).strip().upper()
    if len(start) != 1 or start not in _LETTERS["normal"]:
        raise PlanInputError("letter", f"Unknown sample size code letter {letter!r}.")
    cell = _TABLES["normal"][tighter][_LETTERS["normal"].index(start)]
    return cell[0] if isinstance(cell, tuple) else None
