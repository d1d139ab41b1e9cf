"""The order's inspection status, told to a person: data in, a sentence in English and 中文 out.

Pure: the status is stored as data (`Order.inspection_state`) and rendered here, never parsed back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

TYPE_LABEL = {"pre_production": ("Pre-production", "产前"), "in_process": ("DUPRO", "中期验货"),
              "pre_shipment": ("PSI", "尾期验货"), "container_loading": ("Container loading", "装柜检查")}
DECISION = {
    "accepted": ("{label} accepted", "{label}已接受"),
    "accepted_with_concession": ("{label} accepted with concession", "{label}让步接受"),
    "rejected": ("{label} rejected — rework and re-inspection", "{label}拒收——返工后重新验货"),
    "on_hold": ("{label} on hold", "{label}暂缓"),
}
VERDICT = {"pass": ("passed", "合格"), "fail": ("failed", "不合格"), None: ("done", "已完成")}


def state(type_: str, *, submitted: bool = False, verdict: str | None = None, decision: str | None = None,
          percent_complete: int | None = None, open_follow_ups: int = 0,
          booked: bool = False, scheduled_for: date | None = None) -> dict[str, Any]:
    """The data kept on the order after an inspection changed it; booked: only booked so far, for that day."""
    data = {"type": type_, "submitted": submitted, "verdict": verdict, "decision": decision,
            "percent_complete": percent_complete or 0, "open_follow_ups": open_follow_ups}
    if booked:
        data |= {"booked": True, "scheduled_for": scheduled_for.isoformat() if scheduled_for else None}
    return data


def render(data: dict[str, Any] | None) -> tuple[str, str]:
    """The sentence in English and in 中文; empty before any inspection."""
    if not data:
        return "", ""
    en_label, zh_label = TYPE_LABEL[data["type"]]
    if data.get("booked"):
        when = data.get("scheduled_for")
        return ((f"{en_label} booked for {when}", f"{zh_label}已预约：{when}") if when
                else (f"{en_label} booked", f"{zh_label}已预约"))
    if data.get("decision"):
        en, zh = DECISION[data["decision"]]
        return en.format(label=en_label), zh.format(label=zh_label)
    if data["type"] == "in_process":
        percent, issues = data.get("percent_complete") or 0, data.get("open_follow_ups") or 0
        open_en = f"{issues} issue{'s' if issues != 1 else ''} open" if issues else "no open issues"
        open_zh = f"{issues} 个问题待整改" if issues else "无待整改问题"
        return f"DUPRO: {percent} %, {open_en}", f"中期验货：{percent}%，{open_zh}"
    en_verdict, zh_verdict = VERDICT.get(data.get("verdict"), VERDICT[None])
    return f"{en_label} {en_verdict} — awaiting review", f"{zh_label}{zh_verdict}——待审核"
