"""The dashboards' figures from counts the database already summed: rates, shares, and what an order still lacks.

Pure: no database, no HTTP. The service sums in SQL and hands the sums here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from api.inspections.lifecycle import OPEN, SHIPPABLE, Status

# Longest date range a dashboard sums over: ten years is every inspection the app will hold, and the bound keeps
# a date near the calendar's end from overflowing.
MAX_RANGE_DAYS = 3660


def rate(passed: int, failed: int) -> float | None:
    """The share of lots that passed among those with a verdict (a DUPRO without a lot size has none); None when
    no lot has one, rather than a 0 % nobody earned."""
    judged = passed + failed
    return None if judged == 0 else round(passed / judged, 4)


@dataclass(frozen=True)
class ParetoRow:
    code: str
    name_en: str
    name_zh: str
    count: int
    share: float
    cumulative_share: float


def pareto(counts: Iterable[tuple[str, str, str, int]], total: int) -> list[ParetoRow]:
    """The top codes, already sorted by count, with their share of every counted defect (not only of the top ones,
    so that the last cumulative share says how much the top codes explain)."""
    rows, running = [], 0
    for code, name_en, name_zh, count in counts:
        running += count
        rows.append(ParetoRow(code, name_en, name_zh, count, _share(count, total), _share(running, total)))
    return rows


def _share(part: int, total: int) -> float:
    return round(part / total, 4) if total else 0.0


DueState = Literal["not_booked", "booked", "started", "awaiting_review", "on_hold", "rejected"]


@dataclass(frozen=True)
class PreShipment:
    """A pre-shipment inspection of an order that is neither aborted nor superseded."""

    id: object
    status: str
    submitted_at: datetime | None
    review_decision: str | None
    verdict: str | None
    scheduled_for: date | None
    created_at: datetime


@dataclass(frozen=True)
class Due:
    state: DueState
    inspection: PreShipment | None


def due_state(inspections: Sequence[PreShipment]) -> Due | None:
    """What an order shipping soon has towards shipping, or None when it may ship already.

    The same rule as the shipping guard (api/inspections/reactions.py): the last submitted pre-shipment
    inspection decides, and it must be accepted. When it is not, the work still to come (an open booking,
    a re-inspection) is what the person needs to see first; then what the last one is waiting for.
    """
    submitted = [i for i in inspections if i.submitted_at is not None]
    latest = max(submitted, key=lambda i: i.submitted_at, default=None)  # type: ignore[arg-type,return-value]
    if latest is not None and latest.review_decision in SHIPPABLE:
        return None
    open_ = sorted((i for i in inspections if i.status in OPEN), key=lambda i: i.created_at)
    if open_:
        current = open_[-1]
        return Due("booked" if current.status == Status.scheduled else "started", current)
    if latest is None:
        return Due("not_booked", None)
    if latest.review_decision is None:
        return Due("awaiting_review", latest)
    return Due("on_hold" if latest.review_decision == "on_hold" else "rejected", latest)


def days_between(start: date, end: date) -> int:
    return (end - start).days
