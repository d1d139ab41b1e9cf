from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, new_id, utcnow


class AqlDefaults:
    """Default sampling settings; None falls through (order → customer → the garment defaults)."""

    aql_level: Mapped[str | None] = mapped_column(String(4), default=None)
    aql_critical: Mapped[str | None] = mapped_column(String(8), default=None)
    aql_major: Mapped[str | None] = mapped_column(String(8), default=None)
    aql_minor: Mapped[str | None] = mapped_column(String(8), default=None)


LIVE = text("deleted_at IS NULL")


def live_unique(name: str, *columns: str) -> Index:
    """Unique among live rows only: a tombstone no longer holds its code, PO or SKU."""
    return Index(name, *columns, unique=True, sqlite_where=LIVE, postgresql_where=LIVE)


class Tombstone:
    """A removed record stays as a tombstone, with who removed it and when, so phones learn that it went away.

    Every read leaves tombstones out; a removal raises the record's version.
    """

    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)


class Customer(AqlDefaults, Tombstone, Base):
    __tablename__ = "customers"
    __table_args__ = (live_unique("uq_customers_live_code", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    # The customer's own names for colours as factories write them on packing lists: {"黑色": "Black"}.
    colour_aliases: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Factory(Tombstone, Base):
    __tablename__ = "factories"
    __table_args__ = (live_unique("uq_factories_live_code", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    # A supervisor allows reduced inspection; the switching rules decide when it applies.
    reduced_allowed: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    # users.factory_id refers back to factories: use_alter breaks the cycle when the tables are sorted.
    deleted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", use_alter=True), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Order(AqlDefaults, Tombstone, Base):
    __tablename__ = "orders"
    __table_args__ = (live_unique("uq_orders_live_customer_id_po_number", "customer_id", "po_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    factory_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("factories.id"), index=True)
    merchandiser_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    po_number: Mapped[str] = mapped_column(String(60))
    style_number: Mapped[str] = mapped_column(String(60), index=True)
    factory_batch: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    ship_date: Mapped[date | None] = mapped_column(default=None, index=True)
    destination: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="confirmed", index=True)
    # A short human summary kept up to date by the inspection workflow ("PSI passed", …).
    # What the latest inspection says, as data (api/orders/inspection_status.py renders it for people).
    inspection_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The live lines only: a removed line stays in the table as a tombstone.
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan",
        primaryjoin="and_(Order.id == OrderLine.order_id, OrderLine.deleted_at.is_(None))",
    )


class OrderLine(Tombstone, Base):
    __tablename__ = "order_lines"
    __table_args__ = (live_unique("uq_order_lines_live_order_id_sku", "order_id", "sku"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    colour: Mapped[str] = mapped_column(String(80))
    size: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(80))
    gtin: Mapped[str | None] = mapped_column(String(14), default=None, index=True)
    quantity: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Base):
    """The order's timeline. Append-only: nothing updates or deletes a row here."""

    __tablename__ = "order_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PackingList(Base):
    __tablename__ = "packing_lists"
    __table_args__ = (UniqueConstraint("order_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    is_current: Mapped[bool] = mapped_column(default=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    carton_count: Mapped[int] = mapped_column(default=0)
    total_quantity: Mapped[int] = mapped_column(default=0)
    reconciliation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Carton(Base):
    __tablename__ = "cartons"
    __table_args__ = (
        UniqueConstraint("packing_list_id", "number"),
        Index("ix_cartons_barcode_current", "barcode", "is_current"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    packing_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("packing_lists.id", ondelete="CASCADE"))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Copied from the packing list so a lookup by barcode needs one index and no join.
    is_current: Mapped[bool] = mapped_column(default=True)
    number: Mapped[int]
    barcode: Mapped[str] = mapped_column(String(48))
    net_kg: Mapped[float | None] = mapped_column(default=None)
    gross_kg: Mapped[float | None] = mapped_column(default=None)
    length_cm: Mapped[float | None] = mapped_column(default=None)
    width_cm: Mapped[float | None] = mapped_column(default=None)
    height_cm: Mapped[float | None] = mapped_column(default=None)

    items: Mapped[list[CartonItem]] = relationship(order_by="CartonItem.position", cascade="all, delete-orphan")


class CartonItem(Base):
    __tablename__ = "carton_items"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    carton_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cartons.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_lines.id"))
    position: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[int]
