"""The sync contract as a phone sees it: merging PUTs, queued edits, tombstones, one transaction per request."""

from __future__ import annotations

import shutil
import sqlite3
import uuid

from litestar.testing import TestClient
from sqlalchemy import select

from api.app import create_app
from api.inspections.models import Defect
from api.orders.models import OrderEvent, PackingList
from api.settings import Settings
from tests.helpers import FAST_HASHING, PASSWORD, assert_problem, in_db, inspection_body, upload_packing_list


def defect_path(inspection, defect_id):  # type: ignore[no-untyped-def]
    return f"/api/inspections/{inspection['id']}/defects/{defect_id}"


def test_a_put_merges_left_out_fields_keep_their_value_and_null_clears(world) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/inspections/{uuid.uuid4()}"
    body = inspection_body(world.orders[1], type="in_process", scheduled_for="2026-12-05", notes="line 3")
    assert world.merchandiser.put(path, json=body).status_code == 201
    # The phone sends only what changed: the date and the notes stay.
    edit = world.merchandiser.put(path, json={"order_id": body["order_id"], "type": "in_process", "version": 1,
                                              "percent_complete": 30})
    assert edit.status_code == 200, edit.text
    assert (edit.json()["scheduled_for"], edit.json()["notes"], edit.json()["version"]) == ("2026-12-05", "line 3", 2)
    cleared = world.merchandiser.put(path, json={"order_id": body["order_id"], "type": "in_process", "version": 2,
                                                 "scheduled_for": None})
    assert cleared.json()["scheduled_for"] is None and cleared.json()["notes"] == "line 3"


def test_edits_queued_offline_carry_n_then_n_plus_1(world, psi) -> None:  # type: ignore[no-untyped-def]
    path = defect_path(psi, uuid.uuid4())
    assert world.inspector.put(path, json={"code": "W01", "severity": "major"}).json()["version"] == 1
    for base, count in ((1, 2), (2, 3), (3, 4)):
        edited = world.inspector.put(path, json={"code": "W01", "severity": "major", "count": count, "version": base})
        assert (edited.status_code, edited.json()["version"], edited.json()["count"]) == (200, base + 1, count)
    # A field left out keeps its value: the count stays 4 when only the note changes.
    noted = world.inspector.put(path, json={"code": "W01", "severity": "major", "note": "seam", "version": 4})
    assert (noted.json()["count"], noted.json()["note"], noted.json()["version"]) == (4, "seam", 5)


def test_a_deleted_finding_is_a_tombstone_left_out_of_reads_and_the_tally(world, psi, settings) -> None:  # type: ignore[no-untyped-def]
    defect_id = uuid.uuid4()
    path = defect_path(psi, defect_id)
    assert world.inspector.put(path, json={"code": "A05", "severity": "critical"}).status_code == 201
    assert world.inspector.get(f"/api/inspections/{psi['id']}/result").json()["overall"] == "fail"
    assert world.inspector.delete(path).status_code == 204
    assert world.inspector.delete(path).status_code == 204  # the phone may retry

    async def stored(session):  # type: ignore[no-untyped-def]
        return await session.get(Defect, defect_id)

    tombstone = in_db(settings.database_url, stored)
    assert tombstone.deleted_at is not None and str(tombstone.deleted_by_id) == world.inspector.id
    assert tombstone.version == 2
    inspection = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    assert inspection["defects"] == [] and inspection["result"]["overall"] != "fail"
    gone = assert_problem(world.inspector.put(path, json={"code": "A05", "severity": "critical", "version": 2}), 409)
    assert gone["deleted"] is True and gone["detail_zh"]


def test_a_failed_request_writes_nothing(world, psi, settings) -> None:  # type: ignore[no-untyped-def]
    """A merchandiser's re-import is written, then refused by the inspections' reaction: nothing of it stays."""
    order = world.orders[0]
    refused = upload_packing_list(world.merchandiser, order, first_serial=500, reason="new cartons")
    assert_problem(refused, 403)

    async def left(session):  # type: ignore[no-untyped-def]
        order_id = uuid.UUID(order["id"])
        lists = list(await session.scalars(select(PackingList.version).where(PackingList.order_id == order_id)))
        imports = list(await session.scalars(select(OrderEvent).where(OrderEvent.kind == "packing_list_imported")))
        return lists, len(imports)

    assert in_db(settings.database_url, left) == ([1], 1)
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json()["carton_seed"] == psi["carton_seed"]


def test_a_writer_that_waits_too_long_for_sqlite_answers_503(tmp_path, sqlite_template) -> None:  # type: ignore[no-untyped-def]
    """Another process holds SQLite's write lock past busy_timeout: 503 with Retry-After, never a 500."""
    path = tmp_path / "locked.sqlite3"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", media_dir=tmp_path / "media",
                        secret_key="test-secret", sqlite_busy_timeout_ms=200, **FAST_HASHING)
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock, held by another process
        try:
            login = client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
        finally:
            other.execute("ROLLBACK")
            other.close()
    problem = assert_problem(login, 503)
    assert login.headers["retry-after"] == "1" and problem["detail_zh"]
