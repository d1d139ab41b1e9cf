from datetime import date

import pytest

from api.orders.inspection_status import render, state

CASES = [
    (None, ("", "")),
    (state("pre_shipment", submitted=True, verdict="pass"), ("PSI passed — awaiting review", "尾期验货合格——待审核")),
    (state("pre_shipment", submitted=True, verdict="fail"), ("PSI failed — awaiting review", "尾期验货不合格——待审核")),
    (state("pre_production", submitted=True), ("Pre-production done — awaiting review", "产前已完成——待审核")),
    (state("pre_shipment", decision="accepted"), ("PSI accepted", "尾期验货已接受")),
    (state("pre_shipment", decision="accepted_with_concession"),
     ("PSI accepted with concession", "尾期验货让步接受")),
    (state("pre_shipment", decision="rejected"),
     ("PSI rejected — rework and re-inspection", "尾期验货拒收——返工后重新验货")),
    (state("container_loading", decision="on_hold"), ("Container loading on hold", "装柜检查暂缓")),
    (state("in_process", percent_complete=60, open_follow_ups=2), ("DUPRO: 60 %, 2 issues open", "中期验货：60%，2 个问题待整改")),
    (state("in_process", percent_complete=60, open_follow_ups=1), ("DUPRO: 60 %, 1 issue open", "中期验货：60%，1 个问题待整改")),
    (state("in_process"), ("DUPRO: 0 %, no open issues", "中期验货：0%，无待整改问题")),
    (state("pre_shipment", booked=True, scheduled_for=date(2026, 12, 19)),
     ("PSI booked for 2026-12-19", "尾期验货已预约：2026-12-19")),
    (state("in_process", booked=True), ("DUPRO booked", "中期验货已预约")),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_render(data, expected):  # type: ignore[no-untyped-def]
    assert render(data) == expected
