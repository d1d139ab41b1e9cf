"""Twenty bookings at once re-inspect one rejected inspection: one is booked, the others answer 409.

Over real sockets to uvicorn (tests/races/conftest.py), on SQLite and on PostgreSQL: the rule "one live
re-inspection per rejection" holds under a burst, not only one booking after another.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tests.inspections.test_inspections_api import submitted
from tests.races.test_races import CLIENTS, Call, assert_race, burst, conflict, get_ok, report

if TYPE_CHECKING:
    from tests.races.conftest import Floor


async def test_concurrent_re_inspections_of_one_rejection(floor: Floor) -> None:
    submitted(floor, floor.inspection, critical=1)
    review = floor.supervisor.post(f"/api/inspections/{floor.iid}/review",
                                   json={"decision": "rejected", "note": "Needle found in carton 3"})
    assert review.status_code == 200, review.text
    path = f"/api/orders/{floor.order['id']}/inspections"
    calls = [Call("POST", path, json={"id": str(uuid.uuid4()), "type": "pre_shipment",
                                      "assignee_id": floor.inspector.id, "reinspection_of_id": floor.iid})
             for _ in range(CLIENTS)]

    responses = await burst(floor.server, floor.supervisor, calls)

    index, losers = assert_race(responses, floor.server, winner=201, rest=409)
    for response in losers:
        assert conflict(response)["field"] == "reinspection_of_id", response.text
    booked = [i for i in get_ok(floor.supervisor, path) if i["reinspection_of_id"] == floor.iid]
    assert [i["id"] for i in booked] == [responses[index].json()["id"]], report(responses, floor.server)
