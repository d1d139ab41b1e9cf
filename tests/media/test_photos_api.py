"""Photos through the API: upload and replay, limits, serving, privacy, withdrawal, annotations and flags."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pillow_heif
import pytest
from litestar.testing import TestClient
from PIL import ExifTags, Image, ImageCms, ImageDraw

from api.app import create_app
from api.imaging import register_heif
from api.media import storage
from api.media.storage import ingest_and_store
from tests.helpers import TESTDATA, assert_problem

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

PORTRAIT_6 = TESTDATA / "exif" / "Portrait_6.jpg"  # stored 1800 x 1200, EXIF orientation 6
SERIAL = "SN-SECRET-0042"


# --- images ---------------------------------------------------------------------------------------------------


def scene(size: tuple[int, int] = (96, 72), seed: int = 0) -> Image.Image:
    """A small picture with structure, so that different seeds hash far apart."""
    w, h = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    if seed % 2:
        im = im.transpose(Image.Transpose.ROTATE_180)
    draw = ImageDraw.Draw(im)
    draw.rectangle((w // 8 + seed * 7 % (w // 3), h // 6, w // 2 + seed * 5 % (w // 3), h // 2), fill=(220, 40, 40))
    draw.ellipse((w // 2, h // 2, w - 4, h - 4), fill=(30, 60, 200))
    return im


def encode(im: Image.Image, fmt: str = "JPEG", **params) -> bytes:  # type: ignore[no-untyped-def]
    if fmt == "HEIF":
        register_heif()  # the app registers it only to open a HEIF; writing one needs it too
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif(taken: datetime | None = None, *, offset: str = "+08:00") -> Image.Exif:
    """What a phone writes: device, serials, capture time and position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "HUAWEI"
    exif[ExifTags.Base.Model] = "P40 Pro"
    exif[ExifTags.Base.CameraSerialNumber] = SERIAL
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = (taken or datetime(2024, 5, 6, 7, 8, 9)).strftime("%Y:%m:%d %H:%M:%S")
    sub[ExifTags.Base.OffsetTimeOriginal] = offset
    sub[ExifTags.Base.BodySerialNumber] = SERIAL
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (22.0, 32.0, 42.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 56.0, 24.0)
    return exif


def photo_now(seed: int = 0) -> bytes:
    """A small JPEG taken just now, so that it raises no capture-time flag."""
    return encode(scene(seed=seed), exif=camera_exif(datetime.now(UTC), offset="+00:00"))


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    ihdr = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


# --- API helpers ----------------------------------------------------------------------------------------------


@pytest.fixture
def dupro(world):  # type: ignore[no-untyped-def]
    """An in-process inspection of PO-1, assigned to the inspector and under way."""
    return new_inspection(world)


def new_inspection(world, assignee=None):  # type: ignore[no-untyped-def]
    body = {"order_id": world.orders[0]["id"], "type": "in_process",
            "assignee_id": (assignee or world.inspector).id}
    response = world.merchandiser.put(f"/api/inspections/{uuid.uuid4()}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def upload(actor, inspection, data, photo_id=None, content_type="image/jpeg", **params):  # type: ignore[no-untyped-def]
    params = {"inspection_id": inspection["id"], **params}
    return actor.put(f"/api/photos/{photo_id or uuid.uuid4()}", content=data, params=params,
                     headers={"Content-Type": content_type})


def uploaded(actor, inspection, data, **params):  # type: ignore[no-untyped-def]
    response = upload(actor, inspection, data, **params)
    assert response.status_code == 201, response.text
    return response.json()


def stored_files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    return sorted(p for p in Path(settings.media_dir).rglob("*") if p.is_file())


def submit(actor, inspection) -> None:  # type: ignore[no-untyped-def]
    current = actor.get(f"/api/inspections/{inspection['id']}").json()
    response = actor.post(f"/api/inspections/{inspection['id']}/submit", json={"version": current["version"]})
    assert response.status_code == 200, response.text


def flags(actor, inspection) -> list[dict]:  # type: ignore[no-untyped-def]
    response = actor.get(f"/api/inspections/{inspection['id']}/photo-flags")
    assert response.status_code == 200, response.text
    return response.json()


# --- upload ---------------------------------------------------------------------------------------------------


def test_upload_replay_conflict_and_content_addressed_storage(world, dupro, settings) -> None:  # type: ignore[no-untyped-def]
    data = PORTRAIT_6.read_bytes()
    photo_id = str(uuid.uuid4())
    first = upload(world.inspector, dupro, data, photo_id, sample_unit="7", caption="Open seam, left side")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["id"] == photo_id and len(body["sha256"]) == 64 and body["format"] == "jpeg"
    assert (body["width"], body["height"]) == (1200, 1800)  # upright: the file is stored turned
    assert (body["display_width"], body["display_height"]) == (1067, 1600)
    assert body["taken_at"] is None and body["sample_unit"] == "7" and body["caption"] == "Open seam, left side"
    assert body["urls"] == {kind: f"/media/photos/{photo_id}/{kind}" for kind in ("original", "display", "thumb")}

    replay = upload(world.inspector, dupro, data, photo_id)
    assert replay.status_code == 200 and replay.json() == body
    assert_problem(upload(world.inspector, dupro, encode(scene()), photo_id), 409)
    assert world.merchandiser.get(f"/api/photos/{photo_id}").json()["sha256"] == body["sha256"]

    files = stored_files(settings)
    assert len(files) == 3  # original, display, thumb
    assert next(p for p in files if p.name == f"{body['sha256']}.jpg").read_bytes() == data  # untouched
    twin = uploaded(world.inspector, dupro, data)
    assert twin["sha256"] == body["sha256"] and twin["id"] != photo_id
    assert stored_files(settings) == files  # the same bytes are stored once
    # An id is one photo of one inspection.
    other = new_inspection(world)
    assert_problem(upload(world.inspector, other, data, photo_id), 409)


def test_the_format_comes_from_the_bytes(world, dupro, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    on_event_loop = []

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            on_event_loop.append(True)
        except RuntimeError:
            on_event_loop.append(False)
        return ingest_and_store(*args, **kwargs)

    monkeypatch.setattr(storage, "ingest_and_store", spy)
    samples = {"jpeg": encode(scene()), "png": encode(scene(), "PNG"), "webp": encode(scene(), "WEBP")}
    if pillow_heif.libheif_info()["encoders"]:
        samples["heic"] = encode(scene(), "HEIF", quality=60)
    for fmt, data in samples.items():
        body = uploaded(world.inspector, dupro, data, content_type="application/octet-stream")
        assert (body["format"], body["width"], body["height"]) == (fmt, 96, 72)
    # A declared type that does not match the bytes changes nothing.
    assert uploaded(world.inspector, dupro, encode(scene(), "PNG"), content_type="image/heic")["format"] == "png"
    assert on_event_loop == [False] * (len(samples) + 1)  # decoding never blocks the event loop


def test_refused_uploads_leave_no_file_and_no_record(world, dupro, settings) -> None:  # type: ignore[no-untyped-def]
    jpeg = PORTRAIT_6.read_bytes()
    cases = [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" * 20, 415),
        ("检验报告: all good".encode() * 50, 415),
        (b"", 415),
        (jpeg[: len(jpeg) // 2], 422),  # truncated on the way
        (png_bomb(), 422),  # 400 megapixels claimed by a few bytes
    ]
    for data, status in cases:
        photo_id = str(uuid.uuid4())
        problem = assert_problem(upload(world.inspector, dupro, data, photo_id), status)
        assert problem["detail_zh"]
        assert_problem(world.inspector.get(f"/api/photos/{photo_id}"), 404)
        assert stored_files(settings) == []
    assert world.inspector.get(f"/api/inspections/{dupro['id']}/photos").json() == []


def test_the_photo_body_limit_is_its_own(world, dupro, settings) -> None:  # type: ignore[no-untyped-def]
    noise = encode(Image.frombytes("RGB", (800, 800), os.urandom(800 * 800 * 3)), quality=95, subsampling=0)
    assert len(noise) > settings.max_body_bytes  # over the app-wide JSON limit, a photo still lands
    assert uploaded(world.inspector, dupro, noise)["width"] == 800

    with TestClient(create_app(replace(settings, max_photo_bytes=50_000)), base_url="http://127.0.0.1") as small:
        headers = {**world.inspector.headers, "Content-Type": "image/jpeg"}
        path, params = f"/api/photos/{uuid.uuid4()}", {"inspection_id": dupro["id"]}
        assert_problem(small.put(path, params=params, content=noise, headers=headers), 413)

        def chunks():  # no Content-Length: counted as it arrives
            for start in range(0, len(noise), 16_384):
                yield noise[start:start + 16_384]

        assert_problem(small.put(path, params=params, content=chunks(), headers=headers), 413)
        assert small.put(path, params=params, content=encode(scene()), headers=headers).status_code == 201
    assert len(stored_files(settings)) == 6


# --- serving and privacy --------------------------------------------------------------------------------------


def test_served_images_are_clean_and_the_original_is_for_reviewers(world, dupro) -> None:  # type: ignore[no-untyped-def]
    icc = srgb()
    data = encode(scene((320, 240)), exif=camera_exif(), icc_profile=icc)
    photo = uploaded(world.inspector, dupro, data)
    for kind, media_type, fmt in (("display", "image/jpeg", "JPEG"), ("thumb", "image/webp", "WEBP")):
        response = world.factory_user.get(photo["urls"][kind])  # the order's factory may see its inspection
        assert response.status_code == 200 and response.headers["content-type"] == media_type
        served = opened(response.content)
        assert served.format == fmt and served.info.get("icc_profile") == icc
        assert len(served.getexif()) == 0 and not served.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert SERIAL.encode() not in response.content and b"P40 Pro" not in response.content

    for actor in (world.inspector, world.merchandiser, world.factory_user):
        assert_problem(actor.get(photo["urls"]["original"]), 403)
    for actor in (world.supervisor, world.admin):
        original = actor.get(photo["urls"]["original"])
        assert original.status_code == 200 and original.content == data  # untouched, GPS and all
        assert original.headers["content-disposition"].startswith("attachment")
    # Who cannot see the inspection cannot tell the photo exists.
    for kind in ("display", "original"):
        assert_problem(world.other_inspector.get(photo["urls"][kind]), 404)
    assert_problem(world.other_inspector.get(f"/api/photos/{photo['id']}"), 404)
    assert_problem(upload(world.other_inspector, dupro, data), 404)
    assert_problem(upload(world.factory_user, dupro, data), 403)


def test_provenance_is_for_supervisors_and_admins(world, dupro) -> None:  # type: ignore[no-untyped-def]
    photo = uploaded(world.inspector, dupro, encode(scene(), exif=camera_exif()))
    taken = "2024-05-05T23:08:09Z"  # 07:08:09 at +08:00
    assert photo["taken_at"] == taken and photo["provenance"] is None  # the uploader's own phone's time
    for actor in (world.merchandiser, world.factory_user):
        seen = actor.get(f"/api/photos/{photo['id']}").json()
        assert seen["taken_at"] is None and seen["provenance"] is None
    for actor in (world.supervisor, world.admin):
        provenance = actor.get(f"/api/photos/{photo['id']}").json()["provenance"]
        assert provenance["taken_at"] == taken and provenance["device_model"] == "P40 Pro"
        assert provenance["gps_lat"] == pytest.approx(22.545) and provenance["gps_lon"] == pytest.approx(113.94)
    # Without an offset the camera's wall-clock time is given as it is, without one.
    naive = encode(scene(seed=1), exif=camera_exif(offset=""))
    assert uploaded(world.inspector, dupro, naive)["taken_at"] == "2024-05-06T07:08:09"


def test_caching_and_misses(world, dupro, settings) -> None:  # type: ignore[no-untyped-def]
    photo = uploaded(world.inspector, dupro, encode(scene()))
    first = world.inspector.get(photo["urls"]["display"])
    etag = first.headers["etag"]
    assert etag.startswith('"') and "immutable" in first.headers["cache-control"]
    assert "private" in first.headers["cache-control"]
    again = world.inspector.get(photo["urls"]["display"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    thumb = world.inspector.get(photo["urls"]["thumb"], headers={"If-None-Match": etag})
    assert thumb.status_code == 200 and thumb.headers["etag"] != etag

    media_dir = str(settings.media_dir)
    for path in (f"/media/photos/{uuid.uuid4()}/display", f"/media/photos/{photo['id']}/exif",
                 f"/media/photos/{photo['id']}/..%2F..%2Fsecret", "/media/photos/not-a-uuid/display"):
        response = world.supervisor.get(path)
        assert response.status_code == 404 and media_dir not in response.text
    for file in stored_files(settings):  # lost from disk: still a plain 404
        file.unlink()
    response = world.inspector.get(photo["urls"]["display"])
    assert_problem(response, 404)
    assert media_dir not in response.text and photo["sha256"] not in response.text


# --- withdrawal and annotations -------------------------------------------------------------------------------


def test_withdraw_before_submission_keeps_the_photo(world, dupro) -> None:  # type: ignore[no-untyped-def]
    photo = uploaded(world.inspector, dupro, photo_now())
    later = uploaded(world.inspector, dupro, photo_now(seed=1))
    path = f"/api/photos/{photo['id']}/withdraw"
    assert_problem(world.factory_user.post(path, json={"reason": "blurred"}), 403)
    assert_problem(world.inspector.post(path, json={"reason": ""}), 400)
    withdrawn = world.inspector.post(path, json={"reason": "Blurred; retaken"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_at"] and withdrawn.json()["withdrawn_reason"] == "Blurred; retaken"
    assert world.inspector.post(path, json={"reason": "Blurred; retaken"}).json() == withdrawn.json()  # replay
    assert_problem(world.inspector.post(path, json={"reason": "Another reason"}), 409)
    # Kept for audit: still listed and served.
    listed = world.supervisor.get(f"/api/inspections/{dupro['id']}/photos").json()
    assert [p["id"] for p in listed] == [photo["id"], later["id"]] and listed[0]["withdrawn_at"]
    assert world.supervisor.get(photo["urls"]["original"]).status_code == 200

    submit(world.inspector, dupro)
    assert_problem(world.inspector.post(f"/api/photos/{later['id']}/withdraw", json={"reason": "late"}), 409)
    assert world.inspector.post(path, json={"reason": "Blurred; retaken"}).status_code == 200


def test_annotations_are_validated_and_versioned(world, dupro) -> None:  # type: ignore[no-untyped-def]
    photo = uploaded(world.inspector, dupro, encode(scene((400, 300))))
    path = f"/api/photos/{photo['id']}/annotations"
    shapes = [{"type": "arrow", "x1": 10, "y1": 10, "x2": 120, "y2": 90},
              {"type": "circle", "cx": 200, "cy": 150, "r": 40, "color": "#00aa00"},
              {"type": "box", "x": 0, "y": 0, "w": 400, "h": 300, "stroke": 2},
              {"type": "text", "x": 20, "y": 280, "text": "开线 open seam"}]
    first = world.inspector.put(path, json={"version": 0, "shapes": shapes})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["annotations_version"] == 1 and [s["type"] for s in body["annotations"]] == [
        "arrow", "circle", "box", "text"]
    assert body["annotations"][1]["color"] == "#00aa00" and body["annotations"][0]["color"] == "#ff3b30"
    assert world.inspector.put(path, json={"version": 0, "shapes": shapes}).json() == body  # replay
    stale = assert_problem(world.inspector.put(path, json={"version": 0, "shapes": shapes[:1]}), 409)
    assert stale["current"]["annotations_version"] == 1 and len(stale["current"]["annotations"]) == 4

    outside = [{"type": "box", "x": 350, "y": 10, "w": 100, "h": 20}]
    assert assert_problem(world.inspector.put(path, json={"version": 1, "shapes": outside}), 422)["field"] == (
        "shapes[0]")
    for bad in ({"type": "star", "x": 1, "y": 1}, {"type": "arrow", "x1": -1, "y1": 0, "x2": 5, "y2": 5},
                {"type": "circle", "cx": 5, "cy": 5, "r": 0}, {"type": "text", "x": 1, "y": 1, "text": ""},
                {"type": "box", "x": 1, "y": 1, "w": 5, "h": 5, "color": "red"},
                {"type": "box", "x": 1, "y": 1, "w": 5, "h": 5, "onclick": "x"}):
        assert_problem(world.inspector.put(path, json={"version": 1, "shapes": [bad]}), 400)
    assert_problem(world.factory_user.put(path, json={"version": 1, "shapes": []}), 403)

    edited = world.inspector.put(path, json={"version": 1, "shapes": shapes[:2]})
    assert edited.status_code == 200 and edited.json()["annotations_version"] == 2
    submit(world.inspector, dupro)
    assert world.inspector.put(path, json={"version": 1, "shapes": shapes[:2]}).status_code == 200  # replay
    assert_problem(world.inspector.put(path, json={"version": 2, "shapes": []}), 409)


# --- after submission -----------------------------------------------------------------------------------------


def test_after_submission_only_photos_its_records_reference_land(world, dupro) -> None:  # type: ignore[no-untyped-def]
    named, fix, stray = (str(uuid.uuid4()) for _ in range(3))
    defect_id = str(uuid.uuid4())
    defect = world.inspector.put(f"/api/inspections/{dupro['id']}/defects/{defect_id}", json={
        "code": "W01", "severity": "minor", "photo_ids": [named], "follow_up": True,
        "follow_up_owner_id": world.merchandiser.id})
    assert defect.status_code == 201, defect.text
    early_data = photo_now()
    early = uploaded(world.inspector, dupro, early_data)
    submit(world.inspector, dupro)

    # The phone is still uploading the photos its defect names.
    named_data = photo_now(1)
    assert upload(world.inspector, dupro, named_data, named, defect_id=defect_id).status_code == 201
    assert upload(world.inspector, dupro, named_data, named, defect_id=defect_id).status_code == 200
    assert upload(world.inspector, dupro, early_data, early["id"]).status_code == 200  # a late replay
    problem = assert_problem(upload(world.inspector, dupro, photo_now(2), stray), 409)
    assert problem["inspection_status"] == "submitted"
    # Closing a follow-up names its proof; then that photo may follow.
    close = world.merchandiser.post(f"/api/inspections/{dupro['id']}/defects/{defect_id}/close",
                                    json={"note": "Re-sewn", "photo_ids": [fix]})
    assert close.status_code == 200, close.text
    assert upload(world.merchandiser, dupro, photo_now(3), fix).status_code == 201


# --- integrity flags ------------------------------------------------------------------------------------------


def test_flags_for_a_picture_used_for_two_sample_units(world, dupro) -> None:  # type: ignore[no-untyped-def]
    picture = scene((480, 360), seed=0)
    exif = camera_exif(datetime.now(UTC), offset="+00:00")
    first = uploaded(world.inspector, dupro, encode(picture, exif=exif), sample_unit="1")
    again = uploaded(world.inspector, dupro, encode(picture, exif=exif), sample_unit="2")
    near = uploaded(world.inspector, dupro, encode(picture.resize((240, 180)), quality=40, exif=exif),
                    sample_unit="3")
    uploaded(world.inspector, dupro, encode(picture, exif=exif), sample_unit="1")  # same unit: fine
    other = uploaded(world.inspector, dupro, encode(scene((480, 360), seed=3), exif=exif), sample_unit="4")
    # A sample unit may also come from the defect that names the photo.
    via_defect = str(uuid.uuid4())
    world.inspector.put(f"/api/inspections/{dupro['id']}/defects/{uuid.uuid4()}", json={
        "code": "W01", "severity": "minor", "sample_unit": "5", "photo_ids": [via_defect]})
    assert upload(world.inspector, dupro, encode(picture, quality=70, exif=exif), via_defect).status_code == 201

    found = flags(world.inspector, dupro)
    pairs = {(f["photo_id"], f["other_photo_id"]): f for f in found if f["kind"] == "duplicate_sample_units"}
    assert pairs[(again["id"], first["id"])]["distance"] == 0
    assert 0 < pairs[(near["id"], first["id"])]["distance"] <= 10
    assert (via_defect, first["id"]) in pairs
    assert other["id"] not in {f["photo_id"] for f in found} | {f["other_photo_id"] for f in found}
    assert all(f["detail"] and f["detail_zh"] for f in found)
    assert {f["kind"] for f in found} == {"duplicate_sample_units"}  # every capture time is fine


def test_flags_for_capture_times(world, dupro) -> None:  # type: ignore[no-untyped-def]
    missing = uploaded(world.inspector, dupro, encode(scene()))
    old = uploaded(world.inspector, dupro, encode(scene(seed=1), exif=camera_exif()))
    uploaded(world.inspector, dupro, photo_now(seed=2))
    found = {f["photo_id"]: f for f in flags(world.inspector, dupro)}
    assert found.keys() == {missing["id"], old["id"]}
    assert found[missing["id"]]["kind"] == "capture_time_missing"
    assert found[old["id"]]["kind"] == "capture_time_far" and "before" in found[old["id"]]["detail"]


def test_a_picture_reused_in_another_inspection_is_flagged_for_reviewers(world, dupro) -> None:  # type: ignore[no-untyped-def]
    data = photo_now()
    mine = uploaded(world.inspector, dupro, data)
    elsewhere = new_inspection(world, assignee=world.other_inspector)
    theirs = uploaded(world.other_inspector, elsewhere, data)
    withdrawn = uploaded(world.other_inspector, elsewhere, photo_now(seed=1))
    uploaded(world.inspector, dupro, photo_now(seed=1))
    world.other_inspector.post(f"/api/photos/{withdrawn['id']}/withdraw", json={"reason": "wrong inspection"})

    for reviewer in (world.supervisor, world.admin):
        reused = [f for f in flags(reviewer, dupro) if f["kind"] == "reused_in_other_inspection"]
        assert [(f["photo_id"], f["other_photo_id"], f["other_inspection_id"]) for f in reused] == [
            (mine["id"], theirs["id"], elsewhere["id"])]
        assert [f["other_photo_id"] for f in flags(reviewer, elsewhere)] == [mine["id"]]
    for actor in (world.inspector, world.merchandiser, world.factory_user):
        assert flags(actor, dupro) == []
    assert_problem(world.other_inspector.get(f"/api/inspections/{dupro['id']}/photo-flags"), 404)


# --- tiny images, hostile input ---------------------------------------------------------------------------------


def tiny_png(size: tuple[int, int]) -> bytes:
    return encode(Image.new("RGB", size, (200, 30, 30)), "PNG")


@pytest.mark.parametrize("size", [(1, 1), (1, 100), (100, 1)])
def test_a_tiny_photo_is_stored_with_a_display_copy_and_a_thumb(world, dupro, size) -> None:  # type: ignore[no-untyped-def]
    photo = uploaded(world.inspector, dupro, tiny_png(size), content_type="image/png")
    assert (photo["width"], photo["height"]) == (photo["display_width"], photo["display_height"]) == size
    for kind, fmt in (("display", "JPEG"), ("thumb", "WEBP")):
        served = world.inspector.get(photo["urls"][kind])
        assert served.status_code == 200, served.text
        assert opened(served.content).format == fmt and opened(served.content).size == size
    # Its one pixel can be marked, and nothing beyond it.
    path = f"/api/photos/{photo['id']}/annotations"
    marked = world.inspector.put(path, json={"shapes": [{"type": "box", "x": 0, "y": 0, "w": 1, "h": 1}]})
    assert marked.status_code == 200, marked.text
    outside = {"type": "box", "x": 0, "y": 0, "w": size[0] + 1, "h": 1}
    assert assert_problem(world.inspector.put(path, json={"version": 1, "shapes": [outside]}), 422)["field"] == (
        "shapes[0]")
    assert {f["kind"] for f in flags(world.inspector, dupro)} == {"capture_time_missing"}


@pytest.mark.parametrize(("params", "field"), [
    ({"caption": "a\x00b"}, "caption"), ({"caption": "c" * 501}, "caption"),
    ({"sample_unit": "1\x00"}, "sample_unit"), ({"sample_unit": "u" * 41}, "sample_unit"),
    ({"checklist_item": "labels\x00"}, "checklist_item"), ({"checklist_item": "k" * 41}, "checklist_item"),
    ({"carton_number": 2**31}, "carton_number"), ({"carton_number": 2**63}, "carton_number"),
])
def test_upload_parameters_are_bounded_and_without_nul(world, dupro, params, field) -> None:  # type: ignore[no-untyped-def]
    photo_id = str(uuid.uuid4())
    problem = assert_problem(upload(world.inspector, dupro, photo_now(), photo_id, **params), 400)
    assert field in problem["detail"] and problem["detail_zh"]
    assert world.inspector.get(f"/api/photos/{photo_id}").status_code == 404


def test_annotation_and_withdrawal_text_is_bounded_and_without_nul(world, dupro) -> None:  # type: ignore[no-untyped-def]
    photo = uploaded(world.inspector, dupro, photo_now())
    path = f"/api/photos/{photo['id']}"
    for text in ("a\x00b", "t" * 201):
        label = {"type": "text", "x": 1, "y": 1, "text": text}
        problem = assert_problem(world.inspector.put(f"{path}/annotations", json={"shapes": [label]}), 400)
        assert "text" in problem["detail"]
    for version in (2**31, 2**63):
        problem = assert_problem(world.inspector.put(f"{path}/annotations", json={"version": version, "shapes": []}),
                                 400)
        assert "version" in problem["detail"]
    for reason in ("a\x00b", "r" * 501):
        problem = assert_problem(world.inspector.post(f"{path}/withdraw", json={"reason": reason}), 400)
        assert "reason" in problem["detail"]
    after = world.inspector.get(path).json()
    assert after["annotations_version"] == 0 and after["withdrawn_at"] is None
