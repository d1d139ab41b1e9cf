"""The follow-ups list (open, closed, one owner's) and a spec sheet's point codes, through the API."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import assert_problem, inspection_body

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def dupro_with_follow_ups(world, order, defects):  # type: ignore[no-untyped-def]
    inspection_id = str(uuid.uuid4())
    body = inspection_body(order, type="in_process", lot_size=None, production_stage="sewing", percent_complete=50)
    inspection = world.merchandiser.put(f"/api/inspections/{inspection_id}", json=body).json()
    ids = []
    for extra in defects:
        defect_id = str(uuid.uuid4())
        answer = world.merchandiser.put(f"/api/inspections/{inspection_id}/defects/{defect_id}",
                                        json={"code": "W01", "severity": "major", "follow_up": True, **extra})
        assert answer.status_code == 201, answer.text
        ids.append(defect_id)
    submitted = world.merchandiser.post(f"/api/inspections/{inspection_id}/submit",
                                        json={"version": inspection["version"]})
    assert submitted.status_code == 200, submitted.text
    return inspection_id, ids


def test_open_closed_and_one_owners_follow_ups(world) -> None:  # type: ignore[no-untyped-def]
    own, (first, second, third) = dupro_with_follow_ups(world, world.orders[0], [
        {"follow_up_owner_id": world.factory_user.id, "follow_up_due": "2026-11-20"},
        {"follow_up_owner_id": world.supervisor.id, "follow_up_due": "2026-11-10"},
        {}])
    _, (elsewhere,) = dupro_with_follow_ups(world, world.orders[1], [{"follow_up_owner_id": world.factory_user.id}])
    ids = lambda answer: [f["id"] for f in answer.json()]  # noqa: E731
    assert ids(world.supervisor.get("/api/follow-ups")) in ([second, first, third, elsewhere],
                                                             [second, first, elsewhere, third])
    assert ids(world.supervisor.get("/api/follow-ups?closed=true")) == []
    # Each names its order's PO, so that a list across orders needs no call per order.
    assert {(f["order_id"], f["po_number"]) for f in world.supervisor.get("/api/follow-ups").json()} == {
        (o["id"], o["po_number"]) for o in world.orders[:2]}
    assert ids(world.supervisor.get(f"/api/follow-ups?owner_id={world.factory_user.id}")) == [first, elsewhere]
    # A factory sees its own factory's only, whoever owns them.
    assert ids(world.factory_user.get("/api/follow-ups")) == [second, first, third]

    # The supervisor closes one; the factory user closes the one it owns, and not what another owns.
    for actor, defect_id, note in ((world.supervisor, third, "Fixed first"),
                                   (world.factory_user, first, "Fixed second")):
        closed = actor.post(f"/api/inspections/{own}/defects/{defect_id}/close", json={"note": note})
        assert closed.status_code == 200, closed.text
    assert_problem(world.factory_user.post(f"/api/inspections/{own}/defects/{second}/close", json={"note": "x"}), 403)
    closed = world.supervisor.get("/api/follow-ups?closed=true").json()
    assert [(f["id"], f["closed_note"]) for f in closed] == [(first, "Fixed second"), (third, "Fixed first")]
    assert ids(world.supervisor.get("/api/follow-ups")) == [second, elsewhere]
    assert ids(world.supervisor.get(f"/api/follow-ups?closed=true&order_id={world.orders[1]['id']}")) == []
    assert ids(world.factory_user.get(f"/api/follow-ups?closed=true&owner_id={world.factory_user.id}")) == [first]
    assert_problem(world.supervisor.get("/api/follow-ups?closed=maybe"), 400)


def test_a_spec_sheet_names_each_point_once(world) -> None:  # type: ignore[no-untyped-def]
    path = f"/api/orders/{world.orders[0]['id']}/spec-sheet"
    point = {"code": "A", "name": "Chest", "tol_minus": "1", "specs": {"M": "52"}}
    refused = world.merchandiser.put(path, json={"points": [point, {**point, "name": "Length"}]})
    assert assert_problem(refused, 422)["field"] == "points[1].code"
    assert world.merchandiser.get(path).status_code == 404  # nothing half-written
    assert world.merchandiser.put(path, json={"points": [point, {**point, "code": "B"}]}).status_code == 201
