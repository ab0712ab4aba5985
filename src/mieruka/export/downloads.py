"""Table downloads for every list page: CSV in UTF-8 with a BOM (so Excel reads Japanese), XLSX and JSON.
Framework-free: returns the bytes, the media type and the file name; the web layer wraps them in a response."""
from __future__ import annotations

import io
import json
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Iterator, Sequence

from mieruka.export.columns import CODED, LICENCE, SHEET, SOURCE, description, header, shown
from mieruka.export.formats import _default, cell, columns_of, csv_cell, csv_row_writer, formula_like, readable, to_json
from mieruka.jp.text import FORMULA_START

FORMATS = ("csv", "xlsx", "json")
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
# Excel's limit on a sheet name.
_SHEET_NAME_MAX = 31


@dataclass
class Download:
    content: bytes
    media_type: str
    filename: str


def _control_picture(m) -> str:
    return chr(0x2400 + ord(m.group()))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


def xlsx_value(value):
    """Numbers, booleans and dates stay typed in the sheet, and a date written as ISO text (2021-03-31) becomes a
    date Excel knows; lists and dicts become readable text (never JSON). The control characters XML cannot hold
    (BEL, ESC...) become their Unicode pictures (␇, ␛) rather than fail the workbook."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = readable(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            pass
    return ILLEGAL_CHARACTERS_RE.sub(_control_picture, cell(value))


def xlsx_cell(ws, value):
    """xlsx_value(), and text a spreadsheet would take for a formula ("=HYPERLINK(...)", "@SUM(...)") written as a
    text cell with Excel's quote prefix: shown exactly as written, never run, not even once the cell is edited."""
    value = xlsx_value(value)
    if not (isinstance(value, str) and formula_like(value)):
        return value
    from openpyxl.cell import WriteOnlyCell

    text = WriteOnlyCell(ws)
    text._value = value  # the value setter would type a leading "=" as a formula
    text.data_type = "s"
    text.quotePrefix = True
    return text


def _bold_row(ws, values) -> list:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    out = []
    for v in values:
        c = WriteOnlyCell(ws, value=xlsx_value(v))
        c.font = Font(bold=True)
        out.append(c)
    return out


def _write_xlsx(target, rows: Iterable[dict], cols: list[str], sheet: str, lang: str = "ja") -> None:
    """The workbook openpyxl makes (write-only) of the header, the rows and the columns' description, byte for byte,
    but the rows' cells written as openpyxl writes them, as text, not a cell object and an XML element each: that was
    most of the time of a download of 10,000 KPIs, which `mieruka publish` makes again after any change. The rows are
    written first, noting the order in which a date, a date and time and a quote-prefixed text first came (openpyxl
    numbers the styles in that order, after the header's bold); openpyxl then makes the rest — the header, the
    second sheet, the styles, the parts — with one probe row of those cells in that order, whose place the rows take."""
    import zipfile

    from openpyxl import Workbook

    first_used: list[str] = []
    with tempfile.TemporaryFile() as body:
        for chunk in _batched(_sheet_rows(rows, cols, lang, first_used)):
            body.write(chunk)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=sheet[:_SHEET_NAME_MAX])
        ws.freeze_panes = "A2"  # the header stays in view while scrolling, as in the full export workbook
        ws.append(_bold_row(ws, [header(c, lang) for c in cols]))
        probes = {"date": date(2000, 1, 1), "datetime": datetime(2000, 1, 1, 12), "quoted": xlsx_cell(ws, "=probe")}
        ws.append([probes[kind] for kind in first_used])
        _describe_columns(wb, cols, lang)
        made = io.BytesIO()
        wb.save(made)
        with zipfile.ZipFile(made) as skeleton, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in skeleton.infolist():
                content = skeleton.read(info)
                if info.filename != "xl/worksheets/sheet1.xml":
                    out.writestr(info, content)
                    continue
                head, probe, tail = re.match(rb'(.*?<row r="1"[^>]*>.*?</row>)(<row r="2"(?:/>|.*?</row>))(.*)',
                                             content, re.S).groups()
                given = [int(x) for x in re.findall(rb' s="(\d+)"', probe)]
                if given != [_FIRST_STYLE + i for i in range(len(first_used))]:
                    raise RuntimeError(f"openpyxl numbered the download's styles {given}, not as expected")
                with out.open(info, "w") as f:
                    f.write(head)
                    body.seek(0)
                    while chunk := body.read(_CHUNK):
                        f.write(chunk)
                    f.write(tail)


_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ERROR_CODES = ('#NULL!', '#DIV/0!', '#VALUE!', '#REF!', '#NAME?', '#NUM!', '#N/A')
_TEXT_MAX = 32767  # what openpyxl cuts a text to
_FIRST_STYLE = 2  # after the default (0) and the header's bold (1)


def _sheet_rows(rows: Iterable[dict], cols: list[str], lang: str, first_used: list[str]) -> Iterator[str]:
    """The data rows (from row 2) as openpyxl's write-only sheet writes each cell (lxml_write_cell, every character
    past ASCII as a character reference): a number or a boolean as its value, a text inline (cut at 32,767
    characters; its spaces kept when it starts or ends with some), a date as its Excel serial number in a date style;
    None no cell at all. first_used gets the kinds of styled cells in the order they first come."""
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import to_excel

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    illegal = ILLEGAL_CHARACTERS_RE.sub
    letters = [get_column_letter(i) for i in range(1, len(cols) + 1)]
    cells = [(c, lang == "ja" and c in CODED) for c in cols]
    styles: dict[str, str] = {}
    serials: dict[date, str] = {}  # a date's serial number, made once (10,000 KPIs hold few dates, each many times)

    def style(kind: str) -> str:
        if kind not in styles:
            styles[kind] = f' s="{_FIRST_STYLE + len(first_used)}"'
            first_used.append(kind)
        return styles[kind]

    for number, row in enumerate(rows, start=2):
        out = [f'<row r="{number}">']
        get = row.get
        for letter, (c, coded) in zip(letters, cells):
            value = get(c)
            if value is None:
                continue
            ref = f"{letter}{number}"
            # the usual cells (a text, a number, a date) made here as xlsx_cell() makes them: xlsx_cell's way through
            # readable() and its tests, cell by cell, was half the time of a download of 10,000 KPIs
            kind = type(value)
            if kind is str:
                if coded:
                    value = shown(c, value, lang)
                # a text that is no ISO date and no formula: the text itself
                if type(value) is str and not value.startswith(FORMULA_START) and (
                        not value[:1].isdecimal() or not (_ISO_DATE.fullmatch(value) or _ISO_DATETIME.fullmatch(value))):
                    value = illegal(_control_picture, value)[:_TEXT_MAX]
                    out.append(f'<c r="{ref}" t="e"><v>{value}</v></c>' if value in _ERROR_CODES
                               else _text_xml(ref, "", value))
                    continue
                value = xlsx_cell(None, value)
            elif kind is int or kind is float:
                out.append(f'<c r="{ref}" t="n"><v>{_number(value)}</v></c>')
                continue
            elif kind is date:
                serial = serials.get(value)
                if serial is None:
                    serial = serials[value] = _number(to_excel(value))
                out.append(f'<c r="{ref}"{style("date")} t="n"><v>{serial}</v></c>')
                continue
            else:  # coded columns show only texts differently (shown())
                value = xlsx_cell(None, value)
            if value is None:
                continue
            if isinstance(value, str):
                value = value[:_TEXT_MAX]
                if value in _ERROR_CODES:
                    out.append(f'<c r="{ref}" t="e"><v>{value}</v></c>')
                    continue
                out.append(_text_xml(ref, "", value))
            elif isinstance(value, bool):
                out.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, (int, float)):
                out.append(f'<c r="{ref}" t="n"><v>{_number(value)}</v></c>')
            elif isinstance(value, datetime):
                out.append(f'<c r="{ref}"{style("datetime")} t="n"><v>{_number(to_excel(value))}</v></c>')
            elif isinstance(value, date):
                out.append(f'<c r="{ref}"{style("date")} t="n"><v>{_number(to_excel(value))}</v></c>')
            else:  # a quote-prefixed text cell (xlsx_cell)
                out.append(_text_xml(ref, style("quoted"), value._value[:_TEXT_MAX]))
        out.append("</row>")
        yield "".join(out).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _text_xml(ref: str, style: str, text: str) -> str:
    if text == "":
        return f'<c r="{ref}"{style} t="inlineStr"></c>'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and text != stripped else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text.translate(_XML_TEXT)}</t></is></c>'


def _number(value) -> str:
    """A number as openpyxl writes it (safe_string): 16 significant digits, nothing for NaN and infinity."""
    return "" if value != value or value in (float("inf"), float("-inf")) else "%.16g" % value


def _describe_columns(wb, cols: list[str], lang: str) -> None:
    """The second sheet, 「列の説明」: each column's header, key and meaning, then the data's source and licence."""
    ws = wb.create_sheet(title=SHEET[lang])
    ws.append(_bold_row(ws, ["列", "キー", "説明"] if lang == "ja" else ["column", "key", "description"]))
    for c in cols:
        ws.append([xlsx_cell(ws, header(c, lang)), xlsx_cell(ws, c), xlsx_cell(ws, description(c, lang))])
    ws.append([])
    ws.append([xlsx_cell(ws, SOURCE[lang])])
    ws.append([xlsx_cell(ws, LICENCE[lang])])


def to_xlsx(rows: Sequence[dict], columns: Sequence[str] | None = None, sheet: str = "mieruka",
            lang: str = "ja") -> bytes:
    buf = io.BytesIO()
    _write_xlsx(buf, rows, columns_of(rows, columns), sheet, lang)
    return buf.getvalue()


def _csv_text(rows: Sequence[dict], columns: Sequence[str] | None, lang: str) -> str:
    cols = columns_of(rows, columns)
    buf = io.StringIO()
    buf.write("\ufeff")
    write = csv_row_writer(buf)
    for values in _rows(cols, rows, lang):
        write(values)
    return buf.getvalue()


def make_download(rows: Sequence[dict], fmt: str, name: str, columns: Sequence[str] | None = None,
                  lang: str = "ja") -> Download:
    """rows as a file called name.fmt, its CSV and XLSX headers in the page's language (lang; the JSON keeps the
    keys); raises ValueError for a format other than csv, xlsx or json."""
    if fmt == "csv":
        content = _csv_text(rows, columns, lang).encode("utf-8")
    elif fmt == "xlsx":
        content = to_xlsx(rows, columns, sheet=name, lang=lang)
    elif fmt == "json":
        cols = columns_of(rows, columns)
        content = to_json([{c: row.get(c) for c in cols} for row in rows]).encode("utf-8")
    else:
        raise ValueError(f"unknown download format {fmt!r}: use one of {', '.join(FORMATS)}")
    return Download(content, _MEDIA[fmt], f"{name}.{fmt}")


_CHUNK = 64 * 1024


def stream_download(rows: Iterable[dict], fmt: str, name: str, columns: Sequence[str],
                    lang: str = "ja") -> tuple[Iterator[bytes], str, str]:
    """The same bytes as make_download, produced while rows are read: (chunks, media type, file name).
    CSV and JSON go out row by row; XLSX is written to a temporary file (openpyxl's write-only mode) and sent from it."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown download format {fmt!r}: use one of {', '.join(FORMATS)}")
    cols = list(columns)
    chunks = {"csv": _csv_chunks, "json": _json_chunks, "xlsx": _xlsx_chunks}[fmt](rows, cols, name, lang)
    return chunks, _MEDIA[fmt], f"{name}.{fmt}"


def _batched(lines: Iterator[str]) -> Iterator[bytes]:
    buf, size = [], 0
    for line in lines:
        buf.append(line)
        size += len(line)
        if size >= _CHUNK:
            yield "".join(buf).encode("utf-8")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8")


def _csv_chunks(rows: Iterable[dict], cols: list[str], _name: str, lang: str) -> Iterator[bytes]:
    out = io.StringIO()
    write = csv_row_writer(out)
    out.write("\ufeff")
    for values in _rows(cols, rows, lang):
        write(values)
        if out.tell() >= _CHUNK:  # rows written into one buffer, sent a chunk at a time
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode("utf-8")


def _rows(cols: list[str], rows: Iterable[dict], lang: str):
    yield [csv_cell(header(c, lang)) for c in cols]
    # each column's conversion chosen once: only coded columns of a Japanese download pass through shown(), which
    # was half the time of a 2,000-row download when every cell went through it
    cells = [(c, _cell_maker(c, lang)) for c in cols]
    for r in rows:
        get = r.get
        yield [make(get(c)) for c, make in cells]


def _cell_maker(key: str, lang: str):
    if lang != "ja" or key not in CODED:
        return csv_cell
    return lambda value: csv_cell(shown(key, value, lang))


# An item of json.dumps(list, indent=2) whose values are none of them a list or a dict, made by json's C encoder (with
# indent json encodes in Python: 0.25 s for 10,000 KPIs): the lines between the items are its item separator; its
# texts hold no line break (escaped), so the first and last characters are the item's braces.
_FLAT_ITEM = json.JSONEncoder(ensure_ascii=False, default=_default, separators=(",\n    ", ": ")).encode


def _json_chunks(rows: Iterable[dict], cols: list[str], _name: str, _lang: str) -> Iterator[bytes]:
    # json.dumps(list, indent=2) written one item at a time: the same text as make_download gives
    def lines():
        first = True
        for r in rows:
            values = [r.get(c) for c in cols]
            start = "[\n" if first else ",\n"
            first = False
            if cols and _FLAT.issuperset(map(type, values)):
                item = _FLAT_ITEM(dict(zip(cols, values)))
                yield f"{start}  {{\n    {item[1:-1]}\n  }}"
                continue
            item = json.dumps(dict(zip(cols, values)), ensure_ascii=False, indent=2, default=_default)
            yield start + "\n".join("  " + x for x in item.split("\n"))
        yield "[]" if first else "\n]"
    return _batched(lines())


# The values _FLAT_ITEM encodes as indent=2 would (a date through _default, as a text); anything else (a list, a dict,
# an object with to_dict, a subclass) goes through json.dumps(indent=2).
_FLAT = frozenset((str, int, float, bool, type(None), date, datetime))


def _xlsx_chunks(rows: Iterable[dict], cols: list[str], name: str, lang: str) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as f:
        _write_xlsx(f, rows, cols, name, lang)
        f.seek(0)
        while chunk := f.read(_CHUNK):
            yield chunk
