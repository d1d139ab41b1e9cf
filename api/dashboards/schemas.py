"""What the dashboards answer: figures for charts, each named in English and 中文 where people read it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from api.dashboards.figures import DueState
from api.inspections.schemas import InspectionType
from api.schemas import Output

Group = Literal["factory", "customer"]


class PassRateTotal(Output):
    inspections: int  # every counted inspection, re-inspections included
    passed: int
    failed: int
    reinspections: int  # of `inspections`, those that re-inspect a rejected lot after rework
    pass_rate: float | None  # passed / (passed + failed), 0–1; null when none has a verdict


class PassRateRow(PassRateTotal):
    """One factory's or customer's inspections in the range."""

    id: UUID
    code: str
    name: str


class PassRateOut(Output):
    group: Group
    date_from: date
    date_to: date
    type: InspectionType | None
    total: PassRateTotal  # every group together
    items: list[PassRateRow]


class ParetoItem(Output):
    code: str
    name_en: str
    name_zh: str
    count: int  # the sum of the defects' counts
    share: float  # of every counted defect in the range, 0–1
    cumulative_share: float


class ParetoOut(Output):
    date_from: date
    date_to: date
    type: InspectionType | None
    total_defects: int  # every counted defect in the range, the codes below the top ones too
    other_count: int  # what the codes below the top ones add up to
    items: list[ParetoItem]


class DueOut(Output):
    """An order shipping soon whose latest pre-shipment inspection does not let it ship (yet)."""

    order_id: UUID
    po_number: str
    style_number: str
    ship_date: date
    days_left: int
    customer_code: str
    factory_id: UUID
    factory_code: str
    state: DueState
    inspection_id: UUID | None  # the inspection `state` is about
    scheduled_for: date | None
    assignee_id: UUID | None
    verdict: str | None
    review_decision: str | None


class OverdueActionOut(Output):
    """An open follow-up (整改) past its due date."""

    defect_id: UUID
    inspection_id: UUID
    inspection_type: str
    order_id: UUID
    po_number: str
    factory_id: UUID
    factory_code: str
    factory_name: str
    code: str
    name_en: str
    name_zh: str
    severity: str
    note: str
    owner_id: UUID | None
    owner_name: str | None
    due: date
    days_overdue: int
    created_at: datetime
