"""Follow-ups (整改) in Chromium: the list across orders with overdue ones first, closing one with a note and a real
photo, the closed list with that photo; a factory sees only its own factory's; the server's refusal said plainly;
the list of one order from the order's page."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.helpers import Actor
from tests.pwa.conftest import _user
from tests.pwa.steps import screenshot
from tests.pwa.test_office import LATER_PO, OTHER_PO, Office, check_page, log_in, office  # noqa: F401 - the fixture

if TYPE_CHECKING:
    from tests.pwa.conftest import Floor

PHOTO = Path(__file__).resolve().parents[1] / "data" / "exif" / "Portrait_0.jpg"


@dataclass
class FollowUps:
    """Follow-ups of a submitted in-process inspection at NBT (the floor's factory) and one at another factory."""

    nbt_inspection: str
    stitch: str  # W01, owned by NBT's QA, overdue by 3 days
    hole: str  # F01, nobody named, overdue by 10 days
    stain: str  # F05, owned by the supervisor, due in 5 days
    other: str  # W03 at the other factory, owned by the merchandiser, due in 2 days


def record(actor: Actor, order: dict[str, Any], defects: list[dict[str, Any]]) -> tuple[str, list[str]]:
    inspection_id = str(uuid.uuid4())
    body = {"order_id": order["id"], "type": "in_process", "lot_size": None, "production_stage": "sewing",
            "percent_complete": 60}
    put = actor.put(f"/api/inspections/{inspection_id}", json=body)
    assert put.status_code == 201, put.text
    ids = []
    for defect in defects:
        defect_id = str(uuid.uuid4())
        answer = actor.put(f"/api/inspections/{inspection_id}/defects/{defect_id}",
                           json={"severity": "major", "count": 2, "follow_up": True, **defect})
        assert answer.status_code == 201, answer.text
        ids.append(defect_id)
    version = actor.get(f"/api/inspections/{inspection_id}").json()["version"]
    submitted = actor.post(f"/api/inspections/{inspection_id}/submit", json={"version": version})
    assert submitted.status_code == 200, submitted.text
    return inspection_id, ids


@pytest.fixture
def follow_ups(floor: Floor, office: Office) -> FollowUps:
    day = lambda n: (dt.date.today() + dt.timedelta(days=n)).isoformat()  # noqa: E731
    nbt, (stitch, hole, stain) = record(floor.supervisor, floor.later_order, [
        {"code": "W01", "follow_up_owner_id": office.factory_user.id, "follow_up_due": day(-3),
         "note": "Broken stitch at the side seam", "location": "Side seam"},
        {"code": "F01", "follow_up_due": day(-10), "note": "Hole near the pocket"},
        {"code": "F05", "severity": "minor", "follow_up_owner_id": floor.supervisor.id, "follow_up_due": day(5)},
    ])
    _, (other,) = record(floor.supervisor, office.other_order, [
        {"code": "W03", "follow_up_owner_id": office.merchandiser.id, "follow_up_due": day(2)}])
    return FollowUps(nbt, stitch, hole, stain, other)


def open_follow_ups(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="Follow-ups", exact=True).click()
    page.locator("main[data-screen=follow-ups]").wait_for()


def cards(page: Page) -> Locator:
    return page.locator("main[data-screen=follow-ups] article[data-follow-up]")


def test_supervisor_sees_overdue_first_and_closes_one_with_a_photo(page: Page, floor: Floor, office: Office,
                                                                   follow_ups: FollowUps) -> None:
    log_in(page, floor.supervisor.username)
    open_follow_ups(page)
    expect(cards(page)).to_have_count(4)
    expect(page.get_by_role("status").filter(has_text="4 follow-ups")).to_be_visible()
    # Overdue first (the longest overdue first), said in words; then by due date.
    assert cards(page).evaluate_all("(els) => els.map((e) => e.dataset.followUp)") == [
        follow_ups.hole, follow_ups.stitch, follow_ups.other, follow_ups.stain]
    expect(page.locator("[data-overdue]")).to_have_count(2)
    stitch = page.locator(f"article[data-follow-up='{follow_ups.stitch}']")
    expect(stitch.get_by_role("heading")).to_have_text("W01 · Broken stitch")
    expect(stitch.locator("[data-overdue]")).to_have_text("Overdue")
    expect(stitch.locator("[data-owner]")).to_have_text("NBT QA")
    expect(stitch).to_contain_text("Broken stitch at the side seam")
    expect(stitch.get_by_role("link", name=LATER_PO)).to_have_attribute("href", f"#/orders/{floor.later_order['id']}")
    expect(page.locator(f"article[data-follow-up='{follow_ups.stain}'] [data-owner]")).to_have_text("You")
    expect(page.locator(f"article[data-follow-up='{follow_ups.hole}'] [data-owner]")).to_have_text("Nobody named")
    check_page(page)
    screenshot(page, "office-follow-ups-en")

    # Close the broken stitch: a note is needed; a real photo is prepared, uploaded with its progress, and shown.
    stitch.get_by_role("button", name="Close this follow-up").click()
    form = stitch.get_by_role("form")
    form.get_by_role("button", name="Close follow-up").click()
    expect(form.locator(".field-error")).to_have_text("Say what was done before closing.")
    form.get_by_role("textbox", name="What was done (required)").fill("Resewn the side seams; checked 20 pcs, all good")
    form.locator("input[name=photos]").set_input_files(str(PHOTO))
    expect(form.get_by_role("img", name="Photo 1")).to_be_visible()
    check_page(page)
    screenshot(page, "office-follow-up-close-en")
    form.get_by_role("button", name="Close follow-up").click()
    expect(page.locator("[data-closed-ok]")).to_have_text("Follow-up W01 closed.")
    expect(cards(page)).to_have_count(3)
    expect(page.locator(f"article[data-follow-up='{follow_ups.stitch}']")).to_have_count(0)

    closed = floor.supervisor.get("/api/follow-ups?closed=true").json()
    assert [(f["id"], f["closed_note"], len(f["closed_photo_ids"])) for f in closed] == [
        (follow_ups.stitch, "Resewn the side seams; checked 20 pcs, all good", 1)]
    photo = floor.supervisor.get(f"/api/photos/{closed[0]['closed_photo_ids'][0]}")
    assert photo.status_code == 200, photo.text
    assert photo.json()["defect_id"] == follow_ups.stitch

    # The closed list: the closing note, when, and the photo itself.
    page.get_by_role("button", name="Closed", exact=True).click()
    expect(cards(page)).to_have_count(1)
    done = page.locator(f"article[data-follow-up='{follow_ups.stitch}']")
    expect(done.locator("[data-closing-note]")).to_have_text("Resewn the side seams; checked 20 pcs, all good")
    expect(done.locator("[data-closed-at]")).not_to_be_empty()
    thumb = done.get_by_role("img", name="Photo 1 of the fix")
    expect(thumb).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    expect(done.get_by_role("button", name="Close this follow-up")).to_have_count(0)
    check_page(page)
    screenshot(page, "office-follow-ups-closed-en")


def test_factory_sees_only_its_own_and_closes_what_it_owns(page: Page, floor: Floor, office: Office,
                                                           follow_ups: FollowUps) -> None:
    log_in(page, office.factory_user.username)
    open_follow_ups(page)
    expect(cards(page)).to_have_count(3)  # NBT's three; never the other factory's
    expect(page.locator(f"article[data-follow-up='{follow_ups.other}']")).to_have_count(0)
    expect(page.locator(f"article[data-follow-up='{follow_ups.stitch}'] [data-owner]")).to_have_text("You")
    expect(page.locator(f"article[data-follow-up='{follow_ups.stain}'] [data-owner]")).to_have_text("Someone else")
    # It closes what it owns only.
    expect(page.get_by_role("button", name="Close this follow-up")).to_have_count(1)
    page.get_by_role("checkbox", name="Mine only").check()
    expect(cards(page)).to_have_count(1)
    check_page(page)
    stitch = page.locator(f"article[data-follow-up='{follow_ups.stitch}']")
    stitch.get_by_role("button", name="Close this follow-up").click()
    stitch.get_by_role("textbox", name="What was done (required)").fill("Side seams resewn")
    stitch.locator("input[name=take_photo]").set_input_files(str(PHOTO))
    expect(stitch.get_by_role("img", name="Photo 1")).to_be_visible()
    stitch.get_by_role("button", name="Close follow-up").click()
    expect(page.locator("[data-closed-ok]")).to_have_text("Follow-up W01 closed.")
    expect(page.get_by_text("No open follow-ups.")).to_be_visible()
    assert len(office.factory_user.get("/api/follow-ups").json()) == 2
    assert office.factory_user.get(f"/api/follow-ups?order_id={office.other_order['id']}").json() == []


def test_a_refusal_is_said_plainly_and_an_order_narrows_the_list(page: Page, floor: Floor, office: Office,
                                                                 follow_ups: FollowUps, admin: Actor,
                                                                 client: httpx.Client) -> None:
    # A merchandiser who does not answer for the other order may read its follow-ups, not close them.
    other = _user(admin, client, "merchandiser", "Sun Li 孙丽")
    log_in(page, other.username)
    page.goto(f"/app/#/follow-ups?order_id={office.other_order['id']}")
    expect(page.locator("[data-order-filter]")).to_contain_text(f"Only order {OTHER_PO}")
    expect(cards(page)).to_have_count(1)
    card = page.locator(f"article[data-follow-up='{follow_ups.other}']")
    expect(card.locator("[data-owner]")).to_have_text("Zhao Min 赵敏")
    card.get_by_role("button", name="Close this follow-up").click()
    card.get_by_role("textbox", name="What was done (required)").fill("Done")
    card.get_by_role("button", name="Close follow-up").click()
    expect(card.locator("[data-form-error]")).to_contain_text("Only the assigned inspector, the order's merchandiser")
    check_page(page)
    screenshot(page, "office-follow-up-refused-en")
    page.get_by_role("link", name="Show all orders").click()
    expect(page.locator("[data-order-filter]")).to_have_count(0)
    expect(cards(page)).to_have_count(4)
    page.get_by_role("checkbox", name="Mine only").check()
    expect(page.get_by_text("No open follow-ups.")).to_be_visible()

    # From the order's page: "Work on these follow-ups" opens the list of that order.
    page.goto(f"/app/#/orders/{floor.later_order['id']}")
    page.get_by_role("link", name="Work on these follow-ups").click()
    expect(page.locator("[data-order-filter]")).to_contain_text(f"Only order {LATER_PO}")
    expect(cards(page)).to_have_count(3)


def test_follow_ups_in_both_languages_and_sizes(new_context: Any, floor: Floor, office: Office,
                                                follow_ups: FollowUps) -> None:
    closed = floor.supervisor.post(f"/api/inspections/{follow_ups.nbt_inspection}/defects/{follow_ups.hole}/close",
                                   json={"note": "Panel replaced 更换裁片"})
    assert closed.status_code == 200, closed.text
    for width, height, tag in ((360, 640, "phone"), (1280, 800, "desk")):
        for locale, lang in (("en-US", "en"), ("zh-CN", "zh")):
            page = new_context(viewport={"width": width, "height": height}, locale=locale).new_page()
            page.set_default_timeout(15_000)
            log_in(page, floor.supervisor.username)
            page.goto("/app/#/follow-ups")
            expect(cards(page)).to_have_count(3)
            if lang == "zh":
                expect(page.get_by_role("heading", level=1)).to_have_text("整改跟进")
                expect(page.locator("[data-overdue]")).to_have_text("已逾期")
                expect(cards(page).first.get_by_role("heading")).to_have_text("W01 · 断线")
            check_page(page)
            screenshot(page, f"office-follow-ups-{tag}-{lang}")
            page.get_by_role("button", name="已关闭" if lang == "zh" else "Closed", exact=True).click()
            expect(page.locator("[data-closing-note]")).to_have_text("Panel replaced 更换裁片")
            check_page(page)
            screenshot(page, f"office-follow-ups-closed-{tag}-{lang}")
            page.context.close()
