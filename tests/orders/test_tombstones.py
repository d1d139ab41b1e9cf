"""Deleting customers, factories, orders and order lines leaves tombstones that every read leaves out."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from api.auth.models import User
from api.db import MIGRATIONS, create_engine, create_sessionmaker, migrate
from api.errors import Conflict, DomainError, Invalid
from api.inspections.models import Inspection
from api.orders.models import Customer, Factory, Order, OrderLine
from api.orders.services import CatalogueService, OrderService, PackingListService
from tests.helpers import PG_URL, assert_problem, gtin, in_db, order_body, upload_packing_list


def stored(settings, model: Any, record_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The row as the database holds it, tombstone or not."""

    async def work(session):  # type: ignore[no-untyped-def]
        row = await session.get(model, uuid.UUID(record_id))
        return {"deleted_at": row.deleted_at, "deleted_by_id": row.deleted_by_id and str(row.deleted_by_id),
                "version": row.version}

    return in_db(settings.database_url, work)


def rows_with(settings, column: Any, value: Any) -> int:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return await session.scalar(sa.select(sa.func.count()).where(column == value))

    return in_db(settings.database_url, work)


def assert_tombstone(row: dict[str, Any], by: str, version: int) -> None:
    assert row["deleted_at"] is not None and row["deleted_by_id"] == by and row["version"] == version
    assert abs((datetime.now(UTC) - row["deleted_at"]).total_seconds()) < 60


def test_a_deleted_line_is_a_tombstone_and_its_sku_is_free(world, settings) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    path = f"/api/orders/{order['id']}"
    red = {"colour": "Red", "size": "XL", "sku": "PO-1-RED-XL", "gtin": gtin(50), "quantity": 60}
    line = world.merchandiser.post(f"{path}/lines", json=red).json()
    assert world.merchandiser.delete(f"{path}/lines/{line['id']}").status_code == 204
    assert_tombstone(stored(settings, OrderLine, line["id"]), world.merchandiser.id, version=2)

    read = world.admin.get(path).json()
    assert [x["sku"] for x in read["lines"]] == [x["sku"] for x in order["lines"]]
    assert read["total_quantity"] == 720 and read["version"] == 3  # line added, line removed
    assert_problem(world.merchandiser.patch(f"{path}/lines/{line['id']}", json={"quantity": 5}), 404)

    # Deleting again is fine and changes nothing: not the tombstone, not the order, not the timeline.
    assert world.admin.delete(f"{path}/lines/{line['id']}").status_code == 204
    assert_tombstone(stored(settings, OrderLine, line["id"]), world.merchandiser.id, version=2)
    assert world.admin.get(path).json()["version"] == 3
    kinds = [e["kind"] for e in world.admin.get(f"{path}/timeline").json()]
    assert kinds.count("line_removed") == 1
    assert_problem(world.admin.delete(f"{path}/lines/{uuid.uuid4()}"), 404)

    # The SKU is free again; the tombstone stays beside the new line.
    again = world.merchandiser.post(f"{path}/lines", json=red)
    assert again.status_code == 201 and again.json()["id"] != line["id"]
    assert rows_with(settings, OrderLine.sku, "PO-1-RED-XL") == 2
    assert_problem(world.merchandiser.post(f"{path}/lines", json=red), 409)  # but only once among live lines
    # An edit may also take a deleted line's SKU.
    first = order["lines"][0]
    assert world.admin.delete(f"{path}/lines/{first['id']}").status_code == 204
    second = order["lines"][1]
    renamed = world.admin.patch(f"{path}/lines/{second['id']}", json={"sku": first["sku"]})
    assert renamed.status_code == 200 and renamed.json()["sku"] == first["sku"]


def test_a_new_line_goes_after_the_last_live_line(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    path = f"/api/orders/{order['id']}"
    middle = order["lines"][2]
    assert world.admin.delete(f"{path}/lines/{middle['id']}").status_code == 204
    world.admin.post(f"{path}/lines", json={"colour": "Red", "size": "XL", "sku": "NEW", "quantity": 1})
    skus = [x["sku"] for x in world.admin.get(path).json()["lines"]]
    assert skus == [x["sku"] for x in order["lines"] if x["id"] != middle["id"]] + ["NEW"]


def test_a_deleted_order_is_a_tombstone_that_no_read_shows(world, settings) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[1]
    path = f"/api/orders/{order['id']}"
    assert world.merchandiser.delete(path).status_code == 204
    assert_tombstone(stored(settings, Order, order["id"]), world.merchandiser.id, version=2)
    for line in order["lines"]:  # the lines stay as they were: they went with their order
        assert stored(settings, OrderLine, line["id"])["deleted_at"] is None

    missing = world.admin.get(f"/api/orders/{uuid.uuid4()}").json()
    for actor in (world.admin, world.merchandiser):
        response = actor.get(path)
        assert_problem(response, 404)
        assert response.json()["detail"] == missing["detail"]
        assert_problem(actor.get(f"{path}/timeline"), 404)
        assert_problem(actor.get(f"{path}/packing-list"), 404)
    assert_problem(world.admin.patch(path, json={"version": 2, "destination": "Antwerp"}), 404)
    assert_problem(world.admin.post(f"{path}/lines", json={"colour": "Red", "size": "S", "sku": "X", "quantity": 1}),
                   404)
    line = order["lines"][0]
    assert_problem(world.admin.patch(f"{path}/lines/{line['id']}", json={"quantity": 5}), 404)
    assert_problem(world.admin.delete(f"{path}/lines/{line['id']}"), 404)
    assert upload_packing_list(world.admin, order).status_code == 404

    # Lists, filters and the text search leave it out.
    listed = world.admin.get("/api/orders").json()
    assert listed["total"] == 1 and [o["po_number"] for o in listed["items"]] == ["PO-1"]
    assert world.admin.get(f"/api/orders?customer_id={world.customers[1]['id']}").json()["total"] == 0
    assert world.admin.get(f"/api/orders?factory_id={world.factories[1]['id']}").json()["total"] == 0
    assert world.admin.get("/api/orders?q=PO-2").json()["total"] == 0
    assert world.admin.get("/api/orders?q=ST-PO-2").json()["total"] == 0
    assert world.admin.get("/api/orders?status=confirmed").json()["total"] == 1

    # Deleting again is fine; the PO number is free for the customer again.
    assert world.admin.delete(path).status_code == 204
    assert_tombstone(stored(settings, Order, order["id"]), world.merchandiser.id, version=2)
    assert_problem(world.admin.delete(f"/api/orders/{uuid.uuid4()}"), 404)
    body = order_body(world.customers[1]["id"], world.factories[1]["id"], "PO-2")
    again = world.admin.post("/api/orders", json=body)
    assert again.status_code == 201 and again.json()["id"] != order["id"]
    assert rows_with(settings, Order.po_number, "PO-2") == 2
    assert_problem(world.admin.post("/api/orders", json=body), 409)
    assert world.admin.get("/api/orders?q=PO-2").json()["total"] == 1


def test_only_staff_delete_orders_and_a_hidden_order_stays_hidden(world) -> None:  # type: ignore[no-untyped-def]
    o1, o2 = world.orders
    assert_problem(world.factory_user.delete(f"/api/orders/{o1['id']}"), 403)  # sees it, may not change it
    assert_problem(world.factory_user.delete(f"/api/orders/{o2['id']}"), 404)  # not its factory's order
    assert world.admin.get(f"/api/orders/{o1['id']}").status_code == 200


def test_orders_with_history_and_packed_lines_are_refused(world, settings) -> None:  # type: ignore[no-untyped-def]
    o1, o2 = world.orders
    # An inspection: the inspections table is read by name, without the foreign key that used to refuse.
    booked = world.supervisor.post(f"/api/orders/{o1['id']}/inspections", json={
        "id": str(uuid.uuid4()), "type": "in_process", "assignee_id": world.inspector.id})
    assert booked.status_code == 201, booked.text
    assert_problem(world.admin.delete(f"/api/orders/{o1['id']}"), 409)
    # A packing list, and a line packed in its cartons.
    assert upload_packing_list(world.admin, o2).status_code == 201
    assert_problem(world.admin.delete(f"/api/orders/{o2['id']}"), 409)
    packed = o2["lines"][0]
    assert_problem(world.admin.delete(f"/api/orders/{o2['id']}/lines/{packed['id']}"), 409)
    for order in (o1, o2):
        assert stored(settings, Order, order["id"])["deleted_at"] is None
        assert world.admin.get(f"/api/orders/{order['id']}").status_code == 200
    assert stored(settings, OrderLine, packed["id"])["deleted_at"] is None


def test_a_packing_list_matches_and_reconciles_only_live_lines(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    gone = order["lines"][-1]
    assert world.admin.delete(f"/api/orders/{order['id']}/lines/{gone['id']}").status_code == 204
    # A list still naming the deleted SKU is refused: that SKU is not on the order any more.
    problem = assert_problem(upload_packing_list(world.admin, order), 422)
    assert any(gone["sku"] in e["message"] for e in problem["errors"])
    live = {**order, "lines": order["lines"][:-1]}
    imported = upload_packing_list(world.admin, live)
    assert imported.status_code == 201, imported.text
    reconciliation = imported.json()["reconciliation"]
    assert [r["sku"] for r in reconciliation["lines"]] == [x["sku"] for x in live["lines"]]
    assert reconciliation["total_ordered"] == 600 and reconciliation["status"] == "exact"


@pytest.mark.parametrize("kind", ["customers", "factories"])
def test_a_deleted_customer_or_factory_is_a_tombstone_and_its_code_can_come_back(
        world, settings, kind) -> None:  # type: ignore[no-untyped-def]
    model = Customer if kind == "customers" else Factory
    spare = world.admin.post(f"/api/{kind}", json={"code": "Z9", "name": "Spare"}).json()
    edited = world.admin.patch(f"/api/{kind}/{spare['id']}", json={"version": 1, "name": "Spare one"})
    assert edited.status_code == 200
    assert stored(settings, model, spare["id"])["version"] == 2  # an edit raises the version too
    assert world.merchandiser.delete(f"/api/{kind}/{spare['id']}").status_code == 204
    assert_tombstone(stored(settings, model, spare["id"]), world.merchandiser.id, version=3)
    assert "Z9" not in [x["code"] for x in world.admin.get(f"/api/{kind}").json()]
    assert_problem(world.admin.patch(f"/api/{kind}/{spare['id']}", json={"version": 3, "name": "Back"}), 404)
    assert world.admin.delete(f"/api/{kind}/{spare['id']}").status_code == 204  # deleting twice is fine
    assert_tombstone(stored(settings, model, spare["id"]), world.merchandiser.id, version=3)

    # A new order cannot name it; the code is free for a new record, once.
    customer, factory = world.customers[0]["id"], world.factories[0]["id"]
    body = order_body(spare["id"] if kind == "customers" else customer,
                      spare["id"] if kind == "factories" else factory, "PO-Z9")
    field = "customer_id" if kind == "customers" else "factory_id"
    assert assert_problem(world.admin.post("/api/orders", json=body), 422)["field"] == field
    again = world.admin.post(f"/api/{kind}", json={"code": "Z9", "name": "Spare again"})
    assert again.status_code == 201 and again.json()["id"] != spare["id"]
    assert "Z9" in [x["code"] for x in world.admin.get(f"/api/{kind}").json()]
    assert rows_with(settings, model.code, "Z9") == 2
    twice = world.admin.post(f"/api/{kind}", json={"code": "Z9", "name": "Twice"})
    assert assert_problem(twice, 409)["field"] == "code"
    # An edit may take a deleted record's code as well.
    other = world.admin.post(f"/api/{kind}", json={"code": "Z8", "name": "Other"}).json()
    assert world.admin.delete(f"/api/{kind}/{other['id']}").status_code == 204
    assert world.admin.patch(f"/api/{kind}/{again.json()['id']}", json={"version": 1, "code": "Z8"}).json()["code"] == "Z8"


def test_refused_while_live_orders_or_users_need_them(world) -> None:  # type: ignore[no-untyped-def]
    (c1, c2), (f1, f2) = world.customers, world.factories
    for path in (f"/api/customers/{c2['id']}", f"/api/factories/{f2['id']}"):
        assert "orders" in assert_problem(world.admin.delete(path), 409)["detail"]
    # Once its only order is deleted, a customer or factory can go: a deleted order does not hold it.
    assert world.admin.delete(f"/api/orders/{world.orders[1]['id']}").status_code == 204
    assert world.admin.delete(f"/api/customers/{c2['id']}").status_code == 204
    assert world.admin.delete(f"/api/factories/{f2['id']}").status_code == 204
    # F1 has a user account, even without orders.
    assert world.admin.delete(f"/api/orders/{world.orders[0]['id']}").status_code == 204
    assert "user accounts" in assert_problem(world.admin.delete(f"/api/factories/{f1['id']}"), 409)["detail"]
    assert world.admin.delete(f"/api/customers/{c1['id']}").status_code == 204
    assert world.admin.get("/api/customers").json() == []
    assert [f["code"] for f in world.admin.get("/api/factories").json()] == ["F1"]


# --- a deletion against a concurrent write that would refer to the record ------------------------------------
# The foreign keys refused these while deletion was a DELETE; with tombstones, row locks do (PostgreSQL) or the
# writers take turns (SQLite). The first transaction writes and stays open; the deletion starts meanwhile, must
# wait for it, and then see what it wrote.


async def _while_open(url: str, first: Any, second: Any) -> DomainError | None:
    """Run `first` in a transaction kept open while `second` starts; `second` must wait. What `second` raised."""
    engine = create_engine(url)
    maker = create_sessionmaker(engine, writer=True)

    async def then() -> DomainError | None:
        async with maker() as session:
            try:
                async with session.begin():
                    await second(session)
            except DomainError as exc:
                return exc
        return None

    try:
        async with maker() as session:
            async with session.begin():
                await first(session)
                waiting = asyncio.create_task(then())
                await asyncio.sleep(0.5)
                assert not waiting.done(), "the deletion did not wait for the open transaction"
        return await waiting
    finally:
        await engine.dispose()


async def _user(session: Any, actor: Any) -> User:
    return await session.get(User, uuid.UUID(actor.id))


def test_no_customer_deleted_under_a_new_order(world, settings) -> None:  # type: ignore[no-untyped-def]
    spare = world.admin.post("/api/customers", json={"code": "C9", "name": "Spare"}).json()

    async def create_order(session: Any) -> None:
        body = order_body(spare["id"], world.factories[0]["id"], "PO-RACE")
        values = {k: v for k, v in body.items() if k != "lines"} | {
            "customer_id": uuid.UUID(spare["id"]), "factory_id": uuid.UUID(body["factory_id"]), "ship_date": None}
        await OrderService(session, await _user(session, world.admin)).create(values, [])

    async def delete_customer(session: Any) -> None:
        await CatalogueService(session, Customer, await _user(session, world.admin)).delete(uuid.UUID(spare["id"]))

    refused = asyncio.run(_while_open(settings.database_url, create_order, delete_customer))
    assert isinstance(refused, Conflict) and "has orders" in refused.detail
    assert world.admin.get("/api/orders?q=PO-RACE").json()["total"] == 1

    # The other way round: the order waits for the deletion, then finds the customer gone.
    world.admin.delete(f"/api/orders/{world.admin.get('/api/orders?q=PO-RACE').json()['items'][0]['id']}")
    refused = asyncio.run(_while_open(settings.database_url, delete_customer, create_order))
    assert isinstance(refused, Invalid) and refused.extra.get("field") == "customer_id"
    assert world.admin.get("/api/orders?q=PO-RACE").json()["total"] == 0


def test_no_order_deleted_under_a_new_inspection(world, settings) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[1]

    async def book(session: Any) -> None:
        session.add(Inspection(id=uuid.uuid4(), order_id=uuid.UUID(order["id"]), type="in_process"))
        await session.flush()

    async def delete_order(session: Any) -> None:
        await OrderService(session, await _user(session, world.admin)).delete(uuid.UUID(order["id"]))

    refused = asyncio.run(_while_open(settings.database_url, book, delete_order))
    assert isinstance(refused, Conflict) and "inspections" in refused.detail
    assert stored(settings, Order, order["id"])["deleted_at"] is None


def test_no_line_deleted_under_an_import(world, settings) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    rows = ["Carton No.,SKU,Qty/Ctn"] + [f"{n + 1},{line['sku']},120" for n, line in enumerate(order["lines"])]

    async def import_list(session: Any) -> None:
        await PackingListService(session, await _user(session, world.admin)).import_file(
            uuid.UUID(order["id"]), "list.csv", ("\n".join(rows) + "\n").encode())

    async def delete_line(session: Any) -> None:
        await OrderService(session, await _user(session, world.admin)).delete_line(
            uuid.UUID(order["id"]), uuid.UUID(order["lines"][0]["id"]))

    refused = asyncio.run(_while_open(settings.database_url, import_list, delete_line))
    assert isinstance(refused, Conflict) and "packed" in refused.detail
    assert len(world.admin.get(f"/api/orders/{order['id']}").json()["lines"]) == 6


# --- the migration -----------------------------------------------------------------------------------------

LIVE_INDEXES = {"customers": "uq_customers_live_code", "factories": "uq_factories_live_code",
                "orders": "uq_orders_live_customer_id_po_number", "order_lines": "uq_order_lines_live_order_id_sku"}
OLD_CONSTRAINTS = {"customers": "uq_customers_code", "factories": "uq_factories_code",
                   "orders": "uq_orders_customer_id_po_number", "order_lines": "uq_order_lines_order_id_sku"}


def _customers(*extra: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table("customers", sa.column("id", sa.Uuid), sa.column("code", sa.String), sa.column("name", sa.String),
                    sa.column("created_at", sa.DateTime(timezone=True)), *extra)


CUSTOMERS = _customers()


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, with no migrations applied yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"floorcheck_migration_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _downgrade(url: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.downgrade(cfg, revision)


def _run(url: str, work: Any) -> Any:
    async def main() -> Any:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _schema(conn: sa.Connection) -> dict[str, Any]:
    inspector = sa.inspect(conn)
    return {table: {"indexes": {i["name"]: bool(i["unique"]) for i in inspector.get_indexes(table)},
                    "unique": {u["name"] for u in inspector.get_unique_constraints(table)},
                    "columns": {c["name"] for c in inspector.get_columns(table)}}
            for table in LIVE_INDEXES}


def _customer(code: str, deleted: bool = False) -> dict[str, Any]:
    row = {"id": uuid.uuid4(), "code": code, "name": code, "created_at": datetime.now(UTC)}
    return row | ({"deleted_at": datetime.now(UTC)} if deleted else {})


def test_migration_0006_up_down_and_up_again(empty_db) -> None:  # type: ignore[no-untyped-def]
    migrate(empty_db, "0005")
    _run(empty_db, lambda c: c.execute(sa.insert(CUSTOMERS), [_customer("K1")]))
    migrate(empty_db, "0006")

    schema = _run(empty_db, _schema)
    for table, index in LIVE_INDEXES.items():
        assert schema[table]["indexes"].get(index) is True, table
        assert OLD_CONSTRAINTS[table] not in schema[table]["unique"], table
        assert {"deleted_at", "deleted_by_id", "version"} <= schema[table]["columns"], table
    # The customer from before keeps its row, as version 1; a tombstone frees its code, a live twin does not.
    tombstoned = _customers(sa.column("deleted_at", sa.DateTime(timezone=True)))
    _run(empty_db, lambda c: c.execute(sa.insert(tombstoned), [_customer("K1", deleted=True)]))
    with pytest.raises(IntegrityError):
        _run(empty_db, lambda c: c.execute(sa.insert(CUSTOMERS), [_customer("K1")]))
    versions = _run(empty_db, lambda c: c.execute(sa.text("SELECT version FROM customers")).scalars().all())
    assert versions == [1, 1]

    # Down: the tombstones go (they meant "deleted" to the code before), the old constraints come back.
    _downgrade(empty_db, "0005")
    schema = _run(empty_db, _schema)
    for table, constraint in OLD_CONSTRAINTS.items():
        assert constraint in schema[table]["unique"], table
        assert LIVE_INDEXES[table] not in schema[table]["indexes"], table
        assert not {"deleted_at", "deleted_by_id"} & schema[table]["columns"], table
    assert "version" not in schema["customers"]["columns"]
    assert "version" in schema["orders"]["columns"]  # orders had theirs since 0001
    assert _run(empty_db, lambda c: c.execute(sa.text("SELECT code FROM customers")).scalars().all()) == ["K1"]
    with pytest.raises(IntegrityError):
        _run(empty_db, lambda c: c.execute(sa.insert(CUSTOMERS), [_customer("K1")]))

    migrate(empty_db)
    assert _run(empty_db, _schema)["customers"]["indexes"].get("uq_customers_live_code") is True
