"""Orders, lines, filters, the timeline, and who may see and change them."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers import assert_problem, gtin, order_body


def test_create_and_read_an_order(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    assert order["po_number"] == "PO-1" and order["version"] == 1 and len(order["lines"]) == 6
    assert order["total_quantity"] == 720
    again = world.merchandiser.get(f"/api/orders/{order['id']}").json()
    assert again == order


def test_po_is_unique_per_customer(world) -> None:  # type: ignore[no-untyped-def]
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-1")
    problem = assert_problem(world.admin.post("/api/orders", json=body), 409)
    assert problem["field"] == "po_number"
    other_customer = order_body(world.customers[1]["id"], world.factories[0]["id"], "PO-1")
    assert world.admin.post("/api/orders", json=other_customer).status_code == 201


def test_a_client_made_id_makes_a_resent_form_a_replay(world) -> None:  # type: ignore[no-untyped-def]
    """A merchandiser's answer lost on the factory Wi-Fi: the same form sent again is the same order, not a 409."""
    order_id = str(uuid.uuid4())
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-77") | {"id": order_id}
    first = world.merchandiser.post("/api/orders", json=body)
    assert (first.status_code, first.json()["id"]) == (201, order_id)
    again = world.merchandiser.post("/api/orders", json=body)
    assert (again.status_code, again.json()) == (200, first.json())
    timeline = world.merchandiser.get(f"/api/orders/{order_id}/timeline").json()
    assert [e["kind"] for e in timeline].count("order_created") == 1
    # The id with another order's content, or an id another role may not see, is no replay.
    other = assert_problem(world.merchandiser.post("/api/orders", json=body | {"po_number": "PO-78"}), 409)
    assert (other["field"], bool(other["detail_zh"])) == ("id", True)
    assert_problem(world.factory_user.post("/api/orders", json=body), 403)


@pytest.mark.parametrize("bad", ["4006381333932", "123", "40063813339311", "abcdefghijklm"])
def test_every_gtin_check_digit_is_validated(world, bad) -> None:  # type: ignore[no-untyped-def]
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-X")
    body["lines"][2]["gtin"] = bad
    problem = assert_problem(world.admin.post("/api/orders", json=body), 422)
    assert (problem["field"], problem["line"]) == ("lines[2].gtin", 2) and bad in problem["detail"]
    assert problem["detail"].startswith("Line 3: ") and problem["detail_zh"].startswith("第 3 行")
    assert world.admin.get("/api/orders?q=PO-X").json()["total"] == 0  # nothing half-written


def test_unknown_references_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    body = order_body(str(uuid.uuid4()), world.factories[0]["id"], "PO-Y")
    assert assert_problem(world.admin.post("/api/orders", json=body), 422)["field"] == "customer_id"


def test_bad_aql_defaults_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-Z", aql_major="3.0")
    assert assert_problem(world.admin.post("/api/orders", json=body), 422)["field"] == "aql_major"
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-Z", aql_level="IV")
    assert assert_problem(world.admin.post("/api/orders", json=body), 422)["field"] == "aql_level"


def test_edit_carries_its_version_and_stale_edits_get_409(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    path = f"/api/orders/{order['id']}"
    first = world.merchandiser.patch(path, json={"version": 1, "destination": "Rotterdam", "ship_date": None})
    assert first.status_code == 200
    assert first.json()["version"] == 2 and first.json()["ship_date"] is None
    stale = assert_problem(world.supervisor.patch(path, json={"version": 1, "destination": "Antwerp"}), 409)
    assert stale["current_version"] == 2
    assert world.admin.get(path).json()["destination"] == "Rotterdam"


def test_lines_can_be_added_changed_and_removed(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    base = f"/api/orders/{order['id']}/lines"
    line = world.merchandiser.post(base, json={"colour": "Red", "size": "XL", "sku": "PO-1-RED-XL",
                                               "gtin": gtin(50), "quantity": 60}).json()
    assert world.merchandiser.patch(f"{base}/{line['id']}", json={"quantity": 80}).json()["quantity"] == 80
    assert_problem(world.merchandiser.post(base, json={"colour": "Red", "size": "XL", "sku": "PO-1-RED-XL",
                                                       "quantity": 1}), 409)
    assert world.merchandiser.delete(f"{base}/{line['id']}").status_code == 204
    assert len(world.admin.get(f"/api/orders/{order['id']}").json()["lines"]) == 6


def test_filters_paging_and_search(world) -> None:  # type: ignore[no-untyped-def]
    admin = world.admin
    for n in range(3, 8):
        admin.post("/api/orders", json=order_body(world.customers[1]["id"], world.factories[1]["id"], f"UB-{n}",
                                                  ship_date=f"2027-01-0{n}", status="in_production"))
    page = admin.get("/api/orders?per_page=3&page=2").json()
    assert page["total"] == 7 and len(page["items"]) == 3 and page["page"] == 2
    assert admin.get(f"/api/orders?customer_id={world.customers[1]['id']}").json()["total"] == 6
    assert admin.get(f"/api/orders?factory_id={world.factories[0]['id']}").json()["total"] == 1
    assert admin.get("/api/orders?status=in_production").json()["total"] == 5
    dated = admin.get("/api/orders?ship_from=2027-01-04&ship_to=2027-01-06").json()
    assert [o["po_number"] for o in dated["items"]] == ["UB-4", "UB-5", "UB-6"]
    assert admin.get("/api/orders?q=ub-7").json()["total"] == 1
    assert admin.get("/api/orders?q=ST-PO-2").json()["items"][0]["po_number"] == "PO-2"  # style number
    assert_problem(admin.get("/api/orders?status=lost"), 400)
    # "Mine": a merchandiser's own orders.
    mine = admin.post("/api/orders", json=order_body(world.customers[1]["id"], world.factories[1]["id"], "UB-9",
                                                     merchandiser_id=world.merchandiser.id))
    assert mine.status_code == 201, mine.text
    owned = world.merchandiser.get(f"/api/orders?merchandiser_id={world.merchandiser.id}").json()
    assert [o["po_number"] for o in owned["items"]] == ["UB-9"] and owned["total"] == 1
    assert world.merchandiser.get("/api/orders").json()["total"] == 8  # staff read every order


def test_timeline_is_append_only_and_records_changes(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    world.merchandiser.patch(f"/api/orders/{order['id']}", json={"version": 1, "status": "in_production"})
    events = world.admin.get(f"/api/orders/{order['id']}/timeline").json()
    assert [e["kind"] for e in events] == ["order_created", "order_updated"]
    assert events[1]["actor_id"] == world.merchandiser.id and events[1]["data"]["fields"] == ["status"]
    routes = {(m, p) for p, item in world.admin.get("/schema/openapi.json").json()["paths"].items() for m in item}
    assert not any("timeline" in p and m in {"put", "patch", "delete"} for m, p in routes)


def test_order_with_history_cannot_be_deleted(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    world.supervisor.post(f"/api/orders/{order['id']}/inspections",
                          json={"id": str(uuid.uuid4()), "type": "in_process", "assignee_id": world.inspector.id})
    assert_problem(world.admin.delete(f"/api/orders/{order['id']}"), 409)
    assert world.admin.delete(f"/api/orders/{world.orders[1]['id']}").status_code == 204


def _book(world, order, inspector, booking_id=None):  # type: ignore[no-untyped-def]
    return world.supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": booking_id or str(uuid.uuid4()), "type": "pre_shipment", "assignee_id": inspector.id,
        "scheduled_for": "2026-12-01"})


def test_booking_is_idempotent_by_client_id(world) -> None:  # type: ignore[no-untyped-def]
    booking_id = str(uuid.uuid4())
    first = _book(world, world.orders[0], world.inspector, booking_id)
    assert first.status_code == 201
    replay = _book(world, world.orders[0], world.inspector, booking_id)
    assert replay.status_code == 200 and replay.json() == first.json()
    assert_problem(_book(world, world.orders[0], world.other_inspector, booking_id), 409)
    events = world.admin.get(f"/api/orders/{world.orders[0]['id']}/timeline").json()
    assert [e["kind"] for e in events].count("inspection_booked") == 1


def test_access_matrix(world) -> None:  # type: ignore[no-untyped-def]
    """Each role against each order: see it or get a 404 that gives nothing away."""
    o1, o2 = world.orders
    _book(world, o1, world.inspector)
    sees = {
        "admin": {"PO-1", "PO-2"}, "supervisor": {"PO-1", "PO-2"}, "merchandiser": {"PO-1", "PO-2"},
        "inspector": {"PO-1"}, "other_inspector": set(), "factory_user": {"PO-1"},
    }
    missing = world.admin.get(f"/api/orders/{uuid.uuid4()}")
    for role, expected in sees.items():
        actor = getattr(world, role)
        listed = {o["po_number"] for o in actor.get("/api/orders").json()["items"]}
        assert listed == expected, role
        for order in (o1, o2):
            path = f"/api/orders/{order['id']}"
            response = actor.get(path)
            if order["po_number"] in expected:
                assert response.status_code == 200, role
                assert actor.get(f"{path}/timeline").status_code == 200
            else:
                assert response.status_code == 404, role
                assert response.json()["detail"] == missing.json()["detail"]  # no hint that it exists
                assert actor.get(f"{path}/timeline").status_code == 404
                assert actor.get(f"{path}/packing-list").status_code == 404
                assert actor.get(f"{path}/inspections").status_code == 404


def test_only_staff_write_orders(world) -> None:  # type: ignore[no-untyped-def]
    o1 = world.orders[0]
    _book(world, o1, world.inspector)
    for actor in (world.inspector, world.factory_user):
        assert_problem(actor.patch(f"/api/orders/{o1['id']}", json={"version": 1, "destination": "X"}), 403)
        assert_problem(actor.post("/api/orders", json=order_body(world.customers[0]["id"],
                                                                 world.factories[0]["id"], "PO-9")), 403)
        assert_problem(actor.post("/api/customers", json={"code": "Z", "name": "Z"}), 403)
        assert_problem(actor.post(f"/api/orders/{o1['id']}/inspections", json={
            "id": str(uuid.uuid4()), "type": "in_process", "assignee_id": actor.id}), 403)
    assert world.merchandiser.patch(f"/api/orders/{o1['id']}", json={"version": 1, "destination": "X"}).status_code == 200


def test_inspector_sees_only_their_own_bookings(world) -> None:  # type: ignore[no-untyped-def]
    o1 = world.orders[0]
    _book(world, o1, world.inspector)
    _book(world, o1, world.other_inspector)
    assert len(world.inspector.get(f"/api/orders/{o1['id']}/inspections").json()) == 1
    assert len(world.supervisor.get(f"/api/orders/{o1['id']}/inspections").json()) == 2


def test_customers_and_factories_in_use_cannot_be_deleted(world) -> None:  # type: ignore[no-untyped-def]
    assert_problem(world.admin.delete(f"/api/customers/{world.customers[0]['id']}"), 409)
    assert_problem(world.admin.delete(f"/api/factories/{world.factories[0]['id']}"), 409)
    spare = world.admin.post("/api/customers", json={"code": "C9", "name": "Spare"}).json()
    assert_problem(world.inspector.delete(f"/api/customers/{spare['id']}"), 403)
    assert world.merchandiser.delete(f"/api/customers/{spare['id']}").status_code == 204
    assert world.admin.delete(f"/api/customers/{spare['id']}").status_code == 204  # deleting twice is fine
    assert_problem(world.admin.delete(f"/api/customers/{uuid.uuid4()}"), 404)


def test_factories_and_inspectors_see_only_the_customers_and_factories_of_their_orders(world) -> None:  # type: ignore[no-untyped-def]
    own_customer, own_factory = world.customers[0], world.factories[0]
    customers = world.factory_user.get("/api/customers").json()
    assert [c["code"] for c in customers] == [own_customer["code"]]
    assert [f["code"] for f in world.factory_user.get("/api/factories").json()] == [own_factory["code"]]
    # A third-party inspector sees none until an inspection of an order is assigned to them.
    assert world.inspector.get("/api/customers").json() == []
    world.supervisor.post(f"/api/orders/{world.orders[1]['id']}/inspections", json={
        "id": str(uuid.uuid4()), "type": "pre_shipment", "assignee_id": world.inspector.id})
    assert [c["code"] for c in world.inspector.get("/api/customers").json()] == [world.customers[1]["code"]]
    assert len(world.merchandiser.get("/api/customers").json()) == 2
