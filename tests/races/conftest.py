"""The real app under uvicorn on a free port, and a small inspection set up over HTTP.

`client` is overridden here: inside tests/races it is an httpx.Client talking to the live server, so the
shared fixtures (`admin`, `make_actor`) and helpers (`login`, `upload_packing_list`) go over a real socket.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.settings import Settings
from tests.helpers import Actor, inspection_body, order_body, upload_packing_list

# Loggers whose errors mean the server failed a request: the app's own "unhandled error", uvicorn's
# "Exception in ASGI application", and Litestar's.
SERVER_LOGGERS = ("floorcheck", "uvicorn.error", "litestar")


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class LiveServer:
    url: str
    settings: Settings
    log: _ErrorLog = field(default_factory=_ErrorLog)

    @property
    def sqlite(self) -> bool:
        return self.settings.database_url.startswith("sqlite")

    @property
    def errors(self) -> list[str]:
        """Errors (with tracebacks) the server logged since it started."""
        return list(self.log.lines)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """create_app(settings) served by uvicorn in a background thread, on the test's database."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # a free port, held from now on: no race for it
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_config=None, loop="asyncio", http="h11", ws="none",
                            lifespan="on", timeout_graceful_shutdown=10)
    server = uvicorn.Server(config)
    live = LiveServer(f"http://127.0.0.1:{port}", settings)
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for logger in loggers:
        logger.addHandler(live.log)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    try:
        _wait_for_health(live.url, thread)
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
        for logger in loggers:
            logger.removeHandler(live.log)
    assert not thread.is_alive(), "uvicorn did not shut down"


def _wait_for_health(url: str, thread: threading.Thread, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited while starting")
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"{url}/health did not answer 200 within {timeout} s: {last}")


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    """Over a real socket to the live server (the shared conftest's `client` is an in-process TestClient)."""
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        yield http


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
