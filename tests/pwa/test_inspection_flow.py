"""The inspection screens on the phone, from "Start inspection" to "Submit inspection", in Chromium at 360 × 640
against the real server: a whole pre-shipment inspection offline (one carton scanned by the fake camera, decoded
by the vendored wasm), an in-process check (DUPRO) with a follow-up, and every screen photographed in English and
Chinese and checked with axe-core."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.helpers import TESTDATA, Actor
from tests.pwa.conftest import CHROMIUM_ARGS, PHONE, Watch, _watch_page
from tests.pwa.labels import carton_label, write_y4m
from tests.pwa.steps import (
    card, download, draw_signature, log_in, open_app, run_axe, screenshot, small_targets, wait_for_offline_shell,
)

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

TODAY_PO, LATER_PO = "PO-24-1187", "PO-24-1203"
PHOTOS = [TESTDATA / "exif" / name for name in ("Landscape_3.jpg", "Portrait_5.jpg", "Landscape_8.jpg")]
# An inch spec sheet: the phone reads fractions ("20 3/8") and grades them as the server does.
SPEC_SHEET = {"unit": "inch", "defect_severity": "major", "points": [
    {"code": "chest", "name": "Chest width", "name_zh": "胸宽", "tol_minus": "1/2",
     "specs": {"S": "19 1/2", "M": "20 1/2", "L": "21 1/2"}},
    {"code": "length", "name": "Body length", "name_zh": "衣长", "tol_minus": "1/2",
     "specs": {"S": "27", "M": "28", "L": "29"}},
]}


# --- set-up over HTTP -------------------------------------------------------------------------------------------


def put_spec_sheets(floor: Floor) -> None:
    for order in (floor.order, floor.later_order):
        answer = floor.supervisor.put(f"/api/orders/{order['id']}/spec-sheet", json=SPEC_SHEET)
        assert answer.status_code in (200, 201), answer.text


def picked_cartons(floor: Floor) -> list[dict[str, Any]]:
    cartons = floor.inspector.get(f"/api/inspections/{floor.inspection_id}").json()["cartons"]
    assert len(cartons) >= 8  # √60 and the assortments
    return cartons


@pytest.fixture
def camera_page(browser: Browser, floor: Floor, live_server: Any, tmp_path: Path) -> Iterator[Page]:
    """A phone whose camera films the label of the last picked carton: a second Chromium, started with a fake
    camera that plays a one-frame y4m written with Pillow (the same frame again and again)."""
    put_spec_sheets(floor)
    label = write_y4m(carton_label(picked_cartons(floor)[-1]["barcode"]), tmp_path / "label.y4m")
    camera = browser.browser_type.launch(executable_path=shutil.which("chromium"), args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={label}"])
    context = camera.new_context(base_url=live_server.url, **PHONE, locale="en-US", permissions=["camera"])
    watch = Watch(live_server.url)
    context.on("request", watch.request)
    context.on("page", lambda page: _watch_page(page, watch))
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()
        camera.close()
    assert not watch.errors and not watch.foreign, (watch.errors, watch.foreign)
    assert not live_server.errors, live_server.errors


# --- steps on the phone -----------------------------------------------------------------------------------------


def main(page: Page, screen: str) -> Locator:
    locator = page.locator(f"main[data-screen=inspection-{screen}]")
    locator.wait_for()
    return locator


def tab(page: Page, name: str, screen: str) -> Locator:
    page.get_by_role("navigation").get_by_role("link", name=name).click()
    return main(page, screen)


def open_inspection(page: Page, po: str, button: str = "Start inspection") -> None:
    card(page, po).get_by_role("button", name=button).click()
    main(page, "start")


def scans(page: Page) -> Locator:
    return page.locator("[data-scans] li")


def scan_typed(page: Page, code: str, verdict: str) -> None:
    before = scans(page).count()
    field = page.get_by_label("Carton code")
    field.fill(code)
    field.press("Enter")
    expect(scans(page)).to_have_count(before + 1)
    expect(scans(page).first).to_have_attribute("data-verdict", verdict)
    expect(field).to_have_value("")


def add_defect(page: Page, query: str, code: str, *, severity: str | None = None, count: int = 1,
               photo: Path | None = None, note: str = "", carton: int | None = None,
               follow_up: tuple[str, str] | None = None) -> None:
    before = page.locator("li.defect").count()
    page.get_by_role("button", name="Add defect").click()
    form = page.locator("[data-defect-form]")
    form.get_by_label("Search defects").fill(query)
    form.locator("button.libitem", has=page.locator(".libcode", has_text=code)).click()
    expect(form.locator("[data-chosen]")).to_contain_text(code)
    if severity:
        form.get_by_text(severity, exact=True).click()
    if count != 1:
        form.get_by_label("Count").fill(str(count))
    if carton is not None:
        form.get_by_label("Carton").select_option(str(carton))
    if note:
        form.get_by_label("Note").fill(note)
    if photo:
        form.get_by_label("Add photo").set_input_files(photo)
        expect(form.locator("li.thumb img")).to_have_count(1)
    if follow_up:
        form.get_by_label("Due date").fill(follow_up[1])
    page.get_by_role("button", name="Save defect").click()
    expect(page.locator("li.defect")).to_have_count(before + 1)


def sign(page: Page, signer: str, name: str | None = None) -> None:
    pad = page.get_by_role("region", name=signer)
    if name:
        pad.get_by_label("Name").fill(name)
    draw_signature(page, pad.locator("canvas"))
    pad.get_by_role("button", name="Sign").click()
    expect(pad).to_contain_text("Signed by")


def measure(page: Page, point: str, unit: int, text: str) -> None:
    cell = page.get_by_label(f"{point}, unit {unit}", exact=True)
    cell.fill(text)
    cell.press("Enter")


def answer_checklist(page: Page, fail: set[str], value: str) -> int:
    items = page.locator("li.citem")
    count = items.count()
    for i in range(count):
        item = items.nth(i)
        key = item.get_attribute("data-item")
        if item.locator("input[inputmode=decimal]").count():
            item.get_by_label("Value").fill(value)
        item.get_by_text("Fail" if key in fail else "Pass", exact=True).click()
        expect(item).to_have_class(f"citem {'fail' if key in fail else 'pass'}")
    return count


def dirty(page: Page, expected: bool) -> None:
    """Until js/dirty.js says whether a form holds unsaved input (it is told after the render)."""
    page.wait_for_function("(expected) => import('/app/js/dirty.js').then((m) => m.isDirty() === expected)", arg=expected)


def synced(page: Page) -> None:
    """Until the outbox is empty and every photo is on the server (the sync engine runs by itself after a save
    and when the network comes back)."""
    for _ in range(240):
        left = page.evaluate("""async () => {
            const db = await import('/app/js/db.js');
            const user = await db.getMeta('user');
            const photos = await (await db.db()).getAllFromIndex('photos', 'by_user', user.id);
            return (await db.countOutbox(user.id)) + photos.filter((p) => p.state !== 'uploaded').length;
        }""")
        if left == 0:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"{left} items still unsynced")


# --- the tests --------------------------------------------------------------------------------------------------


def test_a_whole_pre_shipment_inspection_offline(camera_page: Page, floor: Floor) -> None:
    page = camera_page
    cartons = picked_cartons(floor)
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page)
    wait_for_offline_shell(page)
    page.context.set_offline(True)

    # Start: the plan per severity and the cartons to pull, before anything is recorded.
    open_inspection(page, TODAY_PO)
    plan = page.locator("[data-plan]")
    plans = floor.inspector.get(f"/api/inspections/{floor.inspection_id}").json()["plans"]
    for severity, label in (("critical", "Critical"), ("major", "Major"), ("minor", "Minor")):
        row = plan.get_by_role("row", name=label)
        p = plans[severity]
        expect(row).to_contain_text(f"{p['sample_size']}")
        expect(row.locator("td").nth(2)).to_have_text(str(p["accept"]))
        expect(row.locator("td").nth(3)).to_have_text(str(p["reject"]))
    expect(page.locator("[data-pull] li")).to_have_count(len(cartons))
    page.get_by_role("button", name="Start inspection").click()
    main(page, "cartons")

    # Scan: the picked cartons by typing but the last two (one is not reachable, the other goes to the camera); a
    # carton not picked and a misread code say so at once.
    not_picked = next(c for c in floor.supervisor.get(f"/api/orders/{floor.order['id']}/packing-list").json()["cartons"]
                      if c["number"] not in {p["number"] for p in cartons})
    unreachable = cartons[-2]
    for carton in cartons[:-2]:
        scan_typed(page, carton["barcode"], "ok")
    scan_typed(page, cartons[0]["barcode"], "already_scanned")
    scan_typed(page, not_picked["barcode"], "not_selected")
    bad = cartons[1]["barcode"][:-1] + str((int(cartons[1]["barcode"][-1]) + 1) % 10)
    scan_typed(page, bad, "bad_check_digit")
    expect(scans(page).first).to_contain_text("Bad check digit")
    expect(scans(page).first).to_contain_text("The check digit is wrong")
    # The last one with the camera: the label carries a carrier's code too; the SSCC on the packing list wins.
    page.get_by_role("button", name="Scan with camera").click()
    expect(scans(page)).to_have_count(len(cartons) + 2, timeout=30_000)
    expect(scans(page).first).to_have_attribute("data-verdict", "ok")
    expect(scans(page).first).to_contain_text(f"Carton {cartons[-1]['number']}: picked, opened.")
    expect(page.locator("[data-opened]")).to_have_text(f"{len(cartons) - 1} of {len(cartons)} picked cartons opened")
    expect(page.locator(f"[data-pull] li[data-carton='{unreachable['number']}']")).to_contain_text("To open")
    expect(page.locator("[data-camera]")).to_have_count(0)

    # Defects: five, three with photos; the tally follows.
    tab(page, "Defects", "defects")
    add_defect(page, "open seam", "W03", photo=PHOTOS[0], carton=cartons[0]["number"], note="left side seam")
    add_defect(page, "污渍", "F05", count=2, photo=PHOTOS[1])
    add_defect(page, "thread", "W06")
    # Halfway: the page reloads with no network, and everything is still there.
    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    main(page, "defects")
    expect(page.locator("li.defect")).to_have_count(3)
    expect(page.locator("li.defect li.thumb img")).to_have_count(2)
    add_defect(page, "hang tag", "L04", photo=PHOTOS[2])
    add_defect(page, "W09", "W09", severity="Minor")
    expect(page.locator(".tally .tally-sev").nth(1)).to_contain_text("3 / Re")
    expect(page.locator(".tally .tally-sev").nth(2)).to_contain_text("3 / Re")

    # Measurements: two, typed as inch fractions, graded at once.
    tab(page, "Measure", "measure")
    page.get_by_label("Size of unit 1").select_option("M")
    measure(page, "Chest width", 1, "20 3/8")
    expect(page.locator("#m-chest-1-g")).to_have_text("✓ -0.125")
    measure(page, "Body length", 1, "28 7/8")
    expect(page.locator("#m-length-1-g")).to_have_text("✗ +0.875")
    expect(page.locator("[data-off]")).to_have_text("Sample units out of tolerance: 1")

    # The checklist, every item; hang tags fail (a minor defect).
    tab(page, "Checks", "checklist")
    answered = answer_checklist(page, {"hang_tags"}, "9.5")
    expect(page.locator("[data-answered]")).to_contain_text(f"{answered} of {answered} answered")

    # Finish: units inspected, both signatures, submit.
    tab(page, "Finish", "finish")
    sample = max(p["sample_size"] for p in plans.values())
    page.get_by_label("Units inspected").fill(str(sample))
    page.locator("[data-units]").get_by_role("button", name="Save").click()
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "pass")
    sign(page, "Inspector")
    sign(page, "Factory representative", "Zhang Min 张敏")
    shown = {row.locator("th").inner_text(): row.locator("td").first.inner_text()
             for row in page.locator("[data-result] tbody tr").all()}
    # Not before every picked carton is opened or has a reason.
    page.get_by_role("button", name="Submit inspection").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Carton {unreachable['number']}: scan it, or give a reason")
    dirty(page, False)
    reason = "Bottom of the stack, could not be reached"
    page.get_by_label(f"Reason for carton {unreachable['number']}").fill(reason)
    dirty(page, True)  # unsaved input: an update of the app waits for it
    page.get_by_role("button", name="Submit inspection").click()
    expect(page.locator("[data-submitted]")).to_contain_text("Submitted on this phone")
    dirty(page, False)
    verdict = page.locator("[data-verdict]").get_attribute("data-verdict")

    # Online again: the sync engine sends it all, photos first, then the submit.
    page.context.set_offline(False)
    synced(page)
    expect(page.locator("[data-submitted]")).to_contain_text("received by the server")
    screenshot(page, "inspection-submitted-en")
    # The server's copies replace the phone's: verdicts as the server judged them, photos uploaded.
    tab(page, "Cartons", "cartons")
    expect(scans(page)).to_have_count(len(cartons) + 2)
    expect(page.locator("[data-scans]")).not_to_contain_text("checked on this phone")
    phone_verdicts = scans(page).evaluate_all("(items) => items.map((li) => li.dataset.verdict)")
    tab(page, "Defects", "defects")
    expect(page.locator(".thumb-state")).to_have_text(["Uploaded"] * 3)

    server = floor.supervisor.get(f"/api/inspections/{floor.inspection_id}").json()
    assert server["status"] == "submitted" and server["verdict"] == verdict == "pass"
    assert server["units_inspected"] == sample
    assert {s: str(r["count"]) for s, r in server["result"]["severities"].items()} == {
        "critical": shown["Critical"], "major": shown["Major"], "minor": shown["Minor"]}
    defects = server["defects"]
    assert sorted((d["code"], d["count"]) for d in defects) == [
        ("F05", 2), ("L04", 1), ("W03", 1), ("W06", 1), ("W09", 1)]
    assert len({d["id"] for d in defects}) == 5
    named = [p for d in defects for p in d["photo_ids"]]
    assert len(named) == len(set(named)) == 3
    photos = floor.supervisor.get(f"/api/inspections/{floor.inspection_id}/photos").json()
    assert sorted(p["id"] for p in photos) == sorted(named)  # every photo there once
    assert len(server["measurements"]) == 2
    assert {m["point"]: m["within"] for m in server["measurements"]} == {"chest": True, "length": False}
    assert len(server["checklist_answers"]) == answered
    assert len({s["id"] for s in server["scans"]}) == len(server["scans"]) == len(cartons) + 2
    assert sorted(phone_verdicts) == sorted(s["verdict"] for s in server["scans"])
    assert {c["number"]: (c["scanned"], c["missing_reason"]) for c in server["cartons"]} == {
        c["number"]: (c["number"] != unreachable["number"], reason if c["number"] == unreachable["number"] else "")
        for c in cartons}
    assert sorted(s["role"] for s in server["signatures"]) == ["factory", "inspector"]
    assert all(s["has_image"] for s in server["signatures"])
    camera_scan = [s for s in server["scans"] if s["carton_number"] == cartons[-1]["number"]]
    assert [s["verdict"] for s in camera_scan] == ["ok"] and camera_scan[0]["text"].endswith(cartons[-1]["barcode"])


def test_an_in_process_check_with_a_follow_up(page: Page, floor: Floor, admin: Actor) -> None:
    put_spec_sheets(floor)
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page)
    open_inspection(page, LATER_PO)
    expect(page.locator("[data-plan]")).to_have_count(0)  # no final-lot rules
    page.get_by_role("button", name="Start inspection").click()
    progress = main(page, "start").locator("[data-progress]")
    progress.get_by_label("Production stage").select_option("sewing")
    progress.get_by_label("Percent complete").fill("60")
    progress.get_by_role("button", name="Save progress").click()
    expect(progress).to_contain_text("Saved on this phone.")
    expect(page.get_by_role("navigation").get_by_role("link")).to_have_count(5)  # no cartons to scan

    tab(page, "Defects", "defects")
    due = (floor.today + dt.timedelta(days=2)).isoformat()
    add_defect(page, "broken stitch", "W01", count=3, follow_up=("me", due), note="line 4")
    expect(page.locator("li.defect")).to_contain_text("Follow-up")
    tab(page, "Finish", "finish")
    expect(page.locator("[data-pull]")).to_have_count(0)
    page.get_by_role("button", name="Submit inspection").click()
    synced(page)
    expect(page.locator("[data-submitted]")).to_contain_text("received by the server")

    server = floor.supervisor.get(f"/api/inspections/{floor.later_id}").json()
    assert server["status"] == "submitted" and server["type"] == "in_process"
    assert server["production_stage"] == "sewing" and server["percent_complete"] == 60
    [defect] = server["defects"]
    assert defect["code"] == "W01" and defect["count"] == 3 and defect["note"] == "line 4"
    assert defect["follow_up"] is True and defect["follow_up_owner_id"] == floor.inspector.id
    assert defect["follow_up_due"] == due

    # The admin retires the code: the finding recorded with it keeps its name on the phone, after a sync.
    admin.put("/api/defect-codes/W01", json={"category": "workmanship", "name_en": "Broken stitch", "name_zh": "断线",
                                           "default_severity": "major", "active": False}).raise_for_status()
    page.evaluate("import('/app/js/sync.js').then((sync) => sync.syncNow())")
    page.wait_for_function("""async () => {
        const db = await import('/app/js/db.js');
        return (await db.recordsOfKind('defect_code')).some((e) => e.record.code === 'W01' && !e.record.active);
    }""")
    tab(page, "Defects", "defects")
    expect(page.locator("li.defect")).to_contain_text("Broken stitch")


def test_an_inspection_can_be_aborted_with_a_reason(page: Page, floor: Floor) -> None:
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page)
    open_inspection(page, TODAY_PO)
    page.get_by_role("button", name="Start inspection").click()
    tab(page, "Finish", "finish")
    page.get_by_role("button", name="Abort inspection").click()
    page.get_by_label("Why is the inspection aborted?").fill("Goods not ready: 40 % still in sewing")
    page.get_by_role("button", name="Abort now").click()
    page.locator("main[data-screen=inspections]").wait_for()
    expect(card(page, TODAY_PO)).to_have_count(0)
    synced(page)
    server = floor.supervisor.get(f"/api/inspections/{floor.inspection_id}").json()
    assert server["status"] == "aborted" and server["abort_reason"] == "Goods not ready: 40 % still in sewing"


LANGS = {
    "en": {"locale": "en-US", "tabs": ["Plan", "Cartons", "Defects", "Measure", "Checks", "Finish"],
           "start": "Start inspection", "add": "Add defect", "download": "Download for offline use"},
    "zh": {"locale": "zh-CN", "tabs": ["计划", "箱子", "缺陷", "尺寸", "检查表", "完成"],
           "start": "开始验货", "add": "添加缺陷", "download": "下载离线使用"},
}


# The space between the words of neighbouring tabs in the bottom bar (their text, not their boxes), in CSS px.
TAB_LABEL_GAPS = """() => {
    const boxes = [...document.querySelectorAll('nav.tabs a')].map((a) => {
        const range = document.createRange();
        range.selectNodeContents(a);
        return range.getBoundingClientRect();
    });
    return boxes.slice(1).map((box, i) => Math.round((box.left - boxes[i].right) * 10) / 10);
}"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screens_pass_axe_and_are_photographed(new_context: Callable[..., BrowserContext], floor: Floor,
                                               lang: str) -> None:
    """Every inspection screen at 360 × 640, checked by axe-core and saved for a person to look at."""
    words = LANGS[lang]
    put_spec_sheets(floor)
    cartons = picked_cartons(floor)
    page = new_context(locale=words["locale"]).new_page()
    page.set_default_timeout(15_000)
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page, words["download"])

    def check(name: str) -> None:
        assert run_axe(page) == [], name
        assert small_targets(page) == [], name
        gaps = page.evaluate(TAB_LABEL_GAPS)
        assert all(gap >= 6 for gap in gaps), f"{name}: tab labels closer than 6 px: {gaps}"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name}: wider than the phone"
        screenshot(page, f"inspection-{name}-{lang}")

    open_inspection(page, TODAY_PO, words["start"])
    check("start")
    page.locator(".actionbar").get_by_role("button", name=words["start"]).click()
    main(page, "cartons")
    field = page.locator("input[name=code]")
    for code in (cartons[0]["barcode"], cartons[0]["barcode"], "4006381333932", "12345"):
        field.fill(code)
        field.press("Enter")
    expect(scans(page)).to_have_count(4)
    check("cartons")
    # A photo of a label, read by the server's decoder (online): of its two codes, the one on the packing list.
    photo = io.BytesIO()
    carton_label(cartons[1]["barcode"]).save(photo, "JPEG", quality=90)
    page.locator(".scan-actions input[type=file]").set_input_files(
        files=[{"name": "label.jpg", "mimeType": "image/jpeg", "buffer": photo.getvalue()}])
    expect(scans(page)).to_have_count(5)
    expect(scans(page).first).to_have_attribute("data-verdict", "ok")
    expect(scans(page).first).to_contain_text(cartons[1]["barcode"])
    # A unit of a line that the carton opened last does not hold.
    packed = {item["order_line_id"] for item in cartons[1]["items"]}
    stranger = next(line for line in floor.order["lines"] if line["id"] not in packed)
    field.fill(stranger["gtin"])
    field.press("Enter")
    expect(scans(page).first).to_have_attribute("data-verdict", "gtin_mismatch")
    page.locator("[data-scans]").evaluate("(list) => list.scrollIntoView({ block: 'start' })")
    screenshot(page, f"inspection-cartons-scans-{lang}")

    nav = page.get_by_role("navigation")
    nav.get_by_role("link", name=words["tabs"][2]).click()
    main(page, "defects")
    page.get_by_role("button", name=words["add"]).click()
    page.locator("#defect-search").fill("stain" if lang == "en" else "污渍")
    expect(page.get_by_role("button", name="Add photo" if lang == "en" else "添加照片", exact=True)).to_have_count(1)
    page.locator("[data-defect-form] input[type=file]").set_input_files(PHOTOS[0])
    expect(page.locator("[data-defect-form] li.thumb img")).to_have_count(1)
    check("defect-form")
    page.locator("button.libitem").first.click()
    page.locator("[data-defect-form] button[type=submit]").click()
    page.get_by_role("button", name=words["add"]).click()
    page.locator("#defect-search").fill("A05")
    page.locator("button.libitem").first.click()
    page.locator("[data-defect-form] button[type=submit]").click()
    expect(page.locator(".reached")).to_be_visible()  # a critical defect: Re reached at once
    check("defects")

    nav.get_by_role("link", name=words["tabs"][3]).click()
    main(page, "measure")
    page.locator("thead select").first.select_option("M")
    for cell, text in (("#m-chest-1", "20 5/8"), ("#m-length-1", "29"), ("#m-chest-2", "20,4")):
        page.locator(cell).fill(text)
        page.locator(cell).press("Enter")
    check("measure")

    nav.get_by_role("link", name=words["tabs"][4]).click()
    main(page, "checklist")
    page.locator("li.citem").first.locator("label.seg").first.click()
    page.locator("li.citem").nth(1).locator("label.seg").nth(1).click()
    check("checklist")

    nav.get_by_role("link", name=words["tabs"][5]).click()
    main(page, "finish")
    check("finish")
    page.locator("section.signature").first.scroll_into_view_if_needed()
    screenshot(page, f"inspection-finish-signatures-{lang}")
    page.locator("section.submit").scroll_into_view_if_needed()
    screenshot(page, f"inspection-finish-submit-{lang}")

    # The in-process check (DUPRO): its progress, and a defect with a follow-up.
    page.locator(".back").click()
    page.locator("main[data-screen=inspections]").wait_for()
    open_inspection(page, LATER_PO, words["start"])
    check("dupro-start")
    page.locator(".actionbar").get_by_role("button", name=words["start"]).click()
    page.locator("[data-progress]").wait_for()
    page.locator("[data-progress] select").select_option("finishing")
    page.locator("[data-progress] input").fill("85")
    check("dupro-progress")
    page.locator("[data-progress] button[type=submit]").click()
    nav.get_by_role("link", name=words["tabs"][2]).click()
    main(page, "defects")
    page.get_by_role("button", name=words["add"]).click()
    page.locator("#defect-search").fill("W02")
    page.locator("button.libitem").first.click()
    page.locator("[data-defect-form] input[type=date]").fill((dt.date.today() + dt.timedelta(days=2)).isoformat())
    page.locator("[data-defect-form] .followup").scroll_into_view_if_needed()
    check("dupro-follow-up")
    page.locator("[data-defect-form] button[type=submit]").click()
    expect(page.locator("li.defect")).to_have_count(1)
    check("dupro-defects")
