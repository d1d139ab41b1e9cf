"""The packing-list import in Chromium (issue 13): a real CSV or XLSX file is checked first (the dry run shows
the reconciliation and the change from the current version), then imported; a refused file lists its rows and
columns, an unknown colour becomes a customer's colour alias right there; a supervisor replaces a list that
cartons were picked from, with a reason; a dropped upload imports nothing and can be sent again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.helpers import Actor, sscc, xlsx
from tests.pwa.conftest import _user
from tests.pwa.steps import screenshot
from tests.pwa.test_office import check_page, log_in

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def merchandiser(floor: Floor, admin: Actor, client: httpx.Client) -> Actor:
    return _user(admin, client, "merchandiser", "Zhao Min 赵敏")


def csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def choose(page: Page, name: str, data: bytes, mime: str = "text/csv", label: str = "Choose") -> None:
    page.get_by_label(label).set_input_files({"name": name, "mimeType": mime, "buffer": data})


def open_screen(page: Page, order: dict[str, Any]) -> None:
    page.goto(f"/app/#/orders/{order['id']}/packing-list")
    page.locator("main[data-screen=packing-list] [data-current]").wait_for()


def shots(page: Page, name: str, lang: str) -> None:
    """The screen as it is, on a phone and on a desk (the same page, resized), in full; axe and the targets
    are checked at both sizes."""
    before = page.viewport_size
    for width, height in ((360, 640), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        check_page(page)
        page.screenshot(path=str(screenshot(page, f"packing-{name}-{lang}-{width}")), full_page=True)
    page.set_viewport_size(before)


def test_a_dry_run_shows_the_figures_then_the_import_replaces_the_list(page: Page, floor: Floor,
                                                                       merchandiser: Actor) -> None:
    order = floor.later_order  # an in-process check is booked: no cartons were picked from it
    lines = order["lines"]
    # Cartons 1-11 of the first line (12 more than ordered), the second line short by 24, the rest as ordered.
    rows: list[list[Any]] = [["装箱单 PACKING LIST"], ["Carton No.", "SSCC", "SKU", "Qty/Ctn", "N.W. (kg)", "G.W. (kg)"]]
    rows.append(["1-11", sscc(8000), lines[0]["sku"], 12, 5.2, 6.1])
    rows.append(["12-19", sscc(8100), lines[1]["sku"], 12, 5.2, 6.1])
    for i, line in enumerate(lines[2:]):
        rows.append([f"{20 + 10 * i}-{29 + 10 * i}", sscc(8200 + 10 * i), line["sku"], 12, 5.2, 6.1])
    data = xlsx(rows)

    log_in(page, merchandiser.username)
    page.goto(f"/app/#/orders/{order['id']}")
    page.get_by_role("link", name="Packing list", exact=True).click()
    screen = page.locator("main[data-screen=packing-list]")
    expect(screen.get_by_role("heading", level=1)).to_have_text(f"Packing list · {order['po_number']}")
    expect(screen.locator("[data-current-version]")).to_have_text("1")
    expect(screen.locator("[data-picks]")).to_have_count(0)
    check_page(page)

    # The check is held on its way to the server: the progress bar is there meanwhile.
    held: list[Route] = []
    page.route("**/packing-list?dry_run=true", lambda route: held.append(route))
    choose(page, "packing-v2.xlsx", data, XLSX, "Choose the packing list (CSV or Excel)")
    expect(screen.get_by_role("progressbar", name="Checking packing-v2.xlsx")).to_be_visible()
    expect(screen.locator("[data-file]")).to_contain_text("packing-v2.xlsx")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/packing-list?dry_run=true")

    preview = screen.locator("[data-preview]")
    expect(preview.locator("[data-new-version]")).to_have_text("2")
    expect(preview.locator("[data-replaces]")).to_have_text("Version 1")
    expect(preview.locator("[data-preview-cartons]")).to_have_text("59")
    expect(preview.locator("[data-preview-units]")).to_have_text("708")
    expect(preview.locator("[data-recon]")).to_have_text("Short and over")
    recon = preview.locator("[data-reconciliation]")
    expect(recon.locator(f"tr[data-line='{lines[0]['sku']}'] td")).to_have_text(["120", "132", "+12"])
    expect(recon.locator(f"tr[data-line='{lines[1]['sku']}'] td")).to_have_text(["120", "96", "-24"])
    expect(recon.locator(f"tr[data-line='{lines[2]['sku']}']")).not_to_have_class("off")
    changes = preview.locator("table[data-changes]")
    expect(changes.locator("thead th")).to_have_text(["Colour / Size", "Now (v1)", "New (v2)", "Change"])
    expect(changes.locator("tbody tr")).to_have_count(2)
    expect(changes.locator(f"tr[data-line='{lines[0]['sku']}'] td")).to_have_text(["120", "132", "+12"])
    expect(preview).to_contain_text("4 more lines pack the same as now.")
    expect(preview.get_by_role("textbox")).to_have_count(0)  # no picks: no reason asked
    check_page(page)
    shots(page, "dry-run", "en")
    assert merchandiser.get(f"/api/orders/{order['id']}/packing-list").json()["version"] == 1  # nothing yet

    # The connection drops during the import: nothing imported, the same file is sent again.
    page.route("**/packing-list", lambda route: route.abort("internetdisconnected"))
    preview.get_by_role("button", name="Import as version 2").click()
    failed = screen.locator("[data-send-failed]")
    expect(failed).to_contain_text("The upload failed")
    expect(failed).to_contain_text("Nothing was imported")
    expect(screen.locator("[data-file]")).to_contain_text("packing-v2.xlsx")
    assert merchandiser.get(f"/api/orders/{order['id']}/packing-list").json()["version"] == 1
    check_page(page)
    page.unroute("**/packing-list")
    failed.get_by_role("button", name="Import again").click()
    done = screen.locator("[data-imported]")
    expect(done).to_contain_text("Packing list version 2 imported: 59 cartons, 708 units.")
    expect(screen.locator("[data-current-version]")).to_have_text("2")
    done.get_by_role("link", name="Open the order").click()
    packing = page.locator("main[data-screen=order]").get_by_role("region", name="Packing list")
    expect(packing.locator("dd").first).to_have_text("2")
    expect(packing.locator("[data-cartons]")).to_have_text("59")
    expect(packing.locator("[data-recon]")).to_have_text("Short and over")

    # Cancel after a check: nothing replaced.
    open_screen(page, order)
    choose(page, "again.csv", csv(["Carton,SKU,Qty", f"1-10,{lines[0]['sku']},12"]))
    expect(screen.locator("[data-new-version]")).to_have_text("3")
    screen.get_by_role("button", name="Cancel").click()
    expect(screen.get_by_role("status").filter(has_text="Cancelled: nothing was imported.")).to_be_visible()
    expect(screen.locator("[data-preview]")).to_have_count(0)
    assert merchandiser.get(f"/api/orders/{order['id']}/packing-list").json()["version"] == 2

    # In Chinese: the same check, every word translated.
    page.get_by_role("button", name="中文").click()
    choose(page, "packing-v2.xlsx", data, XLSX, "选择装箱单（CSV 或 Excel）")
    expect(screen.locator("[data-recon]")).to_have_text("有短装也有超装")
    expect(screen.locator("[data-replaces]")).to_have_text("第 2 版")
    expect(screen.locator("[data-changes]")).to_contain_text("每条明细的装箱数与第 2 版相同。")
    shots(page, "dry-run", "zh")


def test_a_refused_file_lists_rows_and_an_unknown_colour_becomes_an_alias(page: Page, floor: Floor,
                                                                         merchandiser: Actor, admin: Actor) -> None:
    order = floor.later_order
    customer = order["customer"]["id"]
    rows = ["箱号,颜色,尺码,数量,净重,毛重"]
    for i, (colour, size) in enumerate((c, s) for c in ("黑色", "藏青") for s in ("S", "M", "L")):
        rows.append(f"{1 + 10 * i}-{10 + 10 * i},{colour},{size},12,5.2,6.1")
    rows[2] = "11-20,Black,M,十二,5.2,6.1"  # row 3: a quantity in words
    data = csv(rows)

    log_in(page, merchandiser.username)
    open_screen(page, order)
    screen = page.locator("main[data-screen=packing-list]")
    choose(page, "nbt-packing.csv", data)
    refusal = screen.locator("[data-refusal]")
    expect(refusal.get_by_role("alert")).to_contain_text("The file has 6 problems. Nothing was imported.")
    table = refusal.locator("table[data-errors]")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tr[data-row='2'] td")).to_have_text(["2", "颜色", "Unknown colour '黑色': no line of this "
                                                              "order has it. Add it to the customer's colour aliases "
                                                              "if it is another name for an order colour."])
    expect(table.locator("tr[data-row='3'] td").nth(1)).to_have_text("数量")
    unknown = refusal.locator("[data-unknown-colours]")
    expect(unknown.locator("li > span")).to_have_text(["“黑色” (rows 2, 4)", "“藏青” (rows 5, 6, 7)"])
    check_page(page)
    shots(page, "errors", "en")

    # 黑色 → Black, from the error itself.
    unknown.get_by_role("button", name="Add “黑色” as a colour alias").click()
    editor = refusal.locator("form[data-aliases]")
    expect(editor.get_by_role("heading")).to_have_text("Colour aliases of Nordic Outdoor AB")
    expect(editor.get_by_label("Name in the packing list")).to_have_value("黑色")
    editor.get_by_label("Order colour").select_option("Black")
    # Meanwhile someone else gives the customer an alias: the save is refused as stale and the editor reloads.
    assert admin.patch(f"/api/customers/{customer}", json={"version": 1, "colour_aliases": {"Marine": "Navy"}}
                       ).status_code == 200
    editor.get_by_role("button", name="Save aliases").click()
    expect(editor.locator("[data-aliases-message]")).to_contain_text("Someone changed this customer’s aliases")
    expect(editor.get_by_label("Name in the packing list")).to_have_count(2)
    expect(editor.locator("li[data-alias='Marine'] select")).to_have_value("Navy")
    expect(editor.locator("li[data-alias='黑色'] select")).to_have_value("")
    editor.locator("li[data-alias='黑色'] select").select_option("Black")
    # A second alias added by hand: 藏青 → Navy.
    editor.get_by_role("button", name="Add alias").click()
    expect(editor.get_by_label("Name in the packing list").last).to_be_focused()
    editor.get_by_label("Name in the packing list").last.fill("藏青")
    editor.get_by_role("button", name="Save aliases").click()  # its colour is not chosen yet
    expect(editor.locator("[data-aliases-message]")).to_contain_text("Some aliases are not complete")
    expect(editor.locator("li[data-alias='藏青'] .field-error")).to_have_text("Choose the order colour it stands for.")
    editor.locator("li[data-alias='藏青'] select").select_option("Navy")
    editor.get_by_role("button", name="Save aliases").click()
    expect(editor.locator("[data-aliases-message]")).to_have_text("Colour aliases saved.")
    expect(refusal.locator("[data-check-hint]")).to_be_visible()
    check_page(page)
    shots(page, "aliases", "en")
    saved = next(c for c in admin.get("/api/customers").json() if c["id"] == customer)
    assert saved["colour_aliases"] == {"Marine": "Navy", "黑色": "Black", "藏青": "Navy"}
    assert saved["version"] == 3

    # Check again with the same file: only the quantity is left.
    refusal.get_by_role("button", name="Check again").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_have_attribute("data-row", "3")
    expect(refusal.locator("[data-unknown-colours]")).to_have_count(0)
    # The corrected file: clean, and what it would give is shown.
    rows[2] = "11-20,Black,M,12,5.2,6.1"
    choose(page, "nbt-packing-fixed.csv", csv(rows), label="Choose another file")
    expect(screen.locator("[data-refusal]")).to_have_count(0)
    expect(screen.locator("[data-recon]")).to_have_text("Matches the order")
    expect(screen.locator("[data-preview-cartons]")).to_have_text("60")

    # A file that is no packing list at all: one error about the whole file.
    choose(page, "notes.csv", csv(["Kiste,Menge", "1,12"]), label="Choose another file")
    whole = screen.locator("table[data-errors] tbody tr")
    expect(whole).to_have_count(1)
    expect(whole.locator("td").nth(0)).to_have_text("File")
    expect(whole.locator("td").nth(1)).to_have_text("—")
    expect(whole.locator("td").nth(2)).to_contain_text("No header row found")

    # In Chinese: the error table and the editor.
    page.get_by_role("button", name="中文").click()
    choose(page, "nbt-packing.csv", data.replace("藏青".encode(), "宝蓝".encode()), label="选择其他文件")
    table_zh = screen.locator("table[data-errors]")
    expect(table_zh.locator("tbody tr")).to_have_count(4)
    expect(screen.locator("[data-refusal] [role=alert]")).to_have_text("文件有 4 处问题。未导入任何内容。")
    expect(table_zh.locator("tr[data-row='5'] td").nth(2)).to_contain_text("未知的颜色「宝蓝」")
    expect(screen.locator("[data-unknown='宝蓝'] > span")).to_have_text("「宝蓝」（第 5、6、7 行）")
    shots(page, "errors", "zh")
    screen.get_by_role("button", name="将「宝蓝」添加为颜色别名").click()
    expect(screen.get_by_label("装箱单中的写法").last).to_have_value("宝蓝")
    shots(page, "aliases", "zh")


def test_a_supervisor_replaces_a_list_cartons_were_picked_from_with_a_reason(
        page: Page, floor: Floor, merchandiser: Actor, admin: Actor,
        new_context: Callable[..., BrowserContext]) -> None:
    order = floor.order
    # The inspector starts the pre-shipment inspection: its cartons were picked when it was booked.
    inspection = floor.inspector.get(f"/api/inspections/{floor.inspection_id}").json()
    assert inspection["carton_seed"] and inspection["cartons"]
    started = floor.inspector.put(f"/api/inspections/{floor.inspection_id}", json={
        "order_id": order["id"], "type": "pre_shipment", "version": inspection["version"], "status": "in_progress"})
    assert started.status_code == 200, started.text
    rows = ["Carton No.,SSCC,SKU,Qty/Ctn"]
    for i, line in enumerate(order["lines"]):
        rows.append(f"{1 + 10 * i}-{10 + 10 * i},{sscc(9000 + 10 * i)},{line['sku']},12")
    data = csv(rows)

    # A merchandiser may check the file but is told who can replace the list.
    log_in(page, merchandiser.username)
    open_screen(page, order)
    screen = page.locator("main[data-screen=packing-list]")
    expect(screen.locator("[data-picks]")).to_contain_text("only a supervisor can replace it")
    choose(page, "repacked.csv", data)
    expect(screen.locator("[data-blocked]")).to_contain_text(
        "Cartons were already picked from this packing list: only a supervisor can replace it.")
    expect(screen.get_by_role("button", name="Import as version 2")).to_have_count(0)
    expect(screen.get_by_role("button", name="Cancel")).to_be_visible()
    check_page(page)
    assert admin.get(f"/api/orders/{order['id']}/packing-list").json()["version"] == 1

    # The supervisor at a desk.
    desk = new_context(viewport={"width": 1280, "height": 800}, is_mobile=False, has_touch=False,
                       device_scale_factor=1).new_page()
    log_in(desk, floor.supervisor.username)
    open_screen(desk, order)
    screen = desk.locator("main[data-screen=packing-list]")
    expect(screen.locator("[data-picks]")).to_contain_text("draws them again")
    choose(desk, "repacked.csv", data)
    preview = screen.locator("[data-preview]")
    reason = preview.get_by_role("textbox", name="Why is the list replaced?")
    expect(reason).to_be_visible()
    preview.get_by_role("button", name="Import as version 2").click()
    expect(preview.locator(".field-error")).to_have_text(
        "Say why the packing list is replaced: the picked cartons will be drawn again.")
    expect(reason).to_have_attribute("aria-invalid", "true")
    shots(desk, "reason", "en")
    reason.fill("Factory repacked cartons 1-10")
    preview.get_by_role("button", name="Import as version 2").click()
    expect(screen.locator("[data-imported]")).to_contain_text("Packing list version 2 imported: 60 cartons")
    again = floor.inspector.get(f"/api/inspections/{floor.inspection_id}").json()
    assert again["carton_seed"] != inspection["carton_seed"]
    events = admin.get(f"/api/orders/{order['id']}/timeline").json()
    assert [e["data"]["reason"] for e in events if e["kind"] == "cartons_redrawn"] == ["Factory repacked cartons 1-10"]
