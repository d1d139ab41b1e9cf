"""The admin's and staff's reference screens in Chromium (issue 13): Users (create, role, deactivate, reactivate,
password reset, a stale edit), Customers and Factories (create, edit, a refused deletion) and each factory's
switching state with a supervisor allowing reduced inspection. A deactivated user's next request from the app
ends their session: the login screen says so."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Callable

import httpx
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.helpers import PASSWORD, Actor, inspection_body, login, order_body, patch_user
from tests.pwa.conftest import _user
from tests.pwa.steps import open_app, run_axe, screenshot, small_targets

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

DESK = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}
MERCHANDISER = "Zhao Min 赵敏"


@pytest.fixture
def merchandiser(floor: Floor, admin: Actor, client: httpx.Client) -> Actor:
    return _user(admin, client, "merchandiser", MERCHANDISER)


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    open_app(page)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.locator("main[data-screen=inspections]").wait_for()


def open_section(page: Page, name: str, screen: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
    page.locator(f"main[data-screen={screen}]").wait_for()
    expect(page.locator(f"main[data-screen={screen}] [role=status]").first).not_to_have_text("Loading…")


def check_page(page: Page) -> None:
    assert run_axe(page) == []
    assert small_targets(page) == []


def user_card(page: Page, username: str) -> Locator:
    return page.locator(f"article.user-card[data-user='{username}']")


def record_card(page: Page, code: str) -> Locator:
    return page.locator(f"article.partner-card[data-code='{code}']")


def field_error(form: Locator, label: str) -> Locator:
    """The error shown under the field of this label (the field's own div)."""
    return form.locator("div.field", has=form.page.get_by_label(label, exact=True)).locator(".field-error")


def desk(new_context: Callable[..., BrowserContext], **options: Any) -> Page:
    page = new_context(**DESK, **options).new_page()
    page.set_default_timeout(15_000)
    return page


# --- users ------------------------------------------------------------------------------------------------

def test_admin_deactivates_a_user_whose_next_request_ends_the_session(
        page: Page, new_context: Callable[..., BrowserContext], merchandiser: Actor, admin: Actor) -> None:
    # The merchandiser works in the app on their phone.
    log_in(page, merchandiser.username)
    open_section(page, "Orders", "orders")

    office = desk(new_context)
    log_in(office, admin.username)
    open_section(office, "Users", "users")
    office.get_by_role("searchbox", name="Search name, username or company").fill("zhao")
    expect(office.locator("article.user-card")).to_have_count(1)
    card = user_card(office, merchandiser.username)
    expect(card).to_contain_text("Merchandiser")
    expect(card.locator("[data-active]")).to_have_text("Active")
    card.get_by_role("button", name="Deactivate").click()
    expect(card).to_contain_text("They are logged out at once")
    check_page(office)
    card.get_by_role("button", name="Yes, deactivate").click()
    expect(card.locator("[data-active]")).to_have_text("Deactivated")
    expect(office.locator("[data-notice]")).to_have_text(f"{merchandiser.username} is deactivated and logged out.")
    expect(card.get_by_role("button", name="Reactivate")).to_be_visible()
    check_page(office)
    screenshot(office, "office-users-deactivated-desk-en")

    # Their next request from the app: back to the login, which says why.
    page.get_by_role("navigation").get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Your session has ended. Log in again; your unsynced work is kept on this phone.")
    expect(page.locator("input[name=password]")).to_be_visible()
    expect(page.locator("main.office")).to_have_count(0)
    assert merchandiser.get("/api/auth/me").status_code == 401
    assert login_status(admin, merchandiser.username) == 401

    # Reactivated, they log in again and are back where they were.
    card.get_by_role("button", name="Reactivate").click()
    card.get_by_role("button", name="Yes, reactivate").click()
    expect(card.locator("[data-active]")).to_have_text("Active")
    page.locator("input[name=username]").fill(merchandiser.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(record_card(page, "NORDIC")).to_be_visible()


def login_status(actor: Actor, username: str, password: str = PASSWORD) -> int:
    response = actor.client.post("/api/auth/login", json={"username": username, "password": password})
    actor.client.cookies.clear()
    return response.status_code


def test_admin_creates_a_user_changes_the_role_and_resets_the_password(
        page: Page, new_context: Callable[..., BrowserContext], floor: Floor, admin: Actor,
        client: httpx.Client) -> None:
    log_in(page, admin.username)
    open_section(page, "Users", "users")
    check_page(page)
    screenshot(page, "office-users-en")
    page.get_by_role("button", name="New user").click()
    form = page.get_by_role("form", name="New user")
    form.get_by_label("Username").fill("Lin.Tao")
    form.get_by_label("Display name").fill("Lin Tao 林涛")
    form.get_by_label("Role").select_option(label="Factory")
    form.get_by_label("First password").fill("short")
    form.get_by_role("button", name="Create user").click()
    expect(field_error(form, "First password")).to_have_text("At least 8 characters.")
    password = "Tea-garden-42"
    form.get_by_label("First password").fill(password)
    form.get_by_role("button", name="Create user").click()
    # A factory user needs its factory: said where the field is.
    expect(field_error(form, "Factory")).to_have_text("Choose the factory this user works for.")
    expect(form.get_by_label("Factory")).to_have_attribute("aria-invalid", "true")
    check_page(page)
    screenshot(page, "office-user-new-error-en")
    form.get_by_label("Factory").select_option(label="NBT · Ningbo Textile Garment Co. 宁波纺织服装有限公司")
    form.get_by_role("button", name="Create user").click()
    expect(page.locator("[data-notice]")).to_contain_text(f"User lin.tao created, with the password {password}.")
    card = user_card(page, "lin.tao")
    expect(card).to_contain_text("Lin Tao 林涛")
    expect(card).to_contain_text("Ningbo Textile Garment Co.")
    expect(card.locator("[data-role]")).to_have_text("Factory")

    # The new user logs in with it.
    theirs = new_context().new_page()
    log_in(theirs, "lin.tao", password)
    expect(theirs.get_by_role("navigation").get_by_role("link", name="Orders")).to_be_visible()
    expect(theirs.get_by_role("navigation").get_by_role("link", name="Users")).to_have_count(0)

    # A taken username is said at the field.
    page.get_by_role("button", name="New user").click()
    form = page.get_by_role("form", name="New user")
    form.get_by_label("Username").fill("lin.tao")
    form.get_by_label("Role").select_option(label="Merchandiser")
    form.get_by_role("button", name="Create user").click()
    expect(field_error(form, "Username")).to_have_text("The username 'lin.tao' is taken.")
    form.get_by_role("button", name="Cancel").click()

    # A role change.
    card.get_by_role("button", name="Edit").click()
    edit = card.get_by_role("form", name="Edit lin.tao")
    edit.get_by_label("Role").select_option(label="Inspector")
    edit.get_by_label("Company").fill("QA Partners Ltd")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    edit.get_by_role("button", name="Save").click()
    expect(card.locator("[data-role]")).to_have_text("Inspector")
    expect(card).to_contain_text("QA Partners Ltd")
    listed = next(u for u in admin.get("/api/users").json() if u["username"] == "lin.tao")
    assert (listed["role"], listed["company"], listed["version"]) == ("inspector", "QA Partners Ltd", 2)
    # The role applies at once, to a session that was open before.
    assert login(client, "lin.tao", password).get("/api/auth/me").json()["role"] == "inspector"
    # Their app, open since before, takes the new role when it starts again: an inspector has no Orders.
    theirs.reload()
    theirs.wait_for_function("async () => (await (await import('/app/js/db.js')).getMeta('user')).role === 'inspector'")
    expect(theirs.get_by_role("link", name="Orders")).to_have_count(0)

    # A password reset: the old one no longer works, the new one does; their session ended.
    card.get_by_role("button", name="Reset password").click()
    reset = card.get_by_role("form", name="New password for lin.tao")
    expect(reset.get_by_label("New password")).not_to_have_value("")  # a suggestion, ready to hand over
    reset.get_by_label("New password").fill("Second-spring-77")
    check_page(page)
    screenshot(page, "office-user-reset-en")
    reset.get_by_role("button", name="Set password").click()
    expect(page.locator("[data-notice]")).to_contain_text("The new password of lin.tao is Second-spring-77.")
    assert login_status(admin, "lin.tao", password) == 401
    login(client, "lin.tao", "Second-spring-77")
    theirs.reload()  # the app checks its session when it starts
    expect(theirs.locator("input[name=password]")).to_be_visible()
    # The list was read again after the reset: the next edit is based on the new version.
    card.get_by_role("button", name="Edit").click()
    edit = card.get_by_role("form", name="Edit lin.tao")
    edit.get_by_label("Display name").fill("Lin Tao 林涛 (QA)")
    edit.get_by_role("button", name="Save").click()
    expect(card.get_by_role("heading", name="Lin Tao 林涛 (QA)")).to_be_visible()


def test_a_stale_user_edit_is_refused_and_shows_the_user_as_now(page: Page, merchandiser: Actor,
                                                                admin: Actor) -> None:
    log_in(page, admin.username)
    open_section(page, "Users", "users")
    card = user_card(page, merchandiser.username)
    card.get_by_role("button", name="Edit").click()
    edit = card.get_by_role("form", name=f"Edit {merchandiser.username}")
    # Meanwhile another admin renames them.
    assert patch_user(admin, merchandiser.id, display_name="Zhao Min 赵敏 (Shoes)").status_code == 200
    edit.get_by_label("Role").select_option(label="Supervisor")
    edit.get_by_role("button", name="Save").click()
    expect(edit.get_by_role("alert")).to_have_text(
        "Someone else changed this user meanwhile. It is shown as it is now: check it and make your change again.")
    expect(edit.get_by_label("Display name")).to_have_value("Zhao Min 赵敏 (Shoes)")
    expect(edit.get_by_label("Role")).to_have_value("merchandiser")
    expect(card.get_by_role("heading", name="Zhao Min 赵敏 (Shoes)")).to_be_visible()
    check_page(page)
    screenshot(page, "office-user-stale-en")
    # Made again on the user as now, it is saved and keeps the other admin's change.
    edit.get_by_label("Role").select_option(label="Supervisor")
    edit.get_by_role("button", name="Save").click()
    expect(card.locator("[data-role]")).to_have_text("Supervisor")
    listed = next(u for u in admin.get("/api/users").json() if u["id"] == merchandiser.id)
    assert (listed["role"], listed["display_name"]) == ("supervisor", "Zhao Min 赵敏 (Shoes)")
    # An admin's own card offers no deactivation and no role change.
    own = user_card(page, admin.username)
    expect(own).to_contain_text("You")
    expect(own.get_by_role("button", name="Deactivate")).to_have_count(0)


def test_users_in_chinese_on_a_desk_and_a_phone(page: Page, new_context: Callable[..., BrowserContext],
                                                merchandiser: Actor, admin: Actor) -> None:
    office = desk(new_context, locale="zh-CN")
    log_in(office, admin.username)
    open_section(office, "用户", "users")
    expect(office.get_by_role("heading", name="用户", level=1)).to_be_visible()
    user_card(office, merchandiser.username).get_by_role("button", name="编辑").click()
    expect(office.get_by_label("角色")).to_have_count(2)  # the filter and the open form
    check_page(office)
    screenshot(office, "office-users-desk-zh")
    log_in(page, admin.username)
    page.get_by_role("button", name="中文").click()
    open_section(page, "用户", "users")
    page.get_by_role("button", name="新建用户").click()
    page.get_by_role("form", name="新建用户").get_by_label("角色").select_option(label="验货员")
    expect(page.get_by_role("form", name="新建用户").get_by_label("公司")).to_be_visible()
    check_page(page)
    screenshot(page, "office-user-new-zh")


# --- customers --------------------------------------------------------------------------------------------

def test_customers_created_edited_and_a_deletion_refused(page: Page, merchandiser: Actor, admin: Actor) -> None:
    log_in(page, merchandiser.username)
    open_section(page, "Customers", "customers")
    nordic = record_card(page, "NORDIC")
    expect(nordic.locator("[data-aql-level]")).to_have_text("II (standard)")
    expect(nordic.locator("[data-aqls]")).to_have_text("0 (standard) / 2.5 (standard) / 4.0 (standard)")
    check_page(page)
    screenshot(page, "office-customers-en")

    page.get_by_role("button", name="New customer").click()
    form = page.get_by_role("form", name="New customer")
    form.get_by_role("button", name="Create").click()
    expect(field_error(form, "Code")).to_have_text("Needed.")
    form.get_by_label("Code").fill("NORDIC")
    form.get_by_label("Name").fill("Halden Sport AS")
    form.get_by_label("AQL major").select_option("1.5")
    form.get_by_role("button", name="Create").click()
    expect(field_error(form, "Code")).to_have_text("A customer with code 'NORDIC' exists already.")
    check_page(page)
    screenshot(page, "office-customer-new-error-en")
    form.get_by_label("Code").fill("HALDEN")
    form.get_by_role("button", name="Create").click()
    halden = record_card(page, "HALDEN")
    expect(halden.locator("[data-aqls]")).to_have_text("0 (standard) / 1.5 / 4.0 (standard)")
    created = next(c for c in admin.get("/api/customers").json() if c["code"] == "HALDEN")
    assert (created["aql_major"], created["aql_level"]) == ("1.5", None)

    halden.get_by_role("button", name="Edit").click()
    edit = halden.get_by_role("form", name="Edit Halden Sport AS")
    edit.get_by_label("Name").fill("Halden Sport AS (Norway)")
    edit.get_by_label("Inspection level").select_option("III")
    edit.get_by_label("AQL major").select_option("")  # back to the standard
    edit.get_by_role("button", name="Save").click()
    expect(halden.get_by_role("heading", name="Halden Sport AS (Norway)")).to_be_visible()
    expect(halden.locator("[data-aql-level]")).to_have_text("III")
    expect(halden.locator("[data-aqls]")).to_have_text("0 (standard) / 2.5 (standard) / 4.0 (standard)")

    # A stale edit: another tab renamed it meanwhile.
    halden.get_by_role("button", name="Edit").click()
    edit = halden.get_by_role("form", name="Edit Halden Sport AS (Norway)")
    current = next(c for c in admin.get("/api/customers").json() if c["code"] == "HALDEN")
    assert admin.patch(f"/api/customers/{current['id']}", json={"version": current["version"], "name": "Halden AS"}
                       ).status_code == 200
    edit.get_by_label("AQL minor").select_option("6.5")
    edit.get_by_role("button", name="Save").click()
    edit = halden.get_by_role("form", name="Edit Halden AS")  # named as the customer is now
    expect(edit.get_by_role("alert")).to_contain_text("Someone else changed this meanwhile.")
    expect(edit.get_by_label("Name")).to_have_value("Halden AS")
    edit.get_by_role("button", name="Cancel").click()

    # A customer with orders stays; the server says why.
    nordic.get_by_role("button", name="Delete").click()
    nordic.get_by_role("button", name="Yes, delete").click()
    expect(nordic.get_by_role("alert")).to_have_text("This customer has orders; it cannot be deleted.")
    check_page(page)
    halden.get_by_role("button", name="Delete").click()
    halden.get_by_role("button", name="Yes, delete").click()
    expect(halden).to_have_count(0)
    expect(page.locator("[data-notice]")).to_have_text("Halden AS deleted.")
    assert [c["code"] for c in admin.get("/api/customers").json()] == ["NORDIC"]

    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="客户", level=1)).to_be_visible()
    expect(nordic.locator("[data-aqls]")).to_have_text("0（标准） / 2.5（标准） / 4.0（标准）")
    check_page(page)
    screenshot(page, "office-customers-zh")


def test_colour_aliases_of_a_customer_on_a_desk(new_context: Callable[..., BrowserContext], merchandiser: Actor,
                                                admin: Actor) -> None:
    office = desk(new_context)
    log_in(office, merchandiser.username)
    open_section(office, "Customers", "customers")
    nordic = record_card(office, "NORDIC")
    nordic.get_by_role("button", name="Colour aliases").click()
    aliases = nordic.get_by_role("region", name="Colour aliases")
    aliases.get_by_role("button", name="Add alias").click()
    aliases.get_by_label("Name in the packing list").fill("黑色")
    aliases.get_by_label("Order colour").fill("Black")
    aliases.get_by_role("button", name="Save aliases").click()
    expect(aliases.get_by_role("status")).to_have_text("Colour aliases saved.")
    expect(nordic).to_contain_text("1 alias")
    assert admin.get("/api/customers").json()[0]["colour_aliases"] == {"黑色": "Black"}
    check_page(office)
    screenshot(office, "office-customers-desk-en")
    office.get_by_role("button", name="中文").click()
    expect(nordic).to_contain_text("1 个别名")
    check_page(office)
    screenshot(office, "office-customers-desk-zh")


# --- factories and switching ------------------------------------------------------------------------------

def lot(supervisor: Actor, admin: Actor, customer: str, factory: str, po: str, fail: bool = False) -> None:
    """One pre-shipment lot of the factory, submitted: accepted, or rejected by a critical defect."""
    order = admin.post("/api/orders", json=order_body(customer, factory, po))
    assert order.status_code == 201, order.text
    inspection = supervisor.put(f"/api/inspections/{uuid.uuid4()}",
                                json=inspection_body(order.json(), units_inspected=200))
    assert inspection.status_code in (200, 201), inspection.text
    body = inspection.json()
    if fail:
        defect = supervisor.put(f"/api/inspections/{body['id']}/defects/{uuid.uuid4()}",
                                json={"code": "W01", "severity": "critical", "count": 1})
        assert defect.status_code == 201, defect.text
        body = supervisor.get(f"/api/inspections/{body['id']}").json()
    submitted = supervisor.post(f"/api/inspections/{body['id']}/submit", json={"version": body["version"]})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["verdict"] == ("fail" if fail else "pass"), submitted.text


def test_factories_created_edited_and_refused_deletion(page: Page, merchandiser: Actor, admin: Actor) -> None:
    log_in(page, merchandiser.username)
    open_section(page, "Factories", "factories")
    nbt = record_card(page, "NBT")
    expect(nbt.locator("[data-mode]")).to_have_text("Normal inspection")
    expect(nbt.locator("[data-reason]")).to_have_text("No lots yet → normal")
    expect(nbt.get_by_role("button", name="Allow reduced inspection")).to_have_count(0)  # a supervisor's call
    page.get_by_role("button", name="New factory").click()
    form = page.get_by_role("form", name="New factory")
    form.get_by_label("Code").fill("DGK")
    form.get_by_label("Name").fill("Dongguan Knit 东莞针织")
    form.get_by_label("Address").fill("12 Changan Road, Dongguan")
    form.get_by_role("button", name="Create").click()
    dgk = record_card(page, "DGK")
    expect(dgk.locator("[data-mode]")).to_have_text("Normal inspection")
    dgk.get_by_role("button", name="Edit").click()
    edit = dgk.get_by_role("form", name="Edit Dongguan Knit 东莞针织")
    edit.get_by_label("Contact").fill("Ms. Wu 吴女士 +86 769 1234 5678")
    edit.get_by_role("button", name="Save").click()
    expect(dgk).to_contain_text("Ms. Wu 吴女士 +86 769 1234 5678")
    check_page(page)
    page.evaluate("scrollTo(0, 0)")
    screenshot(page, "office-factories-en")
    nbt.get_by_role("button", name="Delete").click()
    nbt.get_by_role("button", name="Yes, delete").click()
    expect(nbt.get_by_role("alert")).to_have_text("This factory has orders; it cannot be deleted.")
    dgk.get_by_role("button", name="Delete").click()
    dgk.get_by_role("button", name="Yes, delete").click()
    expect(dgk).to_have_count(0)
    assert [f["code"] for f in admin.get("/api/factories").json()] == ["NBT"]


def test_supervisor_allows_reduced_inspection(page: Page, new_context: Callable[..., BrowserContext], floor: Floor,
                                              admin: Actor) -> None:
    customer = admin.get("/api/customers").json()[0]["id"]
    steady = admin.post("/api/factories", json={"code": "STD", "name": "Steady Garments 稳定制衣"}).json()["id"]
    shaky = admin.post("/api/factories", json={"code": "SHK", "name": "Shaky Sewing 不稳缝纫"}).json()["id"]
    for n in range(15):  # 2 points a lot on normal inspection (critical AQL 0): 15 lots reach the score of 30
        lot(floor.supervisor, admin, customer, steady, f"STD-{n}")
    for n in range(2):  # 2 of the last 5 lots rejected: tightened
        lot(floor.supervisor, admin, customer, shaky, f"SHK-{n}", fail=True)

    office = desk(new_context)
    log_in(office, floor.supervisor.username)
    open_section(office, "Factories", "factories")
    nbt, std, shk = (record_card(office, code) for code in ("NBT", "STD", "SHK"))
    expect(shk.locator("[data-mode]")).to_have_text("Tightened inspection")
    expect(shk.locator("[data-reason]")).to_have_text("2 of the last 2 lots rejected → tightened")
    expect(shk.locator("[data-rule]")).to_contain_text("Reduced inspection is not possible while tightened")
    expect(std.locator("[data-reason]")).to_have_text(
        "Switching score 30 reached 30, but reduced inspection is not allowed → normal")

    # Allowed before the score is reached: said so, and the state stays normal.
    nbt.get_by_role("button", name="Allow reduced inspection").click()
    expect(nbt.locator("[data-reduced-allowed]")).to_have_text("Reduced inspection: allowed by a supervisor.")
    expect(nbt.locator("[data-rule]")).to_have_text(
        "Allowed: reduced inspection starts once the switching score reaches 30 (now 0).")
    expect(nbt.locator("[data-mode]")).to_have_text("Normal inspection")
    nbt.get_by_role("button", name="Withdraw reduced inspection").click()
    expect(nbt.locator("[data-reduced-allowed]")).to_have_text("Reduced inspection: not allowed.")
    expect(nbt.locator("[data-rule]")).to_contain_text("Reduced inspection needs a switching score of 30 (now 0)")

    # The score is reached: allowing it switches the next lot to reduced.
    std.get_by_role("button", name="Allow reduced inspection").click()
    expect(std.locator("[data-mode]")).to_have_text("Reduced inspection")
    expect(std.locator("[data-reason]")).to_have_text(
        "Switching score 30 reached 30 and reduced inspection is allowed → reduced")
    expect(std.get_by_role("status").filter(has_text="Reduced inspection is now allowed")).to_be_visible()
    state = floor.supervisor.get(f"/api/factories/{steady}/switching").json()
    assert (state["mode"], state["reduced_allowed"]) == ("reduced", True)
    check_page(office)
    office.evaluate("scrollTo(0, 0)")
    screenshot(office, "office-factories-desk-en")

    office.get_by_role("button", name="中文").click()
    expect(std.locator("[data-mode]")).to_have_text("放宽检验")
    expect(std.locator("[data-reason]")).to_have_text("转移得分30已达30且允许放宽检验 → 放宽检验")
    expect(shk.locator("[data-mode]")).to_have_text("加严检验")
    expect(std.get_by_role("status").filter(has_text="已允许该工厂放宽检验。")).to_be_visible()  # worded anew
    check_page(office)
    office.evaluate("scrollTo(0, 0)")
    screenshot(office, "office-factories-desk-zh")

    # On a phone, in Chinese.
    phone = new_context(locale="zh-CN").new_page()
    log_in(phone, floor.supervisor.username)
    open_section(phone, "工厂", "factories")
    expect(record_card(phone, "STD").locator("[data-mode]")).to_have_text("放宽检验")
    record_card(phone, "STD").get_by_role("button", name="撤销放宽检验").click()
    expect(record_card(phone, "STD").locator("[data-mode]")).to_have_text("正常检验")
    expect(record_card(phone, "STD").locator("[data-reason]")).to_have_text("转移得分30已达30，但未允许放宽检验 → 保持正常检验")
    check_page(phone)
    screenshot(phone, "office-factories-zh")
