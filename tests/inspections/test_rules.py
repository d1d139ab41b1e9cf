"""Live result of an inspection: per defect class and overall."""

import pytest

from api.inspections.aql import plan
from api.inspections.rules import LiveResult, live_result, severity_verdict

# (n, Ac, Re, count, units inspected) → verdict
VERDICTS = [
    (80, 5, 6, 0, 0, "pending"),
    (80, 5, 6, 5, 79, "pending"),
    (80, 5, 6, 5, 80, "pass"),
    (80, 5, 6, 0, 80, "pass"),
    (80, 5, 6, 0, 100, "pass"),  # inspected more than the sample: still judged on its plan
    (80, 5, 6, 6, 10, "fail"),  # Re reached before the sample is complete
    (80, 5, 6, 6, 80, "fail"),
    (80, 5, 6, 9, 80, "fail"),
    (80, 0, 1, 1, 1, "fail"),  # zero tolerance: the first critical defect fails the lot
    (80, 0, 1, 0, 80, "pass"),
    (5, 0, 1, 0, 5, "pass"),
    (50, 1, 3, 2, 50, "pending"),  # a plan with a gap (not in ISO 2859-1:1999) has no verdict there
]


@pytest.mark.parametrize(("n", "ac", "re", "count", "units", "verdict"), VERDICTS)
def test_severity_verdict(n, ac, re, count, units, verdict):
    assert severity_verdict(count, n, ac, re, units) == verdict


# Lot 1000, level II: critical AQL 0 (J, n=80, 0/1), major 2.5 (J, n=80, 5/6),
# minor 0.40 (arrow J↓K: n=125, 1/2) — the minor sample finishes later.
PLANS = {"critical": plan(1000, "II", 0), "major": plan(1000, "II", "2.5"),
         "minor": plan(1000, "II", "0.40")}

OVERALL = [
    ({}, 0, ("pending", "pending", "pending", "pending")),
    ({}, 80, ("pass", "pass", "pending", "pending")),
    ({"minor": 1}, 125, ("pass", "pass", "pass", "pass")),
    ({"critical": 1}, 3, ("fail", "pending", "pending", "fail")),
    ({"major": 6}, 40, ("pending", "fail", "pending", "fail")),
    ({"major": 5, "minor": 1}, 80, ("pass", "pass", "pending", "pending")),
    ({"major": 5, "minor": 2}, 80, ("pass", "pass", "fail", "fail")),
    ({"critical": 0, "major": 5, "minor": 1}, 125, ("pass", "pass", "pass", "pass")),
]


@pytest.mark.parametrize(("counts", "units", "expected"), OVERALL)
def test_overall(counts, units, expected):
    result = live_result(PLANS, counts, units)
    verdicts = tuple(result[s].verdict for s in ("critical", "major", "minor"))
    assert (*verdicts, result.overall) == expected


def test_to_dict():
    result = live_result(PLANS, {"major": 2}, 80)
    assert result.to_dict() == {
        "overall": "pending",
        "units_inspected": 80,
        "severities": {
            "critical": {"count": 0, "accept": 0, "reject": 1, "sample_size": 80,
                         "verdict": "pass"},
            "major": {"count": 2, "accept": 5, "reject": 6, "sample_size": 80, "verdict": "pass"},
            "minor": {"count": 0, "accept": 1, "reject": 2, "sample_size": 125,
                      "verdict": "pending"},
        },
    }


def test_plans_as_tuples_or_mappings_in_severity_order():
    result = live_result(
        {"minor": {"sample_size": 80, "accept": 7, "reject": 8}, "major": (80, 5, 6)},
        {"minor": 3}, 80,
    )
    assert isinstance(result, LiveResult)
    assert [r.severity for r in result.severities] == ["major", "minor"]
    assert result.overall == "pass"
    with pytest.raises(KeyError):
        result["critical"]


@pytest.mark.parametrize(("plans", "counts", "units"), [
    ({}, {}, 0),
    ({"major": (80, 5, 5)}, {}, 0),  # Re must exceed Ac
    ({"major": (0, 0, 1)}, {}, 0),
    ({"major": (80, -1, 1)}, {}, 0),
    ({"major": (80, 5, 6)}, {"major": -1}, 0),
    ({"major": (80, 5, 6)}, {"minor": 1}, 0),  # a count for a class without a plan
    ({"major": (80, 5, 6)}, {}, -1),
])
def test_bad_input(plans, counts, units):
    with pytest.raises(ValueError):
        live_result(plans, counts, units)
