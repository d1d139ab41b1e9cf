"""How inspections react to what happens to their order (see api/events.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import require_redraw_allowed
from api.auth.models import User
from api.errors import Invalid
from api.events import reacts_to
from api.inspections.cartons import draw
from api.inspections.lifecycle import OPEN, Status
from api.inspections.models import Inspection
from api.orders.models import Order, OrderEvent


@reacts_to("packing_list_imported")
async def redraw_picked_cartons(session: AsyncSession, event: OrderEvent, actor: User | None) -> None:
    """Open inspections that already picked cartons draw again from the new list; the reason is recorded."""
    drawn = list(await session.scalars(select(Inspection).where(
        Inspection.order_id == event.order_id, Inspection.status.in_(OPEN), Inspection.carton_seed.is_not(None))))
    if not drawn:
        return
    if actor is not None:
        require_redraw_allowed(actor)
    reason = event.data.get("reason")
    if not reason:
        raise Invalid("Say why the packing list is replaced: the picked cartons will be drawn again.",
                      detail_zh="请说明重新导入的原因：将重新抽箱。", field="reason")
    await session.flush()
    for inspection in drawn:
        await draw(session, inspection, actor, reason)


@reacts_to("order_updated")
async def guard_shipping(session: AsyncSession, event: OrderEvent, _actor: User | None) -> None:
    """An order ships only when its latest pre-shipment inspection was accepted."""
    if "status" not in event.data.get("fields", ()):
        return
    order = await session.get(Order, event.order_id)
    if order is None or order.status != "shipped":
        return
    latest = await session.scalar(
        select(Inspection).where(Inspection.order_id == order.id, Inspection.type == "pre_shipment",
                                 Inspection.status != Status.aborted, Inspection.superseded_by_id.is_(None))
        .order_by(Inspection.created_at.desc()).limit(1))
    if latest is None or latest.review_decision not in {"accepted", "accepted_with_concession"}:
        state = "has no pre-shipment inspection" if latest is None else (
            f"'s latest pre-shipment inspection is {latest.review_decision or latest.status}")
        raise Invalid(f"This order cannot ship: it{state}. Its latest pre-shipment inspection must be accepted.",
                      detail_zh="该订单不能出货：最近一次尾期验货尚未被接受。", field="status")
