"""The sync protocol (api/sync/protocol.py) on a real database, without HTTP.

Each test runs on a fresh SQLite file and on PostgreSQL (`db_url`). Records are written the way the services
write them: one writer session per "request", committed at its end. Most cases use a defect code (key `code`,
no parents); tombstones, follow-up closes and checklist clashes use defects and answers of one inspection.

Concurrent writers: on PostgreSQL a second session (A) commits its write while the session under test (B) is
inside `write`, from B's `authorize` callback, which runs after B's lookup and before B's INSERT/UPDATE; in the
"while B waits" variant A only flushes there and commits a moment later, while B's INSERT/UPDATE is blocked on
A's row. On SQLite two writers never overlap: a writer session begins with BEGIN IMMEDIATE at B's lookup, so A
would wait for B's lock; and a non-writer B fails its INSERT with "database is locked" (its read snapshot
predates A's commit; the app answers 503 and the phone retries, then meeting the plain replay path). So on
SQLite the clash paths are reached with the other row written inside B's own transaction, before the savepoint
(`test_a_create_clashing_inside_the_transaction_*`), and those tests run on PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth.models import User
from api.db import create_engine, create_sessionmaker, utcnow
from api.errors import Conflict, DomainError, Forbidden
from api.inspections.models import ChecklistAnswer, Defect, DefectCode, Inspection
from api.inspections.schemas import answer_out, defect_code_out, defect_out
from api.orders.models import Customer, Factory, Order
from api.sync.protocol import CURRENT, ONCE, RecordKind, SyncProtocol, Written

CODE = RecordKind(DefectCode, out=defect_code_out, key=("code",))
TAKEN = ("That code is taken by another record.", "该代码已被另一条记录使用。")
CODE_ONCE = RecordKind(DefectCode, out=defect_code_out, key=("code",), taken=TAKEN)
DEFECT = RecordKind(Defect, out=defect_out)
ANSWER = RecordKind(ChecklistAnswer, out=answer_out)
CLOSED = ("This follow-up is closed already.", "该整改项已关闭。")
FOLLOW_UP_CLOSE = RecordKind(Defect, out=defect_out, present=lambda d: d.closed_at is not None, taken=CLOSED)

KEY = {"code": "T01"}
LABEL = {"category": "test", "name_en": "Frayed label", "name_zh": "标签磨损", "default_severity": "minor",
         "active": True}
RENAMED = LABEL | {"name_en": "Frayed label edge"}
OTHER = LABEL | {"name_en": "Label missing", "default_severity": "major"}


# --- plumbing ---------------------------------------------------------------------------------------------

@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine, writer=True)


@pytest.fixture
def writes(engine: AsyncEngine) -> list[str]:
    """Every INSERT, UPDATE and DELETE of a record sent to the database from now on (not the change log's)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"} \
                and "INTO changes" not in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


# Two writers never overlap on SQLite (BEGIN IMMEDIATE; see the module's docstring): these run on PostgreSQL.
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@asynccontextmanager
async def request(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[SyncProtocol]:
    """One request's transaction: committed at the end, rolled back when it raises."""
    async with sessions() as session, session.begin():
        yield SyncProtocol(session)


async def stored(sessions: async_sessionmaker[AsyncSession], model: Any, **key: Any) -> Any:
    async with sessions() as session:
        return await session.scalar(select(model).filter_by(**key))


async def count(sessions: async_sessionmaker[AsyncSession], model: Any, **where: Any) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model).filter_by(**where))


def builds(model: Any, **values: Any) -> Callable[[], Awaitable[Any]]:
    async def create() -> Any:
        return model(**values)

    return create


async def put_code(sessions: async_sessionmaker[AsyncSession], desired: dict[str, Any], base: int | Any, *,
                   kind: RecordKind[Any] = CODE, **kw: Any) -> Written[Any]:
    async with request(sessions) as records:
        return await records.write(kind, KEY, desired, base_version=base, create=builds(DefectCode, **KEY, **desired),
                                   **kw)


def copy(out: Callable[[Any], Any], record: Any) -> Any:
    """The server's copy as a 409 carries it."""
    return msgspec.to_builtins(out(record))


class Authorize:
    """An `authorize` callback that records what it was asked about, and refuses when told to."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.calls: list[Any] = []

    async def __call__(self, current: Any) -> None:
        self.calls.append(current)
        if self.refuse:
            raise Forbidden("Not yours to write.")


@dataclass
class Parents:
    user: User
    inspection_id: uuid.UUID


@pytest.fixture
async def parents(sessions: async_sessionmaker[AsyncSession]) -> Parents:
    """The fewest rows a finding needs: a user, a customer, a factory, an order and its in-process inspection."""
    async with sessions() as session, session.begin():
        user = User(username="inspector", password_hash="-", role="inspector")
        customer, factory = Customer(code="C1", name="Customer 1"), Factory(code="F1", name="Factory 1")
        session.add_all([user, customer, factory])
        await session.flush()
        order = Order(customer_id=customer.id, factory_id=factory.id, po_number="PO-1", style_number="ST-1")
        session.add(order)
        await session.flush()
        inspection = Inspection(id=uuid.uuid4(), order_id=order.id, type="in_process", status="in_progress")
        session.add(inspection)
    return Parents(user=user, inspection_id=inspection.id)


async def add_defect(sessions: async_sessionmaker[AsyncSession], parents: Parents, **values: Any) -> uuid.UUID:
    defect_id = uuid.uuid4()
    async with request(sessions) as records:
        desired = {"code": "W01", "severity": "major"} | values
        await records.write(DEFECT, {"id": defect_id}, desired, base_version=0,
                            create=builds(Defect, id=defect_id, inspection_id=parents.inspection_id, **desired))
    return defect_id


# --- create, replay, edit ---------------------------------------------------------------------------------

async def test_a_create_is_created_and_changed_at_version_1(sessions, writes):
    authorize = Authorize()
    written = await put_code(sessions, LABEL, 0, authorize=authorize)

    assert (written.created, written.changed, written.record.version) == (True, True, 1)
    assert authorize.calls == [None]  # asked before the create, with nothing stored
    assert len(writes) == 1 and writes[0].startswith("INSERT")
    row = await stored(sessions, DefectCode, **KEY)
    assert (row.version, row.name_en) == (1, LABEL["name_en"])


async def test_a_refused_create_writes_nothing(sessions, writes):
    with pytest.raises(Forbidden):
        await put_code(sessions, LABEL, 0, authorize=Authorize(refuse=True))
    assert writes == []
    assert await stored(sessions, DefectCode, **KEY) is None


async def test_an_edit_without_a_create_is_a_lookup_error(sessions):
    with pytest.raises(LookupError):
        async with request(sessions) as records:
            await records.write(CODE, KEY, LABEL, base_version=1)


@pytest.mark.parametrize("base", [
    pytest.param(0, id="base-0-as-created"),
    pytest.param(1, id="base-1-current"),
    pytest.param(9, id="base-9-unknown"),
    pytest.param(ONCE, id="ONCE"),
    pytest.param(CURRENT, id="CURRENT"),
])
async def test_a_replay_writes_nothing_and_is_answered_before_authorization(sessions, writes, base):
    await put_code(sessions, LABEL, 0)
    writes.clear()
    refuse = Authorize(refuse=True)  # the inspection froze meanwhile: a new write would be refused

    written = await put_code(sessions, LABEL, base, authorize=refuse)

    assert (written.created, written.changed, written.record.version) == (False, False, 1)
    assert refuse.calls == []
    assert writes == []
    assert (await stored(sessions, DefectCode, **KEY)).version == 1


# Edits queued offline: each names the version it was based on; each is retried once (the retry is a replay).
OFFLINE = [
    # base, what is sent, expected version, changed
    (1, RENAMED, 2, True),
    (1, RENAMED, 2, False),
    (2, RENAMED | {"default_severity": "major"}, 3, True),
    (2, RENAMED | {"default_severity": "major"}, 3, False),
    (3, RENAMED | {"default_severity": "major", "active": False}, 4, True),
]


async def test_edits_queued_offline_raise_the_version_by_exactly_one(sessions):
    await put_code(sessions, LABEL, 0)
    for base, desired, version, changed in OFFLINE:
        authorize = Authorize()
        written = await put_code(sessions, desired, base, authorize=authorize)
        assert (written.created, written.changed, written.record.version) == (False, changed, version)
        assert authorize.calls == ([written.record] if changed else [])
        row = await stored(sessions, DefectCode, **KEY)
        assert row.version == version
        assert {name: getattr(row, name) for name in desired} == desired


@pytest.mark.parametrize(("base", "desired"), [
    pytest.param(1, OTHER, id="stale-base-1"),
    pytest.param(0, OTHER, id="stale-base-0-a-second-create"),
    pytest.param(3, OTHER, id="base-3-from-the-future"),
    pytest.param(1, LABEL, id="stale-base-1-with-the-old-content"),
])
async def test_a_stale_base_is_409_with_the_server_copy(sessions, writes, base, desired):
    await put_code(sessions, LABEL, 0)
    await put_code(sessions, RENAMED, 1)
    writes.clear()

    with pytest.raises(Conflict) as caught:
        await put_code(sessions, desired, base)

    server = await stored(sessions, DefectCode, **KEY)
    assert caught.value.status == 409
    assert caught.value.extra == {"current": copy(defect_code_out, server), "current_version": 2}
    assert "version 2" in caught.value.detail and f"version {base}" in caught.value.detail
    assert (server.version, server.name_en) == (2, RENAMED["name_en"])
    assert writes == []


# --- write-once records, CURRENT ----------------------------------------------------------------------------

@pytest.mark.parametrize(("desired", "outcome"), [
    pytest.param(LABEL, "replay", id="same-content-replay"),
    pytest.param(OTHER, "taken", id="other-content-409-taken"),
])
async def test_a_write_once_record(sessions, writes, desired, outcome):
    created = await put_code(sessions, LABEL, ONCE, kind=CODE_ONCE)
    assert (created.created, created.changed, created.record.version) == (True, True, 1)
    writes.clear()

    if outcome == "replay":
        written = await put_code(sessions, desired, ONCE, kind=CODE_ONCE)
        assert (written.created, written.changed, written.record.version) == (False, False, 1)
    else:
        with pytest.raises(Conflict) as caught:
            await put_code(sessions, desired, ONCE, kind=CODE_ONCE)
        server = await stored(sessions, DefectCode, **KEY)
        assert (caught.value.status, caught.value.detail, caught.value.detail_zh) == (409, *TAKEN)
        assert caught.value.extra == {"current": copy(defect_code_out, server)}
    assert writes == []
    assert (await stored(sessions, DefectCode, **KEY)).name_en == LABEL["name_en"]


@pytest.mark.parametrize("read", [
    pytest.param(False, id="looked-up-by-write"),
    pytest.param(True, id="copy-passed-as-current"),
])
async def test_current_applies_on_the_copy_just_read(sessions, read):
    await put_code(sessions, LABEL, 0)
    await put_code(sessions, RENAMED, 1)  # version 2: CURRENT needs no number from the caller

    async with request(sessions) as records:
        current = await records.find(CODE, KEY) if read else None
        written = await records.write(CODE, KEY, OTHER, base_version=CURRENT, current=current)
        if read:
            assert written.record is current

    assert (written.created, written.changed, written.record.version) == (False, True, 3)
    assert written.record.name_en == OTHER["name_en"]
    assert (await stored(sessions, DefectCode, **KEY)).version == 3


@pytest.mark.parametrize(("desired", "outcome"), [
    pytest.param(RENAMED, "replay", id="same-as-the-other-edit-replay"),
    pytest.param(OTHER, "409", id="other-content-409"),
])
async def test_current_on_a_copy_overtaken_in_the_database(sessions, desired, outcome):
    """The version is checked inside the UPDATE: a copy read before another edit landed does not win."""
    await put_code(sessions, LABEL, 0)
    async with request(sessions) as records:
        current = await records.find(CODE, KEY)
        await records.session.execute(
            update(DefectCode).where(DefectCode.code == KEY["code"]).values(**RENAMED, version=2)
            .execution_options(synchronize_session=False))
        assert current.version == 1  # the copy does not know
        if outcome == "replay":
            written = await records.write(CODE, KEY, desired, base_version=CURRENT, current=current)
            assert (written.changed, written.record.version) == (False, 2)
        else:
            with pytest.raises(Conflict) as caught:
                await records.write(CODE, KEY, desired, base_version=CURRENT, current=current)
            assert caught.value.extra["current_version"] == 2
            assert caught.value.extra["current"]["name_en"] == RENAMED["name_en"]
    assert (await stored(sessions, DefectCode, **KEY)).version == 2


# --- follow-up close: a record that lives in its defect's row (present=) ------------------------------------

async def close(sessions, defect_id: uuid.UUID, note: str, **kw: Any) -> Written[Any]:
    async with request(sessions) as records:
        return await records.write(FOLLOW_UP_CLOSE, {"id": defect_id}, {"closed_note": note, "closed_photo_ids": []},
                                   base_version=ONCE, also={"closed_at": utcnow()}, **kw)


async def test_a_follow_up_close(sessions, parents):
    defect_id = await add_defect(sessions, parents, follow_up=True)

    authorize = Authorize()
    first = await close(sessions, defect_id, "Re-stitched", authorize=authorize)
    assert (first.created, first.changed, first.record.version) == (False, True, 2)
    assert len(authorize.calls) == 1 and authorize.calls[0].id == defect_id
    closed = await stored(sessions, Defect, id=defect_id)
    assert closed.closed_at is not None and closed.closed_note == "Re-stitched"

    refuse = Authorize(refuse=True)
    again = await close(sessions, defect_id, "Re-stitched", authorize=refuse)  # the retry: a replay
    assert (again.changed, again.record.version, refuse.calls) == (False, 2, [])

    with pytest.raises(Conflict) as caught:
        await close(sessions, defect_id, "Replaced the panel")
    assert (caught.value.status, caught.value.detail, caught.value.detail_zh) == (409, *CLOSED)
    assert caught.value.extra == {"current": copy(defect_out, closed)}

    row = await stored(sessions, Defect, id=defect_id)
    assert (row.version, row.closed_note, row.closed_at) == (2, "Re-stitched", closed.closed_at)


@pytest.mark.parametrize(("note", "outcome"), [
    pytest.param("Re-stitched", "replay", id="same-close-replay"),
    pytest.param("Replaced the panel", "409", id="other-close-409"),
])
async def test_a_follow_up_closed_by_someone_else_after_the_copy_was_read(sessions, parents, note, outcome):
    defect_id = await add_defect(sessions, parents, follow_up=True)
    async with request(sessions) as records:
        current = await records.session.get(Defect, defect_id)
        await records.session.execute(
            update(Defect).where(Defect.id == defect_id)
            .values(closed_note="Re-stitched", closed_at=utcnow(), version=2)
            .execution_options(synchronize_session=False))
        assert current.closed_at is None  # the copy does not know
        kw = {"base_version": ONCE, "current": current, "also": {"closed_at": utcnow()}}
        desired = {"closed_note": note, "closed_photo_ids": []}
        if outcome == "replay":
            written = await records.write(FOLLOW_UP_CLOSE, {"id": defect_id}, desired, **kw)
            assert (written.changed, written.record.version) == (False, 2)
        else:
            with pytest.raises(Conflict) as caught:
                await records.write(FOLLOW_UP_CLOSE, {"id": defect_id}, desired, **kw)
            assert caught.value.status == 409
            assert caught.value.extra["current"]["closed_note"] == "Re-stitched"
    row = await stored(sessions, Defect, id=defect_id)
    assert (row.version, row.closed_note) == (2, "Re-stitched")


# --- tombstones -----------------------------------------------------------------------------------------------

async def delete(sessions, defect_id: uuid.UUID, by: User, **kw: Any) -> Written[Any]:
    async with request(sessions) as records:
        record = await records.session.get(Defect, defect_id)
        return await records.delete(DEFECT, {"id": defect_id}, record, by, **kw)


async def test_a_delete_leaves_a_tombstone_and_may_be_repeated(sessions, parents, writes):
    defect_id = await add_defect(sessions, parents)

    first = await delete(sessions, defect_id, parents.user)
    assert (first.created, first.changed, first.record.version) == (False, True, 2)
    row = await stored(sessions, Defect, id=defect_id)
    assert row.deleted_at is not None and row.deleted_by_id == parents.user.id and row.version == 2

    writes.clear()
    again = await delete(sessions, defect_id, parents.user)
    assert (again.changed, again.record.version) == (False, 2)
    assert writes == []
    assert (await stored(sessions, Defect, id=defect_id)).deleted_at == row.deleted_at


async def test_a_delete_on_a_stale_base_is_409(sessions, parents):
    defect_id = await add_defect(sessions, parents)
    async with request(sessions) as records:
        await records.write(DEFECT, {"id": defect_id}, {"count": 2}, base_version=1)

    with pytest.raises(Conflict) as caught:
        await delete(sessions, defect_id, parents.user, base_version=1)
    assert caught.value.extra["current_version"] == 2
    assert (await stored(sessions, Defect, id=defect_id)).deleted_at is None


async def test_a_delete_of_a_copy_deleted_meanwhile_changes_nothing(sessions, parents):
    defect_id = await add_defect(sessions, parents)
    async with request(sessions) as records:
        current = await records.session.get(Defect, defect_id)
        await records.session.execute(
            update(Defect).where(Defect.id == defect_id)
            .values(deleted_at=utcnow(), deleted_by_id=parents.user.id, version=2)
            .execution_options(synchronize_session=False))
        written = await records.delete(DEFECT, {"id": defect_id}, current, parents.user)
        assert (written.changed, written.record.version) == (False, 2)


@pytest.mark.parametrize(("desired", "base"), [
    pytest.param({"code": "W01", "severity": "major"}, 1, id="same-content"),
    pytest.param({"code": "W01", "severity": "major"}, 2, id="same-content-tombstone-version"),
    pytest.param({"count": 3}, 2, id="an-edit"),
    pytest.param({"count": 3}, CURRENT, id="an-edit-on-CURRENT"),
])
async def test_a_write_to_a_tombstone_is_409_deleted(sessions, parents, writes, desired, base):
    defect_id = await add_defect(sessions, parents)
    await delete(sessions, defect_id, parents.user)
    writes.clear()

    with pytest.raises(Conflict) as caught:
        async with request(sessions) as records:
            await records.write(DEFECT, {"id": defect_id}, desired, base_version=base,
                                create=builds(Defect, id=defect_id, inspection_id=parents.inspection_id, **desired))
    tombstone = await stored(sessions, Defect, id=defect_id)
    assert caught.value.status == 409
    assert caught.value.extra == {"current": copy(defect_out, tombstone), "deleted": True}
    assert writes == []
    assert tombstone.version == 2


# --- creates that clash with a unique key -------------------------------------------------------------------

@pytest.mark.parametrize(("desired", "outcome"), [
    pytest.param(LABEL, "replay", id="same-content-replay"),
    pytest.param(OTHER, "taken", id="other-content-409-taken"),
])
async def test_a_create_clashing_inside_the_transaction_on_its_own_key(sessions, desired, outcome):
    """The other create lands after the lookup, before the INSERT: the savepoint turns the clash into an answer."""
    async with request(sessions) as records:
        async def the_other_create_lands(_current: Any) -> None:
            await records.session.execute(insert(DefectCode).values(**KEY, **LABEL, version=1))

        if outcome == "replay":
            written = await records.write(CODE_ONCE, KEY, desired, base_version=0, authorize=the_other_create_lands,
                                          create=builds(DefectCode, **KEY, **desired))
            assert (written.created, written.changed, written.record.version) == (False, False, 1)
        else:
            with pytest.raises(Conflict) as caught:
                await records.write(CODE_ONCE, KEY, desired, base_version=0, authorize=the_other_create_lands,
                                    create=builds(DefectCode, **KEY, **desired))
            assert (caught.value.detail, caught.value.detail_zh) == TAKEN
            assert caught.value.extra["current"]["name_en"] == LABEL["name_en"]
        # The request's transaction is still usable, and its commit does not meet the clash.
    row = await stored(sessions, DefectCode, **KEY)
    assert (row.version, row.name_en) == (1, LABEL["name_en"])


A_COMMITS_AFTER = 0.3  # seconds: B is blocked on A's row by then


async def commit_later(session: AsyncSession, delay: float) -> None:
    try:
        await asyncio.sleep(delay)
        await session.commit()
    finally:
        await session.close()


async def run_a(sessions, write_a: Callable[[SyncProtocol], Awaitable[Any]], when: str) -> asyncio.Task[None] | None:
    """Session A's write, committed now, or (`while_b_waits`) a moment later while B is blocked on A's row."""
    session = sessions()
    await write_a(SyncProtocol(session))
    if when == "first":
        await session.commit()
        await session.close()
        return None
    return asyncio.create_task(commit_later(session, A_COMMITS_AFTER))


RACES = [pytest.param(when, content, id=f"A-commits-{when}-{content}-content")
         for when in ("first", "while_b_waits") for content in ("same", "other")]


@ON_POSTGRESQL
@pytest.mark.parametrize(("when", "content"), RACES)
async def test_two_sessions_create_the_same_key(sessions, when, content):
    desired = LABEL if content == "same" else OTHER
    tasks: list[Any] = []

    async def a_creates(_current: Any) -> None:
        tasks.append(await run_a(sessions, lambda records: records.write(
            CODE_ONCE, KEY, LABEL, base_version=0, create=builds(DefectCode, **KEY, **LABEL)), when))

    try:
        async with request(sessions) as records:
            started = time.monotonic()
            if content == "same":
                written = await records.write(CODE_ONCE, KEY, desired, base_version=0, authorize=a_creates,
                                              create=builds(DefectCode, **KEY, **desired))
                assert (written.created, written.changed, written.record.version) == (False, False, 1)
            else:
                with pytest.raises(Conflict) as caught:
                    await records.write(CODE_ONCE, KEY, desired, base_version=0, authorize=a_creates,
                                        create=builds(DefectCode, **KEY, **desired))
                assert (caught.value.status, caught.value.detail) == (409, TAKEN[0])
                assert caught.value.extra["current"]["name_en"] == LABEL["name_en"]
            if when == "while_b_waits":
                assert time.monotonic() - started >= A_COMMITS_AFTER  # B's INSERT waited for A's commit
    finally:
        await asyncio.gather(*(t for t in tasks if t is not None))
    row = await stored(sessions, DefectCode, **KEY)
    assert (row.version, row.name_en) == (1, LABEL["name_en"])


@ON_POSTGRESQL
@pytest.mark.parametrize(("when", "content"), RACES)
async def test_two_sessions_edit_the_same_version(sessions, when, content):
    """Of two edits of version 1 exactly one wins; the other is a replay (same content) or a 409."""
    await put_code(sessions, LABEL, 0)
    desired = RENAMED if content == "same" else OTHER
    tasks: list[Any] = []

    async def a_edits(_current: Any) -> None:
        tasks.append(await run_a(sessions, lambda records: records.write(CODE, KEY, RENAMED, base_version=1), when))

    try:
        async with request(sessions) as records:
            started = time.monotonic()
            if content == "same":
                written = await records.write(CODE, KEY, desired, base_version=1, authorize=a_edits)
                assert (written.changed, written.record.version) == (False, 2)
            else:
                with pytest.raises(Conflict) as caught:
                    await records.write(CODE, KEY, desired, base_version=1, authorize=a_edits)
                assert caught.value.extra["current_version"] == 2
                assert caught.value.extra["current"]["name_en"] == RENAMED["name_en"]
            if when == "while_b_waits":
                assert time.monotonic() - started >= A_COMMITS_AFTER  # B's UPDATE waited for A's row
    finally:
        await asyncio.gather(*(t for t in tasks if t is not None))
    row = await stored(sessions, DefectCode, **KEY)
    assert (row.version, row.name_en) == (2, RENAMED["name_en"])


@pytest.mark.parametrize(("desired", "outcome"), [
    pytest.param(LABEL, "replay", id="same-content-replay"),
    pytest.param(OTHER, "409", id="other-content-409"),
])
async def test_a_second_create_after_the_first_committed(sessions, desired, outcome):
    """The plain path (and SQLite's): the second create finds the first one's row; a new record sends base 0."""
    await put_code(sessions, LABEL, 0)
    if outcome == "replay":
        written = await put_code(sessions, desired, 0)
        assert (written.created, written.changed) == (False, False)
    else:
        with pytest.raises(Conflict) as caught:
            await put_code(sessions, desired, 0)
        assert caught.value.extra["current_version"] == 1
    assert await count(sessions, DefectCode, **KEY) == 1


# --- a create that hits another unique key: clash= ------------------------------------------------------------

async def answer(records: SyncProtocol, parents: Parents, answer_id: uuid.UUID, result: str = "pass",
                 clash: Callable[[], Awaitable[DomainError]] | None = None) -> Written[Any]:
    desired = {"item_key": "labels", "result": result}
    return await records.write(ANSWER, {"id": answer_id}, desired, base_version=0, clash=clash, create=builds(
        ChecklistAnswer, id=answer_id, inspection_id=parents.inspection_id, **desired))


class ItemAnswered(Conflict):
    pass


async def test_a_second_answer_to_one_checklist_item(sessions, parents):
    first, second = uuid.uuid4(), uuid.uuid4()
    async with request(sessions) as records:
        await answer(records, parents, first)

    async def explain() -> DomainError:
        return ItemAnswered("This item is answered already; edit that answer instead.", answer_id=str(first))

    async with request(sessions) as records:
        await records.write(ANSWER, {"id": first}, {"note": "checked twice"}, base_version=1)
        with pytest.raises(ItemAnswered) as caught:
            await answer(records, parents, second, "fail", clash=explain)
        assert caught.value.detail == "This item is answered already; edit that answer instead."
        # The clash stayed inside its savepoint: the rest of the request commits.

    assert await stored(sessions, ChecklistAnswer, id=second) is None
    kept = await stored(sessions, ChecklistAnswer, id=first)
    assert (kept.version, kept.note, kept.result) == (2, "checked twice", "pass")


async def test_a_clash_nothing_explains_stays_an_integrity_error(sessions, parents):
    """Without a callback (or when it finds no other record) the clash is a bug, not a 409: it is not hidden."""
    first, second = uuid.uuid4(), uuid.uuid4()
    async with request(sessions) as records:
        await answer(records, parents, first)
    with pytest.raises(IntegrityError):
        async with request(sessions) as records:
            await answer(records, parents, second, "fail")


async def test_after_the_answer_is_deleted_a_new_answer_to_the_item_is_accepted(sessions, parents):
    first, second = uuid.uuid4(), uuid.uuid4()
    async with request(sessions) as records:
        await answer(records, parents, first)
    async with request(sessions) as records:
        record = await records.session.get(ChecklistAnswer, first)
        await records.delete(ANSWER, {"id": first}, record, parents.user)

    async with request(sessions) as records:
        written = await answer(records, parents, second, "fail")
    assert (written.created, written.changed, written.record.version) == (True, True, 1)
    assert await count(sessions, ChecklistAnswer, inspection_id=parents.inspection_id, item_key="labels") == 2
    assert await count(sessions, ChecklistAnswer, item_key="labels", deleted_at=None) == 1
