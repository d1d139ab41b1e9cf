"""Packing lists: reading CSV/XLSX, all-or-nothing validation, reconciliation, carton lookup."""

from __future__ import annotations

import uuid

import pytest

from api.barcodes import gs1
from api.orders.packing import LineRef, PackingListInvalid, normalise_header, parse_packing_list, read_table
from tests.helpers import assert_problem, sscc, xlsx

LINES = [LineRef("a", "JK-BLK-M", "Black", "M"), LineRef("b", "JK-BLK-L", "Black", "L"),
         LineRef("c", "JK-NAV-M", "Navy", "M")]


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_packing_list(read_table("list.csv", text.encode()), LINES, "PO-7")


@pytest.mark.parametrize(("header", "column", "unit"), [
    ("Carton No.", "carton", ""), ("CTN NO", "carton", ""), ("箱号", "carton", ""), ("Qty/Ctn", "qty", ""),
    ("数量", "qty", ""), ("N.W. (kg)", "net", "kg"), ("净重（KG）", "net", "kg"), ("G.W. (lbs)", "gross", "lbs"),
    ("毛重", "gross", ""), ("SSCC", "barcode", ""), ("条码", "barcode", ""), ("Colour", "colour", ""),
    ("颜色", "colour", ""), ("尺码", "size", ""), ("Meas (cm)", "dims", "cm"), ("外箱尺寸", "dims", ""),
    ("Remarks", "", ""),
])
def test_header_spellings(header, column, unit) -> None:  # type: ignore[no-untyped-def]
    assert normalise_header(header) == (column, unit)


def test_range_rows_count_up_the_sscc_serial() -> None:
    cartons = parse(f"Carton No.,SSCC,SKU,Qty,N.W.,G.W.,Meas\n1-3,{sscc(10)},JK-BLK-M,12,5.0,6.2,60x40x30\n"
                    f"4,(00){sscc(20)},JK-NAV-M,10,4,5,60*40*30\n")
    assert [c.number for c in cartons] == [1, 2, 3, 4]
    assert [c.barcode for c in cartons] == [sscc(10), sscc(11), sscc(12), sscc(20)]
    assert all(gs1.is_valid_sscc(c.barcode) for c in cartons)
    assert cartons[0].items == [("a", 12)] and cartons[0].gross_kg == 6.2 and cartons[0].length_cm == 60


def test_empty_barcode_cells_get_a_code_from_the_carton_number() -> None:
    cartons = parse("箱号,颜色,尺码,数量,净重,毛重\n1-2,Black,M,12,5,6\n3,Navy,M,12,5,6\n")
    assert [c.barcode for c in cartons] == ["PO-7-1", "PO-7-2", "PO-7-3"]
    assert cartons[2].items == [("c", 12)]


def test_merged_carton_cells_make_assorted_cartons() -> None:
    cartons = parse("Carton,SKU,Qty\n1-2,JK-BLK-M,6\n,JK-BLK-L,6\n3,JK-NAV-M,12\n")
    assert cartons[0].items == [("a", 6), ("b", 6)] and cartons[1].items == [("a", 6), ("b", 6)]


def test_title_rows_above_the_header_and_a_total_row_below() -> None:
    cartons = parse("PACKING LIST 装箱单,,\nPO: PO-7,,\nCarton No.,SKU,Qty\n1,JK-BLK-M,12\nTOTAL,,12\n")
    assert len(cartons) == 1


def test_lbs_are_converted_to_kg() -> None:
    [carton] = parse("Carton,SKU,Qty,N.W. (lbs),G.W. (lbs)\n1,JK-BLK-M,12,10,11\n")
    assert carton.net_kg == pytest.approx(4.5359237)


def test_every_bad_row_and_column_is_listed() -> None:
    bad_sscc = sscc(1)[:-1] + str((int(sscc(1)[-1]) + 1) % 10)
    text = (f"Carton No.,SSCC,SKU,Qty,N.W.,G.W.\n"
            f"1-2,{sscc(1)},JK-BLK-M,12,5,6\n"
            f"2,{sscc(9)},JK-BLK-M,12,5,6\n"        # row 3: carton 2 twice
            f"3,{bad_sscc},JK-BLK-M,12,5,6\n"        # row 4: bad check digit
            f"4,{sscc(1)},JK-BLK-M,12,5,6\n"        # row 5: barcode used twice
            f"5,,JK-RED-S,12,5,6\n"                 # row 6: unknown SKU
            f"6,,JK-BLK-M,twelve,5,6\n"             # row 7: non-numeric quantity
            f"7,,JK-BLK-M,12,6,5\n")                # row 8: gross below net
    with pytest.raises(PackingListInvalid) as caught:
        parse(text)
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {(3, "Carton No."), (4, "SSCC"), (5, "SSCC"), (6, "SKU"), (7, "Qty"), (8, "G.W.")}
    assert all(e.message and e.message_zh for e in caught.value.errors)


def test_a_number_mangled_by_excel_is_explained() -> None:
    data = xlsx([["Carton", "SSCC", "SKU", "Qty"], [1, 3.6901234000000005e17, "JK-BLK-M", 12]])
    with pytest.raises(PackingListInvalid) as caught:
        parse_packing_list(read_table("list.xlsx", data), LINES, "PO-7")
    assert "text" in caught.value.errors[0].message


def test_gbk_csv_from_chinese_excel() -> None:
    data = "箱号,颜色,尺码,数量\n1,Black,M,12\n".encode("gbk")
    assert len(parse_packing_list(read_table("list.csv", data), LINES, "PO-7")) == 1


def test_not_a_table() -> None:
    with pytest.raises(PackingListInvalid):
        parse_packing_list(read_table("list.xlsx", b"PK\x03\x04garbage"), LINES, "PO-7")
    with pytest.raises(PackingListInvalid):
        parse("hello,world\n1,2\n")


# --- through the API -------------------------------------------------------------------------------------


def csv_for(order: dict, first_serial: int = 100) -> bytes:  # type: ignore[type-arg]
    rows = ["Carton No.,SSCC,SKU,Qty/Ctn,N.W. (kg),G.W. (kg),Meas (cm)"]
    carton, serial = 1, first_serial
    for line in order["lines"]:
        rows.append(f"{carton}-{carton + 9},{sscc(serial)},{line['sku']},12,5.2,6.1,60x40x30")
        carton += 10
        serial += 10
    return ("\n".join(rows) + "\n").encode()


def upload(actor, order, data: bytes, name: str = "packing.csv"):  # type: ignore[no-untyped-def]
    return actor.post(f"/api/orders/{order['id']}/packing-list", files={"file": (name, data, "text/csv")})


def test_import_reconciles_and_is_stored(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    response = upload(world.merchandiser, order, csv_for(order))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1 and body["carton_count"] == 60 and body["total_quantity"] == 720
    rec = body["reconciliation"]
    assert rec["status"] == "exact" and rec["carton_count"] == 60
    assert {line["status"] for line in rec["lines"]} == {"exact"}
    stored = world.admin.get(f"/api/orders/{order['id']}/packing-list").json()
    assert stored["reconciliation"] == rec and len(stored["cartons"]) == 60
    assert stored["cartons"][0]["items"][0]["sku"] == order["lines"][0]["sku"]


def test_short_and_over_lines(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    lines = order["lines"]
    data = (f"Carton,SKU,Qty\n1-11,{lines[0]['sku']},12\n12-20,{lines[1]['sku']},12\n").encode()
    rec = upload(world.admin, order, data).json()["reconciliation"]
    by_sku = {r["sku"]: r for r in rec["lines"]}
    assert by_sku[lines[0]["sku"]]["status"] == "over" and by_sku[lines[0]["sku"]]["difference"] == 12
    assert by_sku[lines[1]["sku"]]["status"] == "short" and by_sku[lines[2]["sku"]]["packed"] == 0
    assert rec["status"] == "mixed"


def test_xlsx_import(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = xlsx([["装箱单 PACKING LIST"], ["箱号", "货号", "数量", "净重", "毛重", "条码"],
                 ["1-5", order["lines"][0]["sku"], 24, 10.5, 11.7, sscc(500)],
                 [6, order["lines"][1]["sku"], 24, 10.5, 11.7, f"(00){sscc(600)}"]])
    response = upload(world.admin, order, data, "list.xlsx")
    assert response.status_code == 201, response.text
    assert response.json()["carton_count"] == 6


def test_a_bad_file_imports_nothing_and_lists_every_problem(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = f"Carton,SKU,Qty,N.W.,G.W.\n1,NOPE,12,5,6\n2,{order['lines'][0]['sku']},x,5,6\n2,,,,\n".encode()
    problem = assert_problem(upload(world.admin, order, data), 422)
    assert {(e["row"], e["column"]) for e in problem["errors"]} >= {(2, "SKU"), (3, "Qty")}
    assert "nothing was imported" in problem["detail"]
    assert world.admin.get(f"/api/orders/{order['id']}/packing-list").status_code == 404
    kinds = [e["kind"] for e in world.admin.get(f"/api/orders/{order['id']}/timeline").json()]
    assert "packing_list_imported" not in kinds


def test_reimport_replaces_and_the_timeline_keeps_both(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    upload(world.admin, order, csv_for(order, 100))
    second = upload(world.admin, order, csv_for(order, 2000)).json()
    assert second["version"] == 2
    events = [e for e in world.admin.get(f"/api/orders/{order['id']}/timeline").json()
              if e["kind"] == "packing_list_imported"]
    assert [e["data"]["version"] for e in events] == [1, 2] and events[1]["data"]["replaced_version"] == 1
    assert world.admin.get(f"/api/cartons/lookup?code={sscc(100)}").status_code == 404  # old labels retired
    assert world.admin.get(f"/api/cartons/lookup?code={sscc(2000)}").status_code == 200


def test_lookup_by_any_form_of_the_code(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    upload(world.admin, order, csv_for(order))
    code = sscc(105)
    for form in (code, f"(00){code}", f"00{code}", f"]C100{code}", f"(00) {code[:1]} {code[1:]}"):
        found = world.admin.get("/api/cartons/lookup", params={"code": form})
        assert found.status_code == 200, form
        assert found.json()["carton"]["number"] == 6 and found.json()["order"]["po_number"] == "PO-1"
    own = (f"Carton,Barcode,SKU,Qty\n1,CTN-A1,{order['lines'][0]['sku']},12\n").encode()
    upload(world.admin, world.orders[1], own.replace(b"PO-1", b"PO-2"))
    assert world.admin.get("/api/cartons/lookup?code=CTN-A1").json()["order"]["po_number"] == "PO-2"
    assert_problem(world.admin.get("/api/cartons/lookup?code=NOTHING"), 404)


def test_lookup_only_among_visible_orders(world) -> None:  # type: ignore[no-untyped-def]
    upload(world.admin, world.orders[1], csv_for(world.orders[1], 7000))
    code = sscc(7003)
    assert world.supervisor.get(f"/api/cartons/lookup?code={code}").status_code == 200
    for actor in (world.inspector, world.factory_user):  # neither may see PO-2
        assert_problem(actor.get(f"/api/cartons/lookup?code={code}"), 404)
    world.supervisor.post(f"/api/orders/{world.orders[1]['id']}/inspections", json={
        "id": str(uuid.uuid4()), "type": "pre_shipment", "assignee_id": world.inspector.id})
    assert world.inspector.get(f"/api/cartons/lookup?code={code}").status_code == 200


def test_import_needs_a_file_and_respects_the_limit(world, settings) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    assert_problem(world.admin.post(f"/api/orders/{order['id']}/packing-list", files={"other": ("x", b"1")}), 400)
    big = b"x" * (settings.max_import_bytes + 1)
    assert_problem(upload(world.admin, order, big), 413)
    assert_problem(upload(world.inspector, order, csv_for(order)), 404)  # cannot see it at all
    assert_problem(upload(world.factory_user, order, csv_for(order)), 403)
    assert_problem(upload(world.admin, {"id": str(uuid.uuid4())}, csv_for(order)), 404)


def test_an_unknown_colour_says_which_text_to_alias_and_other_errors_do_not() -> None:
    text = "箱号,颜色,尺码,数量\n1,黑色 ,M,12\n2,,M,12\n3,Black,M,x\n4,Navy,XXL,12\n"
    with pytest.raises(PackingListInvalid) as caught:
        parse(text)
    by_row = {e.row: e for e in caught.value.errors}
    assert (by_row[2].column, by_row[2].kind, by_row[2].value) == ("颜色", "unknown_colour", "黑色")
    # An empty colour cell is no other name for an order colour; a bad quantity and an unknown size are not
    # about the colour at all.
    assert [(by_row[r].kind, by_row[r].value) for r in (3, 4, 5)] == [(None, None)] * 3
    with pytest.raises(PackingListInvalid) as aliased:
        parse_packing_list(read_table("list.csv", text.encode()), LINES, "PO-7", {"黑色": "Black"})
    assert 2 not in {e.row for e in aliased.value.errors}


def test_the_problem_names_the_unknown_colour_and_the_alias_clears_it(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = "箱号,颜色,尺码,数量\n1-10,藏青,S,12\n11-20,Black,S,zwölf\n21,藏青,M,12\n".encode()
    query = f"/api/orders/{order['id']}/packing-list?dry_run=true"
    problem = assert_problem(world.admin.post(query, files={"file": ("list.csv", data, "text/csv")}), 422)
    found = {e["row"]: e for e in problem["errors"]}
    assert problem["error_count"] == 3 and set(found) == {2, 3, 4}
    assert [(found[r]["kind"], found[r]["value"], found[r]["column"]) for r in (2, 4)] \
        == [("unknown_colour", "藏青", "颜色")] * 2
    # Every error keeps the same keys; what is not about a colour says so with nulls.
    assert all(set(e) == {"row", "column", "message", "message_zh", "stated", "computed", "kind", "value"}
               for e in problem["errors"])
    assert (found[3]["kind"], found[3]["value"]) == (None, None)

    customer = order["customer"]["id"]
    patched = world.merchandiser.patch(f"/api/customers/{customer}", json={"version": 1,
                                                                           "colour_aliases": {"藏青": "Navy"}})
    assert patched.status_code == 200, patched.text
    problem = assert_problem(world.admin.post(query, files={"file": ("list.csv", data, "text/csv")}), 422)
    assert [(e["row"], e["kind"]) for e in problem["errors"]] == [(3, None)]
    fixed = data.replace("zwölf".encode(), b"12")
    preview = world.admin.post(query, files={"file": ("list.csv", fixed, "text/csv")})
    assert preview.status_code == 200, preview.text
    packed = {(r["colour"], r["size"]): r["packed"] for r in preview.json()["reconciliation"]["lines"]}
    assert packed[("Navy", "S")] == 120 and packed[("Navy", "M")] == 12 and packed[("Black", "S")] == 120
