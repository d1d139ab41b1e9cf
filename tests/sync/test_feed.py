"""The change feed through the app: snapshot, increments, tombstones, access, paging and commit order."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from api.db import create_engine, create_sessionmaker
from api.inspections.models import DefectCode
from tests.helpers import assert_problem

FEED = "/api/sync/changes"


def read_all(actor, since=None, limit=500):  # type: ignore[no-untyped-def]
    """Every page until `more` is false: the items in order and the cursor to go on from."""
    items: list[dict[str, Any]] = []
    while True:
        query = {"limit": limit} | ({"since": since} if since else {})
        page = actor.get(FEED, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        since = body["next"]
        if not body["more"]:
            return items, since


def read_until(actor, since, *expected, seconds=20.0):  # type: ignore[no-untyped-def]
    """Read on until the expected (kind, key)s arrived.

    On PostgreSQL the feed holds back changes while any older transaction on the server is still open
    (it never skips one), so under load from other clients a change may arrive a moment later.
    """
    items: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while True:
        page, since = read_all(actor, since)
        items += page
        if set(expected) <= set(by_key(items)) or time.monotonic() > deadline:
            return items, since
        time.sleep(0.1)


def no_news(items, known):  # type: ignore[no-untyped-def]
    """Nothing new: at most items already known again (on PostgreSQL a snapshot's cursor may repeat a few
    changes that committed while an older transaction on the server was still open)."""
    versions = {(i["kind"], i["key"]): i["version"] for i in known}
    return all(versions.get((i["kind"], i["key"])) == i["version"] for i in items)


def kinds(items):  # type: ignore[no-untyped-def]
    found: dict[str, int] = {}
    for item in items:
        found[item["kind"]] = found.get(item["kind"], 0) + 1
    return found


def by_key(items):  # type: ignore[no-untyped-def]
    return {(i["kind"], i["key"]): i for i in items}


def put_defect(actor, inspection, **extra):  # type: ignore[no-untyped-def]
    defect_id = str(uuid.uuid4())
    response = actor.put(f"/api/inspections/{inspection['id']}/defects/{defect_id}",
                         json={"code": "W01", "severity": "major", **extra})
    assert response.status_code == 201, response.text
    return defect_id


def test_the_snapshot_holds_what_the_inspector_needs_offline(world, psi) -> None:  # type: ignore[no-untyped-def]
    defect_id = put_defect(world.inspector, psi)
    items, cursor = read_all(world.inspector)
    found = kinds(items)
    assert found["defect_code"] == 46 and found["checklist_template"] == 1
    assert (found["order"], found["packing_list"], found["inspection"], found["defect"]) == (1, 1, 1, 1)
    keyed = by_key(items)
    head = keyed[("inspection", psi["id"])]["record"]
    assert head["plans"] and len(head["cartons"]) == len(psi["cartons"]) and "defects" not in head
    assert keyed[("defect", defect_id)]["version"] == 1
    assert len(keyed[("packing_list", psi["order"]["id"])]["record"]["cartons"]) == 60
    # Nothing changed since: the next read brings no news.
    assert no_news(read_all(world.inspector, cursor)[0], items)
    # Another inspector keeps only the library.
    assert set(kinds(read_all(world.other_inspector)[0])) == {"defect_code", "checklist_template"}


def test_changes_after_the_cursor_come_in_order_with_tombstones(world, psi) -> None:  # type: ignore[no-untyped-def]
    _, cursor = read_all(world.inspector)
    defect_id = put_defect(world.inspector, psi)
    edited = world.inspector.put(f"/api/inspections/{psi['id']}/defects/{defect_id}",
                                 json={"code": "W01", "severity": "major", "count": 3, "version": 1})
    assert edited.status_code == 200
    items, cursor = read_until(world.inspector, cursor, ("defect", defect_id))
    defect = by_key(items)[("defect", defect_id)]
    assert (defect["version"], defect["record"]["count"]) == (2, 3)
    # Changed twice, sent as it is now: once when both changes are visible together; on PostgreSQL a change held
    # back behind another client's older transaction (see read_until) comes on its own, after the first.
    versions = [i["version"] for i in items if i["kind"] == "defect"]
    assert versions in ([2], [1, 2]), versions

    assert world.inspector.delete(f"/api/inspections/{psi['id']}/defects/{defect_id}").status_code == 204
    items, cursor = read_until(world.inspector, cursor, ("defect", defect_id))
    assert by_key(items)[("defect", defect_id)] == {"kind": "defect", "key": defect_id, "version": 3,
                                                    "record": None, "deleted": True, "inspection_id": psi["id"],
                                                    "order_id": psi["order"]["id"]}
    # The library is everyone's: an admin's edit reaches the inspector.
    world.admin.put("/api/defect-codes/W01", json={"category": "workmanship", "name_en": "Broken stitch (seam)",
                                                  "name_zh": "断线", "default_severity": "major"})
    items, _ = read_until(world.inspector, cursor, ("defect_code", "W01"))
    assert by_key(items)[("defect_code", "W01")]["record"]["name_en"] == "Broken stitch (seam)"


def test_each_item_names_its_inspection_and_order(world, psi) -> None:  # type: ignore[no-untyped-def]
    """A record that arrives alone from the log says where it belongs, as it does inside the snapshot."""
    inspection_id, order_id = psi["id"], psi["order"]["id"]

    def where(item):  # type: ignore[no-untyped-def]
        return item["inspection_id"], item["order_id"]

    snapshot, cursor = read_all(world.inspector)
    for item in snapshot:
        if item["kind"] in ("defect_code", "checklist_template"):
            assert where(item) == (None, None), item["kind"]
        elif item["kind"] in ("order", "packing_list", "spec_sheet"):
            assert where(item) == (None, order_id), item["kind"]
        else:
            assert where(item) == (inspection_id, order_id), item["kind"]

    defect_id = put_defect(world.inspector, psi)
    scan_id = str(uuid.uuid4())
    scanned = world.inspector.post(f"/api/inspections/{inspection_id}/scans", json={
        "id": scan_id, "text": psi["cartons"][0]["barcode"]})
    assert scanned.status_code == 201, scanned.text
    signed = world.inspector.post(f"/api/inspections/{inspection_id}/signatures", json={
        "role": "inspector", "name": "Li Wei", "image_png": None})
    assert signed.status_code == 201, signed.text
    signature = f"{inspection_id}/inspector"
    items, cursor = read_until(world.inspector, cursor, ("defect", defect_id), ("scan", scan_id),
                               ("signature", signature))
    keyed = by_key(items)
    for key in (("defect", defect_id), ("scan", scan_id), ("signature", signature)):
        assert where(keyed[key]) == (inspection_id, order_id), key

    # A tombstone from the log says it too: the phone files it without having seen the record.
    assert world.inspector.delete(f"/api/inspections/{inspection_id}/defects/{defect_id}").status_code == 204
    items, cursor = read_until(world.inspector, cursor, ("defect", defect_id))
    gone = by_key(items)[("defect", defect_id)]
    assert gone["deleted"] is True and where(gone) == (inspection_id, order_id)

    # The inspection leaves the inspector's hands: its tombstone names it and its order.
    current = world.supervisor.get(f"/api/inspections/{inspection_id}").json()
    moved = world.supervisor.put(f"/api/inspections/{inspection_id}", json={
        "order_id": order_id, "type": "pre_shipment", "version": current["version"],
        "assignee_id": world.other_inspector.id})
    assert moved.status_code == 200, moved.text
    items, _ = read_until(world.inspector, cursor, ("inspection", inspection_id))
    head = by_key(items)[("inspection", inspection_id)]
    assert head["deleted"] is True and where(head) == (inspection_id, order_id)


def test_pages_cover_the_snapshot_exactly_once(world, psi) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        put_defect(world.inspector, psi)
    whole, _ = read_all(world.inspector)
    paged, cursor = read_all(world.inspector, limit=10)
    assert sorted(map(repr, paged)) == sorted(map(repr, whole))
    assert no_news(read_all(world.inspector, cursor)[0], whole)


def test_a_reassigned_inspection_leaves_one_phone_and_reaches_the_other(world, psi) -> None:  # type: ignore[no-untyped-def]
    _, mine = read_all(world.inspector)
    _, theirs = read_all(world.other_inspector)
    current = world.supervisor.get(f"/api/inspections/{psi['id']}").json()
    moved = world.supervisor.put(f"/api/inspections/{psi['id']}", json={
        "order_id": current["order"]["id"], "type": "pre_shipment", "version": current["version"],
        "assignee_id": world.other_inspector.id})
    assert moved.status_code == 200, moved.text
    gone, _ = read_until(world.inspector, mine, ("inspection", psi["id"]))
    assert by_key(gone)[("inspection", psi["id"])]["deleted"] is True
    arrived, _ = read_until(world.other_inspector, theirs, ("inspection", psi["id"]), ("order", psi["order"]["id"]))
    found = kinds(arrived)
    assert found["inspection"] >= 1 and found["order"] >= 1 and found["packing_list"] >= 1
    assert by_key(arrived)[("inspection", psi["id"])]["deleted"] is False


def test_the_factory_never_sees_the_picked_cartons_before_submission(world, psi) -> None:  # type: ignore[no-untyped-def]
    scanned = world.inspector.post(f"/api/inspections/{psi['id']}/scans", json={
        "id": str(uuid.uuid4()), "text": psi["cartons"][0]["barcode"]})
    assert scanned.status_code == 201
    items, cursor = read_all(world.factory_user)
    head = by_key(items)[("inspection", psi["id"])]["record"]
    assert head["cartons"] == [] and head["carton_seed"] is None
    assert "scan" not in kinds(items)
    world.inspector.post(f"/api/inspections/{psi['id']}/scans", json={
        "id": str(uuid.uuid4()), "text": psi["cartons"][1]["barcode"]})
    later, _ = read_all(world.factory_user, cursor)
    assert "scan" not in kinds(later)
    assert all(i["record"] is None or i["record"].get("carton_seed") is None for i in later
               if i["kind"] == "inspection")


@pytest.mark.parametrize("since", ["nonsense", "W1swXQ", "WzEsIDIsIDMsIDRd", "WyJhIiwgMV0", "-" * 10])
def test_a_bad_cursor_answers_400(world, since) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(world.inspector.get(FEED, params={"since": since}), 400)
    assert problem["param"] == "since" and problem["detail_zh"]


class HeldTransaction:
    """A writer that holds its transaction open on its own thread until told to commit."""

    def __init__(self, url: str, code: str, name: str) -> None:
        self.written, self.release, self.done = threading.Event(), threading.Event(), threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run(url, code, name)), daemon=True)

    async def _run(self, url: str, code: str, name: str) -> None:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine, writer=True)() as session:
                (await session.scalar(select(DefectCode).where(DefectCode.code == code))).name_en = name
                await session.flush()  # the change row is written, the transaction still open
                self.written.set()
                await asyncio.to_thread(self.release.wait, 30)
                await session.commit()
        finally:
            await engine.dispose()
            self.done.set()


def rename(url: str, code: str, name: str) -> None:
    async def work() -> None:
        engine = create_engine(url)
        try:
            async with create_sessionmaker(engine, writer=True).begin() as session:
                (await session.scalar(select(DefectCode).where(DefectCode.code == code))).name_en = name
        finally:
            await engine.dispose()

    asyncio.run(work())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_change_that_commits_late_is_never_skipped(world, settings) -> None:  # type: ignore[no-untyped-def]
    """A writes first and commits last; B writes and commits in between. A reader between them must wait for A."""
    _, cursor = read_all(world.inspector)
    held = HeldTransaction(settings.database_url, "W02", "Skipped stitch (held)")
    held.thread.start()
    assert held.written.wait(10)
    rename(settings.database_url, "W03", "Open seam (committed first)")
    between, cursor = read_all(world.inspector, cursor)
    # B's row was numbered after A's but committed first: the feed holds it back rather than pass A by.
    assert ("defect_code", "W02") not in by_key(between)
    held.release.set()
    assert held.done.wait(10)
    after, _ = read_until(world.inspector, cursor, ("defect_code", "W02"), ("defect_code", "W03"))
    names = {key: item["record"]["name_en"] for key, item in by_key(between + after).items()}
    assert names[("defect_code", "W02")] == "Skipped stitch (held)"
    assert names[("defect_code", "W03")] == "Open seam (committed first)"
