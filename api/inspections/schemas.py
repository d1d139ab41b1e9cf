from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from api.schemas import Input, Output

InspectionType = Literal["pre_production", "in_process", "pre_shipment", "container_loading"]


class BookingIn(Input):
    id: UUID  # made by the client, so a retried booking is a replay, not a second inspection
    type: InspectionType
    assignee_id: UUID
    scheduled_for: date | None = None


class BookingOut(Output):
    id: UUID
    order_id: UUID
    type: str
    status: str
    assignee_id: UUID | None
    scheduled_for: date | None
    version: int
    created_at: datetime
