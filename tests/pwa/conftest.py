"""The phone app in a real browser against the real server.

Debian's chromium, driven by Playwright's sync API (Playwright never downloads a browser here), in a mobile
context of 360 × 640 with touch, against the app under uvicorn (tests/live.py) on a SQLite file database.
The server serves a copy of static/pwa made for each test, so a test can publish a "new version" of the app
without touching the repository.

Playwright's sync API marks the thread's event loop as running while it is alive, so `asyncio.run()` (which
the shared fixtures use to create users) fails in the meantime. The browser is therefore started after the
data are set up: `browser` depends on `floor`, and tests set up anything else over HTTP.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request, sync_playwright

from api.settings import Settings
from tests.helpers import FAST_HASHING, PASSWORD, Actor, login, order_body, upload_packing_list
from tests.live import LiveServer, client, live_server  # noqa: F401 - fixtures used by the tests here
from tests.pwa.steps import FACTORY_NAME

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 360, "height": 640}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the UI does not depend on the database server (the API tests cover PostgreSQL)."""
    path = tmp_path / "floorcheck.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def static_copy(tmp_path: Path) -> Path:
    """static/pwa copied for this test (static/docs beside it, as the app expects)."""
    target = tmp_path / "static"
    shutil.copytree(STATIC / "pwa", target / "pwa")
    (target / "docs").symlink_to(STATIC / "docs", target_is_directory=True)
    return target / "pwa"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, static_copy: Path) -> Settings:
    return Settings(database_url=db_url, media_dir=tmp_path / "media", secret_key="test-secret",
                    static_dir=static_copy, **FAST_HASHING)


@dataclass
class Floor:
    """An inspector with two assignments: a pre-shipment inspection today and an in-process check later."""

    server: LiveServer
    supervisor: Actor
    inspector: Actor
    other_inspector: Actor
    order: dict[str, Any]
    inspection_id: str
    later_order: dict[str, Any]
    later_id: str
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def url(self) -> str:
        return self.server.url


def _user(admin: Actor, client: httpx.Client, role: str, display_name: str, company: str | None = None) -> Actor:
    username = f"{role}-{uuid.uuid4().hex[:6]}"
    body = {"username": username, "password": PASSWORD, "role": role, "display_name": display_name}
    if company:
        body["company"] = company
    created = admin.post("/api/users", json=body)
    assert created.status_code == 201, created.text
    return login(client, username)  # type: ignore[arg-type]


@pytest.fixture
def floor(live_server: LiveServer, client: httpx.Client, admin: Actor) -> Floor:
    today = dt.date.today()
    customer = admin.post("/api/customers", json={"code": "NORDIC", "name": "Nordic Outdoor AB"}).json()
    factory = admin.post("/api/factories", json={"code": "NBT", "name": FACTORY_NAME}).json()
    orders = []
    for po, days in (("PO-24-1187", 18), ("PO-24-1203", 30)):
        body = order_body(customer["id"], factory["id"], po, ship_date=(today + dt.timedelta(days=days)).isoformat())
        created = admin.post("/api/orders", json=body)
        assert created.status_code == 201, created.text
        orders.append(created.json())
        assert upload_packing_list(admin, created.json()).status_code == 201
    supervisor = _user(admin, client, "supervisor", "Chen Jing 陈静")
    inspector = _user(admin, client, "inspector", "Li Wei 李伟", "QA Partners Ltd")
    other = _user(admin, client, "inspector", "Wang Fang 王芳", "QA Partners Ltd")
    ids = []
    for order, kind, days in ((orders[0], "pre_shipment", 0), (orders[1], "in_process", 3)):
        booking_id = str(uuid.uuid4())
        booked = supervisor.post(f"/api/orders/{order['id']}/inspections", json={
            "id": booking_id, "type": kind, "assignee_id": inspector.id,
            "scheduled_for": (today + dt.timedelta(days=days)).isoformat()})
        assert booked.status_code == 201, booked.text
        ids.append(booking_id)
    return Floor(live_server, supervisor, inspector, other, orders[0], ids[0], orders[1], ids[1], today)


@pytest.fixture
def browser(request: pytest.FixtureRequest, live_server: LiveServer) -> Iterator[Browser]:
    """Debian's chromium, started after the floor's data are set up where a test asks for them (see the
    module's docstring); a test that needs no data (tests/pwa/test_logic.py) gets none."""
    if "floor" in request.fixturenames:
        request.getfixturevalue("floor")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run scripts/system-deps --test")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watch:
    """What a browser context did that a test must not let pass: page errors and requests off the origin."""

    origin: str
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def request(self, request: Request) -> None:
        if not request.url.startswith((self.origin + "/", "data:", "blob:")):
            self.foreign.append(request.url)

    def console(self, message: ConsoleMessage) -> None:
        # A failed fetch while offline is logged by the browser itself; it is not the app's error.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"console: {message.text}")


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(**options): a phone context; every page it opens is watched for errors."""
    contexts: list[tuple[BrowserContext, Watch]] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, **{**PHONE, "locale": "en-US", **options})
        watch = Watch(live_server.url)
        context.on("request", watch.request)
        context.on("page", lambda page: _watch_page(page, watch))
        contexts.append((context, watch))
        return context

    yield make
    for context, watch in contexts:
        context.close()
    problems = [(w.errors, w.foreign) for _, w in contexts if w.errors or w.foreign]
    assert not problems, f"page errors / requests off the origin: {problems}"
    assert not live_server.errors, live_server.errors


def _watch_page(page: Page, watch: Watch) -> None:
    page.on("pageerror", lambda error: watch.errors.append(f"pageerror: {error}"))
    page.on("console", watch.console)


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page
