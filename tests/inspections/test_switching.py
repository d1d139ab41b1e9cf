"""Switching rules of ISO 2859-1:1999 clause 9.3 and discontinuation (9.4)."""

import pytest

from api import aql
from api.inspections.switching import (
    LotRecord, SeverityOutcome, SwitchState, switch_state, switching_points,
)

MODE = {"n": "normal", "t": "tightened", "r": "reduced"}


def lots(text: str) -> list[LotRecord]:
    """'nA3 nR tA rR': mode letter, Accepted/Rejected, then switching points (default 0)."""
    return [
        LotRecord(MODE[token[0]], token[1] == "R", int(token[2:] or 0)) for token in text.split()
    ]


# (history, reduced allowed) → (mode, switching score, discontinue, start of the English reason)
CASES = [
    ("", False, ("normal", 0, False, "No lots yet")),
    ("nA2 nA2", False, ("normal", 4, False, "Normal inspection, switching score 4 of 30")),
    ("nR nR", False, ("tightened", 0, False, "2 of the last 2 lots rejected → tightened")),
    ("nR nA nA nA nR", False, ("tightened", 0, False, "2 of the last 5 lots rejected")),
    ("nA nA nA nA nA nR nA nR", False, ("tightened", 0, False, "2 of the last 5 lots rejected")),
    ("nA nR nA nR", False, ("tightened", 0, False, "2 of the last 4 lots rejected")),
    # 2 rejections 6 lots apart are not "2 out of 5 or fewer consecutive lots"
    ("nR nA nA nA nA nR", False, ("normal", 0, False, "Normal inspection")),
    ("nR nR tA tA tA tA", False, ("tightened", 0, False, "Tightened inspection, 4 of 5")),
    ("nR nR tA tA tA tA tA", False, ("normal", 0, False, "5 consecutive lots accepted")),
    ("nR nR tA tR tA tA tA tA", False, ("tightened", 0, False, "Tightened inspection, 4 of 5")),
    ("nR nR tA tR tA tA tA tA tA", False, ("normal", 0, False, "5 consecutive lots accepted")),
    # the score restarts at 0 when normal inspection starts again
    ("nR nR tA tA tA tA tA nA3 nA3", False, ("normal", 6, False, "Normal inspection")),
    # discontinuation: 5 rejected lots in one run of tightened inspection, not necessarily in a row
    ("nR nR tR tR tA tR tA", False, ("tightened", 0, False, "Tightened inspection, 1 of 5")),
    ("nR nR tR tR tA tR tA tR", False, ("tightened", 0, False, "Tightened inspection, 0 of 5")),
    ("nR nR tR tR tA tR tA tR tR", False, ("tightened", 0, True, "5 lots rejected on tightened")),
    # a lot after discontinuation means inspection resumed: a fresh tightened run
    ("nR nR tR tR tR tR tR tA", False, ("tightened", 0, False, "Tightened inspection, 1 of 5")),
    ("nR nR tR tR tR tR tR tR tR tR tR", False, ("tightened", 0, False, "Tightened inspection")),
    # normal → reduced at a switching score of 30, only if the supervisor allows it
    ("nA3 " * 10, True, ("reduced", 0, False, "Switching score 30 reached 30 and reduced")),
    ("nA3 " * 10, False, ("normal", 30, False, "Switching score 30 reached 30, but reduced")),
    ("nA2 " * 14, True, ("normal", 28, False, "Normal inspection, switching score 28 of 30")),
    ("nA2 " * 15, True, ("reduced", 0, False, "Switching score 30 reached 30")),
    ("nA3 " * 9 + "nR " + "nA3 " * 9, True, ("normal", 27, False, "Normal inspection")),
    ("nA3 " * 9 + "nA0", True, ("normal", 27, False, "Normal inspection")),
    # reduced → normal
    ("nA3 " * 10 + "rA rA", True, ("reduced", 0, False, "Reduced inspection continues")),
    ("nA3 " * 10 + "rA rA rR", True, ("normal", 0, False, "Lot rejected on reduced → normal")),
    ("nA3 " * 10 + "rA rA", False, ("normal", 0, False, "Reduced inspection is no longer allowed")),
    ("nA3 " * 10 + "rR nA2", True, ("normal", 2, False, "Normal inspection")),
    # recorded modes are authoritative, e.g. after a supervisor's override
    ("nA nA tA", False, ("tightened", 0, False, "Tightened inspection, 1 of 5")),
    ("nR nR nA nA nA nA", False, ("normal", 0, False, "Normal inspection")),
]


@pytest.mark.parametrize(("history", "allowed", "expected"), CASES)
def test_switch_state(history, allowed, expected):
    state = switch_state(lots(history), reduced_allowed=allowed)
    mode, score, discontinue, reason = expected
    assert (state.mode, state.switching_score, state.discontinue) == (mode, score, discontinue)
    assert state.reason.startswith(reason), state.reason
    assert state.reason_zh


@pytest.mark.parametrize(("history", "allowed", "reason_zh"), [
    ("", False, "尚无批次记录 → 正常检验"),
    ("nR nA nA nA nR", False, "最近5批中有2批不合格 → 加严检验"),
    ("nR nR", False, "最近2批中有2批不合格 → 加严检验"),
    ("nR nR tA tA tA tA tA", False, "加严检验连续5批合格 → 恢复正常检验"),
    ("nR nR tR tR tR tR tR", False, "加严检验累计5批不合格 → 暂停检验，待供方改进质量后恢复"),
    ("nA3 " * 10, True, "转移得分30已达30且允许放宽检验 → 放宽检验"),
    ("nA3 " * 10 + "rR", True, "放宽检验出现不合格批 → 恢复正常检验"),
])
def test_chinese_reasons(history, allowed, reason_zh):
    assert switch_state(lots(history), reduced_allowed=allowed).reason_zh == reason_zh


def test_state_is_a_frozen_dataclass():
    state = switch_state([])
    assert state == SwitchState("normal", "No lots yet → normal", "尚无批次记录 → 正常检验", 0, False)
    with pytest.raises(AttributeError):
        state.mode = "reduced"  # type: ignore[misc]


@pytest.mark.parametrize("bad", [LotRecord("strict", False), LotRecord("normal", False, -2)])
def test_bad_lots(bad):
    with pytest.raises(ValueError):
        switch_state([bad])


def so(accept, defects, tighter=None):
    return SeverityOutcome(accept, defects, tighter)


# 9.3.3.2 a): Ac 0/1 → 2 points if accepted; Ac ≥ 2 → 3 points if accepted one AQL tighter.
POINTS = [
    ([so(0, 0)], 2),
    ([so(0, 1)], 0),
    ([so(1, 1)], 2),
    ([so(1, 2)], 0),
    ([so(5, 3, 3)], 3),  # J n=80 at 2.5 (Ac 5); 1.5 has Ac 3
    ([so(5, 4, 3)], 0),  # accepted, but not at the tighter AQL: reset
    ([so(5, 6, 3)], 0),
    ([so(2, 1, 1)], 3),
    ([so(2, 2, 1)], 0),
    # classes combine: every class must earn points, then the smallest award counts
    ([so(0, 0), so(5, 2, 3), so(7, 4, 5)], 2),
    ([so(5, 2, 3), so(7, 4, 5)], 3),
    ([so(0, 1), so(5, 0, 3)], 0),
    ([so(0, 0), so(5, 4, 3)], 0),
]


@pytest.mark.parametrize(("severities", "points"), POINTS)
def test_switching_points(severities, points):
    assert switching_points(severities) == points


@pytest.mark.parametrize("severities", [[], [so(2, 0)], [so(-1, 0)], [so(0, -1)]])
def test_switching_points_needs_complete_input(severities):
    with pytest.raises(ValueError):
        switching_points(severities)


@pytest.mark.parametrize(("defects", "points"), [(0, 3), (3, 3), (4, 0), (5, 0)])
def test_points_from_the_tables(defects, points):
    found = aql.plan(1000, "II", "2.5")  # J, n=80, Ac 5 Re 6
    tighter = aql.accept_at_tighter_aql(found.code_letter, "2.5")  # 1.5 at J: Ac 3
    assert (found.accept, tighter) == (5, 3)
    assert switching_points([SeverityOutcome(found.accept, defects, tighter)]) == points
