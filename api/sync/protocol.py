"""One protocol for every record a phone makes: create, replay, versioned update, 409 with the server's copy.

Every such record has a key: the phone's own id, or the key its route uses (the order for a spec sheet,
the inspection and role for a signature). A write whose content equals what is stored is a replay: it
answers the stored record however late it arrives and changes nothing. Otherwise an edit names the version
it was based on. The version is checked inside the UPDATE, so of two edits of one version exactly one wins
and the others get 409 with the server's copy. An applied edit raises the version by exactly 1, and nothing
else changes it, so edits queued offline can carry n, n+1, … in turn. A create is flushed inside a
savepoint: when a concurrent create of the same key won, the clash becomes that record's replay (or a 409),
and the request's final commit never meets it.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import NO_VALUE, set_committed_value

from api.auth.models import User
from api.db import utcnow
from api.errors import Conflict, DomainError
from api.sync.changes import note_change

R = TypeVar("R")


class Base(enum.Enum):
    """Base versions that are not numbers a phone sent."""

    NONE = "none"  # a record written once: anything but a replay of it conflicts
    CURRENT = "current"  # an action taken online, on the copy just read (a review, an admin's edit)


ONCE = Base.NONE
CURRENT = Base.CURRENT


@dataclass(frozen=True)
class RecordKind(Generic[R]):
    """How one kind of client-made record is found, shown and versioned."""

    model: type[R]
    out: Callable[[R], Any]  # the server's copy (or an awaitable of it), sent with a 409 so the phone can show both
    key: tuple[str, ...] = ("id",)
    version: str = "version"
    # Whether the stored row already holds this record. A follow-up close lives in its defect's row and
    # exists once the defect is closed; most records exist as soon as their row does.
    present: Callable[[R], bool] = field(default=lambda _: True)
    # What a second, different write of a write-once record is told.
    taken: tuple[str, str] = ("A record with this id exists with other content. Give a new record a new id.",
                              "该编号的记录已存在且内容不同，新记录请使用新编号。")


@dataclass
class Written(Generic[R]):
    record: R
    created: bool = False
    changed: bool = False  # False for a replay: nothing was written


def same_content(record: Any, desired: Mapping[str, Any]) -> bool:
    return all(getattr(record, name) == value for name, value in desired.items())


def is_deleted(record: Any) -> bool:
    return getattr(record, "deleted_at", None) is not None


class SyncProtocol:
    """Create / replay / versioned update of client-made records, safe when phones retry at the same time."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, kind: RecordKind[R], key: Mapping[str, Any]) -> R | None:
        """The stored record, read afresh (a concurrent writer may just have committed it)."""
        model: Any = kind.model
        return await self.session.scalar(
            select(model).where(*(getattr(model, name) == key[name] for name in kind.key))
            .execution_options(populate_existing=True))

    async def write(self, kind: RecordKind[R], key: Mapping[str, Any], desired: Mapping[str, Any], *,
                    base_version: int | Base, current: R | None = None, also: Mapping[str, Any] | None = None,
                    authorize: Callable[[R | None], Awaitable[None]] | None = None,
                    create: Callable[[], Awaitable[R]] | None = None,
                    clash: Callable[[], Awaitable[DomainError | None]] | None = None) -> Written[R]:
        """Replay, edit or create the record under `key` so that it holds `desired`.

        `also` holds values an applied edit writes but a replay does not compare (when it was closed, by
        whom). `authorize(current)` runs only when something is to be written: a replay is answered even
        after the inspection froze. `create()` builds the new record; `clash()` explains a create that hit
        another unique key (the one create that can conflict: a second answer to a checklist item), or
        returns None when it cannot, and the error is raised as it is: a bug is not a 409.
        """
        record = current if current is not None else await self.find(kind, key)
        if record is None:
            if create is None:
                raise LookupError(f"no {kind.model.__name__} to edit")
            return await self._create(kind, key, desired, authorize, create, clash)
        if is_deleted(record):
            raise await self._deleted(kind, record)
        if kind.present(record):
            if same_content(record, desired):
                return Written(record)
            if authorize is not None:
                await authorize(record)
            if base_version is ONCE:
                raise Conflict(kind.taken[0], detail_zh=kind.taken[1], current=await self._copy(kind, record))
        elif authorize is not None:
            await authorize(record)
        once = base_version is ONCE
        if base_version is ONCE or base_version is CURRENT:
            base_version = getattr(record, kind.version)
        if base_version != getattr(record, kind.version):
            raise await self.stale(kind, record, base_version)
        return await self._apply(kind, key, record, desired, also or {}, base_version, once=once)

    async def delete(self, kind: RecordKind[R], key: Mapping[str, Any], record: R, by: User,
                     base_version: int | Base = CURRENT) -> Written[R]:
        """A tombstone: the row stays, with who deleted it and when, so phones learn that it went away.

        Deleting twice is fine: the phone may retry.
        """
        if is_deleted(record):
            return Written(record)
        if base_version is CURRENT or base_version is ONCE:
            base_version = getattr(record, kind.version)
        if base_version != getattr(record, kind.version):
            raise await self.stale(kind, record, base_version)
        return await self._apply(kind, key, record, {"deleted_at": utcnow(), "deleted_by_id": by.id}, {},
                                 base_version, replay_if=is_deleted)

    async def stale(self, kind: RecordKind[R], record: R, base_version: int) -> Conflict:
        version = getattr(record, kind.version)
        return Conflict(
            f"This record changed on the server (version {version}) since your copy (version {base_version}). "
            f"Compare, then send your change again based on version {version}.",
            detail_zh=f"服务器上的记录已更新（版本 {version}），请核对后基于新版本重新提交。",
            current=await self._copy(kind, record), current_version=version)

    # --- internals -----------------------------------------------------------------------------------------

    async def _create(self, kind: RecordKind[R], key: Mapping[str, Any], desired: Mapping[str, Any],
                      authorize: Callable[[R | None], Awaitable[None]] | None, create: Callable[[], Awaitable[R]],
                      clash: Callable[[], Awaitable[DomainError | None]] | None) -> Written[R]:
        if authorize is not None:
            await authorize(None)
        record = await create()
        setattr(record, kind.version, 1)
        try:
            async with self.session.begin_nested():
                self.session.add(record)
        except IntegrityError:
            winner = await self.find(kind, key)
            if winner is None:
                # Another unique key: the one create that can conflict. Anything else is a bug, not a 409.
                error = await clash() if clash is not None else None
                if error is None:
                    raise
                raise error from None
            if is_deleted(winner):
                raise await self._deleted(kind, winner) from None
            if same_content(winner, desired):
                return Written(winner)  # a concurrent replay of the same create won
            raise Conflict(kind.taken[0], detail_zh=kind.taken[1], current=await self._copy(kind, winner)) from None
        return Written(record, created=True, changed=True)

    async def _apply(self, kind: RecordKind[R], key: Mapping[str, Any], record: R, desired: Mapping[str, Any],
                     also: Mapping[str, Any], base_version: int, *, once: bool = False,
                     replay_if: Callable[[R], bool] | None = None) -> Written[R]:
        model: Any = kind.model
        values = {**desired, **also}
        if hasattr(model, "updated_at"):
            values.setdefault("updated_at", utcnow())
        values[kind.version] = base_version + 1
        # The version is checked by the write itself: of concurrent edits of one version, one row count is 1.
        result = await self.session.execute(
            update(model).where(*(getattr(model, name) == key[name] for name in kind.key),
                                getattr(model, kind.version) == base_version)
            .values(**values).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            # A concurrent write won: answer as if this one had arrived after it.
            winner = await self.find(kind, key)
            if winner is None:
                raise await self.stale(kind, record, base_version)
            if replay_if is not None:
                if replay_if(winner):
                    return Written(winner)
            elif is_deleted(winner):
                raise await self._deleted(kind, winner)
            elif kind.present(winner) and same_content(winner, desired):
                return Written(winner)
            if once and kind.present(winner):
                raise Conflict(kind.taken[0], detail_zh=kind.taken[1], current=await self._copy(kind, winner))
            raise await self.stale(kind, winner, base_version)
        previous_assignee = getattr(record, "assignee_id", NO_VALUE) if "assignee_id" in values else NO_VALUE
        for name, value in values.items():
            set_committed_value(record, name, value)
        # The UPDATE bypassed the ORM's flush, where changes are noted for the feed: note this one here.
        await note_change(self.session, record, previous_assignee)
        return Written(record, changed=True)

    async def _deleted(self, kind: RecordKind[R], record: R) -> Conflict:
        return Conflict("This record was deleted on the server.", detail_zh="该记录已在服务器上删除。",
                        current=await self._copy(kind, record), deleted=True)

    @staticmethod
    async def _copy(kind: RecordKind[R], record: R) -> Any:
        copy = kind.out(record)
        return msgspec.to_builtins(await copy if inspect.isawaitable(copy) else copy)
