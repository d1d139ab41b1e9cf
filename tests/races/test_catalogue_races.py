"""Twenty clients at once against customers, factories and orders: one edit of a version wins, one create of a code.

Over real sockets to uvicorn (tests/races/conftest.py), on SQLite and on PostgreSQL. No answer may be a 5xx,
except a 503 with Retry-After on SQLite (a writer that waited longer than busy_timeout; nothing was written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import Actor, order_body
from tests.races.test_races import CLIENTS, Call, assert_race, burst, conflict, get_ok, report

if TYPE_CHECKING:
    from tests.races.conftest import LiveServer


def created(actor: Actor, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = actor.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def edits_of_one_version(server: LiveServer, admin: Actor, path: str, field: str,
                               stored: Any) -> None:
    """CLIENTS edits of `field` based on version 1, each with another value: one wins, the rest get 409."""
    values = [f"Edit by client {n}" for n in range(CLIENTS)]

    responses = await burst(server, admin, [Call("PATCH", path, json={"version": 1, field: v}) for v in values])

    index, conflicts = assert_race(responses, server, winner=200, rest=409)
    won = responses[index].json()
    assert (won["version"], won[field]) == (2, values[index]), won
    for response in conflicts:
        body = conflict(response)
        assert body["current_version"] == 2 and body["detail_zh"], body
        assert (body["current"]["id"], body["current"]["version"], body["current"][field]) == (
            won["id"], 2, values[index]), body["current"]
    assert (stored()["version"], stored()[field]) == (2, values[index])


@pytest.mark.parametrize("kind", ["customers", "factories"])
async def test_concurrent_edits_of_one_customer_or_factory_version(live_server: LiveServer, admin: Actor,
                                                                   kind: str) -> None:
    record = created(admin, f"/api/{kind}", {"code": "RACE", "name": "Before"})
    assert record["version"] == 1

    def stored() -> dict[str, Any]:
        [found] = [r for r in get_ok(admin, f"/api/{kind}") if r["id"] == record["id"]]
        return found

    await edits_of_one_version(live_server, admin, f"/api/{kind}/{record['id']}", "name", stored)


async def test_concurrent_edits_of_one_order_version(live_server: LiveServer, admin: Actor) -> None:
    # tests/races/test_races.py races inspections, defects and answers, not the order's own PATCH.
    customer = created(admin, "/api/customers", {"code": "C1", "name": "Customer C1"})
    factory = created(admin, "/api/factories", {"code": "F1", "name": "Factory F1"})
    order = created(admin, "/api/orders", order_body(customer["id"], factory["id"], "PO-RACE"))
    path = f"/api/orders/{order['id']}"

    await edits_of_one_version(live_server, admin, path, "destination", lambda: get_ok(admin, path))
    updates = [e for e in get_ok(admin, f"{path}/timeline") if e["kind"] == "order_updated"]
    assert len(updates) == 1, updates  # the losers' events went with their transactions


@pytest.mark.parametrize("kind", ["customers", "factories"])
async def test_concurrent_identical_creates_of_one_code(live_server: LiveServer, admin: Actor, kind: str) -> None:
    body = {"code": "SAME", "name": "Same code"}

    responses = await burst(live_server, admin, [Call("POST", f"/api/{kind}", json=body)] * CLIENTS)

    index, clashes = assert_race(responses, live_server, winner=201, rest=409)
    won = responses[index].json()
    assert (won["code"], won["version"]) == ("SAME", 1), won
    for response in clashes:
        assert conflict(response)["field"] == "code", response.text
    listed = [r for r in get_ok(admin, f"/api/{kind}") if r["code"] == "SAME"]
    assert listed == [won], report(responses, live_server)
