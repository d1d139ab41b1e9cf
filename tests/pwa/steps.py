"""What the phone-app tests do again and again: open the app, log in, download, check with axe, take a picture.

The fixtures (the server, the floor, the browser) are in conftest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

from tests.helpers import PASSWORD

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"  # written by the tests, for a person to look at (git ignores them)
AXE = HERE / "vendor" / "axe.min.js"
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.5 Mobile/15E148 Safari/604.1")
FACTORY_NAME = "Ningbo Textile Garment Co. 宁波纺织服装有限公司"


def open_app(page: Page) -> None:
    page.goto("/app/")
    page.wait_for_function("document.documentElement.dataset.ready === 'true'")


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """In either language: the fields by name, the button as the form's submit."""
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    page.locator("main[data-screen=inspections]").wait_for()
    page.wait_for_function("document.querySelectorAll('article.card').length > 0")


def download(page: Page, name: str = "Download for offline use") -> None:
    """Tap the download button and wait until every listed assignment is ready offline."""
    page.get_by_role("button", name=name).click()
    page.wait_for_function("""() => {
        const cards = [...document.querySelectorAll('article.card')];
        return cards.length > 0 && cards.every((c) => c.classList.contains('is-ready'))
            && !document.querySelector('progress');
    }""")


def current_user_id(page: Page) -> str:
    return page.evaluate("import('/app/js/db.js').then((db) => db.getMeta('user')).then((u) => u.id)")


def wait_for_offline_shell(page: Page) -> None:
    """Until the service worker controls the page and has cached the shell and the decoder."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("""async () => {
        const names = await caches.keys();
        return names.some((n) => n.startsWith('floorcheck-shell-')) && names.some((n) => n.startsWith('floorcheck-decoder-'));
    }""")


def card(page: Page, po: str) -> Locator:
    """The card of an assignment on My inspections, by its PO number."""
    return page.locator("article.card", has=page.get_by_text(po, exact=True))


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def small_targets(page: Page) -> list[str]:
    """Visible controls smaller than 44 x 44 CSS px (a checkbox counts by its label, the whole row)."""
    return page.evaluate("""() => [...document.querySelectorAll(
            'button, a[href], input:not([type=checkbox]), select, textarea, label.check')]
        .filter((el) => el.checkVisibility() && !el.closest('[inert]'))
        .map((el) => [el, el.getBoundingClientRect()])
        .filter(([, box]) => box.width < 44 || box.height < 44)
        .map(([el, box]) => `${el.outerHTML.slice(0, 80)} ${Math.round(box.width)}x${Math.round(box.height)}`)""")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def draw_signature(page: Page, canvas: Locator) -> None:
    """A zigzag with the mouse across a signature pad's canvas, in the middle of the screen."""
    canvas.evaluate("(c) => c.scrollIntoView({ block: 'center' })")
    box = canvas.bounding_box()
    assert box
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 20 + i * 22, box["y"] + box["height"] * (0.7 - 0.4 * ((i % 3) / 2)), steps=2)
    page.mouse.up()
