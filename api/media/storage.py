"""Content-addressed photo storage behind a small interface.

Callers only ever see :class:`Storage` and string keys made by :func:`content_key` /
:func:`photo_keys`; nothing outside :class:`LocalStorage` knows about paths, so an
S3-compatible store can be added by writing one more class with the same six methods.

Keys look like ``"ab/cd/<sha256>.jpg"``: all renditions of a photo are keyed by the SHA-256 of
the *original* upload, so the database needs only that hash and the format to find them:

=========== ================================ ==========================================
kind        key                              content
=========== ================================ ==========================================
"jpeg" …    ``ab/cd/<sha>.jpg`` (.png …)     the original bytes (EXIF, GPS: never serve)
"display"   ``ab/cd/<sha>.display.jpg``      baseline JPEG for the app, no EXIF
"thumb"     ``ab/cd/<sha>.thumb.webp``       WebP thumbnail, no EXIF
=========== ================================ ==========================================
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

if TYPE_CHECKING:
    from api.media.processing import Ingested

__all__ = [
    "KINDS",
    "LocalStorage",
    "NotFound",
    "PhotoKeys",
    "Storage",
    "content_key",
    "ingest_and_store",
    "photo_keys",
    "store_ingested",
]


class NotFound(KeyError):
    """No object is stored under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no stored object under key {self.key!r}"


@runtime_checkable
class Storage(Protocol):
    """Where photo bytes live. Keys are relative, '/'-separated, e.g. from :func:`content_key`.

    Implementations must make ``put`` atomic (a reader sees all of the bytes or no object) and
    may treat a ``put`` to an existing key as a no-op: keys are content-addressed.
    """

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes:
        """The stored bytes; raises :class:`NotFound` (a KeyError)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes (for Content-Length); raises :class:`NotFound`."""
        ...

    def open_stream(self, key: str) -> BinaryIO:
        """A readable binary stream for serving large objects; the caller closes it.
        Raises :class:`NotFound`."""
        ...

    def listing(self) -> Iterator[tuple[str, float]]:
        """Every stored key with the time it was written (seconds since the epoch), for the sweep."""
        ...


# --------------------------------------------------------------------------- keys

#: File name suffix per kind: originals by format, then the two renditions.
KINDS: dict[str, str] = {
    "jpeg": ".jpg",
    "png": ".png",
    "webp": ".webp",
    "heic": ".heic",
    "display": ".display.jpg",
    "thumb": ".thumb.webp",
}

_SHA256 = re.compile(r"[0-9a-f]{64}")


def content_key(sha256: str, kind: str) -> str:
    """``"ab/cd/<sha256><suffix>"`` for a kind in :data:`KINDS`.

    ``sha256`` must be exactly 64 lowercase hex digits (as made by the server, never a path from
    user input); anything else raises ValueError.
    """
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    try:
        suffix = KINDS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown kind {kind!r}; expected one of {sorted(KINDS)}") from None
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


@dataclass(frozen=True, slots=True)
class PhotoKeys:
    original: str
    display: str
    thumb: str


def photo_keys(sha256: str, format: str) -> PhotoKeys:  # noqa: A002 - mirrors Ingested.format
    """The three keys of one photo, from the original's SHA-256 and format ("jpeg", "heic" …)."""
    if format not in ("jpeg", "png", "webp", "heic"):
        raise ValueError(f"unknown image format {format!r}")
    return PhotoKeys(
        original=content_key(sha256, format),
        display=content_key(sha256, "display"),
        thumb=content_key(sha256, "thumb"),
    )


def store_ingested(storage: Storage, original: bytes, ingested: Ingested) -> PhotoKeys:
    """Store the original and both renditions of an :func:`ingest` result; returns their keys.

    Idempotent (content-addressed keys). Renditions go first.
    """
    keys = photo_keys(ingested.sha256, ingested.format)
    storage.put(keys.thumb, ingested.thumb_bytes)
    storage.put(keys.display, ingested.display_bytes)
    storage.put(keys.original, original)
    return keys


def ingest_and_store(
    storage: Storage,
    data: bytes,
    *,
    max_pixels: int,
    display_max: int = 1600,
    thumb_max: int = 320,
    parallel: bool = True,
) -> tuple[Ingested, PhotoKeys]:
    """:func:`~api.media.processing.ingest` then store everything, in one call; for the upload
    endpoint (run it in a worker thread).

    Same result and errors as ``ingest`` + :func:`store_ingested`, but faster: once the header
    has passed the checks and the data is hashed, the original (the big, fsynced write) is stored
    while the photo is decoded and rendered, and the two renditions are written at the same time.
    If ``ingest`` then refuses the photo, an original stored by this call is deleted again; if
    the original cannot be stored, that error is raised and no rendition is stored. When this
    returns, all three objects are durable: only then may the caller record the photo (and the
    phone drop its copy).
    """
    # Imported here, so that importing Storage (api.deps does, hence the app) does not import the
    # photo pipeline.
    from api.media.processing import _as_bytes, _ingest, _Job

    data = _as_bytes(data)  # the same immutable bytes for the hash, the decoder and the write
    created: list[str] = []  # the original's key, once this call has written it

    def put_original(fmt: str, sha256: str) -> None:
        # Called by ingest in its helper thread, with the hash it made anyway.
        key = content_key(sha256, fmt)
        if not storage.exists(key):
            storage.put(key, data)
            created.append(key)

    try:
        result = _ingest(
            data,
            max_pixels=max_pixels,
            display_max=display_max,
            thumb_max=thumb_max,
            parallel=parallel,
            on_verified=put_original,
        )
    except BaseException:
        for key in created:  # _ingest has joined its helper: nothing is still being written
            storage.delete(key)
        raise
    keys = photo_keys(result.sha256, result.format)
    # Two fsynced writes at once: the second one's wait overlaps the first one's.
    thumb = _Job(parallel, storage.put, keys.thumb, result.thumb_bytes)
    storage.put(keys.display, result.display_bytes)
    thumb.result()
    return result, keys


# --------------------------------------------------------------------------- local disk

# Relative keys of safe segments: no empty or dot segments, no backslashes, no absolute paths.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_TMP_PREFIX = ".tmp-"  # cannot be a key: keys never start a segment with "."
# Largest single write(). Measured on Linux 6.18/ext4 (bench/photos.py): writing a 5 MB original
# in one call cost ~5.5 ms of CPU (and ~10 ms wall) once the page cache held other files,
# against ~1 ms in pieces of 1 MiB or less; presumably the kernel then allocates, and compacts
# memory for, huge page-cache folios. The extra system calls cost nothing measurable.
_WRITE_CHUNK = 256 * 1024


class LocalStorage:
    """:class:`Storage` in a directory on a local filesystem.

    ``put`` writes to a temporary file in the destination directory, fsyncs it, renames it into
    place with ``os.replace`` and fsyncs the directory, so after a crash or a failed write there is
    either the whole object or none (an interrupted process may leave a ``.tmp-*`` file, never a
    partial object).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def listing(self) -> Iterator[tuple[str, float]]:
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and _KEY.fullmatch(key):  # temporary files of unfinished writes are not objects
                yield key, path.stat().st_mtime

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or len(key) > 512 or not _KEY.fullmatch(key):
            raise ValueError(f"invalid storage key: {key!r}")
        return self.root.joinpath(*key.split("/"))

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.is_file():
            return  # content-addressed: same key, same bytes
        directory = path.parent
        created = self._make_dirs(directory)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=directory)
        try:
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, 0o644)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view[:_WRITE_CHUNK])
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(directory)
        for new_dir in created:
            _fsync_dir(new_dir.parent)

    def _make_dirs(self, directory: Path) -> list[Path]:
        """mkdir -p below the root; returns the directories created (deepest last)."""
        missing: list[Path] = []
        current = directory
        while current != self.root and not current.is_dir():
            missing.append(current)
            current = current.parent
        created: list[Path] = []
        for new_dir in reversed(missing):
            try:
                new_dir.mkdir()
                created.append(new_dir)
            except FileExistsError:
                pass  # made by a concurrent put
        return created

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        _fsync_dir(path.parent)

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            if path.is_file():
                return path.stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            pass
        raise NotFound(key)

    def open_stream(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")  # noqa: SIM115 - the caller closes it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(key) from None


def _fsync_dir(directory: Path) -> None:
    """Make a rename or a new entry in ``directory`` durable (no-op where unsupported)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # e.g. Windows, some network filesystems
    finally:
        os.close(fd)
