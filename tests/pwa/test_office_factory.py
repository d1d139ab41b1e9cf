"""An inspection's result in the office screens, and the factory on its own login (issue 13), in Chromium against
the real server: a factory user sees its own orders only, never another factory's and never the picked cartons of
an inspection before it is submitted; once it is submitted, the factory reads the result and signs it. Staff read
the same result, reviewed, at a desk and on a phone, in English and Chinese."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import BrowserContext, Page, Response, expect

from tests.helpers import TESTDATA, Actor, inspection_body
from tests.pwa.steps import FACTORY_NAME, draw_signature, screenshot
from tests.pwa.test_inspection_flow import SPEC_SHEET
from tests.pwa.test_office import LATER_PO, OTHER_PO, PO, Office, check_page, log_in, office, open_orders  # noqa: F401

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

DESK = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1, "is_mobile": False, "has_touch": False}
FACTORY_SIGNER = "Zhou Lan 周兰"


# --- set-up over HTTP: an inspection as the inspector's phone would record it ------------------------------------


@dataclass
class Recorded:
    id: str
    picked: list[dict[str, Any]]  # the picked cartons, as the inspector sees them
    version: int


def signature_png() -> str:
    image = Image.new("L", (320, 120), 255)
    ImageDraw.Draw(image).line([(20, 90), (80, 30), (140, 85), (200, 35), (290, 80)], fill=0, width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def record_findings(floor: Floor) -> Recorded:
    """Start the booked pre-shipment inspection and record a defect in a picked carton (with a photo), a
    measurement out of tolerance and one within, and a failed check: everything but the submission."""
    inspector, iid = floor.inspector, floor.inspection_id
    sheet = floor.supervisor.put(f"/api/orders/{floor.order['id']}/spec-sheet", json=SPEC_SHEET)
    assert sheet.status_code in (200, 201), sheet.text
    started = inspector.put(f"/api/inspections/{iid}", json=inspection_body(floor.order, version=1))
    assert started.status_code == 200, started.text
    body = started.json()
    picked = body["cartons"]
    assert len(picked) >= 8
    defect_id = str(uuid.uuid4())
    for did, code, severity, count, extra in (
            (defect_id, "W01", "major", 1, {"carton_number": picked[0]["number"], "sample_unit": "3",
                                             "location": "Left sleeve", "note": "Seam open 2 cm"}),
            (str(uuid.uuid4()), "W06", "minor", 2, {})):
        answer = inspector.put(f"/api/inspections/{iid}/defects/{did}",
                               json={"code": code, "severity": severity, "count": count, **extra})
        assert answer.status_code == 201, answer.text
    for unit, reading in (("1", "20 1/2"), ("2", "22")):
        answer = inspector.put(f"/api/inspections/{iid}/measurements/{uuid.uuid4()}",
                               json={"sample_unit": unit, "size": "M", "point": "chest", "reading": reading})
        assert answer.status_code == 201, answer.text
    answer = inspector.put(f"/api/inspections/{iid}/checklist/{uuid.uuid4()}",
                           json={"item_key": "labels", "result": "fail", "note": "Care labels missing on 4 units"})
    assert answer.status_code == 201, answer.text
    photo = inspector.put(f"/api/photos/{uuid.uuid4()}", content=(TESTDATA / "exif" / "Landscape_3.jpg").read_bytes(),
                          params={"inspection_id": iid, "defect_id": defect_id, "carton_number": picked[0]["number"]},
                          headers={"Content-Type": "image/jpeg"})
    assert photo.status_code == 201, photo.text
    for carton in picked:
        scanned = inspector.post(f"/api/inspections/{iid}/scans",
                                 json={"id": str(uuid.uuid4()), "text": carton["barcode"]})
        assert scanned.json()["verdict"] == "ok", scanned.text
    current = inspector.get(f"/api/inspections/{iid}").json()
    units = inspector.put(f"/api/inspections/{iid}", json=inspection_body(
        floor.order, version=current["version"], units_inspected=80, notes="Lot stored in the finishing room."))
    assert units.status_code == 200, units.text
    return Recorded(iid, picked, units.json()["version"])


def submit(floor: Floor, recorded: Recorded) -> None:
    answer = floor.inspector.post(f"/api/inspections/{recorded.id}/submit", json={"version": recorded.version})
    assert answer.status_code == 200, answer.text
    assert answer.json()["verdict"] == "pass"
    signed = floor.inspector.post(f"/api/inspections/{recorded.id}/signatures",
                                  json={"role": "inspector", "name": "Li Wei 李伟", "image_png": signature_png()})
    assert signed.status_code == 201, signed.text


@pytest.fixture
def recorded(floor: Floor) -> Recorded:
    return record_findings(floor)


# --- watching what the factory's browser receives --------------------------------------------------------------


class Received:
    """Every API answer a page received, read back as text (the bodies are read while the page still holds them)."""

    def __init__(self, page: Page) -> None:
        self.responses: list[Response] = []
        page.on("response", lambda r: self.responses.append(r) if "/api/" in r.url else None)

    def take(self) -> list[tuple[str, str]]:
        taken, self.responses = self.responses, []
        return [(r.url, r.text()) for r in taken if "json" in (r.headers.get("content-type") or "")]


def reveals_picks(body: Any) -> list[str]:
    """Where a JSON answer names which cartons are picked: the picks, the draw's seed, scans, or a finding's carton."""
    found: list[str] = []
    if isinstance(body, dict):
        if body.get("cartons") and "carton_seed" in body:
            found.append("cartons")
        for key in ("carton_seed", "carton_number"):
            if body.get(key) is not None:
                found.append(key)
        if body.get("scans"):
            found.append("scans")
        for value in body.values():
            found += reveals_picks(value)
    elif isinstance(body, list):
        for value in body:
            found += reveals_picks(value)
    return found


def assert_no_picks(answers: list[tuple[str, str]], picked: list[dict[str, Any]], page: Page) -> None:
    barcodes = [c["barcode"] for c in picked]
    for url, text in answers:
        # The packing list names every carton of the lot, by design: not which ones will be opened.
        if url.split("?")[0].endswith("/packing-list"):
            continue
        assert not [b for b in barcodes if b in text], url
        if text.startswith(("{", "[")):
            assert reveals_picks(json.loads(text)) == [], url
    shown = page.locator("body").inner_text()
    assert not [b for b in barcodes if b in shown]


def wait_for_images(page: Page, selector: str) -> None:
    page.wait_for_function("(s) => [...document.querySelectorAll(s)].every((i) => i.complete && i.naturalWidth > 0)",
                           arg=selector)


def full_screenshot(page: Page, name: str) -> None:
    """The screen as a phone shows it first, and the whole page (NAME-full.png), to read it all."""
    page.screenshot(path=str(screenshot(page, name).with_name(f"{name}-full.png")), full_page=True)


def result_address(floor: Floor, inspection_id: str, order_id: str | None = None) -> str:
    return f"/app/#/orders/{order_id or floor.order['id']}/inspections/{inspection_id}"


def inspection_card(page: Page) -> Any:
    return page.get_by_role("region", name="Inspections").locator("article", has_text="Pre-shipment (final)")


# --- the tests --------------------------------------------------------------------------------------------------


def test_a_factory_sees_its_own_orders_no_picks_and_signs_the_submitted_result(
        page: Page, new_context: Callable[..., BrowserContext], floor: Floor,
        office: Office, admin: Actor, recorded: Recorded) -> None:  # noqa: F811
    # Another factory's order with an inspection: its address must tell this factory nothing.
    theirs = str(uuid.uuid4())
    booked = admin.post(f"/api/orders/{office.other_order['id']}/inspections", json={
        "id": theirs, "type": "in_process", "assignee_id": floor.inspector.id})
    assert booked.status_code == 201, booked.text
    received = Received(page)
    log_in(page, office.factory_user.username)
    open_orders(page)
    expect(page.locator("article.order-card")).to_have_count(2)
    for po in (PO, LATER_PO):
        expect(page.get_by_role("link", name=po)).to_be_visible()
    expect(page.get_by_text(OTHER_PO)).to_have_count(0)

    # In progress, cartons picked: no result to open, and nothing names a picked carton.
    page.get_by_role("link", name=PO).click()
    card = inspection_card(page)
    expect(card).to_contain_text("In progress")
    expect(card.get_by_role("link", name="Result")).to_have_count(0)
    assert_no_picks(received.take(), recorded.picked, page)
    page.goto(result_address(floor, recorded.id))
    result = page.locator("main[data-screen=result]")
    expect(result.locator("[data-not-submitted]")).to_contain_text("not submitted yet")
    expect(result.locator("[data-status]")).to_have_text("In progress")
    expect(result.get_by_role("link", name=f"Order {PO}")).to_be_visible()
    expect(result.locator("[data-aql], [data-defects], [data-photos]")).to_have_count(0)
    answers = received.take()
    assert not [u for u, _ in answers if re.search(r"/api/inspections/[0-9a-f-]{36}", u)], answers
    assert_no_picks(answers, recorded.picked, page)
    check_page(page)
    screenshot(page, "office-result-not-submitted-en")

    # Another factory's order and inspection, by their addresses: "not found", nothing of them.
    page.goto(result_address(floor, theirs, office.other_order["id"]))
    expect(page.get_by_role("alert")).to_contain_text("No such order.")
    expect(page.get_by_text(OTHER_PO)).to_have_count(0)
    page.goto(result_address(floor, theirs))  # their inspection under our order's address
    expect(page.get_by_role("alert")).to_contain_text("No such inspection on this order.")
    page.goto(f"/app/#/orders/{office.other_order['id']}")
    expect(page.get_by_role("alert")).to_contain_text("No such order.")
    expect(page.get_by_text(OTHER_PO)).to_have_count(0)
    assert office.factory_user.get(f"/api/inspections/{theirs}").status_code == 404
    received.take()

    # Submitted and signed by the inspector: the order links to the result.
    submit(floor, recorded)
    page.goto(f"/app/#/orders/{floor.order['id']}")
    inspection_card(page).get_by_role("link", name="Result").click()
    result = page.locator("main[data-screen=result]")
    expect(result.get_by_role("heading", name="Pre-shipment (final): result", level=1)).to_be_visible()
    expect(result.locator("[data-verdict]")).to_have_text("✓ Verdict: Pass")
    expect(result.get_by_role("link", name=f"Order {PO}")).to_be_visible()
    aql = result.get_by_role("region", name="AQL result")
    expect(aql.locator("tr[data-severity=major] [data-found]")).to_have_text("3")  # defect, measurement, check
    expect(aql.locator("tr[data-severity=major]")).to_contain_text("80")
    expect(aql.locator("tr[data-severity=minor] [data-found]")).to_have_text("2")
    defects = result.get_by_role("region", name="Defects")
    expect(defects.locator("[data-defect=W01]")).to_contain_text("Broken stitch")
    expect(defects.locator("[data-defect=W01]")).to_contain_text(f"Carton {recorded.picked[0]['number']}")
    expect(defects.locator("[data-defect=W06]")).to_contain_text("× 2")
    expect(result.locator("[data-measured]")).to_have_text("2 measurements on 2 sample units. 1 out of tolerance.")
    expect(result.locator("[data-checks]")).to_have_text("1 check answered, 1 failed.")
    expect(result.locator("[data-item=labels]")).to_contain_text("Care labels missing")
    expect(result.get_by_role("region", name="Notes")).to_contain_text("finishing room")
    photo = result.get_by_role("link", name=re.compile(r"^Photo 1: W01 Broken stitch"))
    photo.scroll_into_view_if_needed()  # the thumbnails load lazily, as they come into view
    wait_for_images(page, ".result-photos img")
    page.evaluate("scrollTo(0, 0)")
    inspector = result.get_by_role("region", name="Inspector", exact=True)
    expect(inspector).to_contain_text("Signed by Li Wei 李伟")
    expect(inspector.get_by_role("img", name="Signature of Li Wei 李伟")).to_be_visible()
    expect(result.locator("[data-inspector]")).to_have_text("Li Wei 李伟")  # the inspection names its inspector
    expect(result.get_by_role("region", name="Review")).to_contain_text("Not reviewed yet.")
    check_page(page)
    screenshot(page, "office-result-factory-en")
    full_screenshot(page, "office-result-factory-en")
    received.take()

    # A second phone of the same factory has the result open too.
    other_phone = new_context().new_page()
    log_in(other_phone, office.factory_user.username)
    other_phone.goto(result_address(floor, recorded.id))
    expect(other_phone.get_by_role("form", name="Sign for the factory")).to_be_visible()

    # Sign: the name and a drawn signature; without a drawing it says so.
    form = result.get_by_role("form", name="Sign for the factory")
    expect(form).to_contain_text(FACTORY_NAME)
    form.get_by_label("Name", exact=True).fill(FACTORY_SIGNER)
    form.get_by_role("button", name="Sign the report").click()
    expect(form.get_by_role("alert")).to_have_text("Draw the signature first.")
    draw_signature(page, form.get_by_role("img", name="Signature of the Factory representative: draw with your finger"))
    expect(form.get_by_role("alert")).to_have_count(0)
    check_page(page)
    screenshot(page, "office-result-sign-en")
    form.get_by_role("button", name="Sign the report").click()
    factory = result.get_by_role("region", name="Factory representative")
    expect(factory).to_contain_text(f"Signed by {FACTORY_SIGNER}")
    expect(factory.get_by_role("img", name=f"Signature of {FACTORY_SIGNER}")).to_be_visible()
    expect(result.get_by_role("status").filter(has_text="Signed.")).to_be_visible()
    expect(result.get_by_role("form", name="Sign for the factory")).to_have_count(0)
    signatures = {s["role"]: s for s in admin.get(f"/api/inspections/{recorded.id}").json()["signatures"]}
    assert signatures["factory"]["name"] == FACTORY_SIGNER and signatures["factory"]["has_image"]
    assert signatures["factory"]["by_id"] == office.factory_user.id
    screenshot(page, "office-result-signed-en")

    # The other phone signs too, with a typed name: the server's refusal in its words, and the signature there.
    other_form = other_phone.get_by_role("form", name="Sign for the factory")
    other_form.get_by_label("Typed name only").check()
    expect(other_form.locator("canvas")).to_have_count(0)
    other_form.get_by_role("button", name="Sign the report").click()
    expect(other_phone.get_by_role("alert")).to_contain_text("This report has been signed for that role already.")
    expect(other_phone.get_by_role("region", name="Factory representative")).to_contain_text(
        f"Signed by {FACTORY_SIGNER}")

    # In Chinese.
    page.get_by_role("button", name="中文").click()
    expect(result.get_by_role("heading", name="尾期验货：验货结果", level=1)).to_be_visible()
    expect(result.locator("[data-verdict]")).to_have_text("✓ 判定：合格")
    expect(result.locator("[data-defect=W01]")).to_contain_text("断线")
    expect(result.locator("[data-item=labels]")).to_contain_text("洗水唛、尺码唛、产地标")
    check_page(page)
    screenshot(page, "office-result-factory-zh")
    full_screenshot(page, "office-result-factory-zh")


def test_staff_read_the_reviewed_result_at_a_desk_and_on_a_phone(
        new_context: Callable[..., BrowserContext], floor: Floor,
        office: Office, recorded: Recorded) -> None:  # noqa: F811
    submit(floor, recorded)
    typed = office.factory_user.post(f"/api/inspections/{recorded.id}/signatures",
                                     json={"role": "factory", "name": FACTORY_SIGNER})
    assert typed.status_code == 201, typed.text
    reviewed = floor.supervisor.post(f"/api/inspections/{recorded.id}/review",
                                     json={"decision": "accepted", "note": "Care labels fixed before loading."})
    assert reviewed.status_code == 200, reviewed.text

    for lang, locale in (("en", "en-US"), ("zh", "zh-CN")):
        desk = new_context(**DESK, locale=locale).new_page()
        desk.set_default_timeout(15_000)
        log_in(desk, office.merchandiser.username)
        desk.goto(f"/app/#/orders/{floor.order['id']}")
        desk.get_by_role("region", name="Inspections" if lang == "en" else "验货").get_by_role(
            "link", name="Result" if lang == "en" else "验货结果").click()
        result = desk.locator("main[data-screen=result]")
        expect(result.locator("[data-decision]")).to_have_text("Accepted" if lang == "en" else "接受")
        expect(result.locator("[data-review]")).to_contain_text("Care labels fixed before loading.")
        expect(result.locator("[data-inspector]")).to_have_text("Li Wei 李伟")  # the inspection names its inspector
        expect(result.locator("[data-status]")).to_have_text("Reviewed" if lang == "en" else "已审核")
        factory = result.locator("[data-signature=factory]")
        expect(factory).to_contain_text(FACTORY_SIGNER)
        expect(factory).to_contain_text("Typed name" if lang == "en" else "输入的姓名")
        expect(result.locator("[data-factory-sign]")).to_have_count(0)  # staff never sign for the factory here
        result.locator(".result-photos img").first.scroll_into_view_if_needed()
        wait_for_images(desk, "main img")
        desk.evaluate("scrollTo(0, 0)")
        check_page(desk)
        screenshot(desk, f"office-result-desk-{lang}")
        full_screenshot(desk, f"office-result-desk-{lang}")

    phone = new_context(locale="zh-CN").new_page()
    phone.set_default_timeout(15_000)
    log_in(phone, floor.supervisor.username)
    phone.goto(result_address(floor, recorded.id))
    expect(phone.locator("main[data-screen=result] [data-decision]")).to_have_text("接受")
    check_page(phone)
    screenshot(phone, "office-result-staff-zh")


def test_an_in_process_check_has_no_aql_verdict_but_its_findings(
        page: Page, floor: Floor, office: Office) -> None:  # noqa: F811
    """A DUPRO records what it finds during production: the result says plainly that there is no AQL verdict."""
    iid, inspector = floor.later_id, floor.inspector
    started = inspector.put(f"/api/inspections/{iid}", json={
        "order_id": floor.later_order["id"], "type": "in_process", "version": 1, "production_stage": "sewing",
        "percent_complete": 40, "notes": "Line 3 only."})
    assert started.status_code == 200, started.text
    due = (floor.today + dt.timedelta(days=5)).isoformat()
    defect = inspector.put(f"/api/inspections/{iid}/defects/{uuid.uuid4()}", json={
        "code": "W03", "severity": "major", "count": 4, "location": "Side seam", "follow_up": True,
        "follow_up_due": due})
    assert defect.status_code == 201, defect.text
    submitted = inspector.post(f"/api/inspections/{iid}/submit", json={"version": started.json()["version"]})
    assert submitted.status_code == 200, submitted.text

    log_in(page, office.factory_user.username)
    page.goto(result_address(floor, iid, floor.later_order["id"]))
    result = page.locator("main[data-screen=result]")
    expect(result.get_by_role("heading", name="In-process (DUPRO): result", level=1)).to_be_visible()
    expect(result.locator("[data-verdict]")).to_have_text("No AQL verdict")
    expect(result).to_contain_text("no AQL verdict and no picked cartons")
    expect(result.locator("[data-aql]")).to_have_count(0)
    facts = result.locator("[data-facts]")
    expect(facts).to_contain_text("Sewing")
    expect(facts).to_contain_text("40 %")
    w03 = result.locator("[data-defect=W03]")
    expect(w03).to_contain_text("Open seam")
    expect(w03).to_contain_text("× 4")
    expect(w03).to_contain_text("Follow-up due")
    expect(result.locator("[data-signature=inspector]")).to_contain_text("Not signed yet.")
    expect(result.get_by_role("form", name="Sign for the factory")).to_be_visible()
    check_page(page)
    screenshot(page, "office-result-dupro-en")
