"""The change feed: everything a phone keeps offline that changed since it last looked, in commit order.

A phone keeps the inspections in its user's hands (assigned to them; for a factory user, those of its
orders) with what each needs offline: the order, the packing list, the spec sheet, the findings, scans,
signatures and photos; and everyone keeps the defect library and the checklist templates.

Without a cursor the feed is a snapshot of all of that, page by page, ending with a cursor into the
change log. From then on it reads the log (api/sync/changes.py). Each item is the record as it is now, or a
tombstone when it was deleted or left the user's hands, so a phone can apply items in order and never
needs to merge.

No change may be skipped. On PostgreSQL a change row gets its number when it is written, not when its
transaction commits, so a reader could see a later number before an earlier one commits. The feed therefore
orders by (writing transaction id, number) and reads only rows of transactions older than every transaction
still running (the snapshot's xmin): a row that commits later always sorts after the cursor.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Select, and_, func, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import Role, User
from api.access import may_see_picks, without_picks
from api.errors import BadParameter, NotFound
from api.inspections.models import (
    ChecklistAnswer, ChecklistTemplate, Defect, DefectCode, Inspection, Measurement, Scan, Signature, SpecSheet,
)
from api.inspections.schemas import (
    answer_out, defect_code_out, defect_out, measurement_out, scan_out, signature_out, spec_sheet_out, template_out,
)
from api.inspections.services import InspectionService
from api.media.models import Photo
from api.media.services import PhotoService
from api.media.storage import Storage
from api.orders.models import Order, PackingList
from api.orders.schemas import PackingListDetail, carton_out, order_out, packing_list_fields
from api.orders.services import OrderService, PackingListService
from api.schemas import Output
from api.settings import Settings
from api.sync.changes import BUNDLE, LIBRARY, signature_key
from api.sync.models import Change

# Past every number a log row can have: a snapshot's cursor covers the whole of its transaction id.
END = 2**62
# The parts of an inspection that travel as items of their own.
PARTS = ("defects", "measurements", "checklist_answers", "scans", "signatures")


class FeedItem(Output):
    kind: str
    key: str
    version: int
    record: dict[str, Any] | None = None
    deleted: bool = False
    # Where the record belongs, so that one arriving alone from the log (a tombstone too) can be filed under its
    # inspection and order: an inspection's parts name both, an order's records (order, packing list, spec
    # sheet) only the order, the library neither.
    inspection_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = None


class FeedPage(Output):
    items: list[FeedItem]
    next: str  # give it back as `since` to get what changed after this page
    more: bool  # whether to ask again at once


@dataclass(frozen=True)
class Cursor:
    txid: int
    seq: int
    # A cursor inside a snapshot: the page of snapshot entries to go on from.
    offset: int | None = None

    def encode(self) -> str:
        data = [self.txid, self.seq] if self.offset is None else [self.txid, self.seq, self.offset]
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text_: str) -> Cursor:
        try:
            data = json.loads(base64.urlsafe_b64decode(text_ + "=" * (-len(text_) % 4)))
            if not (isinstance(data, list) and len(data) in (2, 3) and all(
                    type(n) is int and 0 <= n <= END for n in data)):
                raise ValueError
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise BadParameter("since", "This is not a cursor the feed gave out. Start again without `since`.",
                               detail_zh="同步游标无效，请不带 since 重新开始。") from None
        return cls(*data)


class FeedService:
    def __init__(self, session: AsyncSession, user: User, storage: Storage, settings: Settings) -> None:
        self.session = session
        self.user = user
        self.inspections = InspectionService(session, user)
        self.photos = PhotoService(session, user, storage, settings)

    async def changes(self, since: str | None, limit: int) -> FeedPage:
        cursor = Cursor.decode(since) if since else None
        if cursor is None or cursor.offset is not None:
            return await self._snapshot(cursor, limit)
        return await self._log(cursor, limit)

    # --- scope ---------------------------------------------------------------------------------------------

    def _in_hand(self) -> Select[Any]:
        """The inspections this user keeps offline."""
        if self.user.role == Role.factory:
            return (select(Inspection.id).join(Order, Order.id == Inspection.order_id)
                    .where(Order.factory_id == self.user.factory_id, Order.deleted_at.is_(None)))
        return select(Inspection.id).where(Inspection.assignee_id == self.user.id)

    def _orders_in_hand(self) -> Select[Any]:
        return select(Inspection.order_id).where(Inspection.id.in_(self._in_hand()))

    # --- the log -------------------------------------------------------------------------------------------

    async def _horizon(self) -> int:
        """Rows of transactions below this id are all committed or gone; newer ones may still come."""
        if self.session.bind.dialect.name != "postgresql":
            return END
        return int(await self.session.scalar(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")))

    async def _watermark(self) -> Cursor:
        """Where the log stands for a snapshot read now: what it shows is covered, what may still commit is not."""
        horizon = await self._horizon()
        if horizon == END:
            return Cursor(0, await self.session.scalar(select(func.coalesce(func.max(Change.seq), 0))))
        return Cursor(horizon - 1, END)

    async def _log(self, cursor: Cursor, limit: int) -> FeedPage:
        horizon = await self._horizon()
        visible = or_(
            Change.for_user_id == self.user.id,
            and_(Change.for_user_id.is_(None), or_(
                Change.kind.in_(LIBRARY), Change.inspection_id.in_(self._in_hand()),
                Change.order_id.in_(self._orders_in_hand()))))
        rows = list(await self.session.scalars(
            select(Change).where(tuple_(Change.txid, Change.seq) > tuple_(cursor.txid, cursor.seq),
                                 Change.txid < horizon, visible)
            .order_by(Change.txid, Change.seq).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        latest = {(row.kind, row.key): row for row in rows}  # a record changed twice in a page goes once
        # The inspections in hand with their orders: once per page, not once per row.
        held: dict[uuid.UUID, uuid.UUID] = {inspection_id: order_id for inspection_id, order_id in (
            await self.session.execute(select(Inspection.id, Inspection.order_id)
                                       .where(Inspection.id.in_(self._in_hand()))))}
        items: list[FeedItem] = []
        for row in sorted(latest.values(), key=lambda r: (r.txid, r.seq)):
            items.extend(await self._materialize(row, held))
        last = rows[-1] if rows else None
        next_cursor = Cursor(last.txid, last.seq) if last else cursor
        return FeedPage(items=items, next=next_cursor.encode(), more=more)

    async def _order_of(self, inspection_id: uuid.UUID | None, held: dict[uuid.UUID, uuid.UUID]) -> uuid.UUID | None:
        """The order of an inspection: from the page's map of those in hand, else read."""
        if inspection_id is None:
            return None
        if inspection_id in held:
            return held[inspection_id]
        return await self.session.scalar(select(Inspection.order_id).where(Inspection.id == inspection_id))

    async def _materialize(self, row: Change, held: dict[uuid.UUID, uuid.UUID]) -> list[FeedItem]:
        if row.kind == BUNDLE:
            inspection_id = uuid.UUID(row.key)
            return await self._bundle(inspection_id) if inspection_id in held else []
        if row.kind == "inspection":
            inspection = await self.session.get(Inspection, uuid.UUID(row.key))
            if inspection is None or row.for_user_id is not None or inspection.id not in held:
                return [FeedItem(kind="inspection", key=row.key, version=inspection.version if inspection else 0,
                                 deleted=True, inspection_id=uuid.UUID(row.key),
                                 order_id=inspection.order_id if inspection else row.order_id)]
            return [await self._inspection_item(inspection)]
        loaders = {
            "defect": (Defect, defect_out), "measurement": (Measurement, measurement_out),
            "checklist_answer": (ChecklistAnswer, answer_out), "scan": (Scan, scan_out), "photo": (Photo, None),
        }
        if row.kind in loaders:
            model, out = loaders[row.kind]
            record = await self.session.get(model, uuid.UUID(row.key))
            inspection_id = record.inspection_id if record is not None else row.inspection_id
            order_id = await self._order_of(inspection_id, held)
            if record is None or getattr(record, "deleted_at", None) is not None:
                return [FeedItem(kind=row.kind, key=row.key, version=record.version if record else 0, deleted=True,
                                 inspection_id=inspection_id, order_id=order_id)]
            picks_visible = await self._may_see_picks(record.inspection_id)
            if row.kind == "scan" and not picks_visible:
                return []
            copy = without_picks(self.photos.out(record) if row.kind == "photo" else out(record),  # type: ignore[misc]
                                 picks_visible)
            return [_item(row.kind, row.key, record.version, copy, inspection_id, order_id)]
        if row.kind == "signature":
            inspection_id = uuid.UUID(row.key.split("/", 1)[0])
            role = row.key.split("/", 1)[1]
            signature = await self.session.scalar(select(Signature).where(
                Signature.inspection_id == inspection_id, Signature.role == role))
            return [_item("signature", row.key, signature.version, signature_out(signature), inspection_id,
                          await self._order_of(inspection_id, held))] if signature else []
        if row.kind == "order":
            return await self._order_items(uuid.UUID(row.key))
        if row.kind == "packing_list":
            return await self._packing_list_items(uuid.UUID(row.key))
        if row.kind == "spec_sheet":
            sheet = await self.session.get(SpecSheet, uuid.UUID(row.key))
            return [_item("spec_sheet", row.key, sheet.version, spec_sheet_out(sheet), None, sheet.order_id)] \
                if sheet else []
        if row.kind == "defect_code":
            code = await self.session.get(DefectCode, row.key)
            return [_item("defect_code", row.key, code.version, defect_code_out(code))] if code else []
        if row.kind == "checklist_template":
            template = await self.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.code == row.key))
            return [_item("checklist_template", row.key, template.version, template_out(template))] if template else []
        return []

    # --- the snapshot --------------------------------------------------------------------------------------

    async def _snapshot(self, cursor: Cursor | None, limit: int) -> FeedPage:
        """The library, then each inspection in hand with all it needs; whole entries per page."""
        watermark = Cursor(cursor.txid, cursor.seq) if cursor else await self._watermark()
        entries: list[uuid.UUID | None] = [None, *sorted(await self.session.scalars(self._in_hand()))]
        start = cursor.offset if cursor and cursor.offset is not None else 0
        items: list[FeedItem] = []
        position = start
        while position < len(entries) and (not items or len(items) < limit):
            entry = entries[position]
            items.extend(await self._library() if entry is None else await self._bundle(entry))
            position += 1
        if position < len(entries):
            return FeedPage(items=items, next=Cursor(watermark.txid, watermark.seq, position).encode(), more=True)
        return FeedPage(items=items, next=watermark.encode(), more=False)

    async def _library(self) -> list[FeedItem]:
        codes = await self.session.scalars(select(DefectCode).order_by(DefectCode.code))
        templates = await self.session.scalars(select(ChecklistTemplate).order_by(ChecklistTemplate.code))
        return ([_item("defect_code", c.code, c.version, defect_code_out(c)) for c in codes]
                + [_item("checklist_template", t.code, t.version, template_out(t)) for t in templates])

    async def _bundle(self, inspection_id: uuid.UUID) -> list[FeedItem]:
        """An inspection with everything it needs offline, as items."""
        inspection = await self.session.get(Inspection, inspection_id)
        if inspection is None:
            return []
        items = await self._order_items(inspection.order_id)
        items += await self._packing_list_items(inspection.order_id)
        sheet = await self.session.get(SpecSheet, inspection.order_id)
        if sheet is not None:
            items.append(_item("spec_sheet", str(sheet.order_id), sheet.version, spec_sheet_out(sheet), None,
                               sheet.order_id))
        full = await self.inspections.out(inspection, await self.session.get(Order, inspection.order_id))
        items.append(self._head(inspection, full))
        picks_visible = self._picks_visible(inspection)
        at = (inspection.id, inspection.order_id)
        for defect in full.defects:
            items.append(_item("defect", str(defect.id), defect.version, defect, *at))
        for measurement in full.measurements:
            items.append(_item("measurement", str(measurement.id), measurement.version, measurement, *at))
        for answer in full.checklist_answers:
            items.append(_item("checklist_answer", str(answer.id), answer.version, answer, *at))
        if picks_visible:
            scans = await self.session.scalars(select(Scan).where(Scan.inspection_id == inspection.id)
                                               .order_by(Scan.scanned_at, Scan.id))
            items += [_item("scan", str(s.id), s.version, scan_out(s), *at) for s in scans]
        signatures = await self.session.scalars(select(Signature).where(Signature.inspection_id == inspection.id)
                                                .order_by(Signature.role))
        items += [_item("signature", signature_key(s.inspection_id, s.role), s.version, signature_out(s), *at)
                  for s in signatures]
        photos = await self.session.scalars(select(Photo).where(Photo.inspection_id == inspection.id)
                                            .order_by(Photo.uploaded_at, Photo.id))
        items += [_item("photo", str(p.id), p.version, self.photos.out(p, picks_visible=picks_visible), *at)
                  for p in photos]
        return items

    # --- records -------------------------------------------------------------------------------------------

    def _picks_visible(self, inspection: Inspection) -> bool:
        return may_see_picks(self.user, inspection)

    async def _may_see_picks(self, inspection_id: uuid.UUID) -> bool:
        inspection = await self.session.get(Inspection, inspection_id)
        return inspection is not None and self._picks_visible(inspection)

    def _head(self, inspection: Inspection, full: Any) -> FeedItem:
        record = msgspec.to_builtins(full)
        for part in (*PARTS, "spec_sheet"):
            record.pop(part, None)  # they travel as items of their own
        if not self._picks_visible(inspection):
            record.update(cartons=[], carton_seed=None)
        return FeedItem(kind="inspection", key=str(inspection.id), version=inspection.version, record=record,
                        inspection_id=inspection.id, order_id=inspection.order_id)

    async def _inspection_item(self, inspection: Inspection) -> FeedItem:
        head = await self.inspections.out(inspection, await self.session.get(Order, inspection.order_id),
                                          with_findings=False)
        return self._head(inspection, head)

    async def _order_items(self, order_id: uuid.UUID) -> list[FeedItem]:
        order = await self.session.get(Order, order_id)
        if order is None or order.deleted_at is not None:
            return [FeedItem(kind="order", key=str(order_id), version=order.version if order else 0, deleted=True,
                             order_id=order_id)]
        try:
            found, customer, factory = await OrderService(self.session, self.user).get(order_id)
        except NotFound:  # it left the user's hands since the row was written
            return [FeedItem(kind="order", key=str(order_id), version=order.version, deleted=True, order_id=order_id)]
        return [_item("order", str(order_id), found.version, order_out(found, customer, factory), None, order_id)]

    async def _packing_list_items(self, order_id: uuid.UUID) -> list[FeedItem]:
        packing = PackingListService(self.session, self.user)
        current = await self.session.scalar(select(PackingList).where(PackingList.order_id == order_id,
                                                                       PackingList.is_current))
        if current is None:
            return []
        detail = PackingListDetail(**packing_list_fields(current),
                                   cartons=[carton_out(c, i) for c, i in await packing.cartons(current.id)])
        return [_item("packing_list", str(order_id), current.version, detail, None, order_id)]


def _item(kind: str, key: str, version: int, record: Any, inspection_id: uuid.UUID | None = None,
          order_id: uuid.UUID | None = None) -> FeedItem:
    return FeedItem(kind=kind, key=key, version=version, record=msgspec.to_builtins(record),
                    inspection_id=inspection_id, order_id=order_id)
