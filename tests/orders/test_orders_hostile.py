"""Hostile input to customers, factories, orders, lines, their query parameters and packing lists.

A NUL character (PostgreSQL cannot store it, SQLite can), a string longer than its column, or an integer past a
32-bit column answers the same 400 on both databases, naming the field; a packing-list cell answers 422 naming
its row and column. Nothing is half-written. Also: a third-party inspector's view of an order's timeline.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from api.orders.packing import MAX_BARCODE, PackingListInvalid, parse_packing_list, read_table
from api.schemas import INT32_MAX
from tests.helpers import assert_problem, order_body, sscc, upload_packing_list
from tests.orders.test_packing_pure import xls_file

NUL = "a\x00b"
TOO_BIG = INT32_MAX + 1


def refused(response: Any, field: str) -> dict[str, Any]:
    """A 400 whose validation errors name `field`."""
    problem = assert_problem(response, 400)
    [key] = [e["key"] for e in problem["errors"]]
    # A map's entry is named as the map ("colour_aliases" or "colour_aliases[...]").
    assert key == field or key.startswith((f"{field}[", f"{field}.")), problem
    assert problem["detail"].startswith(key) and problem["detail_zh"], problem
    return problem


def long(n: int) -> str:
    return "x" * n


# --- customers and factories --------------------------------------------------------------------------------

CUSTOMER = {"code": "HX", "name": "Hostile"}
FACTORY = {"code": "HX", "name": "Hostile"}


@pytest.mark.parametrize(("body", "field"), [
    ({"code": NUL}, "code"), ({"code": long(41)}, "code"), ({"name": NUL}, "name"), ({"name": long(201)}, "name"),
    ({"aql_level": "I\x00"}, "aql_level"), ({"aql_level": long(5)}, "aql_level"),
    ({"aql_major": "1.5\x00"}, "aql_major"), ({"aql_minor": long(9)}, "aql_minor"),
    ({"aql_critical": NUL}, "aql_critical"),
    ({"colour_aliases": {NUL: "Black"}}, "colour_aliases"), ({"colour_aliases": {"黑色": NUL}}, "colour_aliases"),
    ({"colour_aliases": {long(81): "Black"}}, "colour_aliases"),
])
def test_customer_text_is_bounded_and_without_nul(world, body, field) -> None:  # type: ignore[no-untyped-def]
    refused(world.admin.post("/api/customers", json={**CUSTOMER, **body}), field)
    customer = world.customers[0]
    refused(world.admin.patch(f"/api/customers/{customer['id']}", json={"version": 1, **body}), field)
    assert world.admin.get("/api/customers").json() == world.customers  # nothing written


@pytest.mark.parametrize(("body", "field"), [
    ({"code": NUL}, "code"), ({"code": long(41)}, "code"), ({"name": NUL}, "name"), ({"name": long(201)}, "name"),
    ({"address": NUL}, "address"), ({"address": long(401)}, "address"),
    ({"contact": NUL}, "contact"), ({"contact": long(201)}, "contact"),
])
def test_factory_text_is_bounded_and_without_nul(world, body, field) -> None:  # type: ignore[no-untyped-def]
    refused(world.admin.post("/api/factories", json={**FACTORY, **body}), field)
    factory = world.factories[0]
    refused(world.admin.patch(f"/api/factories/{factory['id']}", json={"version": 1, **body}), field)
    assert world.admin.get("/api/factories").json() == world.factories


@pytest.mark.parametrize("kind", ["customers", "factories"])
def test_a_version_past_32_bits_is_a_400(world, kind) -> None:  # type: ignore[no-untyped-def]
    record = getattr(world, kind)[0]
    refused(world.admin.patch(f"/api/{kind}/{record['id']}", json={"version": TOO_BIG, "name": "X"}), "version")
    refused(world.admin.patch(f"/api/{kind}/{record['id']}", json={"version": 0, "name": "X"}), "version")
    refused(world.admin.patch(f"/api/{kind}/{record['id']}", json={"name": "X"}), "data")  # version is required


def test_a_factory_takes_text_up_to_its_columns(world) -> None:  # type: ignore[no-untyped-def]
    body = {"code": long(40), "name": long(200), "address": "地" * 400, "contact": long(200)}
    created = world.admin.post("/api/factories", json=body)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in body} == body and created.json()["version"] == 1
    edited = world.admin.patch(f"/api/factories/{created.json()['id']}", json={"version": 1, "address": "路" * 400})
    assert edited.status_code == 200 and edited.json()["address"] == "路" * 400 and edited.json()["version"] == 2


# --- customer and factory edits carry their version ---------------------------------------------------------

@pytest.mark.parametrize("kind", ["customers", "factories"])
def test_a_stale_edit_gets_409_with_the_record_as_it_is(world, kind) -> None:  # type: ignore[no-untyped-def]
    record = getattr(world, kind)[1]
    path = f"/api/{kind}/{record['id']}"
    assert record["version"] == 1
    first = world.merchandiser.patch(path, json={"version": 1, "name": "First"})
    assert first.status_code == 200, first.text
    assert (first.json()["name"], first.json()["version"]) == ("First", 2)
    stale = assert_problem(world.supervisor.patch(path, json={"version": 1, "name": "Second"}), 409)
    assert stale["current_version"] == 2 and stale["current"] == first.json() and stale["detail_zh"]
    # The same edit again is a replay: nothing changes, whatever version it names.
    replay = world.merchandiser.patch(path, json={"version": 1, "name": "First"})
    assert replay.status_code == 200 and replay.json() == first.json()
    then = world.supervisor.patch(path, json={"version": 2, "name": "Second"})
    assert (then.json()["name"], then.json()["version"]) == ("Second", 3)
    listed = {r["id"]: r for r in world.admin.get(f"/api/{kind}").json()}
    assert listed[record["id"]] == then.json()


def test_a_code_clash_on_edit_is_409_and_keeps_the_version(world) -> None:  # type: ignore[no-untyped-def]
    first, second = world.customers
    path = f"/api/customers/{second['id']}"
    assert assert_problem(world.admin.patch(path, json={"version": 1, "code": first["code"]}), 409)["field"] == "code"
    assert world.admin.patch(path, json={"version": 1, "name": "Still 1"}).json()["version"] == 2


# --- orders and lines ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "field"), [
    ({"po_number": NUL}, "po_number"), ({"po_number": long(61)}, "po_number"),
    ({"style_number": NUL}, "style_number"), ({"style_number": long(61)}, "style_number"),
    ({"factory_batch": NUL}, "factory_batch"), ({"factory_batch": long(61)}, "factory_batch"),
    ({"description": NUL}, "description"), ({"description": long(4001)}, "description"),
    ({"destination": NUL}, "destination"), ({"destination": long(201)}, "destination"),
    ({"aql_level": NUL}, "aql_level"), ({"aql_major": long(9)}, "aql_major"),
])
def test_order_text_is_bounded_and_without_nul(world, body, field) -> None:  # type: ignore[no-untyped-def]
    create = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-H", **{"po_number": "PO-H", **body})
    refused(world.admin.post("/api/orders", json=create), field)
    order = world.orders[0]
    refused(world.admin.patch(f"/api/orders/{order['id']}", json={"version": 1, **body}), field)
    assert world.admin.get(f"/api/orders/{order['id']}").json() == order
    assert world.admin.get("/api/orders").json()["total"] == 2


@pytest.mark.parametrize(("line", "field"), [
    ({"colour": NUL}, "colour"), ({"colour": long(81)}, "colour"), ({"size": NUL}, "size"),
    ({"size": long(41)}, "size"), ({"sku": NUL}, "sku"), ({"sku": long(81)}, "sku"),
    ({"gtin": "4006381333931\x00"}, "gtin"), ({"gtin": "4" * 25}, "gtin"),
    ({"quantity": TOO_BIG}, "quantity"), ({"quantity": 0}, "quantity"),
])
def test_line_fields_are_bounded_and_without_nul(world, line, field) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "PO-H")
    body["lines"][1].update(line)
    refused(world.admin.post("/api/orders", json=body), f"lines[1].{field}")
    new_line = {"colour": "Red", "size": "XL", "sku": "PO-1-RED-XL", "quantity": 1, **line}
    refused(world.admin.post(f"/api/orders/{order['id']}/lines", json=new_line), field)
    refused(world.admin.patch(f"/api/orders/{order['id']}/lines/{order['lines'][0]['id']}", json=line), field)
    assert world.admin.get(f"/api/orders/{order['id']}").json() == order


def test_an_order_version_past_32_bits_is_a_400(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    refused(world.admin.patch(f"/api/orders/{order['id']}", json={"version": TOO_BIG, "destination": "X"}), "version")


def test_an_order_takes_text_up_to_its_columns(world) -> None:  # type: ignore[no-untyped-def]
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "P" * 60, style_number="S" * 60,
                      factory_batch="批" * 60, destination="D" * 200, description="说明\n" * 1000)
    body["lines"][0].update(colour="C" * 80, size="Z" * 40, sku="K" * 80)
    created = world.admin.post("/api/orders", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["factory_batch"] == "批" * 60 and created.json()["lines"][0]["sku"] == "K" * 80


@pytest.mark.parametrize(("path", "param", "value"), [
    ("/api/orders", "q", NUL), ("/api/orders", "q", long(101)),
    ("/api/cartons/lookup", "code", NUL), ("/api/cartons/lookup", "code", long(101)),
    ("/api/cartons/lookup", "code", ""),
])
def test_query_text_is_bounded_and_without_nul(world, path, param, value) -> None:  # type: ignore[no-untyped-def]
    refused(world.admin.get(path, params={param: value}), param)


def test_query_text_within_bounds_still_works(world) -> None:  # type: ignore[no-untyped-def]
    assert world.admin.get("/api/orders", params={"q": "po-2"}).json()["total"] == 1
    assert world.admin.get("/api/orders", params={"q": ""}).json()["total"] == 2
    assert_problem(world.admin.get("/api/cartons/lookup", params={"code": "C" * 100}), 404)


def test_the_openapi_schema_shows_the_limits(world) -> None:  # type: ignore[no-untyped-def]
    schema = world.admin.get("/schema/openapi.json").json()
    components = schema["components"]["schemas"]

    def prop(name: str, field: str) -> dict[str, Any]:
        [struct] = [v for k, v in components.items() if k.endswith(name)]
        schema = struct["properties"][field]
        # A field that may be null is a choice of the bounded string and null.
        return next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)

    for name, field, limit in [("FactoryIn", "address", 400), ("FactoryPatch", "address", 400),
                               ("FactoryIn", "contact", 200), ("CustomerIn", "code", 40),
                               ("OrderCreate", "factory_batch", 60), ("OrderPatch", "factory_batch", 60),
                               ("OrderCreate", "description", 4000), ("OrderLineIn", "sku", 80),
                               ("OrderLinePatch", "size", 40), ("CustomerPatch", "aql_level", 4)]:
        assert (prop(name, field)["maxLength"], "pattern" in prop(name, field)) == (limit, True), (name, field)
    for name in ("OrderPatch", "CustomerPatch", "FactoryPatch"):
        assert (prop(name, "version")["minimum"], prop(name, "version")["maximum"]) == (1, INT32_MAX), name
    assert prop("OrderLineIn", "quantity")["maximum"] <= INT32_MAX
    params = {p["name"]: p["schema"] for item in schema["paths"].values() for op in item.values()
              if isinstance(op, dict) for p in op.get("parameters", [])
              if op.get("operationId") in {"listOrders", "lookupCarton"}}
    assert (params["q"]["maxLength"], "pattern" in params["q"]) == (100, True)
    assert (params["code"]["maxLength"], params["code"]["minLength"], "pattern" in params["code"]) == (100, 1, True)


# --- packing lists ------------------------------------------------------------------------------------------

def upload(actor, order, data: bytes, name: str = "packing.csv", **form: str):  # type: ignore[no-untyped-def]
    return actor.post(f"/api/orders/{order['id']}/packing-list", files={"file": (name, data, "text/csv")},
                      data=form or None)


def refused_list(world, order, data: bytes, name: str = "packing.csv") -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A 422 listing row/column errors; nothing was imported."""
    problem = assert_problem(upload(world.admin, order, data, name), 422)
    assert problem["detail_zh"] and problem["error_count"] == len(problem["errors"])
    for error in problem["errors"]:
        assert error["message"] and error["message_zh"] and len(error["message"]) < 400
    assert_problem(world.admin.get(f"/api/orders/{order['id']}/packing-list"), 404)
    return problem["errors"]


def csv_rows(order, barcode: str = "", sku: str | None = None, colour: str = "Black") -> bytes:  # type: ignore[no-untyped-def]
    sku = order["lines"][0]["sku"] if sku is None else sku
    return f"Carton No.,Barcode,SKU,Colour,Qty\n1,{sscc(1)},{order['lines'][1]['sku']},Black,12\n" \
           f"2,{barcode},{sku},{colour},12\n".encode()


@pytest.mark.parametrize(("cells", "column"), [
    ({"barcode": "B" * (MAX_BARCODE + 1)}, "Barcode"), ({"barcode": "B\x00C"}, "Barcode"),
    ({"sku": "K" * 81}, "SKU"), ({"sku": "PO-1\x00"}, "SKU"), ({"colour": "Bl\x00ck"}, "Colour"),
])
def test_a_csv_cell_with_nul_or_too_long_is_a_row_and_column_error(world, cells, column) -> None:  # type: ignore[no-untyped-def]
    [error] = refused_list(world, world.orders[0], csv_rows(world.orders[0], **cells))
    assert (error["row"], error["column"]) == (3, column), error
    assert ("NUL" in error["message"]) == ("\x00" in "".join(cells.values())), error


def test_a_barcode_of_exactly_48_characters_is_stored(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    response = upload(world.admin, order, csv_rows(order, barcode="B" * MAX_BARCODE))
    assert response.status_code == 201, response.text
    cartons = world.admin.get(f"/api/orders/{order['id']}/packing-list").json()["cartons"]
    assert [c["barcode"] for c in cartons] == [sscc(1), "B" * MAX_BARCODE]


def test_a_nul_in_an_old_xls_cell_is_a_row_and_column_error(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = xls_file([["PACKING LIST"], ["箱号", "条码", "货号", "数量"],
                     [1, "CODE\x00001", order["lines"][0]["sku"], 12], [2, "CODE-2", order["lines"][1]["sku"], 12],
                     [3, "CODE-3", "SKU\x00", 12]])
    errors = refused_list(world, order, data, "old.xls")
    assert [(e["row"], e["column"]) for e in errors] == [(3, "条码"), (5, "货号")]
    assert "␀" in errors[0]["message"] and "NUL" in errors[1]["message"] and "NUL" in errors[0]["message_zh"]


def test_counted_up_barcodes_past_48_characters_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    code = "C" * (MAX_BARCODE - 2) + "99"  # 48 characters; the second carton would be ...100
    data = f"Carton No.,Barcode,SKU,Qty\n1-2,{code},{order['lines'][0]['sku']},12\n".encode()
    [error] = refused_list(world, order, data)
    assert (error["row"], error["column"]) == (2, "Barcode") and "48" in error["message"]


def test_codes_made_from_a_long_po_number_past_48_characters_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    body = order_body(world.customers[0]["id"], world.factories[0]["id"], "P" * 60, style_number="LONG")
    created = world.admin.post("/api/orders", json=body)
    assert created.status_code == 201, created.text
    order = created.json()
    data = f"Carton No.,SKU,Qty\n1,{order['lines'][0]['sku']},12\n".encode()  # no barcode: PO + carton number
    [error] = refused_list(world, order, data)
    assert (error["row"], error["column"]) == (2, "Carton No.") and "48" in error["message"]


def test_a_file_name_with_nul_is_refused_and_a_reason_is_bounded(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    # Written by hand: httpx would send the NUL as "%00".
    body = (b'--fc\r\nContent-Disposition: form-data; name="file"; filename="list\x00.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + csv_rows(order, barcode="B-2") + b"\r\n--fc--\r\n")
    problem = assert_problem(world.admin.post(f"/api/orders/{order['id']}/packing-list", content=body,
                                              headers={"Content-Type": "multipart/form-data; boundary=fc"}), 422)
    [error] = problem["errors"]
    assert (error["row"], "NUL" in error["message"], bool(error["message_zh"])) == (0, True, True)
    refused(upload(world.admin, order, csv_rows(order, barcode="B-2"), reason=NUL), "reason")
    refused(upload(world.admin, order, csv_rows(order, barcode="B-2"), reason=long(1001)), "reason")
    assert_problem(world.admin.get(f"/api/orders/{order['id']}/packing-list"), 404)


def test_many_bad_cells_are_capped_at_200_listed(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    rows = "".join(f"{n},B{n}\x00,{order['lines'][0]['sku']},1\n" for n in range(1, 301))
    problem = assert_problem(upload(world.admin, order, f"Carton No.,Barcode,SKU,Qty\n{rows}".encode()), 422)
    assert (problem["error_count"], len(problem["errors"])) == (300, 200)


def test_a_binary_file_is_still_not_a_csv() -> None:
    # UTF-16 text decodes, with a NUL after every ASCII character; so does binary made of low bytes.
    for data in ("Carton No.\tQty\n1\t12\n".encode("utf-16-le"), bytes(range(128)) * 8):
        with pytest.raises(PackingListInvalid) as caught:
            read_table("photo.csv", data)
        assert [(e.row, e.message) for e in caught.value.errors] == [(0, "This is not a CSV or XLSX file.")]


def test_parse_refuses_a_nul_in_any_column_it_reads() -> None:
    from api.orders.packing import LineRef

    rows = [["Carton No.", "SKU", "Qty", "N.W."], ["1", "JK", "12", "5"], ["2", "JK", "1\x002", "5"],
            ["3\x00", "JK", "12", "5"], ["4", "JK", "12", "5\x00"]]
    with pytest.raises(PackingListInvalid) as caught:
        parse_packing_list(rows, [LineRef("a", "JK", "Black", "M")], "PO-7")
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "Qty"), (4, "Carton No."), (5, "N.W.")]


# --- the timeline a third-party inspector sees --------------------------------------------------------------

def _book(world, order, inspector) -> str:  # type: ignore[no-untyped-def]
    booking_id = str(uuid.uuid4())
    booked = world.supervisor.post(f"/api/orders/{order['id']}/inspections", json={
        "id": booking_id, "type": "pre_shipment", "assignee_id": inspector.id, "scheduled_for": "2026-12-01"})
    assert booked.status_code == 201, booked.text
    return booking_id


def _timeline(actor, order) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = actor.get(f"/api/orders/{order['id']}/timeline")
    assert response.status_code == 200, response.text
    return response.json()


def test_an_inspector_sees_only_their_own_inspections_on_the_timeline(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    assert upload_packing_list(world.admin, order).status_code == 201
    mine, theirs = _book(world, order, world.inspector), _book(world, order, world.other_inspector)
    started = world.other_inspector.put(f"/api/inspections/{theirs}", json={
        "order_id": order["id"], "type": "pre_shipment", "lot_size": 720, "version": 1})
    assert started.status_code == 200, started.text
    signed = world.other_inspector.post(f"/api/inspections/{theirs}/signatures",
                                        json={"role": "inspector", "name": "Other"})
    assert signed.status_code == 201, signed.text
    assert world.merchandiser.patch(f"/api/orders/{order['id']}",
                                    json={"version": 1, "destination": "Rotterdam"}).status_code == 200

    everything = _timeline(world.supervisor, order)
    about = {e["data"].get("inspection_id") for e in everything}
    assert {mine, theirs} <= about  # staff read every event
    assert _timeline(world.factory_user, order) == everything  # a factory keeps reading its orders' timeline

    for inspector, own, other in ((world.inspector, mine, theirs), (world.other_inspector, theirs, mine)):
        seen = _timeline(inspector, order)
        assert {e["data"].get("inspection_id") for e in seen} == {None, own}, seen
        assert [e for e in seen if e["data"].get("inspection_id") is None] == [
            e for e in everything if e["data"].get("inspection_id") is None]  # the order's own events stay
        assert {"order_created", "packing_list_imported", "order_updated", "inspection_booked"} <= {
            e["kind"] for e in seen}
        assert other not in str(seen)
    assert "Other" not in str(_timeline(world.inspector, order))
    assert "report_signed" in {e["kind"] for e in _timeline(world.other_inspector, order)}
    assert_problem(world.inspector.get(f"/api/orders/{world.orders[1]['id']}/timeline"), 404)


def test_a_reassigned_inspection_leaves_the_former_inspectors_timeline(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    mine, kept = _book(world, order, world.inspector), _book(world, order, world.inspector)
    booking = world.supervisor.get(f"/api/inspections/{mine}").json()
    moved = world.supervisor.put(f"/api/inspections/{mine}", json={
        "order_id": order["id"], "type": "pre_shipment", "version": booking["version"],
        "assignee_id": world.other_inspector.id})
    assert moved.status_code == 200, moved.text
    seen = {e["data"].get("inspection_id") for e in _timeline(world.inspector, order)}
    assert seen == {None, kept}
    assert mine in {e["data"].get("inspection_id") for e in _timeline(world.other_inspector, order)}
