"""The real app under uvicorn on a free port (tests/live.py), and a small inspection set up over HTTP.

`client` is overridden here: inside tests/races it is an httpx.Client talking to the live server, so the
shared fixtures (`admin`, `make_actor`) and helpers (`login`, `upload_packing_list`) go over a real socket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.helpers import Actor, inspection_body, order_body, upload_packing_list
from tests.live import LiveServer, client, live_server  # noqa: F401 - fixtures used by the tests here


@dataclass
class Floor:
    """A supervisor, an inspector, one order with its packing list, and its pre-shipment inspection, started."""

    server: LiveServer
    supervisor: Actor
    inspector: Actor
    order: dict[str, Any]
    inspection: dict[str, Any]

    @property
    def iid(self) -> str:
        return self.inspection["id"]


@pytest.fixture
def floor(live_server: LiveServer, admin: Actor, make_actor) -> Floor:  # type: ignore[no-untyped-def]
    customer = admin.post("/api/customers", json={"code": "C1", "name": "Customer C1"}).json()
    factory = admin.post("/api/factories", json={"code": "F1", "name": "Factory F1"}).json()
    created = admin.post("/api/orders", json=order_body(customer["id"], factory["id"], "PO-1"))
    assert created.status_code == 201, created.text
    order = created.json()
    assert upload_packing_list(admin, order).status_code == 201
    supervisor, inspector = make_actor("supervisor"), make_actor("inspector")
    booking_id = str(uuid.uuid4())
    booked = supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": booking_id, "type": "pre_shipment", "assignee_id": inspector.id})
    assert booked.status_code == 201, booked.text
    started = inspector.put(f"/api/inspections/{booking_id}", json=inspection_body(order, version=1))
    assert started.status_code == 200, started.text
    return Floor(live_server, supervisor, inspector, order, started.json())
