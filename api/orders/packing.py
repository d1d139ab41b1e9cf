"""Reading a packing list (装箱单) from CSV, XLSX or old XLS and checking it, all or nothing.

Pure: bytes in, cartons or a list of row/column errors out. No database, no HTTP.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from api.barcodes import gs1

# Normalised header spelling → column. Real lists come in English and Chinese, with units and dots.
ALIASES: dict[str, tuple[str, ...]] = {
    "carton": ("carton", "cartonno", "cartonnumber", "cartonnos", "ctn", "ctnno", "ctnnos", "ctnnumber",
               "cartons", "cartonrange", "cartonnumbers", "ctnnumbers", "cno", "cnos", "boxno", "boxnumber",
               "pkgno", "packageno", "箱号", "箱號", "件号", "箱序号", "箱号码", "箱號碼", "纸箱号", "外箱号", "箱号范围"),
    "barcode": ("barcode", "cartonbarcode", "sscc", "label", "cartonlabel", "cartoncode", "labelbarcode",
                "箱码", "条码", "条形码", "箱条码", "外箱条码", "箱唛条码"),
    "sku": ("sku", "item", "itemno", "itemnumber", "article", "articleno", "货号", "商品编码", "sku号"),
    "colour": ("colour", "color", "colourname", "colorname", "颜色", "顏色", "色号"),
    "size": ("size", "尺码", "码数", "尺碼"),
    "qty": ("qty", "quantity", "qtyperctn", "qtyctn", "pcsctn", "pcsperctn", "pcspercarton", "qtypercarton",
            "unitsperctn", "pcs", "pieces", "数量", "每箱数量", "件数", "装箱数", "每箱件数",
            "pcscarton", "qtycarton", "piecescarton", "piecesperctn", "piecespercarton", "quantitypercarton",
            "quantityperctn", "qtyperbox", "qtybox", "pcsbox", "pcsperbox", "unitsctn", "unitspercarton", "packqty",
            "件数箱", "件箱", "数量箱", "每箱数", "每箱个数", "装箱数量", "入数", "箱入数", "數量", "件數", "每箱件數"),
    "net": ("nw", "netweight", "netwt", "nwctn", "nwperctn", "netweightperctn", "netwtctn", "净重", "每箱净重",
            "单箱净重", "淨重", "每箱淨重"),
    "gross": ("gw", "grossweight", "grosswt", "gwctn", "gwperctn", "grossweightperctn", "grosswtctn", "毛重",
              "每箱毛重", "单箱毛重"),
    "dims": ("dimensions", "dimension", "meas", "measurement", "measurements", "cartonsize", "ctnsize",
             "cartondimensions", "cartonmeasurement", "ctnmeas", "ctnmeasurement", "ctndimensions", "lxwxh", "lwh",
             "尺寸", "外箱尺寸", "箱规", "纸箱尺寸", "箱子尺寸", "外箱规格", "纸箱规格", "外箱尺码", "长宽高", "长x宽x高",
             "长*宽*高"),
    "length": ("l", "length", "长"),
    "width": ("w", "width", "宽"),
    "height": ("h", "height", "高"),
}
_COLUMN_OF = {alias: column for column, aliases in ALIASES.items() for alias in aliases}
_UNIT = re.compile(r"[（(\[]([^）)\]]*)[）)\]]")
_RANGE = re.compile(r"^\s*(\d{1,12})(?:\.0)?\s*(?:[-~–—至到]\s*(\d{1,12})(?:\.0)?)?\s*$")
_NUM = r"(\d{1,12}(?:\.\d{1,12})?|\.\d{1,12})"
_DIMS = re.compile(rf"^\s*{_NUM}\s*[x×*X]\s*{_NUM}\s*[x×*X]\s*{_NUM}\s*(cm|mm|in|inch|\")?\s*$", re.IGNORECASE)
_FOOTER = ("total", "合计", "總計", "总计", "小计")
# A row that states the list's totals: checked against the rows above it, never read as a carton.
_TOTAL = ("total", "grandtotal", "合计", "合計", "总计", "總計")
# A unit written after a quantity: pieces, sets, pairs (件 套 双 个 条).
_QTY = re.compile(r"^\s*([\d,]+(?:\.0+)?)\s*(?:pcs|pc|pieces|piece|sets|set|prs|pairs|pair|件|套|双|雙|个|個|条|條)?\.?\s*$",
                  re.IGNORECASE)
_HEADER_UNITS = {"kgs": "kg", "kg": "kg", "公斤": "kg", "lbs": "lbs", "lb": "lbs", "cm": "cm", "mm": "mm",
                 "pcs": "", "件": ""}
# How the headers are spelled in the answer when none is found (English / 中文).
KNOWN_HEADERS = {
    "carton": ("Carton No. / CTN No. / C/No.", "箱号 / 件号"),
    "qty": ("Qty / Qty/Ctn / Pcs/Ctn / Quantity", "数量 / 件数/箱 / 每箱件数 / 装箱数"),
    "sku": ("SKU / Item No. / Article", "货号 / 商品编码"),
    "colour": ("Colour / Color", "颜色 / 色号"),
    "size": ("Size", "尺码 / 码数"),
    "barcode": ("Barcode / SSCC / Label", "条码 / 箱码"),
    "net": ("N.W. / Net Weight", "净重 / 每箱净重"),
    "gross": ("G.W. / Gross Weight", "毛重 / 每箱毛重"),
    "dims": ("Meas / Measurement / Carton Size / L x W x H", "尺寸 / 外箱尺寸 / 箱规"),
}
LB_TO_KG = Decimal("0.45359237")
MAX_CARTONS = 200_000
# What the database holds, and what a person could mean: checked before any number is converted.
MAX_INT = 2**31 - 1  # carton numbers and quantities are 32-bit signed integer columns
MAX_NUMBER_CHARS = 32  # a number cell longer than this is refused unread (1e400000 would take seconds)
MAX_MEASURE = Decimal(1_000_000)  # kg, lbs, cm, mm: anything larger is a typing slip
MAX_ROWS, MAX_COLUMNS, MAX_CELLS = 100_000, 100, 2_000_000
MAX_CELL_CHARS = 131_072
# The text a carton keeps is its barcode (cartons.barcode is String(48)); SKU, colour and size find the order line
# (order_lines.sku / colour / size are String(80) / String(80) / String(40)): a longer cell can match none.
MAX_BARCODE = 48
MAX_TEXT = {"barcode": MAX_BARCODE, "sku": 80, "colour": 80, "size": 40}
MAX_UNZIPPED = 100 * 1024 * 1024  # an XLSX whose parts unzip to more than this is refused unread


@dataclass(frozen=True)
class LineRef:
    """An order line as the import needs it."""

    key: str  # anything the caller uses to find the line again (its id)
    sku: str
    colour: str
    size: str


@dataclass
class CartonSpec:
    number: int
    barcode: str
    net_kg: float | None
    gross_kg: float | None
    length_cm: float | None
    width_cm: float | None
    height_cm: float | None
    items: list[tuple[str, int]] = field(default_factory=list)  # (line key, quantity)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    message_zh: str
    stated: str | None = None  # a total row's figure, when it disagrees with the rows
    computed: str | None = None  # what the rows add up to
    # What the error is, where the UI can act on it: "unknown_colour" (then `value` is the colour as the cell
    # writes it, which the user may add to the customer's colour aliases). None for the others.
    kind: str | None = None
    value: str | None = None


class PackingListInvalid(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the packing list")
        self.errors = errors


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """Rows of text cells from a CSV (UTF-8 or GBK, as Chinese Excel saves it) or an XLSX file."""
    if "\x00" in filename:  # the name is kept with the list (packing_lists.filename): PostgreSQL cannot store NUL
        raise PackingListInvalid([RowError(0, "", "The file name contains a NUL character. Rename the file.",
                                           "文件名含有 NUL 字符，请重命名文件。")])
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if data[:8] == OLE2:
        return _read_xls(data)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise PackingListInvalid([RowError(0, "", "The file is not a readable XLSX workbook.",
                                           "文件不是有效的 XLSX 工作簿。")])
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise PackingListInvalid([RowError(0, "", "The file's text encoding is unknown.", "无法识别文件编码。")])
    if _looks_binary(text):
        raise PackingListInvalid([RowError(0, "", "This is not a CSV or XLSX file.", "文件不是 CSV 或 XLSX 格式。")])
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # newline="": a CR-only file (Excel for Mac) splits into lines like any other.
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[list[str]] = []
    cells = 0
    try:
        for row in reader:
            rows.append([cell.strip() for cell in row])
            cells += len(row)
            _check_size(len(rows), len(row), cells)
    except csv.Error as exc:
        row_no = len(rows) + 1
        raise PackingListInvalid([RowError(row_no, "", f"Row {row_no} cannot be read as CSV ({exc}).",
                                           f"第 {row_no} 行无法按 CSV 读取。")]) from None
    return rows


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    """A binary or UTF-16 file that happened to decode: control characters everywhere (UTF-16 has a NUL after
    every ASCII character). A CSV with stray NULs in its cells is read, and each such cell is refused at its
    row and column (parse_packing_list)."""
    sample = text[:65_536]
    return len(_CONTROL.findall(sample)) > max(16, len(sample) // 10)


def _check_size(row_count: int, width: int, cells: int) -> None:
    if row_count > MAX_ROWS:
        raise PackingListInvalid([RowError(row_count, "", f"The list has more than {MAX_ROWS:,} rows.",
                                           f"装箱单超过 {MAX_ROWS:,} 行。")])
    if width > MAX_COLUMNS:
        raise PackingListInvalid([RowError(row_count, "", f"Row {row_count} has more than {MAX_COLUMNS} columns.",
                                           f"第 {row_count} 行超过 {MAX_COLUMNS} 列。")])
    if cells > MAX_CELLS:
        raise PackingListInvalid([RowError(row_count, "", f"The list has more than {MAX_CELLS:,} cells.",
                                           f"装箱单超过 {MAX_CELLS:,} 个单元格。")])


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    unreadable = (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, IndexError, TypeError)
    try:
        # The zip directory's sizes, before anything is unpacked: a zip bomb is refused unread.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except unreadable as exc:
        raise PackingListInvalid([RowError(0, "", f"The workbook cannot be read ({exc}).", "无法读取该工作簿。")]) \
            from None
    if unzipped > MAX_UNZIPPED:
        raise PackingListInvalid([RowError(0, "", f"The workbook unpacks to {unzipped:,} bytes, more than "
                                                  f"{MAX_UNZIPPED:,}.", "工作簿解压后过大。")])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # The declared <dimension> is ignored: a row is as wide as its cells (openpyxl pads rows to it).
        sheet.reset_dimensions()
        rows: list[list[str]] = []
        cells = 0
        pad = getattr(sheet, "_get_row", None)  # openpyxl's read-only row builder (private; may go away)

        def row_checked(row, *args, **kwargs):  # type: ignore[no-untyped-def]
            # A cell far to the right is refused before openpyxl pads its row out to it. Without this hook
            # the padded row is still refused below, at the cost of one wide row in memory.
            if row and max(c["column"] for c in row) > MAX_COLUMNS:
                _check_size(len(rows) + 1, MAX_COLUMNS + 1, cells)
            return pad(row, *args, **kwargs)

        if pad is not None:
            sheet._get_row = row_checked
        for values in sheet.iter_rows(values_only=True):
            row = [_xlsx_cell(v) for v in values]
            while row and not row[-1]:
                row.pop()
            rows.append(row)
            cells += len(row)
            _check_size(len(rows), len(row), cells)
        book.close()
    except unreadable as exc:
        raise PackingListInvalid([RowError(0, "", f"The workbook cannot be read ({exc}).", "无法读取该工作簿。")]) \
            from None
    return rows


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old Excel 97-2003 .xls (or another Office file)


def _read_xls(data: bytes) -> list[list[str]]:
    save_as = ("The old .xls workbook cannot be read{why}. Open it in Excel or WPS and save it as .xlsx "
               "(Excel Workbook), then import that.")
    save_as_zh = "无法读取该 .xls 旧格式工作簿。请用 Excel 或 WPS 打开并另存为 .xlsx（Excel 工作簿）后再导入。"
    try:
        import xlrd
    except ImportError:  # pragma: no cover - xlrd is a dependency
        raise PackingListInvalid([RowError(0, "", save_as.format(why=""), save_as_zh)]) from None
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
        sheet = book.sheet_by_index(0)
        rows = [[_xls_cell(book, cell) for cell in sheet.row(index)] for index in range(sheet.nrows)]
    except Exception as exc:  # noqa: BLE001 - xlrd raises many kinds on a damaged or encrypted file
        raise PackingListInvalid([RowError(0, "", save_as.format(why=f" ({exc})"), save_as_zh)]) from None
    book.release_resources()
    return rows


def _xls_cell(book: object, cell: object) -> str:
    import xlrd

    kind, value = cell.ctype, cell.value  # type: ignore[attr-defined]
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, book.datemode).isoformat()  # type: ignore[attr-defined]
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(value)
    if kind == xlrd.XL_CELL_BOOLEAN:
        return str(bool(value))
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    return _xlsx_cell(value)


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float) and abs(value) >= 1e15:
        # Excel keeps 15 significant digits: an 18-digit SSCC typed as a number has lost its end.
        return f"#NUMBER:{value!r}"
    return str(value).strip()


def normalise_header(cell: str) -> tuple[str, str]:
    """('qty', '') from 'Qty / Ctn', ('net', 'lbs') from 'N.W. (lbs)'."""
    unit_match = _UNIT.search(cell)
    unit = unit_match.group(1).strip().lower() if unit_match else ""
    name = _UNIT.sub("", cell).lower()
    name = re.sub(r"[\s._/#:：\-]+", "", name)
    if name not in _COLUMN_OF:
        # A unit written without brackets: 'N.W.KGS', '净重KG', 'Qty pcs'.
        for suffix, suffix_unit in _HEADER_UNITS.items():
            if name.endswith(suffix) and name[: -len(suffix)] in _COLUMN_OF:
                return _COLUMN_OF[name[: -len(suffix)]], unit or suffix_unit
    return _COLUMN_OF.get(name, ""), unit


def _find_header(rows: Sequence[Sequence[str]]) -> tuple[int, dict[str, tuple[int, str, str]]]:
    for index, row in enumerate(rows[:30]):
        columns: dict[str, tuple[int, str, str]] = {}
        for position, cell in enumerate(row):
            column, unit = normalise_header(str(cell))
            if column and column not in columns:
                columns[column] = (position, str(cell), unit)
        if "carton" in columns and "qty" in columns:
            return index, columns
    seen = [(number, row) for number, row in enumerate(rows[:30], 1) if any(str(c).strip() for c in row)][:5]
    cells = [(number, " | ".join(_short(c) for c in row if str(c).strip())[:120]) for number, row in seen]
    preview = "; ".join(f"row {number}: {text}" for number, text in cells) or "the file has no rows"
    preview_zh = "；".join(f"第 {number} 行：{text}" for number, text in cells) or "文件中没有任何行"
    known = "; ".join(f"{column}: {en}" for column, (en, _) in KNOWN_HEADERS.items())
    known_zh = "；".join(zh for _, zh in KNOWN_HEADERS.values())
    raise PackingListInvalid([RowError(
        0, "", "No header row found: the list needs at least a carton number column (Carton No. / 箱号) "
               f"and a quantity column (Qty / 数量). The first rows read: {preview}. Known headers: {known}.",
        f"未找到表头：至少需要箱号列（箱号）和数量列（数量）。读取到的前几行：{preview_zh}。可识别的表头：{known_zh}。")])


def _short(cell: object, width: int = 20) -> str:
    text = str(cell).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_packing_list(rows: Sequence[Sequence[str]], lines: Iterable[LineRef], po_number: str,
                       colour_aliases: Mapping[str, str] | None = None) -> list[CartonSpec]:
    """Turn the table into cartons; raise PackingListInvalid listing every bad row and column.

    `colour_aliases` are the customer's other names for the order's colours ({"黑色": "Black"}).
    """
    header_index, columns = _find_header(rows)
    aliases = {k.strip().lower(): v.strip().lower() for k, v in (colour_aliases or {}).items()}

    def colour_key(text: str) -> str:
        key = text.strip().lower()
        return aliases.get(key, key)

    by_sku = {line.sku.strip().lower(): line for line in lines}
    by_assortment = {(colour_key(line.colour), line.size.strip().lower()): line for line in by_sku.values()}
    colours = {colour for colour, _ in by_assortment}
    errors: list[RowError] = []
    totals = _Totals()
    cartons: list[CartonSpec] = []
    numbers: dict[int, int] = {}
    barcodes: dict[str, int] = {}
    group: list[CartonSpec] = []

    def cell(row: Sequence[str], column: str) -> str:
        where = columns.get(column)
        return str(row[where[0]]).strip() if where and where[0] < len(row) else ""

    def err(row_no: int, column: str, message: str, message_zh: str, **about: str) -> None:
        errors.append(RowError(row_no, columns[column][1] if column in columns else column, message, message_zh,
                               **about))

    for index in range(header_index + 1, len(rows)):
        row, row_no = rows[index], index + 1
        if not any(str(c).strip() for c in row):
            continue
        first = next(str(c).strip().lower() for c in row if str(c).strip())
        if _is_total(cell(row, "carton")) or _is_total(str(row[0]) if row else "") or _is_total(first):
            if not errors:
                totals.check(row, row_no, cell, columns, errors)
            break
        if first.startswith(_FOOTER):
            break
        if not _text_cells_fit(row, row_no, cell, columns, err):
            continue  # the row is refused as it stands: its other cells would only add noise
        line = _resolve_line(cell(row, "sku"), colour_key(cell(row, "colour")), cell(row, "size"), by_sku,
                             by_assortment)
        if line is None and not cell(row, "sku") and colour_key(cell(row, "colour")) not in colours:
            what = cell(row, "colour")
            err(row_no, "colour", f"Unknown colour {what!r}: no line of this order has it. Add it to the "
                                  "customer's colour aliases if it is another name for an order colour.",
                f"未知的颜色「{what}」：本订单没有该颜色。如果它是订单颜色的别名，请在客户的颜色别名中添加。",
                # An empty cell is no other name for anything: nothing to offer as an alias.
                **({"kind": "unknown_colour", "value": what} if what else {}))
        elif line is None:
            what = cell(row, "sku") or f"{cell(row, 'colour')} / {cell(row, 'size')}"
            err(row_no, "sku" if "sku" in columns else "colour",
                f"Unknown SKU {what!r}: it is not a line of this order.", f"未知的 SKU「{what}」：不在本订单中。")
        qty = _quantity(cell(row, "qty"))
        if qty is None or qty <= 0:
            err(row_no, "qty", f"Quantity {_short(cell(row, 'qty'), 40)!r} is not a whole number above 0.",
                f"数量「{_short(cell(row, 'qty'), 40)}」不是大于 0 的整数。")
        elif qty > MAX_INT:
            err(row_no, "qty", f"Quantity {_short(cell(row, 'qty'), 40)!r} is too large (at most {MAX_INT:,}).",
                f"数量「{_short(cell(row, 'qty'), 40)}」过大（最多 {MAX_INT:,}）。")
            qty = None
        carton_cell = cell(row, "carton")
        if not carton_cell:
            # A merged carton cell: this row adds another SKU to the cartons above (an assorted pack).
            if not group:
                err(row_no, "carton", "Carton number missing.", "缺少箱号。")
            elif line and qty:
                for spec in group:
                    spec.items.append((line.key, qty))
            totals.add_row(qty, len(group), None, None, new_cartons=False)
            continue
        match = _RANGE.match(carton_cell)
        if not match:
            err(row_no, "carton", f"Carton number {_short(carton_cell, 40)!r} is not a number or a range like 1-20.",
                f"箱号「{_short(carton_cell, 40)}」不是数字或 1-20 这样的范围。")
            group = []
            continue
        start, end = int(match.group(1)), int(match.group(2) or match.group(1))
        if end > MAX_INT:
            err(row_no, "carton", f"Carton number {carton_cell!r} is too large (at most {MAX_INT:,}).",
                f"箱号「{carton_cell}」过大（最多 {MAX_INT:,}）。")
            group = []
            continue
        if end < start or end - start >= MAX_CARTONS:
            err(row_no, "carton", f"Carton range {carton_cell!r} runs backwards or is too long.",
                f"箱号范围「{carton_cell}」无效。")
            group = []
            continue
        count = end - start + 1
        weights = _weights(row, row_no, cell, columns, err)
        dims = _dimensions(row, row_no, cell, columns, err)
        codes = _barcodes(cell(row, "barcode"), start, count, po_number, row_no, err)
        group = []
        totals.add_row(qty, count, *_raw_weights(row, cell))
        for offset in range(count):
            number = start + offset
            if number in numbers:
                err(row_no, "carton", f"Carton {number} is listed twice (also on row {numbers[number]}).",
                    f"箱号 {number} 重复（第 {numbers[number]} 行也有）。")
            numbers.setdefault(number, row_no)
            code = codes[offset] if codes else ""
            if code and code in barcodes:
                err(row_no, "barcode", f"Barcode {code} is used twice (also on row {barcodes[code]}).",
                    f"条码 {code} 重复（第 {barcodes[code]} 行也有）。")
            barcodes.setdefault(code, row_no)
            spec = CartonSpec(number, code, *weights, *dims)
            if line and qty:
                spec.items.append((line.key, qty))
            group.append(spec)
        cartons.extend(group)
        if len(cartons) > MAX_CARTONS:
            err(row_no, "carton", f"More than {MAX_CARTONS} cartons.", f"箱数超过 {MAX_CARTONS}。")
            break
    if not cartons and not errors:
        errors.append(RowError(header_index + 1, "", "The packing list has no cartons.", "装箱单中没有箱子。"))
    if not errors and totals.pieces > MAX_INT:
        errors.append(RowError(header_index + 1, columns["qty"][1], f"The list holds more than {MAX_INT:,} pieces.",
                               f"装箱单总件数超过 {MAX_INT:,}。"))
    if errors:
        raise PackingListInvalid(errors)
    cartons.sort(key=lambda c: c.number)
    return cartons


_TEXT_LABELS = {"barcode": ("Barcode", "条码"), "sku": ("SKU", "SKU"), "colour": ("Colour", "颜色"),
                "size": ("Size", "尺码")}


def _text_cells_fit(row, row_no, cell, columns, err) -> bool:  # type: ignore[no-untyped-def]
    """False (with an error) when a cell the import reads holds a NUL character, which PostgreSQL cannot store,
    or when a text cell is longer than its column (MAX_TEXT)."""
    fits = True
    for column in columns:
        text = cell(row, column)
        if "\x00" in text:
            shown = _short(text.replace("\x00", "␀"), 40)
            err(row_no, column, f"The cell {shown!r} contains a NUL character (shown as ␀). Remove it and export "
                                "the list again.", f"单元格「{shown}」含有 NUL 字符（显示为 ␀），请删除后重新导出。")
            fits = False
        elif column in MAX_TEXT and len(text) > MAX_TEXT[column]:
            label, label_zh = _TEXT_LABELS[column]
            err(row_no, column, f"{label} {_short(text, 40)!r} is longer than {MAX_TEXT[column]} characters.",
                f"{label_zh}「{_short(text, 40)}」超过 {MAX_TEXT[column]} 个字符。")
            fits = False
    return fits


def _resolve_line(sku: str, colour: str, size: str, by_sku: dict[str, LineRef],
                  by_assortment: dict[tuple[str, str], LineRef]) -> LineRef | None:
    if sku:
        return by_sku.get(sku.lower())
    return by_assortment.get((colour.lower(), size.lower()))


def _is_total(text: str) -> bool:
    return re.sub(r"[\s:：]+", "", text.lower()).startswith(_TOTAL)


def _quantity(text: str) -> int | None:
    """A whole number of pieces, perhaps with its unit: '12', '1,200', '12件', '12 pcs', '12 套'."""
    match = _QTY.match(text)
    return _whole(match.group(1)) if match else None


def _raw_weights(row, cell) -> tuple[Decimal | None, Decimal | None]:  # type: ignore[no-untyped-def]
    """The row's weights as written (the column's own unit), for checking a total row."""
    return (_decimal(cell(row, "net"), None) if cell(row, "net") else None,
            _decimal(cell(row, "gross"), None) if cell(row, "gross") else None)


@dataclass
class _Totals:
    """What the rows add up to, both per carton (a range counts each carton) and as the cells are written."""

    pieces: int = 0
    cells: int = 0
    cartons: int = 0
    weights: dict[str, list[Decimal]] = field(default_factory=lambda: {"net": [Decimal(0), Decimal(0)],
                                                                          "gross": [Decimal(0), Decimal(0)]})

    def add_row(self, qty: int | None, count: int, net: Decimal | None, gross: Decimal | None, *,
                new_cartons: bool = True) -> None:
        """`count` cartons hold `qty` each; a merged carton cell adds to cartons counted already."""
        self.pieces += (qty or 0) * count
        self.cells += qty or 0
        self.cartons += count if new_cartons else 0
        for column, value in (("net", net), ("gross", gross)):
            if value is not None:
                self.weights[column][0] += value * count
                self.weights[column][1] += value

    def check(self, row, row_no, cell, columns, errors: list[RowError]) -> None:  # type: ignore[no-untyped-def]
        def differs(column: str, what: str, what_zh: str, stated: Decimal, computed: Decimal, also: Decimal,
                    tolerance: Decimal = Decimal(0)) -> None:
            if abs(stated - computed) <= tolerance or abs(stated - also) <= tolerance:
                return
            header = columns[column][1]
            errors.append(RowError(
                row_no, header, f"The total row says {_figure(stated)} {what} in {header!r}, but the rows above "
                                f"add up to {_figure(computed)}. Correct the rows or the total.",
                f"合计行「{header}」为 {_figure(stated)}，但上面各行相加为 {_figure(computed)}{what_zh}。请核对明细或合计。",
                stated=_figure(stated), computed=_figure(computed)))

        qty_text = cell(row, "qty")
        if qty_text:
            stated = _quantity(qty_text)
            if stated is None:
                errors.append(RowError(row_no, columns["qty"][1], f"The total {qty_text!r} is not a whole number.",
                                       f"合计数量「{qty_text}」不是整数。"))
            else:
                differs("qty", "pieces", " 件", Decimal(stated), Decimal(self.pieces), Decimal(self.cells))
        carton_text = cell(row, "carton")
        if carton_text and not _is_total(carton_text):
            stated = _quantity(re.sub(r"(ctns?|cartons?|箱)\.?\s*$", "", carton_text, flags=re.IGNORECASE).strip())
            if stated is not None:
                differs("carton", "cartons", " 箱", Decimal(stated), Decimal(self.cartons), Decimal(self.cartons))
        for column in ("net", "gross"):
            text = cell(row, column)
            if not text:
                continue
            stated_weight = _decimal(text, None)
            per_carton, as_written = self.weights[column]
            if stated_weight is not None:
                differs(column, "kg" if "lb" not in columns[column][2] else "lbs", "", stated_weight, per_carton,
                        as_written, tolerance=max(Decimal("0.1"), per_carton * Decimal("0.005")))


def _figure(value: Decimal) -> str:
    return f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _bounded(text: str) -> Decimal | None:
    """The number written, or None: a long cell, a huge exponent, Infinity and NaN are refused unconverted."""
    if len(text) > MAX_NUMBER_CHARS:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value.adjusted()) > 20:
        return None
    return value


def _whole(text: str) -> int | None:
    value = _bounded(text.replace(",", ""))
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else None


def _decimal(text: str, limit: Decimal | None = MAX_MEASURE) -> Decimal | None:
    """A measure from 0 up to `limit` (a total row's sum may be larger than one carton's measure)."""
    value = _bounded(text.replace(",", ".").strip())
    return value if value is not None and 0 <= value and (limit is None or value < limit) else None


def _weights(row, row_no, cell, columns, err) -> tuple[float | None, float | None]:  # type: ignore[no-untyped-def]
    found: dict[str, Decimal | None] = {}
    for column, zh in (("net", "净重"), ("gross", "毛重")):
        text = cell(row, column)
        if not text:
            found[column] = None
            continue
        value = _decimal(text)
        if value is None:
            err(row_no, column, f"Weight {_short(text, 40)!r} is not a number from 0 to {MAX_MEASURE:,}.",
                f"{zh}「{_short(text, 40)}」不是 0 到 {MAX_MEASURE:,} 之间的数字。")
        elif "lb" in columns[column][2]:
            value *= LB_TO_KG
        found[column] = value
    net, gross = found["net"], found["gross"]
    if net is not None and gross is not None and gross < net:
        err(row_no, "gross", f"Gross weight {gross:.2f} kg is below net weight {net:.2f} kg.",
            f"毛重 {gross:.2f} kg 小于净重 {net:.2f} kg。")
    return (float(net) if net is not None else None, float(gross) if gross is not None else None)


def _dimensions(row, row_no, cell, columns, err) -> tuple[float | None, float | None, float | None]:  # type: ignore[no-untyped-def]
    if text := cell(row, "dims"):
        match = _DIMS.match(text)
        sides = [_decimal(match.group(i)) for i in (1, 2, 3)] if match else [None]
        if not match or None in sides:
            err(row_no, "dims", f"Dimensions {_short(text, 40)!r} should look like 60x40x30.",
                f"尺寸「{_short(text, 40)}」应为 60x40x30 格式。")
            return (None, None, None)
        unit = (match.group(4) or columns["dims"][2] or "cm").lower()
        factor = {"mm": Decimal("0.1"), "in": Decimal("2.54"), "inch": Decimal("2.54"), '"': Decimal("2.54")}.get(unit, 1)
        return tuple(float(side * factor) for side in sides)  # type: ignore[operator,return-value]
    values = []
    for column in ("length", "width", "height"):
        text = cell(row, column)
        value = _decimal(text) if text else None
        if text and value is None:
            err(row_no, column, f"{_short(text, 40)!r} is not a number from 0 to {MAX_MEASURE:,}.",
                f"「{_short(text, 40)}」不是 0 到 {MAX_MEASURE:,} 之间的数字。")
        values.append(float(value) if value is not None else None)
    return tuple(values)  # type: ignore[return-value]


def _barcodes(text: str, start: int, count: int, po_number: str, row_no, err) -> list[str]:  # type: ignore[no-untyped-def]
    """The code of each carton in a row: its own, counted up from the first SSCC, or made from its number."""
    if text.startswith("#NUMBER:"):
        err(row_no, "barcode", "The barcode was saved as a number and Excel cut its last digits. "
                               "Format the column as text and export again.",
            "条码被 Excel 存成了数字，末几位已丢失。请把该列设为文本后重新导出。")
        return []
    if not text:
        # The last carton's code is the longest; a PO number can be up to 60 characters.
        if len(last := f"{po_number}-{start + count - 1}") > MAX_BARCODE:
            err(row_no, "carton", f"The carton code {_short(last, 40)!r}, made from the PO number and the carton "
                                  f"number, is longer than {MAX_BARCODE} characters. Give the cartons their "
                                  "barcodes in a Barcode column.",
                f"由 PO 号和箱号组成的箱码「{_short(last, 40)}」超过 {MAX_BARCODE} 个字符，请在条码列中填写箱子的条码。")
            return []
        return [f"{po_number}-{start + i}" for i in range(count)]
    if len(text) > MAX_BARCODE:
        err(row_no, "barcode", f"Barcode {_short(text, 40)!r} is longer than {MAX_BARCODE} characters.",
            f"条码「{_short(text, 40)}」超过 {MAX_BARCODE} 个字符。")
        return []
    sscc = gs1.sscc_from_text(text)
    if sscc is not None:
        if not gs1.is_valid_sscc(sscc):
            err(row_no, "barcode", f"SSCC {sscc} has a wrong check digit (expected {gs1.check_digit(sscc[:17])}).",
                f"SSCC {sscc} 校验位错误（应为 {gs1.check_digit(sscc[:17])}）。")
            return []
        body = int(sscc[:17])
        return [f"{body + i:017d}" + gs1.check_digit(f"{body + i:017d}") for i in range(count)]
    if count == 1:
        return [text]
    tail = re.search(r"(\d+)$", text)
    if not tail:
        err(row_no, "barcode", f"A range of {count} cartons needs a code ending in a number to count up from, "
                               "an SSCC, or an empty cell.",
            f"{count} 箱的范围需要以数字结尾的条码、SSCC 或留空。")
        return []
    width, first = len(tail.group(1)), int(tail.group(1))
    prefix = text[: tail.start()]
    if len(last := f"{prefix}{first + count - 1:0{width}d}") > MAX_BARCODE:  # 99 counts up to 100
        err(row_no, "barcode", f"Counting up from barcode {_short(text, 40)!r} for {count} cartons gives "
                               f"{_short(last, 40)!r}, longer than {MAX_BARCODE} characters.",
            f"从条码「{_short(text, 40)}」起为 {count} 箱递增编号后为「{_short(last, 40)}」，超过 {MAX_BARCODE} 个字符。")
        return []
    return [f"{prefix}{first + i:0{width}d}" for i in range(count)]
