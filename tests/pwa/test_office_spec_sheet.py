"""The spec sheet (尺寸表) editor in Chromium: the paste reader on real spreadsheet copies, a merchandiser who types a
sheet, pastes one from Excel, saves it and finds it again; the server's refusal at its cell; an edit that went stale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playwright.sync_api import Page, expect

from tests.pwa.steps import screenshot
from tests.pwa.test_office import OTHER_PO, Office, check_page, log_in, office  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from tests.helpers import Actor
    from tests.pwa.conftest import Floor

PASTE = "/app/js/ui/office/spec-paste.js"


def parse(page: Page, text: str, **options: Any) -> dict[str, Any]:
    return page.evaluate("async ([module, text, options]) => (await import(module)).parseSpecPaste(text, options)",
                         [PASTE, text, options])


def test_pastes_as_excel_and_wps_copy_them(page: Page) -> None:
    page.goto("/health")  # any page of the app's origin can import its modules
    # Excel (Windows): CRLF, a title row above the header, codes, one ± column.
    excel = ("Style 8812 - measurements in cm\t\t\t\t\t\r\n"
             "POM\tDescription\tTol (+/-)\tS\tM\tL\r\n"
             "A\tChest width 1/2\t1\t50\t52\t54\r\n"
             "B\tBody length HPS\t1.5\t70\t72\t74\r\n")
    found = parse(page, excel, knownSizes=["S", "M", "L"])
    assert found["problems"] == [] and found["unit"] == "cm" and found["sizes"] == ["S", "M", "L"]
    assert [(p["code"], p["name"], p["tol_minus"], p["tol_plus"]) for p in found["points"]] == [
        ("A", "Chest width 1/2", "1", None), ("B", "Body length HPS", "1.5", None)]
    assert found["points"][1]["specs"] == {"S": "70", "M": "72", "L": "74"}

    # WPS, Chinese headers: 部位 / 公差 with "±", a section title without values, a lower-case size of the order.
    wps = "部位\t公差\ts\tM\tL\tXL\n胸围\t±1\t100\t104\t108\t112\n上身\t\t\t\t\t\n肩宽\t±0.8\t44\t45.2\t46.4\t47.6\n"
    found = parse(page, wps, knownSizes=["S", "M", "L"])
    assert found["problems"] == [] and found["sizes"] == ["S", "M", "L", "XL"]
    assert [(p["name"], p["name_zh"], p["tol_minus"]) for p in found["points"]] == [
        ("胸围", "胸围", "1"), ("肩宽", "肩宽", "0.8")]

    # Two tolerance columns, a quoted cell with a line break, an English and a Chinese name column, a bad number.
    two = ('Point of measure\t中文名称\tTol -\tTol +\tS\tM\n"Chest\nwidth"\t胸宽\t0.5\t1\t48\t50\n'
           "Sleeve length\t袖长\t1\t1\t60\t62x\n")
    found = parse(page, two)
    assert [(p["name"], p["name_zh"], p["tol_minus"], p["tol_plus"]) for p in found["points"]] == [
        ("Chest width", "胸宽", "0.5", "1"), ("Sleeve length", "袖长", "1", None)]
    assert found["problems"] == [{"row": 3, "column": "M", "problem": "number", "text": "62x"}]

    # Names with both languages in one cell, an empty top-left header, "+1/-0.5" tolerances, numeric sizes.
    mixed = "\tTol\t28\t30\t32\nWaist 腰围\t+1/-0.5\t72\t77\t82\n内长 (Inseam)\t-1 +2\t76\t76\t76\n"
    found = parse(page, mixed)
    assert [(p["name"], p["name_zh"], p["tol_minus"], p["tol_plus"]) for p in found["points"]] == [
        ("Waist", "腰围", "0.5", "1"), ("Inseam", "内长", "1", "2")]
    assert found["sizes"] == ["28", "30", "32"]

    # Inches with fractions; the header names the unit.
    inches = 'Measurement (inch)\tTol\tS\tM\nChest\t1/2\t20 1/2\t21 1/4\nLength\t±3/4"\t27\t28\n'
    found = parse(page, inches, unit="cm")
    assert found["unit"] == "inch" and found["problems"] == []
    assert [(p["tol_minus"], p["specs"]) for p in found["points"]] == [
        ("1/2", {"S": "20 1/2", "M": "21 1/4"}), ("3/4", {"S": "27", "M": "28"})]

    # What cannot be read is said, by row.
    found = parse(page, "Point\tS\tM\nChest\t50\t52\n")
    assert {p["problem"] for p in found["problems"]} == {"no_tolerance_column", "no_tolerance"}
    found = parse(page, "Point\tTol\tS\nChest\t1\t\n\t1\t50\n")
    assert [(p["row"], p["problem"]) for p in found["problems"]] == [(2, "no_values"), (3, "no_name")]
    assert [p["problem"] for p in parse(page, "just some words")["problems"]] == ["no_header"]
    assert [p["problem"] for p in parse(page, "Point\tTol\nChest\t1\n")["problems"]] == ["no_sizes", "no_values"]

    # A pasted point keeps the code of the sheet's point of the same name: readings taken against it still fit.
    codes = page.evaluate("""async (module) => {
        const { parseSpecPaste, withCodes } = await import(module);
        const found = parseSpecPaste('部位\\t公差\\tS\\n胸围\\t1\\t100\\n衣长\\t1\\t70\\n肩宽\\t1\\t44\\n');
        return withCodes(found.points, [{ code: 'L1', name: '衣长' }]).map((p) => p.code);
    }""", PASTE)
    assert codes == ["A", "L1", "B"]


def open_spec_sheet(page: Page, order: dict[str, Any]) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=order["po_number"]).click()
    page.get_by_role("link", name="Spec sheet").click()
    page.locator("main[data-screen=spec-sheet]").wait_for()
    expect(page.get_by_role("heading", name=f"Spec sheet {order['po_number']}", level=1)).to_be_visible()


def test_merchandiser_types_pastes_and_saves_a_spec_sheet(page: Page, floor: Floor, office: Office,
                                                          admin: Actor) -> None:
    order = office.other_order
    log_in(page, office.merchandiser.username)
    open_spec_sheet(page, order)
    main = page.locator("main[data-screen=spec-sheet]")
    expect(main).to_contain_text("without a spec sheet the inspector cannot grade measurements")
    expect(page.locator("[data-none-yet]")).to_be_visible()
    # The sizes are the order's.
    expect(page.locator("th.size")).to_have_count(3)
    page.get_by_role("textbox", name="Point, point 1").fill("Chest width")
    page.get_by_role("textbox", name="Code, Chest width").fill("A")
    page.get_by_role("textbox", name="Chinese name, Chest width").fill("胸宽")
    page.get_by_role("textbox", name="Tol −, Chest width").fill("1")
    for size, value in (("S", "50"), ("M", "52"), ("L", "54")):
        page.get_by_role("textbox", name=f"{size}, Chest width").fill(value)
    page.get_by_role("button", name="Add point").click()
    page.get_by_role("textbox", name="Point, point 2").fill("Body length")
    page.get_by_role("textbox", name="Tol −, Body length").fill("1.5")
    page.get_by_role("textbox", name="M, Body length").fill("72")
    # A size the order does not have.
    page.get_by_role("textbox", name="New size").fill("XL")
    page.get_by_role("button", name="Add size").click()
    page.get_by_role("textbox", name="XL, Chest width").fill("56")
    check_page(page)
    screenshot(page, "office-spec-typed-en")
    page.get_by_role("button", name="Save spec sheet").click()
    expect(page.locator("[data-saved]")).to_have_text("Saved: version 1.")
    expect(page.get_by_role("textbox", name="Code, Body length")).to_have_value("B")  # the next free letter
    sheet = admin.get(f"/api/orders/{order['id']}/spec-sheet").json()
    assert sheet["version"] == 1 and sheet["unit"] == "cm" and sheet["defect_severity"] == "major"
    saved = [(p["code"], p["name"], p["name_zh"], p["tol_minus"], p["tol_plus"], p["specs"]) for p in sheet["points"]]
    assert saved == [
        ("A", "Chest width", "胸宽", "1", None, {"S": "50", "M": "52", "L": "54", "XL": "56"}),
        ("B", "Body length", "", "1.5", None, {"M": "72"})]

    # Pasted from Excel: previewed first, then it replaces the points; "Body length" keeps its code B.
    page.get_by_text("Paste from Excel").click()
    page.get_by_role("textbox", name="Cells copied from Excel or WPS").fill(
        "Point of measure\t中文\tTol\tS\tM\tL\r\nBody length\t衣长\t±1\t70\t72\t74\r\n"
        "Sleeve length\t袖长\t-0.5/+1\t60\t61\t62\r\nHem width\t下摆\t1\t48\t5O\t52\r\n")
    preview = page.locator("[data-preview]")
    expect(preview).to_contain_text("Found 3 points and sizes S, M, L.")
    expect(preview.locator("[data-paste-problems]")).to_contain_text("Row 4: “5O” in column M is not a number.")
    expect(preview.locator("tbody tr")).to_have_count(3)
    check_page(page)
    screenshot(page, "office-spec-paste-en")
    page.get_by_role("button", name="Replace the points with these").click()
    expect(page.locator("[data-preview]")).to_have_count(0)
    expect(page.locator("tbody tr[data-point]")).to_have_count(3)
    expect(page.get_by_role("textbox", name="Code, Body length")).to_have_value("B")
    expect(page.get_by_role("textbox", name="Tol +, Sleeve length")).to_have_value("1")

    # The server refuses the letter O in place of a zero: the message is at that cell, and nothing is saved.
    page.get_by_role("button", name="Save spec sheet").click()
    bad = page.get_by_role("textbox", name="M, Hem width")
    expect(bad).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".cell-error")).to_contain_text("5O")
    expect(page.locator("[data-form-error]")).to_contain_text("Not saved: correct the marked fields.")
    # Listed whole under the grid too (a phone shows a narrow cell), and it leads to its cell.
    page.locator("[data-form-error]").get_by_role("button", name="M, Hem width").click()
    expect(bad).to_be_focused()
    check_page(page)
    screenshot(page, "office-spec-refused-en")
    assert admin.get(f"/api/orders/{order['id']}/spec-sheet").json()["version"] == 1
    bad.fill("50")
    page.get_by_label("A unit out of tolerance counts as").select_option("minor")
    page.get_by_role("button", name="Save spec sheet").click()
    expect(page.locator("[data-saved]")).to_have_text("Saved: version 2.")
    expect(bad).not_to_have_attribute("aria-invalid", "true")

    # Found again after a reload, as saved.
    page.reload()
    page.locator("main[data-screen=spec-sheet] [data-version='2']").wait_for()
    expect(page.get_by_role("textbox", name="M, Hem width")).to_have_value("50")
    expect(page.get_by_role("textbox", name="Chinese name, Sleeve length")).to_have_value("袖长")
    expect(page.get_by_label("A unit out of tolerance counts as")).to_have_value("minor")
    # S, M, L: the XL only the replaced Chest width had is gone with it.
    expect(page.locator("th.size")).to_have_count(3)
    sheet = admin.get(f"/api/orders/{order['id']}/spec-sheet").json()
    assert [p["code"] for p in sheet["points"]] == ["B", "A", "C"]

    # Someone else saves meanwhile: this edit is refused as stale, said plainly, and the saved sheet loads again.
    admin.put(f"/api/orders/{order['id']}/spec-sheet", json={**{k: sheet[k] for k in ("unit", "defect_severity")},
              "version": 2, "points": sheet["points"][:1]})
    page.get_by_role("textbox", name="L, Hem width").fill("53")
    page.get_by_role("button", name="Save spec sheet").click()
    stale = page.locator("[data-stale]")
    expect(stale).to_contain_text("Someone saved this spec sheet while you were editing it.")
    page.get_by_role("button", name="Load the saved sheet").click()
    page.locator("[data-version='3']").wait_for()
    expect(page.locator("tbody tr[data-point]")).to_have_count(1)


def test_spec_sheet_screens_in_both_languages_and_sizes(new_context: Any, floor: Floor, office: Office,
                                                        admin: Actor) -> None:
    order = office.other_order
    points = [{"code": c, "name": n, "name_zh": z, "tol_minus": "1", "specs": {"S": "50", "M": "52", "L": "54"}}
              for c, n, z in (("A", "Chest width", "胸宽"), ("B", "Body length HPS", "衣长"), ("C", "Sleeve length", "袖长"))]
    assert admin.put(f"/api/orders/{order['id']}/spec-sheet", json={"points": points}).status_code == 201
    for width, height, tag in ((360, 640, "phone"), (1280, 800, "desk")):
        for locale, lang in (("en-US", "en"), ("zh-CN", "zh")):
            page = new_context(viewport={"width": width, "height": height}, locale=locale).new_page()
            log_in(page, office.merchandiser.username)
            page.goto(f"/app/#/orders/{order['id']}/spec-sheet")
            page.locator("main[data-screen=spec-sheet] [data-version='1']").wait_for()
            if lang == "zh":
                expect(page.get_by_role("heading", level=1)).to_have_text(f"尺寸表 {OTHER_PO}")
                expect(page.get_by_role("button", name="保存尺寸表")).to_be_visible()
            check_page(page)
            # On a phone the grid scrolls sideways while the point's name stays in view.
            page.locator(".spec-wrap").scroll_into_view_if_needed()
            page.locator(".spec-wrap").evaluate("(el) => { el.scrollLeft = el.scrollWidth; }")
            name = page.locator("tbody tr[data-point] th.sticky").first.bounding_box()
            wrap = page.locator(".spec-wrap").bounding_box()
            assert name and wrap and abs(name["x"] - wrap["x"]) < 3
            screenshot(page, f"office-spec-{tag}-{lang}")
            page.context.close()


def test_spec_sheet_is_for_staff(page: Page, floor: Floor, office: Office) -> None:
    log_in(page, office.factory_user.username)
    page.goto(f"/app/#/orders/{floor.order['id']}/spec-sheet")
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(page.locator("main[data-screen=spec-sheet]")).to_have_count(0)
    refused = office.factory_user.put(f"/api/orders/{floor.order['id']}/spec-sheet", json={"points": []})
    assert refused.status_code == 403
