"""What changed, for the change feed: recorded in the transaction that made the change.

ORM writes are seen when they are flushed; the sync protocol's versioned UPDATEs (which bypass the ORM)
note their record themselves. Each record a phone keeps offline maps to a feed kind, a key, and the
inspection or order whose readers may see it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import event, insert, literal_column
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, attributes

from api.db import utcnow
from api.inspections.models import (
    ChecklistAnswer, ChecklistTemplate, Defect, DefectCode, Inspection, InspectionCarton, Measurement, Scan, Signature,
    SpecSheet,
)
from api.media.models import Photo
from api.orders.models import Order, OrderLine, PackingList
from api.sync.models import Change

# The kinds every user keeps: the defect library and the checklist templates.
LIBRARY = ("defect_code", "checklist_template")
# An inspection that came into a user's hands: expanded by the feed into everything it needs offline.
BUNDLE = "inspection_bundle"


class Row(NamedTuple):
    kind: str
    key: str
    inspection_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None
    for_user_id: uuid.UUID | None = None


def signature_key(inspection_id: uuid.UUID, role: str) -> str:
    return f"{inspection_id}/{role}"


def describe(obj: Any, previous_assignee: Any = attributes.NO_VALUE) -> list[Row]:
    """The feed rows one written record stands for."""
    match obj:
        case Inspection():
            rows = [Row("inspection", str(obj.id), obj.id, obj.order_id)]
            if previous_assignee is not attributes.NO_VALUE and previous_assignee != obj.assignee_id:
                # The new assignee downloads the whole inspection; the former one learns that it went away.
                rows.append(Row(BUNDLE, str(obj.id), obj.id, obj.order_id))
                if previous_assignee is not None:
                    rows.append(Row("inspection", str(obj.id), for_user_id=previous_assignee))
            return rows
        case Defect() | Measurement() | ChecklistAnswer() | Scan() | Photo():
            kind = {Defect: "defect", Measurement: "measurement", ChecklistAnswer: "checklist_answer", Scan: "scan",
                    Photo: "photo"}[type(obj)]
            return [Row(kind, str(obj.id), obj.inspection_id)]
        case Signature():
            return [Row("signature", signature_key(obj.inspection_id, obj.role), obj.inspection_id)]
        case InspectionCarton():  # the picked cartons are part of the inspection's head
            return [Row("inspection", str(obj.inspection_id), obj.inspection_id)]
        case Order():
            return [Row("order", str(obj.id), order_id=obj.id)]
        case OrderLine():
            return [Row("order", str(obj.order_id), order_id=obj.order_id)]
        case PackingList():  # one current list per order: keyed by the order
            return [Row("packing_list", str(obj.order_id), order_id=obj.order_id)]
        case SpecSheet():
            return [Row("spec_sheet", str(obj.order_id), order_id=obj.order_id)]
        case DefectCode():
            return [Row("defect_code", obj.code)]
        case ChecklistTemplate():
            return [Row("checklist_template", obj.code)]
    return []


def _txid(connection: Connection) -> Any:
    # The writing transaction's id orders the feed on PostgreSQL; SQLite's writers take turns, so 0 will do.
    if connection.dialect.name == "postgresql":
        return literal_column("pg_current_xact_id()::text::bigint")
    return 0


def _write(connection: Connection, rows: Iterable[Row]) -> None:
    unique = list(dict.fromkeys(rows))
    if unique:
        now = utcnow()
        connection.execute(insert(Change).values(txid=_txid(connection)),
                           [row._asdict() | {"at": now} for row in unique])


def _inspection_assignee_before(obj: Any, is_new: bool) -> Any:
    if not isinstance(obj, Inspection):
        return attributes.NO_VALUE
    if is_new:
        return None
    history = attributes.get_history(obj, "assignee_id")
    return history.deleted[0] if history.deleted else attributes.NO_VALUE


@event.listens_for(Session, "after_flush")
def _record_flushed(session: Session, _context: Any) -> None:
    rows: list[Row] = []
    for obj in chain(session.new, session.dirty, session.deleted):
        if obj in session.dirty and not session.is_modified(obj, include_collections=False):
            continue
        rows.extend(describe(obj, _inspection_assignee_before(obj, obj in session.new)))
    if rows:
        _write(session.connection(), rows)


async def note_change(session: AsyncSession, record: Any, previous_assignee: Any = attributes.NO_VALUE) -> None:
    """Record a change written outside the ORM's flush (a versioned UPDATE of the sync protocol)."""
    rows = describe(record, previous_assignee)
    if rows:
        await session.run_sync(lambda sync_session: _write(sync_session.connection(), rows))
