"""The dashboards' queries: the database counts and sums, api/dashboards/figures.py turns sums into figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import order_visible_to
from api.auth.models import User
from api.dashboards import figures
from api.dashboards.schemas import (
    DueOut, Group, OverdueActionOut, ParetoItem, ParetoOut, PassRateOut, PassRateRow, PassRateTotal,
)
from api.db import utcnow
from api.inspections.lifecycle import Status
from api.inspections.models import Defect, DefectCode, Inspection
from api.inspections.schemas import InspectionType
from api.orders.models import Customer, Factory, Order

# Orders past these no longer need a pre-shipment inspection.
FINISHED_ORDERS = ("shipped", "cancelled")


def today() -> date:
    """The server's day in UTC: every timestamp is stored in UTC, and so are the dashboards' days."""
    return utcnow().date()


def counted(user: User, date_from: date, date_to: date, type_: str | None) -> list[ColumnElement[bool]]:
    """The inspections a dashboard counts: submitted in the range (whole UTC days), of orders the user may see.

    Each lot counts once, as its latest correction says: a revision supersedes what it corrects, and until the
    revision is submitted the lot waits outside the figures. A re-inspection after rework is a new inspection of
    the lot and counts on its own (the rejected one stays counted as failed): the rate is the share of
    inspections that passed, as a factory is judged.
    """
    where = [Inspection.submitted_at.is_not(None),
             Inspection.submitted_at >= datetime.combine(date_from, time.min, tzinfo=UTC),
             Inspection.status != Status.aborted, Inspection.superseded_by_id.is_(None), order_visible_to(user)]
    if date_to < date.max:  # the calendar's last day has no next one to stop before
        where.append(Inspection.submitted_at < datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC))
    if type_ is not None:
        where.append(Inspection.type == type_)
    return where


class DashboardService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user

    async def pass_rate(self, group: Group, date_from: date, date_to: date,
                        type_: InspectionType | None) -> PassRateOut:
        model: Any = Factory if group == "factory" else Customer
        key = Order.factory_id if group == "factory" else Order.customer_id
        query = (self._tally(select(model.id, model.code, model.name))
                 .join(model, model.id == key)
                 .where(*counted(self.user, date_from, date_to, type_))
                 .group_by(model.id, model.code, model.name))
        items = [_rate_row(*row) for row in await self.session.execute(query)]
        items.sort(key=lambda r: (-r.inspections, r.code))
        inspections, passed, failed, reinspections = (
            sum(getattr(r, f) for r in items) for f in ("inspections", "passed", "failed", "reinspections"))
        total = PassRateTotal(inspections=inspections, passed=passed, failed=failed, reinspections=reinspections,
                              pass_rate=figures.rate(passed, failed))
        return PassRateOut(group=group, date_from=date_from, date_to=date_to, type=type_, total=total,
                           items=items)

    @staticmethod
    def _tally(columns: Select[Any]) -> Select[Any]:
        return columns.add_columns(
            func.count(Inspection.id),
            func.coalesce(func.sum(case((Inspection.verdict == "pass", 1), else_=0)), 0),
            func.coalesce(func.sum(case((Inspection.verdict == "fail", 1), else_=0)), 0),
            func.coalesce(func.sum(case((Inspection.reinspection_of_id.is_not(None), 1), else_=0)), 0),
        ).select_from(Inspection).join(Order, Order.id == Inspection.order_id)

    async def pareto(self, date_from: date, date_to: date, type_: InspectionType | None, top: int) -> ParetoOut:
        defects = (select(Defect.code, func.sum(Defect.count).label("n"))
                   .join(Inspection, Inspection.id == Defect.inspection_id)
                   .join(Order, Order.id == Inspection.order_id)
                   .where(Defect.deleted_at.is_(None), *counted(self.user, date_from, date_to, type_))
                   .group_by(Defect.code).subquery())
        # The total over every code rides along each top row (a window runs before the LIMIT): one pass, not two.
        rows = (await self.session.execute(
            select(defects.c.code, DefectCode.name_en, DefectCode.name_zh, defects.c.n, func.sum(defects.c.n).over())
            .join(DefectCode, DefectCode.code == defects.c.code)
            .order_by(defects.c.n.desc(), defects.c.code).limit(top))).all()
        total = int(rows[0][4]) if rows else 0
        items = figures.pareto(((c, en, zh, int(n)) for c, en, zh, n, _ in rows), total)
        return ParetoOut(date_from=date_from, date_to=date_to, type=type_, total_defects=total,
                         other_count=total - sum(i.count for i in items),
                         items=[ParetoItem(**vars(i)) for i in items])

    async def due(self, days: int) -> list[DueOut]:
        day = today()
        orders = (await self.session.execute(
            select(Order, Customer.code, Factory.code)
            .join(Customer, Customer.id == Order.customer_id).join(Factory, Factory.id == Order.factory_id)
            .where(order_visible_to(self.user), Order.ship_date >= day, Order.ship_date <= day + timedelta(days=days),
                   Order.status.not_in(FINISHED_ORDERS))
            .order_by(Order.ship_date, Order.po_number, Order.id))).all()
        found: dict[Any, list[figures.PreShipment]] = {order.id: [] for order, _, _ in orders}
        assignees: dict[Any, Any] = {}
        if found:
            rows = await self.session.execute(
                select(Inspection).where(Inspection.order_id.in_(found), Inspection.type == "pre_shipment",
                                         Inspection.status != Status.aborted, Inspection.superseded_by_id.is_(None)))
            for inspection in rows.scalars():
                assignees[inspection.id] = inspection.assignee_id
                found[inspection.order_id].append(figures.PreShipment(
                    inspection.id, inspection.status, inspection.submitted_at, inspection.review_decision,
                    inspection.verdict, inspection.scheduled_for, inspection.created_at))
        out = []
        for order, customer_code, factory_code in orders:
            due = figures.due_state(found[order.id])
            if due is None:
                continue
            i = due.inspection
            out.append(DueOut(
                order_id=order.id, po_number=order.po_number, style_number=order.style_number,
                ship_date=order.ship_date, days_left=figures.days_between(day, order.ship_date),
                customer_code=customer_code, factory_id=order.factory_id, factory_code=factory_code, state=due.state,
                inspection_id=i and i.id, scheduled_for=i and i.scheduled_for,  # type: ignore[arg-type]
                assignee_id=i and assignees[i.id], verdict=i and i.verdict,  # type: ignore[arg-type]
                review_decision=i and i.review_decision))  # type: ignore[arg-type]
        return out

    async def overdue_actions(self) -> list[OverdueActionOut]:
        day = today()
        rows = await self.session.execute(
            select(Defect, Inspection.type, Order.id, Order.po_number, Factory.id, Factory.code, Factory.name,
                   DefectCode.name_en, DefectCode.name_zh, User.display_name)
            .join(Inspection, Inspection.id == Defect.inspection_id)
            .join(Order, Order.id == Inspection.order_id)
            .join(Factory, Factory.id == Order.factory_id)
            .join(DefectCode, DefectCode.code == Defect.code)
            .outerjoin(User, User.id == Defect.follow_up_owner_id)
            # The same open follow-ups as GET /api/follow-ups: a revision's copy stands for the one it supersedes.
            .where(order_visible_to(self.user), Inspection.superseded_by_id.is_(None), Defect.follow_up.is_(True),
                   Defect.deleted_at.is_(None), Defect.closed_at.is_(None), Defect.follow_up_due < day)
            .order_by(Defect.follow_up_due, Order.po_number, Defect.created_at, Defect.id))
        return [OverdueActionOut(
            defect_id=d.id, inspection_id=d.inspection_id, inspection_type=type_, order_id=order_id,
            po_number=po, factory_id=factory_id, factory_code=factory_code, factory_name=factory_name, code=d.code,
            name_en=name_en, name_zh=name_zh, severity=d.severity, note=d.note, owner_id=d.follow_up_owner_id,
            owner_name=owner_name, due=d.follow_up_due, days_overdue=figures.days_between(d.follow_up_due, day),
            created_at=d.created_at)
            for d, type_, order_id, po, factory_id, factory_code, factory_name, name_en, name_zh, owner_name in rows]


def _rate_row(id_: Any, code: str, name: str, inspections: int, passed: int, failed: int,
              reinspections: int) -> PassRateRow:
    passed, failed = int(passed), int(failed)
    return PassRateRow(id=id_, code=code, name=name, inspections=int(inspections), passed=passed, failed=failed,
                       reinspections=int(reinspections), pass_rate=figures.rate(passed, failed))
