"""Barcode decoding benchmark (not a test).

    .venv/bin/python bench/barcodes.py [--regenerate] [--only NAME] [--limit N] [--verbose]

It builds a fixed, seeded set of synthetic carton-label photos: 12 MP JPEGs (4000x3000, or
3000x4000 portrait photos stored sideways with an EXIF orientation tag), labels rotated up to
45°, with perspective, blur, glare, noise, small codes and several codes per label (GS1-128 SSCC,
GS1-128 with (02)(37)(10), ITF-14, EAN-13, QR, GS1 DataMatrix), plus a few photos without any
code. The photos are cached under bench/.cache/ (which ignores itself), so reruns are quick.

On that set and on the test images in tests/data/barcodes it reports for each
approach: the share of expected codes read, the false reads (a code reported with a text that
is not expected in that photo), and the median and p90 time per photo (from the file's bytes
to the result, one thread), both wall clock and the thread's CPU time (the machine is shared:
other load inflates the wall clock, not the CPU time):

* pyzbar       pyzbar.decode on the full image (EXIF-transposed, grayscale)
* zxing-cpp    zxingcpp.read_barcodes on the full image (EXIF-transposed, grayscale)
* pipeline     api.barcodes.decoding.decode_image
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.barcodes import gs1  # noqa: E402

CACHE = Path(__file__).resolve().parent / ".cache" / "barcodes"
TESTDATA = ROOT / "tests" / "data" / "barcodes"
GENERATOR_VERSION = 7  # bump to invalidate the cache
N_PHOTOS = 72
SEED = 20261122


# ------------------------------------------------------------------------------------------
# Symbol rendering
# ------------------------------------------------------------------------------------------


def _symbol_bitmap(fmt: str, content: str) -> Image.Image:
    """A 1-pixel-per-module bitmap (L mode, black on white), quiet zones included."""
    import zxingcpp

    zfmt = {
        "GS1-128": zxingcpp.BarcodeFormat.Code128,
        "Code128": zxingcpp.BarcodeFormat.Code128,
        "ITF": zxingcpp.BarcodeFormat.ITF,
        "EAN13": zxingcpp.BarcodeFormat.EAN13,
        "QRCode": zxingcpp.BarcodeFormat.QRCode,
        "DataMatrix": zxingcpp.BarcodeFormat.DataMatrix,
    }[fmt]
    kw = {"gs1": True} if fmt in ("GS1-128", "DataMatrix") and content.startswith("(") else {}
    bc = zxingcpp.create_barcode(content, zfmt, **kw)
    img = bc.to_image(scale=1, add_quiet_zones=True)
    h, w = img.shape[:2]
    return Image.frombytes("L", (w, h), bytes(memoryview(img)))


def _render_linear(bitmap: Image.Image, module_px: float, height_px: int) -> Image.Image:
    """Scale one row of a 1D bitmap to module_px per module (anti-aliased), height_px tall."""
    row = bitmap.crop((0, bitmap.height // 2, bitmap.width, bitmap.height // 2 + 1))
    w = max(1, round(bitmap.width * module_px))
    row = row.resize((w, 1), Image.Resampling.BOX)
    return row.resize((w, max(1, height_px)), Image.Resampling.NEAREST)


def _render_matrix(bitmap: Image.Image, module_px: float) -> Image.Image:
    w = max(1, round(bitmap.width * module_px))
    h = max(1, round(bitmap.height * module_px))
    big = bitmap.resize((bitmap.width * 8, bitmap.height * 8), Image.Resampling.NEAREST)
    return big.resize((w, h), Image.Resampling.BOX)


# ------------------------------------------------------------------------------------------
# Codes
# ------------------------------------------------------------------------------------------


def _with_cd(body: str) -> str:
    return body + gs1.check_digit(body)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _lot(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(rng.randint(4, 10)))


@dataclass
class Code:
    fmt: str  # GS1-128, ITF, EAN13, QRCode, DataMatrix
    hri: str  # content given to the writer (HRI for GS1)
    expected: str  # the text a reader returns (raw, FNC1 as GS)
    quad: list | None = None  # corners in the upright photo


def _gs1_raw(hri: str) -> str:
    parsed = gs1.parse(hri)
    assert parsed.valid, (hri, parsed.errors)
    out = ""
    for i, e in enumerate(parsed.elements):
        out += e.ai + e.raw
        d = gs1.AI_TABLE[e.ai]
        if not d.fixed and i < len(parsed.elements) - 1:
            out += gs1.GS
    return out


def _make_codes(rng: random.Random) -> list[Code]:
    prefix = _digits(rng, 8)
    sscc = _with_cd(str(rng.randint(0, 9)) + prefix + _digits(rng, 17 - 9))
    gtin14 = _with_cd(str(rng.randint(1, 8)) + "69" + _digits(rng, 10))
    gtin13 = _with_cd("69" + _digits(rng, 10))
    lot = _lot(rng)
    count = rng.choice([6, 12, 24, 36, 48, 60])
    yy, mm = rng.randint(25, 29), rng.randint(1, 12)
    date = f"{yy:02d}{mm:02d}{rng.choice(['00', '15', '28'])}"
    pool: list[Code] = []
    hri = f"(00){sscc}"
    pool.append(Code("GS1-128", hri, _gs1_raw(hri)))
    if rng.random() < 0.45:
        hri = f"(02){gtin14}(37){count}(10){lot}"
        pool.append(Code("GS1-128", hri, _gs1_raw(hri)))
    if rng.random() < 0.6:
        pool.append(Code("ITF", gtin14, gtin14))
    if rng.random() < 0.55:
        pool.append(Code("EAN13", gtin13, gtin13))
    if rng.random() < 0.5:
        url = f"https://floorcheck.example/c/{_lot(rng)}{_digits(rng, 4)}"
        pool.append(Code("QRCode", url, url))
    if rng.random() < 0.5:
        hri = f"(01){gtin14}(17){date}(10){lot}(21){_digits(rng, 6)}"
        pool.append(Code("DataMatrix", hri, _gs1_raw(hri)))
    if rng.random() < 0.12:  # a label without the SSCC
        pool = pool[1:] or pool
    return pool


# ------------------------------------------------------------------------------------------
# Label and photo
# ------------------------------------------------------------------------------------------

_WORDS = (
    "SHIP TO FROM CARTON STYLE COLOUR SIZE QTY PCS NET GROSS KG PO MADE IN CHINA ORDER "
    "BATCH SHENZHEN DONGGUAN NINGBO HAMBURG ROTTERDAM LOS ANGELES WAREHOUSE DOCK FRAGILE "
    "KEEP DRY THIS SIDE UP T-SHIRT HOODIE DENIM JACKET POLO NAVY BLACK WHITE RED M L XL"
).split()


def _font(px: float) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=max(8, int(px)))


def _text_line(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _make_label(rng: random.Random, codes: list[Code], px_mm: float, small: bool) -> tuple[Image.Image, list]:
    """Render a white 100 x 150 mm label at px_mm pixels per millimetre. Also returns each
    code's box (x0, y0, x1, y1) on the label, in the order of ``codes``."""
    boxes: dict[int, tuple[float, float, float, float]] = {}
    w, h = round(100 * px_mm), round(150 * px_mm)
    label = Image.new("L", (w, h), 250)
    d = ImageDraw.Draw(label)
    y = 4 * px_mm
    for _ in range(rng.randint(3, 5)):
        d.text((5 * px_mm, y), _text_line(rng, rng.randint(2, 5)), fill=20, font=_font(3.2 * px_mm))
        y += 5 * px_mm
    d.line([(2 * px_mm, y), (w - 2 * px_mm, y)], fill=0, width=max(1, round(0.4 * px_mm)))
    y += 3 * px_mm
    k = 0.6 if small else 1.0  # X-dimension factor for "small code" labels
    row_x = 5 * px_mm
    row_h = 0.0
    matrix = [c for c in codes if c.fmt in ("QRCode", "DataMatrix", "EAN13")]
    linear = [c for c in codes if c.fmt in ("GS1-128", "ITF")]
    placed = 0
    for c in matrix:
        bmp = _symbol_bitmap(c.fmt, c.hri)
        if c.fmt == "EAN13":
            sym = _render_linear(bmp, 0.33 * k * px_mm * rng.uniform(0.9, 1.4), round(rng.uniform(12, 22) * px_mm))
        else:
            mm = (rng.uniform(0.5, 0.8) if c.fmt == "QRCode" else rng.uniform(0.45, 0.7)) * k
            sym = _render_matrix(bmp, mm * px_mm)
        if row_x + sym.width > w - 4 * px_mm:
            row_x, y = 5 * px_mm, y + row_h + 4 * px_mm
            row_h = 0
        label.paste(sym, (round(row_x), round(y)))
        boxes[id(c)] = (round(row_x), round(y), round(row_x) + sym.width, round(y) + sym.height)
        row_x += sym.width + 6 * px_mm
        row_h = max(row_h, sym.height)
        placed += 1
    if placed:
        y += row_h + 5 * px_mm
    for c in linear:
        bmp = _symbol_bitmap(c.fmt, c.hri)
        if c.fmt == "ITF":
            x_mm = rng.uniform(0.45, 0.65) * k
            bar_h = rng.uniform(10, 25) * px_mm
        else:
            x_mm = rng.uniform(0.42, 0.55) * k
            bar_h = rng.uniform(8, 28) * px_mm  # low bars are common on crowded labels
        sym = _render_linear(bmp, x_mm * px_mm, round(bar_h))
        if sym.width > w - 4 * px_mm:  # would not fit: shrink
            sym = sym.resize((round(w - 4 * px_mm), sym.height), Image.Resampling.BOX)
        x = round((w - sym.width) / 2)
        if c.fmt == "ITF":  # bearer bars
            b = max(2, round(2.5 * x_mm * px_mm))
            d.rectangle([x + 8 * x_mm * px_mm, y - b, x + sym.width - 8 * x_mm * px_mm, y], fill=0)
            label.paste(sym, (x, round(y)))
            d.rectangle([x + 8 * x_mm * px_mm, y + sym.height, x + sym.width - 8 * x_mm * px_mm, y + sym.height + b], fill=0)
            y += b
        else:
            label.paste(sym, (x, round(y)))
        boxes[id(c)] = (x, round(y), x + sym.width, round(y) + sym.height)
        y += sym.height + 1 * px_mm
        d.text((x + 10 * px_mm, y), c.hri, fill=10, font=_font(2.8 * px_mm))
        y += 6 * px_mm
    if y > h:  # grow the label when the codes did not fit (large symbols)
        grown = Image.new("L", (w, round(y + 4 * px_mm)), 250)
        grown.paste(label, (0, 0))
        label = grown
    return label, [boxes[id(c)] for c in codes]


def _noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Seeded uniform noise (Image.effect_noise is not seeded)."""
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def _cardboard(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    base = (rng.randint(150, 200), rng.randint(110, 150), rng.randint(70, 100))
    amp = rng.uniform(6, 14)
    small = _noise(rng, (w // 16, h // 16)).point(lambda v: 128 + (v - 128) * amp / 64)
    small = small.resize((w, h), Image.Resampling.BILINEAR)
    img = Image.merge("RGB", [small.point(lambda v, b=b: max(0, min(255, b + (v - 128)))) for b in base])
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 6)):  # shipping marks, tape edges
        x, y = rng.randint(0, w), rng.randint(0, h)
        d.text((x, y), _text_line(rng, rng.randint(1, 4)), fill=(40, 30, 25), font=_font(rng.uniform(40, 140)))
    if rng.random() < 0.6:
        tx = rng.randint(0, w)
        d.rectangle([tx, 0, tx + rng.randint(150, 400), h], fill=(210, 180, 130))
    return img


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list[float]:
    """Coefficients for Image.transform(PERSPECTIVE) mapping dst (output) points to src."""
    # Solve the 8x8 system by Gaussian elimination (no numpy here).
    a: list[list[float]] = []
    for (x, y), (u, v) in zip(dst, src):
        a.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        a.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[piv] = a[piv], a[col]
        for r in range(n):
            if r != col:
                f = a[r][col] / a[col][col]
                for c in range(col, n + 1):
                    a[r][c] -= f * a[col][c]
    return [a[i][n] / a[i][i] for i in range(n)]


def _apply_h(h: list[float], p: tuple[float, float]) -> tuple[float, float]:
    x, y = p
    den = h[6] * x + h[7] * y + 1
    return ((h[0] * x + h[1] * y + h[2]) / den, (h[3] * x + h[4] * y + h[5]) / den)


@dataclass
class Photo:
    name: str
    expected: list[dict]
    meta: dict = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # neither expected nor a false read


def make_photo(index: int) -> tuple[bytes, Photo]:
    rng = random.Random(SEED * 1000 + index)
    portrait = index % 3 == 1
    W, H = (3000, 4000) if portrait else (4000, 3000)
    no_code = index % 18 == 17
    codes = [] if no_code else _make_codes(rng)
    small = rng.random() < 0.25
    px_mm = rng.uniform(8.0, 18.0) if not small else rng.uniform(8.0, 12.0)
    angle = rng.choice([rng.uniform(-45, 45), rng.uniform(-45, 45), rng.uniform(-8, 8), rng.uniform(-45, 45) + 180])
    img = _cardboard(rng, (W, H))
    meta = {"portrait": portrait, "angle": round(angle, 1), "px_mm": round(px_mm, 2), "small": small}
    if codes:
        label, boxes = _make_label(rng, codes, px_mm, small)
        lw, lh = label.size
        # Place the rotated label, with perspective, inside the frame.
        cx = W / 2 + rng.uniform(-0.15, 0.15) * W
        cy = H / 2 + rng.uniform(-0.15, 0.15) * H
        t = math.radians(angle)
        corners = [(-lw / 2, -lh / 2), (lw / 2, -lh / 2), (lw / 2, lh / 2), (-lw / 2, lh / 2)]
        persp = rng.uniform(0.0, 0.12)
        dst = []
        for x, y in corners:
            x *= 1 + persp * (y / lh) * rng.uniform(0.5, 1.0)
            y += rng.uniform(-persp, persp) * lh * 0.3
            dst.append((cx + x * math.cos(t) - y * math.sin(t), cy + x * math.sin(t) + y * math.cos(t)))
        # keep the label inside the frame
        minx, maxx = min(p[0] for p in dst), max(p[0] for p in dst)
        miny, maxy = min(p[1] for p in dst), max(p[1] for p in dst)
        sx = max(0.0, 20 - minx) - max(0.0, maxx - (W - 20))
        sy = max(0.0, 20 - miny) - max(0.0, maxy - (H - 20))
        dst = [(x + sx, y + sy) for x, y in dst]
        src = [(0, 0), (lw, 0), (lw, lh), (0, lh)]
        coeffs = _perspective_coeffs(src, dst)
        fwd = _perspective_coeffs(dst, src)  # label → photo
        for c, (bx0, by0, bx1, by1) in zip(codes, boxes):
            c.quad = [_apply_h(fwd, p) for p in ((bx0, by0), (bx1, by0), (bx1, by1), (bx0, by1))]
        warped = label.transform((W, H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=0)
        mask = Image.new("L", (lw, lh), 255).transform((W, H), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=0)
        tint = rng.uniform(0.85, 1.0)
        paper = Image.merge("RGB", [warped.point(lambda v, f=f: int(v * f)) for f in (tint, tint * 0.99, tint * 0.95)])
        img.paste(paper, (0, 0), mask)
        meta["label_box"] = [round(min(p[0] for p in dst)), round(min(p[1] for p in dst)),
                             round(max(p[0] for p in dst)), round(max(p[1] for p in dst))]
    # Lighting: a gradient and sometimes glare.
    shade = Image.linear_gradient("L").resize((W, H)).rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR, expand=False, fillcolor=128)
    depth = rng.uniform(0.1, 0.35)
    img = Image.composite(img, Image.new("RGB", (W, H), (0, 0, 0)), shade.point(lambda v: 255 - int(v * depth)))
    if rng.random() < 0.35:
        glare = Image.radial_gradient("L").resize((rng.randint(400, 1400), rng.randint(300, 900)))
        gmask = glare.point(lambda v, g=rng.uniform(0.35, 0.7): int((255 - v) * g))
        gx = rng.randint(0, W - glare.width) if "label_box" not in meta else rng.randint(max(0, meta["label_box"][0] - 200), max(1, min(W - glare.width, meta["label_box"][2] - 200)))
        gy = rng.randint(0, H - glare.height) if "label_box" not in meta else rng.randint(max(0, meta["label_box"][1] - 200), max(1, min(H - glare.height, meta["label_box"][3] - 200)))
        img.paste(Image.new("RGB", glare.size, (255, 255, 250)), (gx, gy), gmask)
        meta["glare"] = True
    blur = rng.choice([0, 0, 0.6, 1.0, 1.4]) * (0.6 if small else 1.0)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    meta["blur"] = blur
    # Sensor noise, different in each channel, as phones leave it: it also makes the files as
    # large as real 12 MP photos (2-4 MB), which matters for decoding time.
    strength = rng.uniform(4, 10) / 10 * 0.06
    nrng = random.Random(f"{SEED}-noise-{index}")
    noise = Image.merge("RGB", [_noise(nrng, (W, H)) for _ in range(3)])
    img = Image.blend(img, noise, strength)
    # Store portrait photos sideways with an EXIF orientation tag, like phones do.
    exif = Image.Exif()
    if portrait:
        orientation = rng.choice([6, 6, 6, 8])
        img = img.transpose(Image.Transpose.ROTATE_90 if orientation == 6 else Image.Transpose.ROTATE_270)
        exif[0x0112] = orientation
        meta["exif_orientation"] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality={82: 90, 88: 92, 92: 94}[rng.choice([82, 88, 92])], exif=exif.tobytes())
    name = f"photo-{index:03d}.jpg"
    return buf.getvalue(), Photo(name, [{"format": c.fmt, "text": c.expected, "quad": [[round(x), round(y)] for x, y in c.quad or []]} for c in codes], meta)


def load_synthetic(regenerate: bool = False, limit: int | None = None) -> list[tuple[str, bytes, Photo]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    ignore = CACHE.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    index_path = CACHE / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() and not regenerate else {}
    if index.get("version") != GENERATOR_VERSION or index.get("n") != N_PHOTOS:
        index = {"version": GENERATOR_VERSION, "n": N_PHOTOS, "photos": {}}
    out = []
    n = N_PHOTOS if limit is None else min(limit, N_PHOTOS)
    for i in range(n):
        name = f"photo-{i:03d}.jpg"
        path = CACHE / name
        if name in index["photos"] and path.exists():
            p = index["photos"][name]
            photo = Photo(name, p["expected"], p["meta"])
        else:
            print(f"generating {name} …", file=sys.stderr, flush=True)
            data, photo = make_photo(i)
            path.write_bytes(data)
            index["photos"][name] = {"expected": photo.expected, "meta": photo.meta}
            index_path.write_text(json.dumps(index, indent=1))
        out.append((name, path.read_bytes(), photo))
    return out


def load_testdata() -> list[tuple[str, bytes, Photo]]:
    out = []
    if not TESTDATA.exists():
        return out
    for e in json.loads((TESTDATA / "manifest.json").read_text()):
        exp = [{"format": e["format"], "text": e["expected"]}]
        ignored: list[str] = []
        if e["format"] == "ITF" and not (len(e["expected"]) == 14 and gs1.is_valid_gtin(e["expected"])):
            # By policy the pipeline reads ITF only as ITF-14 (a false read is worse than a
            # miss); these plain ITF samples do not count for or against anyone.
            exp, ignored = [], [e["expected"]]
        out.append((e["file"], (TESTDATA / e["file"]).read_bytes(), Photo(e["file"], exp, ignored=ignored)))
    cartons = TESTDATA / "cartons" / "manifest.json"
    if cartons.exists():
        for e in json.loads(cartons.read_text()):
            # MaxiCode is beyond both engines: it does not count.
            exp = [{"format": b["format"], "text": b["expected"]} for b in e["barcodes"] if b["format"] != "MaxiCode"]
            out.append((e["file"], (TESTDATA / e["file"]).read_bytes(), Photo(e["file"], exp)))
    return out


# ------------------------------------------------------------------------------------------
# Approaches
# ------------------------------------------------------------------------------------------


def _open_gray(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img = ImageOps.exif_transpose(img)
    return img.convert("L")


def run_pyzbar(data: bytes) -> list[str]:
    from pyzbar import pyzbar

    return [r.data.decode("utf-8", "replace") for r in pyzbar.decode(_open_gray(data))]


def run_zxing(data: bytes) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(_open_gray(data), text_mode=zxingcpp.TextMode.Plain)]


def run_pipeline(data: bytes) -> list[str]:
    from api.barcodes.decoding import decode_image

    return [b.text for b in decode_image(data).barcodes]


APPROACHES = {"pyzbar": run_pyzbar, "zxing-cpp": run_zxing, "pipeline": run_pipeline}


def _texts_equal(got: str, want: str) -> bool:
    return got == want


@dataclass
class Score:
    expected: int = 0
    read: int = 0
    false: int = 0
    times: list[float] = field(default_factory=list)  # wall clock, ms
    cpu: list[float] = field(default_factory=list)  # CPU time of this thread, ms
    misses: list[str] = field(default_factory=list)
    false_reads: list[str] = field(default_factory=list)


def evaluate(fn, photos) -> Score:
    s = Score()
    for name, data, photo in photos:
        c0, t0 = time.thread_time(), time.perf_counter()
        texts = fn(data)
        s.times.append((time.perf_counter() - t0) * 1000)
        s.cpu.append((time.thread_time() - c0) * 1000)
        want = [e["text"] for e in photo.expected]
        s.expected += len(want)
        got = set(texts)
        for w in want:
            if w in got:
                s.read += 1
            else:
                s.misses.append(f"{name}: {w!r}")
        for g in got:
            if g not in want and g not in photo.ignored:
                s.false += 1
                s.false_reads.append(f"{name}: {g!r}")
    return s


def _pct(values: list[float], q: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--regenerate", action="store_true", help="rebuild the cached synthetic photos")
    ap.add_argument("--only", action="append", choices=list(APPROACHES), help="run only this approach")
    ap.add_argument("--limit", type=int, help="use only the first N synthetic photos")
    ap.add_argument("--set", choices=["synthetic", "testdata", "both"], default="both")
    ap.add_argument("--verbose", "-v", action="store_true", help="list misses and false reads")
    args = ap.parse_args()

    sets = {}
    if args.set in ("synthetic", "both"):
        sets["synthetic"] = load_synthetic(args.regenerate, args.limit)
    if args.set in ("testdata", "both"):
        sets["testdata"] = load_testdata()
    names = args.only or list(APPROACHES)
    for fn in APPROACHES.values():  # warm up imports and caches
        if sets.get("synthetic"):
            fn(sets["synthetic"][0][1])
    rows = []
    for set_name, photos in sets.items():
        if not photos:
            continue
        n_codes = sum(len(p.expected) for _, _, p in photos)
        for name in names:
            s = evaluate(APPROACHES[name], photos)
            rows.append((set_name, len(photos), name, s, n_codes))
            if args.verbose:
                for m in s.misses:
                    print(f"  [{set_name}/{name}] MISS  {m}")
                for m in s.false_reads:
                    print(f"  [{set_name}/{name}] FALSE {m}")
    print()
    print("ms per photo, from the file's bytes to the result, one thread. 'wall' is the clock;")
    print("'cpu' is this thread's CPU time, which other load on the machine does not inflate.")
    print()
    head = (f"{'set':<10} {'photos':>6} {'approach':<10} {'read':>9} {'rate':>7} {'false':>5} "
            f"{'wall med':>9} {'wall p90':>9} {'cpu med':>8} {'cpu p90':>8}")
    print(head)
    print("-" * len(head))
    for set_name, n_photos, name, s, n_codes in rows:
        rate = 100.0 * s.read / s.expected if s.expected else float("nan")
        print(f"{set_name:<10} {n_photos:>6} {name:<10} {s.read:>4}/{s.expected:<4} {rate:>6.1f}% {s.false:>5} "
              f"{statistics.median(s.times):>9.1f} {_pct(s.times, 0.9):>9.1f} "
              f"{statistics.median(s.cpu):>8.1f} {_pct(s.cpu, 0.9):>8.1f}")
    if "testdata" in sets:
        ignored = sum(len(p.ignored) for _, _, p in sets["testdata"])
        print(f"\ntestdata: the MaxiCode symbols in cartons/ are not counted, nor {ignored} plain ITF samples "
              "that are not ITF-14 (the pipeline rejects ITF that is not ITF-14 by design).")


if __name__ == "__main__":
    main()
