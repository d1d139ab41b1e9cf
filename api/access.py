"""Who may see and change what: every role and visibility rule lives here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import msgspec

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from sqlalchemy import ColumnElement, and_, false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import STAFF, Role, User
from api.errors import Forbidden, NotFound
from api.inspections.models import Inspection
from api.orders.models import Customer, Factory, Order

T = TypeVar("T", bound=msgspec.Struct)


def order_visible_to(user: User, *, deleted: bool = False) -> ColumnElement[bool]:
    """A filter on Order: staff see every order, a factory its own, a third-party inspector only its assignments.

    A deleted order is a tombstone: nobody sees it, unless `deleted` asks for tombstones too.
    """
    role_filter = _order_role_filter(user)
    return role_filter if deleted else and_(Order.deleted_at.is_(None), role_filter)


def _order_role_filter(user: User) -> ColumnElement[bool]:
    if user.role in STAFF:
        return true()
    if user.role == Role.inspector:
        return Order.id.in_(select(Inspection.order_id).where(Inspection.assignee_id == user.id))
    if user.role == Role.factory and user.factory_id is not None:
        return Order.factory_id == user.factory_id
    return false()


def catalogue_visible_to(user: User, model: type[Customer] | type[Factory]) -> ColumnElement[bool]:
    """Staff see every customer and factory; others only those of the orders they may see (a factory's own,
    an inspector's assignments), so nobody reads other customers' AQL settings."""
    if user.role in STAFF:
        return true()
    column = Order.customer_id if model is Customer else Order.factory_id
    return model.id.in_(select(column).where(order_visible_to(user)))


def order_not_found() -> NotFound:
    # The same answer whether the order is missing or hidden: no hint that it exists.
    return NotFound("No such order.", detail_zh="订单不存在。")


async def visible_order(session: AsyncSession, user: User, order_id: uuid.UUID, *, lock: bool = False,
                        deleted: bool = False) -> Order:
    """The order if `user` may see it and it is no tombstone (unless `deleted`); otherwise the same 404.

    `lock` holds the order's row until the commit (PostgreSQL; SQLite's writers take turns anyway): the writes
    to an order check something and then change it, and must not interleave.
    """
    query = select(Order).where(Order.id == order_id, order_visible_to(user, deleted=deleted))
    if lock:
        query = query.with_for_update(of=Order).execution_options(populate_existing=True)
    order = await session.scalar(query)
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


async def find_visible_inspection(session: AsyncSession, user: User,
                                  inspection_id: uuid.UUID) -> tuple[Inspection, Order] | None:
    """The inspection and its order if `user` may see it; None whether it is missing or hidden."""
    row = (await session.execute(
        select(Inspection, Order).join(Order, Order.id == Inspection.order_id)
        .where(Inspection.id == inspection_id, inspection_visible_to(user)))).first()
    return None if row is None else (row[0], row[1])


async def visible_inspection(session: AsyncSession, user: User, inspection_id: uuid.UUID) -> tuple[Inspection, Order]:
    found = await find_visible_inspection(session, user, inspection_id)
    if found is None:
        raise inspection_not_found()
    return found


def may_write_inspection(user: User, inspection: Inspection, order: Order) -> bool:
    """The assigned inspector, the order's merchandiser, supervisors and admins record findings."""
    if user.role in {Role.admin, Role.supervisor} or inspection.assignee_id == user.id:
        return user.role != Role.factory
    return user.role == Role.merchandiser and order.merchandiser_id in (None, user.id)


# --- roles ------------------------------------------------------------------------------------------------

ADMINS = frozenset({Role.admin})

REVIEWERS = frozenset({Role.admin, Role.supervisor})
# Who may be assigned an inspection.
ASSIGNABLE = frozenset({Role.inspector, Role.merchandiser, Role.supervisor, Role.admin})


def is_reviewer(user: User) -> bool:
    """Supervisors and admins: they review reports, see photo provenance and download originals."""
    return user.role in REVIEWERS


def require_staff(user: User) -> None:
    if user.role not in STAFF:
        raise Forbidden("Only merchandisers, supervisors and admins may change orders.",
                        detail_zh="只有跟单员、主管和管理员可以修改订单。")


def require_planner(user: User) -> None:
    """Reassigning an inspection and changing its sampling (level, AQLs) are staff decisions, not the inspector's."""
    if user.role not in STAFF:
        raise Forbidden("Only merchandisers, supervisors and admins reassign an inspection or change its sampling.",
                        detail_zh="只有跟单员、主管和管理员可以改派验货或修改抽样设置。")


def require_reviewer(user: User) -> None:
    if not is_reviewer(user):
        raise Forbidden("Only supervisors review inspections.", detail_zh="只有主管可以审核验货报告。")


def require_admin(user: User) -> None:
    if user.role != Role.admin:
        raise Forbidden("Only admins edit the library.", detail_zh="只有管理员可以编辑缺陷库和检查表。")


def require_writer(user: User, inspection: Inspection, order: Order) -> None:
    if not may_write_inspection(user, inspection, order):
        raise Forbidden("Only the assigned inspector, the order's merchandiser and supervisors may record this.",
                        detail_zh="只有指派的验货员、该订单的跟单员和主管可以记录。")


def require_signer(user: User, role: str, inspection: Inspection, order: Order) -> None:
    """The inspector signs as the inspector; the factory signs with its own login or on the inspector's phone."""
    own_factory = user.role == Role.factory and user.factory_id == order.factory_id
    if role == "factory" and not (own_factory or may_write_inspection(user, inspection, order)):
        raise Forbidden("Only the factory, or the inspector on their phone, can sign for the factory.",
                        detail_zh="只有工厂或验货员手机上的工厂负责人可以代表工厂签字。")
    if role == "inspector" and not may_write_inspection(user, inspection, order):
        raise Forbidden("Only the inspector signs as the inspector.", detail_zh="只有验货员本人可以签字。")


def may_see_picks(user: User, inspection: Inspection) -> bool:
    """The factory must not learn which cartons will be opened (the picks, the seed, the scans) before the
    inspection is submitted: it could prepare exactly those cartons."""
    return user.role != Role.factory or inspection.submitted_at is not None


def without_picks(record: T, picks_visible: bool) -> T:
    """A finding or a photo as a user who may not see the picks gets it: without the carton it names, which
    would tell the factory a picked carton's number before submission."""
    if picks_visible or getattr(record, "carton_number", None) is None:
        return record
    return msgspec.structs.replace(record, carton_number=None)  # type: ignore[type-var]


def may_see_factory(user: User) -> bool:
    """Factories' switching states are for staff."""
    return user.role in STAFF


def inspections_listed_for(user: User) -> ColumnElement[bool]:
    """On an order's inspection list, a third-party inspector sees only its own assignments."""
    return Inspection.assignee_id == user.id if user.role == Role.inspector else true()


def require_redraw_allowed(user: User) -> None:
    """Replacing a packing list after cartons were picked redraws them: a supervisor's call."""
    if not is_reviewer(user):
        raise Forbidden("Cartons were already picked from this packing list: only a supervisor can replace it.",
                        detail_zh="已按此装箱单抽箱，只有主管可以重新导入。")


def is_assignable(user: User) -> bool:
    return user.role in ASSIGNABLE


def requires(roles: frozenset[Role]) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A route guard: only these roles may call the route at all."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.user.role not in roles:
            raise Forbidden("Your role may not do this.", detail_zh="您的角色无权执行此操作。")

    return guard


requires_admin = requires(ADMINS)
requires_staff = requires(STAFF)
requires_supervisor = requires(REVIEWERS)


def requires_dashboard_viewer(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A route guard for the dashboards: staff see every figure, a factory its own (order_visible_to narrows the
    counts). A third-party inspector's few assignments make no figures worth showing, and nothing to rank."""
    if connection.user.role not in STAFF | {Role.factory}:
        raise Forbidden("The dashboards are for staff and factories.", detail_zh="只有员工和工厂可以查看统计看板。")
