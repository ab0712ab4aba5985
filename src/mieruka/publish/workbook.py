"""The official tables as XLSX for the office: the same grouping as the print view, group cells merged, thin
borders, A4 landscape fitted to the page width with the header rows repeated, dates shown in 和暦."""
from __future__ import annotations

import io
import re
import struct
import time
import zipfile
import zlib
from copy import copy
from itertools import islice
from datetime import date, datetime, timezone
from typing import Callable
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

from mieruka.jp import format_wareki
from mieruka.jp.text import formula_like

# Excel's Japanese-calendar date format (ggg = 平成/令和, e = era year): the cell keeps a real date.
WAREKI_FORMAT = '[$-ja-JP-x-gannen]ggge"年"m"月"d"日";@'
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEAD_FILL = PatternFill("solid", fgColor="E8E8E8")
GROUP_FILL = PatternFill("solid", fgColor="F4F4F4")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
FONT = "游ゴシック"


def new_sheet(title: str, landscape: bool = True) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = "&P / &N"
    return wb, ws


def put(ws: Worksheet, row: int, col: int, value=None):
    """ws.cell(row, col, value) for a value a document gave us: the control characters XML cannot hold (BEL, ESC)
    become their pictures (␇, ␛) instead of failing the workbook, and text a spreadsheet would run as a formula
    ("=HYPERLINK(...)", "@SUM(...)") is a quote-prefixed text cell, shown as written and never run."""
    c = ws.cell(row, col)
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
        if formula_like(value):
            c._value, c.data_type, c.quotePrefix = value, "s", True  # the value setter would make "=..." a formula
            return c
    if value is not None:
        c.value = value
    return c


def heading(ws: Worksheet, title: str, published: date | None, width: int, lang: str = "ja") -> None:
    put(ws, 1, 1, title).font = Font(name=FONT, bold=True, size=13)
    if published is not None:
        text = published.isoformat() if lang == "en" else f"{published.isoformat()}（{format_wareki(published)}）"
        cell = ws.cell(1, width, text)
        cell.alignment = Alignment(horizontal="right")


def header_rows(ws: Worksheet, first_row: int, rows: list[list[tuple[str, int, int]]]) -> None:
    """Header cells given as (text, rowspan, colspan) per row, merged, filled and bordered; repeated on every page."""
    taken: set[tuple[int, int]] = set()
    for r_off, cells in enumerate(rows):
        row, col = first_row + r_off, 1
        for text, rowspan, colspan in cells:
            while (row, col) in taken:
                col += 1
            for rr in range(row, row + rowspan):
                for cc in range(col, col + colspan):
                    taken.add((rr, cc))
                    c = ws.cell(rr, cc)
                    c.border, c.fill, c.alignment = BORDER, HEAD_FILL, CENTER
                    c.font = Font(name=FONT, bold=True, size=9)
            put(ws, row, col, text)
            if rowspan > 1 or colspan > 1:
                merge(ws, row, col, row + rowspan - 1, col + colspan - 1)
            col += colspan
    ws.print_title_rows = f"{first_row}:{first_row + len(rows) - 1}"
    ws.freeze_panes = ws.cell(first_row + len(rows), 1)


# Each worksheet's body-cell styles, made once: openpyxl hashes every style object assigned to a cell, which made
# styling most of the time of a sheet (mieruka publish writes one sheet per KPI). Copying the made style's indices
# gives the same cells.
_BODY_STYLES: WeakKeyDictionary = WeakKeyDictionary()


def body_cell(ws: Worksheet, row: int, col: int, value, *, align: Alignment = WRAP, bold: bool = False,
              wareki: bool = False):
    c = put(ws, row, col, value)
    dated = wareki and isinstance(value, date)
    styles = _BODY_STYLES.setdefault(ws, {})
    key = (id(align), bold, dated, bool(c.quotePrefix))  # quotePrefix is part of the style: a formula-like text keeps it
    made = styles.get(key)
    if made is None:
        c.border, c.alignment = BORDER, align
        c.font = Font(name=FONT, size=9, bold=bold)
        if dated:
            c.number_format = WAREKI_FORMAT
        styles[key] = (align, copy(c._style))  # align kept: its id stays its own while the sheet lives
    else:
        c._style = copy(made[1])
    return c


def merge_down(ws: Worksheet, col: int, start: int, end: int) -> None:
    if end > start:
        merge(ws, start, col, end, col)


# Per worksheet: what openpyxl's merge made of a cell's border or protection, by the style indices it started from.
_MERGED_STYLES: WeakKeyDictionary = WeakKeyDictionary()


def merge(ws: Worksheet, start_row: int, start_col: int, end_row: int, end_col: int) -> None:
    """ws.merge_cells for a range that overlaps none merged before (as a table's group cells never do): the same
    cells, borders and protection, without what made a table of 10,000 KPIs' merges take seconds — openpyxl checks
    each new range against every earlier one (quadratic) and looks up each border and protection it gives a cell by
    value (hashing style objects). A cell given a border from the same two borders gets the same border index, so
    each index is worked out once, by openpyxl itself."""
    mcr = MergedCellRange(ws, f"{get_column_letter(start_col)}{start_row}:{get_column_letter(end_col)}{end_row}")
    ws.merged_cells.ranges.add(mcr)
    cells = ws._cells
    for row, col in islice(mcr.cells, 1, None):
        cells[row, col] = MergedCell(ws, row, col)
    start = mcr.start_cell
    made = _MERGED_STYLES.setdefault(ws, {})
    start_border = _style_of(start).borderId
    for name in ("top", "left", "right", "bottom"):  # MergedCellRange.format's order
        key = (start_border, name)
        edge = made.get(key)
        if edge is None:
            side = getattr(start.border, name)
            edge = made[key] = None if side and side.style is None else ({}, Border(**{name: side}))
        if edge is None:
            continue
        results, border = edge
        for coord in getattr(mcr, name):
            cell = cells[coord]
            was = _style_of(cell).borderId
            now = results.get(was)
            if now is None:
                cell.border += border
                results[was] = cell._style.borderId
            else:
                cell._style.borderId = now
    key = ("protection", start._style.protectionId)
    protection = made.get(key)
    if protection is None:
        protection = made[key] = ws.parent._protections.add(copy(start.protection))
    for coord in mcr.cells:
        _style_of(cells[coord]).protectionId = protection


def _style_of(cell):
    """A cell's style indices, made (all 0) for a cell that has none yet, as reading a style through openpyxl does."""
    if cell._style is None:
        cell._style = StyleArray()
    return cell._style


def widths(ws: Worksheet, values: list[float]) -> None:
    for i, w in enumerate(values, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# A workbook made many times over with one layout (mieruka publish writes an indicator sheet per KPI): openpyxl made
# every one of them cell object by cell object, 40-100 ms each. SheetTemplate keeps what openpyxl made once — styles,
# theme, print settings, the fixed rows with their merges — and writes each workbook's cells as XML, with the style
# indices openpyxl gave the same formatting in the template.
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_CORE_TIMES = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


class SheetTemplate:
    """A one-sheet workbook's parts as openpyxl wrote them, to fill with rows: `styles` names the style indices
    (made by styling a probe cell with `make_styles` in the template), `fixed` the template's own rows."""

    def __init__(self, wb: Workbook, ws: Worksheet, probes: dict[str, Callable[[Worksheet, int], object]],
                 fixed_rows: int):
        self.styles = {}
        first_probe = ws.max_row + 10
        for i, (name, style) in enumerate(probes.items()):
            self.styles[name] = style(ws, first_probe + i).style_id
        # the fixed rows (cells kept with their style; values filled per workbook)
        self.fixed: dict[int, list[tuple[int, int, object]]] = {}
        for (r, c), cell in sorted(ws._cells.items()):
            if r <= fixed_rows and (cell._value is not None or cell.has_style):
                self.fixed.setdefault(r, []).append((c, cell.style_id if cell.has_style else 0, cell._value))
        for key in [k for k in ws._cells if k[0] > fixed_rows]:
            del ws._cells[key]
        parts = {}
        with zipfile.ZipFile(io.BytesIO(to_bytes(wb))) as z:
            for name in z.namelist():
                parts[name] = z.read(name)
        sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
        head, rest = sheet.split("<sheetData>", 1)
        self.head = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="{dimension}"', head, count=1)
        self.tail = rest.split("</sheetData>", 1)[1]
        self.parts = parts
        # the parts that are the same in every workbook, compressed once (deflating theme and styles again for each
        # KPI was most of making its sheet)
        self.deflated = {name: _deflated(content) for name, content in parts.items()
                         if name not in ("xl/worksheets/sheet1.xml", "docProps/core.xml")}

    def to_bytes(self, rows: dict[int, list[tuple[int, int, object]]]) -> bytes:
        """The workbook with these rows: row number → [(column, style index, value)], the fixed rows' values given
        by column where the template's differ (a value of None keeps the template's)."""
        out = ["<sheetData>"]
        last_row, last_col = 1, 1
        for r in sorted(rows):
            out.append(f'<row r="{r}">')
            for c, style, value in rows[r]:
                out.append(_cell_xml(r, c, style, value))
                last_col = max(last_col, c)
            out.append("</row>")
            last_row = r
        out.append("</sheetData>")
        dimension = f"A1:{get_column_letter(last_col)}{last_row}"
        sheet = (self.head.replace("{dimension}", dimension, 1) + "".join(out) + self.tail).encode("utf-8")
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        members = []
        for name, content in self.parts.items():
            if name == "xl/worksheets/sheet1.xml":
                members.append((name, _deflated(sheet)))
            elif name == "docProps/core.xml":  # when it was made, as openpyxl stamps it
                core = _CORE_TIMES.sub(lambda m: m.group(1) + now + m.group(2), content.decode("utf-8")).encode()
                members.append((name, _deflated(core)))
            else:
                members.append((name, self.deflated[name]))
        return _zip(members, time.localtime(time.time())[:6])

    def fixed_rows(self, values: dict[tuple[int, int], tuple[int, object]]) -> dict[int, list]:
        """The template's fixed rows with values (and their styles) set per cell: (row, column) → (style, value)."""
        rows = {}
        for r, cells in self.fixed.items():
            rows[r] = [(c,) + values.get((r, c), (s, v)) for c, s, v in cells]
        return rows


def _deflated(content: bytes) -> tuple[bytes, int, int]:
    """content as a zip member stores it: raw deflate (zipfile's level), its CRC-32 and its size."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return c.compress(content) + c.flush(), zlib.crc32(content), len(content)


def _zip(members: list[tuple[str, tuple[bytes, int, int]]], when: tuple) -> bytes:
    """A zip of members already deflated, laid out as zipfile.ZipFile.writestr(name, content) lays it out (Unix
    permissions 0600, the time given, no extra fields): zipfile has no way to take compressed data as it is."""
    dostime = when[3] << 11 | when[4] << 5 | when[5] // 2
    dosdate = (when[0] - 1980) << 9 | when[1] << 5 | when[2]
    out, central = bytearray(), bytearray()
    for name, (data, crc, size) in members:
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        offset = len(out)
        out += struct.pack("<4s2B4HL2L2H", b"PK\003\004", 20, 0, flags, zipfile.ZIP_DEFLATED, dostime, dosdate, crc,
                           len(data), size, len(encoded), 0) + encoded + data
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\001\002", 20, 3, 20, 0, flags, zipfile.ZIP_DEFLATED, dostime,
                               dosdate, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0o600 << 16, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\005\006", 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def _cell_xml(row: int, col: int, style: int, value) -> str:
    """One cell as openpyxl writes it: text inline (`put` rules: XML-illegal characters as their pictures), a date as
    its Excel serial number."""
    ref = f"{get_column_letter(col)}{row}"
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s} t="n"></c>'
    if isinstance(value, str):
        if value == "":
            return f'<c r="{ref}"{s} t="inlineStr"></c>'
        if ILLEGAL_CHARACTERS_RE.search(value):
            value = ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), value)
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{value.translate(_XML_ESCAPES)}</t></is></c>'
    if isinstance(value, (date, datetime)):
        return f'<c r="{ref}"{s} t="n"><v>{to_excel(value)}</v></c>'
    return f'<c r="{ref}"{s} t="n"><v>{value}</v></c>'
