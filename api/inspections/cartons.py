"""The cartons picked for opening: drawn from the current packing list with a recorded seed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.models import User
from api.events import record_event
from api.inspections.carton_draw import base_count, draw_cartons, new_seed
from api.inspections.models import Inspection, InspectionCarton, Scan
from api.orders.models import Carton, CartonItem, OrderLine, PackingList

# What the timeline calls each type of inspection, as a noun.
TYPE_LABEL = {"pre_production": "Pre-production check", "in_process": "In-process inspection (DUPRO)",
              "pre_shipment": "Pre-shipment inspection (PSI)", "container_loading": "Container-loading check"}


def assortment(items: Sequence[tuple[CartonItem, OrderLine]]) -> str:
    """The colour/size content of a carton; an assorted carton has several."""
    return "+".join(sorted(f"{line.colour}/{line.size}" for _, line in items)) or "-"


async def draw(session: AsyncSession, inspection: Inspection, user: User | None,
               reason: str | None = None) -> list[InspectionCarton]:
    """Pick the cartons to open from the current packing list, with a fresh recorded seed."""
    packing_list = await session.scalar(select(PackingList).where(
        PackingList.order_id == inspection.order_id, PackingList.is_current))
    if packing_list is None:
        return []
    cartons = list(await session.scalars(select(Carton).where(Carton.packing_list_id == packing_list.id)))
    contents: dict[uuid.UUID, list[tuple[CartonItem, OrderLine]]] = {c.id: [] for c in cartons}
    for item, line in await session.execute(
            select(CartonItem, OrderLine).join(OrderLine, OrderLine.id == CartonItem.order_line_id)
            .join(Carton, Carton.id == CartonItem.carton_id).where(Carton.packing_list_id == packing_list.id)):
        contents[item.carton_id].append((item, line))
    by_number = {str(c.number): c for c in cartons}
    seed = new_seed()
    picked = draw_cartons([(str(c.number), assortment(contents[c.id])) for c in cartons], seed)
    # Earlier picks stay, inactive, so the scans made against them keep their context.
    await session.execute(update(InspectionCarton).where(InspectionCarton.inspection_id == inspection.id)
                          .values(active=False))
    rows = [InspectionCarton(id=uuid.uuid4(), inspection_id=inspection.id, carton_id=by_number[n].id,
                             position=i, reason="random" if i < base_count(len(cartons)) else "assortment")
            for i, n in enumerate(picked)]
    session.add_all(rows)
    previous_seed = inspection.carton_seed
    inspection.carton_seed = seed
    inspection.packing_list_id = packing_list.id
    if previous_seed is not None:
        await record_event(session, inspection.order_id, "cartons_redrawn",
                           f"Cartons drawn again for the {TYPE_LABEL[inspection.type].lower()}: {reason}", user,
                           inspection_id=str(inspection.id), reason=reason, seed=seed,
                           previous_seed=previous_seed, packing_list_version=packing_list.version)
    return rows


async def picked_cartons(session: AsyncSession,
                         inspection: Inspection) -> list[tuple[InspectionCarton, Carton, bool]]:
    """The active picks in draw order, each with whether a scan proved it was opened."""
    rows = await session.execute(
        select(InspectionCarton, Carton).join(Carton, Carton.id == InspectionCarton.carton_id)
        .where(InspectionCarton.inspection_id == inspection.id, InspectionCarton.active)
        .order_by(InspectionCarton.position))
    scanned = set(await session.scalars(select(Scan.carton_id).where(
        Scan.inspection_id == inspection.id, Scan.verdict.in_(("ok", "already_scanned")))))
    return [(ic, c, c.id in scanned) for ic, c in rows]
