"""Packing lists as factories really send them: the pure parser (no database, no HTTP), table by table."""

from __future__ import annotations

import struct

import pytest

from api.orders.packing import LineRef, PackingListInvalid, _quantity, normalise_header, parse_packing_list, read_table

LINES = [LineRef("a", "JK-BLK-M", "Black", "M"), LineRef("b", "JK-BLK-L", "Black", "L"),
         LineRef("c", "JK-NAV-M", "Navy", "M")]


def parse(text: str, **extra):  # type: ignore[no-untyped-def]
    return parse_packing_list(read_table("list.csv", text.encode()), LINES, "PO-7", **extra)


def problems(text: str, **extra):  # type: ignore[no-untyped-def]
    with pytest.raises(PackingListInvalid) as caught:
        parse(text, **extra)
    return caught.value.errors


# --- 1. a total row is checked, not silently dropped -----------------------------------------------------

@pytest.mark.parametrize(("text", "cartons"), [
    ("Carton No.,SKU,Qty\n1-10,JK-BLK-M,12\n11,JK-NAV-M,12\n合计,,132\n", 11),       # pieces: a range counts each
    ("Carton No.,SKU,Qty\n1-10,JK-BLK-M,12\n11,JK-NAV-M,12\nTOTAL:,,24\n", 11),       # the cells as written
    ("Carton No.,SKU,Qty\n1-10,JK-BLK-M,12\n11,JK-NAV-M,12\n总计,,132 pcs\n", 11),
    ("Carton No.,SKU,Qty\n1-10,JK-BLK-M,12\n11,JK-NAV-M,12\nTotal\n", 11),            # no figures at all
    ("Remark,Carton No.,SKU,Qty\n,1-2,JK-BLK-M,6\n,,JK-BLK-L,6\n合计,2,,24\n", 2),   # cartons, assorted rows
    ("Carton No.,SKU,Qty,N.W.,G.W.\n1-2,JK-BLK-M,12,5.2,6.1\n3,JK-NAV-M,12,5.2,6.1\nTotal,,36,15.6,18.3\n", 3),
    ("Carton No.,SKU,Qty,N.W. (lbs)\n1-2,JK-BLK-M,12,10\nTotal,,24,20 \n", 2),
])
def test_a_total_row_that_agrees_is_not_a_carton(text: str, cartons: int) -> None:
    assert [c.number for c in parse(text)] == list(range(1, cartons + 1))


@pytest.mark.parametrize(("text", "column", "stated", "computed"), [
    ("Carton No.,SKU,Qty\n1-100,JK-BLK-M,12\n101-105,JK-NAV-M,12\n合计,,1200\n", "Qty", "1,200", "1,260"),
    ("Carton No.,SKU,Qty\n1-10,JK-BLK-M,12\nTOTAL,,100\n", "Qty", "100", "120"),
    ("Carton No.,SKU,Qty\n1-10,JK-BLK-M,12\n總計,,100件\n", "Qty", "100", "120"),
    ("No.,Carton No.,SKU,Qty\n1,1-10,JK-BLK-M,12\n合计,9,,120\n", "Carton No.", "9", "10"),
    ("Carton No.,SKU,Qty,N.W.,G.W.\n1-2,JK-BLK-M,12,5,6\nTotal,,24,10,20\n", "G.W.", "20", "12"),
])
def test_a_total_row_that_disagrees_names_row_column_and_both_figures(text, column, stated, computed) -> None:  # type: ignore[no-untyped-def]
    [error] = problems(text)
    assert (error.row, error.column, error.stated, error.computed) == (text.count("\n"), column, stated, computed)
    assert stated in error.message and computed in error.message
    assert stated in error.message_zh and computed in error.message_zh


# --- 3. colour aliases -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("colour", "aliases"), [
    ("Black", {}), (" black ", {}), ("黑色", {"黑色": "Black"}), (" 黑色 ", {" 黑色": "black "}),
    ("BLACK", {"黑色": "Black"}), ("Noir", {"NOIR": "BLACK"}),
])
def test_a_colour_matches_by_either_name(colour: str, aliases: dict[str, str]) -> None:
    [carton] = parse(f"箱号,颜色,尺码,数量\n1,{colour},m,12\n", colour_aliases=aliases)
    assert carton.items == [("a", 12)]


def test_an_order_colour_written_in_chinese_matches_its_english_alias_too() -> None:
    lines = [LineRef("z", "X-1", "黑色", "M")]
    rows = read_table("l.csv", "箱号,颜色,尺码,数量\n1,Black,M,12\n".encode())
    assert parse_packing_list(rows, lines, "PO", {"黑色": "Black"})[0].items == [("z", 12)]


def test_an_unknown_colour_is_called_a_colour_not_a_sku() -> None:
    [error] = problems("箱号,颜色,尺码,数量\n1,黑色,M,12\n")
    assert (error.row, error.column) == (2, "颜色")
    assert "unknown colour '黑色'" in error.message.lower() and "SKU" not in error.message
    assert "黑色" in error.message_zh and "颜色" in error.message_zh
    [error] = problems("箱号,颜色,尺码,数量\n1,Black,XXL,12\n")  # a known colour in a size not ordered
    assert "Unknown SKU" in error.message


# --- 4. quantities with units ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("12件", 12), ("12 pcs", 12), ("12PCS", 12), ("12 pc", 12), ("12 套", 12), ("12双", 12),
    ("12个", 12), ("12 条", 12), ("12 sets", 12), ("12 pairs", 12), ("12prs", 12), ("1,200 pcs", 1200),
    ("12.0", 12), (" 12 Pcs. ", 12),
    ("12 ctns", None), ("twelve", None), ("12kg", None), ("pcs", None), ("12.5 pcs", None), ("1 2", None),
    ("12 pcs 3", None), ("", None), ("12箱", None), ("-12", None),
])
def test_quantity_units(text: str, value: int | None) -> None:
    assert _quantity(text) == value


def test_a_quantity_with_a_unit_packs_and_garbage_is_refused() -> None:
    assert parse("Carton,SKU,Qty\n1-2,JK-BLK-M,12件\n")[0].items == [("a", 12)]
    [error] = problems("Carton,SKU,Qty\n1,JK-BLK-M,12 ctns\n")
    assert (error.row, error.column) == (2, "Qty")


# --- 5. header spellings, and the answer when none is found ----------------------------------------------

@pytest.mark.parametrize(("header", "column", "unit"), [
    ("件数/箱", "qty", ""), ("Pcs/Carton", "qty", ""), ("Qty/Box", "qty", ""), ("Pieces per carton", "qty", ""),
    ("数量/箱", "qty", ""), ("每箱个数", "qty", ""), ("装箱数量", "qty", ""), ("入数", "qty", ""),
    ("Qty (pcs)", "qty", "pcs"), ("C/No.", "carton", ""), ("C/NOS", "carton", ""), ("Box No.", "carton", ""),
    ("箱号码", "carton", ""), ("外箱号", "carton", ""), ("N.W.KGS", "net", "kg"), ("净重KG", "net", "kg"),
    ("单箱净重", "net", ""), ("NW/CTN", "net", ""), ("G.W.(KGS)", "gross", "kgs"), ("G.W./CTN", "gross", ""),
    ("单箱毛重", "gross", ""), ("GW LBS", "gross", "lbs"), ("Measurements", "dims", ""), ("CTN MEAS", "dims", ""),
    ("L x W x H", "dims", ""), ("外箱规格", "dims", ""), ("长*宽*高", "dims", ""), ("箱数", "", ""),
])
def test_more_header_spellings(header: str, column: str, unit: str) -> None:
    assert normalise_header(header) == (column, unit)


def test_a_list_with_chinese_per_carton_headers() -> None:
    [carton] = parse("箱号,货号,件数/箱,净重KG,单箱毛重,外箱规格\n1,JK-BLK-M,12件,5,6,60x40x30\n")
    assert carton.items == [("a", 12)] and carton.net_kg == 5 and carton.length_cm == 60


def test_no_header_row_shows_what_it_read_and_what_it_knows() -> None:
    long = "x" * 200
    [error] = problems(f"PACKING LIST,,\nCarton number thing,Menge,{long}\n1,2,3\n")
    for text in (error.message, error.message_zh):
        assert "PACKING LIST" in text and "Carton number thing" in text and "Menge" in text
        assert long not in text and "…" in text  # cells are cut short
    assert "row 1" in error.message and "Qty/Ctn" in error.message and "Carton No." in error.message
    assert "第 1 行" in error.message_zh and "件数/箱" in error.message_zh and "箱号" in error.message_zh


# --- 6. old .xls workbooks -------------------------------------------------------------------------------

def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _text(text: str, length_bytes: int) -> bytes:
    return struct.pack("<H" if length_bytes == 2 else "<B", len(text)) + b"\x01" + text.encode("utf-16-le")


def xls_file(rows: list[list[object]]) -> bytes:
    """A real Excel 97-2003 workbook (BIFF8 in an OLE2 compound file), written by hand: xlwt is unmaintained."""
    cells = [_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0, 0, 0, 0))]  # BOF, worksheet
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                cells.append(_record(0x0204, struct.pack("<HHH", r, c, 0) + _text(value, 2)))  # LABEL
            elif value is not None:
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 0, float(value))))  # type: ignore[arg-type]
    cells.append(_record(0x000A))  # EOF
    bof = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))  # BOF, workbook globals
    name = _text("Sheet1", 1)
    sheet_at = len(bof) + (4 + 6 + len(name)) + 4
    stream = bof + _record(0x0085, struct.pack("<IBB", sheet_at, 0, 0) + name) + _record(0x000A) + b"".join(cells)
    stream += b"\x00" * max(0, 4096 - len(stream))  # at least the mini-stream cutoff: plain sectors only
    stream += b"\x00" * (-len(stream) % 512)
    sectors = len(stream) // 512
    fat = [0xFFFFFFFD, 0xFFFFFFFE] + [3 + i for i in range(sectors - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\x00" * 6 + struct.pack("<10I", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0, 0)
              + b"\xff\xff\xff\xff" * 108)

    def entry(label: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = (label + "\x00").encode("utf-16-le") if label else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<iii", -1, -1, child)
                + b"\x00" * 36 + struct.pack("<II", start, size) + b"\x00" * 4)

    directory = (entry("Root Entry", 5, 1, 0xFFFFFFFE, 0) + entry("Workbook", 2, -1, 2, len(stream))
                 + entry("", 0, -1, 0, 0) + entry("", 0, -1, 0, 0))
    return header + struct.pack("<128I", *fat) + directory + stream


def test_an_old_xls_workbook_is_read() -> None:
    data = xls_file([["装箱单 PACKING LIST"], ["箱号", "货号", "数量", "净重"], ["1-5", "JK-BLK-M", 24, 10.5],
                     [6, "JK-NAV-M", 12.0, None], ["合计", None, 132]])
    assert data[:4] == b"\xd0\xcf\x11\xe0"
    assert read_table("old.xls", data)[2] == ["1-5", "JK-BLK-M", "24", "10.5"]
    cartons = parse_packing_list(read_table("old.xls", data), LINES, "PO-7")
    assert [c.number for c in cartons] == [1, 2, 3, 4, 5, 6] and cartons[5].items == [("c", 12)]


def test_a_damaged_xls_says_to_save_it_as_xlsx_in_both_languages() -> None:
    with pytest.raises(PackingListInvalid) as caught:
        read_table("old.xls", xls_file([["Carton", "Qty"]])[:700])
    [error] = caught.value.errors
    assert ".xlsx" in error.message and ".xlsx" in error.message_zh and "另存为" in error.message_zh
