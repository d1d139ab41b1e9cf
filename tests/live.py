"""The real app under uvicorn on a free port, for tests that need a real socket (tests/races, tests/pwa).

A conftest imports the fixtures it wants: `live_server` (create_app(settings) served in a background thread,
on the test's database) and `client` (an httpx.Client to it, in place of the shared conftest's in-process
TestClient, so the shared fixtures `admin`, `make_actor` and the helpers go over the socket too).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.settings import Settings

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
