"""How inspections react to what happens to their order (see api/events.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import require_redraw_allowed
from api.auth.models import User
from api.errors import Invalid
from api.events import reacts_to
from api.inspections.cartons import draw
from api.inspections.lifecycle import OPEN, SHIPPABLE, Status
from api.inspections.models import Inspection
from api.inspections.services import InspectionService
from api.orders.models import Order, OrderEvent


@reacts_to("packing_list_imported")
async def redraw_picked_cartons(session: AsyncSession, event: OrderEvent, actor: User | None) -> None:
    """Open inspections that already picked cartons draw again from the new list; the reason is recorded."""
    open_ = list(await session.scalars(select(Inspection).where(
        Inspection.order_id == event.order_id, Inspection.status.in_(OPEN)).order_by(Inspection.created_at)))
    drawn = [inspection for inspection in open_ if inspection.carton_seed is not None]
    if drawn:
        if actor is not None:
            require_redraw_allowed(actor)
        reason = event.data.get("reason")
        if not reason:
            raise Invalid("Say why the packing list is replaced: the picked cartons will be drawn again.",
                          detail_zh="请说明重新导入的原因：将重新抽箱。", field="reason")
        await session.flush()
        for inspection in drawn:
            await draw(session, inspection, actor, reason)
    # Every open assignment follows the new list: the lot size while nobody started, the plans, a first draw.
    order = await session.get(Order, event.order_id)
    service = InspectionService(session, actor)  # type: ignore[arg-type]
    for inspection in open_:
        await service.prepare(inspection, order)


@reacts_to("order_updated")
async def guard_shipping(session: AsyncSession, event: OrderEvent, _actor: User | None) -> None:
    """An order ships only when its latest pre-shipment inspection was accepted."""
    if "status" not in event.data.get("fields", ()):
        return
    order = await session.get(Order, event.order_id)
    if order is None or order.status != "shipped":
        return
    latest = await latest_pre_shipment(session, order.id)
    if latest is None or latest.review_decision not in SHIPPABLE:
        en, zh = (("has no submitted pre-shipment inspection", "还没有已提交的尾期验货") if latest is None
                  else LATEST_STATE.get(latest.review_decision or "", LATEST_STATE[None]))
        raise Invalid(f"This order cannot ship: it {en}. Its latest pre-shipment inspection must be accepted.",
                      detail_zh=f"该订单不能出货：{zh}。最近一次尾期验货须被接受。", field="status")

# Why the latest pre-shipment inspection does not let the order ship, in words.
LATEST_STATE: dict[str | None, tuple[str, str]] = {
    None: ("waits for the review of its latest pre-shipment inspection", "最近一次尾期验货尚待审核"),
    "rejected": ("had its latest pre-shipment inspection rejected", "最近一次尾期验货被拒收"),
    "on_hold": ("has its latest pre-shipment inspection on hold", "最近一次尾期验货被暂缓"),
}


async def latest_pre_shipment(session: AsyncSession, order_id: Any) -> Inspection | None:
    """The pre-shipment inspection that decides shipping: of those neither aborted nor superseded, the one
    submitted last (an inspection still open has decided nothing yet)."""
    return await session.scalar(
        select(Inspection).where(Inspection.order_id == order_id, Inspection.type == "pre_shipment",
                                 Inspection.status != Status.aborted, Inspection.superseded_by_id.is_(None),
                                 Inspection.submitted_at.is_not(None))
        .order_by(Inspection.submitted_at.desc()).limit(1))
