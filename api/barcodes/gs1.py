"""GS1 check digits and element strings (pure: no I/O, no web, no database).

What this module knows
----------------------
* ``check_digit`` / ``has_valid_check_digit``: the GS1 mod-10 check digit of GTIN-8/12/13/14,
  SSCC-18, GLN-13 and the other GS1 keys.
* ``parse(text)``: one scanned or typed string, in any of the forms a scanner or a person
  produces, turned into Application Identifier (AI) elements with typed values, and precise
  errors (English and Simplified Chinese) when it is wrong. It never raises.

Forms ``parse`` accepts
-----------------------
1. A leading AIM symbology identifier (``]C1`` GS1-128, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR,
   ``]e0`` GS1 DataBar, ``]E0`` EAN-13 …) is stripped and reported in ``symbology_identifier``.
2. Human-readable (HRI) form with parentheses: ``(00)350123451234567894(37)12``. Spaces between
   groups are tolerated (a GS1 value can never contain a space).
3. The raw element string, with FNC1 transmitted as ASCII GS (``\\x1d``) after every
   variable-length field that is not the last one. A separator after a fixed-length field is
   tolerated.
4. A plain number without AI semantics, when the symbology identifier is not a GS1 one
   (``]C1``/``]d2``/``]Q3``/``]e0``/``]J1``) or absent:

   * 8, 12, 13 or 14 digits: an EAN-8 / UPC-A / EAN-13 / ITF-14 number. It comes back as one
     element ``01`` (GTIN), its value zero-padded to 14 digits, with its check digit validated.
   * 18 digits: an SSCC printed without its AI (a plain Code 128 or a typed number). It comes
     back as one element ``00`` (SSCC), check digit validated. Decision: we always read an
     18-digit plain number as an SSCC rather than as an element string, because an 18-digit
     element string is both rare and unreadable by a person, while an SSCC without its AI is
     common on carton labels and in packing lists.
   * Anything else (including 20 digits starting with ``00``, which is ``(00)`` + SSCC) is
     parsed as a raw element string.
   * An 8, 12, 13 or 14-digit number whose GTIN check digit fails is also read as a raw element
     string (``1722123110123`` is ``(17)221231(10)123``); when that reading is valid and holds a
     value that proves itself (a date, or a GS1 key with a right check digit) it is the answer,
     otherwise the GTIN reading with its ``bad_check_digit`` error is.

Dates (YYMMDD) become ISO dates. ``DD = 00`` means the last day of the month. The century comes
from GS1's sliding window (General Specifications §7.12): relative to the current year, a
two-digit year 51–99 years ahead is in the previous century, one 50–99 years behind is in the
next, otherwise it is in the current century. ``parse`` takes ``today`` to make this testable.

Measures (310n, 320n, 330n …) get the decimal point that ``n`` says and a unit; counts (30, 37)
become ints. Check digits are validated for 00, 01, 02, 402, 410–416, 8017 and 8018.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AI_TABLE",
    "AIDef",
    "Element",
    "Error",
    "GS",
    "GS1_SYMBOLOGY_IDENTIFIERS",
    "ParseResult",
    "check_digit",
    "has_valid_check_digit",
    "is_valid_gtin",
    "is_valid_sscc",
    "normalize_gtin",
    "parse",
]

GS = "\x1d"  # FNC1 as transmitted by scanners (ASCII group separator)

#: Symbology identifiers whose data is a GS1 element string (AIM ISO/IEC 15424).
GS1_SYMBOLOGY_IDENTIFIERS = frozenset({"]C1", "]d2", "]Q3", "]e0", "]J1"})

_SYMBOLOGY_RE = re.compile(r"\][A-Za-z][0-9A-Za-z]")
# GS1 AI encodable character set 82 (General Specifications Figure 7.11-1).
_CSET82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


# --------------------------------------------------------------------------------------------
# Check digits
# --------------------------------------------------------------------------------------------


def check_digit(body: str) -> str:
    """GS1 mod-10 check digit of ``body`` (all digits, without the check digit).

    Weights 3, 1, 3, 1 … are applied from the rightmost digit of ``body``.
    Raises ValueError when ``body`` is empty or not all ASCII digits.
    """
    if not body or not _is_digits(body):
        raise ValueError(f"check_digit needs a non-empty string of digits, got {body!r}")
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += (ord(ch) - 48) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def _cd_ok(code: str) -> bool:
    return len(code) >= 2 and _is_digits(code) and check_digit(code[:-1]) == code[-1]


def has_valid_check_digit(code: str) -> bool:
    """True for a GTIN-8/12/13/14 or SSCC-18 (all digits, one of those lengths) whose last digit
    is the right check digit. Anything else, including other lengths, is False."""
    return isinstance(code, str) and len(code) in (8, 12, 13, 14, 18) and _cd_ok(code)


def is_valid_gtin(code: str) -> bool:
    """GTIN-8, GTIN-12, GTIN-13 or GTIN-14 with a correct check digit."""
    return isinstance(code, str) and len(code) in (8, 12, 13, 14) and _cd_ok(code)


def is_valid_sscc(code: str) -> bool:
    """SSCC (18 digits) with a correct check digit."""
    return isinstance(code, str) and len(code) == 18 and _cd_ok(code)


def normalize_gtin(code: str) -> str:
    """Zero-pad a GTIN-8/12/13/14 to the 14-digit form used in GS1 element strings and
    databases. Raises ValueError for anything that is not 8, 12, 13 or 14 digits (the check digit
    is not checked here: use ``is_valid_gtin``)."""
    code = code.strip()
    if len(code) not in (8, 12, 13, 14) or not _is_digits(code):
        raise ValueError(f"not a GTIN-8/12/13/14: {code!r}")
    return code.zfill(14)


def _is_digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


# --------------------------------------------------------------------------------------------
# The AI table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AIDef:
    """One Application Identifier.

    ``length`` is the length of a fixed-length value; ``max_length`` that of a variable one
    (``length`` is then None). ``kind`` says how the value is interpreted: ``gs1key`` (digits with a
    GS1 check digit), ``date`` (YYMMDD), ``datetime`` (YYMMDDHHMM), ``measure`` (decimal with
    ``decimals`` places and ``unit``), ``count`` (int), ``numeric`` (digits), ``text`` (GS1
    character set 82), ``country_text`` (3-digit ISO country code, then text).
    """

    ai: str
    name: str
    length: int | None = None
    max_length: int | None = None
    numeric: bool = False
    kind: str = "text"
    unit: str | None = None
    decimals: int = 0
    min_length: int = 1

    @property
    def fixed(self) -> bool:
        return self.length is not None

    @property
    def limit(self) -> int:
        return self.length if self.length is not None else int(self.max_length or 0)


def _fixed_num(ai: str, name: str, n: int, kind: str = "numeric", **kw: Any) -> AIDef:
    return AIDef(ai, name, length=n, numeric=True, kind=kind, **kw)


def _var(ai: str, name: str, n: int, *, numeric: bool = False, kind: str | None = None, **kw: Any) -> AIDef:
    return AIDef(ai, name, max_length=n, numeric=numeric, kind=kind or ("numeric" if numeric else "text"), **kw)


_MEASURES = {
    # prefix: (name, unit)
    "310": ("NET WEIGHT (kg)", "kg"),
    "311": ("LENGTH (m)", "m"),
    "312": ("WIDTH (m)", "m"),
    "313": ("HEIGHT (m)", "m"),
    "314": ("AREA (m2)", "m2"),
    "315": ("NET VOLUME (l)", "l"),
    "316": ("NET VOLUME (m3)", "m3"),
    "320": ("NET WEIGHT (lb)", "lb"),
    "321": ("LENGTH (in)", "in"),
    "322": ("LENGTH (ft)", "ft"),
    "323": ("LENGTH (yd)", "yd"),
    "324": ("WIDTH (in)", "in"),
    "325": ("WIDTH (ft)", "ft"),
    "326": ("WIDTH (yd)", "yd"),
    "327": ("HEIGHT (in)", "in"),
    "328": ("HEIGHT (ft)", "ft"),
    "329": ("HEIGHT (yd)", "yd"),
    "330": ("GROSS WEIGHT (kg)", "kg"),
    "331": ("LENGTH (m), log", "m"),
    "332": ("WIDTH (m), log", "m"),
    "333": ("HEIGHT (m), log", "m"),
    "334": ("AREA (m2), log", "m2"),
    "335": ("VOLUME (l), log", "l"),
    "336": ("VOLUME (m3), log", "m3"),
    "337": ("KG PER m2", "kg/m2"),
    "340": ("GROSS WEIGHT (lb)", "lb"),
    "341": ("LENGTH (in), log", "in"),
    "342": ("LENGTH (ft), log", "ft"),
    "343": ("LENGTH (yd), log", "yd"),
    "344": ("WIDTH (in), log", "in"),
    "345": ("WIDTH (ft), log", "ft"),
    "346": ("WIDTH (yd), log", "yd"),
    "347": ("HEIGHT (in), log", "in"),
    "348": ("HEIGHT (ft), log", "ft"),
    "349": ("HEIGHT (yd), log", "yd"),
    "350": ("AREA (in2)", "in2"),
    "351": ("AREA (ft2)", "ft2"),
    "352": ("AREA (yd2)", "yd2"),
    "353": ("AREA (in2), log", "in2"),
    "354": ("AREA (ft2), log", "ft2"),
    "355": ("AREA (yd2), log", "yd2"),
    "356": ("NET WEIGHT (troy oz)", "oz t"),
    "357": ("NET VOLUME (oz)", "oz"),
    "360": ("NET VOLUME (qt)", "qt"),
    "361": ("NET VOLUME (gal.)", "gal"),
    "362": ("VOLUME (qt), log", "qt"),
    "363": ("VOLUME (gal.), log", "gal"),
    "364": ("VOLUME (in3)", "in3"),
    "365": ("VOLUME (ft3)", "ft3"),
    "366": ("VOLUME (yd3)", "yd3"),
    "367": ("VOLUME (in3), log", "in3"),
    "368": ("VOLUME (ft3), log", "ft3"),
    "369": ("VOLUME (yd3), log", "yd3"),
}


def _build_table() -> dict[str, AIDef]:
    defs: list[AIDef] = [
        _fixed_num("00", "SSCC", 18, "gs1key"),
        _fixed_num("01", "GTIN", 14, "gs1key"),
        _fixed_num("02", "CONTENT", 14, "gs1key"),
        _var("10", "BATCH/LOT", 20),
        _fixed_num("11", "PROD DATE", 6, "date"),
        _fixed_num("12", "DUE DATE", 6, "date"),
        _fixed_num("13", "PACK DATE", 6, "date"),
        _fixed_num("15", "BEST BEFORE or BEST BY", 6, "date"),
        _fixed_num("16", "SELL BY", 6, "date"),
        _fixed_num("17", "USE BY or EXPIRY", 6, "date"),
        _fixed_num("20", "VARIANT", 2),
        _var("21", "SERIAL", 20),
        _var("22", "CPV", 20),
        _var("235", "TPX", 28),
        _var("240", "ADDITIONAL ID", 30),
        _var("241", "CUST. PART No.", 30),
        _var("242", "MTO VARIANT", 6, numeric=True),
        _var("243", "PCN", 20),
        _var("250", "SECONDARY SERIAL", 30),
        _var("251", "REF. TO SOURCE", 30),
        _var("253", "GDTI", 30, min_length=13),
        _var("254", "GLN EXTENSION COMPONENT", 20),
        _var("255", "GCN", 25, numeric=True, min_length=13),
        _var("30", "VAR. COUNT", 8, numeric=True, kind="count"),
        _var("37", "COUNT", 8, numeric=True, kind="count"),
        _var("400", "ORDER NUMBER", 30),
        _var("401", "GINC", 30),
        _fixed_num("402", "GSIN", 17, "gs1key"),
        _var("403", "ROUTE", 30),
        _fixed_num("410", "SHIP TO LOC", 13, "gs1key"),
        _fixed_num("411", "BILL TO", 13, "gs1key"),
        _fixed_num("412", "PURCHASE FROM", 13, "gs1key"),
        _fixed_num("413", "SHIP FOR LOC", 13, "gs1key"),
        _fixed_num("414", "LOC No.", 13, "gs1key"),
        _fixed_num("415", "PAY TO", 13, "gs1key"),
        _fixed_num("416", "PROD/SERV LOC", 13, "gs1key"),
        _var("420", "SHIP TO POST", 20),
        _var("421", "SHIP TO POST", 12, kind="country_text", min_length=4),
        _fixed_num("422", "ORIGIN", 3),
        _var("423", "COUNTRY - INITIAL PROCESS.", 15, numeric=True, min_length=3),
        _fixed_num("424", "COUNTRY - PROCESS.", 3),
        _var("425", "COUNTRY - DISASSEMBLY", 15, numeric=True, min_length=3),
        _fixed_num("426", "COUNTRY - FULL PROCESS", 3),
        _fixed_num("7001", "NSN", 13),
        _var("7002", "MEAT CUT", 30),
        _fixed_num("7003", "EXPIRY TIME", 10, "datetime"),
        _fixed_num("7006", "FIRST FREEZE DATE", 6, "date"),
        _fixed_num("8001", "DIMENSIONS", 14),
        _var("8003", "GRAI", 30, min_length=14),
        _var("8004", "GIAI", 30),
        _fixed_num("8005", "PRICE PER UNIT", 6),
        _fixed_num("8006", "ITIP", 18),
        _var("8007", "IBAN", 34),
        _var("8008", "PROD TIME", 12, numeric=True, min_length=8),
        _var("8012", "VERSION", 20),
        _var("8013", "GMN", 25),
        _fixed_num("8017", "GSRN - PROVIDER", 18, "gs1key"),
        _fixed_num("8018", "GSRN - RECIPIENT", 18, "gs1key"),
        _var("8020", "REF No.", 25),
        _fixed_num("8101", "COUPON EXTENDED CODE", 10),
        _fixed_num("8102", "COUPON EXTENDED CODE", 2),
        _var("8110", "COUPON CODE", 70),
        _var("8200", "PRODUCT URL", 70),
        _var("90", "INTERNAL", 30),
    ]
    defs += [_var(str(n), "INTERNAL", 90) for n in range(91, 100)]
    for prefix, (name, unit) in _MEASURES.items():
        for n in range(6):  # GS1 defines decimal point positions 0..5
            defs.append(_fixed_num(prefix + str(n), name, 6, "measure", unit=unit, decimals=n))
    for n in range(10):  # amounts: the last digit of the AI is the decimal point position
        defs.append(_var(f"390{n}", "AMOUNT", 15, numeric=True, kind="measure", decimals=n))
        defs.append(_var(f"392{n}", "PRICE", 15, numeric=True, kind="measure", decimals=n))
    return {d.ai: d for d in defs}


#: Every known AI, keyed by its digits.
AI_TABLE: dict[str, AIDef] = _build_table()

def _lookup_ai(s: str, pos: int) -> AIDef | None:
    for n in (2, 3, 4):
        d = AI_TABLE.get(s[pos : pos + n])
        if d is not None:
            return d
    return None


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Element:
    """One AI element. ``value`` is typed: an ISO date string for dates, a decimal string for
    measures (with ``unit``), an int for counts, else the string as encoded. ``raw`` is the value
    exactly as it appeared in the input."""

    ai: str
    name: str
    value: str | int
    raw: str
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ai": self.ai, "name": self.name, "value": self.value, "raw": self.raw, "unit": self.unit}


@dataclass(frozen=True, slots=True)
class Error:
    """One problem. ``code`` is stable and machine-readable (see ``ERROR_CODES``); ``position`` is
    the 0-based index into the text given to ``parse`` (None when it does not apply)."""

    code: str
    message: str
    message_zh: str
    ai: str | None = None
    position: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            "ai": self.ai,
            "position": self.position,
        }


#: Every error code ``parse`` can produce.
ERROR_CODES = (
    "empty",  # nothing to parse
    "unknown_ai",  # the digits at this place are no AI we know
    "too_short",  # a value shorter than its AI allows (e.g. a fixed field cut off)
    "too_long",  # a value longer than its AI allows (HRI form)
    "missing_separator",  # a variable field runs past its maximum (FNC1/GS missing), or HRI ( ) broken
    "bad_check_digit",  # a GS1 key whose check digit is wrong
    "invalid_date",  # a YYMMDD that is no calendar date, e.g. 251332
    "not_numeric",  # a non-digit where the AI requires digits
    "invalid_character",  # a character outside the GS1 character set 82
    "duplicate_ai",  # the same AI twice with different values
)


@dataclass(slots=True)
class ParseResult:
    valid: bool
    elements: list[Element] = field(default_factory=list)
    errors: list[Error] = field(default_factory=list)
    symbology_identifier: str | None = None

    def get(self, ai: str) -> Element | None:
        """The first element with this AI, or None."""
        for e in self.elements:
            if e.ai == ai:
                return e
        return None

    @property
    def hri(self) -> str:
        """The elements in human-readable form: ``(01)09501101530003(10)AB12``."""
        return "".join(f"({e.ai}){e.raw}" for e in self.elements)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "elements": [e.to_dict() for e in self.elements],
            "errors": [e.to_dict() for e in self.errors],
            "symbology_identifier": self.symbology_identifier,
        }


# --------------------------------------------------------------------------------------------
# Error messages (English and Simplified Chinese)
# --------------------------------------------------------------------------------------------


_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("Nothing to parse: the code is empty.", "条码内容为空,无法解析。"),
    "unknown_ai": (
        "Unknown application identifier at position {position}: {found!r}.",
        "第 {position} 位的应用标识符(AI)无法识别:{found!r}。",
    ),
    "too_short": (
        "AI ({ai}) {name} needs {need} characters, got {got}.",
        "AI ({ai}) {name} 需要 {need} 位,实际只有 {got} 位。",
    ),
    "too_long": (
        "AI ({ai}) {name} allows at most {need} characters, got {got}.",
        "AI ({ai}) {name} 最多允许 {need} 位,实际有 {got} 位。",
    ),
    "missing_separator_raw": (
        "AI ({ai}) {name} is longer than its maximum of {need} characters: "
        "a FNC1/GS separator is probably missing after it.",
        "AI ({ai}) {name} 超过最大长度 {need} 位:其后可能缺少 FNC1/GS 分隔符。",
    ),
    "missing_separator_hri": (
        "Malformed human-readable form at position {position}: {detail}.",
        "第 {position} 位的人工可读格式有误:{detail_zh}。",
    ),
    "bad_check_digit": (
        "AI ({ai}) {name}: check digit is {got}, should be {need}.",
        "AI ({ai}) {name}:校验位为 {got},应为 {need}。",
    ),
    "invalid_date": (
        "AI ({ai}) {name}: {raw!r} is not a valid date ({detail}).",
        "AI ({ai}) {name}:{raw!r} 不是有效日期({detail_zh})。",
    ),
    "not_numeric": (
        "AI ({ai}) {name} must contain digits only, got {raw!r}.",
        "AI ({ai}) {name} 只能包含数字,实际为 {raw!r}。",
    ),
    "invalid_character": (
        "AI ({ai}) {name} contains a character not allowed in GS1 data: {char!r}.",
        "AI ({ai}) {name} 含有 GS1 不允许的字符:{char!r}。",
    ),
    "duplicate_ai": (
        "AI ({ai}) appears twice with different values.",
        "AI ({ai}) 出现两次且取值不同。",
    ),
    "plain_bad_check_digit": (
        "{name} {raw}: check digit is {got}, should be {need}.",
        "{name} {raw}:校验位为 {got},应为 {need}。",
    ),
}


def _err_code(code: str, msg_key: str, ai: str | None, position: int | None, **p: Any) -> Error:
    en, zh = _MESSAGES[msg_key]
    return Error(code, en.format(ai=ai, position=position, **p), zh.format(ai=ai, position=position, **p), ai, position)


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _century_year(yy: int, today: _dt.date) -> int:
    """GS1 General Specifications 7.12: the sliding window for two-digit years."""
    current = today.year
    century, cur_yy = divmod(current, 100)
    diff = yy - cur_yy
    if 51 <= diff <= 99:
        return (century - 1) * 100 + yy
    if -99 <= diff <= -50:
        return (century + 1) * 100 + yy
    return century * 100 + yy


def _parse_date(raw: str, today: _dt.date) -> tuple[_dt.date | None, str, str]:
    """YYMMDD → date, or (None, reason_en, reason_zh)."""
    yy, mm, dd = int(raw[0:2]), int(raw[2:4]), int(raw[4:6])
    if not 1 <= mm <= 12:
        return None, f"month {mm:02d} does not exist", f"月份 {mm:02d} 不存在"
    year = _century_year(yy, today)
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        dd = last  # DD=00: the last day of the month
    elif dd > last:
        return None, f"{year}-{mm:02d} has only {last} days", f"{year}-{mm:02d} 只有 {last} 天"
    return _dt.date(year, mm, dd), "", ""


class _Ctx:
    def __init__(self, text: str, offset: int, today: _dt.date) -> None:
        self.text = text
        self.offset = offset  # index in the original input of text[0]
        self.today = today
        self.elements: list[Element] = []
        self.errors: list[Error] = []

    def error(self, code: str, ai: str | None, pos: int | None, msg_key: str | None = None, **p: Any) -> None:
        gpos = None if pos is None else pos + self.offset
        self.errors.append(_err_code(code, msg_key or code, ai, gpos, **p))


def _element(ctx: _Ctx, d: AIDef, raw: str, pos: int) -> None:
    """Validate one delimited value and append its element (even when it has errors, so the
    caller can show what was read)."""
    name = d.name
    value: str | int = raw
    unit = d.unit
    n = len(raw)
    bad = False
    if d.fixed and n < d.limit:
        ctx.error("too_short", d.ai, pos, name=name, need=d.limit, got=n)
        bad = True
    elif n < d.min_length:
        ctx.error("too_short", d.ai, pos, name=name, need=d.min_length, got=n)
        bad = True
    if d.numeric or d.kind == "country_text":
        digits = raw if d.numeric else raw[:3]
        if not _is_digits(digits):
            ctx.error("not_numeric", d.ai, pos, name=name, raw=raw)
            bad = True
    if not d.numeric:
        for i, ch in enumerate(raw):
            if ch not in _CSET82:
                ctx.error("invalid_character", d.ai, pos + i, name=name, char=ch)
                bad = True
                break
    if not bad:
        if d.kind == "gs1key":
            want = check_digit(raw[:-1])
            if want != raw[-1]:
                ctx.error("bad_check_digit", d.ai, pos + n - 1, name=name, got=raw[-1], need=want)
        elif d.kind in ("date", "datetime"):
            date, why, why_zh = _parse_date(raw[:6], ctx.today)
            if date is None:
                ctx.error("invalid_date", d.ai, pos, name=name, raw=raw, detail=why, detail_zh=why_zh)
            elif d.kind == "datetime":
                hh, mi = int(raw[6:8]), int(raw[8:10])
                if hh > 23 or mi > 59:
                    ctx.error("invalid_date", d.ai, pos, name=name, raw=raw,
                              detail=f"time {hh:02d}:{mi:02d} does not exist",
                              detail_zh=f"时间 {hh:02d}:{mi:02d} 不存在")
                else:
                    value = _dt.datetime(date.year, date.month, date.day, hh, mi).isoformat(timespec="minutes")
            else:
                value = date.isoformat()
        elif d.kind == "measure":
            value = _decimal_string(raw, d.decimals)
        elif d.kind == "count":
            value = int(raw)
    ctx.elements.append(Element(d.ai, name, value, raw, unit))


def _decimal_string(raw: str, decimals: int) -> str:
    if decimals == 0:
        return str(int(raw))
    whole, frac = raw[:-decimals], raw[-decimals:]
    return f"{int(whole or '0')}.{frac}"


def _unknown_ai(ctx: _Ctx, s: str, pos: int) -> None:
    found = s[pos : pos + 4]
    ctx.error("unknown_ai", None, pos, found=found)


# --------------------------------------------------------------------------------------------
# Parsers for the three forms
# --------------------------------------------------------------------------------------------


def _parse_raw(ctx: _Ctx, s: str) -> None:
    pos = 0
    if s.startswith(GS):  # FNC1 in first position, transmitted as GS by some scanners
        pos = 1
    n = len(s)
    while pos < n:
        if s[pos] == GS:  # tolerate an extra separator (e.g. after a fixed-length field)
            pos += 1
            continue
        d = _lookup_ai(s, pos)
        if d is None:
            _unknown_ai(ctx, s, pos)
            return
        vpos = pos + len(d.ai)
        if d.fixed:
            end = vpos + d.limit
            chunk = s[vpos:end]
            gs_at = chunk.find(GS)
            if gs_at >= 0:  # the field was cut short by a separator
                end = vpos + gs_at
            value = s[vpos:end]
            _element(ctx, d, value, vpos)
            pos = end
        else:
            gs_at = s.find(GS, vpos)
            end = n if gs_at < 0 else gs_at
            value = s[vpos:end]
            if len(value) > d.limit:
                ctx.error("missing_separator", d.ai, vpos + d.limit, "missing_separator_raw",
                          name=d.name, need=d.limit)
                value = value[: d.limit]
                _element(ctx, d, value, vpos)
                return  # where the next AI starts cannot be known
            _element(ctx, d, value, vpos)
            pos = end


def _parse_hri(ctx: _Ctx, s: str) -> None:
    pos = 0
    n = len(s)
    while pos < n:
        if s[pos].isspace():
            pos += 1
            continue
        if s[pos] != "(":
            ctx.error("missing_separator", None, pos, "missing_separator_hri",
                      detail="expected '(' before an application identifier",
                      detail_zh="应用标识符前缺少 '('")
            return
        close = s.find(")", pos + 1)
        nxt_open = s.find("(", pos + 1)
        if close < 0 or (0 <= nxt_open < close):
            ctx.error("missing_separator", None, pos, "missing_separator_hri",
                      detail="'(' without a closing ')'", detail_zh="'(' 缺少对应的 ')'")
            return
        ai = s[pos + 1 : close]
        vpos = close + 1
        nxt = s.find("(", vpos)
        end = n if nxt < 0 else nxt
        value = s[vpos:end].rstrip()
        stripped = value.lstrip()
        vpos += len(value) - len(stripped)  # spaces between groups are tolerated
        value = stripped
        d = AI_TABLE.get(ai)
        if d is None:
            ctx.error("unknown_ai", None, pos + 1, found=ai)
        else:
            if len(value) > d.limit:
                ctx.error("too_long", d.ai, vpos, name=d.name, need=d.limit, got=len(value))
            else:
                _element(ctx, d, value, vpos)
        pos = end


def _plain_number(ctx: _Ctx, s: str) -> bool:
    """EAN/UPC/ITF-14 numbers and bare SSCCs. Returns False when ``s`` is not one."""
    if not _is_digits(s):
        return False
    n = len(s)
    if n in (8, 12, 13, 14):
        ai, name, value = "01", "GTIN", s.zfill(14)
        label = {8: "GTIN-8", 12: "GTIN-12", 13: "GTIN-13", 14: "GTIN-14"}[n]
    elif n == 18:
        ai, name, value, label = "00", "SSCC", s, "SSCC"
    else:
        return False
    want = check_digit(s[:-1])
    if want != s[-1]:
        ctx.error("bad_check_digit", ai, n - 1, "plain_bad_check_digit", name=label, raw=s, got=s[-1], need=want)
    ctx.elements.append(Element(ai, name, value, s))
    return True


def parse(text: str, *, today: _dt.date | None = None, symbology_identifier: str | None = None) -> ParseResult:
    """Parse one GS1 string (see the module docstring for the forms). Never raises.

    ``today`` fixes the reference date of the two-digit-year sliding window (default: today).
    ``symbology_identifier`` is the reader's AIM identifier when it is not a prefix of
    ``text`` (error positions stay positions in ``text``).
    """
    if not isinstance(text, str):
        text = str(text)
    today = today or _dt.date.today()
    sym = symbology_identifier
    offset = 0
    m = _SYMBOLOGY_RE.match(text)
    if m:
        sym = m.group(0)
        offset = m.end()
    body = text[offset:]
    ctx = _Ctx(body, offset, today)
    stripped = body.strip()
    if not stripped:
        ctx.error("empty", None, None)
    elif stripped.startswith("("):
        lead = len(body) - len(body.lstrip())
        ctx.offset += lead
        _parse_hri(ctx, body.strip())
    elif sym in GS1_SYMBOLOGY_IDENTIFIERS or not _plain_number(ctx, body):
        _parse_raw(ctx, body)
    elif ctx.errors and len(body) in (8, 12, 13, 14):
        ctx = _element_string_if_valid(ctx, body, offset, today)
    _check_duplicates(ctx)
    return ParseResult(valid=not ctx.errors and bool(ctx.elements), elements=ctx.elements,
                       errors=ctx.errors, symbology_identifier=sym)


def _element_string_if_valid(as_gtin: _Ctx, body: str, offset: int, today: _dt.date) -> _Ctx:
    """A plain number that is no valid GTIN may be a GS1 element string without its symbology
    identifier (``1722123110123`` is ``(17)221231(10)123``): that reading wins when it is valid and
    one of its values proved itself (a real date, or a GS1 key with its right check digit), else the
    GTIN reading (with its check-digit error) stands. Without that proof almost any mistyped GTIN
    would pass as, say, ``(400)`` + a free-text order number."""
    as_string = _Ctx(body, offset, today)
    _parse_raw(as_string, body)
    _check_duplicates(as_string)
    proved = any(AI_TABLE[e.ai].kind in _SELF_CHECKING for e in as_string.elements)
    return as_string if as_string.elements and not as_string.errors and proved else as_gtin


_SELF_CHECKING = frozenset({"date", "datetime", "gs1key"})


def _check_duplicates(ctx: _Ctx) -> None:
    seen: dict[str, str] = {}
    for e in ctx.elements:
        if e.ai in seen and seen[e.ai] != e.raw:
            ctx.errors.append(_err_code("duplicate_ai", "duplicate_ai", e.ai, None))
            return
        seen[e.ai] = e.raw


def sscc_from_text(text: str) -> str | None:
    """The 18 SSCC digits from a typed, printed or scanned carton code, or None if it is not SSCC-shaped.

    Accepts '(00) 3 6901234 000000001 8', '00369012340000000018', ']C100…' and the bare 18 digits.
    The check digit is not judged here: callers report a bad one precisely.
    """
    s = text.strip()
    if s.startswith("]C1"):
        s = s[3:]
    s = "".join(ch for ch in s if ch not in " -")
    if s.startswith("(00)"):
        s = s[4:]
    elif len(s) == 20 and s.startswith("00"):
        s = s[2:]
    return s if len(s) == 18 and s.isdigit() else None
