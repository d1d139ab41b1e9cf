"""The phone app's foundation in Chromium at 360 × 640: log in, My inspections, the offline download, a reload
with no network, the language, the update banner, IndexedDB, the session, and the accessibility check."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.helpers import PASSWORD, TESTDATA
from tests.pwa.steps import (
    FACTORY_NAME, IPHONE_UA, card, current_user_id, download, log_in, open_app, run_axe, screenshot, small_targets,
    wait_for_offline_shell,
)

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

TODAY_PO, LATER_PO = "PO-24-1187", "PO-24-1203"


def _en(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return f"{date:%b} {date.day}, {date.year}"


def _zh(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return f"{date.year}年{date.month}月{date.day}日"


def test_log_in_lists_todays_and_upcoming_assignments(page: Page, floor: Floor) -> None:
    open_app(page)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.get_by_text("Add to Home Screen")).to_have_count(0)  # not an iPhone
    log_in(page, floor.inspector.username)
    expect(page.get_by_role("heading", name="My inspections")).to_be_visible()

    today = page.get_by_role("region", name="Today").locator("article.card")
    expect(today).to_have_count(1)
    for text in (TODAY_PO, "ST-PO-24-1187", FACTORY_NAME, "Pre-shipment (final)",
                 _en(floor.order["ship_date"]), "Not downloaded"):
        expect(today).to_contain_text(text)
    upcoming = page.get_by_role("region", name="Upcoming").locator("article.card")
    expect(upcoming).to_have_count(1)
    later = (floor.today + dt.timedelta(days=3)).isoformat()
    for text in (LATER_PO, "ST-PO-24-1203", "In-process (DUPRO)", _en(floor.later_order["ship_date"]), _en(later)):
        expect(upcoming).to_contain_text(text)
    # The main actions, by their accessible names, in the bar at the bottom of the screen.
    for name in ("Sync now", "Download for offline use"):
        button = page.get_by_role("button", name=name, exact=True)
        box = button.bounding_box()
        assert box and box["height"] >= 44 and box["y"] + box["height"] <= 640 and box["y"] >= 640 - 100


def test_download_then_reload_with_no_network(page: Page, context: BrowserContext, floor: Floor) -> None:
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page)
    for po in (TODAY_PO, LATER_PO):
        expect(card(page, po)).to_contain_text("Ready offline")
    expect(page.get_by_role("status").filter(has_text="Downloaded")).to_be_visible()
    storage = page.locator("[data-storage]")
    expect(storage).to_contain_text("used of")
    expect(storage).to_contain_text("0 not synced yet")
    wait_for_offline_shell(page)

    stored = page.evaluate("""async (id) => {
        const db = await import('/app/js/db.js');
        const inspection = await db.getRecord('inspection', id);
        const orderId = inspection.record.order.id;
        return {
            inspection: inspection.record.order.po_number,
            byInspection: (await db.recordsOfInspection(id)).map((r) => r.kind),
            byOrder: (await db.recordsOfOrder(orderId)).map((r) => r.kind).sort(),
            cartons: (await db.getRecord('packing_list', orderId)).record.cartons.length,
            defectCodes: (await db.recordsOfKind('defect_code')).length,
            feed: await db.getMeta('feed'),
        };
    }""", floor.inspection_id)
    assert stored["inspection"] == TODAY_PO
    assert "inspection" in stored["byInspection"]
    assert {"order", "packing_list", "inspection"} <= set(stored["byOrder"])
    assert stored["cartons"] == 60 and stored["defectCodes"] > 10
    assert stored["feed"]["cursor"] and stored["feed"]["sweep"] is None and stored["feed"]["synced_at"]
    cached = page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
        }
        return urls;
    }""")
    assert "/app/" in cached and "/app/vendor/zxing-wasm/zxing_reader.wasm" in cached
    assert not [url for url in cached if not url.startswith("/app/")]  # never an /api/ answer: data is in IndexedDB

    context.set_offline(True)
    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(page.get_by_role("heading", name="My inspections")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text("Offline")
    for po, order in ((TODAY_PO, floor.order), (LATER_PO, floor.later_order)):
        expect(card(page, po)).to_contain_text("Ready offline")
        expect(card(page, po)).to_contain_text(_en(order["ship_date"]))
    expect(card(page, TODAY_PO)).to_contain_text(FACTORY_NAME)

    # The decoder works offline too: the vendored wasm, from the service worker's cache. This label is a
    # GS1-128 (zxing-cpp reads the same): the symbology identifier ]C1 is what BarcodeDetector cannot give.
    label = base64.b64encode((TESTDATA / "barcodes" / "code128-1" / "1.png").read_bytes()).decode()
    decoded = page.evaluate("""async (b64) => {
        const { decode } = await import('/app/js/decoder.js');
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const results = await decode(new Blob([bytes], { type: 'image/png' }));
        return results.map((r) => ({ text: r.text, format: r.format, symbology: r.symbologyIdentifier }));
    }""", label)
    assert decoded == [{"text": "168901", "format": "Code128", "symbology": "]C1"}]

    # Sync with no network says so, and keeps everything.
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("Sync failed: No connection to the server.")).to_be_visible()
    expect(card(page, TODAY_PO)).to_contain_text("Ready offline")


def test_language_follows_the_switch_and_is_remembered(page: Page, floor: Floor) -> None:
    open_app(page)
    # One dictionary: every string in both languages (English also has the `_one` plural forms).
    en, zh = page.evaluate("import('/app/js/i18n.js').then((i18n) => [i18n.keys('en'), i18n.keys('zh')])")
    assert set(zh) <= set(en) and {k for k in en if not k.endswith("_one")} == set(zh)
    log_in(page, floor.inspector.username)
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="我的验货")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.title().startswith("我的验货")
    expect(page.get_by_role("button", name="立即同步")).to_be_visible()
    expect(page.get_by_role("button", name="下载离线使用")).to_be_visible()
    expect(card(page, TODAY_PO)).to_contain_text("尾期验货")
    expect(card(page, TODAY_PO)).to_contain_text(_zh(floor.order["ship_date"]))
    expect(card(page, TODAY_PO)).to_contain_text("未下载")

    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(page.get_by_role("heading", name="我的验货")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="My inspections")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"


def test_the_default_language_follows_the_browser(new_context: Callable[..., BrowserContext], floor: Floor) -> None:
    page = new_context(locale="zh-CN").new_page()
    open_app(page)
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_role("button", name="登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "zh-CN"


def test_errors_are_told_in_the_users_language(page: Page, context: BrowserContext, floor: Floor,
                                               client: httpx.Client) -> None:
    refused = client.post("/api/auth/login", json={"username": floor.inspector.username, "password": "wrong"})
    assert refused.status_code == 401 and refused.json()["detail_zh"]
    open_app(page)
    page.get_by_label("Username").fill(floor.inspector.username)
    page.get_by_label("Password", exact=True).fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text(refused.json()["detail"])

    page.get_by_role("button", name="中文").click()
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text(refused.json()["detail_zh"])

    context.set_offline(True)  # no answer at all is not an error of the server
    expect(page.get_by_text("当前离线，登录需要网络。")).to_be_visible()
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("无法连接服务器。")


def test_a_401_returns_to_the_login_and_keeps_the_phones_data(page: Page, floor: Floor) -> None:
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page)
    # The session ends on the server (as when it expires, or an admin resets the password).
    assert page.evaluate("fetch('/api/auth/logout', { method: 'POST' }).then((r) => r.status)") == 204
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Your session has ended")
    expect(page.get_by_label("Username")).to_have_value(floor.inspector.username)
    assert page.evaluate("import('/app/js/db.js').then((db) => db.recordsOfKind('inspection'))")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The same user again: everything is still there, no download needed.
    for po in (TODAY_PO, LATER_PO):
        expect(card(page, po)).to_contain_text("Ready offline")


def test_record_and_outbox_entry_are_written_together_or_not_at_all(page: Page, floor: Floor) -> None:
    code = floor.inspector.get("/api/defect-codes").json()[0]
    open_app(page)
    log_in(page, floor.inspector.username)
    result = page.evaluate("""async ({ inspectionId, userId, code, severity }) => {
        const db = await import('/app/js/db.js');
        const write = (record, body, key) => db.saveWithOutbox({
            kind: 'defect', key, record, userId, inspectionId,
            operation: { kind: 'defect', key: { inspection_id: inspectionId, defect_id: key }, body },
        });
        const body = { code, severity, count: 2, note: 'open seam' };
        const key = crypto.randomUUID();
        const saved = await write({ ...body, id: key }, body, key);
        const again = await write({ ...body, id: key, count: 3 }, { ...body, count: 3 }, key);
        const failures = [];
        for (const [record, bad] of [[{ ...body }, { ...body, oops: () => 1 }], [{ oops: () => 1 }, body]]) {
            try { await write(record, bad, crypto.randomUUID()); failures.push('written'); }
            catch (error) { failures.push(error.name); }
        }
        const database = await db.db();
        return {
            saved, again,
            record: await db.getRecord('defect', key),
            outbox: await db.outboxOf(userId),
            records: (await database.getAll('records')).filter((r) => r.kind === 'defect').length,
            failures,
        };
    }""", {"inspectionId": floor.inspection_id, "userId": current_user_id(page), "code": code["code"],
           "severity": code["default_severity"]})
    key = result["saved"]["key"]
    assert result["again"]["key"] == key
    assert len(key) == 36 and uuid.UUID(key).version == 4  # crypto.randomUUID()
    assert result["failures"] == ["DataCloneError", "DataCloneError"]
    # Only the two good writes are there: both outbox entries, one record (pending twice), nothing of the others.
    assert result["records"] == 1
    record = result["record"]
    assert record["pending"] == 2 and record["record"]["count"] == 3 and record["inspection_id"] == floor.inspection_id
    outbox = result["outbox"]
    assert [entry["id"] for entry in outbox] == [result["saved"]["outboxId"], result["again"]["outboxId"]]
    first = outbox[0]
    assert first["user_id"] == floor.inspector.id and first["attempts"] == 0 and first["last_error"] is None
    assert first["created_at"] and first["operation"]["base_version"] == 0
    # The entry is an operation of the batch push as it stands: the server takes it.
    pushed = page.evaluate("""async (operations) => {
        const answer = await fetch('/api/sync/push', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                        body: JSON.stringify({ operations }) });
        return (await answer.json()).results.map((r) => [r.status, r.problem]);
    }""", [outbox[0]["operation"]])
    assert pushed == [[201, None]], pushed


def test_logging_out_warns_about_unsynced_work_and_keeps_it(page: Page, floor: Floor) -> None:
    open_app(page)
    log_in(page, floor.inspector.username)
    download(page)
    user_id = current_user_id(page)
    page.evaluate("""async ({ userId, inspectionId }) => {
        const db = await import('/app/js/db.js');
        const key = crypto.randomUUID();
        await db.saveWithOutbox({ kind: 'defect', key, userId, inspectionId, record: { note: 'x' },
            operation: { kind: 'defect', key: { inspection_id: inspectionId, defect_id: key }, body: {} } });
    }""", {"userId": user_id, "inspectionId": floor.inspection_id})
    page.get_by_role("button", name="Log out").click()
    warning = page.get_by_role("alertdialog", name="Unsynced work")
    expect(warning).to_contain_text("One change of yours is not synced yet")
    warning.get_by_role("button", name="Cancel").click()
    expect(warning).to_have_count(0)
    expect(page.get_by_role("heading", name="My inspections")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log out anyway").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert page.evaluate("(id) => import('/app/js/db.js').then((db) => db.countOutbox(id))", user_id) == 1

    # Another inspector on the same phone sees none of the first one's work, and never pushes it.
    page.get_by_label("Username").fill(floor.other_inspector.username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("No inspections are assigned to you.")).to_be_visible()
    left = page.evaluate("""(id) => import('/app/js/db.js').then(async (db) => ({
        outbox: await db.countOutbox(id),
        records: (await (await db.db()).getAllFromIndex('records', 'by_user', id)).map((r) => r.kind),
    }))""", user_id)
    assert left == {"outbox": 1, "records": ["defect"]}  # only the unsynced record stayed


def test_the_feed_is_paged_and_brings_tombstones(page: Page, floor: Floor) -> None:
    open_app(page)
    log_in(page, floor.inspector.username)
    progress = page.evaluate("""async () => {
        const { pullFeed } = await import('/app/js/feed.js');
        const db = await import('/app/js/db.js');
        const user = await db.getMeta('user');
        const pages = [];
        await pullFeed(user.id, { limit: 1, onProgress: (p) => pages.push(p) });
        return pages;
    }""")
    # A snapshot page holds whole entries: the library, then one inspection with all it needs, then the other.
    assert len(progress) == 3 and [p["more"] for p in progress] == [True, True, False]
    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(card(page, TODAY_PO)).to_contain_text("Ready offline")

    # The supervisor gives the first inspection to someone else: it leaves this phone's list.
    current = floor.supervisor.get(f"/api/inspections/{floor.inspection_id}").json()
    moved = floor.supervisor.put(f"/api/inspections/{floor.inspection_id}", json={
        "order_id": floor.order["id"], "type": "pre_shipment", "version": current["version"],
        "assignee_id": floor.other_inspector.id})
    assert moved.status_code == 200, moved.text
    page.get_by_role("button", name="Sync now").click()
    expect(card(page, TODAY_PO)).to_have_count(0)
    expect(card(page, LATER_PO)).to_contain_text("Ready offline")
    gone = page.evaluate("(id) => import('/app/js/db.js').then((db) => db.getRecord('inspection', id))",
                         floor.inspection_id)
    assert gone["deleted"] is True and gone["record"] is None


def test_a_new_version_is_offered_and_waits_for_unsaved_input(page: Page, floor: Floor, static_copy: Path) -> None:
    open_app(page)
    wait_for_offline_shell(page)
    first = page.evaluate("import('/app/js/sw-client.js').then((m) => m.controllerVersion())")
    page.get_by_label("Username").fill("half-typed")  # unsaved input

    worker = static_copy / "sw.js"
    worker.write_text(worker.read_text().replace("const VERSION = '", "const VERSION = 'next-", 1))
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = page.get_by_role("button", name="Update ready — reload")
    expect(banner).to_be_visible()
    screenshot(page, "update-banner-en")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("button", name="有可用更新 — 重新加载")).to_be_visible()
    screenshot(page, "update-banner-zh")
    page.get_by_role("button", name="English").click()

    page.evaluate("window.__samePage = true")
    banner.click()
    expect(page.get_by_role("alert")).to_have_text("Save or clear what you are typing first. The update waits.")
    screenshot(page, "update-banner-waits-en")
    assert page.evaluate("window.__samePage === true")
    expect(page.get_by_label("Username")).to_have_value("half-typed")
    assert page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")

    page.get_by_label("Username").fill("")  # cleared: nothing to lose now
    expect(page.get_by_role("alert")).to_have_count(0)
    banner.click()
    page.wait_for_function("window.__samePage === undefined && document.documentElement.dataset.ready === 'true'")
    page.wait_for_function("import('/app/js/sw-client.js').then((m) => m.controllerVersion()).then((v) => v !== null)")
    second = page.evaluate("import('/app/js/sw-client.js').then((m) => m.controllerVersion())")
    assert second == f"next-{first}"
    expect(page.get_by_role("button", name="Update ready — reload")).to_have_count(0)
    caches = sorted(page.evaluate("caches.keys()"))
    assert caches == ["floorcheck-decoder-zxing-wasm-3.1.6", f"floorcheck-shell-next-{first}"]


def test_an_iphone_not_installed_is_told_how_to_add_it(new_context: Callable[..., BrowserContext],
                                                      floor: Floor) -> None:
    page = new_context(user_agent=IPHONE_UA).new_page()
    open_app(page)
    hint = page.get_by_role("complementary", name="Install on this iPhone")
    expect(hint).to_contain_text("Add to Home Screen")
    screenshot(page, "ios-hint-en")
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("complementary", name="安装到 iPhone")).to_contain_text("添加到主屏幕")
    screenshot(page, "ios-hint-zh")
    page.get_by_role("button", name="English").click()
    hint.get_by_role("button", name="OK").click()
    expect(hint).to_have_count(0)
    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(hint).to_have_count(0)  # dismissed for good


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screens_pass_axe_and_are_photographed(new_context: Callable[..., BrowserContext], floor: Floor,
                                               lang: str) -> None:
    """Every screen of this step at 360 × 640, checked by axe-core and saved for a person to look at."""
    context = new_context(locale="en-US" if lang == "en" else "zh-CN")
    page = context.new_page()
    open_app(page)
    assert run_axe(page) == [] and small_targets(page) == []
    screenshot(page, f"login-{lang}")
    log_in(page, floor.inspector.username)
    assert run_axe(page) == [] and small_targets(page) == []
    screenshot(page, f"inspections-{lang}")
    download(page, "Download for offline use" if lang == "en" else "下载离线使用")
    page.locator("[data-storage]").wait_for()
    assert run_axe(page) == []
    screenshot(page, f"inspections-ready-{lang}")
    page.locator("[data-storage]").scroll_into_view_if_needed()
    screenshot(page, f"inspections-storage-{lang}")
    page.evaluate("""async ({ inspectionId }) => {
        const db = await import('/app/js/db.js');
        const user = await db.getMeta('user');
        const key = crypto.randomUUID();
        await db.saveWithOutbox({ kind: 'defect', key, userId: user.id, inspectionId, record: {},
            operation: { kind: 'defect', key: { inspection_id: inspectionId, defect_id: key }, body: {} } });
    }""", {"inspectionId": floor.inspection_id})
    page.locator(".panel button").click()  # Log out, with one change unsynced
    page.get_by_role("alertdialog").wait_for()
    assert run_axe(page) == [] and small_targets(page) == []
    screenshot(page, f"logout-warning-{lang}")
    page.keyboard.press("Escape")  # stays logged in
    wait_for_offline_shell(page)
    context.set_offline(True)
    page.reload()
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")
    page.locator("article.card.is-ready").first.wait_for()
    assert run_axe(page) == []
    screenshot(page, f"inspections-offline-{lang}")
