"""Switching between normal, tightened and reduced inspection (ISO 2859-1:1999, 9.3 and 9.4).

``switch_state`` replays a factory's pre-shipment lots, oldest first, and says under which mode
the next lot is inspected. The history holds original inspections only: a re-inspection of a
reworked lot is not a new lot for these rules. A lot accepted with concession counts as rejected.

Rules applied:
- Start at normal inspection (9.2).
- Normal → tightened when 2 of 5 or fewer consecutive lots on normal are rejected (9.3.2).
- Tightened → normal after 5 consecutive lots accepted on tightened (9.3.3).
- Normal → reduced when the switching score is at least 30 and the supervisor allows reduced
  inspection for the factory; steady production is assumed (9.3.3.2).
- Reduced → normal when a lot is rejected, or when reduced inspection is no longer allowed (9.3.4).
- Discontinuation when the rejected lots in one run of tightened inspection add up to 5 (9.4).
  Inspection may only resume after the supplier has acted; a later lot in the history means it
  did, and the new tightened run counts from zero, as the standard says ("as if 9.3.2").

Each lot's recorded mode is authoritative for that lot: the counters (the last-5 window, the
switching score, the tightened runs) belong to the run of consecutive lots recorded under the
same mode, and restart whenever the recorded mode changes. So the answer follows what was
actually done, also after a supervisor's manual override.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["LotRecord", "SeverityOutcome", "SwitchState", "switch_state", "switching_points"]

MODES = ("normal", "tightened", "reduced")
SCORE_FOR_REDUCED = 30


@dataclass(frozen=True)
class SeverityOutcome:
    """One defect class of one lot on normal inspection, as the switching score needs it."""

    accept: int  # Ac of the plan used
    defects: int  # nonconforming units (or nonconformities) found
    tighter_accept: int | None = None  # Ac one AQL step tighter, same n; needed when Ac >= 2


@dataclass(frozen=True)
class LotRecord:
    mode: str  # mode the lot was inspected under
    rejected: bool  # AQL verdict fail; concession still counts as rejected
    points: int = 0  # switching_points() of the lot; read only for lots on normal inspection


@dataclass(frozen=True)
class SwitchState:
    mode: str
    reason: str
    reason_zh: str
    switching_score: int
    discontinue: bool


def switching_points(severities: Iterable[SeverityOutcome]) -> int:
    """What a lot on normal inspection adds to the switching score; 0 means reset the score.

    Per class (9.3.3.2 a): with Ac 0 or 1, 2 points if the class is accepted; with Ac 2 or more,
    3 points if it would have been accepted at the next tighter AQL. Several classes combine as:
    the lot earns points only if every class earns them, and then the smallest award, because
    the standard scores one AQL per lot and a lot is only "better than needed" if every class is.
    """
    awards = []
    for s in severities:
        if s.accept < 0 or s.defects < 0:
            raise ValueError("accept and defects must not be negative")
        if s.accept <= 1:
            awards.append(2 if s.defects <= s.accept else 0)
        elif s.tighter_accept is None:
            raise ValueError("tighter_accept is needed when the acceptance number is 2 or more")
        else:
            awards.append(3 if s.defects <= s.tighter_accept else 0)
    if not awards:
        raise ValueError("a lot needs at least one defect class to score")
    return 0 if 0 in awards else min(awards)


def _reason(key: str, **values: int) -> tuple[str, str]:
    en, zh = _REASONS[key]
    return en.format(**values), zh.format(**values)


_REASONS = {
    "start": ("No lots yet → normal", "尚无批次记录 → 正常检验"),
    "normal": (
        "Normal inspection, switching score {score} of {need}",
        "正常检验，转移得分 {score}/{need}",
    ),
    "to_tightened": (
        "{rejected} of the last {window} lots rejected → tightened",
        "最近{window}批中有{rejected}批不合格 → 加严检验",
    ),
    "to_reduced": (
        "Switching score {score} reached {need} and reduced inspection is allowed → reduced",
        "转移得分{score}已达{need}且允许放宽检验 → 放宽检验",
    ),
    "reduced_not_allowed": (
        "Switching score {score} reached {need}, but reduced inspection is not allowed → normal",
        "转移得分{score}已达{need}，但未允许放宽检验 → 保持正常检验",
    ),
    "tightened": (
        "Tightened inspection, {accepted} of 5 consecutive lots accepted towards normal",
        "加严检验，已连续{accepted}批合格（连续5批合格恢复正常检验）",
    ),
    "to_normal": (
        "5 consecutive lots accepted on tightened → normal",
        "加严检验连续5批合格 → 恢复正常检验",
    ),
    "discontinue": (
        "{rejected} lots rejected on tightened → discontinue inspection until the supplier "
        "has improved quality",
        "加严检验累计{rejected}批不合格 → 暂停检验，待供方改进质量后恢复",
    ),
    "reduced": ("Reduced inspection continues", "继续放宽检验"),
    "reduced_rejected": ("Lot rejected on reduced → normal", "放宽检验出现不合格批 → 恢复正常检验"),
    "reduced_revoked": (
        "Reduced inspection is no longer allowed → normal",
        "已不允许放宽检验 → 恢复正常检验",
    ),
}


def switch_state(history: Sequence[LotRecord], reduced_allowed: bool = False) -> SwitchState:
    """The mode for the next lot, from the lots so far (oldest first)."""
    run_mode = "normal"
    window: list[bool] = []  # rejected? for the last 5 lots of the normal run
    score = 0
    accepted_run = rejected_count = 0  # tightened run: consecutive accepts, cumulative rejects
    any_rejected = False  # reduced run
    for number, lot in enumerate(history, 1):
        if lot.mode not in MODES:
            raise ValueError(f"lot {number}: unknown mode {lot.mode!r}")
        if lot.points < 0:
            raise ValueError(f"lot {number}: switching points must not be negative")
        resumed = run_mode == "tightened" and rejected_count >= 5
        if lot.mode != run_mode or resumed:
            run_mode = lot.mode
            window, score, accepted_run, rejected_count, any_rejected = [], 0, 0, 0, False
        if run_mode == "normal":
            window = [*window, lot.rejected][-5:]
            score = 0 if lot.rejected else score + lot.points
        elif run_mode == "tightened":
            accepted_run = 0 if lot.rejected else accepted_run + 1
            rejected_count += lot.rejected
        else:
            any_rejected = any_rejected or lot.rejected

    need = SCORE_FOR_REDUCED
    if not history:
        return _state("normal", _reason("start"), 0)
    if run_mode == "normal":
        if sum(window) >= 2:
            reason = _reason("to_tightened", rejected=sum(window), window=len(window))
            return _state("tightened", reason, 0)
        if score >= need and reduced_allowed:
            return _state("reduced", _reason("to_reduced", score=score, need=need), 0)
        if score >= need:
            return _state("normal", _reason("reduced_not_allowed", score=score, need=need), score)
        return _state("normal", _reason("normal", score=score, need=need), score)
    if run_mode == "tightened":
        if rejected_count >= 5:
            return _state("tightened", _reason("discontinue", rejected=rejected_count), 0, True)
        if accepted_run >= 5:
            return _state("normal", _reason("to_normal"), 0)
        return _state("tightened", _reason("tightened", accepted=accepted_run), 0)
    if any_rejected:
        return _state("normal", _reason("reduced_rejected"), 0)
    if not reduced_allowed:
        return _state("normal", _reason("reduced_revoked"), 0)
    return _state("reduced", _reason("reduced"), 0)


def _state(
    mode: str, reason: tuple[str, str], score: int, discontinue: bool = False,
) -> SwitchState:
    return SwitchState(mode, reason[0], reason[1], score, discontinue)
