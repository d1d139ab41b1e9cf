"""Hostile packing lists: huge numbers, odd line endings, oversized workbooks and zip bombs answer 422, fast."""

from __future__ import annotations

import io
import zipfile

import pytest

from api.orders import packing
from api.orders.packing import LineRef, PackingListInvalid, parse_packing_list, read_table
from tests.helpers import assert_problem, xlsx

LINES = [LineRef("a", "JK-BLK-M", "Black", "M"), LineRef("b", "JK-BLK-L", "Black", "L")]
HEADER = "Carton No.,SKU,Qty,N.W.,Meas,L"


def problems(data: bytes, name: str = "list.csv") -> list[packing.RowError]:
    with pytest.raises(PackingListInvalid) as caught:
        parse_packing_list(read_table(name, data), LINES, "PO-7")
    return caught.value.errors


def row(carton: str = "1", qty: str = "12", net: str = "", meas: str = "", length: str = "") -> bytes:
    return f"{HEADER}\n{carton},JK-BLK-M,{qty},{net},{meas},{length}\n".encode()


@pytest.mark.parametrize(("cells", "column"), [
    ({"qty": "1e400000"}, "Qty"), ({"qty": "1e" + "9" * 200}, "Qty"), ({"qty": "Infinity"}, "Qty"),
    ({"qty": "-inf"}, "Qty"), ({"qty": "NaN"}, "Qty"), ({"qty": "sNaN"}, "Qty"), ({"qty": "1e20"}, "Qty"),
    ({"qty": "99999999999999999999"}, "Qty"), ({"qty": "2147483648"}, "Qty"), ({"qty": "9" * 100_000}, "Qty"),
    ({"net": "1e400000"}, "N.W."), ({"net": "1e" + "9" * 200}, "N.W."), ({"net": "Infinity"}, "N.W."),
    ({"net": "-inf"}, "N.W."), ({"net": "NaN"}, "N.W."), ({"net": "sNaN"}, "N.W."), ({"net": "1e20"}, "N.W."),
    ({"net": "1" * 100_000}, "N.W."), ({"net": "1E-400000"}, "N.W."),
    ({"carton": "12345678901234567890"}, "Carton No."), ({"carton": "2147483648"}, "Carton No."),
    ({"carton": "1e400000"}, "Carton No."), ({"carton": "1-" + "9" * 5000}, "Carton No."),
    ({"carton": "9" * 100_000}, "Carton No."),
    ({"meas": "1.2.3x4x5"}, "Meas"), ({"meas": "1e400000x4x5"}, "Meas"), ({"meas": "9" * 5000 + "x4x5"}, "Meas"),
    ({"meas": "1" * 40 + "x4x5"}, "Meas"), ({"length": "Infinity"}, "L"), ({"length": "1e400000"}, "L"),
])
def test_a_hostile_number_is_a_row_and_column_error(cells: dict[str, str], column: str) -> None:
    [error] = problems(row(**cells))
    assert (error.row, error.column) == (2, column)
    assert len(error.message) < 300 and error.message_zh


def test_numbers_at_the_database_limits_still_parse() -> None:
    [carton] = parse_packing_list(read_table("l.csv", row("2147483647", "2147483647", "999.5", "60.5x40x30.25")),
                                  LINES, "PO-7")
    assert (carton.number, carton.items, carton.net_kg) == (2147483647, [("a", 2147483647)], 999.5)
    assert (carton.length_cm, carton.width_cm, carton.height_cm) == (60.5, 40, 30.25)


def test_pieces_adding_up_past_a_32_bit_integer_are_refused() -> None:
    [error] = problems(f"{HEADER}\n1-2,JK-BLK-M,2147483647,,,\n".encode())
    assert error.column == "Qty" and "pieces" in error.message


def test_a_field_over_the_csv_limit_names_its_row() -> None:
    [error] = problems(f"{HEADER}\n1,JK-BLK-M,12,,,\n2,JK-BLK-M,{'x' * 140_000},,,\n".encode())
    assert error.row == 3 and "CSV" in error.message


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_every_line_ending_parses(newline: str) -> None:
    text = newline.join(["Carton No.,SKU,Qty", "1-2,JK-BLK-M,12", "3,JK-BLK-L,6", ""])
    cartons = parse_packing_list(read_table("mac.csv", text.encode()), LINES, "PO-7")
    assert [(c.number, c.items) for c in cartons] == [(1, [("a", 12)]), (2, [("a", 12)]), (3, [("b", 6)])]


@pytest.mark.parametrize(("limit", "value", "text"), [
    ("MAX_ROWS", 50, "rows"), ("MAX_CELLS", 100, "cells"),
])
def test_too_many_rows_or_cells_are_refused(monkeypatch: pytest.MonkeyPatch, limit: str, value: int,
                                            text: str) -> None:
    monkeypatch.setattr(packing, limit, value)
    data = (f"{HEADER}\n" + "".join(f"{n},JK-BLK-M,12,,,\n" for n in range(1, 60))).encode()
    [error] = problems(data)
    assert text in error.message


def test_too_many_columns_are_refused() -> None:
    [error] = problems((f"{HEADER}\n1,JK-BLK-M,12" + "," * 200 + "\n").encode())
    assert (error.row, "columns" in error.message) == (2, True)


def rewrite(data: bytes, change, extra: dict[str, bytes] | None = None) -> bytes:  # type: ignore[no-untyped-def]
    """The same workbook with its sheet's XML changed (and parts added), zipped again."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = change(body.decode()).encode()
            target.writestr(info.filename, body)
        for name, body in (extra or {}).items():
            target.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return out.getvalue()


def declared(data: bytes, ref: str) -> bytes:
    def change(xml: str) -> str:
        start = xml.index("<dimension ref=\"")
        end = xml.index("/>", start) + 2
        return xml[:start] + f'<dimension ref="{ref}"/>' + xml[end:]
    return rewrite(data, change)


def test_an_xlsx_declaring_a_huge_dimension_reads_only_its_cells() -> None:
    data = declared(xlsx([["Carton No.", "SKU", "Qty"], [1, "JK-BLK-M", 12], [2, "JK-BLK-L", 6]]), "A1:ALL60000")
    assert len(data) < 10_000
    rows = read_table("l.xlsx", data)
    assert rows == [["Carton No.", "SKU", "Qty"], ["1", "JK-BLK-M", "12"], ["2", "JK-BLK-L", "6"]]
    assert [c.number for c in parse_packing_list(rows, LINES, "PO-7")] == [1, 2]


def test_an_xlsx_with_a_cell_far_to_the_right_or_down_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = rewrite(xlsx([["Carton No.", "SKU", "Qty"], [1, "JK-BLK-M", 12]]),
                   lambda xml: xml.replace("</row></sheetData>",
                                           '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    [error] = problems(wide, "l.xlsx")
    assert (error.row, "columns" in error.message) == (2, True)
    monkeypatch.setattr(packing, "MAX_ROWS", 1000)
    far = rewrite(xlsx([["Carton No.", "SKU", "Qty"], [1, "JK-BLK-M", 12]]),
                  lambda xml: xml.replace("</sheetData>", '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'
                                                          "</sheetData>"))
    [error] = problems(far, "l.xlsx")
    assert "rows" in error.message


def test_an_xlsx_zip_bomb_is_refused_by_its_unpacked_size() -> None:
    bomb = rewrite(xlsx([["Carton No.", "SKU", "Qty"], [1, "JK-BLK-M", 12]]), lambda xml: xml,
                   {"xl/media/padding.bin": bytes(packing.MAX_UNZIPPED + 1)})
    assert len(bomb) < 1_000_000
    [error] = problems(bomb, "l.xlsx")
    assert error.row == 0 and "unpacks" in error.message


# --- through the app: 422 naming row and column, never a 500 ---------------------------------------------

def upload(actor, order, data: bytes, name: str = "packing.csv"):  # type: ignore[no-untyped-def]
    return actor.post(f"/api/orders/{order['id']}/packing-list", files={"file": (name, data, "text/csv")})


@pytest.mark.parametrize(("cells", "column"), [
    ("1,{sku},12,1e400000", "N.W."), ("12345678901234567890,{sku},12,", "Carton No."), ("1,{sku},1e20,", "Qty"),
])
def test_a_hostile_cell_answers_422_naming_row_and_column(world, cells: str, column: str) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = ("Carton No.,SKU,Qty,N.W.\n" + cells.format(sku=order["lines"][0]["sku"]) + "\n").encode()
    problem = assert_problem(upload(world.admin, order, data), 422)
    [error] = problem["errors"]
    assert (error["row"], error["column"]) == (2, column) and problem["error_count"] == 1


def test_a_mac_csv_is_imported(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = f"Carton No.,SKU,Qty\r1-3,{order['lines'][0]['sku']},12\r".encode()
    response = upload(world.admin, order, data)
    assert response.status_code == 201, response.text
    assert response.json()["carton_count"] == 3


def test_thousands_of_errors_list_the_first_200_and_count_them_all(world) -> None:  # type: ignore[no-untyped-def]
    order = world.orders[0]
    data = ("Carton No.,SKU,Qty\n" + f"1,{order['lines'][0]['sku']},12\n" * 20_000).encode()
    response = upload(world.admin, order, data)
    problem = assert_problem(response, 422)
    # Each repeated row is a repeated carton number and a repeated barcode.
    assert len(problem["errors"]) == 200 and problem["error_count"] == 2 * 19_999
    assert problem["errors"][0]["row"] == 3 and "39998" in problem["detail"]
    assert len(response.content) < 100_000
