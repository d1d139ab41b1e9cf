"""Tests of api.media.storage: content keys, LocalStorage, atomic writes."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from api.media.processing import ingest
from api.media.storage import (
    KINDS,
    LocalStorage,
    NotFound,
    PhotoKeys,
    Storage,
    content_key,
    photo_keys,
    store_ingested,
)

SHA = hashlib.sha256(b"a photo").hexdigest()


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


# --------------------------------------------------------------------------- keys


def test_content_key_layout() -> None:
    assert content_key(SHA, "jpeg") == f"{SHA[:2]}/{SHA[2:4]}/{SHA}.jpg"
    assert content_key(SHA, "display") == f"{SHA[:2]}/{SHA[2:4]}/{SHA}.display.jpg"
    assert content_key(SHA, "thumb") == f"{SHA[:2]}/{SHA[2:4]}/{SHA}.thumb.webp"
    assert content_key(SHA, "heic").endswith(".heic")
    assert len({content_key(SHA, kind) for kind in KINDS}) == len(KINDS)


@pytest.mark.parametrize(
    "bad",
    [
        "../x",
        "../" + SHA[3:],
        SHA.upper(),
        SHA[:-1],
        SHA + "0",
        SHA[:-1] + "g",
        "/" + SHA[1:],
        SHA[:30] + "/" + SHA[31:],
        SHA[:30] + "\\" + SHA[31:],
        SHA[:-1] + "\n",
        "",
        None,
        123,
    ],
)
def test_content_key_rejects_anything_but_a_sha256(bad: object) -> None:
    with pytest.raises(ValueError):
        content_key(bad, "jpeg")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["", "gif", "../jpeg", "JPEG", None])
def test_content_key_rejects_unknown_kinds(kind: object) -> None:
    with pytest.raises(ValueError):
        content_key(SHA, kind)  # type: ignore[arg-type]


def test_photo_keys() -> None:
    keys = photo_keys(SHA, "heic")
    assert keys == PhotoKeys(
        original=content_key(SHA, "heic"),
        display=content_key(SHA, "display"),
        thumb=content_key(SHA, "thumb"),
    )
    with pytest.raises(ValueError):
        photo_keys(SHA, "display")
    with pytest.raises(ValueError):
        photo_keys("../etc/passwd", "jpeg")


# --------------------------------------------------------------------------- LocalStorage


def test_put_get_exists_delete(store: LocalStorage) -> None:
    key = content_key(SHA, "jpeg")
    assert not store.exists(key)
    store.put(key, b"photo bytes")
    assert store.exists(key)
    assert store.get(key) == b"photo bytes"
    assert store.size(key) == len(b"photo bytes")
    with store.open_stream(key) as stream:
        assert stream.read() == b"photo bytes"
    assert all_files(store.root) == [key]
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting again is fine


def test_missing_key(store: LocalStorage) -> None:
    key = content_key(SHA, "display")
    with pytest.raises(NotFound) as info:
        store.get(key)
    assert isinstance(info.value, KeyError)
    assert info.value.key == key
    assert key in str(info.value)
    with pytest.raises(KeyError):
        store.size(key)
    with pytest.raises(KeyError):
        store.open_stream(key)


def test_directory_is_not_an_object(store: LocalStorage) -> None:
    store.put(content_key(SHA, "jpeg"), b"x")
    assert not store.exists(SHA[:2])
    with pytest.raises(NotFound):
        store.get(SHA[:2])
    with pytest.raises(NotFound):
        store.size(SHA[:2])


def test_put_of_existing_key_is_a_noop(store: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    key = content_key(SHA, "jpeg")
    store.put(key, b"first")
    calls: list[object] = []
    monkeypatch.setattr(os, "replace", lambda *a: calls.append(a))
    store.put(key, b"second")
    assert calls == []
    assert store.get(key) == b"first"


def test_written_files_are_readable_and_complete(store: LocalStorage) -> None:
    key = content_key(SHA, "jpeg")
    data = os.urandom(3 * 1024 * 1024 + 17)
    store.put(key, data)
    assert store.get(key) == data
    mode = stat.S_IMODE((store.root / key).stat().st_mode)
    assert mode == 0o644
    assert all_files(store.root) == [key]  # no temp file left behind


def test_large_objects_are_written_in_pieces(store: LocalStorage, monkeypatch: pytest.MonkeyPatch) -> None:
    """One multi-MB write() costs several times the CPU of the same bytes in pieces (storage.py)."""
    from api.media import storage

    real_write = os.write
    sizes: list[int] = []

    def short_write(fd: int, buf: memoryview) -> int:  # the kernel may also write less
        sizes.append(len(buf))
        return real_write(fd, buf[: max(1, len(buf) - 7)])

    monkeypatch.setattr(os, "write", short_write)
    data = os.urandom(5 * 1024 * 1024 + 3)
    store.put("a/big.jpg", data)
    monkeypatch.undo()
    assert store.get("a/big.jpg") == data
    assert max(sizes) == storage._WRITE_CHUNK
    assert len(sizes) > len(data) // storage._WRITE_CHUNK


def test_accepts_bytes_like(store: LocalStorage) -> None:
    store.put("a/b.bin", memoryview(b"abc"))
    store.put("a/c.bin", bytearray(b"def"))
    assert store.get("a/b.bin") + store.get("a/c.bin") == b"abcdef"


@pytest.mark.parametrize(
    "key",
    ["../x", "/etc/passwd", "a//b", "a/../b", "a/./b", ".hidden", "a/.tmp-1", "a\\b", "", "a/", " a", "a b"],
)
def test_local_storage_rejects_unsafe_keys(store: LocalStorage, key: str) -> None:
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.size(key),
        lambda: store.open_stream(key),
    ):
        with pytest.raises(ValueError):
            call()
    assert all_files(store.root.parent) == []


def test_root_is_created(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "media"
    LocalStorage(root)
    assert root.is_dir()
    assert isinstance(LocalStorage(str(root)), Storage)


# --------------------------------------------------------------------------- atomicity


def boom(*args: object, **kwargs: object) -> None:
    raise OSError("disk on fire")


@pytest.mark.parametrize("victim", ["replace", "fsync", "write"])
def test_failed_write_leaves_nothing(store: LocalStorage, monkeypatch: pytest.MonkeyPatch, victim: str) -> None:
    key = content_key(SHA, "jpeg")
    data = b"x" * 200_000
    if victim == "write":
        real_write = os.write
        written: list[int] = []

        def half_then_fail(fd: int, buf: object) -> int:
            if written:
                raise OSError("disk full")
            written.append(real_write(fd, memoryview(buf)[:1000]))  # type: ignore[arg-type]
            return written[-1]

        monkeypatch.setattr(os, "write", half_then_fail)
    else:
        monkeypatch.setattr(os, victim, boom)
    with pytest.raises(OSError):
        store.put(key, data)
    monkeypatch.undo()
    assert not store.exists(key)
    assert [f for f in all_files(store.root)] == []  # no partial object, no temp file
    store.put(key, data)  # and the key still works afterwards
    assert store.get(key) == data


def test_interrupted_write_keeps_the_old_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed put next to an existing object never touches it."""
    store = LocalStorage(tmp_path)
    store.put("a/one.bin", b"one")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.put("a/two.bin", b"two")
    monkeypatch.undo()
    assert all_files(tmp_path) == ["a/one.bin"]


# --------------------------------------------------------------------------- store_ingested


class MemoryStorage:
    """Another Storage, to show callers need no local paths."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.log: list[str] = []

    def put(self, key: str, data: bytes) -> None:
        self.log.append(key)
        self.objects.setdefault(key, bytes(data))

    def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFound(key) from None

    def exists(self, key: str) -> bool:
        return key in self.objects

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def size(self, key: str) -> int:
        return len(self.get(key))

    def open_stream(self, key: str) -> io.BytesIO:
        return io.BytesIO(self.get(key))

    def listing(self):  # type: ignore[no-untyped-def]
        return ((key, 0.0) for key in list(self.objects))


def photo() -> bytes:
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((300, 200)).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("make", [MemoryStorage, None], ids=["memory", "local"])
def test_store_ingested(make: type[MemoryStorage] | None, tmp_path: Path) -> None:
    target: Storage = make() if make else LocalStorage(tmp_path)
    assert isinstance(target, Storage)
    data = photo()
    result = ingest(data, max_pixels=10_000_000)
    keys = store_ingested(target, data, result)
    assert keys == photo_keys(result.sha256, "jpeg")
    assert target.get(keys.original) == data
    assert target.get(keys.display) == result.display_bytes
    assert target.get(keys.thumb) == result.thumb_bytes
    if isinstance(target, MemoryStorage):
        # Renditions first: an existing original means the photo is complete.
        assert target.log == [keys.thumb, keys.display, keys.original]
    assert store_ingested(target, data, result) == keys  # idempotent



# --------------------------------------------------------------------------- ingest_and_store


def test_ingest_and_store(tmp_path: Path) -> None:
    from api.media.storage import ingest_and_store

    store = LocalStorage(tmp_path)
    data = photo()
    result, keys = ingest_and_store(store, data, max_pixels=10_000_000)
    assert keys == photo_keys(result.sha256, "jpeg")
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert store.get(keys.original) == data
    assert store.get(keys.display) == result.display_bytes
    assert store.get(keys.thumb) == result.thumb_bytes
    assert sorted(all_files(tmp_path)) == sorted([keys.original, keys.display, keys.thumb])
    again, keys_again = ingest_and_store(store, data, max_pixels=10_000_000, parallel=False)
    assert keys_again == keys and again.sha256 == result.sha256


def test_ingest_and_store_keeps_nothing_it_refused(tmp_path: Path) -> None:
    from api.media.processing import CorruptImage, ImageTooLarge, UnsupportedImage
    from api.media.storage import ingest_and_store

    store = LocalStorage(tmp_path)
    data = photo()
    with pytest.raises(CorruptImage):  # passes the header check, fails to decode
        ingest_and_store(store, data[: len(data) // 2], max_pixels=10_000_000)
    with pytest.raises(ImageTooLarge):
        ingest_and_store(store, data, max_pixels=1000)
    with pytest.raises(UnsupportedImage):
        ingest_and_store(store, b"not an image at all", max_pixels=10_000_000)
    assert all_files(tmp_path) == []


def test_ingest_and_store_does_not_delete_what_it_did_not_write() -> None:
    from api.media.processing import CorruptImage
    from api.media.storage import ingest_and_store

    store = MemoryStorage()
    data = photo()[:-500]
    key = content_key(hashlib.sha256(data).hexdigest(), "jpeg")
    store.put(key, data)
    with pytest.raises(CorruptImage):
        ingest_and_store(store, data, max_pixels=10_000_000)
    assert store.exists(key)


def test_ingest_and_store_hashes_the_original_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The original is written under its SHA-256 while the photo decodes, with the hash ingest
    makes anyway (the original is most of the bytes hashed)."""
    from api.media import processing
    from api.media.storage import ingest_and_store

    calls: list[int] = []
    real_sha256 = hashlib.sha256

    def counting(data: bytes = b"") -> object:
        calls.append(len(data))
        return real_sha256(data)

    monkeypatch.setattr(processing.hashlib, "sha256", counting)
    store = MemoryStorage()
    data = photo()
    result, keys = ingest_and_store(store, data, max_pixels=10_000_000)
    monkeypatch.undo()
    assert calls == [len(data)]
    assert store.log[0] == keys.original  # written during the decode, renditions after
    assert sorted(store.log[1:]) == sorted([keys.display, keys.thumb])
    assert store.get(keys.original) == data and result.sha256 == real_sha256(data).hexdigest()


@pytest.mark.parametrize("parallel", [True, False], ids=["parallel", "serial"])
def test_ingest_and_store_reports_a_failed_original_write(parallel: bool) -> None:
    from api.media.storage import ingest_and_store

    class FullDisk(MemoryStorage):
        def put(self, key: str, data: bytes) -> None:
            if key.endswith(".jpg") and ".display." not in key:
                raise OSError("disk full")
            super().put(key, data)

    store = FullDisk()
    with pytest.raises(OSError, match="disk full"):
        ingest_and_store(store, photo(), max_pixels=10_000_000, parallel=parallel)
    assert store.objects == {}  # no renditions of a photo whose original is not stored


def test_ingest_and_store_checks_completeness_before_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even when some code made Pillow tolerate truncated files, a cut upload is refused before
    its original is written."""
    from PIL import ImageFile

    from api.media.processing import CorruptImage
    from api.media.storage import ingest_and_store

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    store = MemoryStorage()
    with pytest.raises(CorruptImage):
        ingest_and_store(store, photo()[:-500], max_pixels=10_000_000)
    assert store.log == []
