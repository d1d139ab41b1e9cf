"""The one way into an image: sniff, open, pixel limit, HEIF, and the errors people are shown.

Pure (no web framework, no database). Photos (``api.media.processing``), barcode photos
(``api.barcodes.decoding``) and signatures (:func:`read_signature_png`) all come through here::

    fmt, im = open_image(data, max_pixels=50_000_000)  # header only: nothing decoded yet
    im.draft(...)                                      # optional: JPEG scale and mode
    load(im, max_pixels=50_000_000)                    # the pixels

The format is decided by the magic bytes, and Pillow may only use that format's plugin: it never
guesses among all of its plugins. The pixel count is checked from the header before any pixel
is decoded, against the caller's limit (Pillow's ``MAX_IMAGE_PIXELS`` is process-wide and is left
alone).

Importing this module changes nothing in Pillow. Process-wide settings happen on first use: the
HEIF plugin is registered the first time a HEIF is opened, and the photo pipeline asks for the
memory pool (:func:`use_memory_pool`) when it first ingests a photo.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import threading
from collections.abc import Callable, Collection

from PIL import Image, ImageFile

__all__ = [
    "DECODE_ERRORS",
    "FORMATS",
    "PHOTO_FORMATS",
    "SIGNATURE_MAX_BYTES",
    "SIGNATURE_MAX_PIXELS",
    "SNIFF_BYTES",
    "BadImage",
    "CorruptImage",
    "ImageError",
    "ImageTooLarge",
    "NotAnImage",
    "load",
    "open_image",
    "read_signature_png",
    "register_heif",
    "sniff",
    "use_memory_pool",
]

#: How many leading bytes :func:`sniff` looks at (it accepts fewer or more).
SNIFF_BYTES = 64

# Pillow plugins per sniffed format. An MPO (a phone's JPEG with a depth map or a second
# exposure) opens through the JPEG plugin either way; both names keep that explicit.
_PLUGINS: dict[str, tuple[str, ...]] = {
    "jpeg": ("JPEG", "MPO"),
    "png": ("PNG",),
    "webp": ("WEBP",),
    "heic": ("HEIF",),
    "gif": ("GIF",),
    "bmp": ("BMP",),
    "tiff": ("TIFF",),
}

#: Every format :func:`sniff` recognises.
FORMATS = frozenset(_PLUGINS)
#: What phones and the app send as photos (the default of :func:`open_image`).
PHOTO_FORMATS = frozenset({"jpeg", "png", "webp", "heic"})

#: Errors Pillow and pillow_heif raise on corrupt or truncated input. (Not MemoryError: running
#: out of memory is the server's problem, not the image's.)
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes UnidentifiedImageError and "image file is truncated"
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    RuntimeError,  # libheif errors
)


# --------------------------------------------------------------------------- errors


class ImageError(Exception):
    """Base class of the image errors. ``str(e)`` is the English message for people.

    ``message`` (English) and ``message_zh`` (简体中文) may be shown; ``detail`` is the technical
    reason, for logs only. A raiser may pass both messages to say it more precisely (see
    :func:`read_signature_png`); otherwise the class's own are used.
    """

    #: Machine-readable code (for a problem+json ``reason`` or a log field).
    code = "image_error"
    #: The HTTP status the web layer answers with.
    status_code = 422
    _messages = ("This image cannot be used.", "无法使用此图片。")

    def __init__(
        self, message: str | None = None, message_zh: str | None = None, *, detail: str | None = None
    ) -> None:
        if message is None or message_zh is None:
            message, message_zh = self._messages
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class NotAnImage(ImageError):
    """The bytes are not an image in a format accepted here (→ 415 Unsupported Media Type)."""

    code = "unsupported_image"
    status_code = 415
    _messages = (
        "This file is not a supported photo. Please upload a JPEG, PNG, WebP or HEIC image.",
        "不支持此文件格式。请上传 JPEG、PNG、WebP 或 HEIC 格式的照片。",
    )


class BadImage(ImageError):
    """An image in an accepted format that cannot be used: corrupt, truncated, too many pixels,
    no pixels (→ 422)."""

    code = "bad_image"


class CorruptImage(BadImage):
    """The image is truncated or damaged and cannot be decoded."""

    code = "corrupt_image"
    _messages = (
        "The photo is damaged or incomplete and cannot be read. Please take or upload it again.",
        "照片已损坏或不完整，无法读取。请重新拍摄或上传。",
    )


class ImageTooLarge(BadImage):
    """The header declares more pixels than allowed: a possible decompression bomb.

    Raised before any pixel is decoded. ``width``/``height`` are None when only Pillow's own
    process-wide guard knew the size. Answered with 422 like any unusable image: the upload
    itself was within the size limit.
    """

    code = "image_too_large"

    def __init__(
        self,
        width: int | None,
        height: int | None,
        max_pixels: int,
        *,
        message: str | None = None,
        message_zh: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.width = width
        self.height = height
        self.max_pixels = max_pixels
        if message is None or message_zh is None:
            limit_mp = max_pixels / 1e6
            if width is not None and height is not None:
                mp = width * height / 1e6
                message = (
                    f"The image is too large: {width} × {height} pixels ({mp:.1f} megapixels). "
                    f"The limit is {limit_mp:.1f} megapixels."
                )
                message_zh = (
                    f"图片尺寸过大：{width} × {height} 像素（{mp:.1f} 百万像素），"
                    f"上限为 {limit_mp:.1f} 百万像素。"
                )
            else:
                message = f"The image is too large. The limit is {limit_mp:.1f} megapixels."
                message_zh = f"图片尺寸过大，上限为 {limit_mp:.1f} 百万像素。"
        super().__init__(message, message_zh, detail=detail)


# --------------------------------------------------------------------------- sniff

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
_HEVC_BRANDS = _HEIF_BRANDS - {b"mif1", b"msf1"}
_AVIF_BRANDS = frozenset({b"avif", b"avis"})  # pillow_heif here has no AV1 decoder
_BMP_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})  # the DIB headers Pillow reads


def sniff(data_head: bytes) -> str | None:
    """The format from the magic bytes: one of :data:`FORMATS` ("jpeg", "png", "webp", "heic",
    "gif", "bmp", "tiff"), else None.

    Looks only at the first :data:`SNIFF_BYTES` bytes (pass at least that many when you have
    them). HEIF files (``ftyp`` brands heic/heix/hevc/hevx/heim/heis/hevm/hevs/mif1/msf1) are
    "heic"; AVIF (also ``mif1``-based) is not supported and gives None.
    """
    h = bytes(data_head[:SNIFF_BYTES])
    if h[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if h[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if len(h) >= 12 and h[:4] == b"RIFF" and h[8:12] == b"WEBP":
        return "webp"
    if len(h) >= 12 and h[4:8] == b"ftyp":
        box_size = int.from_bytes(h[:4], "big")
        if box_size < 16 or box_size % 4:
            return None
        major = h[8:12]
        compatible = {h[i : i + 4] for i in range(16, min(box_size, len(h)) - 3, 4)}
        if major in _AVIF_BRANDS or compatible & _AVIF_BRANDS:
            return None
        if major in _HEIF_BRANDS or compatible & _HEVC_BRANDS:
            return "heic"
        return None
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    # "BM" alone starts too many text files: the DIB header size must be one Pillow reads.
    if h[:2] == b"BM" and len(h) >= 26 and int.from_bytes(h[14:18], "little") in _BMP_HEADER_SIZES:
        return "bmp"
    if h[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


# --------------------------------------------------------------------------- process-wide


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` runs on the first call only, even when threads race for it; later calls return at
    once. (Not functools.cache: two threads may both miss its cache and both run ``fn``.)"""
    lock = threading.Lock()
    done = False

    @functools.wraps(fn)
    def run() -> None:
        nonlocal done
        if done:
            return
        with lock:
            if not done:
                fn()
                done = True

    return run


@_once
def register_heif() -> None:
    """Register pillow_heif's HEIF plugin with Pillow (once per process).

    :func:`open_image` calls it before it opens a HEIF; call it yourself only to *write* HEIF
    files (tests do).
    """
    import pillow_heif  # here, not at the top: only a HEIF needs libheif loaded

    pillow_heif.register_heif_opener()


@_once
def use_memory_pool() -> None:
    """Pillow's image memory as a pool, process-wide (once per process). For code that decodes
    photos one after another; ``api.media.processing`` calls it before its first photo.

    1 MiB blocks, up to 64 of them kept for reuse. By default Pillow mallocs each image in one
    piece (up to 16 MiB) and frees it at once; glibc then gives the ~30 MB an ingest works in back
    to the kernel after every photo, and the next photo faults it in again: ~7000 page faults,
    5-10 ms of CPU per 12 MP photo on our VMs (bench/photos.py; ~1400 faults with the pool). The
    price: the process keeps up to 64 MiB it could hand back. A deployment that sets
    PILLOW_BLOCK_SIZE or PILLOW_BLOCKS_MAX itself keeps its own choice.
    """
    if not {"PILLOW_BLOCK_SIZE", "PILLOW_BLOCKS_MAX"} & os.environ.keys():
        Image.core.set_block_size(1 << 20)
        Image.core.set_blocks_max(64)  # at most 64 MiB kept: about one photo's working set


# --------------------------------------------------------------------------- open and load


def open_image(
    data: bytes, *, max_pixels: int, accept: Collection[str] = PHOTO_FORMATS
) -> tuple[str, ImageFile.ImageFile]:
    """Sniff the format, parse the header with that format's plugin only and check the pixel
    count (inclusive). Returns the format and the image, not yet decoded: set a draft on it if
    you want one, then :func:`load` it.

    Raises :class:`NotAnImage` (no format, or one not in ``accept``), :class:`ImageTooLarge`,
    :class:`CorruptImage` (unreadable header, no pixels).
    """
    fmt = sniff(data[:SNIFF_BYTES])
    if fmt is None or fmt not in accept:
        raise NotAnImage(detail=f"{fmt or 'unrecognised'}: magic bytes {bytes(data[:12]).hex()}")
    if fmt == "heic":
        register_heif()
    try:
        im = Image.open(io.BytesIO(data), formats=_PLUGINS[fmt])
    except Image.DecompressionBombError as exc:
        # Pillow's own process-wide guard fired first; ours is below it or it was raised.
        raise ImageTooLarge(None, None, max_pixels, detail=str(exc)) from None
    except DECODE_ERRORS as exc:
        raise CorruptImage(detail=f"{type(exc).__name__}: {exc}") from None
    width, height = im.size
    if width < 1 or height < 1:
        raise CorruptImage(detail=f"bad size {width}x{height}")
    if width * height > max_pixels:
        raise ImageTooLarge(width, height, max_pixels)
    return fmt, im


def load(im: ImageFile.ImageFile, *, max_pixels: int) -> None:
    """Decode the pixels (at the draft's scale and mode, if one was set).

    Raises :class:`CorruptImage` for truncated or damaged data, :class:`ImageTooLarge` should
    Pillow's own guard fire while decoding (a GIF frame larger than its header said).
    """
    try:
        im.load()
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(None, None, max_pixels, detail=str(exc)) from None
    except DECODE_ERRORS as exc:
        raise CorruptImage(detail=f"{type(exc).__name__}: {exc}") from None


# --------------------------------------------------------------------------- signatures

SIGNATURE_MAX_BYTES = 300_000
SIGNATURE_MAX_PIXELS = 4_000_000
_SIGNATURE_PNG = ("The signature must be a PNG of at most 300 KB.", "签名须为不超过 300 KB 的 PNG 图片。")


def read_signature_png(data: bytes) -> bytes:
    """Check a drawn signature, already base64-decoded: a PNG of at most 300 KB and 4 megapixels
    whose pixels all decode. Returns ``data`` unchanged.

    Raises :class:`NotAnImage` (not a PNG), :class:`BadImage` (over 300 KB),
    :class:`ImageTooLarge` (over 4 megapixels, nothing decoded) or :class:`CorruptImage`, each
    with a message about the signature. All are :class:`ImageError`.
    """
    data = bytes(data)
    if sniff(data) != "png":
        raise NotAnImage(*_SIGNATURE_PNG, detail=f"magic bytes {data[:8].hex()}")
    if len(data) > SIGNATURE_MAX_BYTES:
        raise BadImage(*_SIGNATURE_PNG, detail=f"{len(data)} bytes")
    try:
        _, im = open_image(data, max_pixels=SIGNATURE_MAX_PIXELS, accept=("png",))
        load(im, max_pixels=SIGNATURE_MAX_PIXELS)
    except ImageTooLarge as exc:
        raise ImageTooLarge(
            exc.width,
            exc.height,
            exc.max_pixels,
            message="The signature image is too large.",
            message_zh="签名图片过大。",
            detail=exc.detail,
        ) from None
    except CorruptImage as exc:
        raise CorruptImage(
            "The signature PNG is damaged.", "签名图片已损坏。", detail=exc.detail
        ) from None
    return data
