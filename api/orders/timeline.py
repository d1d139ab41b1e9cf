"""The order's timeline: an append-only record of what happened to it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.db import utcnow
from api.orders.models import OrderEvent


async def record_event(session: AsyncSession, order_id: uuid.UUID, kind: str, message: str,
                       actor: User | None = None, **data: Any) -> OrderEvent:
    """Append to the order's timeline, in the caller's transaction."""
    event = OrderEvent(order_id=order_id, kind=kind, message=message, actor_id=actor.id if actor else None,
                       data=data, at=utcnow())
    session.add(event)
    return event
