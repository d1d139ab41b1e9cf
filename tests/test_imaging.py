"""api.imaging: sniffing, opening, the pixel limit, HEIF, signatures, the errors, and that
importing the app leaves Pillow as it found it."""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image, ImageDraw, ImageFile

from api import imaging
from api.imaging import (
    BadImage,
    CorruptImage,
    ImageError,
    ImageTooLarge,
    NotAnImage,
    load,
    open_image,
    read_signature_png,
    sniff,
)
from tests.helpers import TESTDATA

ROOT = Path(__file__).resolve().parents[1]
IPHONE = TESTDATA / "barcodes" / "cartons" / "IMG_8747.JPG"  # 12 MP, EXIF orientation 6, Display P3
MAX = 1_000_000


def picture(size: tuple[int, int] = (64, 48)) -> Image.Image:
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(im).ellipse((8, 8, size[0] - 8, size[1] - 8), fill=(200, 40, 40))
    return im


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    if fmt == "HEIF":
        imaging.register_heif()  # opening registers it; writing one needs it too
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def heif_or_skip(im: Image.Image) -> bytes:
    if not pillow_heif.libheif_info()["encoders"]:
        pytest.skip("no HEIF encoder in this pillow_heif build")
    return encode(im, "HEIF", quality=60)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height over one tiny IDAT (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\0" * 16


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything decodes pixels."""

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif"), ("BMP", "bmp"), ("TIFF", "tiff")],
)
def test_sniff_real_encodings(fmt: str, expected: str) -> None:
    assert sniff(encode(picture(), fmt)) == expected


def test_sniff_heif() -> None:
    assert sniff(heif_or_skip(picture())) == "heic"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe1\x1f\xfeExif\0\0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "png"),
        (b"RIFF\x24\0\0\0WEBPVP8 ", "webp"),
        (ftyp(b"heic", b"mif1", b"heic"), "heic"),
        (ftyp(b"hevx"), "heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "heic"),
        (ftyp(b"avif", b"mif1", b"miaf"), None),  # AVIF: no decoder here
        (ftyp(b"mif1", b"avif"), None),
        (ftyp(b"isom", b"iso2", b"mp41"), None),  # MP4 video
        (b"GIF87a\x01\0\x01\0", "gif"),
        (b"II*\0\x08\0\0\0", "tiff"),
        (b"MM\0*\0\0\0\x08", "tiff"),
        (b"BM is the start of this sentence, not of a bitmap.", None),
        (b"RIFF\x24\0\0\0WAVEfmt ", None),
        (b"%PDF-1.7\n", None),
        (b"PK\x03\x04" + b"\0" * 40, None),
        (b"\xff\xd8", None),  # too short to be sure
        (b"", None),
    ],
)
def test_sniff_table(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected
    assert sniff(memoryview(head + b"\0" * 100)) == expected  # only the head counts, any buffer


# --------------------------------------------------------------------------- open and load


@pytest.mark.parametrize(
    ("fmt", "expected", "plugin"),
    [("JPEG", "jpeg", "JPEG"), ("PNG", "png", "PNG"), ("WEBP", "webp", "WEBP"), ("HEIF", "heic", "HEIF")],
)
def test_open_reads_the_header_only(fmt: str, expected: str, plugin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = heif_or_skip(picture()) if fmt == "HEIF" else encode(picture(), fmt)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))
    found, im = open_image(data, max_pixels=MAX)
    assert (found, im.format, im.size) == (expected, plugin, (64, 48))
    monkeypatch.undo()
    load(im, max_pixels=MAX)
    assert im.getpixel((32, 24))[0] > 150  # the red ellipse


def test_open_a_real_phone_photo() -> None:
    fmt, im = open_image(IPHONE.read_bytes(), max_pixels=50_000_000)
    assert (fmt, im.format, im.size) == ("jpeg", "JPEG", (4032, 3024))


def test_open_an_mpo_as_a_jpeg() -> None:
    """iPhones write MPO (a JPEG with a second image after it): the JPEG plugin opens its primary image."""
    primary, depth = Image.new("RGB", (400, 300), (200, 40, 40)), Image.new("L", (200, 150), 128)
    out = io.BytesIO()
    primary.save(out, "MPO", save_all=True, append_images=[depth])
    fmt, im = open_image(out.getvalue(), max_pixels=MAX)
    assert (fmt, im.format, im.size) == ("jpeg", "MPO", (400, 300))


def test_accept_limits_the_formats() -> None:
    gif = encode(picture(), "GIF")
    with pytest.raises(NotAnImage):
        open_image(gif, max_pixels=MAX)  # photos by default
    assert open_image(gif, max_pixels=MAX, accept=imaging.FORMATS)[0] == "gif"
    with pytest.raises(NotAnImage):
        open_image(encode(picture(), "JPEG"), max_pixels=MAX, accept=("png",))


def test_only_the_sniffed_formats_plugin_is_tried() -> None:
    # PNG magic over a JPEG body: Pillow's JPEG plugin could read the rest, but is not asked.
    data = b"\x89PNG\r\n\x1a\n" + encode(picture(), "JPEG")
    with pytest.raises(CorruptImage):
        open_image(data, max_pixels=MAX)


def test_bomb_refused_from_the_header(no_decoding: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # our limit does not lean on Pillow's
    with pytest.raises(ImageTooLarge) as info:
        open_image(png_claiming(100_000, 100_000), max_pixels=50_000_000)
    assert (info.value.width, info.value.height, info.value.max_pixels) == (100_000, 100_000, 50_000_000)
    assert "100000 × 100000" in info.value.message and "100000 × 100000" in info.value.message_zh


def test_pillows_own_guard_is_reported_too(no_decoding: None) -> None:
    with pytest.raises(ImageTooLarge) as info:
        open_image(png_claiming(100_000, 100_000), max_pixels=10**12)
    assert info.value.width is None and "megapixels" in info.value.message


def test_pixel_limit_is_inclusive() -> None:
    data = encode(picture((40, 30)), "PNG")
    assert open_image(data, max_pixels=1200)[1].size == (40, 30)
    with pytest.raises(ImageTooLarge):
        open_image(data, max_pixels=1199)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_truncated_fails_in_load(fmt: str) -> None:
    data = heif_or_skip(picture((320, 240))) if fmt == "HEIF" else encode(picture((320, 240)), fmt)
    cut = data[: len(data) // 2]
    with pytest.raises(CorruptImage):
        _, im = open_image(cut, max_pixels=MAX)  # a HEIF is refused here already
        load(im, max_pixels=MAX)


@pytest.mark.parametrize(
    ("data", "error", "status"),
    [
        (b"", NotAnImage, 415),
        (b"just some text", NotAnImage, 415),
        (ftyp(b"avif", b"mif1"), NotAnImage, 415),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), CorruptImage, 422),
        (b"\xff\xd8\xff\xe0" + bytes(range(200)), CorruptImage, 422),
        (png_claiming(0, 10), CorruptImage, 422),
        (png_claiming(5000, 5000), ImageTooLarge, 422),
    ],
    ids=["empty", "text", "avif", "png-garbage", "jpeg-garbage", "no-pixels", "too-many-pixels"],
)
def test_errors_table(data: bytes, error: type[ImageError], status: int) -> None:
    with pytest.raises(error) as info:
        open_image(data, max_pixels=20_000_000)
    assert info.value.status_code == status
    assert isinstance(info.value, NotAnImage if status == 415 else BadImage)


def test_error_classes() -> None:
    errors = [NotAnImage(), CorruptImage(detail="x"), ImageTooLarge(8000, 6000, 40_000_000)]
    for err in errors:
        assert isinstance(err, ImageError) and err.code
        assert str(err) == err.message
        assert re.search(r"[\u4e00-\u9fff]", err.message_zh), err.message_zh
    assert [e.status_code for e in errors] == [415, 422, 422]
    assert issubclass(CorruptImage, BadImage) and issubclass(ImageTooLarge, BadImage)
    assert "48.0 megapixels" in str(errors[2]) and "40.0" in errors[2].message_zh
    assert errors[1].detail == "x"
    own = CorruptImage("The label is smudged.", "标签模糊。")
    assert (own.message, own.message_zh, own.code) == ("The label is smudged.", "标签模糊。", "corrupt_image")


def test_callers_keep_their_names() -> None:
    from api.barcodes import decoding
    from api.media import processing

    assert processing.UnsupportedImage is NotAnImage and processing.CorruptImage is CorruptImage
    assert processing.ImageError is ImageError and processing.ImageTooLarge is ImageTooLarge
    assert decoding.NotAnImage is NotAnImage and decoding.BadImage is BadImage
    assert decoding.DecodeError is ImageError


# --------------------------------------------------------------------------- signatures


def signature(size: tuple[int, int] = (300, 100)) -> bytes:
    im = Image.new("L", size, 255)
    ImageDraw.Draw(im).line((10, size[1] - 20, size[0] - 10, 20), fill=0, width=3)
    return encode(im, "PNG")


def test_signature_ok() -> None:
    data = signature()
    assert read_signature_png(data) == data
    big = signature((2000, 2000))  # exactly 4 megapixels, a few KB
    assert read_signature_png(big) == big


def noise_png() -> bytes:
    """A PNG of about 360 KB: noise does not compress."""
    return encode(Image.frombytes("RGB", (400, 300), random.Random(1).randbytes(400 * 300 * 3)), "PNG")


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: b"GIF89a....", NotAnImage, "The signature must be a PNG of at most 300 KB."),
        (lambda: encode(picture(), "JPEG"), NotAnImage, "The signature must be a PNG of at most 300 KB."),
        (noise_png, BadImage, "The signature must be a PNG of at most 300 KB."),
        (lambda: png_claiming(2000, 2001), ImageTooLarge, "The signature image is too large."),
        (lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 20, CorruptImage, "The signature PNG is damaged."),
        (lambda: signature()[:-40], CorruptImage, "The signature PNG is damaged."),
    ],
    ids=["gif", "jpeg", "over-300-KB", "over-4-MP", "garbage", "truncated"],
)
def test_signature_refused(make, error: type[ImageError], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as info:
        read_signature_png(make())
    assert info.value.message == message
    assert re.search(r"[\u4e00-\u9fff]", info.value.message_zh)


# --------------------------------------------------------------------------- process-wide state


def run_python(code: str, *args: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PILLOW_")}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=clean, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


IMPORT_APP = """
import json, sys
from PIL import Image, ImageFile

def state():
    return {
        "block_size": Image.core.get_block_size(),
        "blocks_max": Image.core.get_blocks_max(),
        "max_image_pixels": Image.MAX_IMAGE_PIXELS,
        "load_truncated_images": ImageFile.LOAD_TRUNCATED_IMAGES,
        "open": sorted(Image.OPEN), "id": list(Image.ID), "save": sorted(Image.SAVE),
        "mime": sorted(Image.MIME.items()), "extensions": sorted(Image.EXTENSION.items()),
    }

stock = state()
import api.app
after = state()
import api.reports.pdf  # WeasyPrint, imported with the first PDF
after_pdf = state()
from PIL import EpsImagePlugin
loaded = sorted(m for m in ("pillow_heif", "zxingcpp", "pyzbar") if m in sys.modules)
Image.init()  # every plugin Pillow itself knows: still no HEIF
print(json.dumps({"stock": stock, "after": after, "after_pdf": after_pdf, "loaded": loaded, "heif": "HEIF" in Image.OPEN,
                  "ghostscript": EpsImagePlugin.gs_binary}))
"""


def test_importing_the_app_leaves_pillow_alone() -> None:
    found = json.loads(run_python(IMPORT_APP))
    stock, after = found["stock"], found["after"]
    # Pillow's own defaults (no PILLOW_* variables in the child's environment).
    assert (stock["block_size"], stock["blocks_max"]) == (16 * 1024 * 1024, 0)
    assert stock["max_image_pixels"] == int(1024 * 1024 * 1024 // 4 // 3)
    assert after == stock
    assert "HEIF" not in after["open"] and "HEIF" not in after["id"]
    assert not found["heif"]
    assert found["loaded"] == []  # libheif, zxing-cpp and zbar load when an image needs them
    # WeasyPrint (the report's PDF) registers Pillow's EPS reader, with Ghostscript switched off, which our images
    # never reach (api/imaging.py opens with the formats it expects); its LOAD_TRUNCATED_IMAGES is put back.
    changed = {k for k in stock if found["after_pdf"][k] != stock[k]}
    assert changed <= {"open", "id", "save", "mime", "extensions"}, changed
    assert found["after_pdf"]["open"] == ["EPS"] and found["ghostscript"] is False
    assert found["after_pdf"]["load_truncated_images"] is False


HEIF_ONCE = """
import sys, threading, time
import pillow_heif
from PIL import Image
from api import imaging

calls = []
real = pillow_heif.register_heif_opener

def counting(**options):
    calls.append(threading.get_ident())
    time.sleep(0.05)  # widen the window in which a second thread could register again
    real(**options)

pillow_heif.register_heif_opener = counting
data = open(sys.argv[1], "rb").read()
imaging.open_image(open(sys.argv[2], "rb").read(), max_pixels=10**6)  # a JPEG needs no HEIF
assert not calls and "HEIF" not in Image.OPEN
start = threading.Barrier(8)
formats = []

def work():
    start.wait()
    formats.append(imaging.open_image(data, max_pixels=10**6)[0])

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(calls), formats.count("heic"), "HEIF" in Image.OPEN)
"""


def test_heif_is_registered_once_on_first_use(tmp_path: Path) -> None:
    heic, jpeg = tmp_path / "a.heic", tmp_path / "a.jpg"
    heic.write_bytes(heif_or_skip(picture()))
    jpeg.write_bytes(encode(picture(), "JPEG"))
    assert run_python(HEIF_ONCE, str(heic), str(jpeg)).split() == ["1", "8", "True"]
