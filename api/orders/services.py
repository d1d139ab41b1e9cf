"""Customers, factories, orders, order lines and the order timeline."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, NamedTuple

import anyio.to_thread
from sqlalchemy import DateTime, Uuid, and_, column, func, insert, or_, select, table, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from api import aql
from api.access import catalogue_visible_to, order_not_found, order_visible_to, require_staff, visible_order
from api.auth.models import Role, User
from api.barcodes import gs1
from api.db import new_id, unique_or, utcnow
from api.errors import Conflict, Invalid, NotFound
from api.events import record_event
from api.orders.models import Carton, CartonItem, Customer, Factory, Order, OrderEvent, OrderLine, PackingList
from api.orders.packing import CartonSpec, LineRef, PackingListInvalid, parse_packing_list, read_table
from api.orders.schemas import customer_out, factory_out, line_out, order_summary
from api.sync import RecordKind, SyncProtocol

AQL_FIELDS = ("aql_level", "aql_critical", "aql_major", "aql_minor")
# Inspections refer to their order. Read by table name, so that the orders area does not import the
# inspections area (which builds on it); a tombstone no longer meets the foreign key that used to refuse.
INSPECTIONS = table("inspections", column("id", Uuid), column("order_id", Uuid), column("assignee_id", Uuid),
                    column("submitted_at", DateTime))
# Events that tell which cartons will be opened (the draw's seed reproduces the picks): a factory reads them only
# once the inspection is submitted, like the picks themselves (api/access.py may_see_picks).
REVEALS_PICKS = frozenset({"cartons_redrawn"})


def check_aql_fields(values: dict[str, Any]) -> None:
    for name in AQL_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        try:
            if name == "aql_level":
                aql.plan(100, level=value)
            else:
                aql.plan(100, aql=value)
        except ValueError as exc:
            raise Invalid(f"{name}: {exc}", detail_zh=f"{name} 无效。", field=name) from None


def check_gtin(gtin: str | None, line_index: int | None = None) -> str | None:
    """The GTIN as stored; `line_index` names the order line it came with (0-based, as in the body)."""
    if gtin is None or not gtin.strip():
        return None
    gtin = gtin.strip().replace(" ", "")
    if not gs1.is_valid_gtin(gtin):
        where, where_zh = (f"Line {line_index + 1}: ", f"第 {line_index + 1} 行：") if line_index is not None else ("", "")
        raise Invalid(f"{where}GTIN {gtin} is not valid: it needs 8, 12, 13 or 14 digits and a correct check digit.",
                      detail_zh=f"{where_zh}GTIN {gtin} 无效：须为 8、12、13 或 14 位且校验位正确。",
                      field="gtin" if line_index is None else f"lines[{line_index}].gtin", line=line_index)
    return gtin


def check_colour_aliases(aliases: dict[str, str] | None) -> dict[str, str]:
    """{"黑色": "Black"}, trimmed; one meaning per name however it is capitalised."""
    cleaned: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name, colour in (aliases or {}).items():
        name, colour = name.strip(), colour.strip()
        if not name or not colour or len(name) > 80 or len(colour) > 80:
            raise Invalid("colour_aliases: every name and colour needs 1 to 80 characters.",
                          detail_zh="颜色别名：名称和颜色都需要 1 到 80 个字符。", field="colour_aliases")
        if name.lower() in seen:
            raise Invalid(f"colour_aliases: {name!r} is given twice ({seen[name.lower()]!r}).",
                          detail_zh=f"颜色别名：「{name}」重复。", field="colour_aliases")
        seen[name.lower()] = name
        cleaned[name] = colour
    return cleaned


class CatalogueService:
    """Customers and factories: small reference lists with a unique code."""

    def __init__(self, session: AsyncSession, model: type[Customer] | type[Factory], user: User | None = None) -> None:
        self.session = session
        self.model = model
        self.user = user
        self.noun = "factory" if model is Factory else "customer"
        self.records = SyncProtocol(session)
        self.kind: RecordKind[Any] = RecordKind(model, out=factory_out if model is Factory else customer_out)

    def _visible(self) -> Any:
        return catalogue_visible_to(self.user, self.model) if self.user is not None else true()

    async def list(self) -> list[Any]:
        return list(await self.session.scalars(
            select(self.model).where(self.model.deleted_at.is_(None), self._visible()).order_by(self.model.code)))

    async def get(self, item_id: uuid.UUID, *, for_update: bool = False, deleted: bool = False) -> Any:
        """The live record (404 for a tombstone, unless `deleted`); `for_update` locks its row until the commit.

        Hidden and missing look the same.
        """
        query = select(self.model).where(self.model.id == item_id, self._visible())
        if not deleted:
            query = query.where(self.model.deleted_at.is_(None))
        item = await self.session.scalar(query.with_for_update() if for_update else query)
        if item is None:
            raise NotFound(f"No such {self.noun}.", detail_zh="记录不存在。")
        return item

    async def create(self, values: dict[str, Any]) -> Any:
        check_aql_fields(values)
        values = self._cleaned(values)
        async with unique_or(self.session, self._code_taken(values.get("code"))):
            item = self.model(**values)
            self.session.add(item)
        return item

    async def update(self, item_id: uuid.UUID, version: int, values: dict[str, Any]) -> Any:
        """A versioned edit: based on a stale version it is a 409 with the record as it is now."""
        item = await self.get(item_id, for_update=True)
        values = self._cleaned(values)

        async def authorize(_current: Any) -> None:
            check_aql_fields(values)

        async with unique_or(self.session, self._code_taken(values.get("code"))):
            await self.records.write(self.kind, {"id": item.id}, values, base_version=version, current=item,
                                     authorize=authorize)
        return item

    @staticmethod
    def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
        """The values as stored (colour aliases trimmed), so that a replay of an edit compares equal."""
        if "colour_aliases" in values:
            return {**values, "colour_aliases": check_colour_aliases(values["colour_aliases"])}
        return values

    def _code_taken(self, code: str | None) -> Conflict:
        return Conflict(f"A {self.noun} with code {code!r} exists already.", detail_zh="编码已存在。", field="code")

    async def delete(self, item_id: uuid.UUID) -> None:
        """A tombstone; deleting again answers the same. Refused while live orders (or users) refer to it."""
        if self.user is None:
            raise TypeError("deleting needs the user who deletes")
        # Locked first: an order created meanwhile (see OrderService._check_refs) is then counted below.
        item = await self.get(item_id, for_update=True, deleted=True)
        if item.deleted_at is not None:
            return
        refers = Order.customer_id if self.model is Customer else Order.factory_id
        if await self.session.scalar(select(func.count()).where(refers == item.id, Order.deleted_at.is_(None))):
            raise Conflict(f"This {self.noun} has orders; it cannot be deleted.",
                           detail_zh="该记录下已有订单，不能删除。")
        if self.model is Factory and await self.session.scalar(
                select(func.count()).select_from(User).where(User.factory_id == item.id)):
            raise Conflict("This factory has user accounts; deactivate them first.",
                           detail_zh="该工厂下有用户账号，请先停用。")
        await self.records.delete(self.kind, {"id": item.id}, item, self.user)


class Named(NamedTuple):
    """A customer or factory as an order shows it."""

    id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True)
class OrderFilters:
    status: str | None = None
    factory_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    ship_from: date | None = None
    ship_to: date | None = None
    q: str | None = None
    merchandiser_id: uuid.UUID | None = None


class OrderService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user
        self.records = SyncProtocol(session)
        self.kind: RecordKind[Order] = RecordKind(Order, out=self._server_copy)
        self.line_kind: RecordKind[OrderLine] = RecordKind(OrderLine, out=line_out)

    async def _server_copy(self, order: Order) -> Any:
        customer = await self.session.get(Customer, order.customer_id)
        factory = await self.session.get(Factory, order.factory_id)
        return order_summary(order, customer, factory)

    def _select(self):  # type: ignore[no-untyped-def]
        return (select(Order, Customer, Factory).join(Customer, Customer.id == Order.customer_id)
                .join(Factory, Factory.id == Order.factory_id)
                .where(Order.deleted_at.is_(None), order_visible_to(self.user)))

    async def list(self, filters: OrderFilters, page: int, per_page: int) -> tuple[list[tuple[Order, Customer, Factory]], int]:
        query = self._select()
        if filters.status:
            query = query.where(Order.status == filters.status)
        if filters.factory_id:
            query = query.where(Order.factory_id == filters.factory_id)
        if filters.customer_id:
            query = query.where(Order.customer_id == filters.customer_id)
        if filters.merchandiser_id:
            query = query.where(Order.merchandiser_id == filters.merchandiser_id)
        if filters.ship_from:
            query = query.where(Order.ship_date >= filters.ship_from)
        if filters.ship_to:
            query = query.where(Order.ship_date <= filters.ship_to)
        if filters.q:
            like = f"%{filters.q.strip().lower()}%"
            query = query.where(or_(func.lower(Order.po_number).like(like), func.lower(Order.style_number).like(like)))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(
            query.order_by(Order.ship_date.is_(None), Order.ship_date, Order.po_number)
            .offset((page - 1) * per_page).limit(per_page))
        return [tuple(r) for r in rows], total or 0  # type: ignore[misc]

    async def get(self, order_id: uuid.UUID) -> tuple[Order, Named, Named]:
        """The order with its lines, customer and factory in one query: after a scan, the most frequent read."""
        rows = (await self.session.execute(
            select(Order, Customer.id, Customer.code, Customer.name, Factory.id, Factory.code, Factory.name, OrderLine)
            .join(Customer, Customer.id == Order.customer_id).join(Factory, Factory.id == Order.factory_id)
            .outerjoin(OrderLine, and_(OrderLine.order_id == Order.id, OrderLine.deleted_at.is_(None)))
            .where(Order.id == order_id, Order.deleted_at.is_(None), order_visible_to(self.user))
            .order_by(OrderLine.position))).all()
        if not rows:
            raise order_not_found()
        order = rows[0][0]
        set_committed_value(order, "lines", [row[7] for row in rows if row[7] is not None])
        return order, Named(*rows[0][1:4]), Named(*rows[0][4:7])

    async def create(self, values: dict[str, Any], lines: list[dict[str, Any]]) -> tuple[Order, bool]:
        """The new order and True; or, for a replay (an id of the client's that exists), the order and False."""
        require_staff(self.user)
        order_id = values.pop("id", None) or new_id()
        existing = await self.session.get(Order, order_id)
        if existing is not None:
            return await self._replayed(existing, values), False
        check_aql_fields(values)
        await self._check_refs(values)
        order = Order(id=order_id, **values, lines=[])
        for position, line in enumerate(lines):
            order.lines.append(OrderLine(position=position, **{**line, "gtin": check_gtin(line.get("gtin"), position)}))
        self._check_unique_skus(order.lines)
        async with unique_or(self.session, self._po_taken(values.get("po_number"))):
            self.session.add(order)
        await record_event(self.session, order.id, "order_created", f"Order {order.po_number} created", self.user,
                           lines=len(lines))
        return order, True

    async def _replayed(self, order: Order, values: dict[str, Any]) -> Order:
        """An order created from this id already: the same form sent again answers it, anything else is a 409."""
        visible = order.deleted_at is None and await self.session.scalar(
            select(func.count()).select_from(Order).where(Order.id == order.id, order_visible_to(self.user)))
        if not visible or (order.customer_id, order.po_number) != (values["customer_id"], values["po_number"]):
            raise Conflict("An order with this id exists with other content: reload the form to create a new order.",
                           detail_zh="该编号的订单已存在且内容不同：请重新打开表单以新建订单。", field="id")
        return order

    async def update(self, order_id: uuid.UUID, version: int, values: dict[str, Any]) -> Order:
        order = await visible_order(self.session, self.user, order_id, lock=True)
        require_staff(self.user)
        changed = sorted(k for k, v in values.items() if getattr(order, k) != v)

        async def authorize(_current: Order | None) -> None:
            check_aql_fields(values)
            await self._check_refs(values)

        async with unique_or(self.session, self._po_taken(values.get("po_number"))):
            written = await self.records.write(self.kind, {"id": order.id}, values, base_version=version,
                                               current=order, authorize=authorize)
        if written.changed:
            await record_event(self.session, order.id, "order_updated", "Order updated: " + ", ".join(changed),
                               self.user, fields=changed)
        return order

    async def delete(self, order_id: uuid.UUID) -> None:
        """A tombstone; deleting again answers the same. Refused once inspections or packing lists refer to it."""
        # Locked first: on PostgreSQL an inspection inserted meanwhile holds a key-share lock on this row until
        # it commits, so the lock waits for it and the count below sees it.
        order = await visible_order(self.session, self.user, order_id, lock=True, deleted=True)
        require_staff(self.user)
        if order.deleted_at is not None:
            return
        in_use = Conflict("This order has inspections or packing lists; cancel it instead of deleting it.",
                          detail_zh="该订单已有验货或装箱单记录，只能取消，不能删除。")
        if await self.session.scalar(select(func.count()).where(PackingList.order_id == order.id)):
            raise in_use
        if await self.session.scalar(
                select(func.count()).select_from(INSPECTIONS).where(INSPECTIONS.c.order_id == order.id)):
            raise in_use
        await self.records.delete(self.kind, {"id": order.id}, order, self.user)
        await record_event(self.session, order.id, "order_deleted", f"Order {order.po_number} deleted", self.user)

    async def add_line(self, order_id: uuid.UUID, values: dict[str, Any]) -> OrderLine:
        order = await visible_order(self.session, self.user, order_id, lock=True)
        require_staff(self.user)
        # After the last live line (a count would repeat a position once a line in the middle is gone).
        position = await self.session.scalar(
            select(func.coalesce(func.max(OrderLine.position) + 1, 0))
            .where(OrderLine.order_id == order.id, OrderLine.deleted_at.is_(None)))
        line = OrderLine(order_id=order.id, position=position or 0, **{**values, "gtin": check_gtin(values.get("gtin"))})
        async with unique_or(self.session, self._sku_taken()):
            self.session.add(line)
        await self._touch(order, "line_added", f"Line {line.sku} added", sku=line.sku)
        return line

    async def update_line(self, order_id: uuid.UUID, line_id: uuid.UUID, values: dict[str, Any]) -> OrderLine:
        order = await visible_order(self.session, self.user, order_id, lock=True)
        require_staff(self.user)
        line = await self._line(order, line_id)
        if "gtin" in values:
            values["gtin"] = check_gtin(values["gtin"])
        changed = any(getattr(line, name) != value for name, value in values.items())
        async with unique_or(self.session, self._sku_taken()):
            for name, value in values.items():
                setattr(line, name, value)
            if changed:
                line.version += 1
        await self._touch(order, "line_updated", f"Line {line.sku} updated", sku=line.sku, fields=sorted(values))
        return line

    async def delete_line(self, order_id: uuid.UUID, line_id: uuid.UUID) -> None:
        """A tombstone; deleting again answers the same. Refused while the line is packed in cartons."""
        # The order's lock also keeps a packing-list import of this order from packing the line meanwhile.
        order = await visible_order(self.session, self.user, order_id, lock=True)
        require_staff(self.user)
        line = await self._line(order, line_id, deleted=True)
        if line.deleted_at is not None:
            return
        if await self.session.scalar(select(func.count()).where(CartonItem.order_line_id == line.id)):
            raise Conflict(f"Line {line.sku} is packed in cartons; import a packing list without it first.",
                           detail_zh=f"{line.sku} 已在装箱单中，请先导入不含该款的装箱单。")
        await self.records.delete(self.line_kind, {"id": line.id}, line, self.user)
        await self._touch(order, "line_removed", f"Line {line.sku} removed", sku=line.sku)

    async def timeline(self, order_id: uuid.UUID) -> list[OrderEvent]:
        """The order's events as this user may read them.

        Staff read every event. A factory reads the timeline of its own orders, except the draws of inspections
        not submitted yet: their seed would tell it which cartons to prepare.
        A third-party inspector sees an order because one of its inspections is assigned to them, and must not
        learn from the timeline who else inspects it, when, or with what result: every event about an
        inspection names it (`inspection_id` in its data: booked, created, cartons drawn, signed, submitted,
        reviewed, aborted, revised, follow-up closed), and those of inspections not assigned to them are
        left out. Events about the order itself (created, edited, lines, packing lists, spec sheet) name no
        inspection; the inspector works from that order, its lines and its packing list, so they stay.
        """
        order = await visible_order(self.session, self.user, order_id)
        events = list(await self.session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.at, OrderEvent.id)))
        if self.user.role == Role.factory:
            submitted = {str(i) for i in await self.session.scalars(
                select(INSPECTIONS.c.id).where(INSPECTIONS.c.order_id == order.id,
                                               INSPECTIONS.c.submitted_at.is_not(None)))}
            return [e for e in events
                    if e.kind not in REVEALS_PICKS or (e.data or {}).get("inspection_id") in submitted]
        if self.user.role != Role.inspector:
            return events
        readable: set[str | None] = {None}  # an event that names no inspection is about the order
        readable |= {str(i) for i in await self.session.scalars(
            select(INSPECTIONS.c.id).where(INSPECTIONS.c.order_id == order.id,
                                           INSPECTIONS.c.assignee_id == self.user.id))}
        return [e for e in events if (e.data or {}).get("inspection_id") in readable]

    async def _line(self, order: Order, line_id: uuid.UUID, *, deleted: bool = False) -> OrderLine:
        """A line of the order; a tombstone answers 404 like a missing line, unless `deleted`."""
        line = await self.session.get(OrderLine, line_id)
        if line is None or line.order_id != order.id or (line.deleted_at is not None and not deleted):
            raise NotFound("No such order line.", detail_zh="订单行不存在。")
        return line

    async def _touch(self, order: Order, kind: str, message: str, **data: Any) -> None:
        order.version += 1
        order.updated_at = utcnow()
        await record_event(self.session, order.id, kind, message, self.user, **data)

    @staticmethod
    def _sku_taken() -> Conflict:
        return Conflict("This order already has a line with that SKU.", detail_zh="该订单已有相同 SKU。", field="sku")

    async def _check_refs(self, values: dict[str, Any]) -> None:
        for field, catalogue in (("customer_id", Customer), ("factory_id", Factory)):
            # A deleted customer or factory is unknown. The key-share lock keeps it from being deleted until this
            # order commits (CatalogueService.delete locks it FOR UPDATE, then counts its orders); one taken
            # while a deletion holds the row waits, then finds the tombstone.
            if values.get(field) is not None and await self.session.scalar(
                    select(catalogue.id).where(catalogue.id == values[field], catalogue.deleted_at.is_(None))
                    .with_for_update(read=True, key_share=True)) is None:
                raise Invalid(f"Unknown {field}.", detail_zh=f"{field} 不存在。", field=field)
        merchandiser = values.get("merchandiser_id")
        if merchandiser is not None and await self.session.get(User, merchandiser) is None:
            raise Invalid("Unknown merchandiser_id.", detail_zh="merchandiser_id 不存在。", field="merchandiser_id")

    @staticmethod
    def _check_unique_skus(lines: list[OrderLine]) -> None:
        seen: set[str] = set()
        for line in lines:
            if line.sku.lower() in seen:
                raise Invalid(f"SKU {line.sku} appears twice in the lines.", detail_zh=f"SKU {line.sku} 重复。",
                              field="lines")
            seen.add(line.sku.lower())

    @staticmethod
    def _po_taken(po_number: str | None) -> Conflict:
        return Conflict(f"This customer already has an order with PO {po_number}.",
                        detail_zh=f"该客户已有 PO 号为 {po_number} 的订单。", field="po_number")


MAX_LISTED_ERRORS = 200  # a file of a million bad rows answers the first few hundred and the count


class PackingListService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user

    async def _read(self, order_id: uuid.UUID, filename: str, data: bytes, *,
                    lock: bool) -> tuple[Order, list[OrderLine], list[CartonSpec]]:
        order = await visible_order(self.session, self.user, order_id, lock=lock)
        require_staff(self.user)
        # Only live lines are matched and reconciled: a removed line is not on the order any more.
        lines = list(await self.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.deleted_at.is_(None))
            .order_by(OrderLine.position)))
        refs = [LineRef(str(line.id), line.sku, line.colour, line.size) for line in lines]
        aliases = await self.session.scalar(select(Customer.colour_aliases).where(Customer.id == order.customer_id))
        try:
            cartons = await anyio.to_thread.run_sync(_parse, filename, data, refs, order.po_number, aliases or {})
        except PackingListInvalid as exc:
            # The first MAX_LISTED_ERRORS are listed; error_count says how many there are in all.
            count = len(exc.errors)
            shown = f" (the first {MAX_LISTED_ERRORS} are listed)" if count > MAX_LISTED_ERRORS else ""
            raise Invalid(f"The packing list has {count} problem(s){shown}; nothing was imported.",
                          detail_zh=f"装箱单有 {count} 处错误，未导入任何内容。",
                          errors=[asdict(e) for e in exc.errors[:MAX_LISTED_ERRORS]], error_count=count) from None
        return order, lines, cartons

    async def preview(self, order_id: uuid.UUID, filename: str, data: bytes) -> dict[str, Any]:
        """What importing the file would give, against the current list; nothing is stored."""
        order, lines, cartons = await self._read(order_id, filename, data, lock=False)
        packed: dict[str, int] = {}
        for spec in cartons:
            for line_key, quantity in spec.items:
                packed[line_key] = packed.get(line_key, 0) + quantity
        previous = await self.current(order.id)
        before: dict[str, int] = {}
        if previous:
            rows = await self.session.execute(
                select(CartonItem.order_line_id, func.sum(CartonItem.quantity))
                .join(Carton, Carton.id == CartonItem.carton_id)
                .where(Carton.packing_list_id == previous.id).group_by(CartonItem.order_line_id))
            before = {str(line_id): int(total) for line_id, total in rows}
        by_key = {str(line.id): line for line in lines}
        changes = [{"order_line_id": line.id, "sku": line.sku, "colour": line.colour, "size": line.size,
                    "current_packed": before.get(str(line.id), 0), "packed": packed.get(str(line.id), 0),
                    "difference": packed.get(str(line.id), 0) - before.get(str(line.id), 0)} for line in lines]
        return {"order_id": order.id, "filename": filename[:255],
                "version": (previous.version + 1) if previous else 1,
                "replaces_version": previous.version if previous else None,
                "carton_count": len(cartons), "total_quantity": sum(packed.values()),
                "reconciliation": reconcile(lines, packed, len(cartons)), "changes": changes,
                "cartons": [(spec, [(by_key[key], quantity) for key, quantity in spec.items]) for spec in cartons]}

    async def import_file(self, order_id: uuid.UUID, filename: str, data: bytes,
                          reason: str | None = None) -> PackingList:
        # Locked: a line removed meanwhile (OrderService.delete_line) must not be packed by this import.
        order, lines, cartons = await self._read(order_id, filename, data, lock=True)
        previous = await self.current(order.id)
        packing_list = PackingList(id=new_id(), order_id=order.id, version=(previous.version + 1) if previous else 1,
                                   filename=filename[:255], imported_by_id=self.user.id, imported_at=utcnow())
        if previous:
            previous.is_current = False
            await self.session.execute(update(Carton).where(Carton.packing_list_id == previous.id)
                                       .values(is_current=False))
        packed: dict[str, int] = {}
        carton_rows, item_rows = [], []
        for spec in cartons:
            carton_id = uuid.uuid4()
            carton_rows.append({"id": carton_id, "packing_list_id": packing_list.id, "order_id": order.id,
                                "is_current": True, "number": spec.number, "barcode": spec.barcode,
                                "net_kg": spec.net_kg, "gross_kg": spec.gross_kg, "length_cm": spec.length_cm,
                                "width_cm": spec.width_cm, "height_cm": spec.height_cm})
            for position, (line_key, quantity) in enumerate(spec.items):
                item_rows.append({"id": uuid.uuid4(), "carton_id": carton_id, "order_line_id": uuid.UUID(line_key),
                                  "position": position, "quantity": quantity})
                packed[line_key] = packed.get(line_key, 0) + quantity
        packing_list.reconciliation = reconcile(lines, packed, len(cartons))
        packing_list.carton_count = len(cartons)
        packing_list.total_quantity = sum(packed.values())
        self.session.add(packing_list)
        await self.session.flush()
        await self.session.execute(insert(Carton), carton_rows)
        if item_rows:
            await self.session.execute(insert(CartonItem), item_rows)
        summary = packing_list.reconciliation["status"]
        await record_event(self.session, order.id, "packing_list_imported",
                           f"Packing list v{packing_list.version} imported: {len(cartons)} cartons, "
                           f"{packing_list.total_quantity} pcs ({summary})", self.user,
                           packing_list_id=str(packing_list.id), version=packing_list.version,
                           cartons=len(cartons), replaced_version=previous.version if previous else None,
                           filename=filename, reason=(reason or "").strip() or None)
        return packing_list

    async def current(self, order_id: uuid.UUID) -> PackingList | None:
        return await self.session.scalar(
            select(PackingList).where(PackingList.order_id == order_id, PackingList.is_current))

    async def current_visible(self, order_id: uuid.UUID) -> PackingList:
        order = await visible_order(self.session, self.user, order_id)
        packing_list = await self.current(order.id)
        if packing_list is None:
            raise NotFound("This order has no packing list yet.", detail_zh="该订单还没有装箱单。")
        return packing_list

    async def cartons(self, packing_list_id: uuid.UUID) -> list[tuple[Carton, list[tuple[CartonItem, OrderLine]]]]:
        cartons = list(await self.session.scalars(
            select(Carton).where(Carton.packing_list_id == packing_list_id).order_by(Carton.number)))
        return await self.with_items(cartons)

    async def lookup(self, code: str) -> tuple[Carton, list[tuple[CartonItem, OrderLine]], Order, Customer, Factory]:
        barcode = carton_code(code)
        row = (await self.session.execute(
            select(Carton, Order, Customer, Factory)
            .join(Order, Order.id == Carton.order_id)
            .join(Customer, Customer.id == Order.customer_id)
            .join(Factory, Factory.id == Order.factory_id)
            .where(Carton.barcode == barcode, Carton.is_current, Order.deleted_at.is_(None),
                   order_visible_to(self.user)))).first()
        if row is None:
            raise NotFound(f"No carton with code {barcode} on any order you can see.",
                           detail_zh=f"在您可见的订单中找不到条码为 {barcode} 的箱子。", code=barcode)
        carton, order, customer, factory = row
        [(carton, items)] = await self.with_items([carton])
        return carton, items, order, customer, factory

    async def with_items(self, cartons: list[Carton]) -> list[tuple[Carton, list[tuple[CartonItem, OrderLine]]]]:
        by_carton: dict[uuid.UUID, list[tuple[CartonItem, OrderLine]]] = {c.id: [] for c in cartons}
        # No tombstone filter on the lines: a packed line cannot be deleted (OrderService.delete_line), and what
        # a carton holds is a fact of its packing list that must not shrink.
        ids = list(by_carton)
        for start in range(0, len(ids), 500):
            rows = await self.session.execute(
                select(CartonItem, OrderLine).join(OrderLine, OrderLine.id == CartonItem.order_line_id)
                .where(CartonItem.carton_id.in_(ids[start:start + 500])).order_by(CartonItem.position))
            for item, line in rows:
                by_carton[item.carton_id].append((item, line))
        return [(c, by_carton[c.id]) for c in cartons]


def _parse(filename: str, data: bytes, refs: list[LineRef], po_number: str,
           colour_aliases: dict[str, str]) -> list[CartonSpec]:
    return parse_packing_list(read_table(filename, data), refs, po_number, colour_aliases)


def carton_code(text: str) -> str:
    """The stored form of a scanned or typed carton code: an SSCC as its 18 digits, anything else as given."""
    return gs1.sscc_from_text(text) or text.strip()


def reconcile(lines: list[OrderLine], packed: dict[str, int], carton_count: int) -> dict[str, Any]:
    """Packed against ordered, per line. Customers claim damages when these differ, so every line is listed.

    `lines` are the order's live lines: a deleted line is not ordered any more.
    """
    rows = []
    for line in lines:
        got = packed.get(str(line.id), 0)
        status = "exact" if got == line.quantity else ("over" if got > line.quantity else "short")
        rows.append({"order_line_id": str(line.id), "sku": line.sku, "colour": line.colour, "size": line.size,
                     "ordered": line.quantity, "packed": got, "difference": got - line.quantity, "status": status})
    statuses = {r["status"] for r in rows}
    overall = statuses.pop() if len(statuses) == 1 else ("mixed" if statuses else "exact")
    return {"status": overall, "carton_count": carton_count, "lines": rows,
            "total_ordered": sum(r["ordered"] for r in rows), "total_packed": sum(r["packed"] for r in rows)}
