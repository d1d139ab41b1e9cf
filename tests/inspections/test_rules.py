"""Live result of an inspection: per defect class and overall.

The cases are in tests/vectors/live_result.json, shared with the phone app's tests.
"""

import pytest

from api.aql import plan
from api.inspections.rules import LiveResult, live_result, severity_verdict
from tests.vectors_loader import load_vectors, params

VECTORS = load_vectors("live_result")


def verdict_id(case):
    return "n{sample_size}-ac{accept}-re{reject}-count{count}-units{units_inspected}".format(**case)


@pytest.mark.parametrize("case", params(VECTORS["severity_verdicts"], verdict_id))
def test_severity_verdict(case):
    verdict = severity_verdict(
        case["count"], case["sample_size"], case["accept"], case["reject"], case["units_inspected"])
    assert verdict == case["verdict"]


# Lot 1000, level II: critical AQL 0 (J, n=80, 0/1), major 2.5 (J, n=80, 5/6),
# minor 0.40 (arrow J↓K: n=125, 1/2) — the minor sample finishes later. The vectors' results
# use these plans too, written out so that they stand without an AQL implementation.
PLANS = {"critical": plan(1000, "II", 0), "major": plan(1000, "II", "2.5"),
         "minor": plan(1000, "II", "0.40")}


def counts_id(case):
    counts = ",".join(f"{severity}={n}" for severity, n in case["counts"].items()) or "none"
    return f"counts:{counts}-units:{case['units_inspected']}"


@pytest.mark.parametrize("case", params(VECTORS["results"], counts_id))
def test_overall(case):
    result = live_result(case["plans"], case["counts"], case["units_inspected"])
    assert {r.severity: r.verdict for r in result.severities} == case["verdicts"]
    assert result.overall == case["overall"]


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


@pytest.mark.parametrize("case", params(VECTORS["errors"], lambda c: c["note"]))
def test_bad_input(case):
    with pytest.raises(ValueError):
        live_result(case["plans"], case["counts"], case["units_inspected"])
