"""Find and decode every barcode in a phone photo (pure: bytes in, result out; no web, no DB).

    result = decode_image(jpeg_bytes)
    for b in result.barcodes:
        b.format, b.text, b.symbology_identifier, b.gs1, b.position, b.engine

``decode_image`` is synchronous and CPU-bound (the web layer runs it in a worker thread). It
raises ``NotAnImage`` (answer 415) when the bytes are no image format we read, and ``BadImage``
(answer 422) for a truncated or corrupt image or one with more pixels than allowed (both from
``api.imaging``, which opens every image the app reads).

The pipeline, cheapest first
----------------------------
1. **Sniff and open.** Magic bytes decide the format (JPEG, PNG, WebP, HEIC/HEIF, GIF, BMP,
   TIFF); the pixel count is checked from the header before any pixel is decoded (our own
   limit, ``max_pixels``: Pillow's ``MAX_IMAGE_PIXELS`` is process-wide and is left alone).
   Phone JPEGs are decoded in draft mode straight to grayscale at half size (``Image.draft``):
   the *working image*, about 2000 px. The EXIF orientation is not applied to the pixels: codes
   are read in the stored frame and their corners mapped into the upright frame, which costs
   nothing (mirrored orientations, which phones do not write, are transposed).
2. **Whole image**, zxing-cpp, the formats carton labels carry: 1D on the working image, QR
   and DataMatrix on a copy half that size (the 2D detectors are the expensive part).
3. **Map**: per 16×16 cell of the working image (32 px of a 12 MP photo), mean absolute
   differences in four directions give the edge energy, how strongly it is oriented and which
   way. Busy cells form regions of two kinds, *bars* (oriented cells that agree, as in a 1D
   symbol) and *dense* (2D symbols, text). Cells that a read explains (inside its outline, or
   along its bars) are done. **Nothing left: stop** — the usual case for upright labels.
4. **Straightened crops at working resolution.** Clusters of what is left are cut out and
   turned so that their bars stand upright (an affine transform over the crop only), then
   read again, all formats. This reads GS1-128 with low bars and ITF-14 turned 15–45°, which
   both libraries miss on the whole image because no single scan line crosses all the bars.
   Regions still uncovered that look like a symbol get a close crop of their own.
5. **Full resolution**, only when a region that looks like a symbol (busy parallel bars, a
   dense square) is still uncovered: the photo is decoded at full size once, and those clusters
   are read again by zxing-cpp, then zbar (pyzbar) where zxing-cpp found nothing; what is still
   left gets a close crop read by both engines. This is where small codes are read.
6. **Close-ups** (small images) in which nothing was found: zbar on the whole image, then
   inverted symbols.

When to stop is the map's job (step 3, a few ms). It errs on the side of proposing: printed
text can look like bars, and then a photo pays for a crop or a full decode that finds nothing;
the price on the other side is a symbol too small or faint for the map to notice. The
thresholds are measured with ``bench/barcodes.py``: on its 12 MP set about a quarter of the
photos go to full resolution, nearly all of them because a symbol really was still unread.

No false reads
--------------
A wrong code is worse than a missed one: an inspector trusts what the app says. So:
* EAN/UPC reads must pass their check digit; ITF must be an ITF-14 (14 digits with a valid GS1
  check digit); GS1 element strings whose check digits (SSCC, GTIN, GLN) fail are dropped.
  Other GS1 data errors (an impossible date, an unknown AI) are kept and reported in ``gs1``.
* EAN/UPC and ITF have only a mod-10 check digit, which lets blurred bars through as a wrong
  but valid number. When two different texts are read at the same place, the one with clearly
  more evidence wins and otherwise both go; a read backed by only a few scan lines and seen
  only once is re-read on a close-up and kept only if that agrees.
* Two reads are one code when they have the same format family and the same text (so the same
  label twice in a photo gives one result).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageChops

from api import imaging
from api.barcodes import gs1
from api.imaging import BadImage, CorruptImage, NotAnImage

__all__ = [
    "BadImage",
    "Barcode",
    "DecodeError",
    "DecodeResult",
    "NotAnImage",
    "decode_image",
    "sniff_image_type",
]

DEFAULT_MAX_PIXELS = 50_000_000


# ------------------------------------------------------------------------------------------
# Errors: api.imaging's, re-exported
# ------------------------------------------------------------------------------------------

#: The base class of :class:`NotAnImage` and :class:`BadImage`, by this module's old name for it.
DecodeError = imaging.ImageError


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Barcode:
    """One decoded symbol.

    ``format``: EAN13, EAN8, UPCA, UPCE, ITF, Code128, GS1-128, Code39, Code93, QRCode,
    DataMatrix, PDF417, DataBar, DataBarExpanded, DataBarLimited.
    ``text``: the content as encoded; GS1 element strings come raw, FNC1 as ASCII GS (\\x1d).
    UPC-A is given as 13 digits with a leading 0, as both engines report it.
    ``symbology_identifier``: the AIM identifier, e.g. ``]C1`` for GS1-128, ``]d2`` GS1
    DataMatrix, ``]Q3`` GS1 QR, ``]E0`` EAN-13.
    ``gs1``: ``gs1.parse(...).to_dict()`` for GS1 symbols and for EAN/UPC/ITF-14 (as a GTIN),
    else None.
    ``position``: the four corners ``[[x, y], …]`` in the upright image (EXIF orientation
    applied), in pixels of the original image.
    ``engine``: ``zxing-cpp`` or ``zbar``.
    """

    format: str
    text: str
    symbology_identifier: str | None
    gs1: dict[str, Any] | None
    position: list[list[int]]
    engine: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "text": self.text,
            "symbology_identifier": self.symbology_identifier,
            "gs1": self.gs1,
            "position": self.position,
            "engine": self.engine,
        }


@dataclass(slots=True)
class DecodeResult:
    """``barcodes`` in reading order (top to bottom, left to right); ``width``/``height`` of the
    upright image; ``ms`` wall time of ``decode_image``; ``stages`` the pipeline stages that ran
    (for diagnostics)."""

    barcodes: list[Barcode]
    width: int
    height: int
    ms: float
    stages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "barcodes": [b.to_dict() for b in self.barcodes],
            "width": self.width,
            "height": self.height,
            "ms": round(self.ms, 1),
        }


# ------------------------------------------------------------------------------------------
# Sniffing and opening
# ------------------------------------------------------------------------------------------

def sniff_image_type(data: bytes) -> str | None:
    """The image type by its magic bytes: jpeg, png, webp, heif, gif, bmp, tiff, or None."""
    kind = imaging.sniff(data)
    return "heif" if kind == "heic" else kind


def _open(data: bytes, max_pixels: int) -> tuple[str, Image.Image]:
    """The format and the image, header only; every format sniffing knows is read here."""
    return imaging.open_image(data, max_pixels=max_pixels, accept=imaging.FORMATS)


def _load_gray(img: Image.Image, max_pixels: int) -> Image.Image:
    """Decode (at the draft's scale, if one is set), then grayscale."""
    imaging.load(img, max_pixels=max_pixels)
    try:
        return _to_gray(img)
    except imaging.DECODE_ERRORS as exc:  # a mode Pillow cannot turn into L, as in a LAB TIFF
        raise CorruptImage(detail=f"{img.mode}: {exc}") from None


def _to_gray(img: Image.Image) -> Image.Image:
    if img.mode == "L":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    return img.convert("L")


# ------------------------------------------------------------------------------------------
# Geometry: every attempt works on an image that is an affine view of the stored (raw) frame.
# ------------------------------------------------------------------------------------------

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class _Affine:
    """(x, y) in an attempt's image → (a*x + b*y + c, d*x + e*y + f) in the raw full-size frame."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    e: float = 1.0
    f: float = 0.0

    def __call__(self, p: Point) -> Point:
        x, y = p
        return (self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f)

    def then(self, other: _Affine) -> _Affine:
        """First self, then other: p → other(self(p))."""
        o = other
        return _Affine(
            o.a * self.a + o.b * self.d,
            o.a * self.b + o.b * self.e,
            o.a * self.c + o.b * self.f + o.c,
            o.d * self.a + o.e * self.d,
            o.d * self.b + o.e * self.e,
            o.d * self.c + o.e * self.f + o.f,
        )


def _scale(s: float) -> _Affine:
    return _Affine(s, 0, 0, 0, s, 0)


def _orient_point(p: Point, orientation: int, w: int, h: int) -> Point:
    """Raw-frame point → upright-frame point for EXIF orientations 1, 3, 6, 8 (w, h: raw size)."""
    x, y = p
    if orientation == 3:
        return (w - x, h - y)
    if orientation == 6:
        return (h - y, x)
    if orientation == 8:
        return (y, w - x)
    return (x, y)


_MIRRORING = {2: Image.Transpose.FLIP_LEFT_RIGHT, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 7: Image.Transpose.TRANSVERSE}


# ------------------------------------------------------------------------------------------
# Engines
# ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Read:
    format: str
    text: str
    symbology_identifier: str | None
    corners: list[Point]  # raw full-size frame
    engine: str
    lines: float  # extent across the scan direction, in full-size pixels (1D evidence)
    stage: str
    gs1_content: bool = False


_ZX: Any = None


def _zxing() -> Any:
    global _ZX
    if _ZX is None:
        import zxingcpp

        _ZX = zxingcpp
    return _ZX


def _formats(kind: str) -> Any:
    z = _zxing()
    F = z.BarcodeFormat
    linear = [F.EAN13, F.EAN8, F.UPCA, F.UPCE, F.ITF, F.Code128, F.Code39, F.Code93, F.DataBar,
              F.DataBarExp, F.DataBarLtd]
    matrix = [F.QRCode, F.DataMatrix, F.PDF417]
    # What carton labels carry: the whole-image pass reads only these (PDF417 and DataBar would
    # cost a third of its time); crops read everything.
    label_1d = linear[:8]
    label_2d = [F.QRCode, F.DataMatrix]
    return z.BarcodeFormats({"linear": linear, "all": linear + matrix,
                             "label-1d": label_1d, "label-2d": label_2d}[kind])


_ZX_NAMES = {
    "EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "ITF": "ITF", "ITF14": "ITF",
    "Code128": "Code128", "Code39": "Code39", "Code39Std": "Code39", "Code39Ext": "Code39",
    "Code93": "Code93", "QRCode": "QRCode", "QRCodeModel2": "QRCode", "QRCodeModel1": "QRCode",
    "MicroQRCode": "MicroQRCode", "DataMatrix": "DataMatrix", "PDF417": "PDF417",
    "CompactPDF417": "PDF417", "Aztec": "Aztec", "AztecCode": "Aztec", "DataBar": "DataBar",
    "DataBarOmni": "DataBar", "DataBarStk": "DataBar", "DataBarStkOmni": "DataBar",
    "DataBarExp": "DataBarExpanded", "DataBarExpStk": "DataBarExpanded", "DataBarLtd": "DataBarLimited",
}

_LINEAR = {"EAN13", "EAN8", "UPCA", "UPCE", "ITF", "Code128", "GS1-128", "Code39", "Code93",
           "DataBar", "DataBarExpanded", "DataBarLimited"}


def _normalize_format(name: str, text: str, sym: str | None) -> str:
    fmt = _ZX_NAMES.get(name, name)
    if fmt == "EAN13" and text.startswith("0"):
        fmt = "UPCA"  # an EAN-13 with a leading 0 is a UPC-A symbol
    if fmt == "Code128" and sym == "]C1":
        fmt = "GS1-128"
    return fmt


def _quad_lines(corners: Sequence[Point]) -> float:
    """The shorter side of a quadrilateral (for a 1D read: how many scan lines it spans)."""
    tl, tr, br, bl = corners
    d = lambda p, q: math.hypot(p[0] - q[0], p[1] - q[1])  # noqa: E731
    return min(d(tl, bl), d(tr, br), d(tl, tr), d(bl, br))


def _zx_read(img: Image.Image, to_raw: _Affine, stage: str, kind: str = "all", **opts: Any) -> list[_Read]:
    z = _zxing()
    opts.setdefault("try_invert", False)
    results = z.read_barcodes(img, formats=_formats(kind), text_mode=z.TextMode.Plain, **opts)
    scale = math.hypot(to_raw.a, to_raw.d)
    out = []
    for r in results:
        p = r.position
        local = [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y),
                 (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
        sym = r.symbology_identifier or None
        fmt = _normalize_format(r.format.name, r.text, sym)
        gs1_content = str(r.content_type).endswith("GS1")
        out.append(_Read(fmt, r.text, sym, [to_raw(q) for q in local], "zxing-cpp",
                         _quad_lines(local) * scale, stage, gs1_content))
    return out


_zbar_lock = threading.Lock()
_zbar_api: dict[str, Any] | None = None

_ZBAR_NAMES = {"EAN13": "EAN13", "EAN8": "EAN8", "UPCA": "UPCA", "UPCE": "UPCE", "I25": "ITF",
               "CODE128": "Code128", "CODE39": "Code39", "CODE93": "Code93", "QRCODE": "QRCode",
               "DATABAR": "DataBar", "DATABAR_EXP": "DataBarExpanded"}
_ZBAR_AIM = {"EAN13": "]E0", "EAN8": "]E4", "UPCA": "]E0", "UPCE": "]E0", "ITF": "]I0", "Code128": "]C0",
             "Code39": "]A0", "Code93": "]G0", "QRCode": "]Q1", "DataBar": "]e0", "DataBarExpanded": "]e0"}


def _zbar() -> dict[str, Any] | None:
    """pyzbar's ctypes bindings, plus zbar_symbol_get_modifiers (for the GS1 flag)."""
    global _zbar_api
    with _zbar_lock:
        if _zbar_api is None:
            try:
                from ctypes import POINTER, c_uint

                from pyzbar import pyzbar, wrapper

                api = {"pyzbar": pyzbar, "wrapper": wrapper}
                try:
                    api["modifiers"] = wrapper.zbar_function(
                        "zbar_symbol_get_modifiers", c_uint, POINTER(wrapper.zbar_symbol))
                except AttributeError:
                    api["modifiers"] = None
                _zbar_api = api
            except Exception:  # libzbar missing: run without the second engine
                _zbar_api = {}
        return _zbar_api or None


def _zbar_read(img: Image.Image, to_raw: _Affine, stage: str) -> list[_Read]:
    api = _zbar()
    if api is None:
        return []
    from ctypes import c_void_p, cast, string_at

    w = api["wrapper"]
    pz = api["pyzbar"]
    S = w.ZBarSymbol
    # Only symbologies with a check character (or error correction) from zbar: its Code 39/93
    # reads of textured cardboard are not trustworthy, and zxing-cpp reads those better anyway.
    enable = [S.EAN13, S.EAN8, S.UPCE, S.I25, S.CODE128, S.QRCODE, S.DATABAR, S.DATABAR_EXP]
    if img.mode != "L":
        img = img.convert("L")
    pixels = img.tobytes()
    out: list[_Read] = []
    scanner = w.zbar_image_scanner_create()
    try:
        w.zbar_image_scanner_set_config(scanner, 0, w.ZBarConfig.CFG_ENABLE, 0)  # all off
        for s in enable:
            w.zbar_image_scanner_set_config(scanner, s, w.ZBarConfig.CFG_ENABLE, 1)
        image = w.zbar_image_create()
        try:
            w.zbar_image_set_format(image, pz._FOURCC["L800"])
            w.zbar_image_set_size(image, img.width, img.height)
            w.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)
            if w.zbar_scan_image(scanner, image) < 0:
                return []
            sym = w.zbar_image_first_symbol(image)
            while sym:
                data = string_at(w.zbar_symbol_get_data(sym), w.zbar_symbol_get_data_length(sym))
                try:
                    tname = S(sym.contents.type).name
                except ValueError:
                    tname = "?"
                mods = api["modifiers"](sym) if api["modifiers"] else 0
                n = w.zbar_symbol_get_loc_size(sym)
                pts = [(w.zbar_symbol_get_loc_x(sym, i), w.zbar_symbol_get_loc_y(sym, i)) for i in range(n)]
                quality = w.zbar_symbol_get_quality(sym)  # scan lines that agreed
                orient = w.zbar_symbol_get_orientation(sym) if w.zbar_symbol_get_orientation else -1
                sym = w.zbar_symbol_next(sym)
                fmt = _ZBAR_NAMES.get(tname)
                if fmt is None or not pts:
                    continue
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode("latin-1")
                is_gs1 = bool(mods & 1)
                aim = _ZBAR_AIM.get(fmt)
                if is_gs1:
                    aim = {"Code128": "]C1", "QRCode": "]Q3"}.get(fmt, aim)
                fmt = _normalize_format(fmt, text, aim)
                xs = [p[0] for p in pts]
                ys = [p[1] for p in pts]
                x0, x1, y0, y1 = min(xs), max(xs) + 1, min(ys), max(ys) + 1
                if fmt in _LINEAR:
                    # zbar gives the middle of each scan line that read the symbol: find the
                    # symbol's ends along the middle scan line.
                    horizontal = orient in (0, 2) or (orient < 0 and (x1 - x0) >= (y1 - y0))
                    if horizontal:
                        yc = (y0 + y1) // 2
                        lo, hi = _extent(img.crop((0, yc, img.width, yc + 1)).tobytes(), (x0 + x1) // 2)
                        local = [(lo, y0), (hi, y0), (hi, y1), (lo, y1)]
                    else:
                        xc = (x0 + x1) // 2
                        col = img.crop((xc, 0, xc + 1, img.height)).tobytes()
                        lo, hi = _extent(col, (y0 + y1) // 2)
                        local = [(x1, lo), (x1, hi), (x0, hi), (x0, lo)]
                elif len(pts) == 4:
                    local = [(float(x), float(y)) for x, y in pts]
                else:
                    local = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
                scale = math.hypot(to_raw.a, to_raw.d)
                # zbar's outline of a 1D symbol is only where its scan lines crossed it; the
                # number of agreeing scan lines is the better measure of evidence.
                out.append(_Read(fmt, text, aim, [to_raw(q) for q in local], "zbar",
                                 max(1, quality) * scale, stage, is_gs1))
        finally:
            w.zbar_image_destroy(image)
    finally:
        w.zbar_image_scanner_destroy(scanner)
    return out


def _extent(line: bytes, centre: int) -> tuple[int, int]:
    """Ends of a 1D symbol along one scan line through its middle: walk out from the centre
    over the bar edges until a gap much wider than the bars (the quiet zone)."""
    n = len(line)
    lo_v, hi_v = min(line, default=0), max(line, default=0)
    thr = max(8, (hi_v - lo_v) // 4)
    edges: list[int] = []
    run_start = -1
    for i in range(1, n + 1):
        strong = i < n and abs(line[i] - line[i - 1]) >= thr
        if strong and run_start < 0:
            run_start = i
        elif not strong and run_start >= 0:
            edges.append((run_start + i - 1) // 2)  # one edge per run of steep pixels
            run_start = -1
    if len(edges) < 4:
        return 0, n
    k = min(range(len(edges)), key=lambda i: abs(edges[i] - centre))
    near = edges[max(0, k - 10): k + 11]
    gaps = sorted(b - a for a, b in zip(near, near[1:]))
    quiet = max(4, 4 * gaps[len(gaps) // 2])
    lo = hi = k
    while lo > 0 and edges[lo] - edges[lo - 1] <= quiet:
        lo -= 1
    while hi < len(edges) - 1 and edges[hi + 1] - edges[hi] <= quiet:
        hi += 1
    return edges[lo], edges[hi] + 1


# ------------------------------------------------------------------------------------------
# Validation: no false reads
# ------------------------------------------------------------------------------------------

_RETAIL = {"EAN13", "EAN8", "UPCA", "UPCE"}
_WEAK = _RETAIL | {"ITF"}  # only a mod-10 check digit protects these
_GS1_SYMS = gs1.GS1_SYMBOLOGY_IDENTIFIERS


def _upce_to_upca(code: str) -> str | None:
    if len(code) != 8 or not code.isdigit() or code[0] not in "01":
        return None
    ns, d, check = code[0], code[1:7], code[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def _is_gs1(read: _Read) -> bool:
    return read.gs1_content or (read.symbology_identifier in _GS1_SYMS)


def _validate(read: _Read) -> tuple[bool, dict[str, Any] | None]:
    """(accept?, gs1 dict or None)."""
    fmt, text = read.format, read.text
    if fmt in _RETAIL:
        digits = _upce_to_upca(text) if fmt == "UPCE" else text
        if digits is None or not gs1.has_valid_check_digit(digits):
            return False, None
        return True, gs1.parse(digits).to_dict()
    if fmt == "ITF":
        if len(text) != 14 or not gs1.is_valid_gtin(text):
            return False, None
        return True, gs1.parse(text).to_dict()
    if _is_gs1(read):
        sym = read.symbology_identifier if read.symbology_identifier in _GS1_SYMS else "]C1"
        parsed = gs1.parse(text, symbology_identifier=sym)
        if any(e.code == "bad_check_digit" for e in parsed.errors):
            return False, None
        return True, parsed.to_dict()
    return True, None


def _family(fmt: str) -> str:
    if fmt in ("EAN13", "UPCA"):
        return "EAN13"
    if fmt in ("Code128", "GS1-128"):
        return "Code128"
    return fmt


# ------------------------------------------------------------------------------------------
# Candidate regions ("is anything left?")
# ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Region:
    cells: list[tuple[int, int]]
    bbox: tuple[int, int, int, int]  # in cells: x0, y0, x1, y1 (exclusive)
    angle: float  # dominant gradient direction of its bars, radians, in [-pi/4, pi/4)
    oriented: bool  # bars (True) or dense (False)
    energy: float


@dataclass(slots=True)
class _Grid:
    w: int
    h: int
    cell: float  # cell size in raw full-size pixels
    energy: list[float]
    aniso: list[float]
    angle: list[float]
    threshold: float
    active: list[int]  # cells at or above the threshold


def _grid(small: Image.Image, cell_px: int, raw_per_small: float) -> _Grid:
    """Per cell of ``cell_px`` × ``cell_px`` pixels of ``small``: mean absolute difference
    horizontally, vertically and along both diagonals → energy, anisotropy and direction."""
    w, h = small.size
    if w < 2 or h < 2:
        # A line of pixels (a 1×1 or 1×100 image) has no neighbours to differ from: no cell, nothing left
        # to look at. What the whole-image reads found is all there is (usually nothing: "no barcode").
        return _Grid(0, 0, cell_px * raw_per_small, [], [], [], 18.0, [])
    base = small.crop((0, 0, w - 1, h - 1))
    right = small.crop((1, 0, w, h - 1))
    down = small.crop((0, 1, w - 1, h))
    diag = small.crop((1, 1, w, h))
    m0 = ImageChops.difference(base, right).reduce(cell_px)
    m90 = ImageChops.difference(base, down).reduce(cell_px)
    m45 = ImageChops.difference(base, diag).reduce(cell_px)
    m135 = ImageChops.difference(right, down).reduce(cell_px)
    gw, gh = m0.size
    f0, f90, f45, f135 = _flat(m0), _flat(m90), _flat(m45), _flat(m135)
    energy = [a + b for a, b in zip(f0, f90)]
    srt = sorted(energy)
    # Cardboard, paper and sensor noise sit well below this; ink edges well above.
    threshold = max(18.0, min(40.0, 3.0 * srt[len(srt) // 2]))
    n = gw * gh
    aniso = [0.0] * n
    angle = [0.0] * n
    active = [i for i, e in enumerate(energy) if e >= threshold]
    for i in active:
        c, s = f0[i] - f90[i], (f45[i] - f135[i]) * 0.7071
        aniso[i] = math.hypot(c, s) / energy[i]
        angle[i] = 0.5 * math.atan2(s, c)
    return _Grid(gw, gh, cell_px * raw_per_small, energy, aniso, angle, threshold, active)


def _flat(img: Image.Image) -> Sequence[int]:
    getter = getattr(img, "get_flattened_data", None)  # Pillow ≥ 12.1; getdata() is deprecated
    return tuple(getter() if getter else img.getdata())


def _regions(g: _Grid, blocked: list[bool]) -> list[_Region]:
    """Connected groups of busy cells that no read covers (``blocked``), in two kinds: ``bars``
    (strongly oriented cells whose directions agree, as in a 1D symbol) and ``dense`` (busy
    cells without one direction, as in a 2D symbol, or text)."""
    w, h = g.w, g.h
    n = w * h
    kind = [0] * n  # 0 idle, 1 bars, 2 dense
    for i in g.active:
        if not blocked[i]:
            kind[i] = 1 if g.aniso[i] >= _BAR_ANISO else 2
    seen = [False] * n
    regions = []
    for start in g.active:
        k = kind[start]
        if not k or seen[start]:
            continue
        stack = [start]
        seen[start] = True
        cells = []
        while stack:
            i = stack.pop()
            cells.append(i)
            x, y = i % w, i // w
            ai = g.angle[i]
            for dy in (-1, 0, 1):
                yy = y + dy
                if yy < 0 or yy >= h:
                    continue
                for dx in (-1, 0, 1):
                    xx = x + dx
                    if 0 <= xx < w:
                        j = yy * w + xx
                        if kind[j] == k and not seen[j]:
                            if k == 1:
                                da = abs(g.angle[j] - ai) % math.pi
                                if min(da, math.pi - da) > _BAR_ANGLE_TOL:
                                    continue
                            seen[j] = True
                            stack.append(j)
        if len(cells) < 2:
            continue
        xs = [i % w for i in cells]
        ys = [i // w for i in cells]
        # Dominant direction modulo 90° (codes on one label are parallel or perpendicular):
        # circular mean of 4 × angle, weighted by energy × anisotropy.
        sx = sy = 0.0
        etot = 0.0
        for i in cells:
            wgt = g.energy[i] * g.aniso[i]
            sx += wgt * math.cos(4 * g.angle[i])
            sy += wgt * math.sin(4 * g.angle[i])
            etot += g.energy[i]
        ang = math.atan2(sy, sx) / 4
        regions.append(_Region([(i % w, i // w) for i in cells], (min(xs), min(ys), max(xs) + 1, max(ys) + 1),
                               ang, k == 1, etot / len(cells)))
    return regions


_BAR_ANISO = 0.5
_BAR_ANGLE_TOL = math.radians(20)


def _point_in_quad(p: Point, q: Sequence[Point]) -> bool:
    x, y = p
    inside = False
    n = len(q)
    for i in range(n):
        x1, y1 = q[i]
        x2, y2 = q[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            t = (y - y1) / (y2 - y1)
            if x < x1 + t * (x2 - x1):
                inside = not inside
    return inside


def _grow(quad: Sequence[Point], margin: float) -> list[Point]:
    cx = sum(p[0] for p in quad) / 4
    cy = sum(p[1] for p in quad) / 4
    out = []
    for x, y in quad:
        dx, dy = x - cx, y - cy
        d = math.hypot(dx, dy) or 1.0
        out.append((x + dx / d * margin, y + dy / d * margin))
    return out


def _blocked(g: _Grid, reads: Iterable[_Read]) -> list[bool]:
    """Cells a read explains: those whose centre lies in its quadrilateral (grown by one and a
    half cells) and, for a 1D read, the rest of its bars: oriented cells along its bars that
    connect to it (a read can span fewer scan lines than the bars are tall)."""
    w = g.w
    blocked = [False] * (w * g.h)
    for r in reads:
        q = _grow(r.corners, g.cell * 1.5)
        xs = [p[0] / g.cell for p in q]
        ys = [p[1] / g.cell for p in q]
        mine = []
        for cy in range(max(0, int(min(ys))), min(g.h, int(max(ys)) + 1)):
            for cx in range(max(0, int(min(xs))), min(w, int(max(xs)) + 1)):
                if _point_in_quad(((cx + 0.5) * g.cell, (cy + 0.5) * g.cell), q):
                    blocked[cy * w + cx] = True
                    mine.append(cy * w + cx)
        if r.format in _LINEAR:
            _grow_along_bars(g, r, mine, blocked)
    return blocked


def _grow_along_bars(g: _Grid, r: _Read, seeds: list[int], blocked: list[bool]) -> None:
    (x0, y0), (x1, y1) = r.corners[0], r.corners[1]
    length = math.hypot(x1 - x0, y1 - y0)
    if length < 1:
        return
    ux, uy = (x1 - x0) / length, (y1 - y0) / length  # along the scan: across the bars
    direction = math.atan2(uy, ux)
    reach = 0.75 * length  # bars are seldom taller than this
    w, h = g.w, g.h
    stack = list(seeds)
    while stack:
        i = stack.pop()
        cx, cy = i % w, i // w
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nx, ny = cx + dx, cy + dy
            if not (0 <= nx < w and 0 <= ny < h):
                continue
            j = ny * w + nx
            if blocked[j] or g.energy[j] < g.threshold or g.aniso[j] < _BAR_ANISO:
                continue
            da = abs(g.angle[j] - direction) % math.pi
            if min(da, math.pi - da) > _BAR_ANGLE_TOL:
                continue
            px, py = (nx + 0.5) * g.cell - x0, (ny + 0.5) * g.cell - y0
            along = px * ux + py * uy
            across = -px * uy + py * ux
            if -g.cell <= along <= length + g.cell and abs(across) <= reach:
                blocked[j] = True
                stack.append(j)


def _looks_like_symbol(reg: _Region) -> bool:
    """Worth a full-resolution look: busy parallel bars, or a dense block of high energy.
    (Thresholds measured on bench/barcodes.py: they catch the symbols the working resolution
    misses, while printed text rarely passes.)"""
    x0, y0, x1, y1 = reg.bbox
    n = len(reg.cells)
    fill = n / ((x1 - x0) * (y1 - y0))
    if reg.oriented:
        return ((n >= 3 and reg.energy >= 65) or (n >= 10 and reg.energy >= 50 and fill >= 0.2)
                or (n >= 40 and reg.energy >= 25 and fill >= 0.2))
    if n >= 9 and reg.energy >= 60 and fill >= 0.3:
        return True
    # a small square of high energy: a 2D symbol too small for the working resolution
    bw, bh = x1 - x0, y1 - y0
    return n >= 6 and reg.energy >= 50 and fill >= 0.5 and max(bw, bh) <= 2 * min(bw, bh)


# ------------------------------------------------------------------------------------------
# The pipeline
# ------------------------------------------------------------------------------------------

WORK_LONG_SIDE = 2048  # working resolution, about (JPEG: draft mode, a power of two smaller)
MAP_CELL = 16  # cell of the candidate map, in working pixels (32 px of a 12 MP photo)
SMALL_IMAGE = 1_500_000  # pixels: below, a close-up, where trying everything is cheap


class _Source:
    """The stored image at working and (lazily) full resolution, both in the raw frame."""

    def __init__(self, data: bytes, max_pixels: int) -> None:
        self.data, self.max_pixels = data, max_pixels
        self.kind, img = _open(data, max_pixels)
        self.raw_size = img.size
        try:
            self.orientation = int(img.getexif().get(0x0112, 1) or 1)
        except Exception:
            self.orientation = 1
        if self.orientation not in range(1, 9):
            self.orientation = 1
        self._full: Image.Image | None = None
        w, h = img.size
        factor = 1
        if self.kind == "jpeg":
            while max(w, h) // (factor * 2) >= WORK_LONG_SIDE * 0.75 and factor < 8:
                factor *= 2
            if factor > 1:
                img.draft("L", (w // factor, h // factor))
        work = _load_gray(img, max_pixels)
        if factor == 1:
            self._full = work
            # Non-JPEG large images: decode fully, then work on a box-reduced copy.
            while max(work.size) // 2 >= WORK_LONG_SIDE * 0.75:
                work = work.reduce(2)
        self.work = self._mirror(work)
        if self._full is not None:
            self._full = self._mirror(self._full)
        self.work_scale = self.raw_w / self.work.width  # raw px per work px

    @property
    def raw_w(self) -> int:
        return self.size_after_mirror[0]

    @property
    def size_after_mirror(self) -> tuple[int, int]:
        w, h = self.raw_size
        if self.orientation in (5, 7):
            return (h, w)
        return (w, h)

    def _mirror(self, img: Image.Image) -> Image.Image:
        method = _MIRRORING.get(self.orientation)
        return img.transpose(method) if method is not None else img

    @property
    def full_loaded(self) -> bool:
        return self._full is not None

    def full(self) -> Image.Image:
        if self._full is None:
            _, img = _open(self.data, self.max_pixels)
            if self.kind == "jpeg":
                img.draft("L", img.size)  # grayscale straight from the decoder: no colour conversion
            self._full = self._mirror(_load_gray(img, self.max_pixels))
        return self._full

    def to_upright(self, p: Point) -> Point:
        if self.orientation in _MIRRORING:
            return p  # pixels were already transposed to upright
        w, h = self.raw_size
        return _orient_point(p, self.orientation, w, h)

    @property
    def upright_size(self) -> tuple[int, int]:
        w, h = self.raw_size
        return (h, w) if self.orientation in (5, 6, 7, 8) else (w, h)


def _straight_crop(img: Image.Image, img_to_raw: _Affine, box: tuple[float, float, float, float],
                   angle: float, upscale: float = 1.0) -> tuple[Image.Image, _Affine]:
    """Cut ``box`` (in ``img`` pixels) out of ``img``, rotated by ``angle`` so that the bars of
    a code whose gradient points along ``angle`` become vertical."""
    x0, y0, x1, y1 = box
    if angle == 0.0 and upscale == 1.0:  # plain crop: exact pixels, no resampling
        ix0, iy0 = max(0, int(x0)), max(0, int(y0))
        ix1, iy1 = min(img.width, math.ceil(x1)), min(img.height, math.ceil(y1))
        return img.crop((ix0, iy0, ix1, iy1)), _Affine(1, 0, ix0, 0, 1, iy0).then(img_to_raw)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bw, bh = x1 - x0, y1 - y0
    ca, sa = math.cos(angle), math.sin(angle)
    ow = int((abs(bw * ca) + abs(bh * sa)) * upscale) + 2
    oh = int((abs(bw * sa) + abs(bh * ca)) * upscale) + 2
    k = 1.0 / upscale
    # output (u, v) → input: centre + R(angle) · ((u, v) - out_centre) / upscale
    a, b = ca * k, -sa * k
    d, e = sa * k, ca * k
    c = cx - a * ow / 2 - b * oh / 2
    f = cy - d * ow / 2 - e * oh / 2
    out = img.transform((ow, oh), Image.Transform.AFFINE, (a, b, c, d, e, f),
                        resample=Image.Resampling.BILINEAR, fillcolor=255)
    return out, _Affine(a, b, c, d, e, f).then(img_to_raw)


class _Collector:
    def __init__(self) -> None:
        self.reads: list[_Read] = []
        self.rejected: list[_Read] = []

    def add(self, reads: Iterable[_Read]) -> list[_Read]:
        new = []
        for r in reads:
            ok, _ = _validate(r)
            if not ok:
                self.rejected.append(r)
                continue
            self.reads.append(r)
            new.append(r)
        return new

    def groups(self) -> list[list[_Read]]:
        """Reads of one code: same format family and same text."""
        groups: dict[tuple[str, str], list[_Read]] = {}
        for r in self.reads:
            groups.setdefault((_family(r.format), r.text), []).append(r)
        return list(groups.values())

    def texts(self) -> set[str]:
        return {r.text for r in self.reads}


_MIN_LINES = 24.0  # full-size pixels across the scan lines: below, a weak-check read is re-checked


def _evidence(reads: list[_Read]) -> tuple[int, float]:
    """(independent reads, summed thickness): different stages and engines count separately."""
    best: dict[tuple[str, str], float] = {}
    for r in reads:
        k = (r.stage, r.engine)
        best[k] = max(best.get(k, 0.0), r.lines)
    return len(best), sum(best.values())


def _centre(q: Sequence[Point]) -> Point:
    return (sum(p[0] for p in q) / len(q), sum(p[1] for p in q) / len(q))


def _resolve(found: _Collector, src: _Source) -> list[tuple[_Read, dict[str, Any] | None]]:
    """One read per code, without the reads that a weak check digit let through wrongly.

    * Two different texts read at the same place (1D, at least one with a weak check digit):
      the one with clearly more evidence wins (3× the summed scan-line thickness); when neither
      does, both go.
    * A weak-check read seen only once and only by a few scan lines is re-read on a
      straightened close-up; it stays only if the close-up reads the same text.
    """
    groups = found.groups()
    best = [max(g, key=lambda r: (r.engine == "zxing-cpp", r.lines)) for g in groups]
    ev = [_evidence(g) for g in groups]
    drop = [False] * len(groups)
    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            a, b = best[i], best[j]
            if a.format not in _LINEAR or b.format not in _LINEAR:
                continue
            if a.format not in _WEAK and b.format not in _WEAK:
                continue
            if not (_point_in_quad(_centre(a.corners), b.corners) or _point_in_quad(_centre(b.corners), a.corners)):
                continue
            sa, sb = ev[i][1], ev[j][1]
            if sa >= 3 * sb:
                drop[j] = True
            elif sb >= 3 * sa:
                drop[i] = True
            else:
                drop[i] = drop[j] = True
    out = []
    for g, r, (n, _), d in zip(groups, best, ev, drop):
        if d:
            continue
        if r.format in _WEAK and n < 2 and r.lines < _MIN_LINES and r.text not in _verify(src, r):
            continue
        out.append((r, _validate(r)[1]))
    return out


def _verify(src: _Source, read: _Read) -> set[str]:
    """Texts read on a straightened close-up of ``read`` (full resolution when it is loaded,
    else the working image enlarged twice), by both engines."""
    q = read.corners
    sides = [(q[1][0] - q[0][0], q[1][1] - q[0][1]), (q[3][0] - q[0][0], q[3][1] - q[0][1])]
    dx, dy = max(sides, key=lambda v: math.hypot(*v))  # a thin read: the scan runs along its long side
    length = math.hypot(dx, dy)
    angle = math.atan2(dy, dx)
    # zxing-cpp's outline spans the symbol; zbar's only the part its scan lines crossed.
    pad = 0.3 * length
    xs, ys = [p[0] for p in q], [p[1] for p in q]
    raw_box = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    if src.full_loaded:
        img = src.full()
        scale, up = src.raw_w / img.width, 1.0
    else:
        img, scale, up = src.work, src.work_scale, 2.0
    box = tuple(v / scale for v in raw_box)
    box = (max(0.0, box[0]), max(0.0, box[1]), min(float(img.width), box[2]), min(float(img.height), box[3]))
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return set()
    # fold the direction into (-45°, 45°]: zxing-cpp also tries the crop turned by 90°
    angle = (angle + math.pi / 4) % (math.pi / 2) - math.pi / 4
    crop, to_raw = _straight_crop(img, _scale(scale), box, angle, upscale=up)
    reads = _zx_read(crop, to_raw, "verify", "linear", try_downscale=False) + _zbar_read(crop, to_raw, "verify")
    return {r.text for r in reads}


def decode_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> DecodeResult:
    """Decode every barcode in an image file's bytes. See the module docstring."""
    return _decode(data, max_pixels, None)


def _decode(data: bytes, max_pixels: int, trace: list | None) -> DecodeResult:
    """decode_image, with an optional ``trace`` list that collects (stage, cpu ms, info)."""
    t0 = time.perf_counter()
    c0 = time.thread_time()

    def mark(stage: str, **info: Any) -> None:
        if trace is not None:
            trace.append((stage, round((time.thread_time() - c0) * 1000, 1), info))

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("decode_image expects the image file's bytes")
    src = _Source(bytes(data), max_pixels)
    work, work_to_raw = src.work, _scale(src.work_scale)
    same_res = src.full_loaded and src.work_scale == 1.0  # the working image is the full image
    found = _Collector()
    stages = ["whole"]
    mark("open", size=src.raw_size, work=work.size, orientation=src.orientation)

    # 1. The whole image: 1D label formats on the working image, QR and DataMatrix on a copy
    #    half its size (the 2D detectors cost most, and the symbols they miss there are small
    #    dense squares on the map, read in step 3 or 4). A small image: everything, as is.
    small = work.width * work.height <= SMALL_IMAGE
    if small:
        found.add(_zx_read(work, work_to_raw, "whole", "all", try_downscale=True))
    else:
        found.add(_zx_read(work, work_to_raw, "whole", "label-1d", try_downscale=False))
        found.add(_zx_read(work.reduce(2), _scale(src.work_scale * 2), "whole", "label-2d", try_downscale=False))
    mark("whole", texts=sorted(found.texts()))

    # 2. The map; what the reads cover is done. Nothing left: stop here.
    grid = _grid(work, MAP_CELL, src.work_scale)
    left = _regions(grid, _blocked(grid, found.reads))
    mark("map", regions=len(left))

    # 3. Straightened crops at working resolution: clusters of uncovered regions first, then
    #    a close crop of each region that still looks like a symbol.
    todo: list[_Cluster] = []
    work_px = work.width * work.height
    if left:
        stages.append("crops")
        budget = _Budget(1.0 * work_px)
        for cl in sorted((c for c in _clusters(left, grid) if _worth_a_crop(c)), key=_priority, reverse=True):
            _read_cluster(src, cl, grid, found, budget, full=False)
        left = _regions(grid, _blocked(grid, found.reads))
        close = [r for r in left if _looks_like_symbol(r)]
        if close:
            budget = _Budget(0.25 * work_px, crops=12)
            for cl in sorted(_clusters(close, grid, gap=1), key=_priority, reverse=True):
                _read_cluster(src, cl, grid, found, budget, full=False, margin=2.5)
            left = _regions(grid, _blocked(grid, found.reads))
        # what still looks like a symbol goes to full resolution, with its surroundings
        todo = [cl for cl in _clusters(left, grid) if any(_looks_like_symbol(r) for r in cl.regions)]
        mark("crops", texts=sorted(found.texts()), todo=[cl.bbox for cl in todo])

    # 4. Full resolution (decoded now, once) for those clusters; then a close crop, read by both
    #    engines, of each region still uncovered (a big crop can hide a small symbol). When the
    #    working image is the full image, only zbar is new here.
    if todo:
        stages.append("zbar" if same_res else "full")
        full_px = src.raw_size[0] * src.raw_size[1]
        budget = _Budget(0.4 * full_px)
        for cl in sorted(todo, key=_priority, reverse=True):
            _read_cluster(src, cl, grid, found, budget, full=True, zxing=not same_res)
        close = [r for r in _regions(grid, _blocked(grid, found.reads)) if _looks_like_symbol(r)]
        budget = _Budget(0.1 * full_px, crops=12)
        for cl in sorted(_clusters(close, grid, gap=1), key=_priority, reverse=True):
            _read_cluster(src, cl, grid, found, budget, full=True, zxing=not same_res, zbar=True, margin=2.5)
        mark("full", texts=sorted(found.texts()))

    # 5. A close-up (a small image) where nothing was found: zbar on all of it, then inverted
    #    symbols. Cheap at this size.
    if not found.reads and same_res and small:
        stages.append("close-up")
        found.add(_zbar_read(work, work_to_raw, "zbar"))
        if not found.reads:
            found.add(_zx_read(work, work_to_raw, "inverted", try_invert=True))
        mark("close-up", texts=sorted(found.texts()))

    accepted = _resolve(found, src)
    if trace is not None:
        mark("resolve", reads=[(r.format, r.text, r.stage, r.engine, round(r.lines)) for r in found.reads],
             rejected=[(r.format, r.text, r.stage, r.engine) for r in found.rejected])
    barcodes = []
    for read, gs1_dict in accepted:
        corners = [src.to_upright(p) for p in read.corners]
        barcodes.append(Barcode(read.format, read.text, read.symbology_identifier, gs1_dict,
                                [[round(x), round(y)] for x, y in corners], read.engine))
    # reading order: top to bottom, then left to right
    barcodes.sort(key=lambda b: (min(p[1] for p in b.position) // 50, min(p[0] for p in b.position)))
    uw, uh = src.upright_size
    return DecodeResult(barcodes, uw, uh, (time.perf_counter() - t0) * 1000, stages)


@dataclass(slots=True)
class _Cluster:
    bbox: tuple[int, int, int, int]  # cells
    angle: float
    regions: list[_Region]


def _clusters(regions: list[_Region], g: _Grid, gap: int = 2) -> list[_Cluster]:
    """Group regions whose boxes are within ``gap`` cells of each other (one label's symbols
    end up together), each group with its dominant bar direction (modulo 90°)."""
    boxes = [list(r.bbox) for r in regions]
    members = [[r] for r in regions]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            if not members[i]:
                continue
            for j in range(i + 1, len(boxes)):
                if not members[j]:
                    continue
                a, b = boxes[i], boxes[j]
                if a[0] - gap <= b[2] and b[0] - gap <= a[2] and a[1] - gap <= b[3] and b[1] - gap <= a[3]:
                    boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    members[i] += members[j]
                    members[j] = []
                    merged = True
    out = []
    for box, regs in zip(boxes, members):
        if not regs:
            continue
        sx = sy = 0.0
        for r in regs:
            wgt = len(r.cells) * r.energy * (1.0 if r.oriented else 0.2)
            sx += wgt * math.cos(4 * r.angle)
            sy += wgt * math.sin(4 * r.angle)
        out.append(_Cluster(tuple(box), math.atan2(sy, sx) / 4, regs))
    return out


class _Budget:
    """A fixed allowance of pixels (and crops) to read at one resolution, so that a photo full of
    print (a packing list, a page of text) cannot turn into seconds of work. Clusters are read
    in order of priority, so the symbols get the allowance first."""

    def __init__(self, pixels: float, crops: int = 1_000) -> None:
        self.pixels, self.crops = pixels, crops

    def take(self, pixels: float) -> bool:
        if pixels > self.pixels or self.crops <= 0:
            return False
        self.pixels -= pixels
        self.crops -= 1
        return True


def _priority(cl: _Cluster) -> float:
    """Bars before dense blocks, big and busy before small and faint."""
    return max(len(r.cells) * r.energy * (2.0 if r.oriented else 1.0) for r in cl.regions)


def _worth_a_crop(cl: _Cluster) -> bool:
    """Some bars, or a sizeable dense block: small dense specks are text."""
    return any(len(r.cells) >= (3 if r.oriented else 20) for r in cl.regions)


def _read_cluster(src: _Source, cl: _Cluster, grid: _Grid, found: _Collector, budget: _Budget, *,
                  full: bool, zxing: bool = True, zbar: bool = False, margin: float = 1.5) -> None:
    x0, y0, x1, y1 = cl.bbox
    raw_box = ((x0 - margin) * grid.cell, (y0 - margin) * grid.cell,
               (x1 + margin) * grid.cell, (y1 + margin) * grid.cell)
    if full:
        img = src.full()
        scale = src.raw_w / img.width
        stage = "full"
    else:
        img, scale = src.work, src.work_scale
        stage = "crop"
    box = tuple(v / scale for v in raw_box)
    box = (max(0.0, box[0]), max(0.0, box[1]), min(float(img.width), box[2]), min(float(img.height), box[3]))
    if box[2] - box[0] < 8 or box[3] - box[1] < 8:
        return
    if not budget.take((box[2] - box[0]) * (box[3] - box[1])):
        return
    angle = cl.angle
    if abs(angle) < math.radians(3):
        angle = 0.0
    crop, to_raw = _straight_crop(img, _scale(scale), box, angle)
    new = found.add(_zx_read(crop, to_raw, stage, "all", try_downscale=False)) if zxing else []
    if zbar or (not new and full):
        found.add(_zbar_read(crop, to_raw, "zbar"))
