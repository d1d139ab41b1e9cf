from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from api.schemas import INT32_MAX, Input, Output, text
from api.orders.inspection_status import render

# Every string is as long as its column in api/orders/models.py allows, and without NUL (api/schemas.py).
OrderStatus = Literal["draft", "confirmed", "in_production", "ready_to_ship", "shipped", "cancelled"]
Code = text(40, 1)  # customers.code, factories.code
Text60 = text(60, 1)  # orders.po_number, orders.style_number
Name = text(200, 1)  # customers.name, factories.name
Address = text(400)  # factories.address
Contact = text(200)  # factories.contact
Batch = text(60)  # orders.factory_batch
Description = text(4000)  # orders.description is Text: bounded like the inspections' notes
Destination = text(200)  # orders.destination
ImportReason = text(1000)  # why a packing list replaces one cartons were picked from (the event's data)
Colour = text(80, 1)  # order_lines.colour
Size = text(40, 1)  # order_lines.size
Sku = text(80, 1)  # order_lines.sku
# order_lines.gtin is String(14); spaces are taken out before its digits are checked (check_gtin).
GtinText = text(24)
AqlLevel = text(4)  # aql_level is String(4)
AqlValue = text(8)  # aql_critical / aql_major / aql_minor are String(8)
Quantity = Annotated[int, msgspec.Meta(gt=0, le=10_000_000)]  # within the Integer column (INT32_MAX)
# The version an edit was based on (an Integer column): a larger number is a 400, not a database overflow.
Version = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]


class AqlFields(msgspec.Struct, kw_only=True):
    """Default sampling settings. Null falls through: order → customer → level II, 0 / 2.5 / 4.0."""

    aql_level: AqlLevel | None = None
    aql_critical: AqlValue | None = None
    aql_major: AqlValue | None = None
    aql_minor: AqlValue | None = None


class AqlPatchFields(msgspec.Struct, kw_only=True):
    aql_level: AqlLevel | None | UnsetType = UNSET
    aql_critical: AqlValue | None | UnsetType = UNSET
    aql_major: AqlValue | None | UnsetType = UNSET
    aql_minor: AqlValue | None | UnsetType = UNSET


# The customer's own names for the order colours, as factories write them: {"黑色": "Black"}. Trimmed, each
# name and colour needs 1 to 80 characters (check_colour_aliases); a colour is at most order_lines.colour long.
ColourAliases = Annotated[dict[text(80), text(80)], msgspec.Meta(max_length=500)]


class CustomerIn(AqlFields, Input):
    code: Code
    name: Name
    colour_aliases: ColourAliases = {}


class CustomerPatch(AqlPatchFields, Input):
    version: Version  # the version this edit was based on; a stale one gets 409
    code: Code | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    colour_aliases: ColourAliases | UnsetType = UNSET  # replaces the whole map


class CustomerOut(AqlFields, Output):
    id: UUID
    code: str
    name: str
    version: int
    colour_aliases: dict[str, str] = {}


class FactoryIn(Input):
    code: Code
    name: Name
    address: Address = ""
    contact: Contact = ""


class FactoryPatch(Input):
    version: Version  # the version this edit was based on; a stale one gets 409
    code: Code | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    contact: Contact | UnsetType = UNSET


class FactoryOut(Output):
    id: UUID
    code: str
    name: str
    address: str
    contact: str
    version: int


class OrderLineIn(Input):
    colour: Colour
    size: Size
    sku: Sku
    quantity: Quantity
    gtin: GtinText | None = None


class OrderLinePatch(Input):
    colour: Colour | UnsetType = UNSET
    size: Size | UnsetType = UNSET
    sku: Sku | UnsetType = UNSET
    quantity: Quantity | UnsetType = UNSET
    gtin: GtinText | None | UnsetType = UNSET


class OrderLineOut(Output):
    id: UUID
    colour: str
    size: str
    sku: str
    gtin: str | None
    quantity: int


class OrderCreate(AqlFields, Input):
    customer_id: UUID
    factory_id: UUID
    po_number: Text60
    style_number: Text60
    factory_batch: Batch = ""
    description: Description = ""
    ship_date: date | None = None
    destination: Destination = ""
    status: OrderStatus = "confirmed"
    merchandiser_id: UUID | None = None
    lines: list[OrderLineIn] = []
    # Made by the client, so that sending the form again after a lost answer is a replay, not a second order.
    id: UUID | None = None


class OrderPatch(AqlPatchFields, Input):
    version: Version  # the version this edit was based on; a stale one gets 409
    customer_id: UUID | UnsetType = UNSET
    factory_id: UUID | UnsetType = UNSET
    po_number: Text60 | UnsetType = UNSET
    style_number: Text60 | UnsetType = UNSET
    factory_batch: Batch | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    ship_date: date | None | UnsetType = UNSET
    destination: Destination | UnsetType = UNSET
    status: OrderStatus | UnsetType = UNSET
    merchandiser_id: UUID | None | UnsetType = UNSET


class Ref(Output):
    id: UUID
    code: str
    name: str


class OrderSummary(AqlFields, Output):
    id: UUID
    customer: Ref
    factory: Ref
    merchandiser_id: UUID | None
    po_number: str
    style_number: str
    factory_batch: str
    description: str
    ship_date: date | None
    destination: str
    status: str
    inspection_status: str  # the latest inspection's news, as a sentence (English)
    inspection_status_zh: str
    inspection_state: dict[str, Any] | None  # the same as data: type, verdict, decision, progress
    version: int
    created_at: datetime
    updated_at: datetime


class OrderOut(OrderSummary):
    lines: list[OrderLineOut]
    total_quantity: int


class EventOut(Output):
    id: UUID
    at: datetime
    kind: str
    message: str
    actor_id: UUID | None
    data: dict[str, Any]


class CartonItemOut(Output):
    order_line_id: UUID
    sku: str
    colour: str
    size: str
    quantity: int


class CartonPreview(Output):
    """A carton as a packing list describes it (a dry run's cartons have no id yet)."""

    number: int
    barcode: str
    net_kg: float | None
    gross_kg: float | None
    length_cm: float | None
    width_cm: float | None
    height_cm: float | None
    items: list[CartonItemOut]


class CartonOut(CartonPreview):
    id: UUID


class PackingListOut(Output):
    id: UUID
    order_id: UUID
    version: int
    filename: str
    imported_at: datetime
    carton_count: int
    total_quantity: int
    reconciliation: dict[str, Any]


class PackingListDetail(PackingListOut):
    cartons: list[CartonOut]


class PackingLineChange(Output):
    """One order line: what the current list packs, what the new file would pack, and the change."""

    order_line_id: UUID
    sku: str
    colour: str
    size: str
    current_packed: int
    packed: int
    difference: int


class PackingListPreview(Output):
    """The answer of a dry run: the file read and reconciled, compared with the current list; nothing stored."""

    dry_run: bool
    order_id: UUID
    filename: str
    version: int  # the version an import would become
    replaces_version: int | None
    carton_count: int
    total_quantity: int
    reconciliation: dict[str, Any]
    changes: list[PackingLineChange]
    cartons: list[CartonPreview]


class CartonLookupOut(Output):
    carton: CartonOut
    order: OrderSummary


def ref(item: Any) -> Ref:
    # By hand: `item` is often a NamedTuple (OrderService.get), which msgspec.convert reads as an array,
    # not by attribute, even with from_attributes=True.
    return Ref(id=item.id, code=item.code, name=item.name)


def customer_out(c: Any) -> CustomerOut:
    return msgspec.convert(c, CustomerOut, from_attributes=True)


def factory_out(f: Any) -> FactoryOut:
    return msgspec.convert(f, FactoryOut, from_attributes=True)


def line_out(line: Any) -> OrderLineOut:
    return msgspec.convert(line, OrderLineOut, from_attributes=True)


def _order_fields(order: Any, customer: Any, factory: Any) -> dict[str, Any]:
    return dict(
        id=order.id, customer=ref(customer), factory=ref(factory), merchandiser_id=order.merchandiser_id,
        po_number=order.po_number, style_number=order.style_number, factory_batch=order.factory_batch,
        description=order.description, ship_date=order.ship_date, destination=order.destination,
        status=order.status, inspection_status=render(order.inspection_state)[0],
        inspection_status_zh=render(order.inspection_state)[1], inspection_state=order.inspection_state,
        version=order.version,
        created_at=order.created_at, updated_at=order.updated_at, aql_level=order.aql_level,
        aql_critical=order.aql_critical, aql_major=order.aql_major, aql_minor=order.aql_minor,
    )


def order_summary(order: Any, customer: Any, factory: Any) -> OrderSummary:
    return OrderSummary(**_order_fields(order, customer, factory))


def order_out(order: Any, customer: Any, factory: Any) -> OrderOut:
    return OrderOut(**_order_fields(order, customer, factory), lines=[line_out(x) for x in order.lines],
                    total_quantity=sum(x.quantity for x in order.lines))


def event_out(e: Any) -> EventOut:
    return EventOut(id=e.id, at=e.at, kind=e.kind, message=e.message, actor_id=e.actor_id, data=e.data or {})


def carton_out(carton: Any, items: list[tuple[Any, Any]]) -> CartonOut:
    return CartonOut(
        id=carton.id, number=carton.number, barcode=carton.barcode, net_kg=carton.net_kg, gross_kg=carton.gross_kg,
        length_cm=carton.length_cm, width_cm=carton.width_cm, height_cm=carton.height_cm,
        items=[CartonItemOut(order_line_id=line.id, sku=line.sku, colour=line.colour, size=line.size,
                             quantity=item.quantity) for item, line in items],
    )


def packing_list_preview(preview: dict[str, Any]) -> PackingListPreview:
    cartons = [CartonPreview(
        number=spec.number, barcode=spec.barcode, net_kg=spec.net_kg, gross_kg=spec.gross_kg,
        length_cm=spec.length_cm, width_cm=spec.width_cm, height_cm=spec.height_cm,
        items=[CartonItemOut(order_line_id=line.id, sku=line.sku, colour=line.colour, size=line.size,
                             quantity=quantity) for line, quantity in items],
    ) for spec, items in preview["cartons"]]
    return PackingListPreview(dry_run=True, **{**preview, "cartons": cartons,
                                               "changes": [PackingLineChange(**c) for c in preview["changes"]]})


def packing_list_fields(p: Any) -> dict[str, Any]:
    return dict(id=p.id, order_id=p.order_id, version=p.version, filename=p.filename, imported_at=p.imported_at,
                carton_count=p.carton_count, total_quantity=p.total_quantity, reconciliation=p.reconciliation)
