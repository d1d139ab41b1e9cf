"""The defect library and the checklist templates in Chromium (issue 13): an admin adds, edits and deactivates
a defect code in both languages, sees refusals at their fields and another admin's change as a conflict, and
edits a checklist template (a value item with its limit, moved up); a merchandiser has no Library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.helpers import Actor
from tests.pwa.conftest import _user
from tests.pwa.steps import screenshot
from tests.pwa.test_office import check_page, log_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext

    from tests.pwa.conftest import Floor

DESK = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1, "is_mobile": False, "has_touch": False}


def open_library(page: Page) -> Locator:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Library").click()
    screen = page.locator("main[data-screen=library]")
    expect(screen.get_by_role("heading", name="Defect library and checklists", level=1)).to_be_visible()
    page.wait_for_function("document.querySelectorAll('[data-code]').length > 40")
    return screen


def field(scope: Locator, name: str) -> Locator:
    """The .field of the control named `name` (its label, control, hint and error)."""
    return scope.locator(".field", has=scope.page.locator(f"[name='{name}']"))


def code_of(actor: Actor, code: str) -> dict[str, Any]:
    return next(c for c in actor.get("/api/defect-codes").json() if c["code"] == code)


def template_of(actor: Actor, code: str) -> dict[str, Any]:
    return next(t for t in actor.get("/api/checklist-templates").json() if t["code"] == code)


def test_admin_adds_edits_and_deactivates_a_defect_code(page: Page, floor: Floor, admin: Actor,
                                                         new_context: Callable[..., BrowserContext]) -> None:
    log_in(page, admin.username)
    screen = open_library(page)
    expect(screen.locator("section[data-category=workmanship] h2")).to_have_text("Workmanship (13)")
    expect(screen.locator("[data-code=W01]")).to_contain_text("Broken stitch")
    expect(screen.locator("[data-code=W01]")).to_contain_text("断线")
    check_page(page)
    screenshot(page, "office-library-en")
    page.screenshot(path=str(screenshot(page, "office-library-en").with_name("office-library-en-full.png")), full_page=True)

    # The search finds a code by either language's name.
    search = page.get_by_role("searchbox", name="Search code or name")
    search.fill("跳针")
    expect(screen.locator("[data-code]")).to_have_count(1)
    expect(screen.locator("[data-code=W02]")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 of 46 codes")).to_be_visible()
    search.fill("label")
    expect(screen.locator("[data-code=L01]")).to_be_visible()
    expect(screen.locator("[data-code=W01]")).to_have_count(0)
    search.fill("")

    # A new code: the category proposes the next free code; both names are needed.
    page.get_by_role("button", name="Add a defect code").click()
    form = page.locator("form[data-code-form=new]")
    form.get_by_label("Category").select_option("workmanship")
    expect(form.get_by_label("Code", exact=True)).to_have_value("W14")
    check_page(page)
    screenshot(page, "office-library-new-en")
    # A code that exists already is refused at the code, before anything is sent.
    form.get_by_label("Code", exact=True).fill("w01")
    expect(form.get_by_label("Code", exact=True)).to_have_value("W01")  # codes are capitals
    form.get_by_label("Name in English").fill("Crooked label")
    form.get_by_label("Name in Chinese").fill("商标歪斜")
    form.get_by_role("button", name="Save").click()
    expect(field(form, "code").locator(".field-error")).to_have_text(
        "W01 exists already (Broken stitch). Find it in the list and edit it there.")
    expect(form.get_by_label("Code", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Code", exact=True)).to_be_focused()
    # The server's own rule on the code's format, shown at the code in the UI's words.
    form.get_by_label("Code", exact=True).fill("W 14")
    form.get_by_role("button", name="Save").click()
    expect(field(form, "code").locator(".field-error")).to_have_text(
        "Use only capital letters A–Z, digits and hyphens (up to 20 characters), e.g. W14.")
    assert "W 14" not in {c["code"] for c in admin.get("/api/defect-codes").json()}
    # A Chinese name of spaces, sent with `required` taken off: refused at the Chinese name.
    form.get_by_label("Code", exact=True).fill("W14")
    page.evaluate("document.querySelector('[name=name_zh]').removeAttribute('required')")
    form.get_by_label("Name in Chinese").fill("   ")
    form.get_by_role("button", name="Save").click()
    expect(field(form, "name_zh").locator(".field-error")).to_have_text(
        "Required: inspectors see the name in their own language.")
    expect(field(form, "code").locator(".field-error")).to_have_count(0)
    assert "W14" not in {c["code"] for c in admin.get("/api/defect-codes").json()}

    form.get_by_label("Name in Chinese").fill("商标歪斜")
    form.get_by_label("Default severity").select_option("minor")
    form.get_by_role("button", name="Save").click()
    card = screen.locator("[data-code=W14]")
    expect(card.get_by_role("status")).to_have_text("W14 added.")
    expect(card).to_contain_text("Crooked label")
    expect(card).to_contain_text("Minor")
    assert code_of(floor.inspector, "W14") == {
        "code": "W14", "category": "workmanship", "name_en": "Crooked label", "name_zh": "商标歪斜",
        "default_severity": "minor", "active": True, "version": 1}

    # Edit the Chinese name.
    card.get_by_role("button", name="Edit W14").click()
    edit = page.locator("form[data-code-form=W14]")
    expect(edit.get_by_label("Category")).to_be_focused()
    edit.get_by_label("Name in Chinese").fill("商标歪斜（主唛）")
    edit.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status")).to_have_text("W14 saved (version 2).")
    assert code_of(floor.inspector, "W14")["name_zh"] == "商标歪斜（主唛）"

    # Deactivate: the phones' library no longer offers it; old inspections keep it.
    card.get_by_role("button", name="Deactivate W14").click()
    expect(card.get_by_role("status")).to_contain_text("W14 is deactivated")
    expect(card).to_contain_text("Inspections that recorded it keep it.")
    expect(card.locator(".badge")).to_have_text("Inactive")
    assert code_of(floor.inspector, "W14")["active"] is False
    check_page(page)

    # Another admin changes it meanwhile: the save is a conflict, with their copy to choose from.
    card.get_by_role("button", name="Edit W14").click()
    edit.get_by_label("Name in English").fill("Crooked main label")
    theirs = dict(code_of(admin, "W14"), name_en="Crooked neck label")
    theirs.pop("code")
    assert admin.put("/api/defect-codes/W14", json=theirs).status_code == 200  # version 3 → 4
    edit.get_by_role("button", name="Save").click()
    conflict = edit.locator("[data-conflict]")
    expect(conflict).to_contain_text("Someone else changed this while you were editing (it is now version 4).")
    expect(conflict.locator("[data-theirs]")).to_contain_text("Crooked neck label")
    expect(edit.get_by_label("Name in English")).to_have_value("Crooked main label")  # mine is kept
    check_page(page)
    screenshot(page, "office-library-conflict-en")
    edit.get_by_role("button", name="Use theirs").click()
    expect(edit.get_by_label("Name in English")).to_have_value("Crooked neck label")
    edit.get_by_label("Name in English").fill("Crooked main label")
    edit.get_by_role("button", name="Save").click()
    expect(card.get_by_role("status")).to_have_text("W14 saved (version 5).")
    stored = code_of(admin, "W14")
    assert (stored["name_en"], stored["active"], stored["version"]) == ("Crooked main label", False, 5)

    # Reactivated, in Chinese.
    page.get_by_role("button", name="中文").click()
    expect(screen.get_by_role("heading", name="缺陷库与检查表", level=1)).to_be_visible()
    expect(screen.locator("section[data-category=workmanship] h2")).to_have_text("做工 (14)")
    card.get_by_role("button", name="重新启用 W14").click()
    expect(card.get_by_role("status")).to_contain_text("W14 已重新启用")
    assert code_of(admin, "W14")["active"] is True
    check_page(page)
    screenshot(page, "office-library-zh")
    page.get_by_role("button", name="新增缺陷代码").click()
    page.locator("form[data-code-form=new]").get_by_label("类别").select_option("packaging")
    expect(page.locator("form[data-code-form=new]").get_by_label("代码", exact=True)).to_have_value("P07")
    check_page(page)
    screenshot(page, "office-library-new-zh")

    # At a desk, in both languages.
    for locale, name, title in (("en-US", "en", "Defect library and checklists"), ("zh-CN", "zh", "缺陷库与检查表")):
        desk = new_context(**DESK, locale=locale).new_page()
        log_in(desk, admin.username)
        desk.goto("/app/#/library")
        expect(desk.get_by_role("heading", name=title, level=1)).to_be_visible()
        desk.wait_for_function("document.querySelectorAll('[data-code]').length > 40")
        desk.locator("[data-code=W01] button").first.click()
        check_page(desk)
        screenshot(desk, f"office-library-desk-{name}")


def test_admin_edits_and_makes_checklist_templates(page: Page, floor: Floor, admin: Actor,
                                                    new_context: Callable[..., BrowserContext]) -> None:
    log_in(page, admin.username)
    screen = open_library(page)
    screen.get_by_role("navigation", name="Library parts").get_by_role("link", name="Checklist templates").click()
    listed = screen.locator("[data-template=garment-final]")
    expect(listed).to_contain_text("Garment final inspection")
    expect(listed).to_contain_text("10 items")
    expect(listed).to_contain_text("Version 1")
    expect(listed).to_contain_text("Default for new inspections")
    check_page(page)
    screenshot(page, "office-checklists-en")
    listed.get_by_role("link", name="Edit Garment final inspection").click()
    expect(page.get_by_role("heading", name="Checklist: Garment final inspection", level=1)).to_be_visible()
    form = page.locator("form[data-template-form]")
    items = form.locator("li.lib-item")
    expect(items).to_have_count(10)
    expect(form).to_contain_text("every inspection, also one already under way, uses its template as it is saved here")
    # Each item is a short summary until it is opened; a saved item's key stays as it is.
    expect(items.nth(9).locator("[data-summary]")).to_have_text("A number, fails above 12 % · fails as Major")
    form.get_by_role("button", name="Edit item 1", exact=True).click()
    expect(form.get_by_role("button", name="Close item 1")).to_have_attribute("aria-expanded", "true")
    expect(items.nth(0)).to_contain_text("Key packing_method: fixed, because answers are stored under it.")
    expect(items.nth(0).get_by_label("Item in Chinese")).to_have_value("包装方式符合要求")
    form.get_by_role("button", name="Close item 1").click()
    expect(items.nth(0).get_by_label("Item in Chinese")).to_have_count(0)

    # A value item: its key comes from the English words; its limit must be a number (the server's rule).
    form.get_by_role("button", name="Add an item").click()
    new = items.nth(10)
    expect(new.get_by_label("Item in English")).to_be_focused()
    new.get_by_label("Item in English").fill("Fabric weight")
    expect(new.get_by_label("Key")).to_have_value("fabric_weight")
    new.get_by_label("Item in Chinese").fill("克重")
    new.get_by_label("Answer").select_option("value")
    new.get_by_label("Limit").fill("abc")
    new.get_by_label("Unit").fill("g/m²")
    new.get_by_label("Severity when it fails").select_option("minor")
    form.get_by_role("button", name="Save checklist").click()
    expect(field(new, "items[10].limit").locator(".field-error")).to_contain_text("'abc' is not a plain number")
    expect(new.get_by_label("Limit")).to_be_focused()
    assert template_of(admin, "garment-final")["version"] == 1
    new.get_by_label("Limit").fill("180")

    # Moved up twice with the buttons: the focus stays on the button, which moves with the item.
    new.get_by_role("button", name="Move up item 11").click()
    expect(form.get_by_role("button", name="Move up item 10")).to_be_focused()
    page.keyboard.press("Enter")
    expect(form.get_by_role("button", name="Move up item 9")).to_be_focused()
    expect(items.nth(8)).to_have_attribute("data-key", "fabric_weight")
    expect(items.nth(10)).to_have_attribute("data-key", "moisture")
    check_page(page)
    screenshot(page, "office-checklist-edit-en")
    form.get_by_role("button", name="Save checklist").click()
    expect(form.locator("[data-saved]")).to_have_text("Checklist saved (version 2).")
    saved = template_of(floor.inspector, "garment-final")
    assert saved["version"] == 2 and [i["key"] for i in saved["items"]][8:] == ["fabric_weight", "accessories", "moisture"]
    assert saved["items"][8] == {"key": "fabric_weight", "label": "Fabric weight", "label_zh": "克重", "kind": "value",
                                 "limit": "180", "unit": "g/m²", "fail_severity": "minor"}

    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(items).to_have_count(11)
    weight = items.nth(8)
    expect(weight.locator("[data-summary]")).to_have_text("A number, fails above 180 g/m² · fails as Minor")
    weight.get_by_role("button", name="Edit item 9").click()
    expect(weight).to_contain_text("Key fabric_weight: fixed")
    expect(weight.get_by_label("Limit")).to_have_value("180")
    expect(weight.get_by_label("Unit")).to_have_value("g/m²")
    expect(form.locator("[data-version]")).to_contain_text("Version 2")

    # Someone else saves meanwhile: a conflict, and their copy can be taken.
    form.get_by_label("Name in English").fill("Garment final inspection (EU)")
    theirs = dict(template_of(admin, "garment-final"), name="Garment final check")
    for key in ("id", "code"):
        theirs.pop(key)
    assert admin.put("/api/checklist-templates/garment-final", json=theirs).status_code == 200
    form.get_by_role("button", name="Save checklist").click()
    expect(form.locator("[data-conflict]")).to_contain_text("it is now version 3")
    expect(form.locator("[data-theirs]")).to_contain_text("Garment final check")
    form.get_by_role("button", name="Use theirs").click()
    expect(form.get_by_label("Name in English")).to_have_value("Garment final check")
    expect(form.locator("[data-version]")).to_contain_text("Version 3")

    # A new template: the code comes from the English name.
    page.get_by_role("link", name="Checklist templates").click()
    page.get_by_role("link", name="New checklist template").click()
    expect(page.get_by_role("heading", name="New checklist template", level=1)).to_be_visible()
    form.get_by_label("Name in English").fill("Knitwear final")
    expect(form.get_by_label("Code", exact=True)).to_have_value("knitwear-final")
    form.get_by_label("Name in Chinese").fill("针织成衣尾期验货")
    form.get_by_label("Item in English").fill("Seams and linking")
    form.get_by_label("Item in Chinese").fill("缝线与套口")
    form.get_by_role("button", name="Save checklist").click()
    expect(page.get_by_role("heading", name="Checklist: Knitwear final", level=1)).to_be_visible()
    expect(form.locator("[data-saved]")).to_have_text("Checklist saved (version 1).")
    made = template_of(admin, "knitwear-final")
    assert (made["name_zh"], [i["key"] for i in made["items"]]) == ("针织成衣尾期验货", ["seams_and_linking"])

    # In Chinese, on the phone and at a desk.
    page.get_by_role("button", name="中文").click()
    page.goto("/app/#/library?template=garment-final")
    expect(page.get_by_role("heading", name="检查表：成衣尾期验货", level=1)).to_be_visible()
    expect(items).to_have_count(11)
    check_page(page)
    screenshot(page, "office-checklist-edit-zh")
    for locale, name in (("en-US", "en"), ("zh-CN", "zh")):
        desk = new_context(**DESK, locale=locale).new_page()
        log_in(desk, admin.username)
        desk.goto("/app/#/library?template=garment-final")
        desk.locator("li.lib-item").nth(10).wait_for()
        check_page(desk)
        screenshot(desk, f"office-checklist-desk-{name}")
        desk.goto("/app/#/library?tab=checklists")
        desk.locator("[data-template=knitwear-final]").wait_for()
        screenshot(desk, f"office-checklists-desk-{name}")


def test_a_merchandiser_has_no_library(page: Page, floor: Floor, admin: Actor, client: httpx.Client) -> None:
    merchandiser = _user(admin, client, "merchandiser", "Zhao Min 赵敏")
    log_in(page, merchandiser.username)
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("link", name="Orders")).to_be_visible()
    expect(nav.get_by_role("link", name="Library")).to_have_count(0)
    page.goto("/app/#/library")
    page.locator("main[data-screen=inspections]").wait_for()
    expect(page.locator("main[data-screen=library]")).to_have_count(0)
    expect(page.locator("[data-code-form], [data-template-form]")).to_have_count(0)
    page.goto("/app/#/library?template=garment-final")
    page.locator("main[data-screen=inspections]").wait_for()
    expect(page.locator("[data-template-form]")).to_have_count(0)
