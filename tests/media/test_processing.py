"""Tests of api.media.processing: sniffing, limits, orientation, metadata, renditions, dHash."""

from __future__ import annotations

import functools
import io
import re
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pillow_heif
import pytest
from PIL import ExifTags, Image, ImageChops, ImageCms, ImageDraw, ImageFile, ImageOps, ImageStat

from api.imaging import register_heif
from api.media import processing
from api.media.processing import (
    GPS,
    CorruptImage,
    ImageError,
    ImageTooLarge,
    Ingested,
    UnsupportedImage,
    dhash_from_hex,
    dhash_to_hex,
    hamming,
    ingest,
    sniff,
)

TESTDATA = Path(__file__).resolve().parents[1] / "data"  # tests/data: see its README.md
EXIF_DIR = TESTDATA / "exif"
IPHONE = TESTDATA / "barcodes" / "cartons" / "IMG_8747.JPG"  # iPhone 12, orientation 6, GPS, P3

MAX_PIXELS = 50_000_000
SERIAL = "SN-SECRET-0042"


def need(path: Path) -> Path:
    assert path.exists(), f"test data missing: {path} (tests/data is part of the repository)"
    return path


# --------------------------------------------------------------------------- fixtures


def scene(size: tuple[int, int] = (96, 72), seed: int = 0) -> Image.Image:
    """A small picture with structure (so hashes and orientation mean something)."""
    w, h = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    draw.rectangle((w // 8, h // 6, w // 2, h // 2), fill=(220, 40 + seed * 50 % 200, 40))
    draw.ellipse((w // 2, h // 2, w - 4, h - 4), fill=(30, 60, 200))
    draw.line((0, h - 1, w - 1, 0), fill=(255, 255, 0), width=max(1, w // 40))
    return im


def encode(im: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    if fmt == "HEIF":
        register_heif()  # processing registers it only to open a HEIF; writing one needs it too
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


@functools.cache
def srgb_icc() -> bytes:
    # Made once: a new profile's header carries the second it was made, so two calls may differ.
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def private_exif(orientation: int | None = None, *, offset: str | None = "+08:00") -> Image.Exif:
    """EXIF with everything a served image must not carry: GPS, serials, device."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "P40 Pro"
    exif[ExifTags.Base.CameraSerialNumber] = SERIAL + "-CAM"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:06 07:08:09"
    sub[ExifTags.Base.SubsecTimeOriginal] = "25"
    if offset is not None:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    sub[ExifTags.Base.BodySerialNumber] = SERIAL
    sub[ExifTags.Base.LensSerialNumber] = SERIAL + "-LENS"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 32.0, 42.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 56.0, 24.0)
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x00"
    gps[ExifTags.GPS.GPSAltitude] = 12.5
    return exif


XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    b'syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="22,32.7N" exif:BodySerialNumber="' + SERIAL.encode() + b'"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def open_bytes(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def mean_abs_diff(a: Image.Image, b: Image.Image, size: tuple[int, int] = (96, 64)) -> float:
    a = a.convert("L").resize(size, Image.Resampling.BOX)
    b = b.convert("L").resize(size, Image.Resampling.BOX)
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


# --------------------------------------------------------------------------- sniff


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00" * 16


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "jpeg"),
        (b"\xff\xd8\xff\xe1\x1f\xfeExif\x00\x00", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "webp"),
        (ftyp(b"heic", b"mif1", b"heic"), "heic"),
        (ftyp(b"heix", b"mif1"), "heic"),
        (ftyp(b"hevc", b"msf1"), "heic"),
        (ftyp(b"heim"), "heic"),
        (ftyp(b"heis"), "heic"),
        (ftyp(b"hevm"), "heic"),
        (ftyp(b"hevs"), "heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "heic"),
        (ftyp(b"msf1", b"msf1"), "heic"),
        (ftyp(b"mif1", b"mif1"), "heic"),
        (ftyp(b"avif", b"mif1", b"miaf"), None),  # AVIF: no decoder here
        (ftyp(b"mif1", b"avif"), None),
        (ftyp(b"isom", b"iso2", b"mp41"), None),  # MP4 video
        (ftyp(b"qt  "), None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"BM6\x00\x00\x00\x00\x00", None),
        (b"II*\x00\x08\x00\x00\x00", None),  # TIFF
        (b"%PDF-1.7\n", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"\xff\xd8", None),  # too short to be sure
        (b"\x89PNG", None),
        (b"", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
    ],
)
def test_sniff_table(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_sniff_real_encodings() -> None:
    im = scene()
    assert sniff(encode(im, "JPEG")) == "jpeg"
    assert sniff(encode(im, "PNG")) == "png"
    assert sniff(encode(im, "WEBP")) == "webp"
    assert sniff(encode(im, "HEIF", quality=50)) == "heic"
    assert sniff(memoryview(encode(im, "PNG"))[:12]) == "png"


# --------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes(range(256)) * 4,
        b"\x00" * 100,
        b"just some text, not a photo",
        encode(scene(), "GIF"),
        encode(scene(), "BMP"),
        encode(scene(), "TIFF"),
    ],
    ids=["empty", "random", "zeros", "text", "gif", "bmp", "tiff"],
)
def test_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedImage) as info:
        ingest(data, max_pixels=MAX_PIXELS)
    assert info.value.status_code == 415


def test_random_bytes_unsupported() -> None:
    import random

    data = random.Random(7).randbytes(4096)
    assert sniff(data) is None
    with pytest.raises(UnsupportedImage):
        ingest(data, max_pixels=MAX_PIXELS)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height but carries one tiny IDAT (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small valid JPEG whose SOF header is rewritten to claim width x height."""
    data = bytearray(encode(scene((16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 7] = height.to_bytes(2, "big")
    data[sof + 7 : sof + 9] = width.to_bytes(2, "big")
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to decode pixels."""

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


def test_png_bomb_rejected_before_decoding(no_decoding: None) -> None:
    data = png_header_only(100_000, 100_000)
    assert len(data) < 200
    with pytest.raises(ImageTooLarge) as info:
        ingest(data, max_pixels=MAX_PIXELS)
    assert info.value.status_code == 422  # like any unusable image: the upload itself was not too big
    assert info.value.message and info.value.message_zh


def test_bomb_check_does_not_rely_on_pillow_global(
    monkeypatch: pytest.MonkeyPatch, no_decoding: None
) -> None:
    # Some other code in the process may switch Pillow's own guard off.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    with pytest.raises(ImageTooLarge) as info:
        ingest(png_header_only(100_000, 100_000), max_pixels=MAX_PIXELS)
    assert (info.value.width, info.value.height) == (100_000, 100_000)
    assert "100000 × 100000" in str(info.value)
    assert "100000 × 100000" in info.value.message_zh


@pytest.mark.parametrize(
    "data",
    [png_header_only(5000, 5000), jpeg_claiming(5000, 5000)],
    ids=["png", "jpeg"],
)
def test_own_limit_below_pillow_limit(data: bytes, no_decoding: None) -> None:
    with pytest.raises(ImageTooLarge) as info:
        ingest(data, max_pixels=20_000_000)
    assert (info.value.width, info.value.height) == (5000, 5000)
    assert info.value.max_pixels == 20_000_000


def test_limit_is_inclusive() -> None:
    data = encode(scene((40, 30)), "PNG")
    assert ingest(data, max_pixels=1200).width == 40
    with pytest.raises(ImageTooLarge):
        ingest(data, max_pixels=1199)


def jpeg_photo(progressive: bool = False) -> bytes:
    im = scene((320, 240))
    return encode(im, "JPEG", quality=90, progressive=progressive)


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_jpeg(progressive: bool, keep: float) -> None:
    data = jpeg_photo(progressive)
    with pytest.raises(CorruptImage) as info:
        ingest(data[: int(len(data) * keep)], max_pixels=MAX_PIXELS)
    assert info.value.status_code == 422
    assert "damaged" in str(info.value)
    assert "损坏" in info.value.message_zh


def test_jpeg_missing_only_eoi_is_corrupt() -> None:
    data = jpeg_photo()
    assert data.endswith(b"\xff\xd9")
    with pytest.raises(CorruptImage):
        ingest(data[:-2], max_pixels=MAX_PIXELS)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_truncated_detected_even_if_pillow_tolerates_it(
    monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    # Another module may set this process-wide; ingest must still refuse half a photo.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = encode(scene((320, 240)), fmt, quality=90)
    cut = data[: int(len(data) * 0.6)]
    with pytest.raises(CorruptImage):
        ingest(cut, max_pixels=MAX_PIXELS)
    assert ingest(data, max_pixels=MAX_PIXELS).width == 320


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_truncated_other_formats(fmt: str) -> None:
    data = encode(scene((320, 240)), fmt, quality=90)
    with pytest.raises(CorruptImage):
        ingest(data[: len(data) // 2], max_pixels=MAX_PIXELS)


def test_garbage_after_magic_is_corrupt() -> None:
    for head in (b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x10\x00\x00WEBPVP8 "):
        with pytest.raises(CorruptImage):
            ingest(head + bytes(range(200)), max_pixels=MAX_PIXELS)


def test_error_classes() -> None:
    for cls in (UnsupportedImage, ImageTooLarge, CorruptImage):
        assert issubclass(cls, ImageError)
    errors = [UnsupportedImage(), ImageTooLarge(8000, 6000, 40_000_000), CorruptImage(detail="x")]
    for err in errors:
        assert str(err) == err.message
        assert err.message
        assert re.search(r"[\u4e00-\u9fff]", err.message_zh), err.message_zh
        assert err.code
    assert "48.0 megapixels" in str(errors[1]) and "40.0" in errors[1].message_zh
    assert errors[2].detail == "x"


# --------------------------------------------------------------------------- orientation


def reference_upright(set_name: str) -> Image.Image:
    im = Image.open(need(EXIF_DIR / f"{set_name}_1.jpg"))
    return ImageOps.exif_transpose(im)


@pytest.mark.parametrize("parallel", [True, False], ids=["parallel", "serial"])
@pytest.mark.parametrize("set_name", ["Landscape", "Portrait"])
def test_every_exif_orientation_gives_the_same_upright_display(set_name: str, parallel: bool) -> None:
    ref = reference_upright(set_name)
    upright = (1800, 1200) if set_name == "Landscape" else (1200, 1800)
    display_size = (1600, 1067) if set_name == "Landscape" else (1067, 1600)
    ref_display = ref.resize(display_size, Image.Resampling.LANCZOS)
    ref_hash = ingest(need(EXIF_DIR / f"{set_name}_1.jpg").read_bytes(), max_pixels=MAX_PIXELS).dhash
    for n in range(9):
        data = need(EXIF_DIR / f"{set_name}_{n}.jpg").read_bytes()
        result = ingest(data, max_pixels=MAX_PIXELS, parallel=parallel)
        assert (result.width, result.height) == upright, n
        assert (result.display_width, result.display_height) == display_size, n
        display = open_bytes(result.display_bytes)
        assert display.size == display_size
        assert mean_abs_diff(display, ref_display) < 2.0, n
        assert hamming(result.dhash, ref_hash) <= 3, n
        thumb = open_bytes(result.thumb_bytes)
        assert max(thumb.size) == 320
        assert mean_abs_diff(thumb, ref_display) < 2.5, n


def test_parallel_and_serial_agree() -> None:
    data = need(EXIF_DIR / "Portrait_7.jpg").read_bytes()
    a = ingest(data, max_pixels=MAX_PIXELS, parallel=True)
    b = ingest(data, max_pixels=MAX_PIXELS, parallel=False)
    assert a.sha256 == b.sha256
    assert (a.display_width, a.display_height) == (b.display_width, b.display_height)
    assert mean_abs_diff(open_bytes(a.display_bytes), open_bytes(b.display_bytes), (400, 600)) < 0.5
    assert hamming(a.dhash, b.dhash) <= 1


@pytest.mark.parametrize("orientation", range(1, 9))
def test_width_height_after_orientation(orientation: int) -> None:
    stored = scene((120, 60))
    data = encode(stored, "JPEG", exif=private_exif(orientation))
    result = ingest(data, max_pixels=MAX_PIXELS, display_max=100, thumb_max=50)
    rotated = orientation >= 5
    assert (result.width, result.height) == ((60, 120) if rotated else (120, 60))
    assert (result.display_width, result.display_height) == ((50, 100) if rotated else (100, 50))
    assert (result.thumb_width, result.thumb_height) == ((25, 50) if rotated else (50, 25))
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).resize(
        (result.display_width, result.display_height)
    )
    assert mean_abs_diff(open_bytes(result.display_bytes), expected, (20, 20)) < 6


def test_draft_is_orientation_aware(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 4000x1000 JPEG stored sideways (orientation 6) is 1000x4000 upright; a 1000 px display
    is 250x1000 upright, i.e. 1000x250 stored, which libjpeg can decode at exactly 1/4."""
    from PIL.JpegImagePlugin import JpegImageFile

    calls: list[tuple[tuple[int, int], tuple[int, int]]] = []
    jpeg_draft = JpegImageFile.draft

    def spy(self, mode, size):  # type: ignore[no-untyped-def]
        result = jpeg_draft(self, mode, size)
        calls.append((size, self.size))
        return result

    monkeypatch.setattr(JpegImageFile, "draft", spy)
    data = encode(Image.new("RGB", (4000, 1000), (90, 120, 150)), "JPEG", exif=private_exif(6))
    result = ingest(data, max_pixels=MAX_PIXELS, display_max=1000, thumb_max=100)
    assert calls == [((1000, 250), (1000, 250))]
    assert (result.width, result.height) == (1000, 4000)
    assert (result.display_width, result.display_height) == (250, 1000)


def test_draft_never_goes_below_display_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL.JpegImagePlugin import JpegImageFile

    sizes: list[tuple[int, int]] = []
    jpeg_draft = JpegImageFile.draft

    def spy(self, mode, size):  # type: ignore[no-untyped-def]
        result = jpeg_draft(self, mode, size)
        sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", spy)
    data = encode(Image.new("RGB", (3300, 2200), (90, 120, 150)), "JPEG")
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert sizes == [(1650, 1100)]  # 1/2, not 1/4 (825 < 1600)
    assert (result.display_width, result.display_height) == (1600, 1067)


# --------------------------------------------------------------------------- renditions


def test_display_and_thumb_formats() -> None:
    data = encode(scene((2400, 1800)), "JPEG", quality=92)
    result = ingest(data, max_pixels=MAX_PIXELS)
    display = Image.open(io.BytesIO(result.display_bytes))
    assert display.format == "JPEG"
    # Baseline, not progressive: a progressive encode costs ~7x the CPU (processing.DISPLAY_PROGRESSIVE).
    assert not (display.info.get("progressive") or display.info.get("progression"))
    assert display.size == (1600, 1200) == (result.display_width, result.display_height)
    thumb = Image.open(io.BytesIO(result.thumb_bytes))
    assert thumb.format == "WEBP"
    assert thumb.size == (320, 240) == (result.thumb_width, result.thumb_height)
    assert result.display_mime == "image/jpeg" and result.thumb_mime == "image/webp"
    assert result.mime == "image/jpeg"
    assert "display_bytes" not in repr(result)


def test_small_images_are_not_upscaled() -> None:
    result = ingest(encode(scene((64, 48)), "PNG"), max_pixels=MAX_PIXELS)
    assert (result.display_width, result.display_height) == (64, 48)
    assert (result.thumb_width, result.thumb_height) == (64, 48)
    assert open_bytes(result.display_bytes).size == (64, 48)


def test_custom_sizes() -> None:
    result = ingest(encode(scene((1000, 500)), "PNG"), max_pixels=MAX_PIXELS, display_max=800, thumb_max=100)
    assert (result.display_width, result.display_height) == (800, 400)
    assert (result.thumb_width, result.thumb_height) == (100, 50)


def test_sha256_of_original_bytes() -> None:
    import hashlib

    data = encode(scene(), "WEBP")
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", result.sha256)
    assert result.format == "webp"


def test_icc_profile_kept_in_display_and_thumb() -> None:
    icc = srgb_icc()
    data = encode(scene((400, 300)), "JPEG", icc_profile=icc)
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert result.icc is True
    assert open_bytes(result.display_bytes).info["icc_profile"] == icc
    assert open_bytes(result.thumb_bytes).info["icc_profile"] == icc


def test_wide_gamut_profile_kept_from_real_iphone_photo() -> None:
    data = need(IPHONE).read_bytes()
    icc = Image.open(io.BytesIO(data)).info["icc_profile"]
    assert "Display P3" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc)))
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert result.icc
    assert open_bytes(result.display_bytes).info["icc_profile"] == icc
    assert open_bytes(result.thumb_bytes).info["icc_profile"] == icc


def test_no_icc_when_original_has_none() -> None:
    result = ingest(encode(scene(), "JPEG"), max_pixels=MAX_PIXELS)
    assert result.icc is False
    assert "icc_profile" not in open_bytes(result.display_bytes).info
    assert "icc_profile" not in open_bytes(result.thumb_bytes).info


def test_png_icc_and_transparency() -> None:
    im = scene((200, 100)).convert("RGBA")
    im.paste((0, 0, 0, 0), (0, 0, 100, 100))  # left half fully transparent
    result = ingest(encode(im, "PNG", icc_profile=srgb_icc()), max_pixels=MAX_PIXELS)
    display = open_bytes(result.display_bytes)
    assert display.mode == "RGB"
    assert display.info["icc_profile"] == srgb_icc()
    r, g, b = display.getpixel((20, 50))
    assert min(r, g, b) > 245  # flattened on white, not black


@pytest.mark.parametrize(
    "im",
    [
        Image.linear_gradient("L").resize((64, 48)),
        Image.linear_gradient("L").resize((64, 48)).convert("P"),
        Image.linear_gradient("L").resize((64, 48)).convert("1"),
        Image.linear_gradient("L").resize((64, 48)).convert("I").point(lambda v: v * 257),
        Image.new("LA", (64, 48), (128, 255)),
    ],
    ids=["L", "P", "1", "16-bit", "LA"],
)
def test_other_modes_become_rgb(im: Image.Image) -> None:
    fmt = "PNG"
    if im.mode == "I":
        im = im.convert("I;16")
    result = ingest(encode(im, fmt), max_pixels=MAX_PIXELS)
    display = open_bytes(result.display_bytes)
    assert display.mode == "RGB"
    if im.mode in ("L", "I;16"):
        # 16-bit grey is scaled, not clipped to white: the gradient survives.
        lo, hi = display.convert("L").getextrema()
        assert lo < 20 and hi > 230


def test_cmyk_jpeg() -> None:
    im = scene((120, 80)).convert("CMYK")
    result = ingest(encode(im, "JPEG"), max_pixels=MAX_PIXELS)
    assert open_bytes(result.display_bytes).mode == "RGB"
    assert result.icc is False


# --------------------------------------------------------------------------- metadata


def test_served_images_carry_no_private_metadata() -> None:
    data = encode(
        scene((400, 300)),
        "JPEG",
        exif=private_exif(6),
        xmp=XMP_WITH_GPS,
        comment=b"inspector: " + SERIAL.encode(),
        icc_profile=srgb_icc(),
    )
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture has what we strip
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert result.has_serial and result.gps is not None
    for blob in (result.display_bytes, result.thumb_bytes):
        assert SERIAL.encode() not in blob
        assert b"HUAWEI" not in blob and b"P40 Pro" not in blob
        assert b"Exif\x00\x00" not in blob  # JPEG APP1 Exif
        assert b"EXIF" not in blob and b"XMP " not in blob  # WebP chunks
        assert b"http://ns.adobe.com/xap" not in blob and b"xmpmeta" not in blob
        assert b"inspector" not in blob
        served = open_bytes(blob)
        assert len(served.getexif()) == 0
        assert not served.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in served.info and "xmp" not in served.info
        assert served.info.get("icc_profile") == srgb_icc()  # ICC kept all the same


# --------------------------------------------------------------------------- display passthrough


@pytest.fixture
def encodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes of the display copies that were re-encoded (none: the original was passed through)."""
    calls: list[tuple[int, int]] = []
    real = processing._encode_display

    def spy(img: Image.Image, icc: bytes | None) -> bytes:
        calls.append(img.size)
        return real(img, icc)

    monkeypatch.setattr(processing, "_encode_display", spy)
    return calls


def private_small_jpeg(orientation: int | None = 1, **params) -> bytes:
    """A baseline JPEG within the display size, with everything a served image must not carry."""
    return encode(scene((1200, 900)), "JPEG", quality=params.pop("quality", 92), exif=private_exif(orientation),
                  xmp=XMP_WITH_GPS, comment=b"inspector: " + SERIAL.encode(), icc_profile=srgb_icc(), **params)


@pytest.mark.parametrize("orientation", [1, None, 0])
def test_a_small_upright_baseline_jpeg_is_its_own_display_copy(orientation, encodes) -> None:  # type: ignore[no-untyped-def]
    data = private_small_jpeg(orientation)
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert encodes == []  # not decoded and re-encoded
    assert len(result.display_bytes) <= len(data)
    assert (result.display_width, result.display_height) == (1200, 900)
    assert open_bytes(result.display_bytes).tobytes() == open_bytes(data).tobytes()  # the very same pixels
    served = open_bytes(result.display_bytes)
    assert served.format == "JPEG" and not served.info.get("progressive")
    assert len(served.getexif()) == 0 and not served.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in served.info and "xmp" not in served.info and "comment" not in served.info
    for secret in (SERIAL.encode(), b"HUAWEI", b"Exif\x00\x00", b"xmpmeta", b"inspector"):
        assert secret not in result.display_bytes
    assert served.info.get("icc_profile") == srgb_icc() and result.icc is True
    assert result.gps is not None and result.has_serial  # the original's provenance is still read


def test_the_passthrough_drops_an_mpo_tail_and_keeps_no_icc_it_was_not_given(encodes) -> None:  # type: ignore[no-untyped-def]
    data = encode(scene((800, 600)), "JPEG", quality=90)
    tail = b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00HUAWEI..\xff\xd9"  # a second image after EOI, as an MPO has
    result = ingest(data + tail, max_pixels=MAX_PIXELS)
    assert encodes == [] and result.display_bytes == data and result.icc is False


@pytest.mark.parametrize("case", ["progressive", "cmyk", "rotated", "too_big", "grey", "png"])
def test_other_photos_still_get_a_re_encoded_display_copy(case: str, encodes) -> None:  # type: ignore[no-untyped-def]
    data = {
        "progressive": lambda: private_small_jpeg(progressive=True),
        "cmyk": lambda: encode(scene((400, 300)).convert("CMYK"), "JPEG"),
        "rotated": lambda: private_small_jpeg(6),
        "too_big": lambda: encode(scene((1700, 900)), "JPEG", quality=92),
        "grey": lambda: encode(scene((400, 300)).convert("L"), "JPEG"),
        "png": lambda: encode(scene((400, 300)), "PNG"),
    }[case]()
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert len(encodes) == 1
    served = open_bytes(result.display_bytes)
    assert served.mode == "RGB" and not served.info.get("progressive") and len(served.getexif()) == 0


def test_real_iphone_photo() -> None:
    data = need(IPHONE).read_bytes()
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert result.format == "jpeg"
    assert (result.width, result.height) == (3024, 4032)  # stored 4032x3024, orientation 6
    assert (result.display_width, result.display_height) == (1200, 1600)
    assert (result.thumb_width, result.thumb_height) == (240, 320)
    assert result.taken_at == datetime(2025, 7, 30, 13, 52, 33, 47000, tzinfo=timezone(timedelta(hours=8)))
    assert result.gps is not None
    assert result.gps.lat == pytest.approx(30 + 16 / 60 + 45.38 / 3600, abs=1e-6)
    assert result.gps.lon == pytest.approx(120 + 7 / 60 + 11.85 / 3600, abs=1e-6)
    assert result.gps.alt == pytest.approx(13.57, abs=0.01)
    assert (result.device_make, result.device_model) == ("Apple", "iPhone 12")
    assert result.has_serial is False
    for blob in (result.display_bytes, result.thumb_bytes):
        assert b"iPhone" not in blob and b"Exif\x00\x00" not in blob


def test_provenance_from_exif() -> None:
    result = ingest(encode(scene(), "JPEG", exif=private_exif()), max_pixels=MAX_PIXELS)
    assert result.taken_at == datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=timezone(timedelta(hours=8)))
    assert result.gps == GPS(lat=pytest.approx(22.545), lon=pytest.approx(113.94), alt=12.5)
    assert result.device_make == "HUAWEI"
    assert result.device_model == "P40 Pro"
    assert result.has_serial is True


def test_provenance_naive_time_and_southern_western_hemisphere() -> None:
    exif = private_exif(offset=None)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x01"  # below sea level
    del exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSAltitude]
    result = ingest(encode(scene(), "JPEG", exif=exif), max_pixels=MAX_PIXELS)
    assert result.taken_at == datetime(2024, 5, 6, 7, 8, 9, 250000)
    assert result.taken_at.tzinfo is None
    assert result.gps is not None
    assert result.gps.lat == pytest.approx(-22.545)
    assert result.gps.lon == pytest.approx(-113.94)
    assert result.gps.alt is None


def test_no_exif() -> None:
    result = ingest(encode(scene(), "PNG"), max_pixels=MAX_PIXELS)
    assert result.taken_at is None and result.gps is None
    assert result.device_make is None and result.device_model is None
    assert result.has_serial is False


def test_bad_exif_values_are_ignored() -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "  \x00"
    exif[ExifTags.Base.Orientation] = 42  # out of range: treated as upright
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "0000:00:00 00:00:00"
    sub[ExifTags.Base.OffsetTimeOriginal] = "garbage"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (123.0, 0.0, 0.0)  # not a latitude
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (10.0, 0.0, 0.0)
    result = ingest(encode(scene((60, 40)), "JPEG", exif=exif), max_pixels=MAX_PIXELS)
    assert (result.width, result.height) == (60, 40)
    assert result.taken_at is None and result.gps is None and result.device_make is None


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_block_does_not_reject_the_photo() -> None:
    data = encode(scene((60, 40)), "JPEG", exif=b"Exif\x00\x00MM\x00*garbage" + bytes(40))
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert result.width == 60 and result.taken_at is None


# --------------------------------------------------------------------------- HEIC


def test_heic_round_trip() -> None:
    if not pillow_heif.libheif_info()["encoders"]:
        pytest.skip("no HEIF encoder in this pillow_heif build")
    icc = srgb_icc()
    stored = scene((480, 320))
    data = encode(stored, "HEIF", quality=70, exif=private_exif(6).tobytes(), icc_profile=icc)
    assert sniff(data) == "heic"
    result = ingest(data, max_pixels=MAX_PIXELS, display_max=300, thumb_max=90)
    assert result.format == "heic" and result.mime == "image/heic"
    # libheif applies the rotation; the size is upright.
    assert (result.width, result.height) == (320, 480)
    assert (result.display_width, result.display_height) == (200, 300)
    assert (result.thumb_width, result.thumb_height) == (60, 90)
    assert result.taken_at == datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=timezone(timedelta(hours=8)))
    assert result.gps is not None and result.gps.lat == pytest.approx(22.545)
    assert result.has_serial
    assert result.icc
    display = open_bytes(result.display_bytes)
    assert display.info.get("icc_profile") == icc
    assert SERIAL.encode() not in result.display_bytes
    expected = stored.transpose(Image.Transpose.ROTATE_270).resize((200, 300))
    assert mean_abs_diff(display, expected, (40, 60)) < 6


# --------------------------------------------------------------------------- dHash


def test_dhash_representation() -> None:
    result = ingest(need(EXIF_DIR / "Landscape_1.jpg").read_bytes(), max_pixels=MAX_PIXELS)
    assert -(2**63) <= result.dhash < 2**63  # fits a signed BIGINT column
    assert re.fullmatch(r"[0-9a-f]{16}", result.dhash_hex)
    assert dhash_from_hex(result.dhash_hex) == result.dhash
    assert dhash_to_hex(result.dhash) == result.dhash_hex
    assert hamming(result.dhash, result.dhash_hex) == 0
    assert hamming(0, -1) == 64
    assert hamming("ffffffffffffffff", 0) == 64
    assert hamming(0b1011, 0b0001) == 2
    with pytest.raises(ValueError):
        dhash_from_hex("xyz")


def test_dhash_near_duplicates_and_different_photos() -> None:
    path = need(EXIF_DIR / "Landscape_1.jpg")
    data = path.read_bytes()
    base = ingest(data, max_pixels=MAX_PIXELS).dhash
    photo = Image.open(path)
    low_quality = encode(photo, "JPEG", quality=25)
    half = encode(photo.resize((900, 600)), "JPEG", quality=80)
    as_png = encode(photo.resize((450, 300)), "PNG")
    for variant in (low_quality, half, as_png):
        assert hamming(ingest(variant, max_pixels=MAX_PIXELS).dhash, base) <= 4
    # The same photo, rotated on the phone: after orientation it is the same picture.
    rotated = ingest(need(EXIF_DIR / "Landscape_6.jpg").read_bytes(), max_pixels=MAX_PIXELS).dhash
    assert hamming(rotated, base) <= 4
    # Different photos are far apart.
    portrait = ingest(need(EXIF_DIR / "Portrait_1.jpg").read_bytes(), max_pixels=MAX_PIXELS).dhash
    carton = ingest(need(IPHONE).read_bytes(), max_pixels=MAX_PIXELS).dhash
    assert hamming(portrait, base) >= 20
    assert hamming(carton, base) >= 20
    assert hamming(carton, portrait) >= 20


def test_ingested_is_frozen() -> None:
    result = ingest(encode(scene(), "PNG"), max_pixels=MAX_PIXELS)
    assert isinstance(result, Ingested)
    with pytest.raises(AttributeError):
        result.width = 1  # type: ignore[misc]


def test_bad_arguments() -> None:
    with pytest.raises(TypeError):
        ingest("not bytes", max_pixels=MAX_PIXELS)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ingest(encode(scene(), "PNG"), max_pixels=0)
    assert ingest(bytearray(encode(scene(), "PNG")), max_pixels=MAX_PIXELS).width == 96


def test_completeness_check_accepts_real_files_and_rejects_cuts() -> None:
    files = sorted(need(EXIF_DIR).glob("*.jpg")) + [need(IPHONE)]
    samples = [p.read_bytes() for p in files]
    im = scene((256, 192))
    samples += [
        encode(im, "JPEG", progressive=True),
        encode(im, "JPEG", restart_marker_rows=1),
        encode(im, "JPEG", restart_marker_blocks=3, subsampling=0),
        encode(im.convert("L"), "JPEG"),
        encode(im.convert("CMYK"), "JPEG"),
        encode(im, "JPEG", exif=private_exif(3)),
    ]
    junk = b"trailing junk after EOI"
    for data in samples:
        assert processing._is_complete(data, "jpeg")
        # Only the first (primary) image counts: an MPO's extra images may follow it.
        mp = getattr(Image.open(io.BytesIO(data)), "mpinfo", None)
        primary = mp[0xB002][0]["Size"] if mp else len(data)
        for keep in (0.1, 0.5, 0.9):
            assert not processing._is_complete(data[: int(primary * keep)], "jpeg")
        assert not processing._is_complete(data[: primary - 2], "jpeg")
        assert processing._is_complete(data + junk, "jpeg")


# --------------------------------------------------------------------------- probe


def test_probe_reads_only_the_header(no_decoding: None) -> None:
    from api.media.processing import Probe, probe

    jpeg = encode(scene((120, 60)), "JPEG", exif=private_exif(6))
    assert probe(jpeg, max_pixels=MAX_PIXELS) == Probe("jpeg", 60, 120)
    assert probe(encode(scene((120, 60)), "PNG"), max_pixels=MAX_PIXELS) == Probe("png", 120, 60)
    assert probe(encode(scene((120, 60)), "WEBP"), max_pixels=MAX_PIXELS) == Probe("webp", 120, 60)
    with pytest.raises(ImageTooLarge):
        probe(png_header_only(100_000, 100_000), max_pixels=MAX_PIXELS)
    with pytest.raises(ImageTooLarge):
        probe(jpeg, max_pixels=7199)
    with pytest.raises(UnsupportedImage):
        probe(b"GIF89a" + bytes(100), max_pixels=MAX_PIXELS)
    with pytest.raises(CorruptImage):
        probe(b"\x89PNG\r\n\x1a\n" + bytes(100), max_pixels=MAX_PIXELS)


def png_chunks(data: bytes) -> list[bytes]:
    chunks, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunks.append(data[pos : pos + 12 + length])
        pos += 12 + length
    return chunks


@pytest.mark.parametrize("exif_last", [False, True], ids=["before-IDAT", "after-IDAT"])
def test_png_exif(exif_last: bool, no_decoding: None, monkeypatch: pytest.MonkeyPatch) -> None:
    data = encode(scene((120, 60)), "PNG", exif=private_exif(6))
    if exif_last:  # allowed by the PNG spec; Pillow only finds it after decoding
        chunks = png_chunks(data)
        exif = next(c for c in chunks if c[4:8] == b"eXIf")
        chunks.remove(exif)
        chunks.insert(-1, exif)
        data = b"\x89PNG\r\n\x1a\n" + b"".join(chunks)
        assert data.index(b"eXIf") > data.index(b"IDAT")
    from api.media.processing import probe

    # probe() never decodes, so it may miss an orientation that follows the pixels.
    assert probe(data, max_pixels=MAX_PIXELS).width == (120 if exif_last else 60)
    monkeypatch.undo()  # ingest decodes, of course
    result = ingest(data, max_pixels=MAX_PIXELS)
    assert (result.width, result.height) == (60, 120)
    assert result.has_serial and result.device_model == "P40 Pro"
    assert result.gps is not None and result.taken_at is not None
    assert SERIAL.encode() not in result.display_bytes + result.thumb_bytes


# --------------------------------------------------------------------------- Pillow memory


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, "1048576 64"), ({"PILLOW_BLOCKS_MAX": "3"}, "16777216 3")],
    ids=["ours", "deployment's"],
)
def test_pillow_block_allocator(env: dict[str, str], expected: str) -> None:
    """The first ingest sets Pillow's allocator (api.imaging.use_memory_pool says why) unless the
    environment already chose; importing the module leaves it alone."""
    import os
    import subprocess
    import sys

    code = (
        "from PIL import Image\n"
        "stock = Image.core.get_block_size(), Image.core.get_blocks_max()\n"
        "from api.media import processing\n"
        "assert (Image.core.get_block_size(), Image.core.get_blocks_max()) == stock\n"
        f"processing.ingest({encode(scene(), 'PNG')!r}, max_pixels=10**6)\n"
        "print(Image.core.get_block_size(), Image.core.get_blocks_max())"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PILLOW_BLOCK")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == expected.split()


@pytest.mark.parametrize("size", [(1, 1), (1, 100), (100, 1), (1, 4000), (4000, 1), (2, 2), (3, 1)])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_tiny_and_thin_photos_get_a_display_and_a_thumb(size: tuple[int, int], fmt: str) -> None:
    result = ingest(encode(Image.new("RGB", size, (200, 30, 30)), fmt), max_pixels=MAX_PIXELS)
    assert (result.width, result.height) == size
    display, thumb = open_bytes(result.display_bytes), open_bytes(result.thumb_bytes)
    assert display.size == (result.display_width, result.display_height)
    assert thumb.size == (result.thumb_width, result.thumb_height)
    assert min(display.size) >= 1 and max(display.size) <= 1600 and max(thumb.size) <= 320
    assert -(2**63) <= result.dhash < 2**63
