"""The dashboards through the API, with exact figures, on SQLite and PostgreSQL.

Most inspections are written straight into the database, each with the submission time, verdict and review it
needs, so that the date range, revisions and re-inspections can be set up exactly; one test takes a real
inspection through booking, findings, submission, review and re-inspection over the API.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from api.inspections.lifecycle import Status
from api.inspections.models import Defect, Inspection
from api.orders.models import Order
from tests.helpers import assert_problem, in_db, order_body

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

TODAY = datetime.now(UTC).date()
ROUTES = ["/api/dashboards/pass-rate", "/api/dashboards/defect-pareto", "/api/dashboards/inspections-due",
          "/api/dashboards/overdue-actions"]


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def at(offset: int) -> datetime:
    return datetime.combine(day(offset), time(10, 30), tzinfo=UTC)


def new_order(world: Any, customer: int, factory: int, po: str, ship: int) -> dict[str, Any]:
    body = order_body(world.customers[customer]["id"], world.factories[factory]["id"], po,
                      ship_date=day(ship).isoformat())
    response = world.admin.post("/api/orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def seed(url: str, inspections: list[dict[str, Any]], defects: list[dict[str, Any]],
         orders: dict[str, dict[str, Any]] | None = None) -> None:
    """Inspections by name ({"name", "order", ...columns}), then defects ({"on": name, ...}); `supersedes` and
    `reinspects` name another inspection; `orders` sets order columns by id."""
    ids = {i["name"]: uuid.uuid4() for i in inspections}

    async def work(session: Any) -> None:
        for spec in inspections:
            columns = {k: v for k, v in spec.items() if k not in {"name", "order", "supersedes", "reinspects"}}
            session.add(Inspection(id=ids[spec["name"]], order_id=uuid.UUID(spec["order"]["id"]),
                                   reinspection_of_id=ids.get(spec.get("reinspects", "")), **columns))
        await session.flush()
        for spec in inspections:
            if "supersedes" in spec:
                await session.execute(update(Inspection).where(Inspection.id == ids[spec["supersedes"]])
                                      .values(superseded_by_id=ids[spec["name"]]))
                await session.execute(update(Inspection).where(Inspection.id == ids[spec["name"]])
                                      .values(revision_of_id=ids[spec["supersedes"]]))
        for spec in defects:
            columns = {k: v for k, v in spec.items() if k != "on"}
            session.add(Defect(id=uuid.uuid4(), inspection_id=ids[spec["on"]], **columns))
        for order_id, values in (orders or {}).items():
            await session.execute(update(Order).where(Order.id == uuid.UUID(order_id)).values(**values))

    in_db(url, work)


def submitted(name: str, order: dict[str, Any], offset: int, verdict: str | None, type_: str = "pre_shipment",
              decision: str | None = None, **extra: Any) -> dict[str, Any]:
    status = Status.reviewed if decision else Status.submitted
    return {"name": name, "order": order, "type": type_, "status": status.value, "submitted_at": at(offset),
            "verdict": verdict, "review_decision": decision, **extra}


@pytest.fixture
def figures(world: Any, settings: Any) -> dict[str, Any]:
    """PO-1 (C1, F1), PO-2 (C2, F2), PO-3 (C1, F2), inspected in the last 20 days."""
    po1, po2 = world.orders
    po3 = new_order(world, 0, 1, "PO-3", 10)
    owner = world.supervisor.id
    seed(settings.database_url, [
        submitted("a", po1, -2, "pass"),
        submitted("b", po1, -5, "fail", decision="rejected"),
        submitted("c", po1, -1, "pass", reinspects="b"),  # the re-inspection after rework
        submitted("k", po1, -3, "pass"),  # its correction is still open: out of the figures until submitted
        {"name": "j", "order": po1, "type": "pre_shipment", "status": Status.in_progress.value, "supersedes": "k"},
        submitted("d", po2, -3, "fail"),
        submitted("e", po2, -2, "pass", decision="accepted", supersedes="d"),  # the correction of d
        submitted("g", po3, -1, None, type_="in_process"),  # a DUPRO without a verdict
        submitted("h", po3, -20, "pass", decision="rejected"),
        {"name": "i", "order": po3, "type": "pre_shipment", "status": Status.in_progress.value},
    ], [
        {"on": "b", "code": "W01", "severity": "major", "count": 3},
        {"on": "b", "code": "F05", "severity": "major", "count": 2},
        {"on": "b", "code": "W04", "severity": "minor", "count": 1, "deleted_at": at(-4)},
        {"on": "d", "code": "W01", "severity": "major", "count": 10},
        {"on": "e", "code": "W01", "severity": "major", "count": 2, "note": "Side seam",
         "follow_up": True, "follow_up_due": day(-1), "follow_up_owner_id": uuid.UUID(owner)},
        {"on": "c", "code": "F05", "severity": "major", "count": 1},
        {"on": "k", "code": "W02", "severity": "major", "count": 7,
         "follow_up": True, "follow_up_due": day(-8)},
        {"on": "h", "code": "F01", "severity": "major", "count": 5},
        {"on": "a", "code": "F01", "severity": "major", "count": 1,
         "follow_up": True, "follow_up_due": day(-7), "note": "Check the cutting table"},
        {"on": "g", "code": "W04", "severity": "minor", "count": 4, "note": "Stitching uneven on collar",
         "follow_up": True, "follow_up_due": day(-3), "follow_up_owner_id": uuid.UUID(owner)},
        {"on": "g", "code": "W04", "severity": "minor", "count": 1, "follow_up": True, "follow_up_due": day(0)},
        {"on": "g", "code": "W04", "severity": "minor", "count": 1, "follow_up": True, "follow_up_due": day(-5),
         "closed_at": at(-1)},
        {"on": "g", "code": "W04", "severity": "minor", "count": 1, "follow_up": True, "follow_up_due": day(-9),
         "deleted_at": at(-1)},
    ])
    return {"po": {"PO-1": po1, "PO-2": po2, "PO-3": po3}}


def rates(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["code"], r["inspections"], r["passed"], r["failed"], r["reinspections"], r["pass_rate"])
            for r in body["items"]]


def total(body: dict[str, Any]) -> tuple[Any, ...]:
    t = body["total"]
    return t["inspections"], t["passed"], t["failed"], t["reinspections"], t["pass_rate"]


LAST_10 = f"date_from={day(-10)}&date_to={day(0)}"


def test_pass_rate_by_factory_and_by_customer(world: Any, figures: Any) -> None:
    by_factory = world.supervisor.get(f"/api/dashboards/pass-rate?group=factory&{LAST_10}")
    assert by_factory.status_code == 200, by_factory.text
    body = by_factory.json()
    # F1: a, b (failed) and c (its re-inspection); k waits for its correction. F2: e (replacing d) and g.
    assert rates(body) == [("F1", 3, 2, 1, 1, 0.6667), ("F2", 2, 1, 0, 0, 1.0)]
    assert total(body) == (5, 3, 1, 1, 0.75)
    assert body["items"][0]["id"] == world.factories[0]["id"] and body["items"][0]["name"] == "Factory F1"
    assert (body["group"], body["date_from"], body["date_to"], body["type"]) == (
        "factory", day(-10).isoformat(), day(0).isoformat(), None)
    by_customer = world.merchandiser.get(f"/api/dashboards/pass-rate?group=customer&{LAST_10}").json()
    assert rates(by_customer) == [("C1", 4, 2, 1, 1, 0.6667), ("C2", 1, 1, 0, 0, 1.0)]
    assert total(by_customer) == total(body)


def test_pass_rate_range_and_type(world: Any, figures: Any) -> None:
    get = world.admin.get
    wider = get(f"/api/dashboards/pass-rate?date_from={day(-20)}&date_to={day(0)}").json()
    assert rates(wider) == [("F1", 3, 2, 1, 1, 0.6667), ("F2", 3, 2, 0, 0, 1.0)]  # h, 20 days ago
    psi_only = get(f"/api/dashboards/pass-rate?{LAST_10}&type=pre_shipment").json()
    assert rates(psi_only) == [("F1", 3, 2, 1, 1, 0.6667), ("F2", 1, 1, 0, 0, 1.0)]
    dupro = get(f"/api/dashboards/pass-rate?{LAST_10}&type=in_process").json()
    assert rates(dupro) == [("F2", 1, 0, 0, 0, None)]  # inspected, but nothing to rate
    # Whole UTC days, both ends included.
    one_day = get(f"/api/dashboards/pass-rate?date_from={day(-1)}&date_to={day(-1)}").json()
    assert rates(one_day) == [("F1", 1, 1, 0, 1, 1.0), ("F2", 1, 0, 0, 0, None)]
    empty = get(f"/api/dashboards/pass-rate?date_from={day(-40)}&date_to={day(-30)}").json()
    assert empty["items"] == [] and total(empty) == (0, 0, 0, 0, None)
    default = get("/api/dashboards/pass-rate").json()  # the last 30 days
    assert (default["date_from"], default["date_to"]) == (day(-29).isoformat(), day(0).isoformat())
    assert total(default) == (6, 4, 1, 1, 0.8)


def test_defect_pareto(world: Any, figures: Any) -> None:
    body = world.supervisor.get(f"/api/dashboards/defect-pareto?{LAST_10}").json()
    # W04: on g, 4 + 1 + 1 (its deleted one and the deleted 1 on b left out); W01: 3 on b and 2 on e (d's 10 were
    # corrected away, k's W02 waits for its correction); F05: 2 + 1; F01: 1 on a (h is older).
    assert [(i["code"], i["count"], i["share"], i["cumulative_share"]) for i in body["items"]] == [
        ("W04", 6, 0.4, 0.4), ("W01", 5, 0.3333, 0.7333), ("F05", 3, 0.2, 0.9333), ("F01", 1, 0.0667, 1.0)]
    assert body["items"][1]["name_en"] == "Broken stitch" and body["items"][1]["name_zh"] == "断线"
    assert (body["total_defects"], body["other_count"]) == (15, 0)
    top2 = world.supervisor.get(f"/api/dashboards/defect-pareto?{LAST_10}&top=2").json()
    assert [i["code"] for i in top2["items"]] == ["W04", "W01"]
    assert (top2["total_defects"], top2["other_count"], top2["items"][-1]["cumulative_share"]) == (15, 4, 0.7333)
    psi_only = world.supervisor.get(f"/api/dashboards/defect-pareto?{LAST_10}&type=pre_shipment").json()
    assert [(i["code"], i["count"], i["share"]) for i in psi_only["items"]] == [
        ("W01", 5, 0.5556), ("F05", 3, 0.3333), ("F01", 1, 0.1111)]
    wider = world.supervisor.get(f"/api/dashboards/defect-pareto?date_from={day(-20)}&date_to={day(0)}").json()
    assert [(i["code"], i["count"]) for i in wider["items"]] == [("F01", 6), ("W04", 6), ("W01", 5), ("F05", 3)]
    empty = world.supervisor.get(f"/api/dashboards/defect-pareto?date_from={day(-40)}&date_to={day(-30)}").json()
    assert (empty["items"], empty["total_defects"], empty["other_count"]) == ([], 0, 0)


def test_overdue_corrective_actions(world: Any, figures: Any) -> None:
    body = world.supervisor.get("/api/dashboards/overdue-actions").json()
    # k's follow-up is superseded; of g's: one due today, one closed, one deleted.
    assert [(a["po_number"], a["factory_code"], a["code"], a["days_overdue"], a["due"]) for a in body] == [
        ("PO-1", "F1", "F01", 7, day(-7).isoformat()),
        ("PO-3", "F2", "W04", 3, day(-3).isoformat()),
        ("PO-2", "F2", "W01", 1, day(-1).isoformat()),
    ]
    assert body[1]["owner_id"] == world.supervisor.id and body[1]["owner_name"] == world.supervisor.username
    assert body[0]["owner_id"] is None and body[0]["owner_name"] is None
    assert (body[1]["name_zh"], body[1]["note"], body[1]["inspection_type"]) == (
        "线迹不均", "Stitching uneven on collar", "in_process")
    assert body[2]["order_id"] == figures["po"]["PO-2"]["id"] and body[2]["factory_name"] == "Factory F2"


def test_inspections_due(world: Any, figures: Any, settings: Any) -> None:
    po = figures["po"]
    po4 = new_order(world, 1, 0, "PO-4", 14)
    po8, po9, po10 = (new_order(world, 1, 1, po, ship) for po, ship in (("PO-8", 4), ("PO-9", 6), ("PO-10", 7)))
    shipped, past, gone = (new_order(world, 1, 0, "PO-5", 2), new_order(world, 1, 0, "PO-6", -1),
                           new_order(world, 1, 0, "PO-7", 1))
    assert world.admin.delete(f"/api/orders/{gone['id']}").status_code == 204
    seed(settings.database_url, [
        {"name": "p8", "order": po8, "type": "pre_shipment", "status": Status.scheduled.value,
         "scheduled_for": day(2), "assignee_id": uuid.UUID(world.inspector.id)},
        submitted("p9", po9, -1, "fail", decision="on_hold"),
        submitted("p10", po10, 0, "pass"),
        {"name": "p4", "order": po4, "type": "in_process", "status": Status.in_progress.value},
    ], [], orders={po["PO-1"]["id"]: {"ship_date": day(5)}, po["PO-2"]["id"]: {"ship_date": day(3)},
                   shipped["id"]: {"status": "shipped"}})
    body = world.supervisor.get("/api/dashboards/inspections-due?days=14")
    assert body.status_code == 200, body.text
    due = body.json()
    # PO-2's latest (its correction e) is accepted; PO-5 shipped, PO-6 past, PO-7 deleted.
    assert [(d["po_number"], d["days_left"], d["state"], d["factory_code"], d["customer_code"]) for d in due] == [
        ("PO-8", 4, "booked", "F2", "C2"),
        ("PO-1", 5, "started", "F1", "C1"),  # j, the correction of k, is open (and c awaits its review)
        ("PO-9", 6, "on_hold", "F2", "C2"),
        ("PO-10", 7, "awaiting_review", "F2", "C2"),
        ("PO-3", 10, "started", "F2", "C1"),  # i is open; h was rejected
        ("PO-4", 14, "not_booked", "F1", "C2"),  # a DUPRO is no pre-shipment inspection
    ]
    assert (due[0]["scheduled_for"], due[0]["assignee_id"]) == (day(2).isoformat(), world.inspector.id)
    assert (due[1]["verdict"], due[1]["review_decision"], due[1]["scheduled_for"]) == (None, None, None)
    assert (due[2]["verdict"], due[2]["review_decision"]) == ("fail", "on_hold")
    assert (due[3]["verdict"], due[3]["review_decision"]) == ("pass", None)
    assert due[5]["inspection_id"] is None and due[1]["order_id"] == po["PO-1"]["id"]
    assert [d["po_number"] for d in world.supervisor.get("/api/dashboards/inspections-due?days=13").json()] == [
        "PO-8", "PO-1", "PO-9", "PO-10", "PO-3"]
    assert world.supervisor.get("/api/dashboards/inspections-due?days=0").json() == []
    assert [d["po_number"] for d in world.factory_user.get("/api/dashboards/inspections-due?days=14").json()] == [
        "PO-1", "PO-4"]
    assert past["po_number"] == "PO-6"


def test_a_factory_sees_its_own_figures_and_inspectors_none(world: Any, figures: Any) -> None:
    own = world.factory_user.get(f"/api/dashboards/pass-rate?{LAST_10}").json()
    assert rates(own) == [("F1", 3, 2, 1, 1, 0.6667)] and total(own) == (3, 2, 1, 1, 0.6667)
    by_customer = world.factory_user.get(f"/api/dashboards/pass-rate?group=customer&{LAST_10}").json()
    assert rates(by_customer) == [("C1", 3, 2, 1, 1, 0.6667)]
    pareto = world.factory_user.get(f"/api/dashboards/defect-pareto?{LAST_10}").json()
    assert [(i["code"], i["count"]) for i in pareto["items"]] == [("F05", 3), ("W01", 3), ("F01", 1)]
    assert [a["po_number"] for a in world.factory_user.get("/api/dashboards/overdue-actions").json()] == ["PO-1"]
    for path in ROUTES:
        problem = assert_problem(world.inspector.get(path), 403)
        assert problem["detail_zh"]
        assert world.admin.client.get(path).status_code == 401


@pytest.mark.parametrize(("query", "param"), [
    (f"date_from={date(2026, 12, 2)}&date_to={date(2026, 12, 1)}", "date_from"),
    ("date_from=2000-01-01&date_to=2026-12-01", "date_from"),  # longer than ten years
    ("date_from=0001-01-01&date_to=9999-12-31", "date_from"),
    ("date_from=2026-13-01", None),
    ("group=supplier", None),
    ("type=final", None),
])
def test_bad_range_and_group_are_400s(world: Any, query: str, param: str | None) -> None:
    problem = assert_problem(world.supervisor.get(f"/api/dashboards/pass-rate?{query}"), 400)
    assert problem["detail_zh"]
    if param:
        assert problem["param"] == param


@pytest.mark.parametrize(("path", "query"), [
    ("defect-pareto", "top=0"), ("defect-pareto", "top=51"), ("defect-pareto", "top=ten"),
    ("defect-pareto", "date_from=2026-12-02&date_to=2026-12-01"),
    ("inspections-due", "days=-1"), ("inspections-due", "days=366"),
])
def test_bad_numbers_are_400s(world: Any, path: str, query: str) -> None:
    assert assert_problem(world.supervisor.get(f"/api/dashboards/{path}?{query}"), 400)["detail_zh"]


@pytest.mark.parametrize(("query", "date_from", "date_to"), [
    ("date_from=9999-01-01&date_to=9999-12-31", "9999-01-01", "9999-12-31"),
    ("date_to=0001-01-05", "0001-01-01", "0001-01-05"),  # the default 30 days stop at the calendar's start
    ("date_from=0001-01-01&date_to=0001-01-01", "0001-01-01", "0001-01-01"),
])
def test_the_calendars_ends_are_range_ends(world: Any, figures: Any, query: str, date_from: str, date_to: str) -> None:
    body = world.supervisor.get(f"/api/dashboards/pass-rate?{query}")
    assert body.status_code == 200, body.text
    assert (body.json()["date_from"], body.json()["date_to"], body.json()["items"]) == (date_from, date_to, [])


def test_a_real_inspection_through_the_api(world: Any, psi: Any, settings: Any) -> None:
    """Booked, recorded, submitted, rejected and re-booked over the API: each step shows on the dashboards."""
    order = world.orders[0]
    defect = {"code": "W01", "severity": "major", "count": 6}
    assert world.inspector.put(f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}", json=defect).status_code == 201
    for carton in psi["cartons"]:
        scan = world.inspector.post(f"/api/inspections/{psi['id']}/scans",
                                    json={"id": str(uuid.uuid4()), "text": carton["barcode"]})
        assert scan.json()["verdict"] == "ok"
    current = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    body = {"order_id": order["id"], "type": "pre_shipment", "lot_size": 720, "version": current["version"],
            "units_inspected": 80}
    current = world.inspector.put(f"/api/inspections/{psi['id']}", json=body).json()
    submitted_ = world.inspector.post(f"/api/inspections/{psi['id']}/submit", json={"version": current["version"]})
    assert submitted_.status_code == 200 and submitted_.json()["verdict"] == "fail"
    seed(settings.database_url, [], [], orders={order["id"]: {"ship_date": day(3)}})

    rate_ = world.supervisor.get("/api/dashboards/pass-rate").json()
    assert rates(rate_) == [("F1", 1, 0, 1, 0, 0.0)]
    pareto = world.supervisor.get("/api/dashboards/defect-pareto").json()
    assert [(i["code"], i["count"], i["share"]) for i in pareto["items"]] == [("W01", 6, 1.0)]

    def due() -> list[tuple[str, str, str | None]]:
        return [(d["po_number"], d["state"], d["inspection_id"])
                for d in world.merchandiser.get("/api/dashboards/inspections-due?days=7").json()]

    assert due() == [("PO-1", "awaiting_review", psi["id"])]
    review = world.supervisor.post(f"/api/inspections/{psi['id']}/review", json={"decision": "rejected",
                                                                                 "note": "Broken stitches"})
    assert review.status_code == 200, review.text
    assert due() == [("PO-1", "rejected", psi["id"])]
    again = str(uuid.uuid4())
    booked = world.supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": again, "type": "pre_shipment", "assignee_id": world.inspector.id, "reinspection_of_id": psi["id"]})
    assert booked.status_code == 201, booked.text
    assert due() == [("PO-1", "booked", again)]
    assert rates(world.supervisor.get("/api/dashboards/pass-rate").json()) == [("F1", 1, 0, 1, 0, 0.0)]
