"""Shared fixtures: a real database per test (SQLite file and PostgreSQL), the app, and logged-in users."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from api.auth.models import Role
from api.auth.services import UserService
from api.db import Base, create_engine, create_sessionmaker, migrate
from api.inspections.library import seed_rows
from api.inspections.models import ChecklistTemplate, DefectCode
from api.settings import Settings
from tests.helpers import (
    FAST_HASHING, PASSWORD, PG_URL, Actor, World, inspection_body, login, order_body, upload_packing_list,
)



def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Cheap Argon2 also where settings come from the environment (the CLI, `UserService(session)` alone)."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in FAST_HASHING.items():
            env.setenv(f"FLOORCHECK_{name.upper()}", str(value))
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_proxy_headers_in_uvicorn() -> Iterator[None]:
    """Live servers (tests/races) believe forwarded headers as `floorcheck serve` does: only through the app's
    trusted_proxies setting (api/auth/proxies.py). uvicorn's own proxy-header handling, on by default, would
    believe X-Forwarded-For from 127.0.0.1; it is pointed at an address no test connects from."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FORWARDED_ALLOW_IPS", "192.0.2.1")  # TEST-NET-1: documentation only, never a peer
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "trusted_proxies(*entries): the settings' trusted_proxies for this test "
                                       "(where the test module's `settings` fixture reads it)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(f"sqlite+aiosqlite:///{path}")
    return path


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this run's own, migrated once and dropped at the end."""
    name = f"floorcheck_test_{uuid.uuid4().hex[:10]}"
    try:
        _run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        _run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    """Empty every table and put back the seed data the migrations ship.

    One DELETE statement (a DELETE per table in data-modifying CTEs), not TRUNCATE: on tables this small
    TRUNCATE, which gives every table new files, costs about four times as much. The foreign keys, cycles
    included, are checked once, at the end of the statement.
    """
    engine = create_async_engine(url)
    first, *rest = [f'"{t.name}"' for t in Base.metadata.sorted_tables]
    ctes = ", ".join(f"d{i} AS (DELETE FROM {name})" for i, name in enumerate(rest))
    codes, templates = seed_rows()
    async with engine.begin() as conn:
        await conn.execute(text(f"WITH {ctes} DELETE FROM {first}" if ctes else f"DELETE FROM {first}"))
        await conn.execute(insert(DefectCode), codes)
        await conn.execute(insert(ChecklistTemplate), templates)
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "floorcheck.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("pg_database")
    _run(_truncate(url))
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, media_dir=tmp_path / "media", secret_key="test-secret", **FAST_HASHING)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


async def _create_user(url: str, username: str, role: Role, factory_id: uuid.UUID | None = None) -> uuid.UUID:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine, writer=True).begin() as session:
            service = UserService(session, Settings(**FAST_HASHING))
            return (await service.create(username, PASSWORD, role, username, factory_id)).id
    finally:
        await engine.dispose()




@pytest.fixture
def admin(client: TestClient, settings: Settings) -> Actor:
    _run(_create_user(settings.database_url, "admin", Role.admin))
    return login(client, "admin")


@pytest.fixture
def make_actor(client: TestClient, admin: Actor):  # type: ignore[no-untyped-def]
    """Creates a user through the admin API and logs them in."""

    def make(role: str, username: str | None = None, factory_id: str | None = None) -> Actor:
        username = username or f"{role}-{uuid.uuid4().hex[:6]}"
        body = {"username": username, "password": PASSWORD, "role": role}
        if factory_id:
            body["factory_id"] = factory_id
        response = admin.post("/api/users", json=body)
        assert response.status_code == 201, response.text
        return login(client, username)

    return make






@pytest.fixture
def world(admin: Actor, make_actor) -> World:  # type: ignore[no-untyped-def]
    customers = [admin.post("/api/customers", json={"code": c, "name": f"Customer {c}"}).json() for c in ("C1", "C2")]
    factories = [admin.post("/api/factories", json={"code": f, "name": f"Factory {f}"}).json() for f in ("F1", "F2")]
    orders = [
        admin.post("/api/orders", json=order_body(customers[i]["id"], factories[i]["id"], f"PO-{i + 1}")).json()
        for i in range(2)
    ]
    return World(
        admin=admin, supervisor=make_actor("supervisor"), merchandiser=make_actor("merchandiser"),
        inspector=make_actor("inspector"), other_inspector=make_actor("inspector"),
        factory_user=make_actor("factory", factory_id=factories[0]["id"]),
        customers=customers, factories=factories, orders=orders,
    )


@pytest.fixture
def psi(world):  # type: ignore[no-untyped-def]
    """A booked pre-shipment inspection of PO-1 (720 pcs in 60 cartons), started by its inspector."""
    order = world.orders[0]
    assert upload_packing_list(world.admin, order).status_code == 201
    booking_id = str(uuid.uuid4())
    world.supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": booking_id, "type": "pre_shipment", "assignee_id": world.inspector.id})
    started = world.inspector.put(f"/api/inspections/{booking_id}", json=inspection_body(order, version=1))
    assert started.status_code == 200, started.text
    return started.json()
