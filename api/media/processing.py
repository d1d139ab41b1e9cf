"""Photo ingest: the image-processing core of the photos area.

Pure functions over bytes: no web framework, no database, no storage. The web layer calls
:func:`ingest` in a worker thread and stores what it returns, or calls
``api.media.storage.ingest_and_store`` which does both.

Pipeline of :func:`ingest`::

    sniff magic bytes -> open (header only) -> pixel-count check -> EXIF, parsed once (orientation,
    provenance) -> JPEG draft decode at the power-of-two scale the display needs -> one resize to
    the display size (in the stored orientation) -> transpose the small image upright -> display
    JPEG (baseline, ICC kept, no EXIF) || thumb WebP reduced from the display (ICC kept, no EXIF)
    + dHash of the display

With ``parallel=True`` (the default) the work is spread over two threads: the SHA-256 (and, for
``ingest_and_store``, the original's write) runs while the image decodes, the resize is cut into
two strips, and the thumb and the dHash are made while the display JPEG encodes. Pillow releases
the GIL in all of these (for encoding only when it writes to a file descriptor, see
:func:`_save`).

Where the CPU time goes, for a 12 MP phone JPEG (``bench/photos.py --stages``, ~76 ms in all):
the draft decode ~38 ms (the floor: nothing can be done without it), the 2000 -> 1600 px resize
~20 ms, display JPEG ~5, thumb ~4.5 (reduce + WebP), SHA-256 ~2.5, the three fsynced writes ~3,
dHash ~1.5, the rest < 1. A progressive display JPEG would add ~28 ms, which is why the display
is baseline.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from PIL import ExifTags, Image, ImageCms, ImageFile

from api import imaging
from api.imaging import SNIFF_BYTES, CorruptImage, ImageError, ImageTooLarge, use_memory_pool
from api.imaging import NotAnImage as UnsupportedImage

# Sniffing, opening, the pixel limit, HEIF and the errors are api.imaging's (re-exported here).
# Pillow's memory pool is set up when the first photo is ingested (imaging.use_memory_pool says
# why), not on import.

__all__ = [
    "FORMATS",
    "GPS",
    "SNIFF_BYTES",
    "CorruptImage",
    "ImageError",
    "ImageTooLarge",
    "Ingested",
    "Probe",
    "UnsupportedImage",
    "dhash_from_hex",
    "dhash_to_hex",
    "hamming",
    "ingest",
    "probe",
    "sniff",
]

#: Formats :func:`sniff` recognises, with their MIME types.
FORMATS: dict[str, str] = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}

#: Display JPEG settings. Baseline with the standard Huffman tables: a progressive JPEG renders
#: early on slow connections and is about 6 % smaller, but its encode costs about 6x the CPU
#: (~33 ms against ~5 ms for a 1600 px photo, more than the resize); ``optimize`` saves 1.5 % for
#: 2.5x the CPU. Either would break the ingest time budget (see bench/photos.py).
DISPLAY_QUALITY = 85
DISPLAY_PROGRESSIVE = False
#: Thumb WebP settings (method 2: the thumb is small; it is 8 % smaller than with method 1 for
#: 0.6 ms more, and higher methods double its encode time).
THUMB_QUALITY = 80
THUMB_METHOD = 2

# Display resize: one pass from the draft-decoded image (less than 2x larger) to the display size.
# HAMMING is the best of the cheap filters here. Against a LANCZOS resize of the full-size image
# (12 MP photos): HAMMING 34-37 dB PSNR, BILINEAR 1.5 dB less at the same cost (~19 ms), BOX 3.5
# dB less for 30 % less time; LANCZOS from the draft is 42-45 dB but takes twice as long.
_DISPLAY_FILTER = Image.Resampling.HAMMING
_THUMB_FILTER = Image.Resampling.HAMMING


# --------------------------------------------------------------------------- results


class GPS(NamedTuple):
    """Position from EXIF, in decimal degrees (WGS 84) and metres above sea level."""

    lat: float
    lon: float
    alt: float | None = None


class Probe(NamedTuple):
    """What the header says, from :func:`probe` (nothing decoded)."""

    format: str
    width: int  #: after EXIF orientation
    height: int


@dataclass(frozen=True, slots=True)
class Ingested:
    """Everything :func:`ingest` learned and made from one uploaded photo."""

    sha256: str  #: hex SHA-256 of the original bytes (64 lowercase hex digits)
    format: str  #: "jpeg" | "png" | "webp" | "heic" (the original's format)
    width: int  #: original, full size, after EXIF orientation
    height: int
    #: baseline JPEG, long side <= display_max, ICC profile kept, no EXIF/XMP. A baseline YCbCr JPEG
    #: that is upright and fits is used as is, without its metadata (no re-encode: never bigger)
    display_bytes: bytes = field(repr=False)
    display_width: int
    display_height: int
    #: WebP reduced from the display, long side <= thumb_max, ICC profile kept, no EXIF/XMP
    thumb_bytes: bytes = field(repr=False)
    thumb_width: int
    thumb_height: int
    dhash: int  #: 64-bit dHash of the display as a signed int64 (fits BIGINT/INTEGER columns)
    taken_at: datetime | None  #: DateTimeOriginal; aware when OffsetTimeOriginal is present
    gps: GPS | None
    device_make: str | None
    device_model: str | None
    has_serial: bool  #: the original's EXIF names a body/lens/camera serial number
    icc: bool  #: the display and the thumb carry an ICC profile

    display_mime: ClassVar[str] = "image/jpeg"
    thumb_mime: ClassVar[str] = "image/webp"

    @property
    def mime(self) -> str:
        """MIME type of the original."""
        return FORMATS[self.format]

    @property
    def dhash_hex(self) -> str:
        return dhash_to_hex(self.dhash)


# --------------------------------------------------------------------------- sniff


def sniff(data_head: bytes) -> str | None:
    """Return "jpeg", "png", "webp" or "heic" from the magic bytes, else None.

    :func:`api.imaging.sniff`, limited to the formats a photo may have (:data:`FORMATS`).
    """
    fmt = imaging.sniff(data_head)
    return fmt if fmt in FORMATS else None


# --------------------------------------------------------------------------- dHash


def hamming(a: int | str, b: int | str) -> int:
    """Number of differing bits between two 64-bit dHashes (ints, signed or not, or hex)."""
    return ((_hash_int(a) ^ _hash_int(b)) & _MASK64).bit_count()


def dhash_to_hex(value: int) -> str:
    return f"{value & _MASK64:016x}"


def dhash_from_hex(text: str) -> int:
    """Parse 16 hex digits into the signed int64 form used by :attr:`Ingested.dhash`."""
    if not re.fullmatch(r"[0-9a-fA-F]{16}", text):
        raise ValueError(f"not a 64-bit hex hash: {text!r}")
    return _signed64(int(text, 16))


_MASK64 = (1 << 64) - 1


def _hash_int(value: int | str) -> int:
    return dhash_from_hex(value) if isinstance(value, str) else value


def _signed64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >= 1 << 63 else value


def _dhash(img: Image.Image) -> int:
    """dHash: 9x8 grey (area average), bit = pixel brighter than its right neighbour.

    Row-major, most significant bit first.
    """
    small = img.resize((9, 8), Image.Resampling.BOX, reducing_gap=2.0).convert("L")
    px = small.tobytes()
    bits = 0
    for row in range(8):
        base = row * 9
        for col in range(8):
            bits = (bits << 1) | (px[base + col] > px[base + col + 1])
    return _signed64(bits)


# --------------------------------------------------------------------------- threads

_T = TypeVar("_T")


class _Job(Generic[_T]):
    """Run ``fn`` in a helper thread (or at once when not parallel); ``result()`` joins."""

    __slots__ = ("_exc", "_result", "_thread")

    def __init__(self, parallel: bool, fn: Callable[..., _T], *args: Any) -> None:
        self._result: _T | None = None
        self._exc: BaseException | None = None
        self._thread: threading.Thread | None = None
        if parallel:
            self._thread = threading.Thread(
                target=self._run, args=(fn, args), name="media-ingest", daemon=True
            )
            self._thread.start()
        else:
            self._run(fn, args)

    def _run(self, fn: Callable[..., _T], args: tuple[Any, ...]) -> None:
        try:
            self._result = fn(*args)
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._exc = exc

    def wait(self) -> None:
        """Join, dropping the result or error (when another error is the one to report)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._result = self._exc = None

    def result(self) -> _T:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._exc is not None:
            exc, self._exc = self._exc, None
            raise exc
        return self._result  # type: ignore[return-value]


# --------------------------------------------------------------------------- ingest


def probe(data: bytes, *, max_pixels: int) -> Probe:
    """Cheap validation from the header only: format and upright size.

    Raises what :func:`ingest` raises for the header (:class:`UnsupportedImage`,
    :class:`ImageTooLarge`, :class:`CorruptImage` for an unreadable header). A photo that passes
    may still turn out truncated or corrupt when :func:`ingest` decodes it.
    """
    fmt, im = _open(_as_bytes(data), max_pixels)
    w, h = im.size
    if _orientation(_read_exif(im, may_load=False)) >= 5:
        w, h = h, w
    return Probe(fmt, w, h)


def _as_bytes(data: bytes) -> bytes:
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"image data must be bytes, not {type(data).__name__}")
    return data


def ingest(
    data: bytes,
    *,
    max_pixels: int,
    display_max: int = 1600,
    thumb_max: int = 320,
    parallel: bool = True,
) -> Ingested:
    """Validate, hash and render one uploaded photo.

    Synchronous and CPU-bound: call it from a worker thread. ``max_pixels`` bounds the pixel count
    declared in the header (checked before decoding). ``parallel=False`` keeps all work in the
    calling thread.

    Raises :class:`UnsupportedImage`, :class:`ImageTooLarge` or :class:`CorruptImage`.
    """
    return _ingest(
        data,
        max_pixels=max_pixels,
        display_max=display_max,
        thumb_max=thumb_max,
        parallel=parallel,
    )


def _ingest(
    data: bytes,
    *,
    max_pixels: int,
    display_max: int,
    thumb_max: int,
    parallel: bool,
    on_verified: Callable[[str, str], object] | None = None,
) -> Ingested:
    """:func:`ingest`, with a hook for ``api.media.storage.ingest_and_store``.

    ``on_verified(fmt, sha256)`` is called once the header has passed every check and the data is
    hashed, in the helper thread while the pixels decode, so the caller can store the original
    meanwhile without hashing it a second time. It may still be called for a photo that then
    fails to decode: the caller undoes its work when this raises. Whatever this raises, the hook
    has returned by then; an error from the hook is raised from here unless the photo itself
    failed (that error is the one to report).
    """
    data = _as_bytes(data)
    if max_pixels < 1 or display_max < 1 or thumb_max < 1:
        raise ValueError("max_pixels, display_max and thumb_max must be positive")

    use_memory_pool()
    fmt, im = _open(data, max_pixels)
    width, height = im.size

    # Hash while the pixels decode (hashlib releases the GIL). Pillow raises on truncated data
    # unless some code in the process set ImageFile.LOAD_TRUNCATED_IMAGES; then check ourselves.
    check = bool(ImageFile.LOAD_TRUNCATED_IMAGES)
    background = _Job(parallel, _verify, data, fmt, check, on_verified)
    try:
        exif = _read_exif(im, may_load=False)  # parsed once: orientation here, provenance below
        if fmt == "jpeg":
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, never below the display size, which
            # depends on the orientation: the decoder works on the stored (unrotated) pixels.
            swap = _orientation(exif) >= 5
            upright = (height, width) if swap else (width, height)
            display_size = _fit(upright, display_max)
            im.draft("RGB", display_size[::-1] if swap else display_size)
        imaging.load(im, max_pixels=max_pixels)
    except BaseException:
        background.wait()  # the hook must have finished before the caller cleans up after it
        raise
    sha256 = background.result()
    if fmt == "png":
        exif = _read_exif(im)  # a PNG's eXIf chunk may come after the pixels

    orientation = _orientation(exif)
    swap = orientation >= 5  # 5..8 store the picture turned by 90 degrees
    upright = (height, width) if swap else (width, height)
    display_size = _fit(upright, display_max)
    stored_target = display_size[::-1] if swap else display_size

    icc = _valid_icc(im.info.get("icc_profile"))
    decoded_rgb = im.mode == "RGB"
    rgb, icc = _to_rgb(im, icc)
    del im
    display = _resize_upright(rgb, stored_target, orientation, parallel)
    del rgb

    # A small, upright, baseline YCbCr JPEG is its own display copy once its metadata is dropped: a
    # re-encode would only be bigger or worse (see _display_passthrough).
    passthrough = None
    if fmt == "jpeg" and decoded_rgb and orientation == 1 and display.size == (width, height):
        passthrough = _display_passthrough(data, keep_icc=icc is not None)
    encoded = None if passthrough else _Job(parallel, _encode_display, display, icc)
    thumb = _thumbnail(display, thumb_max)
    thumb_bytes = _encode_thumb(thumb, icc)
    dhash = _dhash(display)
    display_bytes = passthrough or encoded.result()  # type: ignore[union-attr]

    provenance = _provenance(exif)
    return Ingested(
        sha256=sha256,
        format=fmt,
        width=upright[0],
        height=upright[1],
        display_bytes=display_bytes,
        display_width=display.width,
        display_height=display.height,
        thumb_bytes=thumb_bytes,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        dhash=dhash,
        icc=icc is not None,
        **provenance,
    )


def _open(data: bytes, max_pixels: int) -> tuple[str, ImageFile.ImageFile]:
    """Sniff, parse the header (no pixels are decoded) and enforce the pixel limit."""
    # A function of this module's own (not an import) so that bench/photos.py --stages can time it.
    return imaging.open_image(data, max_pixels=max_pixels, accept=FORMATS)


def _verify(
    data: bytes, fmt: str, check: bool, on_verified: Callable[[str, str], object] | None
) -> str:
    """SHA-256 of the data; with ``check``, raise :class:`CorruptImage` unless it is complete.
    Then call ``on_verified`` (see :func:`_ingest`)."""
    sha256 = hashlib.sha256(data).hexdigest()
    if check and not _is_complete(data, fmt):
        raise CorruptImage(detail=f"{fmt} data is truncated")
    if on_verified is not None:
        on_verified(fmt, sha256)
    return sha256


def _fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """Scale ``size`` down (never up) so its long side is at most ``limit``."""
    w, h = size
    if max(w, h) <= limit:
        return w, h
    if w >= h:
        return limit, max(1, round(h * limit / w))
    return max(1, round(w * limit / h)), limit


# Pillow transposes per EXIF orientation (as ImageOps.exif_transpose does).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# Rows per strip below which splitting the resize over two threads is not worth a thread.
_MIN_PARALLEL_ROWS = 256


def _resize_upright(
    img: Image.Image, stored_size: tuple[int, int], orientation: int, parallel: bool
) -> Image.Image:
    """Resize to ``stored_size`` (stored orientation), then turn upright. Returns a new image."""
    method = _TRANSPOSE.get(orientation)
    w, h = stored_size
    if img.size == stored_size or not parallel or h < 2 * _MIN_PARALLEL_ROWS:
        if img.size != stored_size:
            out = img.resize(stored_size, _DISPLAY_FILTER)
        elif method is None:
            out = img.copy()
        else:
            out = img
        out = out.transpose(method) if method is not None else out
        out.info = {}  # nothing of the original's metadata travels on
        return out

    # Two horizontal strips, each resized (and turned) in its own thread. Pillow's box argument
    # samples outside the box, so the strips meet without a seam.
    mid = h // 2
    split = mid * img.height / h

    def strip(top: bool) -> Image.Image:
        y0, y1 = (0.0, split) if top else (split, float(img.height))
        part = img.resize((w, mid if top else h - mid), _DISPLAY_FILTER, box=(0, y0, img.width, y1))
        return part.transpose(method) if method is not None else part

    lower = _Job(True, strip, False)
    upper = strip(True)
    out = Image.new(img.mode, (h, w) if orientation >= 5 else (w, h), None)  # fully overwritten
    out.paste(upper, _upright_corner((0, 0, w, mid), w, h, orientation))
    out.paste(lower.result(), _upright_corner((0, mid, w, h), w, h, orientation))
    return out


def _upright_corner(
    box: tuple[int, int, int, int], w: int, h: int, orientation: int
) -> tuple[int, int]:
    """Top-left corner, in the upright image, of a box of the stored (w x h) image."""
    x0, y0, x1, y1 = box
    return {
        1: (x0, y0),
        2: (w - x1, y0),
        3: (w - x1, h - y1),
        4: (x0, h - y1),
        5: (y0, x0),
        6: (h - y1, x0),
        7: (h - y1, w - x1),
        8: (y0, w - x1),
    }.get(orientation, (x0, y0))


def _thumbnail(display: Image.Image, thumb_max: int) -> Image.Image:
    """The thumb, made from the (already small) display image."""
    size = _fit(display.size, thumb_max)
    if size == display.size:
        return display
    # A whole-number factor (1600 -> 320 is 5, for 4:3 and 16:9 photos alike) is an exact area
    # average: Image.reduce, 1 ms against 3.3 ms for the resize below. (It keeps a little more
    # detail, so the WebP is ~10 % larger: ~17 KB instead of ~15 KB.) Otherwise a resize, which
    # with reducing_gap first reduces by half the factor, then filters the rest.
    factor = display.width // size[0]
    if display.size == (size[0] * factor, size[1] * factor):
        return display.reduce(factor)
    return display.resize(size, _THUMB_FILTER, reducing_gap=2.0)


def _encode_display(img: Image.Image, icc: bytes | None) -> bytes:
    # Progressive implies optimised Huffman tables in libjpeg (see DISPLAY_PROGRESSIVE). No
    # exif/xmp/comment is passed, and Pillow writes only what it is given.
    return _save(
        img, "JPEG", quality=DISPLAY_QUALITY, progressive=DISPLAY_PROGRESSIVE, icc_profile=icc
    )


# JPEG markers (ITU T.81 Table B.1)
_SOI, _EOI, _SOS, _SOF0 = 0xD8, 0xD9, 0xDA, 0xC0
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_APP0, _APP2, _APP14 = 0xE0, 0xE2, 0xEE


def _display_passthrough(data: bytes, *, keep_icc: bool) -> bytes | None:
    """The original JPEG without its metadata, as the display copy, or None when it must be re-encoded.

    Only a baseline (SOF0) three-component YCbCr JPEG qualifies; the caller has checked that it fits
    the display size and is upright (EXIF orientation 1 or none). Its coded data are copied untouched,
    so it decodes to the very same pixels. Dropped: APP1 (EXIF with GPS, XMP), APP3..APP13, APP15, COM,
    an APP2 that is not the ICC profile (MPF, FlashPix), a JFXX thumbnail, and anything after EOI (an
    MPO's other images). Kept: SOI, JFIF APP0, the ICC profile's APP2 chunks (when ``keep_icc``), Adobe
    APP14 (it says how the components are coded), and every table, frame and scan segment.
    """
    if data[:2] != b"\xff\xd8":
        return None
    out = [data[:2]]
    pos, n = 2, len(data)
    frame = False
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in (_SOI, _EOI) or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            return None  # no standalone marker belongs before the scan
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > n:
            return None
        body = data[pos + 4 : end]
        if marker in _SOF_MARKERS:
            # baseline only, 8-bit, three components (1 = grey, 4 = CMYK/YCCK)
            if marker != _SOF0 or frame or len(body) < 6 or body[0] != 8 or body[5] != 3:
                return None
            frame = True
        elif marker == _APP14 and body[:5] == b"Adobe" and len(body) >= 12 and body[11] != 1:
            return None  # Adobe transform 0: the components are RGB, not YCbCr
        elif marker == _SOS:
            if not frame:
                return None
            eoi = data.find(b"\xff\xd9", end)  # coded data never hold 0xFF 0xD9: the first is the EOI
            if eoi < 0:
                return None
            out.append(data[pos : eoi + 2])
            return b"".join(out)
        keep = (
            not (0xE0 <= marker <= 0xEF or marker == 0xFE)  # tables, frame, DRI …: always
            or (marker == _APP0 and body[:5] == b"JFIF\x00")
            or (marker == _APP2 and keep_icc and body[:12] == b"ICC_PROFILE\x00")
            or (marker == _APP14 and body[:5] == b"Adobe")
        )
        if keep:
            out.append(data[pos:end])
        pos = end
    return None


def _encode_thumb(img: Image.Image, icc: bytes | None) -> bytes:
    return _save(img, "WEBP", quality=THUMB_QUALITY, method=THUMB_METHOD, icc_profile=icc)


def _save(img: Image.Image, fmt: str, **params: Any) -> bytes:
    """``img.save`` into memory, letting other threads run meanwhile.

    Pillow holds the GIL while it encodes into a Python object (BytesIO) and releases it only
    when it can write to a file descriptor, so encode into an anonymous in-memory file.
    """
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("floorcheck-encode", os.MFD_CLOEXEC)
        f = open(fd, "w+b", buffering=0)  # noqa: SIM115
    else:
        f = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115
    with f:
        img.save(f, fmt, **params)
        f.seek(0)
        return f.read()


# --------------------------------------------------------------------------- colour


def _valid_icc(icc: Any) -> bytes | None:
    """The profile if it looks like an ICC profile (header with 'acsp'), else None."""
    if not isinstance(icc, bytes) or len(icc) < 132 or icc[36:40] != b"acsp":
        return None
    return icc


_SRGB: tuple[Any, bytes] | None = None
_SRGB_LOCK = threading.Lock()


def _srgb() -> tuple[Any, bytes]:
    global _SRGB
    with _SRGB_LOCK:
        if _SRGB is None:
            profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            _SRGB = (profile, profile.tobytes())
        return _SRGB


def _to_rgb(img: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """Convert to 8-bit RGB (alpha flattened on white); keep the ICC profile when it still fits.

    A CMYK or grey profile is applied (converted to sRGB, which is then attached), since an RGB
    image cannot carry it.
    """
    space = icc[16:20] if icc else None
    if img.mode == "RGB":
        return img, icc if space == b"RGB " else None
    if icc and (space, img.mode) in ((b"CMYK", "CMYK"), (b"GRAY", "L")):
        try:
            srgb, srgb_bytes = _srgb()
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out = ImageCms.profileToProfile(img, src, srgb, outputMode="RGB")
            if out is not None:
                return out, srgb_bytes
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
        icc = None
    keep = icc if space == b"RGB " else None
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        grey = img.convert("I") if img.mode != "I" else img
        return grey.point(lambda v: v * (1 / 257)).convert("L").convert("RGB"), None
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        img.mode == "P" and "transparency" in img.info
    )
    if has_alpha:
        rgba = img.convert("RGBA")
        out = Image.new("RGB", img.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
        return out, keep
    return img.convert("RGB"), keep


# --------------------------------------------------------------------------- completeness


# A marker in JPEG entropy-coded data: 0xFF not followed by 0x00 (stuffing), RSTn or 0xFF (fill).
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _is_complete(data: bytes, fmt: str) -> bool:
    """Structural end-of-file check, so truncation is caught even if some other code in the
    process set ``ImageFile.LOAD_TRUNCATED_IMAGES`` (Pillow then decodes truncated data
    silently). Holds the GIL for a few ms on a large file, hence only used in that case."""
    try:
        if fmt == "jpeg":
            return _jpeg_complete(data)
        if fmt == "png":
            return data.rfind(b"IEND\xaeB`\x82") > 8
        if fmt == "webp":
            return len(data) >= 8 + int.from_bytes(data[4:8], "little")
        if fmt == "heic":
            return _isobmff_complete(data)
    except (IndexError, ValueError):
        return False
    return True


def _jpeg_complete(data: bytes) -> bool:
    """True if the first image reaches its EOI marker (walking segments, then scan data)."""
    n = len(data)
    pos = 2  # after SOI
    while pos < n:
        if data[pos] != 0xFF:
            # Extraneous bytes (libjpeg warns and skips to the next marker).
            m = _JPEG_MARKER.search(data, pos)
            if m is None:
                return False
            pos = m.start()
        while pos + 1 < n and data[pos + 1] == 0xFF:  # fill bytes
            pos += 1
        if pos + 1 >= n:
            return False
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI
            return True
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers
            pos += 2
            continue
        if pos + 4 > n:
            return False
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return False
        end = pos + 2 + length
        if end > n:
            return False
        if marker == 0xDA:  # SOS: entropy-coded data up to the next real marker
            m = _JPEG_MARKER.search(data, end)
            if m is None:
                return False
            pos = m.start()
        else:
            pos = end
    return False


def _isobmff_complete(data: bytes) -> bool:
    """Every top-level box of the HEIF file fits in the data."""
    n = len(data)
    pos = 0
    while pos < n:
        if pos + 8 > n:
            return False
        size = int.from_bytes(data[pos : pos + 4], "big")
        if size == 1:
            if pos + 16 > n:
                return False
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        elif size == 0:  # box runs to the end of the file
            return True
        if size < 8 or pos + size > n:
            return False
        pos += size
    return True


# --------------------------------------------------------------------------- EXIF


def _read_exif(im: Image.Image, *, may_load: bool = True) -> dict[str, Any]:
    """IFD0, Exif and GPS IFDs as plain dicts. Broken EXIF gives empty dicts, never an error:
    metadata is best effort and must not reject a photo.

    With ``may_load=False`` only EXIF already read with the header is used (Pillow's PNG plugin
    decodes the whole image to look for an eXIf chunk after the pixels).
    """
    out: dict[str, Any] = {"ifd0": {}, "exif": {}, "gps": {}}
    if not may_load and im.format == "PNG" and "exif" not in im.info:
        return out
    try:
        exif = im.getexif()
    except Exception:  # noqa: BLE001 - any parser failure just means "no EXIF"
        return out
    try:
        out["ifd0"] = dict(exif)
    except Exception:  # noqa: BLE001
        pass
    for name, ifd in (("exif", ExifTags.IFD.Exif), ("gps", ExifTags.IFD.GPSInfo)):
        try:
            out[name] = dict(exif.get_ifd(ifd))
        except Exception:  # noqa: BLE001
            pass
    return out


def _orientation(exif: dict[str, Any]) -> int:
    value = exif["ifd0"].get(ExifTags.Base.Orientation)
    try:
        value = int(value)
    except (TypeError, ValueError):
        return 1
    return value if 1 <= value <= 8 else 1


_SERIAL_TAGS = (
    ("exif", ExifTags.Base.BodySerialNumber),
    ("exif", ExifTags.Base.LensSerialNumber),
    ("ifd0", ExifTags.Base.CameraSerialNumber),
)


def _provenance(exif: dict[str, Any]) -> dict[str, Any]:
    ifd0, sub = exif["ifd0"], exif["exif"]
    return {
        "taken_at": _taken_at(sub),
        "gps": _gps(exif["gps"]),
        "device_make": _label(ifd0.get(ExifTags.Base.Make)),
        "device_model": _label(ifd0.get(ExifTags.Base.Model)),
        "has_serial": any(_text(exif[ifd].get(tag)) for ifd, tag in _SERIAL_TAGS),
    }


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", " ").strip()


def _label(value: Any, limit: int = 100) -> str | None:
    text = "".join(ch for ch in _text(value) if ch.isprintable()).strip()
    return text[:limit] or None


_EXIF_DATETIME = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def _taken_at(sub: dict[str, Any]) -> datetime | None:
    base = ExifTags.Base
    tags = (
        (base.DateTimeOriginal, base.OffsetTimeOriginal, base.SubsecTimeOriginal),
        (base.DateTimeDigitized, base.OffsetTimeDigitized, base.SubsecTimeDigitized),
    )
    for dt_tag, offset_tag, subsec_tag in tags:
        m = _EXIF_DATETIME.match(_text(sub.get(dt_tag)))
        if m is None:
            continue
        try:
            taken = datetime(*(int(g) for g in m.groups()))  # type: ignore[misc]
        except ValueError:  # "0000:00:00 00:00:00" and the like
            continue
        subsec = _text(sub.get(subsec_tag))
        if subsec.isdigit():
            taken = taken.replace(microsecond=int(subsec[:6].ljust(6, "0")))
        off = _EXIF_OFFSET.fullmatch(_text(sub.get(offset_tag)))
        if off is not None:
            minutes = int(off[2]) * 60 + int(off[3])
            if minutes < 24 * 60:
                sign = -1 if off[1] == "-" else 1
                taken = taken.replace(tzinfo=timezone(timedelta(minutes=sign * minutes)))
        return taken
    return None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _degrees(value: Any, ref: Any, negative: str) -> float | None:
    if isinstance(value, (tuple, list)):
        parts = [_number(v) for v in value[:3]]
        if not parts or any(p is None for p in parts):
            return None
        parts += [0.0] * (3 - len(parts))
        deg = parts[0] + parts[1] / 60 + parts[2] / 3600  # type: ignore[operator]
    else:
        deg = _number(value)
        if deg is None:
            return None
    if _text(ref).upper().startswith(negative):
        deg = -deg
    return round(deg, 7)


def _gps(gps: dict[str, Any]) -> GPS | None:
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    alt = _number(gps.get(ExifTags.GPS.GPSAltitude))
    if alt is not None:
        ref = gps.get(ExifTags.GPS.GPSAltitudeRef)
        below = ref[:1] == b"\x01" if isinstance(ref, bytes) else ref == 1
        alt = round(-alt if below else alt, 2)
    return GPS(lat, lon, alt)
