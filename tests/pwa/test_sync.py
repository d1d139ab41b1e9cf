"""The sync engine and photos in Chromium against the real server: the outbox pushed in order and exactly once,
photos downscaled with their EXIF and uploaded once however the network drops, 5xx and 401 kept for later,
conflicts shown and settled as the user chose, submissions that wait for their photos, and shared phones.

Records are made through the app's own modules in the page (db.js saveWithOutbox, photos.js addPhoto with a
real JPEG), for inspections booked over HTTP (tests/pwa/conftest.py). Failures are injected with page.route
only; the server is the real one.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image, ExifTags, ImageChops, ImageOps, ImageStat
from playwright.sync_api import Page, Request, Route, expect

from tests.helpers import PASSWORD, TESTDATA
from tests.pwa.steps import download, log_in, open_app, run_axe, screenshot

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

PHOTO_URL = "/test-files/IMG_0001.JPG"  # served by page.route: a camera JPEG made from tests/data/exif


# --- the camera's JPEG --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraJpeg:
    data: bytes
    taken: dt.datetime  # DateTimeOriginal with OffsetTimeOriginal
    upright: Image.Image  # what the picture shows, EXIF orientation applied


@pytest.fixture(scope="module")
def camera_jpeg() -> CameraJpeg:
    """A phone camera's picture: tests/data/exif/Landscape_6.jpg (stored on its side, Orientation 6) at 2400 × 3600
    pixels, with a capture time taken now, its UTC offset, and the camera's make and model."""
    source = Image.open(TESTDATA / "exif" / "Landscape_6.jpg")
    big = source.resize((source.width * 2, source.height * 2), Image.Resampling.LANCZOS)
    taken = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Floorcheck"
    exif[ExifTags.Base.Model] = "Test Camera 1"
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    sub[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=88, exif=exif)
    return CameraJpeg(buffer.getvalue(), taken, ImageOps.exif_transpose(Image.open(io.BytesIO(buffer.getvalue()))))


# --- what the phone does, through its own modules -------------------------------------------------------------

SAVE_DEFECT = """async ({ inspectionId, defectId, body }) => {
    const db = await import('/app/js/db.js');
    const user = await db.getMeta('user');
    const key = defectId ?? crypto.randomUUID();
    const stored = await db.getRecord('defect', key);
    await db.saveWithOutbox({ kind: 'defect', key, userId: user.id, inspectionId,
        record: { ...(stored?.record ?? {}), ...body, id: key },
        operation: { kind: 'defect', key: { inspection_id: inspectionId, defect_id: key }, body } });
    return key;
}"""

SAVE = """async ({ kind, key, inspectionId, record, operation }) => {
    const db = await import('/app/js/db.js');
    const user = await db.getMeta('user');
    const stored = await db.getRecord(kind, key);
    await db.saveWithOutbox({ kind, key, userId: user.id, inspectionId, record: { ...(stored?.record ?? {}), ...record },
        operation });
    return key;
}"""

ADD_PHOTO = """async ({ url, inspectionId, defectId }) => {
    const { addPhoto } = await import('/app/js/photos.js');
    const db = await import('/app/js/db.js');
    const user = await db.getMeta('user');
    const blob = await (await fetch(url)).blob();
    const file = new File([blob], 'IMG_0001.JPG', { type: blob.type, lastModified: Date.now() });
    return addPhoto(file, { inspectionId, userId: user.id, defectId });
}"""

SYNC = "import('/app/js/sync.js').then((sync) => sync.syncNow())"

PHONE = """async (userId) => {
    const db = await import('/app/js/db.js');
    const database = await db.db();
    const id = userId ?? (await db.getMeta('user'))?.id;
    const outbox = await database.getAll('outbox');
    const photos = (await database.getAll('photos')).map(({ blob, thumb, ...rest }) => ({
        ...rest, has_blob: Boolean(blob), blob_type: blob?.type ?? null, has_thumb: Boolean(thumb) }));
    const records = (await database.getAll('records')).filter((r) => !['defect_code', 'checklist_template',
        'order', 'packing_list'].includes(r.kind));
    return { user: id, outbox, photos, records };
}"""


@dataclass
class Traffic:
    """The push and photo requests the phone sent, with the operations and statuses, in order."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def request(self, request: Request) -> None:
        if "/api/sync/push" in request.url:
            body = request.post_data_json or {}
            self.events.append({"what": "push", "operations": body.get("operations", []), "request": request})
        elif "/api/photos/" in request.url and request.method == "PUT":
            self.events.append({"what": "photo", "id": request.url.split("/api/photos/")[1].split("?")[0],
                                "request": request, "body": request.post_data_buffer})

    def pushes(self) -> list[list[dict[str, Any]]]:
        return [e["operations"] for e in self.events if e["what"] == "push"]

    def photo_puts(self) -> list[str]:
        return [e["id"] for e in self.events if e["what"] == "photo"]


@pytest.fixture
def traffic(page: Page) -> Traffic:
    seen = Traffic()
    page.on("request", seen.request)
    return seen


@pytest.fixture
def served_photo(page: Page, camera_jpeg: CameraJpeg) -> CameraJpeg:
    page.route(f"**{PHOTO_URL}", lambda route: route.fulfill(status=200, body=camera_jpeg.data,
                                                              headers={"Content-Type": "image/jpeg"}))
    return camera_jpeg


def on_the_phone(page: Page, floor: Floor, username: str | None = None) -> str:
    """Open the app, log in, download for offline use; the user's id."""
    open_app(page)
    log_in(page, username or floor.inspector.username)
    download(page)
    return page.evaluate("import('/app/js/db.js').then((db) => db.getMeta('user')).then((u) => u.id)")


def log_in_as(page: Page, username: str) -> None:
    """Log in on the login screen as it stands (a user with no assignments too)."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.locator("main[data-screen=inspections]").wait_for()


def save_defect(page: Page, inspection_id: str, defect_id: str | None = None, **body: Any) -> str:
    body = {"code": "W01", "severity": "major", **body}
    return page.evaluate(SAVE_DEFECT, {"inspectionId": inspection_id, "defectId": defect_id, "body": body})


def add_photo(page: Page, inspection_id: str, defect_id: str | None = None) -> str:
    return page.evaluate(ADD_PHOTO, {"url": PHOTO_URL, "inspectionId": inspection_id, "defectId": defect_id})


def phone(page: Page, user_id: str | None = None) -> dict[str, Any]:
    return page.evaluate(PHONE, user_id)


def server_inspection(floor: Floor, inspection_id: str) -> dict[str, Any]:
    answer = floor.supervisor.get(f"/api/inspections/{inspection_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def server_photos(floor: Floor, inspection_id: str) -> list[dict[str, Any]]:
    answer = floor.supervisor.get(f"/api/inspections/{inspection_id}/photos")
    assert answer.status_code == 200, answer.text
    return answer.json()


SYNCED = """async () => {
    const database = await (await import('/app/js/db.js')).db();
    const photos = await database.getAll('photos');
    return (await database.count('outbox')) === 0 && photos.every((p) => p.state === 'uploaded');
}"""


def wait_until_synced(page: Page, seconds: float = 20) -> None:
    """Until the outbox is empty and no photo waits (the runs the app starts by itself included)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(SYNCED):
        assert time.monotonic() < deadline, f"still unsynced: {phone(page)['outbox']}"
        page.wait_for_timeout(200)


# --- the tests ------------------------------------------------------------------------------------------------


def test_everything_is_pushed_once_in_order_and_replays_change_nothing(
        page: Page, floor: Floor, traffic: Traffic, served_photo: CameraJpeg) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    head = server_inspection(floor, iid)
    carton = head["cartons"][0]["barcode"]

    page.evaluate(SAVE, {"kind": "inspection", "key": iid, "inspectionId": iid, "record": {"status": "in_progress"},
                         "operation": {"kind": "inspection.start", "key": {"inspection_id": iid}}})
    first = save_defect(page, iid, count=2, note="open seam")
    photo = add_photo(page, iid)
    second = save_defect(page, iid, count=1, photo_ids=[photo], sample_unit="7")
    scan = str(uuid.uuid4())
    page.evaluate(SAVE, {"kind": "scan", "key": scan, "inspectionId": iid, "record": {"id": scan, "text": carton},
                         "operation": {"kind": "scan", "key": {"inspection_id": iid},
                                       "body": {"id": scan, "text": carton}, "base_version": None}})
    save_defect(page, iid, first, count=5, note="open seam, three panels")  # an edit of one not sent yet
    gone = save_defect(page, iid, count=1, note="a mistake")
    page.evaluate(SAVE, {"kind": "defect", "key": gone, "inspectionId": iid, "record": {"deleted_here": True},
                         "operation": {"kind": "defect.delete", "key": {"inspection_id": iid, "defect_id": gone},
                                       "base_version": None}})
    made = phone(page)
    assert len(made["outbox"]) == 7 and made["photos"][0]["state"] == "pending" and made["photos"][0]["has_blob"]

    assert page.evaluate(SYNC) is True
    wait_until_synced(page)

    # Every entry went out in exactly one push, in the order it was made; a record's second entry waited for the
    # answer to its first; the photo went after the records naming it.
    sent = [(op["kind"], json.dumps(op["key"], sort_keys=True), json.dumps(op.get("body"), sort_keys=True))
            for push in traffic.pushes() for op in push]
    made_ops = [(e["operation"]["kind"], json.dumps(e["operation"]["key"], sort_keys=True),
                 json.dumps(e["operation"]["body"], sort_keys=True)) for e in made["outbox"]]
    assert sent == made_ops, "each entry once, in order"
    for push in traffic.pushes():
        records = [json.dumps(op["key"], sort_keys=True) for op in push if op["kind"] != "scan"]
        assert len(records) == len(set(records)), "one entry of a record per push"
        assert all(("base_version" in op) == (op["kind"] in {"inspection.start", "defect"}) for op in push)
    edit = next(op for push in traffic.pushes() for op in push
                if op["kind"] == "defect" and op["key"]["defect_id"] == first and op["body"]["count"] == 5)
    assert edit["base_version"] == 1  # based on the version the server gave the create
    assert traffic.photo_puts() == [photo]
    kinds = [e["what"] for e in traffic.events]
    assert kinds.index("photo") > max(i for i, e in enumerate(traffic.events)
                                      if e["what"] == "push" and any(second in json.dumps(op) for op in e["operations"]))

    # The server holds exactly this.
    held = server_inspection(floor, iid)
    defects = {d["id"]: d for d in held["defects"]}
    assert set(defects) == {first, second}
    assert (defects[first]["count"], defects[first]["note"], defects[first]["version"]) == (5, "open seam, three panels", 2)
    assert defects[second]["photo_ids"] == [photo] and defects[second]["version"] == 1
    assert held["status"] == "in_progress"
    assert [s["id"] for s in held["scans"]] == [scan]
    assert [p["id"] for p in server_photos(floor, iid)] == [photo]

    # The phone: nothing pending, the server's versions, the full-size photo gone and its thumbnail kept.
    after = phone(page)
    assert after["outbox"] == []
    by_key = {(r["kind"], r["key"]): r for r in after["records"]}
    assert by_key[("defect", first)]["pending"] == 0 and by_key[("defect", first)]["version"] == 2
    assert by_key[("defect", first)]["record"]["count"] == 5
    assert by_key[("defect", gone)]["deleted"] is True
    assert by_key[("scan", scan)]["record"]["verdict"] == "ok"  # the server's verdict
    assert by_key[("photo", photo)]["record"]["id"] == photo
    [kept] = after["photos"]
    assert kept["state"] == "uploaded" and not kept["has_blob"] and kept["has_thumb"]
    assert page.evaluate("(id) => import('/app/js/photos.js').then((p) => p.photoUrl(id))", photo).startswith("blob:")

    # Replays change nothing: every push sent again, and the photo's bytes again under its id.
    before = json.dumps(server_inspection(floor, iid), sort_keys=True)
    for push in traffic.pushes():
        answer = floor.inspector.post("/api/sync/push", json={"operations": push})
        assert answer.status_code == 200, answer.text
        assert all(r["status"] < 500 for r in answer.json()["results"])
    body = next(e["body"] for e in traffic.events if e["what"] == "photo")
    replayed = floor.inspector.put(f"/api/photos/{photo}", params={"inspection_id": iid}, content=body)
    assert replayed.status_code == 200, replayed.text
    assert json.dumps(server_inspection(floor, iid), sort_keys=True) == before
    assert [p["id"] for p in server_photos(floor, iid)] == [photo]
    # And the phone, syncing again, sends nothing.
    pushes = len(traffic.pushes())
    assert page.evaluate(SYNC) is True
    assert len(traffic.pushes()) == pushes


def test_a_push_whose_answer_is_lost_goes_through_once(page: Page, floor: Floor, traffic: Traffic) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    first = save_defect(page, iid, count=2)
    save_defect(page, iid, first, count=3)
    lost: list[int] = []
    network_back: list[bool] = []

    def drop_the_answer(route: Route) -> None:
        if not lost:
            lost.append(route.fetch().status)  # the server applies the push; the phone never hears
            route.abort()
        elif not network_back:
            route.abort()  # the app's own retries meet no network either, until the test says
        else:
            route.continue_()

    page.route("**/api/sync/push", drop_the_answer)
    assert page.evaluate(SYNC) is False
    assert lost == [200]
    assert len(phone(page)["outbox"]) == 2  # nothing confirmed: all kept
    network_back.append(True)
    assert page.evaluate(SYNC) is True
    wait_until_synced(page)
    [defect] = server_inspection(floor, iid)["defects"]
    assert (defect["id"], defect["count"], defect["version"]) == (first, 3, 2)
    pushes = traffic.pushes()
    assert pushes[-2] == pushes[0] and len(pushes[-1]) == 1  # the lost push again (a replay), then the edit


def test_a_photo_upload_that_loses_its_answer_arrives_once(
        page: Page, floor: Floor, traffic: Traffic, served_photo: CameraJpeg) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    photo = add_photo(page, iid)
    save_defect(page, iid, photo_ids=[photo])
    statuses: list[int] = []
    network_back: list[bool] = []

    def drop_the_first_answer(route: Route) -> None:
        if route.request.method != "PUT" or network_back:
            route.continue_()
        elif not statuses:
            statuses.append(route.fetch().status)  # the server stores the photo; the phone never hears
            route.abort()
        else:
            route.abort()  # the app's own retries meet no network either, until the test says

    page.route("**/api/photos/*", drop_the_first_answer)
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/api/photos/" in r.url else None)
    assert page.evaluate(SYNC) is False
    assert statuses == [201]
    assert [p["id"] for p in server_photos(floor, iid)] == [photo]  # on the server already
    [waiting] = phone(page)["photos"]
    assert waiting["state"] == "pending" and waiting["has_blob"]  # not confirmed: the blob stays

    network_back.append(True)
    assert page.evaluate(SYNC) is True
    wait_until_synced(page)
    assert [p["id"] for p in server_photos(floor, iid)] == [photo]  # once
    assert answers == [200]  # the replay: same id, same bytes
    assert set(traffic.photo_puts()) == {photo}
    [done] = phone(page)["photos"]
    assert done["state"] == "uploaded" and not done["has_blob"] and done["has_thumb"]


def test_a_server_error_keeps_the_item_for_the_next_try(page: Page, floor: Floor) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    failed: list[str] = []
    mended: list[bool] = []

    def fail_until_mended(route: Route) -> None:
        if mended:
            route.continue_()
            return
        failed.append(route.request.url)
        route.fulfill(status=500, content_type="application/problem+json",
                      body=json.dumps({"status": 500, "title": "Internal Server Error",
                                       "detail": "Something broke on the server.", "detail_zh": "服务器出错。"}))

    page.route("**/api/sync/push", fail_until_mended)
    defect = save_defect(page, iid, count=4)
    assert page.evaluate(SYNC) is False
    assert failed and server_inspection(floor, iid)["defects"] == []
    kept = phone(page)
    assert [e["key"] for e in kept["outbox"]] == [defect] and kept["outbox"][0]["state"] is None
    expect(page.get_by_text("Sync failed: Something broke on the server.")).to_be_visible()
    expect(page.locator("[data-sync-banner]")).to_contain_text("1 unsynced")
    retry = page.evaluate("import('/app/js/db.js').then((db) => db.getMeta('sync_retry'))")
    assert retry["failures"] >= 1 and retry["next_at"] > 0  # backed off, persisted

    mended.append(True)
    page.get_by_role("button", name="Sync now").click()
    wait_until_synced(page)
    [held] = server_inspection(floor, iid)["defects"]
    assert (held["id"], held["count"]) == (defect, 4)
    expect(page.locator("[data-sync-banner]")).to_have_count(0)


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_conflict_shows_both_versions_and_the_choice_is_what_the_server_keeps(
        page: Page, floor: Floor, choice: str) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    defect = save_defect(page, iid, count=2, note="open seam")
    assert page.evaluate(SYNC) is True
    wait_until_synced(page)
    # Someone else edits the same defect on the server first.
    office = floor.supervisor.put(f"/api/inspections/{iid}/defects/{defect}", json={
        "code": "W01", "severity": "major", "count": 7, "note": "seen at the office", "version": 1})
    assert office.status_code == 200, office.text
    # The phone, offline from that, edits its copy of version 1.
    save_defect(page, iid, defect, count=4, note="three panels")
    assert page.evaluate(SYNC) is True  # the run went through; the conflict waits for the user

    banner = page.locator("[data-sync-banner]")
    expect(banner).to_contain_text("1 needs your attention")
    if choice == "theirs":
        page.get_by_role("button", name="中文").click()
        expect(banner).to_contain_text("1 项需要您处理")
        page.get_by_role("button", name="对比并选择").click()
        sheet = page.get_by_role("dialog", name="服务器上也有修改")
    else:
        page.get_by_role("button", name="Compare and choose").click()
        sheet = page.get_by_role("dialog", name="Changed on the server too")
    expect(sheet).to_be_visible()
    rows = sheet.locator("tbody tr")
    count_row, note_row = sheet.locator("tr[data-field=count]"), sheet.locator("tr[data-field=note]")
    expect(count_row.locator("[data-side=mine]")).to_have_text("4")
    expect(count_row.locator("[data-side=theirs]")).to_have_text("7")
    expect(note_row.locator("[data-side=mine]")).to_have_text("three panels")
    expect(note_row.locator("[data-side=theirs]")).to_have_text("seen at the office")
    expect(count_row).to_have_class("diff")
    expect(sheet.locator("tr[data-field=code]")).not_to_have_class("diff")  # the same on both: not marked
    assert rows.count() == 4
    assert run_axe(page) == []
    lang = "zh" if choice == "theirs" else "en"
    screenshot(page, f"sync-conflict-{lang}")
    for name in (("保留我的", "采用服务器的") if lang == "zh" else ("Keep mine", "Take theirs")):
        box = sheet.get_by_role("button", name=name).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44

    sheet.get_by_role("button", name="采用服务器的" if choice == "theirs" else "Keep mine").click()
    expect(sheet).to_have_count(0)
    wait_until_synced(page)
    page.evaluate(SYNC)
    held = {d["id"]: d for d in server_inspection(floor, iid)["defects"]}[defect]
    local = next(r for r in phone(page)["records"] if r["key"] == defect)
    if choice == "mine":
        assert (held["count"], held["note"], held["version"]) == (4, "three panels", 3)
    else:
        assert (held["count"], held["note"], held["version"]) == (7, "seen at the office", 2)
    assert local["pending"] == 0 and local.get("conflict") is None
    assert (local["record"]["count"], local["version"]) == (held["count"], held["version"])
    expect(page.locator("[data-sync-banner]")).to_have_count(0)


def test_the_uploaded_photo_keeps_its_capture_time_is_upright_and_at_most_2048_px(
        page: Page, floor: Floor, served_photo: CameraJpeg) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    photo = add_photo(page, iid)
    save_defect(page, iid, photo_ids=[photo])
    local = phone(page)["photos"][0]
    assert (local["width"], local["height"]) == (2048, 1365) and local["blob_type"] == "image/jpeg"
    assert page.evaluate(SYNC) is True
    wait_until_synced(page)

    record = floor.supervisor.get(f"/api/photos/{photo}").json()
    assert (record["width"], record["height"], record["format"]) == (2048, 1365, "jpeg")
    provenance = record["provenance"]
    assert dt.datetime.fromisoformat(provenance["taken_at"]) == served_photo.taken
    assert (provenance["device_make"], provenance["device_model"]) == ("Floorcheck", "Test Camera 1")
    flags = floor.supervisor.get(f"/api/inspections/{iid}/photo-flags").json()
    assert not [f for f in flags if f["photo_id"] == photo and f["kind"].startswith("capture_time")], flags

    original = floor.supervisor.get(f"/media/photos/{photo}/original")
    assert original.status_code == 200
    stored = Image.open(io.BytesIO(original.content))
    exif = stored.getexif()
    assert stored.size == (2048, 1365) and max(stored.size) <= 2048
    assert exif[ExifTags.Base.Orientation] == 1
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    assert sub[ExifTags.Base.DateTimeOriginal] == served_photo.taken.strftime("%Y:%m:%d %H:%M:%S")
    # Upright: the pixels match the picture as the camera meant it, not as it was stored.
    def difference(a: Image.Image, b: Image.Image) -> float:
        small = (64, 43)
        return sum(ImageStat.Stat(ImageChops.difference(a.convert("L").resize(small), b.convert("L").resize(small))).mean)
    upright = served_photo.upright
    assert difference(stored, upright) < 12
    assert difference(stored, upright) * 2 < difference(stored, upright.rotate(180))


def test_submit_waits_until_the_server_has_every_photo(
        page: Page, floor: Floor, traffic: Traffic, served_photo: CameraJpeg) -> None:
    iid = floor.later_id  # the in-process check: no final-lot rules
    on_the_phone(page, floor)
    head = server_inspection(floor, iid)
    photo = add_photo(page, iid)
    defect = save_defect(page, iid, photo_ids=[photo], count=1)
    missing = [{"carton_number": c["number"], "reason": "Goods not packed yet"} for c in head["cartons"]]
    page.evaluate(SAVE, {"kind": "inspection", "key": iid, "inspectionId": iid, "record": {"status": "submitted"},
                         "operation": {"kind": "inspection.submit", "key": {"inspection_id": iid},
                                       "body": {"missing_cartons": missing}}})
    uploads: list[int] = []
    available: list[bool] = []

    def unavailable_until_told(route: Route) -> None:
        if route.request.method != "PUT" or available:
            route.continue_()
            return
        uploads.append(503)
        route.fulfill(status=503, headers={"Retry-After": "1"}, content_type="application/problem+json",
                      body=json.dumps({"status": 503, "title": "Service Unavailable", "detail": "Busy."}))

    page.route("**/api/photos/*", unavailable_until_told)
    assert page.evaluate(SYNC) is False
    # The defect went; the submission waits in the outbox for the photo.
    held = server_inspection(floor, iid)
    assert [d["id"] for d in held["defects"]] == [defect] and held["status"] != "submitted"
    [waiting] = phone(page)["outbox"]
    assert waiting["operation"]["kind"] == "inspection.submit"
    expect(page.locator("[data-attention=waiting][data-reason=photos]")).to_contain_text(
        "The submission waits until its photos are uploaded.")
    pending = page.evaluate("""(id) => import('/app/js/outbox.js').then(async (outbox) => {
        const db = await import('/app/js/db.js');
        return outbox.pendingSubmit((await db.getMeta('user')).id, id);
    })""", iid)
    assert pending["waiting"] == "photos"

    available.append(True)
    assert page.evaluate(SYNC) is True
    wait_until_synced(page)
    assert server_inspection(floor, iid)["status"] == "submitted"
    assert [p["id"] for p in server_photos(floor, iid)] == [photo]
    order = [(e["what"], [op["kind"] for op in e.get("operations", [])]) for e in traffic.events]
    photo_puts = [i for i, (what, _) in enumerate(order) if what == "photo"]
    submits = [i for i, (what, kinds) in enumerate(order) if "inspection.submit" in kinds]
    assert len(submits) == 1 and submits[0] > photo_puts[-1], order
    assert traffic.events[photo_puts[-1]]["request"].response().status == 201


def test_a_401_keeps_the_outbox_and_another_login_never_pushes_it(
        page: Page, floor: Floor, traffic: Traffic, served_photo: CameraJpeg) -> None:
    iid = floor.inspection_id
    first_user = on_the_phone(page, floor)
    photo = add_photo(page, iid)
    defect = save_defect(page, iid, photo_ids=[photo], note="the first inspector's")
    # The session ends on the server (it expired, or an admin reset the password).
    assert page.evaluate("fetch('/api/auth/logout', { method: 'POST' }).then((r) => r.status)") == 204
    assert page.evaluate(SYNC) is False
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended")
    kept = phone(page, first_user)
    assert [e["key"] for e in kept["outbox"]] == [defect]
    assert [p["id"] for p in kept["photos"]] == [photo] and kept["photos"][0]["has_blob"]

    # Another inspector on the same phone: their syncs never send the first one's work.
    before = len(traffic.events)
    log_in_as(page, floor.other_inspector.username)
    assert page.evaluate(SYNC) is True
    expect(page.locator("[data-sync-banner]")).to_have_count(0)  # their own: nothing unsynced
    assert server_inspection(floor, iid)["defects"] == [] and server_photos(floor, iid) == []
    assert not [e for e in traffic.events[before:] if e["what"] == "photo" or defect in json.dumps(e.get("operations"))]
    assert [e["key"] for e in phone(page, first_user)["outbox"]] == [defect]
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    # The first inspector again: it all goes, once.
    log_in_as(page, floor.inspector.username)
    page.evaluate(SYNC)
    wait_until_synced(page)
    [held] = server_inspection(floor, iid)["defects"]
    assert (held["id"], held["photo_ids"]) == (defect, [photo])
    assert [p["id"] for p in server_photos(floor, iid)] == [photo]


def test_a_refused_change_is_kept_and_shown_in_the_users_language(page: Page, floor: Floor) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    bad = save_defect(page, iid, code="NO-SUCH-CODE")
    good = save_defect(page, iid, count=1)
    assert page.evaluate(SYNC) is True
    assert [d["id"] for d in server_inspection(floor, iid)["defects"]] == [good]  # the others go on
    state = phone(page)
    [entry] = state["outbox"]
    assert entry["key"] == bad and entry["state"] == "error" and entry["last_error"]["status"] == 422
    record = next(r for r in state["records"] if r["key"] == bad)
    assert record["error"]["detail"] == "Unknown defect code 'NO-SUCH-CODE'."
    item = page.locator("[data-attention=error]")
    expect(item).to_contain_text("the server refused this change")
    expect(item).to_contain_text("Unknown defect code 'NO-SUCH-CODE'.")
    assert run_axe(page) == []
    screenshot(page, "sync-refused-en")
    page.get_by_role("button", name="中文").click()
    expect(item).to_contain_text("缺陷代码不存在。")
    screenshot(page, "sync-refused-zh")
    # Never dropped by itself: another sync keeps it; the user discards it, in two steps.
    assert page.evaluate(SYNC) is True
    assert len(phone(page)["outbox"]) == 1
    item.get_by_role("button", name="放弃", exact=True).click()
    item.get_by_role("button", name="确认放弃").click()
    expect(page.locator("[data-sync-banner]")).to_have_count(0)
    assert phone(page)["outbox"] == []


def _submit(page: Page, iid: str, body: dict[str, Any]) -> None:
    page.evaluate(SAVE, {"kind": "inspection", "key": iid, "inspectionId": iid, "record": {"status": "submitted"},
                         "operation": {"kind": "inspection.submit", "key": {"inspection_id": iid}, "body": body}})


def test_a_submission_not_yet_on_the_server_stays_on_my_inspections(page: Page, floor: Floor) -> None:
    on_the_phone(page, floor)
    later = server_inspection(floor, floor.later_id)
    missing = [{"carton_number": c["number"], "reason": "Goods not packed yet"} for c in later["cartons"]]
    page.context.set_offline(True)
    _submit(page, floor.later_id, {"missing_cartons": missing})  # the server takes it
    _submit(page, floor.inspection_id, {})  # the server refuses it: no lot size, cartons not scanned
    # Submitted on the phone, not on the server: still listed, marked, and it opens.
    for po in ("PO-24-1187", "PO-24-1203"):
        card = page.locator("article.card", has=page.get_by_text(po, exact=True))
        expect(card.locator("[data-unsynced=waiting]")).to_have_text("Waiting to sync")
        expect(card).to_contain_text("Submitted")
        expect(card.get_by_role("button", name="Open inspection")).to_be_visible()

    page.context.set_offline(False)
    assert page.evaluate(SYNC) is True
    assert server_inspection(floor, floor.later_id)["status"] == "submitted"
    refused = page.locator("article.card", has=page.get_by_text("PO-24-1187", exact=True))
    expect(page.locator("article.card", has=page.get_by_text("PO-24-1203", exact=True))).to_have_count(0)
    expect(refused.locator("[data-unsynced=attention]")).to_contain_text("Needs attention")
    assert run_axe(page) == []
    page.get_by_role("button", name="中文").click()
    expect(refused.locator("[data-unsynced=attention]")).to_contain_text("需要处理")
    refused.get_by_role("button", name="打开验货").click()
    expect(page.locator("[data-refused]")).to_be_visible()  # the server's words, where the user can act on them
    page.get_by_role("link", name="我的验货").click()
    expect(refused.locator("[data-unsynced=attention]")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.locator("[data-attention=error]")).to_contain_text("the server refused this change")
    # Discarded: nothing of it waits any more, so nothing marks it.
    page.locator("[data-attention=error]").get_by_role("button", name="Discard", exact=True).click()
    page.get_by_role("button", name="Yes, discard it").click()
    expect(page.locator("[data-sync-banner]")).to_have_count(0)
    expect(page.locator("[data-unsynced]")).to_have_count(0)
    # The server still has it open, and so has the phone: it stays on the list, to be finished.
    expect(refused).to_contain_text("In progress")
    expect(refused.get_by_role("button", name="Continue inspection")).to_be_visible()


READS = """() => {
    // Count what IndexedDB hands out of the outbox and the photos: the values of getAll and of cursors, and
    // the count() calls on the outbox (two per refresh of the banner).
    const seen = window.__reads = { values: 0, counts: 0 };
    const storeOf = (source) => (source instanceof IDBIndex ? source.objectStore : source).name;
    const watched = (source) => ['outbox', 'photos'].includes(storeOf(source));
    for (const proto of [IDBObjectStore.prototype, IDBIndex.prototype]) {
        for (const name of ['getAll', 'get', 'openCursor']) {
            const original = proto[name];
            proto[name] = function (...args) {
                const request = original.apply(this, args);
                if (watched(this)) request.addEventListener('success', () => {
                    const result = request.result;
                    seen.values += Array.isArray(result) ? result.length : result ? 1 : 0;
                });
                return request;
            };
        }
        const count = proto.count;
        proto.count = function (...args) {
            if (storeOf(this) === 'outbox') seen.counts += 1;
            return count.apply(this, args);
        };
    }
}"""

SAVE_MANY = """async ({ inspectionId, n, together }) => {
    const db = await import('/app/js/db.js');
    const user = await db.getMeta('user');
    const one = (i) => {
        const key = crypto.randomUUID();
        return db.saveWithOutbox({ kind: 'defect', key, userId: user.id, inspectionId, record: { id: key, note: `n${i}` },
            operation: { kind: 'defect', key: { inspection_id: inspectionId, defect_id: key }, body: { note: `n${i}` } } });
    };
    if (together) await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
    else for (let i = 0; i < n; i += 1) await one(i);
}"""


def test_a_saves_refresh_reads_no_more_as_the_outbox_grows(page: Page, floor: Floor) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    page.context.set_offline(True)
    banner = page.locator("[data-sync-banner]")
    page.evaluate(SAVE_MANY, {"inspectionId": iid, "n": 300, "together": False})
    expect(banner.locator(".count")).to_have_text("300 unsynced")
    expect(banner.locator(".age")).to_have_text("oldest under 1 min")
    page.evaluate(READS)

    page.evaluate(SAVE_MANY, {"inspectionId": iid, "n": 1, "together": False})
    expect(banner.locator(".count")).to_have_text("301 unsynced")
    reads = page.evaluate("window.__reads")
    assert reads["values"] <= 10, reads  # the one save's record and the first entry: not the 300 before it

    # A burst of saves: far fewer refreshes than saves.
    page.evaluate("window.__reads.counts = 0")
    page.evaluate(SAVE_MANY, {"inspectionId": iid, "n": 40, "together": True})
    expect(banner.locator(".count")).to_have_text("341 unsynced")
    counts = page.evaluate("window.__reads.counts")
    assert counts < 40, counts  # 2 per refresh: under one refresh for every save
    assert page.evaluate("import('/app/js/db.js').then(async (db) => db.countOutbox((await db.getMeta('user')).id))") == 341


def test_the_logout_warning_counts_photos_waiting_to_upload(page: Page, floor: Floor, served_photo: CameraJpeg) -> None:
    on_the_phone(page, floor)
    page.context.set_offline(True)
    save_defect(page, floor.inspection_id, note="one change")
    add_photo(page, floor.inspection_id)
    add_photo(page, floor.inspection_id)
    expect(page.locator("[data-sync-banner] .count")).to_have_text("3 unsynced")
    page.get_by_role("button", name="Log out").click()
    warning = page.get_by_role("alertdialog", name="Unsynced work")
    expect(warning).to_contain_text("3 changes of yours are not synced yet")
    expect(warning).to_contain_text("2 of them are photos waiting to upload.")
    warning.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="退出登录").click()
    warning = page.get_by_role("alertdialog", name="有未同步的工作")
    expect(warning).to_contain_text("您有 3 项更改尚未同步")
    expect(warning).to_contain_text("其中 2 张是等待上传的照片。")
    warning.get_by_role("button", name="取消").click()


def test_my_inspections_tells_which_part_of_the_sync_runs(page: Page, floor: Floor, served_photo: CameraJpeg) -> None:
    iid = floor.inspection_id
    on_the_phone(page, floor)
    photo = add_photo(page, iid)
    save_defect(page, iid, photo_ids=[photo], count=1)
    held: dict[str, list[Route]] = {"push": [], "photo": [], "feed": []}
    release: set[str] = set()

    def hold(name: str) -> Any:
        def handler(route: Route) -> None:
            if name in release or route.request.method == "GET" and name != "feed":
                route.continue_()
            else:
                held[name].append(route)
        return handler

    page.route("**/api/sync/push", hold("push"))
    page.route("**/api/photos/*", hold("photo"))
    page.route("**/api/sync/changes*", hold("feed"))
    status = page.locator("main [data-phase]")
    page.evaluate("import('/app/js/sync.js').then((sync) => { sync.syncNow(); })")  # not awaited: it is held
    expect(status).to_have_attribute("data-phase", "push")
    expect(status).to_contain_text("Sending your changes…")
    expect(status).not_to_contain_text("Downloading")
    page.get_by_role("button", name="中文").click()
    expect(status).to_contain_text("正在发送您的更改…")

    def let_go(name: str) -> None:
        release.add(name)
        for route in held[name]:
            route.continue_()
        held[name].clear()

    let_go("push")
    expect(status).to_have_attribute("data-phase", "photos")
    expect(status).to_contain_text("正在上传第 1 张照片，共 1 张…")
    page.get_by_role("button", name="English").click()
    expect(status).to_contain_text("Uploading photo 1 of 1…")
    let_go("photo")
    expect(status).to_have_attribute("data-phase", "pull")
    expect(status).to_contain_text("Downloading…")
    let_go("feed")
    expect(page.locator("main [data-phase]")).to_have_count(0)
    wait_until_synced(page)
