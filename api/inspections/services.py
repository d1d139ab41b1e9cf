"""Booking inspections: who inspects which order, and when."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import visible_order
from api.auth.models import Role, User
from api.errors import Conflict, Invalid
from api.inspections.models import Inspection
from api.orders.services import record_event, require_staff

INSPECTOR_ROLES = {Role.inspector, Role.merchandiser, Role.supervisor, Role.admin}


class BookingService:
    def __init__(self, session: AsyncSession, user: User) -> None:
        self.session = session
        self.user = user

    async def book(self, order_id: uuid.UUID, inspection_id: uuid.UUID, type_: str, assignee_id: uuid.UUID,
                   scheduled_for: date | None) -> tuple[Inspection, bool]:
        """Returns the inspection and whether it was created now (False for a replay)."""
        order = await visible_order(self.session, self.user, order_id)
        require_staff(self.user)
        existing = await self.session.get(Inspection, inspection_id)
        if existing is not None:
            same = (existing.order_id, existing.type, existing.assignee_id, existing.scheduled_for) == (
                order.id, type_, assignee_id, scheduled_for)
            if not same:
                raise Conflict("An inspection with this id exists with other content.",
                               detail_zh="该编号的验货已存在且内容不同。", id=str(inspection_id))
            return existing, False
        assignee = await self.session.get(User, assignee_id)
        if assignee is None or not assignee.active or assignee.role not in INSPECTOR_ROLES:
            raise Invalid("The assignee must be an active inspector, merchandiser or supervisor.",
                          detail_zh="验货人必须是有效的验货员、跟单员或主管。", field="assignee_id")
        inspection = Inspection(id=inspection_id, order_id=order.id, type=type_, assignee_id=assignee.id,
                                scheduled_for=scheduled_for, created_by_id=self.user.id)
        self.session.add(inspection)
        await record_event(self.session, order.id, "inspection_booked",
                           f"{type_.replace('_', '-')} inspection booked for {assignee.display_name}"
                           + (f" on {scheduled_for.isoformat()}" if scheduled_for else ""),
                           self.user, inspection_id=str(inspection_id), assignee_id=str(assignee.id), type=type_)
        await self.session.commit()
        return inspection, True

    async def for_order(self, order_id: uuid.UUID) -> list[Inspection]:
        order = await visible_order(self.session, self.user, order_id)
        query = select(Inspection).where(Inspection.order_id == order.id).order_by(Inspection.created_at)
        if self.user.role == Role.inspector:
            query = query.where(Inspection.assignee_id == self.user.id)
        return list(await self.session.scalars(query))
