"""The official tables as XLSX for the office: the same grouping as the print view, group cells merged, thin
borders, A4 landscape fitted to the page width with the header rows repeated, dates shown in 和暦."""
from __future__ import annotations

import io
from copy import copy
from datetime import date
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
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
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    c = ws.cell(row, col)
    if isinstance(value, str):
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
                ws.merge_cells(start_row=row, start_column=col, end_row=row + rowspan - 1, end_column=col + colspan - 1)
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
        ws.merge_cells(start_row=start, start_column=col, end_row=end, end_column=col)


def widths(ws: Worksheet, values: list[float]) -> None:
    for i, w in enumerate(values, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def to_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
