from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.access import requires_dashboard_viewer
from api.dashboards.figures import MAX_RANGE_DAYS
from api.dashboards.schemas import DueOut, Group, OverdueActionOut, ParetoOut, PassRateOut
from api.dashboards.services import DashboardService, today
from api.deps import service_provider
from api.errors import BadParameter
from api.inspections.schemas import InspectionType

DashboardServiceDep = NamedDependency[DashboardService]

Top = Annotated[int, QueryParameter(ge=1, le=50, description="How many defect codes to list (1–50).")]
Days = Annotated[int, QueryParameter(ge=0, le=365, description="Orders shipping from today to today + days (0–365).")]
RANGE = ("date_from and date_to are UTC days, both included, on the inspections' submission time; by default the "
         "last 30 days. A factory user sees its own factory's figures only.")
COUNTED = ("Counted: submitted inspections that are neither aborted nor superseded by a revision (a lot whose "
           "correction is still open waits outside the figures). A re-inspection after rework counts as an "
           "inspection of its own, and the rejected one stays counted as failed.")


def date_range(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    date_to = date_to or today()
    date_from = date_from or date.fromordinal(max(1, date_to.toordinal() - 29))  # not before the calendar's start
    if date_from > date_to:
        raise BadParameter("date_from", "date_from is after date_to.", detail_zh="起始日期晚于截止日期。")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise BadParameter("date_from", f"The range may span at most {MAX_RANGE_DAYS} days.",
                           detail_zh=f"日期范围最多 {MAX_RANGE_DAYS} 天。")
    return date_from, date_to


class DashboardController(Controller):
    path = "/api/dashboards"
    tags = ["dashboards"]
    dependencies = {"dashboards": service_provider(DashboardService)}
    guards = [requires_dashboard_viewer]

    @get("/pass-rate", operation_id="getPassRate",
         description=f"Inspections, passed, failed and the pass rate (by the verdict at submission) per factory or "
                     f"per customer, the most inspected first, and the total. {COUNTED} {RANGE}")
    async def pass_rate(self, dashboards: DashboardServiceDep, group: FromQuery[Group] = "factory",
                        date_from: FromQuery[date | None] = None, date_to: FromQuery[date | None] = None,
                        type: FromQuery[InspectionType | None] = None) -> PassRateOut:
        return await dashboards.pass_rate(group, *date_range(date_from, date_to), type)

    @get("/defect-pareto", operation_id="getDefectPareto",
         description=f"The top defect codes by the sum of their counts (deleted defects left out), with each one's "
                     f"share of every counted defect and the cumulative share, named in English and 中文. {COUNTED} "
                     f"{RANGE}")
    async def pareto(self, dashboards: DashboardServiceDep, date_from: FromQuery[date | None] = None,
                     date_to: FromQuery[date | None] = None, type: FromQuery[InspectionType | None] = None,
                     top: FromQuery[Top] = 10) -> ParetoOut:
        return await dashboards.pareto(*date_range(date_from, date_to), type, top)

    @get("/inspections-due", operation_id="listInspectionsDue",
         description="Orders shipping within `days` (today in UTC to today + days, neither shipped nor cancelled) "
                     "that cannot ship yet: their latest submitted pre-shipment inspection is not accepted (the "
                     "shipping rule). `state` says what they have: not_booked, booked, started (an open booking "
                     "or re-inspection comes first), awaiting_review, on_hold or rejected. The soonest first; a "
                     "factory user sees its own orders only.")
    async def due(self, dashboards: DashboardServiceDep, days: FromQuery[Days] = 14) -> list[DueOut]:
        return await dashboards.due(days)

    @get("/overdue-actions", operation_id="listOverdueActions",
         description="Open follow-ups (corrective actions, 整改) whose due date is before today (UTC), the most "
                     "overdue first, with the order, the factory, the owner and the days overdue; a factory user "
                     "sees its own only.")
    async def overdue(self, dashboards: DashboardServiceDep) -> list[OverdueActionOut]:
        return await dashboards.overdue_actions()
