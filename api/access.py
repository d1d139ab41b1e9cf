"""Who may see and change what. Every read and write of an order goes through here."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import STAFF, Role, User
from api.errors import NotFound
from api.inspections.models import Inspection
from api.orders.models import Order


def order_visible_to(user: User) -> ColumnElement[bool]:
    """A filter on Order: staff see every order, a factory its own, a third-party inspector only its assignments."""
    if user.role in STAFF:
        return true()
    if user.role == Role.inspector:
        return Order.id.in_(select(Inspection.order_id).where(Inspection.assignee_id == user.id))
    if user.role == Role.factory and user.factory_id is not None:
        return Order.factory_id == user.factory_id
    return false()


def order_not_found() -> NotFound:
    # The same answer whether the order is missing or hidden: no hint that it exists.
    return NotFound("No such order.", detail_zh="订单不存在。")


async def visible_order(session: AsyncSession, user: User, order_id: uuid.UUID) -> Order:
    order = await session.scalar(select(Order).where(Order.id == order_id, order_visible_to(user)))
    if order is None:
        raise order_not_found()
    return order


def inspection_visible_to(user: User) -> ColumnElement[bool]:
    """A filter on Inspection: a third-party inspector sees only their own work, a factory its orders'."""
    if user.role in STAFF:
        return true()
    if user.role == Role.inspector:
        return Inspection.assignee_id == user.id
    if user.role == Role.factory and user.factory_id is not None:
        return Inspection.order_id.in_(select(Order.id).where(Order.factory_id == user.factory_id))
    return false()


def inspection_not_found() -> NotFound:
    return NotFound("No such inspection.", detail_zh="验货记录不存在。")


async def visible_inspection(session: AsyncSession, user: User, inspection_id: uuid.UUID) -> tuple[Inspection, Order]:
    row = (await session.execute(
        select(Inspection, Order).join(Order, Order.id == Inspection.order_id)
        .where(Inspection.id == inspection_id, inspection_visible_to(user)))).first()
    if row is None:
        raise inspection_not_found()
    return row[0], row[1]


def may_write_inspection(user: User, inspection: Inspection, order: Order) -> bool:
    """The assigned inspector, the order's merchandiser, supervisors and admins record findings."""
    if user.role in {Role.admin, Role.supervisor} or inspection.assignee_id == user.id:
        return user.role != Role.factory
    return user.role == Role.merchandiser and order.merchandiser_id in (None, user.id)
