"""Re-inspection: a booking that names the inspection, rejected on review, whose reworked lot it inspects again.

The rules (each a refusal naming the field reinspection_of_id, in both languages): the inspection exists and is
visible, belongs to the same order, was rejected on review, is its latest revision, and has no live
re-inspection yet (that one is a 409, like a PO number taken, also when two bookings race). A replay of the same
booking answers as the first did. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api.db import migrate
from api.inspections.services import BookingService
from tests.helpers import assert_problem, in_db
from tests.inspections.test_inspections_api import put_defect, sign_both, submitted
from tests.orders.test_tombstones import _downgrade, _run, empty_db  # noqa: F401 - the fixture is used below

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def rejected(world, psi) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    submitted(world, psi, critical=1)
    review = world.supervisor.post(f"/api/inspections/{psi['id']}/review",
                                   json={"decision": "rejected", "note": "Needle found"})
    assert review.status_code == 200, review.text
    return review.json()


def book(actor, order_id: str, assignee_id: str, booking_id: str | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    body = {"id": booking_id or str(uuid.uuid4()), "type": "pre_shipment", "assignee_id": assignee_id,
            "scheduled_for": "2026-12-10", **extra}
    return actor.post(f"/api/orders/{order_id}/inspections", json=body)


def refused(response, status: int = 422) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    problem = assert_problem(response, status)
    assert problem["field"] == "reinspection_of_id" and problem["detail_zh"], problem
    return problem


def test_a_rejected_inspection_is_booked_again_and_the_link_shows_everywhere(world, psi) -> None:  # type: ignore[no-untyped-def]
    order_id = world.orders[0]["id"]
    original = rejected(world, psi)
    booking_id = str(uuid.uuid4())
    first = book(world.merchandiser, order_id, world.inspector.id, booking_id, reinspection_of_id=psi["id"])
    assert first.status_code == 201, first.text
    assert first.json()["reinspection_of_id"] == psi["id"] and first.json()["status"] == "scheduled"

    # A replay of the same booking answers as the first did, even though the rejection is now taken.
    again = book(world.merchandiser, order_id, world.inspector.id, booking_id, reinspection_of_id=psi["id"])
    assert again.status_code == 200 and again.json() == first.json()
    # The same id with other content is another booking under a taken id.
    assert_problem(book(world.merchandiser, order_id, world.inspector.id, booking_id), 409)

    # Every output of an inspection carries the link; the original has none.
    assert world.inspector.get(f"/api/inspections/{booking_id}").json()["reinspection_of_id"] == psi["id"]
    listed = {i["id"]: i for i in world.supervisor.get(f"/api/orders/{order_id}/inspections").json()}
    assert listed[booking_id]["reinspection_of_id"] == psi["id"] and listed[psi["id"]]["reinspection_of_id"] is None
    summaries = {i["id"]: i for i in world.supervisor.get(f"/api/inspections?order_id={order_id}").json()["items"]}
    assert summaries[booking_id]["reinspection_of_id"] == psi["id"]
    # The phone's copy, from the change feed, too.
    feed = world.inspector.get("/api/sync/changes", params={"limit": 500}).json()["items"]
    record = next(i["record"] for i in feed if i["kind"] == "inspection" and i["key"] == booking_id)
    assert record["reinspection_of_id"] == psi["id"]

    # The order's timeline says so, with the link in the event's data.
    booked = [e for e in world.supervisor.get(f"/api/orders/{order_id}/timeline").json()
              if e["kind"] == "inspection_booked" and e["data"]["inspection_id"] == booking_id]
    assert len(booked) == 1 and booked[0]["data"]["reinspection_of_id"] == psi["id"]
    assert "re-inspection" in booked[0]["message"] and original["reviewed_at"][:10] in booked[0]["message"]


def test_one_live_re_inspection_per_rejection_until_it_is_aborted(world, psi) -> None:  # type: ignore[no-untyped-def]
    order_id = world.orders[0]["id"]
    rejected(world, psi)
    first = book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"])
    assert first.status_code == 201, first.text
    second = refused(book(world.supervisor, order_id, world.other_inspector.id, reinspection_of_id=psi["id"]), 409)
    assert "abort" in second["detail"]
    # Aborting the re-inspection frees the rejection for another booking.
    aborted = world.supervisor.post(f"/api/inspections/{first.json()['id']}/abort",
                                    json={"reason": "Rework not finished"})
    assert aborted.status_code == 200, aborted.text
    third = book(world.supervisor, order_id, world.other_inspector.id, reinspection_of_id=psi["id"])
    assert third.status_code == 201, third.text
    refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]), 409)


def test_a_booking_that_loses_the_race_answers_409(world, psi, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two bookings checked at once both find the rejection free; the unique index lets one of them in."""
    order_id = world.orders[0]["id"]
    rejected(world, psi)
    assert book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]).status_code == 201
    real = BookingService._live_reinspection
    calls: list[uuid.UUID] = []

    async def checked_before_the_winner_committed(self, inspection_id):  # type: ignore[no-untyped-def]
        calls.append(inspection_id)
        return None if len(calls) == 1 else await real(self, inspection_id)

    monkeypatch.setattr(BookingService, "_live_reinspection", checked_before_the_winner_committed)
    booking_id = str(uuid.uuid4())
    refused(book(world.supervisor, order_id, world.other_inspector.id, booking_id, reinspection_of_id=psi["id"]),
            409)
    assert len(calls) == 2  # the check, then the explanation of the clash
    monkeypatch.undo()
    # Nothing of the loser was written: its id is free, and the timeline has one booking of a re-inspection.
    assert_problem(world.supervisor.get(f"/api/inspections/{booking_id}"), 404)
    timeline = world.supervisor.get(f"/api/orders/{order_id}/timeline").json()
    assert len([e for e in timeline if e["data"].get("reinspection_of_id") == psi["id"]]) == 1


def test_the_rules_of_a_re_inspection(world, psi) -> None:  # type: ignore[no-untyped-def]
    order_id = world.orders[0]["id"]
    # Not rejected (not even reviewed): said, nothing booked.
    problem = refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]))
    assert problem["state"] == "scheduled" and "rejected" in problem["detail"]
    # Unknown, or an id that is no inspection.
    refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=str(uuid.uuid4())))
    refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=order_id))
    # Another order's inspection, rejected or not: book it on that order.
    other = world.orders[1]
    other_booking = book(world.supervisor, other["id"], world.inspector.id)
    assert other_booking.status_code == 201
    problem = refused(book(world.supervisor, order_id, world.inspector.id,
                           reinspection_of_id=other_booking.json()["id"]))
    assert "another order" in problem["detail"]
    rejected(world, psi)
    problem = refused(book(world.supervisor, other["id"], world.inspector.id, reinspection_of_id=psi["id"]))
    assert "another order" in problem["detail"]
    # A rejected inspection corrected by a revision: the revision is the one to re-inspect.
    revision = world.supervisor.post(f"/api/inspections/{psi['id']}/revisions", json={"id": str(uuid.uuid4())})
    assert revision.status_code == 201, revision.text
    problem = refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]))
    assert "revision" in problem["detail"]
    # Not a number or an id: the 400 of the schema names the field.
    bad = assert_problem(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id="PSI-1"), 400)
    assert "reinspection_of_id" in str(bad)
    # None of these refusals wrote a booking.
    listed = world.supervisor.get(f"/api/orders/{order_id}/inspections").json()
    assert [i["id"] for i in listed if i["reinspection_of_id"]] == []


def test_an_accepted_or_on_hold_inspection_is_not_re_inspected(world, psi) -> None:  # type: ignore[no-untyped-def]
    order_id = world.orders[0]["id"]
    put_defect(world.inspector, psi, "minor")
    submitted(world, psi)
    review = f"/api/inspections/{psi['id']}/review"
    problem = refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]))
    assert problem["state"] == "submitted"
    assert world.supervisor.post(review, json={"decision": "on_hold", "note": "Ask"}).status_code == 200
    assert refused(book(world.supervisor, order_id, world.inspector.id,
                        reinspection_of_id=psi["id"]))["state"] == "on_hold"
    sign_both(world, psi)
    assert world.supervisor.post(review, json={"decision": "accepted"}).status_code == 200
    assert refused(book(world.supervisor, order_id, world.inspector.id,
                        reinspection_of_id=psi["id"]))["state"] == "accepted"


def test_only_staff_book_a_re_inspection(world, psi) -> None:  # type: ignore[no-untyped-def]
    order_id = world.orders[0]["id"]
    rejected(world, psi)
    assert_problem(book(world.inspector, order_id, world.inspector.id, reinspection_of_id=psi["id"]), 403)
    assert_problem(book(world.factory_user, order_id, world.inspector.id, reinspection_of_id=psi["id"]), 403)


def test_a_revision_of_a_re_inspection_keeps_the_link_and_takes_nothing(world, psi) -> None:  # type: ignore[no-untyped-def]
    """A correction of a submitted re-inspection is the same re-inspection: the index does not count it."""
    order_id = world.orders[0]["id"]
    rejected(world, psi)
    booked = book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"])
    assert booked.status_code == 201, booked.text
    again = world.inspector.put(f"/api/inspections/{booked.json()['id']}",
                                json={"order_id": order_id, "type": "pre_shipment", "lot_size": 720, "version": 1})
    assert again.status_code == 200, again.text
    submitted(world, again.json())
    revision = world.supervisor.post(f"/api/inspections/{booked.json()['id']}/revisions",
                                     json={"id": str(uuid.uuid4())})
    assert revision.status_code == 201, revision.text
    assert revision.json()["reinspection_of_id"] == psi["id"]
    refused(book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]), 409)


def test_the_database_keeps_one_live_re_inspection_per_rejection(world, psi, settings) -> None:  # type: ignore[no-untyped-def]
    """The unique index itself, under the service's checks: a second live row is refused, an aborted one is not."""
    order_id = world.orders[0]["id"]
    rejected(world, psi)
    assert book(world.supervisor, order_id, world.inspector.id, reinspection_of_id=psi["id"]).status_code == 201
    table = sa.table("inspections", sa.column("id", sa.Uuid), sa.column("order_id", sa.Uuid),
                     sa.column("type", sa.String), sa.column("status", sa.String), sa.column("version", sa.Integer),
                     sa.column("reinspection_of_id", sa.Uuid), sa.column("created_at", sa.DateTime(timezone=True)),
                     sa.column("updated_at", sa.DateTime(timezone=True)))

    def row(status: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"id": uuid.uuid4(), "order_id": uuid.UUID(order_id), "type": "pre_shipment", "status": status,
                "version": 1, "reinspection_of_id": uuid.UUID(psi["id"]), "created_at": now, "updated_at": now}

    async def insert(session, status):  # type: ignore[no-untyped-def]
        await session.execute(sa.insert(table).values(**row(status)))

    in_db(settings.database_url, lambda s: insert(s, "aborted"))
    with pytest.raises(IntegrityError):
        in_db(settings.database_url, lambda s: insert(s, "scheduled"))


def test_migration_0010_up_down_and_up_again(empty_db) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    def schema(conn: sa.Connection) -> tuple[set[str], dict[str, bool]]:
        inspector = sa.inspect(conn)
        return ({c["name"] for c in inspector.get_columns("inspections")},
                {i["name"]: bool(i["unique"]) for i in inspector.get_indexes("inspections")})

    migrate(empty_db, "0010")
    columns, indexes = _run(empty_db, schema)
    assert "reinspection_of_id" in columns and indexes.get("uq_inspections_live_reinspection") is True
    _downgrade(empty_db, "0009")
    columns, indexes = _run(empty_db, schema)
    assert "reinspection_of_id" not in columns and "uq_inspections_live_reinspection" not in indexes
    migrate(empty_db)
    assert "reinspection_of_id" in _run(empty_db, schema)[0]
