"""Packing lists as factories really send them, through the API on both databases."""

from __future__ import annotations

from tests.helpers import assert_problem, sscc, upload_packing_list
from tests.orders.test_packing_pure import xls_file


def upload(actor, order, data: bytes, name: str = "packing.csv", query: str = ""):  # type: ignore[no-untyped-def]
    return actor.post(f"/api/orders/{order['id']}/packing-list{query}", files={"file": (name, data, "text/csv")})


def imports(world, order) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [e for e in world.admin.get(f"/api/orders/{order['id']}/timeline").json()
            if e["kind"] == "packing_list_imported"]


def test_a_total_that_disagrees_is_refused_and_the_current_list_stays(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    assert upload_packing_list(world.admin, order).status_code == 201
    rows = ["箱号,货号,数量"] + [f"{10 * i + 1}-{10 * i + 10},{line['sku']},21" for i, line in enumerate(order["lines"])]
    data = ("\n".join(rows) + "\n合计,,1200\n").encode()  # the rows add up to 6 x 10 x 21 = 1,260
    problem = assert_problem(upload(world.admin, order, data), 422)
    [error] = problem["errors"]
    assert (error["row"], error["column"], error["stated"], error["computed"]) == (8, "数量", "1,200", "1,260")
    assert "1,200" in error["message"] and "1,260" in error["message_zh"] and problem["detail_zh"]
    assert world.admin.get(f"/api/orders/{order['id']}/packing-list").json()["version"] == 1
    assert len(imports(world, order)) == 1


def test_a_dry_run_answers_the_comparison_and_stores_nothing(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    assert upload_packing_list(world.admin, order, first_serial=100).status_code == 201
    before = world.admin.get(f"/api/orders/{order['id']}/packing-list").json()
    first, second = order["lines"][0], order["lines"][1]
    data = (f"Carton No.,SSCC,SKU,Qty/Ctn\n1-11,{sscc(5000)},{first['sku']},12 pcs\n"
            f"12-20,{sscc(5100)},{second['sku']},12件\nTOTAL,,240\n").encode()
    response = upload(world.admin, order, data, query="?dry_run=true")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True and body["version"] == 2 and body["replaces_version"] == 1
    assert body["carton_count"] == 20 and body["total_quantity"] == 240 and len(body["cartons"]) == 20
    assert body["cartons"][0]["barcode"] == sscc(5000) and body["cartons"][0]["items"][0]["quantity"] == 12
    by_sku = {r["sku"]: r for r in body["reconciliation"]["lines"]}
    assert (by_sku[first["sku"]]["ordered"], by_sku[first["sku"]]["packed"], by_sku[first["sku"]]["difference"]) \
        == (120, 132, 12)
    changes = {c["sku"]: c for c in body["changes"]}
    assert (changes[first["sku"]]["current_packed"], changes[first["sku"]]["packed"],
            changes[first["sku"]]["difference"]) == (120, 132, 12)
    assert changes[order["lines"][2]["sku"]]["difference"] == -120 and len(changes) == len(order["lines"])
    # Nothing stored: the same current list, no event, no new cartons.
    assert world.admin.get(f"/api/orders/{order['id']}/packing-list").json() == before
    assert len(imports(world, order)) == 1
    assert world.admin.get(f"/api/cartons/lookup?code={sscc(5000)}").status_code == 404
    assert world.admin.get(f"/api/cartons/lookup?code={sscc(100)}").status_code == 200
    # The same file imported for real gives what the dry run said.
    real = upload(world.admin, order, data)
    assert real.status_code == 201 and real.json()["reconciliation"] == body["reconciliation"]


def test_a_dry_run_of_the_first_list_and_of_a_bad_one(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = f"Carton,SKU,Qty\n1,{order['lines'][0]['sku']},12\n".encode()
    body = upload(world.admin, order, data, query="?dry_run=true").json()
    assert body["version"] == 1 and body["replaces_version"] is None and body["changes"][0]["current_packed"] == 0
    problem = assert_problem(upload(world.admin, order, b"Carton,SKU,Qty\n1,NOPE,12\n", query="?dry_run=true"), 422)
    assert problem["errors"][0]["row"] == 2
    assert world.admin.get(f"/api/orders/{order['id']}/packing-list").status_code == 404
    assert imports(world, order) == []
    assert_problem(upload(world.factory_user, order, data, query="?dry_run=true"), 403)


def test_colour_aliases_are_set_on_the_customer_and_match_chinese_colours(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    customer_id = order["customer"]["id"]
    data = "箱号,颜色,尺码,数量\n1-10,黑色,S,12\n11-20,BLACK ,m,12\n".encode()
    problem = assert_problem(upload(world.admin, order, data), 422)
    [error] = problem["errors"]
    assert (error["row"], error["column"]) == (2, "颜色")
    assert "unknown colour '黑色'" in error["message"].lower() and "黑色" in error["message_zh"]

    patched = world.admin.patch(f"/api/customers/{customer_id}", json={"version": 1, "colour_aliases": {" 黑色 ": "Black"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["colour_aliases"] == {"黑色": "Black"}
    listed = {c["id"]: c for c in world.admin.get("/api/customers").json()}
    assert listed[customer_id]["colour_aliases"] == {"黑色": "Black"}

    response = upload(world.admin, order, data)
    assert response.status_code == 201, response.text
    packed = {r["sku"]: r["packed"] for r in response.json()["reconciliation"]["lines"]}
    assert packed[order["lines"][0]["sku"]] == 120 and packed[order["lines"][1]["sku"]] == 120

    twice = world.admin.patch(f"/api/customers/{customer_id}", json={"version": 2, "colour_aliases": {"黑色": "Black", "黑色 ": "x"}})
    assert assert_problem(twice, 422)["field"] == "colour_aliases"
    assert_problem(world.factory_user.patch(f"/api/customers/{customer_id}", json={"version": 2, "colour_aliases": {}}), 403)


def test_a_new_customer_can_bring_its_aliases(world) -> None:  # type: ignore[no-untyped-def]
    created = world.admin.post("/api/customers", json={"code": "ALIAS", "name": "Alias GmbH",
                                                       "colour_aliases": {"藏青": "Navy"}})
    assert created.status_code == 201 and created.json()["colour_aliases"] == {"藏青": "Navy"}
    plain = world.admin.post("/api/customers", json={"code": "PLAIN", "name": "Plain"})
    assert plain.json()["colour_aliases"] == {}


def test_an_old_xls_file_is_imported(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = xls_file([["装箱单"], ["箱号", "货号", "件数/箱", "净重KG"], ["1-5", order["lines"][0]["sku"], 24, 10.5],
                     [6, order["lines"][1]["sku"], "12件", 5]])
    response = upload(world.admin, order, data, "old.xls")
    assert response.status_code == 201, response.text
    assert response.json()["carton_count"] == 6 and response.json()["total_quantity"] == 132


def test_no_header_row_answers_what_it_read(world) -> None:  # type: ignore[no-untyped-def]
    problem = assert_problem(upload(world.admin, world.orders[0], b"Kiste,Menge\n1,12\n"), 422)
    [error] = problem["errors"]
    assert "Kiste | Menge" in error["message"] and "Carton No." in error["message"] and "箱号" in error["message_zh"]
