"""The dashboards' pure figures, case by case."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from api.dashboards.figures import ParetoRow, PreShipment, days_between, due_state, pareto, rate
from api.inspections.lifecycle import Status


@pytest.mark.parametrize(("passed", "failed", "expected"), [
    (0, 0, None),  # nothing judged: no rate, not 0 %
    (3, 0, 1.0),
    (0, 2, 0.0),
    (2, 1, 0.6667),
    (1, 2, 0.3333),
    (7, 1, 0.875),
])
def test_pass_rate(passed: int, failed: int, expected: float | None) -> None:
    assert rate(passed, failed) == expected


def test_pareto_shares_are_of_every_counted_defect() -> None:
    rows = pareto([("W01", "Broken stitch", "断线", 5), ("F05", "Stain", "污渍", 3), ("W04", "Uneven", "线迹不均", 1)],
                  total=10)
    assert rows == [ParetoRow("W01", "Broken stitch", "断线", 5, 0.5, 0.5),
                    ParetoRow("F05", "Stain", "污渍", 3, 0.3, 0.8),
                    ParetoRow("W04", "Uneven", "线迹不均", 1, 0.1, 0.9)]


@pytest.mark.parametrize(("counts", "total", "shares"), [
    ([], 0, []),
    ([("A", "a", "甲", 1)], 1, [(1.0, 1.0)]),
    ([("A", "a", "甲", 1), ("B", "b", "乙", 1), ("C", "c", "丙", 1)], 3, [(0.3333, 0.3333), (0.3333, 0.6667),
                                                                      (0.3333, 1.0)]),
    ([("A", "a", "甲", 2)], 0, [(0.0, 0.0)]),  # a total of nothing cannot divide
])
def test_pareto_cases(counts: list, total: int, shares: list) -> None:  # type: ignore[type-arg]
    assert [(r.share, r.cumulative_share) for r in pareto(counts, total)] == shares


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 9, tzinfo=UTC)


def psi(status: Status, submitted: int | None = None, decision: str | None = None, created: int = 1,
        verdict: str | None = None, name: str = "") -> PreShipment:
    return PreShipment(name or f"{status}-{created}", status.value, submitted and at(submitted), decision, verdict,
                       None, at(created))


@pytest.mark.parametrize(("inspections", "state", "about"), [
    ([], "not_booked", None),
    ([psi(Status.scheduled, name="a")], "booked", "a"),
    ([psi(Status.in_progress, name="a")], "started", "a"),
    ([psi(Status.submitted, 3, verdict="pass", name="a")], "awaiting_review", "a"),
    ([psi(Status.reviewed, 3, "on_hold", name="a")], "on_hold", "a"),
    ([psi(Status.reviewed, 3, "rejected", name="a")], "rejected", "a"),
    # The re-inspection booked after a rejection is what comes next.
    ([psi(Status.reviewed, 3, "rejected", name="a"), psi(Status.scheduled, created=4, name="b")], "booked", "b"),
    # The last submitted decides: an earlier acceptance does not outweigh a later rejection.
    ([psi(Status.reviewed, 3, "accepted", name="a"), psi(Status.reviewed, 5, "rejected", name="b")], "rejected", "b"),
    # Of two open bookings, the later one.
    ([psi(Status.scheduled, created=2, name="a"), psi(Status.in_progress, created=3, name="b")], "started", "b"),
])
def test_what_an_order_shipping_soon_has(inspections: list[PreShipment], state: str, about: str | None) -> None:
    due = due_state(inspections)
    assert due is not None and due.state == state
    assert (due.inspection.id if due.inspection else None) == about


@pytest.mark.parametrize("inspections", [
    [psi(Status.reviewed, 3, "accepted")],
    [psi(Status.reviewed, 3, "accepted_with_concession", verdict="fail")],
    [psi(Status.reviewed, 3, "rejected", name="a"), psi(Status.reviewed, 6, "accepted", created=4, name="b")],
    # A later booking does not take back an acceptance (the shipping guard lets the order ship).
    [psi(Status.reviewed, 3, "accepted"), psi(Status.scheduled, created=5)],
])
def test_an_accepted_latest_inspection_lets_the_order_ship(inspections: list[PreShipment]) -> None:
    assert due_state(inspections) is None


@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2026, 12, 1), date(2026, 12, 1), 0),
    (date(2026, 11, 28), date(2026, 12, 1), 3),
    (date(2026, 12, 31), date(2027, 1, 2), 2),
    (date(2024, 2, 28), date(2024, 3, 1), 2),  # a leap year
])
def test_days_between(start: date, end: date, days: int) -> None:
    assert days_between(start, end) == days
