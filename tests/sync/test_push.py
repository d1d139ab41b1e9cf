"""POST /api/sync/push through the app: a phone's outbox in one request, on SQLite and PostgreSQL.

Every operation goes through the service of its own route, so the tests compare a push with the same
operations sent one request each: the same statuses, the same problems, the same state.
"""

from __future__ import annotations

import base64
import io
import uuid
from dataclasses import replace
from typing import Any

import pytest
from litestar.testing import TestClient
from PIL import Image
from sqlalchemy import func, select, text

from api.app import create_app
from api.errors import Invalid
from api.inspections.findings import FindingService
from api.inspections.models import ChecklistAnswer, Defect, Inspection, Scan, Signature
from api.orders.models import OrderEvent
from api.sync.models import Change
from api.sync.push import KINDS
from tests.helpers import Actor, assert_problem, in_db, inspection_body

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

PUSH = "/api/sync/push"
IID = "/api/inspections/{inspection_id}"
# The single request each kind stands for (the push's key is the route's path parameters).
ROUTES = {
    "booking": ("POST", "/api/orders/{order_id}/inspections"),
    "inspection": ("PUT", IID),
    "inspection.submit": ("POST", IID + "/submit"),
    "inspection.abort": ("POST", IID + "/abort"),
    "signature": ("POST", IID + "/signatures"),
    "scan": ("POST", IID + "/scans"),
    "defect": ("PUT", IID + "/defects/{defect_id}"),
    "defect.delete": ("DELETE", IID + "/defects/{defect_id}"),
    "follow_up.close": ("POST", IID + "/defects/{defect_id}/close"),
    "measurement": ("PUT", IID + "/measurements/{measurement_id}"),
    "measurement.delete": ("DELETE", IID + "/measurements/{measurement_id}"),
    "checklist_answer": ("PUT", IID + "/checklist/{answer_id}"),
    "checklist_answer.delete": ("DELETE", IID + "/checklist/{answer_id}"),
    "spec_sheet": ("PUT", "/api/orders/{order_id}/spec-sheet"),
    "annotations": ("PUT", "/api/photos/{photo_id}/annotations"),
    "photo.withdraw": ("POST", "/api/photos/{photo_id}/withdraw"),
}
VERSIONED = {"inspection", "inspection.submit", "defect", "measurement", "checklist_answer", "spec_sheet",
             "annotations"}


def op(kind: str, key: dict[str, Any], body: dict[str, Any] | None = None,
       base_version: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "key": key, "body": body, "base_version": base_version}


def push(actor: Actor, operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = actor.post(PUSH, json={"operations": operations})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(operations)))
    assert [r["kind"] for r in results] == [o["kind"] for o in operations]
    return results


def single(actor: Actor, operation: dict[str, Any]) -> Any:
    """The same operation as a request of its own to its route."""
    if operation["kind"] == "inspection.start":  # no route of its own: a PUT of the status does it
        inspection = actor.get(IID.format(**operation["key"])).json()
        body = {"order_id": inspection["order"]["id"], "type": inspection["type"], "status": "in_progress",
                "version": operation["base_version"]}
        return actor.put(IID.format(**operation["key"]), json=body)
    method, path = ROUTES[operation["kind"]]
    body = dict(operation["body"] or {})
    if operation["kind"] in VERSIONED and operation["base_version"] is not None:
        body["version"] = operation["base_version"]
    return actor.request(method, path.format(**operation["key"]), json=body if operation["body"] is not None
                         or operation["kind"] in VERSIONED else None)


def png_signature() -> str:
    buffer = io.BytesIO()
    Image.new("L", (120, 40), 255).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def book(world, order, assignee=None, type_="pre_shipment"):  # type: ignore[no-untyped-def]
    """A booked inspection its inspector has downloaded (scheduled; cartons drawn for a pre-shipment one)."""
    inspection_id = str(uuid.uuid4())
    assignee = assignee or world.inspector
    booked = world.supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": inspection_id, "type": type_, "assignee_id": assignee.id})
    assert booked.status_code == 201, booked.text
    body = inspection_body(order, type=type_, version=1, **({} if type_ == "pre_shipment" else {"lot_size": None}))
    taken = assignee.put(f"/api/inspections/{inspection_id}", json=body)
    assert taken.status_code == 200, taken.text
    return taken.json()


def day_of_work(inspection: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
    """A day offline on one pre-shipment inspection, as the outbox holds it, and the statuses expected."""
    iid, version = inspection["id"], inspection["version"]
    first, *rest = inspection["cartons"]
    d1, d2, a1, a2 = (str(uuid.uuid4()) for _ in range(4))
    key = {"inspection_id": iid}
    operations = [
        op("inspection.start", key, base_version=version),
        op("checklist_answer", key | {"answer_id": a1}, {"item_key": "hang_tags", "result": "fail",
                                                           "note": "price ticket missing"}),
        op("checklist_answer", key | {"answer_id": a2}, {"item_key": "carton_drop", "result": "pass"}),
        op("defect", key | {"defect_id": d1}, {"code": "W01", "severity": "major", "location": "left sleeve"}),
        op("defect", key | {"defect_id": d1}, {"code": "W01", "severity": "major", "location": "right sleeve"},
           base_version=1),
        op("defect", key | {"defect_id": d1}, {"code": "W01", "severity": "major", "location": "right sleeve",
                                               "count": 2}, base_version=2),
        op("defect", key | {"defect_id": d2}, {"code": "W01", "severity": "minor"}),
        op("defect.delete", key | {"defect_id": d2}),
        *(op("scan", key, {"id": str(uuid.uuid4()), "text": carton["barcode"]}) for carton in rest),
        op("inspection", key, {"order_id": inspection["order"]["id"], "type": "pre_shipment", "units_inspected": 80},
           base_version=version + 1),
        op("signature", key, {"role": "inspector", "name": "Chen", "image_png": png_signature()}),
        op("inspection.submit", key, {"missing_cartons": [{"carton_number": first["number"],
                                                           "reason": "Carton at the bottom of the pallet"}]},
           base_version=version + 2),
    ]
    statuses = [200, 201, 201, 201, 200, 200, 201, 204, *[201] * len(rest), 200, 201, 200]
    return operations, statuses


def outcome(inspection: dict[str, Any]) -> dict[str, Any]:
    """What a day of work leaves, without ids and times (two inspections compared)."""
    return {
        "status": inspection["status"], "version": inspection["version"], "verdict": inspection["verdict"],
        "units_inspected": inspection["units_inspected"], "result": inspection["result"],
        "defects": sorted((d["code"], d["severity"], d["count"], d["location"], d["version"])
                          for d in inspection["defects"]),
        "answers": sorted((a["item_key"], a["result"], a["severity"], a["version"])
                          for a in inspection["checklist_answers"]),
        "scans": {s["verdict"] for s in inspection["scans"]},
        "missing": sorted(c["missing_reason"] for c in inspection["cartons"] if c["missing_reason"]),
        "signatures": [(s["role"], s["name"], s["has_image"]) for s in inspection["signatures"]],
        "started": inspection["started_at"] is not None, "submitted": inspection["submitted_at"] is not None,
    }


def stored(url: str) -> dict[str, Any]:
    """Every row a push can write, with its version: to prove that a second push changed nothing."""

    async def read(session):  # type: ignore[no-untyped-def]
        rows: dict[str, Any] = {}
        for model in (Defect, ChecklistAnswer):
            rows[model.__name__] = sorted((str(r.id), r.version, r.deleted_at) for r in await session.scalars(
                select(model)))
        rows["Inspection"] = sorted((str(i.id), i.version, i.status, i.updated_at, i.started_at, i.submitted_at)
                                    for i in await session.scalars(select(Inspection)))
        rows["Scan"] = sorted(str(s.id) for s in await session.scalars(select(Scan)))
        rows["Signature"] = sorted((str(s.inspection_id), s.role) for s in await session.scalars(select(Signature)))
        for model in (OrderEvent, Change):  # the timeline and the change feed's log
            rows[model.__name__] = await session.scalar(select(func.count()).select_from(model))
        return rows

    return in_db(url, read)


# --- a day of offline work ------------------------------------------------------------------------------------


def test_a_day_of_offline_work_in_one_push_ends_as_single_requests_would(world, psi) -> None:  # type: ignore[no-untyped-def]
    operations, statuses = day_of_work(psi)
    results = push(world.inspector, operations)
    assert [r["status"] for r in results] == statuses, [r.get("problem") for r in results]
    assert all("problem" not in r for r in results)
    assert results[0]["body"]["status"] == "in_progress" and results[0]["body"]["started_at"]
    assert [results[i]["body"]["version"] for i in (3, 4, 5)] == [1, 2, 3]
    assert "body" not in results[7]  # a delete answers no body, as its route (204)
    assert all(r["body"]["verdict"] == "ok" for r in results if r["kind"] == "scan")
    assert results[-1]["body"]["status"] == "submitted"
    pushed = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    assert results[-1]["body"] == pushed  # the record as its route answers it

    # The same day on a second inspection of the same lot, one request per operation.
    other = book(world, world.orders[0])
    other_operations, other_statuses = day_of_work(other)  # its own draw of cartons to scan
    responses = [single(world.inspector, o) for o in other_operations]
    assert [r.status_code for r in responses] == other_statuses, [r.text for r in responses]
    shapes = {(r["kind"], frozenset(r.get("body") or ())) for r in results}
    assert shapes == {(o["kind"], frozenset(r.json() if r.status_code != 204 else ()))
                      for o, r in zip(other_operations, responses, strict=True)}  # as the routes answer
    by_single = world.inspector.get(f"/api/inspections/{other['id']}").json()
    assert outcome(pushed) == outcome(by_single)
    assert outcome(pushed)["defects"] == [("W01", "major", 2, "right sleeve", 3)]
    assert outcome(pushed)["missing"] == ["Carton at the bottom of the pallet"]
    assert pushed["status"] == "submitted" and pushed["verdict"] == "pass" and pushed["version"] == psi["version"] + 3


def test_one_bad_operation_is_answered_alone_and_the_others_stay(world, psi) -> None:  # type: ignore[no-untyped-def]
    aborted = book(world, world.orders[1], type_="in_process")
    assert world.supervisor.post(f"/api/inspections/{aborted['id']}/abort",
                                 json={"reason": "Goods not ready"}).status_code == 200
    key = {"inspection_id": psi["id"]}
    good, other, bad = (str(uuid.uuid4()) for _ in range(3))
    operations = [
        op("defect", key | {"defect_id": good}, {"code": "W01", "severity": "major", "location": "collar"}),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "ZZ99", "severity": "major"}),
        op("defect", key | {"defect_id": good}, {"code": "W01", "severity": "major", "location": "hem"},
           base_version=5),
        op("defect", key | {"defect_id": bad}, {"code": "W01", "severity": "major", "count": 0}),
        op("defect", {"inspection_id": aborted["id"], "defect_id": str(uuid.uuid4())},
           {"code": "W01", "severity": "major"}),
        op("defect", key | {"defect_id": other}, {"code": "W01", "severity": "minor"}),
        op("scan", key, {"id": str(uuid.uuid4()), "text": psi["cartons"][0]["barcode"]}),
    ]
    results = push(world.inspector, operations)
    assert [r["status"] for r in results] == [201, 422, 409, 400, 409, 201, 201]
    unknown, stale, malformed, frozen = (results[i]["problem"] for i in (1, 2, 3, 4))
    assert unknown["field"] == "code" and unknown["detail"] and unknown["detail_zh"]
    assert stale["current"]["location"] == "collar" and stale["current_version"] == 1 and stale["detail_zh"]
    assert malformed["detail"] == "count: Expected `int` >= 1" and malformed["errors"][0]["key"] == "count"
    assert frozen["inspection_status"] == "aborted"
    for result in results:
        if "problem" in result:
            problem = result["problem"]
            assert problem["status"] == result["status"] and problem["title"] and problem["type"]

    # Each problem is the body the same request alone gets (nothing else changed the records since).
    for index in (1, 2, 3, 4):
        response = single(world.inspector, operations[index])
        assert assert_problem(response, results[index]["status"]) == results[index]["problem"]
    inspection = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    assert sorted((d["id"], d["location"], d["version"]) for d in inspection["defects"]) == sorted(
        [(good, "collar", 1), (other, "", 1)])
    assert [s["verdict"] for s in inspection["scans"]] == ["ok"]
    assert world.supervisor.get(f"/api/inspections/{aborted['id']}").json()["defects"] == []


def test_a_failure_after_a_write_undoes_that_operation_only(world, psi, monkeypatch, settings) -> None:  # type: ignore[no-untyped-def]
    """An operation that wrote and then failed leaves nothing: its savepoint rolls back. An unexpected error
    is that operation's 500; the others still run."""
    put_defect = FindingService.put_defect

    async def failing(self, inspection_id, defect_id, values):  # type: ignore[no-untyped-def]
        written = await put_defect(self, inspection_id, defect_id, values)
        if values.get("note") == "domain":
            raise Invalid("Refused after writing.", detail_zh="写入后拒绝。")
        if values.get("note") == "bug":
            raise RuntimeError("a bug after the write")
        if values.get("note") == "sql":  # a failed statement: PostgreSQL refuses all else until rolled back
            await self.session.execute(text("SELECT no_such_column FROM defects"))
        return written

    monkeypatch.setattr(FindingService, "put_defect", failing)
    key = {"inspection_id": psi["id"]}
    before = stored(settings.database_url)
    results = push(world.inspector, [
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "W01", "severity": "major", "note": "domain"}),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "W01", "severity": "major", "note": "bug"}),
    ])
    assert [r["status"] for r in results] == [422, 500]
    assert results[1]["problem"]["detail"].startswith("Something went wrong on the server")
    # The first defect of a scheduled inspection also starts it: that was undone too.
    assert stored(settings.database_url) == before
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json()["status"] == "scheduled"

    kept = str(uuid.uuid4())
    response = world.inspector.post(PUSH, json={"operations": [
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "W01", "severity": "major", "note": "bug"}),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "W01", "severity": "major", "note": "sql"}),
        op("defect", key | {"defect_id": kept}, {"code": "W01", "severity": "major", "note": "fine"}),
    ]})
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [500, 500, 201]
    assert response.json()["server_errors"] == 2
    inspection = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    assert [d["id"] for d in inspection["defects"]] == [kept] and inspection["status"] == "in_progress"


# --- the same push again ------------------------------------------------------------------------------------


def test_the_same_push_again_answers_as_before_and_changes_nothing(world, psi, settings) -> None:  # type: ignore[no-untyped-def]
    operations, statuses = day_of_work(psi)
    operations.insert(8, op("defect", {"inspection_id": psi["id"], "defect_id": str(uuid.uuid4())},
                            {"code": "ZZ99", "severity": "major"}))
    statuses.insert(8, 422)
    first = push(world.inspector, operations)
    assert [r["status"] for r in first] == statuses
    inspection = world.inspector.get(f"/api/inspections/{psi['id']}").json()
    before = stored(settings.database_url)

    again = push(world.inspector, operations)
    assert [r["status"] for r in again] == [200 if s == 201 else s for s in statuses]
    assert again[8]["problem"] == first[8]["problem"]  # the same problem
    # The defects edited (and the one deleted) later in the push are superseded by those later operations.
    assert {r["index"]: r["superseded_by"] for r in again if "superseded_by" in r} == {3: 4, 6: 7}
    assert again[3]["body"] == again[4]["body"] == again[5]["body"] == first[5]["body"]
    for before_result, after_result in zip(first, again, strict=True):
        if before_result["status"] in (200, 201) and before_result["kind"] in ("scan", "signature",
                                                                               "checklist_answer"):
            assert after_result["body"] == before_result["body"]  # the stored record, however late
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json() == inspection
    assert stored(settings.database_url) == before  # no row, version, event or change-log entry written


# --- access -------------------------------------------------------------------------------------------------


def test_each_operation_gets_the_answer_of_its_own_request_for_access(world, psi) -> None:  # type: ignore[no-untyped-def]
    key = {"inspection_id": psi["id"]}
    operations = [
        op("inspection.start", key, base_version=psi["version"]),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "W01", "severity": "major"}),
        op("scan", key, {"id": str(uuid.uuid4()), "text": psi["cartons"][0]["barcode"]}),
        op("defect.delete", key | {"defect_id": str(uuid.uuid4())}),
        op("signature", key, {"role": "inspector", "name": "Not me"}),
        op("inspection.submit", key, {}, base_version=psi["version"]),
    ]
    results = push(world.other_inspector, operations)
    assert [r["status"] for r in results] == [404] * len(operations)
    for operation, result in zip(operations[1:], results[1:], strict=True):
        assert assert_problem(single(world.other_inspector, operation), 404) == result["problem"]
    assert results[0]["problem"] == results[1]["problem"]  # "No such inspection.", as every route says

    results = push(world.factory_user, operations[1:2])
    assert results[0]["status"] == 403
    assert assert_problem(single(world.factory_user, operations[1]), 403) == results[0]["problem"]
    assert world.inspector.get(f"/api/inspections/{psi['id']}").json()["defects"] == []


# --- start ----------------------------------------------------------------------------------------------------


def test_start_moves_a_scheduled_inspection_once_and_replays_however_late(world, psi) -> None:  # type: ignore[no-untyped-def]
    key = {"inspection_id": psi["id"]}
    assert psi["status"] == "scheduled" and psi["started_at"] is None
    started = push(world.inspector, [op("inspection.start", key, base_version=psi["version"])])[0]
    assert started["status"] == 200
    body = started["body"]
    assert body["status"] == "in_progress" and body["started_at"] and body["version"] == psi["version"] + 1
    assert push(world.inspector, [op("inspection.start", key, base_version=psi["version"])])[0]["body"] == body
    assert push(world.inspector, [op("inspection.start", key)])[0]["body"] == body  # no version: the current one

    other = book(world, world.orders[0])
    stale = push(world.inspector, [op("inspection.start", {"inspection_id": other["id"]},
                                      base_version=other["version"] - 1)])[0]
    assert stale["status"] == 409 and stale["problem"]["current"]["status"] == "scheduled"
    assert world.supervisor.post(f"/api/inspections/{other['id']}/abort",
                                 json={"reason": "Factory closed"}).status_code == 200
    frozen = push(world.inspector, [op("inspection.start", {"inspection_id": other["id"]})])[0]
    assert frozen["status"] == 409 and frozen["problem"]["inspection_status"] == "aborted"


# --- limits and malformed operations --------------------------------------------------------------------------


def test_limits(world, psi) -> None:  # type: ignore[no-untyped-def]
    empty = world.inspector.post(PUSH, json={"operations": []})
    assert empty.status_code == 200 and empty.json() == {"results": [], "server_errors": 0}
    photo = op("photo", {"photo_id": str(uuid.uuid4())}, {})
    assert len(push(world.inspector, [photo] * 500)) == 500
    too_many = assert_problem(world.inspector.post(PUSH, json={"operations": [photo] * 501}), 413)
    assert too_many["detail_zh"] and too_many["max_operations"] == 500


def test_an_operation_that_does_not_fit_is_its_own_400(world, psi) -> None:  # type: ignore[no-untyped-def]
    key = {"inspection_id": psi["id"]}
    defect = {"code": "W01", "severity": "major"}
    results = push(world.inspector, [
        op("photo", {"photo_id": str(uuid.uuid4())}, {}),
        op("defect", {"inspection_id": psi["id"]}, defect),
        op("defect", key | {"defect_id": "not-a-uuid"}, defect),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, {"code": "W01"}),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, None),
        op("defect.delete", key | {"defect_id": str(uuid.uuid4())}, base_version=1),
        op("defect.delete", key | {"defect_id": str(uuid.uuid4())}, {"note": "x"}),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, defect | {"version": 1}, base_version=0),
        op("defect", key | {"defect_id": str(uuid.uuid4())}, defect | {"version": 0}, base_version=0),
        op("scan", key, {"id": str(uuid.uuid4()), "text": "x", "extra": 1}),
    ])
    assert [r["status"] for r in results] == [400] * 8 + [201, 400]
    photo, no_id, bad_id, no_severity, no_body, versioned_delete, delete_body, disagree, _, unknown = (
        r.get("problem") for r in results)
    assert photo["field"] == "kind" and photo["kinds"] == list(KINDS) and "PUT /api/photos" in photo["detail"]
    assert photo["detail_zh"] and "photo" not in KINDS and "photo.upload" not in KINDS
    assert no_id["errors"][0] == {"message": "Object missing required field `defect_id`", "key": "key",
                                  "source": "key"}
    assert bad_id["errors"][0]["key"] == "key.defect_id"
    assert no_severity["detail"] == "data: Object missing required field `severity`"
    assert no_body["detail"] == "data: Expected `object`, got `null`"
    assert versioned_delete["field"] == "base_version" and versioned_delete["detail_zh"]
    assert delete_body["field"] == "body"
    assert disagree["field"] == "base_version"
    assert unknown["errors"][0]["message"] == "Object contains unknown field `extra`"
    # As its route says it (the route's body and the pushed body are decoded with the same Struct).
    route = assert_problem(world.inspector.put(f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}",
                                               json={"code": "W01"}), 400)
    assert route == no_severity

    # The envelope itself is the push's: a malformed one refuses the whole push, and nothing runs.
    refused = world.inspector.post(PUSH, json={"operations": [op("defect", key | {"defect_id": str(uuid.uuid4())},
                                                                 defect) | {"bdy": {}}]})
    assert "bdy" in assert_problem(refused, 400)["detail"]
    assert len(world.inspector.get(f"/api/inspections/{psi['id']}").json()["defects"]) == 1  # the one above


def test_the_push_body_limit_is_a_multiple_of_the_json_limit(world, psi, settings) -> None:  # type: ignore[no-untyped-def]
    small = replace(settings, max_body_bytes=20_000)  # push limit: 8 x 20 kB
    with TestClient(create_app(small), base_url="http://127.0.0.1") as client:
        inspector = Actor(client, world.inspector.id, world.inspector.username, world.inspector.token)
        key = {"inspection_id": psi["id"]}
        note = "n" * 1000

        def defects(n: int) -> list[dict[str, Any]]:
            return [op("defect", key | {"defect_id": str(uuid.uuid4())},
                       {"code": "W01", "severity": "minor", "note": note}) for _ in range(n)]

        fits = inspector.post(PUSH, json={"operations": defects(100)})  # about 120 kB: over a request's 20 kB
        assert fits.status_code == 200 and {r["status"] for r in fits.json()["results"]} == {201}
        assert_problem(inspector.post(PUSH, json={"operations": defects(150)}), 413)  # about 180 kB
        assert_problem(inspector.put(f"/api/inspections/{psi['id']}/defects/{uuid.uuid4()}",
                                     json={"code": "W01", "severity": "minor", "note": "n" * 21_000}), 413)


def test_the_route_lists_every_kind(world) -> None:  # type: ignore[no-untyped-def]
    schema = world.admin.get("/schema/openapi.json").json()
    route = schema["paths"]["/api/sync/push"]["post"]
    assert route["operationId"] == "pushOperations" and route["tags"] == ["sync"]
    for name in KINDS:
        assert f"`{name}`" in route["description"]
    assert set(KINDS) == set(ROUTES) | {"inspection.start"}
