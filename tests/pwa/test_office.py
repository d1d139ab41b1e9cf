"""The office screens in Chromium (issue 13, first step): Orders and an order's detail, online and read-only,
for staff and factories; inspectors have no Orders entry; offline, the screens say they need the network."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.helpers import PASSWORD, Actor, login, order_body
from tests.pwa.conftest import _user
from tests.pwa.steps import FACTORY_NAME, open_app, run_axe, screenshot, small_targets

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

PO, LATER_PO, OTHER_PO = "PO-24-1187", "PO-24-1203", "PO-77-0042"
STATIC_JS = Path(__file__).resolve().parents[2] / "static" / "pwa" / "js"


@dataclass
class Office:
    merchandiser: Actor
    factory_user: Actor
    other_order: dict[str, Any]


@pytest.fixture
def office(floor: Floor, admin: Actor, client: httpx.Client) -> Office:
    factories = {f["code"]: f for f in admin.get("/api/factories").json()}
    customer = admin.get("/api/customers").json()[0]
    other = admin.post("/api/factories", json={"code": "SZK", "name": "Suzhou Knitwear 苏州针织"}).json()
    merchandiser = _user(admin, client, "merchandiser", "Zhao Min 赵敏")
    order = admin.post("/api/orders", json=order_body(customer["id"], other["id"], OTHER_PO,
                                                      merchandiser_id=merchandiser.id))
    assert order.status_code == 201, order.text
    username = f"factory-{uuid.uuid4().hex[:6]}"
    created = admin.post("/api/users", json={"username": username, "password": PASSWORD, "role": "factory",
                                             "display_name": "NBT QA", "factory_id": factories["NBT"]["id"]})
    assert created.status_code == 201, created.text
    factory_user = login(client, username)  # type: ignore[arg-type]
    return Office(merchandiser, factory_user, order.json())


def log_in(page: Page, username: str) -> None:
    open_app(page)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.locator("main[data-screen=inspections]").wait_for()


def open_orders(page: Page, name: str = "Orders") -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    page.locator("main[data-screen=orders]").wait_for()
    page.wait_for_function("document.querySelectorAll('article.order-card').length > 0")


def check_page(page: Page) -> None:
    assert run_axe(page) == []
    assert small_targets(page) == []


def test_merchandiser_searches_opens_an_order_and_reads_it(page: Page, context: BrowserContext, floor: Floor,
                                                           office: Office) -> None:
    log_in(page, office.merchandiser.username)
    open_orders(page)
    assert page.title().startswith("Orders")
    mine = page.get_by_role("checkbox", name="Mine only")
    expect(mine).to_be_checked()  # a merchandiser starts on their own orders
    expect(page.locator("article.order-card")).to_have_count(1)
    expect(page.locator("article.order-card")).to_contain_text(OTHER_PO)
    mine.uncheck()
    expect(page.locator("article.order-card")).to_have_count(3)  # staff see every order
    expect(page.get_by_role("status").filter(has_text="3 orders")).to_be_visible()
    row = page.locator("article.order-card", has=page.get_by_role("link", name=PO))
    for text in ("ST-PO-24-1187", "Nordic Outdoor AB", FACTORY_NAME, "Inspection status"):
        expect(row).to_contain_text(text)
    check_page(page)
    screenshot(page, "office-orders-en")

    page.get_by_role("searchbox", name="Search PO or style").fill(PO)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("article.order-card")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text="1 order")).to_be_visible()
    # A filter: no shipped order.
    page.get_by_text("Filters").click()
    page.get_by_label("Order status").select_option("shipped")
    expect(page.get_by_text("No orders match.")).to_be_visible()
    page.get_by_label("Order status").select_option("")
    page.get_by_role("link", name=PO).click()

    detail = page.locator("main[data-screen=order]")
    expect(detail.get_by_role("heading", name=f"Order {PO}", level=1)).to_be_visible()
    assert page.title().startswith(f"Order {PO}")
    lines = detail.get_by_role("region", name="Lines")
    expect(lines.locator("tbody tr")).to_have_count(6)
    expect(lines).to_contain_text("PO-24-1187-BLA-S")
    expect(lines.locator("tfoot")).to_contain_text("720")
    packing = detail.get_by_role("region", name="Packing list")
    expect(packing.locator("[data-cartons]")).to_have_text("60")
    expect(packing.locator("[data-recon]")).to_have_text("Matches the order")
    inspections = detail.get_by_role("region", name="Inspections")
    expect(inspections).to_contain_text("Pre-shipment (final)")
    expect(inspections).to_contain_text("Booked")
    expect(detail.get_by_role("region", name="Open follow-ups")).to_contain_text("No open follow-ups.")
    expect(detail.get_by_role("region", name="Timeline").locator("li").first).to_be_visible()
    check_page(page)
    screenshot(page, "office-order-en")
    page.screenshot(path=str(screenshot(page, "office-order-en").with_name("office-order-en-full.png")), full_page=True)

    # In Chinese: the same screens, every word translated.
    page.get_by_role("button", name="中文").click()
    expect(detail.get_by_role("heading", name=f"订单 {PO}", level=1)).to_be_visible()
    expect(detail.get_by_role("region", name="订单明细")).to_be_visible()
    expect(detail.get_by_role("region", name="装箱单").locator("[data-recon]")).to_have_text("与订单一致")
    expect(detail.get_by_role("region", name="验货")).to_contain_text("已预约")
    check_page(page)
    screenshot(page, "office-order-zh")
    page.get_by_role("link", name="订单").first.click()
    page.locator("main[data-screen=orders]").wait_for()
    page.wait_for_function("document.querySelectorAll('article.order-card').length > 0")
    expect(page.get_by_role("heading", name="订单", level=1)).to_be_visible()
    check_page(page)
    screenshot(page, "office-orders-zh")

    # Offline: said plainly, in the UI's language, and back by itself when online again.
    context.set_offline(True)
    expect(page.locator("[data-needs-network]")).to_contain_text("需要网络")
    page.get_by_role("button", name="English").click()
    expect(page.locator("[data-needs-network]")).to_contain_text("Needs the network")
    page.goto(f"/app/#/orders/{floor.order['id']}")
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(page.locator("[data-needs-network]")).to_contain_text("Needs the network")
    screenshot(page, "office-offline-en")
    context.set_offline(False)
    expect(page.get_by_role("region", name="Lines").locator("tbody tr")).to_have_count(6)
    expect(page.locator("[data-needs-network]")).to_have_count(0)


def test_factory_sees_only_its_own_orders_and_no_picked_cartons(page: Page, floor: Floor, office: Office) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    log_in(page, office.factory_user.username)
    open_orders(page)
    cards = page.locator("article.order-card")
    expect(cards).to_have_count(2)
    for po in (PO, LATER_PO):
        expect(page.get_by_role("link", name=po)).to_be_visible()
    expect(page.get_by_text(OTHER_PO)).to_have_count(0)
    expect(page.get_by_label("Factory", exact=True)).to_have_count(0)  # a factory's list is its own already
    page.get_by_role("link", name=PO).click()
    detail = page.locator("main[data-screen=order]")
    expect(detail.get_by_role("region", name="Lines").locator("tbody tr")).to_have_count(6)
    expect(detail.get_by_role("region", name="Inspections")).to_contain_text("Booked")
    # Before submission nothing asks for the inspection itself, where the picked cartons are.
    assert not [u for u in requested if re.search(r"/api/inspections/[0-9a-f-]{36}", u)], requested
    expect(detail).not_to_contain_text("picked")
    check_page(page)
    # Another factory's order, by its address: the server's "no such order", nothing of it.
    page.goto(f"/app/#/orders/{office.other_order['id']}")
    expect(page.get_by_role("alert")).to_contain_text("No such order.")
    expect(page.get_by_text(OTHER_PO)).to_have_count(0)


def test_inspector_has_no_orders_entry(page: Page, floor: Floor, office: Office) -> None:
    log_in(page, floor.inspector.username)
    expect(page.get_by_role("link", name="Orders")).to_have_count(0)
    expect(page.get_by_role("navigation")).to_have_count(0)
    page.goto("/app/#/orders")
    page.locator("main[data-screen=inspections]").wait_for()
    expect(page.locator("main[data-screen=orders]")).to_have_count(0)


def test_staff_see_the_orders_entry_beside_my_inspections(page: Page, floor: Floor) -> None:
    log_in(page, floor.supervisor.username)
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("link", name="My inspections")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Orders")).to_be_visible()
    assert small_targets(page) == []


def test_every_office_string_comes_in_both_languages(page: Page, floor: Floor) -> None:
    """The office screens' words load with them (not at start): all of them, in English and in Chinese."""
    open_app(page)
    modules = sorted(p.name for p in (STATIC_JS).glob("office*-strings.js"))
    assert "office-strings.js" in modules and len(modules) > 1
    en, zh = page.evaluate("""async (modules) => {
        for (const name of modules) await import(`/app/js/${name}`);
        const i18n = await import('/app/js/i18n.js');
        return [i18n.keys('en'), i18n.keys('zh')];
    }""", modules)
    assert set(zh) <= set(en) and {k for k in en if not k.endswith("_one")} == set(zh)


@pytest.mark.parametrize("address", ["#/users", "#/library", "#/factories", "#/orders/new", "#/follow-ups"])
def test_an_inspector_reaches_no_office_screen_by_its_address(page: Page, floor: Floor, address: str) -> None:
    log_in(page, floor.inspector.username)
    page.goto(f"/app/{address}")
    page.locator("main[data-screen=inspections]").wait_for()
    expect(page.locator("main.office")).to_have_count(0)
