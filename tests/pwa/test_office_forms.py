"""The order form, booking (and re-inspection) and marking an order shipped, in Chromium against the real server.

Everything a merchandiser does here goes through the UI; what other people do meanwhile (a supervisor's review,
a colleague's edit) goes over the API. The server's refusals are shown where they belong: at the field it names,
beside the button it refused.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import Actor, gtin
from tests.pwa.conftest import _user
from tests.pwa.steps import FACTORY_NAME, screenshot
from tests.pwa.test_office import check_page, log_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext

    from tests.pwa.conftest import Floor

PO = "PO-24-1187"
NEW_PO = "PO-25-0311"
DESK = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False, "device_scale_factor": 1}


@pytest.fixture
def merchandiser(floor: Floor, admin: Actor, client: httpx.Client) -> Actor:
    return _user(admin, client, "merchandiser", "Zhao Min 赵敏")


def line(page: Page, n: int) -> Locator:
    return page.get_by_role("group", name=f"Line {n}", exact=True)


def fill_line(page: Page, n: int, colour: str, size: str, sku: str, quantity: int, gtin_: str = "") -> None:
    card = line(page, n)
    card.get_by_label("Colour").fill(colour)
    card.get_by_label("Size").fill(size)
    card.get_by_label("SKU").fill(sku)
    card.get_by_label("Quantity").fill(str(quantity))
    card.get_by_label("GTIN (optional)").fill(gtin_)


def error_of(page: Page, field: Locator) -> Locator:
    """The message a field's aria-describedby points at, once the field is marked."""
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    assert described, "the field names no message"
    return page.locator(f"#{described.split()[0]}")


def open_order(page: Page, order_id: str) -> Locator:
    page.goto(f"/app/#/orders/{order_id}")
    detail = page.locator("main[data-screen=order]")
    expect(detail.get_by_role("region", name="Lines")).to_be_visible()
    return detail


def reviewed_psi(floor: Floor, decision: str, *, defect: str | None = None) -> dict[str, Any]:
    """The floor's pre-shipment inspection inspected, submitted and reviewed over the API (cartons excused)."""
    inspector, iid = floor.inspector, floor.inspection_id
    current = inspector.get(f"/api/inspections/{iid}").json()
    sample = max(plan["sample_size"] for plan in current["plans"].values())
    started = inspector.put(f"/api/inspections/{iid}", json={
        "order_id": floor.order["id"], "type": "pre_shipment", "version": current["version"],
        "status": "in_progress", "units_inspected": sample})
    assert started.status_code == 200, started.text
    if defect:
        put = inspector.put(f"/api/inspections/{iid}/defects/{uuid.uuid4()}",
                            json={"code": "W01", "severity": defect, "count": 1})
        assert put.status_code == 201, put.text
    current = inspector.get(f"/api/inspections/{iid}").json()
    submitted = inspector.post(f"/api/inspections/{iid}/submit", json={
        "version": current["version"],
        "missing_cartons": [{"carton_number": c["number"], "reason": "Sealed for the customer"}
                            for c in current["cartons"]]})
    assert submitted.status_code == 200, submitted.text
    if decision == "accepted":
        for role, name in (("inspector", "Li Wei"), ("factory", "Mr. Zhou 周厂长")):
            signed = inspector.post(f"/api/inspections/{iid}/signatures", json={"role": role, "name": name})
            assert signed.status_code == 201, signed.text
    reviewed = floor.supervisor.post(f"/api/inspections/{iid}/review", json={"decision": decision,
                                                                             "note": "Broken needle in carton 12"})
    assert reviewed.status_code == 200, reviewed.text
    return reviewed.json()


# --- the order form ------------------------------------------------------------------------------------------


def test_a_merchandiser_creates_an_order_with_two_lines_and_the_server_s_refusals_are_marked(
        page: Page, floor: Floor, merchandiser: Actor) -> None:
    log_in(page, merchandiser.username)
    page.get_by_role("navigation").get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name="New order").click()
    form = page.locator("main[data-screen=order-new]")
    expect(form.get_by_role("heading", name="New order", level=1)).to_be_visible()
    # The merchandiser who creates it is its merchandiser unless they say otherwise.
    expect(page.get_by_label("Merchandiser")).to_have_value(merchandiser.id)

    # The browser's own checks first: nothing is sent without the required fields.
    page.get_by_role("button", name="Create order").click()
    expect(error_of(page, page.get_by_label("PO number"))).to_have_text("Fill this in.")
    expect(page.get_by_label("Customer")).to_be_focused()  # the first field to fix

    page.get_by_label("Customer").select_option(label="Nordic Outdoor AB")
    page.get_by_label("Factory", exact=True).select_option(label=FACTORY_NAME)
    page.get_by_label("PO number").fill(PO)  # this customer's PO already
    page.get_by_label("Style").fill("ST-2503 Parka")
    page.get_by_label("Ship date").fill("2027-02-14")
    page.get_by_label("Destination").fill("Gothenburg")
    page.get_by_label("Description").fill("Men's parka, 2 colours")
    page.get_by_label("AQL major").select_option("1.5")
    fill_line(page, 1, "Black", "M", "P2503-BLK-M", 300, gtin(41))
    page.get_by_role("button", name="Add a line").click()
    expect(line(page, 2).get_by_label("Colour")).to_be_focused()
    bad_gtin = gtin(42)[:-1] + str((int(gtin(42)[-1]) + 1) % 10)  # a wrong check digit
    fill_line(page, 2, "Olive", "L", "P2503-OLV-L", 250, bad_gtin)
    expect(page.locator("[data-total]")).to_have_text("Total: 550 pieces")
    check_page(page)
    screenshot(page, "forms-order-new-en-360")

    # The server's refusals, one at a time, at the field each names: line 2's GTIN, then the PO number.
    page.get_by_role("button", name="Create order").click()
    gtin_field = line(page, 2).get_by_label("GTIN (optional)")
    expect(gtin_field).to_have_attribute("aria-invalid", "true")
    expect(error_of(page, gtin_field)).to_contain_text("Line 2: GTIN")
    expect(gtin_field).to_be_focused()
    check_page(page)
    page.screenshot(path=str(screenshot(page, "forms-order-refused-en-360")), full_page=True)
    # The server's words in the UI's language, also after switching it.
    page.get_by_role("button", name="中文").click()
    expect(error_of(page, page.get_by_role("group", name="第 2 行").get_by_label("GTIN 条码（可选）"))).to_contain_text(
        "第 2 行：GTIN")
    check_page(page)
    screenshot(page, "forms-order-refused-zh-360")
    page.get_by_role("button", name="English").click()
    gtin_field.fill(gtin(42))
    expect(gtin_field).not_to_have_attribute("aria-invalid", "true")  # changed: the old message no longer applies
    page.get_by_role("button", name="Create order").click()
    po = page.get_by_label("PO number")
    expect(error_of(page, po)).to_contain_text(f"already has an order with PO {PO}")
    expect(page.get_by_role("link", name=f"Open order {PO}")).to_have_attribute("href", f"#/orders/{floor.order['id']}")
    # Nothing typed was lost.
    expect(line(page, 2).get_by_label("SKU")).to_have_value("P2503-OLV-L")
    expect(page.get_by_label("Description")).to_have_value("Men's parka, 2 colours")
    po.fill(NEW_PO)
    page.get_by_role("button", name="Create order").click()

    detail = page.locator("main[data-screen=order]")
    expect(detail.get_by_role("heading", name=f"Order {NEW_PO}", level=1)).to_be_visible()
    lines = detail.get_by_role("region", name="Lines")
    expect(lines.locator("tbody tr")).to_have_count(2)
    expect(lines).to_contain_text("P2503-OLV-L")
    expect(lines.locator("tfoot")).to_contain_text("550")
    expect(detail).to_contain_text("Gothenburg")
    order = next(o for o in merchandiser.get("/api/orders?q=PO-25-0311").json()["items"])
    assert (order["aql_major"], order["aql_minor"], order["merchandiser_id"]) == ("1.5", None, merchandiser.id)


def test_the_form_keeps_what_was_typed_when_the_network_drops(page: Page, context: BrowserContext, floor: Floor,
                                                              merchandiser: Actor) -> None:
    log_in(page, merchandiser.username)
    page.goto("/app/#/orders/new")
    page.get_by_label("Customer").select_option(label="Nordic Outdoor AB")
    page.get_by_label("Factory", exact=True).select_option(label=FACTORY_NAME)
    page.get_by_label("PO number").fill(NEW_PO)
    page.get_by_label("Style").fill("ST-2503")
    fill_line(page, 1, "Black", "M", "P2503-BLK-M", 300)
    context.set_offline(True)
    page.get_by_role("button", name="Create order").click()
    expect(page.locator("[data-notice]")).to_contain_text("Not saved: no connection")
    expect(page.locator("[data-needs-network]")).to_be_visible()
    expect(page.get_by_label("PO number")).to_have_value(NEW_PO)
    context.set_offline(False)
    expect(page.locator("[data-needs-network]")).to_have_count(0)
    expect(line(page, 1).get_by_label("SKU")).to_have_value("P2503-BLK-M")  # the form was not loaded again
    page.get_by_role("button", name="Create order").click()
    expect(page.locator("main[data-screen=order]").get_by_role("heading", name=f"Order {NEW_PO}")).to_be_visible()


def losing_the_first_answer(lost: list[str]) -> Callable[[Any], None]:
    """A route handler: the first POST reaches the server, which writes it, and its answer is lost on the way
    back; `lost` gets the id the screen sent. Every other request goes through."""
    def handle(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()
            lost.append(route.request.post_data_json["id"])
            route.abort("connectionreset")
        else:
            route.continue_()
    return handle


def test_an_order_whose_answer_was_lost_is_created_once(page: Page, floor: Floor, merchandiser: Actor) -> None:
    """The server made the order, the answer never came back: pressing the button again opens that order."""
    lost: list[str] = []
    lose_the_answer = losing_the_first_answer(lost)

    log_in(page, merchandiser.username)
    page.goto("/app/#/orders/new")
    page.get_by_label("Customer").select_option(label="Nordic Outdoor AB")
    page.get_by_label("Factory", exact=True).select_option(label=FACTORY_NAME)
    page.get_by_label("PO number").fill(NEW_PO)
    page.get_by_label("Style").fill("ST-2503")
    fill_line(page, 1, "Black", "M", "P2503-BLK-M", 300)
    page.route(re.compile(r".*/api/orders$"), lose_the_answer)
    page.get_by_role("button", name="Create order").click()
    expect(page.locator("[data-notice]")).to_be_visible()
    page.get_by_role("button", name="Create order").click()
    expect(page.locator("main[data-screen=order]").get_by_role("heading", name=f"Order {NEW_PO}")).to_be_visible()
    made = merchandiser.get(f"/api/orders?q={NEW_PO}").json()["items"]
    assert [o["id"] for o in made] == lost  # one order, under the id the form made


def test_editing_an_order_its_lines_and_a_stale_edit(new_context: Callable[..., BrowserContext], floor: Floor,
                                                     admin: Actor, merchandiser: Actor) -> None:
    page = new_context(**DESK).new_page()
    page.set_default_timeout(15_000)
    log_in(page, merchandiser.username)
    detail = open_order(page, floor.order["id"])
    detail.get_by_role("link", name="Edit order").click()
    form = page.locator("main[data-screen=order-edit]")
    expect(form.get_by_role("heading", name=f"Edit order {PO}")).to_be_visible()
    expect(page.locator("fieldset.line-card")).to_have_count(6)
    expect(page.get_by_label("Order status")).to_have_value("confirmed")

    page.get_by_label("Ship date").fill("2027-01-08")
    page.get_by_role("button", name="Add a line").click()
    fill_line(page, 7, "Navy", "XL", "PO-24-1187-NAV-XL", 48, gtin(17))
    check_page(page)
    page.screenshot(path=str(screenshot(page, "forms-order-edit-en-1280")), full_page=True)
    page.get_by_role("button", name="Save changes").click()

    detail = page.locator("main[data-screen=order]")
    lines = detail.get_by_role("region", name="Lines")
    expect(lines.locator("tbody tr")).to_have_count(7)
    expect(lines).to_contain_text("PO-24-1187-NAV-XL")
    expect(detail.locator("dl.panel-fields")).to_contain_text("2027")
    order = admin.get(f"/api/orders/{floor.order['id']}").json()
    assert order["ship_date"] == "2027-01-08" and order["total_quantity"] == 768

    # A packed line cannot go: the server says why, and the line comes back where it can be seen.
    detail.get_by_role("link", name="Edit order").click()
    line(page, 1).get_by_role("button", name="Remove line 1").click()
    expect(page.locator("fieldset.line-card")).to_have_count(6)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("alert").filter(has_text="packed in cartons").first).to_be_visible()
    expect(page.locator("fieldset.line-card")).to_have_count(7)
    expect(page.locator("fieldset.line-card.invalid")).to_contain_text("PO-24-1187-BLA-S")

    # Someone else edits the order meanwhile; this edit is based on the older version.
    page.goto(f"/app/#/orders/{floor.order['id']}")
    page.locator("main[data-screen=order]").get_by_role("link", name="Edit order").click()
    expect(page.get_by_label("Destination")).to_have_value("Hamburg")
    current = admin.get(f"/api/orders/{floor.order['id']}").json()
    changed = admin.patch(f"/api/orders/{floor.order['id']}", json={"version": current["version"],
                                                                    "destination": "Rotterdam"})
    assert changed.status_code == 200, changed.text
    page.get_by_label("Description").fill("Customer asked for double-stitched hems")
    page.get_by_role("button", name="Save changes").click()
    stale = page.locator("[data-stale]")
    expect(stale).to_contain_text("Someone else changed this order")
    expect(stale).to_contain_text("They changed: Destination.")
    expect(page.get_by_label("Description")).to_have_value("Customer asked for double-stitched hems")
    check_page(page)
    screenshot(page, "forms-order-stale-en-1280")
    page.get_by_role("button", name="Load their changes, keep mine").click()
    expect(page.get_by_label("Destination")).to_have_value("Rotterdam")
    expect(page.get_by_label("Description")).to_have_value("Customer asked for double-stitched hems")
    page.get_by_role("button", name="Save changes").click()
    detail = page.locator("main[data-screen=order]")
    expect(detail.locator("dl.panel-fields")).to_contain_text("Rotterdam")
    expect(detail.locator("dl.panel-fields")).to_contain_text("double-stitched hems")

    # In Chinese, on a desk.
    page.get_by_role("button", name="中文").click()
    detail.get_by_role("link", name="编辑订单").click()
    expect(page.get_by_role("heading", name=f"编辑订单 {PO}")).to_be_visible()
    expect(page.get_by_role("group", name="第 1 行")).to_be_visible()
    check_page(page)
    screenshot(page, "forms-order-edit-zh-1280")


# --- booking ------------------------------------------------------------------------------------------------


def test_booking_an_inspection_with_an_assignee_picked_by_name(page: Page, floor: Floor,
                                                                merchandiser: Actor) -> None:
    log_in(page, merchandiser.username)
    detail = open_order(page, floor.later_order["id"])
    detail.get_by_role("link", name="Book inspection").click()
    booking = page.locator("main[data-screen=book]")
    expect(booking.get_by_role("heading", name="Book an inspection")).to_be_visible()
    page.get_by_role("button", name="Book inspection").click()
    expect(page.get_by_text("Pick who inspects.")).to_be_visible()

    page.get_by_label("Inspection type").select_option(label="Pre-shipment (final)")
    page.get_by_label("Inspection date").fill("2027-01-05")
    page.get_by_role("searchbox", name="Find a person by name or company").fill("wang")
    expect(page.get_by_role("radio")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="1 person matches")).to_be_visible()
    page.get_by_role("radio", name="Wang Fang 王芳").check()
    expect(page.get_by_role("radio", name="Wang Fang 王芳")).to_be_checked()
    expect(booking).to_contain_text("QA Partners Ltd")
    check_page(page)
    screenshot(page, "forms-book-en-360")
    page.get_by_role("button", name="Book inspection").click()

    detail = page.locator("main[data-screen=order]")
    inspections = detail.get_by_role("region", name="Inspections")
    expect(inspections.locator("[data-inspection]")).to_have_count(2)
    expect(inspections).to_contain_text("Pre-shipment (final)")
    expect(detail.get_by_role("region", name="Timeline")).to_contain_text("booked for Wang Fang")
    booked = [i for i in floor.supervisor.get(f"/api/orders/{floor.later_order['id']}/inspections").json()
              if i["type"] == "pre_shipment"]
    assert [(i["assignee_id"], i["scheduled_for"]) for i in booked] == [(floor.other_inspector.id, "2027-01-05")]

    # In Chinese: the same screen, every word translated.
    page.get_by_role("button", name="中文").click()
    detail.get_by_role("link", name="预约验货").click()
    expect(page.get_by_role("heading", name=re.compile("预约验货"), level=1)).to_be_visible()
    page.get_by_role("searchbox", name="按姓名或公司查找").fill("李")
    page.get_by_role("radio", name=re.compile("Li Wei")).check()
    check_page(page)
    screenshot(page, "forms-book-zh-360")


def test_a_rejected_psi_is_booked_again_as_a_re_inspection(new_context: Callable[..., BrowserContext],
                                                           floor: Floor, merchandiser: Actor) -> None:
    reviewed_psi(floor, "rejected", defect="critical")
    page = new_context(**DESK).new_page()
    page.set_default_timeout(15_000)
    log_in(page, merchandiser.username)
    detail = open_order(page, floor.order["id"])
    rejected = detail.locator(f"[data-inspection='{floor.inspection_id}']")
    expect(rejected).to_contain_text("Rejected")
    rejected.get_by_role("link", name="Book re-inspection").click()

    booking = page.locator("main[data-screen=book]")
    expect(booking.get_by_role("heading", name="Book a re-inspection")).to_be_visible()
    expect(booking.locator(f"[data-reinspects='{floor.inspection_id}']")).to_contain_text(
        "Re-inspection of the Pre-shipment (final)")
    expect(page.get_by_label("Inspection type")).to_have_value("pre_shipment")
    page.get_by_label("Inspection date").fill("2027-01-12")
    page.get_by_role("searchbox", name="Find a person by name or company").fill("Li Wei")
    page.get_by_role("radio", name=re.compile("Li Wei")).check()
    check_page(page)
    screenshot(page, "forms-reinspection-en-1280")
    page.get_by_role("button", name="Book re-inspection").click()

    detail = page.locator("main[data-screen=order]")
    expect(detail.get_by_role("region", name="Inspections").locator("[data-inspection]")).to_have_count(2)
    expect(detail.get_by_role("region", name="Timeline")).to_contain_text("re-inspection after the rejection")
    listed = floor.supervisor.get(f"/api/orders/{floor.order['id']}/inspections").json()
    again = [i for i in listed if i["reinspection_of_id"] == floor.inspection_id]
    assert len(again) == 1 and again[0]["scheduled_for"] == "2027-01-12"

    # A second re-inspection of the same rejection: the server's refusal, where the form says what it re-inspects.
    page.goto(f"/app/#/orders/{floor.order['id']}/book?reinspection_of={floor.inspection_id}")
    page.get_by_label("Inspection date").fill("2027-01-13")
    page.get_by_role("radio", name=re.compile("Wang Fang")).check()
    page.get_by_role("button", name="Book re-inspection").click()
    expect(page.locator("[data-reinspects]")).to_contain_text("has a re-inspection booked already")
    check_page(page)
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="预约复验")).to_be_visible()
    expect(page.locator("[data-reinspects]")).to_contain_text("该验货已预约复验")  # the server's words, in Chinese
    screenshot(page, "forms-reinspection-zh-1280")


# --- marking shipped ----------------------------------------------------------------------------------------


def test_mark_shipped_shows_the_shipping_guard_s_reason(new_context: Callable[..., BrowserContext], floor: Floor,
                                                        merchandiser: Actor) -> None:
    for name, options in (("360", {}), ("1280", DESK)):
        page = new_context(**options).new_page()
        page.set_default_timeout(15_000)
        log_in(page, merchandiser.username)
        detail = open_order(page, floor.order["id"])
        detail.get_by_role("button", name="Mark shipped").click()
        expect(page.get_by_text(f"Mark order {PO} as shipped?")).to_be_visible()
        page.get_by_role("button", name="Yes, mark shipped").click()
        refusal = page.locator("[data-ship-refused]")
        expect(refusal).to_have_text("This order cannot ship: it has no submitted pre-shipment inspection. "
                                     "Its latest pre-shipment inspection must be accepted.")
        expect(detail.get_by_role("button", name="Mark shipped")).to_be_focused()
        check_page(page)
        screenshot(page, f"forms-ship-refused-en-{name}")
        page.get_by_role("button", name="中文").click()
        expect(refusal).to_have_text("该订单不能出货：还没有已提交的尾期验货。最近一次尾期验货须被接受。")
        check_page(page)
        screenshot(page, f"forms-ship-refused-zh-{name}")
    assert floor.supervisor.get(f"/api/orders/{floor.order['id']}").json()["status"] == "confirmed"


def test_mark_shipped_after_the_psi_was_accepted(page: Page, floor: Floor, merchandiser: Actor) -> None:
    reviewed_psi(floor, "accepted")
    log_in(page, merchandiser.username)
    detail = open_order(page, floor.order["id"])
    expect(detail.locator("dl.panel-fields")).to_contain_text("Ready to ship")
    detail.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("button", name="Not now").click()
    expect(detail.get_by_role("button", name="Mark shipped")).to_be_focused()
    detail.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("button", name="Yes, mark shipped").click()
    expect(detail.locator("dl.panel-fields")).to_contain_text("Shipped")
    expect(detail.get_by_role("button", name="Mark shipped")).to_have_count(0)
    assert floor.supervisor.get(f"/api/orders/{floor.order['id']}").json()["status"] == "shipped"


def test_a_booking_whose_answer_was_lost_is_replayed_not_made_twice(page: Page, floor: Floor,
                                                                     merchandiser: Actor) -> None:
    """The server booked it, the answer never came back: pressing the button again books nothing more."""
    lost: list[str] = []
    lose_the_answer = losing_the_first_answer(lost)

    log_in(page, merchandiser.username)
    page.goto(f"/app/#/orders/{floor.later_order['id']}/book")
    page.get_by_label("Inspection date").fill("2027-01-20")
    page.get_by_role("radio", name=re.compile("Wang Fang")).check()
    page.route(re.compile(r".*/api/orders/[0-9a-f-]+/inspections$"), lose_the_answer)
    page.get_by_role("button", name="Book inspection").click()
    expect(page.locator("[data-notice]")).to_contain_text("it will not book twice")
    page.get_by_role("button", name="Book inspection").click()
    expect(page.locator("main[data-screen=order]").get_by_role("region", name="Inspections")
           .locator("[data-inspection]")).to_have_count(2)
    booked = [i for i in floor.supervisor.get(f"/api/orders/{floor.later_order['id']}/inspections").json()
              if i["scheduled_for"] == "2027-01-20"]
    assert [i["id"] for i in booked] == lost  # one booking, under the id the screen made
