"""The merchandiser's errand from issue 13, all of it through the UI in Chromium on a phone: create an order,
upload a packing list with a bad row, read the error table, fix the file, upload it again, see the
reconciliation, import it, and book the pre-shipment inspection."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Page, expect

from tests.helpers import Actor
from tests.pwa.conftest import _user
from tests.pwa.steps import FACTORY_NAME, screenshot
from tests.pwa.test_office import check_page, log_in
from tests.pwa.test_office_forms import fill_line, line
from tests.pwa.test_office_packing import choose, csv

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

PO = "PO-26-0420"


def test_a_merchandiser_creates_an_order_fixes_its_packing_list_and_books_the_inspection(
        page: Page, floor: Floor, admin: Actor, client: httpx.Client) -> None:
    merchandiser = _user(admin, client, "merchandiser", "Zhao Min 赵敏")
    log_in(page, merchandiser.username)

    # The order, with two lines.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name="New order").click()
    page.get_by_label("Customer").select_option(label="Nordic Outdoor AB")
    page.get_by_label("Factory", exact=True).select_option(label=FACTORY_NAME)
    page.get_by_label("PO number").fill(PO)
    page.get_by_label("Style").fill("ST-2604 Fleece")
    page.get_by_label("Ship date").fill("2027-03-01")
    fill_line(page, 1, "Black", "M", "FL-BLK-M", 120)
    page.get_by_role("button", name="Add a line").click()
    fill_line(page, 2, "Navy", "M", "FL-NAV-M", 120)
    expect(line(page, 2).get_by_label("SKU")).to_have_value("FL-NAV-M")
    page.get_by_role("button", name="Create order").click()
    detail = page.locator("main[data-screen=order]")
    expect(detail.get_by_role("heading", name=f"Order {PO}", level=1)).to_be_visible()
    expect(detail.get_by_role("region", name="Lines").locator("tfoot")).to_contain_text("240")
    expect(detail.get_by_role("region", name="Packing list")).to_contain_text("No packing list yet.")

    # The factory's packing list: row 3 says its quantity in words.
    rows = ["Carton No.,SKU,Qty/Ctn"] + [f"{n}-{n + 9},{sku},12" for n, sku in ((1, "FL-BLK-M"), (11, "FL-NAV-M"))]
    rows.insert(2, "21-21,FL-NAV-M,twelve")
    detail.get_by_role("link", name="Packing list", exact=True).click()
    screen = page.locator("main[data-screen=packing-list]")
    choose(page, "fl-packing.csv", csv(rows), label="Choose the packing list (CSV or Excel)")
    refusal = screen.locator("[data-refusal]")
    expect(refusal.get_by_role("alert")).to_contain_text("Nothing was imported.")
    errors = refusal.locator("table[data-errors] tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.locator("td")).to_have_text(["3", "Qty/Ctn", "Quantity 'twelve' is not a whole number above 0."])
    check_page(page)
    screenshot(page, "journey-refused-en")
    assert merchandiser.get("/api/orders?q=" + PO).json()["items"][0]["id"]  # the order is there, no list yet

    # The fixed file: the reconciliation first, then the import.
    del rows[2]
    choose(page, "fl-packing-fixed.csv", csv(rows), label="Choose another file")
    expect(screen.locator("[data-refusal]")).to_have_count(0)
    preview = screen.locator("[data-preview]")
    expect(preview.locator("[data-recon]")).to_have_text("Matches the order")
    expect(preview.locator("[data-preview-cartons]")).to_have_text("20")
    expect(preview.locator("tr[data-line='FL-NAV-M'] td").first).to_have_text("120")
    check_page(page)
    screenshot(page, "journey-reconciliation-en")
    preview.get_by_role("button", name="Import as version 1").click()
    expect(screen.get_by_role("status").filter(has_text="Packing list version 1 imported")).to_be_visible()
    screen.get_by_role("link", name="Open the order").click()
    packing = detail.get_by_role("region", name="Packing list")
    expect(packing.locator("[data-cartons]")).to_have_text("20")
    expect(packing.locator("[data-recon]")).to_have_text("Matches the order")

    # The pre-shipment inspection, booked for Li Wei.
    detail.get_by_role("link", name="Book inspection").click()
    page.get_by_label("Inspection type").select_option(label="Pre-shipment (final)")
    page.get_by_label("Inspection date").fill("2027-02-20")
    page.get_by_role("searchbox", name="Find a person by name or company").fill("Li Wei")
    page.get_by_role("radio", name="Li Wei 李伟").check()
    page.get_by_role("button", name="Book inspection").click()
    inspections = detail.get_by_role("region", name="Inspections")
    expect(inspections.locator("[data-inspection]")).to_have_count(1)
    expect(inspections).to_contain_text("Pre-shipment (final)")
    expect(inspections).to_contain_text("Booked")
    check_page(page)
    screenshot(page, "journey-booked-en")

    # What the server holds: the order, its first packing list, and the booking with its lot.
    order = merchandiser.get("/api/orders?q=" + PO).json()["items"][0]
    assert (order["merchandiser_id"], order["ship_date"]) == (merchandiser.id, "2027-03-01")
    listed = merchandiser.get(f"/api/orders/{order['id']}/packing-list").json()
    assert (listed["version"], listed["carton_count"], listed["total_quantity"]) == (1, 20, 240)
    [booked] = merchandiser.get(f"/api/orders/{order['id']}/inspections").json()
    assert (booked["type"], booked["assignee_id"], booked["scheduled_for"]) == (
        "pre_shipment", floor.inspector.id, "2027-02-20")
