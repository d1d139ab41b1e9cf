"""Small helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from openpyxl import Workbook

from api.barcodes import gs1
from api.db import create_engine, create_sessionmaker

PROBLEM = "application/problem+json"
# The test images live in the repository (tests/data/README.md says where each came from), so a fresh clone runs.
TESTDATA = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("FLOORCHECK_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"
# The cheapest Argon2id cost argon2 accepts, for the many users the tests make and log in (Settings keeps the
# real cost; tests/auth/test_auth.py proves it).
FAST_HASHING = {"password_time_cost": 1, "password_memory_cost": 8, "password_parallelism": 1}

@dataclass
class Actor:
    """A logged-in user making requests through the app."""

    client: TestClient
    id: str
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def request(self, method: str, path: str, **kw: Any) -> Any:
        kw["headers"] = {**self.headers, **kw.get("headers", {})}
        return self.client.request(method, path, **kw)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


def login(client: TestClient, username: str, password: str = PASSWORD) -> Actor:
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    client.cookies.clear()  # each Actor authenticates by its own token, not the shared cookie jar
    return Actor(client, body["user"]["id"], username, body["token"])


def patch_user(admin: Actor, user_id: str, **fields: Any) -> Any:
    """PATCH /api/users/{id} based on the user's version as the admin reads it now (GET /api/users)."""
    version = next(u["version"] for u in admin.get("/api/users").json() if u["id"] == user_id)
    return admin.patch(f"/api/users/{user_id}", json={"version": version, **fields})

@dataclass
class World:
    """Two customers, two factories, one order each with lines, and a user for every role."""

    admin: Actor
    supervisor: Actor
    merchandiser: Actor
    inspector: Actor
    other_inspector: Actor
    factory_user: Actor
    customers: list[dict[str, Any]]
    factories: list[dict[str, Any]]
    orders: list[dict[str, Any]]

def gtin(n: int) -> str:
    body = f"690123400{n:03d}"
    return body + gs1.check_digit(body)


def order_body(customer_id: str, factory_id: str, po: str, **extra: Any) -> dict[str, Any]:
    lines = [{"colour": c, "size": s, "sku": f"{po}-{c[:3].upper()}-{s}", "gtin": gtin(i), "quantity": 120}
             for i, (c, s) in enumerate((c, s) for c in ("Black", "Navy") for s in ("S", "M", "L"))]
    return {"customer_id": customer_id, "factory_id": factory_id, "po_number": po, "style_number": f"ST-{po}",
            "ship_date": "2026-12-20", "destination": "Hamburg", "lines": lines, **extra}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """An RFC 9457 answer with the status, a title and a detail a person can act on."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


async def _in_db(url: str, work: Any) -> Any:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine, writer=True).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


def in_db(url: str, work: Any) -> Any:
    """Run `await work(session)` against the test's database, outside the app."""
    return asyncio.run(_in_db(url, work))


def sscc(serial: int) -> str:
    """A valid SSCC with the test company prefix."""
    body = f"0690123400{serial:07d}"
    return body + gs1.check_digit(body)


def upload_packing_list(actor, order, first_serial=100, reason=None):  # type: ignore[no-untyped-def]
    rows = ["Carton No.,SSCC,SKU,Qty/Ctn,N.W.,G.W."]
    carton, serial = 1, first_serial
    for line in order["lines"]:
        rows.append(f"{carton}-{carton + 9},{sscc(serial)},{line['sku']},12,5.2,6.1")
        carton, serial = carton + 10, serial + 10
    data = {"reason": reason} if reason else None
    return actor.post(f"/api/orders/{order['id']}/packing-list",
                      files={"file": ("list.csv", ("\n".join(rows) + "\n").encode(), "text/csv")}, data=data)


def inspection_body(order, **extra):  # type: ignore[no-untyped-def]
    return {"order_id": order["id"], "type": "pre_shipment", "lot_size": 720, **extra}


def xlsx(rows: list[list[Any]]) -> bytes:
    """An Excel workbook (.xlsx) whose first sheet holds these rows, as a factory's packing list arrives."""
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
