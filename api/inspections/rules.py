"""Live AQL result of an inspection in progress: per defect class and overall.

The phone runs the same arithmetic offline; this module is the server's reference for it.
Each class has its own plan, and after the arrow rule the plans may have different sample sizes,
so "sample complete" is judged per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["LiveResult", "SEVERITIES", "SeverityResult", "live_result", "severity_verdict"]

SEVERITIES = ("critical", "major", "minor")


class PlanLike(Protocol):
    sample_size: int
    accept: int
    reject: int


@dataclass(frozen=True)
class SeverityResult:
    severity: str
    count: int
    accept: int
    reject: int
    sample_size: int
    verdict: str  # "pass", "fail" or "pending"

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count, "accept": self.accept, "reject": self.reject,
            "sample_size": self.sample_size, "verdict": self.verdict,
        }


@dataclass(frozen=True)
class LiveResult:
    units_inspected: int
    severities: tuple[SeverityResult, ...]
    overall: str  # "fail" if any class fails, "pass" if every class passes, else "pending"

    def __getitem__(self, severity: str) -> SeverityResult:
        for result in self.severities:
            if result.severity == severity:
                return result
        raise KeyError(severity)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "units_inspected": self.units_inspected,
            "severities": {r.severity: r.to_dict() for r in self.severities},
        }


def severity_verdict(
    count: int, sample_size: int, accept: int, reject: int, units_inspected: int,
) -> str:
    """Fail as soon as the count reaches Re; pass once the class's sample is complete within Ac.

    ISO 2859-1:1999 plans have Re = Ac + 1. A plan with a gap (older reduced tables) would stay
    "pending" between Ac and Re, since it has no verdict there to give.
    """
    if count >= reject:
        return "fail"
    if units_inspected >= sample_size and count <= accept:
        return "pass"
    return "pending"


def _fields(plan: PlanLike | Mapping[str, int] | tuple[int, int, int]) -> tuple[int, int, int]:
    if isinstance(plan, tuple):
        sample_size, accept, reject = plan
    elif isinstance(plan, Mapping):
        sample_size, accept, reject = plan["sample_size"], plan["accept"], plan["reject"]
    else:
        sample_size, accept, reject = plan.sample_size, plan.accept, plan.reject
    if sample_size < 1 or accept < 0 or reject <= accept:
        raise ValueError(f"not a sampling plan: n={sample_size}, Ac={accept}, Re={reject}")
    return sample_size, accept, reject


def live_result(
    plans: Mapping[str, PlanLike | Mapping[str, int] | tuple[int, int, int]],
    counts: Mapping[str, int],
    units_inspected: int,
) -> LiveResult:
    """Verdicts from the plans per class (sample_size, accept, reject) and the defect counts.

    ``plans`` may be aql.Plan objects, mappings or (sample_size, accept, reject) tuples. A class
    without a count has found nothing yet; a count for a class without a plan is an error.
    """
    if not plans:
        raise ValueError("at least one defect class needs a plan")
    unknown = set(counts) - set(plans)
    if unknown:
        raise ValueError(f"counts for classes without a plan: {', '.join(sorted(unknown))}")
    if units_inspected < 0:
        raise ValueError("units_inspected must not be negative")
    order = [s for s in SEVERITIES if s in plans] + [s for s in plans if s not in SEVERITIES]
    results = []
    for severity in order:
        sample_size, accept, reject = _fields(plans[severity])
        count = counts.get(severity, 0)
        if count < 0:
            raise ValueError(f"{severity}: defect count must not be negative")
        verdict = severity_verdict(count, sample_size, accept, reject, units_inspected)
        results.append(SeverityResult(severity, count, accept, reject, sample_size, verdict))
    verdicts = {r.verdict for r in results}
    overall = "fail" if "fail" in verdicts else "pass" if verdicts == {"pass"} else "pending"
    return LiveResult(units_inspected, tuple(results), overall)
