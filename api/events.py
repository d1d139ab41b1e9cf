"""Domain events: the one place where they are recorded.

An event is a fact about an order (an import, a booking, a submission), written in the transaction of
the change that caused it, so the two commit or roll back together. The order's timeline is read from
these rows, and other areas react to them here, in the same transaction: inspections redraw their
cartons when a packing list is replaced and guard the shipping of an order, without the orders package
knowing about inspections. A reaction that raises undoes the whole request.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.db import utcnow
from api.orders.models import OrderEvent

Reaction = Callable[[AsyncSession, OrderEvent, User | None], Awaitable[None]]

# Filled when the reacting areas are imported (api/inspections/reactions.py); nothing else writes it.
_REACTIONS: dict[str, list[Reaction]] = defaultdict(list)


def reacts_to(*kinds: str) -> Callable[[Reaction], Reaction]:
    def register(reaction: Reaction) -> Reaction:
        for kind in kinds:
            if reaction not in _REACTIONS[kind]:
                _REACTIONS[kind].append(reaction)
        return reaction

    return register


async def record_event(session: AsyncSession, order_id: uuid.UUID, kind: str, message: str,
                       actor: User | None = None, **data: Any) -> OrderEvent:
    """Append to the order's timeline and let the other areas react, all in the caller's transaction."""
    event = OrderEvent(order_id=order_id, kind=kind, message=message, actor_id=actor.id if actor else None,
                       data=data, at=utcnow())
    session.add(event)
    for reaction in _REACTIONS.get(kind, ()):
        await reaction(session, event, actor)
    return event
