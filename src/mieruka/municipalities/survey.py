"""Per-municipality survey tables (CSV in UTF-8 or CP932, or XLSX) read into checked rows, and the blank XLSX template.
Pure: bytes in, rows and per-line errors out; a file that cannot be read at all raises SurveyError."""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from mieruka.bodies import names, registry
from mieruka.bodies.registry import LocalBodyInfo
from mieruka.jp import ParseError, era_to_western, fiscal_year_of, parse, strip_invisible, visible

# Header text (after NFKC, lower case, without spaces, 「」 or a trailing unit in brackets) → field.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "code": ("code", "団体コード", "コード", "地方公共団体コード", "全国地方公共団体コード", "市区町村コード", "市町村コード", "jisコード"),
    "name": ("name", "団体名", "市区町村名", "市区町村", "市町村名", "市町村", "自治体名", "自治体"),
    "prefecture": ("prefecture", "都道府県", "都道府県名"),
    "adopted": ("adopted", "導入", "導入状況", "導入の有無", "実施", "実施状況", "実施の有無", "取組状況"),
    "year_started": ("year_started", "開始年度", "導入年度", "実施年度", "開始年"),
    "cost_before": ("cost_before", "導入前経費", "導入前費用", "実施前経費", "委託前経費", "経費導入前", "cost(before)"),
    "cost_after": ("cost_after", "導入後経費", "導入後費用", "実施後経費", "委託後経費", "経費導入後", "cost(after)"),
    "population": ("population", "人口", "住民基本台帳人口", "国勢調査人口"),
    "industry": ("industry", "産業構造", "産業構造区分"),
    "secondary_tertiary": ("secondary_tertiary", "第2次・第3次産業就業者比率", "第2次第3次産業就業者比率", "2次・3次産業比率", "2次3次比率"),
    "tertiary": ("tertiary", "第3次産業就業者比率", "3次産業比率", "3次比率"),
    "city_class": ("city_class", "団体区分", "都市区分", "市区分"),
}
_FIELD_OF = {alias: key for key, aliases in COLUMN_NAMES.items() for alias in aliases}
SURVEY_FIELDS = ("adopted", "year_started", "cost_before", "cost_after", "population")
ATTRIBUTE_FIELDS = ("population", "industry", "secondary_tertiary", "tertiary", "city_class")
TEMPLATE_HEADER = ("団体コード", "都道府県", "市区町村名", "導入", "開始年度", "導入前経費(円)", "導入後経費(円)", "人口")

_YES = {"1", "yes", "y", "true", "t", "○", "〇", "◯", "◎", "有", "あり", "有り", "済", "導入済", "導入済み",
        "実施", "実施済", "実施済み", "はい", "導入"}
_NO = {"0", "no", "n", "false", "f", "×", "✕", "✗", "無", "なし", "無し", "未", "未導入", "未実施", "いいえ", "非導入"}
# A dash in a Japanese table means "not applicable / no answer", not "no".
_NO_ANSWER = {"", "-", "－", "ー", "―", "—", "n/a", "na", "不明", "無回答"}

_MULTIPLIERS = {"円": 1, "千円": 1e3, "万円": 1e4, "百万円": 1e6, "億円": 1e8, "人": 1, "万人": 1e4, "%": 1}
_HEADER_UNIT = re.compile(r"[(\[【](?P<unit>[^)\]】]*)[)\]】]$")
_ERA_YEAR = re.compile(r"(?P<era>明治|大正|昭和|平成|令和|[MTSHR])(?P<year>\d{1,2}|元)(?:年度?)?", re.IGNORECASE)
_WESTERN_YEAR = re.compile(r"(?P<year>\d{4})(?:年度?)?")
_CLASSES = {"中核市": "中核市", "施行時特例市": "施行時特例市", "特例市": "施行時特例市"}
_HEADER_SEARCH_ROWS = 10
# A survey has one row per municipality (1,741) or prefecture: these bounds leave room for notes and blank rows
# and refuse, before the rows are read, a file that would take gigabytes (a 1.5 MB XLSX can unzip to 1.5 GB).
MAX_SURVEY_BYTES = 20 * 1024 * 1024
MAX_SURVEY_ROWS = 20_000
MAX_SURVEY_CELLS = 1_000_000
MAX_SURVEY_EXPANDED = 50 * 1024 * 1024
# The stored report keeps the first of the rejected lines and a count: a file of a million bad lines stored
# every one (170 MB) and every page listing imports loaded it.
REPORTED_ERRORS = 100


class SurveyError(ValueError):
    """The file as a whole cannot be imported: unreadable, a required column missing, or no valid row."""


@dataclass
class LineError:
    line: int
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Table:
    """The cells of one sheet or CSV file, each row with its 1-based line (CSV) or row number (XLSX)."""

    file_name: str
    encoding: str
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[Any]]]


@dataclass
class SurveyRow:
    line: int
    body: LocalBodyInfo
    adopted: bool | None = None
    year_started: int | None = None
    cost_before: float | None = None
    cost_after: float | None = None
    population: int | None = None
    industry: str | None = None
    secondary_tertiary: float | None = None
    tertiary: float | None = None
    city_class: str | None = None

    def answers(self, fields: tuple[str, ...]) -> dict:
        return {f: getattr(self, f) for f in fields}


@dataclass
class Survey:
    file_name: str
    encoding: str
    columns: dict[str, str]
    rows: list[SurveyRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    unanswered: int = 0

    def report(self) -> dict:
        """What is stored with the import: the first REPORTED_ERRORS rejected lines and how many there were."""
        return {"file": self.file_name, "encoding": self.encoding, "columns": self.columns, "rows": len(self.rows),
                "unanswered": self.unanswered, "rejected": len(self.errors),
                "errors": [e.to_dict() for e in self.errors[:REPORTED_ERRORS]]}


def read_survey(raw: bytes, file_name: str, initiative: str) -> Survey:
    """Rows of a survey for one initiative: which municipality, adopted or not, year, costs, population.

    The adoption column is the one headed with the initiative's name, else one headed 導入 / adopted."""
    table = read_table(raw, file_name)
    columns = map_columns(table.header, initiative)
    if "adopted" not in columns:
        expected = ", ".join((initiative,) + COLUMN_NAMES["adopted"][:4])
        raise SurveyError(f"{file_name}: no adoption column for {initiative!r} in the header on line "
                          f"{table.header_line}; expected a column named one of: {expected}")
    return _read_rows(table, columns, SURVEY_FIELDS + ATTRIBUTE_FIELDS[1:])


def read_attributes(raw: bytes, file_name: str) -> Survey:
    """Rows of an attributes file: population, industrial structure and 中核市 / 施行時特例市 status."""
    table = read_table(raw, file_name)
    columns = map_columns(table.header)
    if not any(f in columns for f in ATTRIBUTE_FIELDS):
        expected = ", ".join(COLUMN_NAMES[f][1] for f in ATTRIBUTE_FIELDS)
        raise SurveyError(f"{file_name}: no attribute column in the header on line {table.header_line}; "
                          f"expected at least one of: {expected}")
    return _read_rows(table, columns, ATTRIBUTE_FIELDS)


# --- reading the file -------------------------------------------------------------------------

def read_table(raw: bytes, file_name: str) -> Table:
    """The header and rows of a CSV/TSV (UTF-8, UTF-8 with BOM, CP932, UTF-16) or XLSX file."""
    if len(raw) > MAX_SURVEY_BYTES:
        raise SurveyError(f"{file_name}: the file is {len(raw) / 2**20:,.0f} MB; a survey of every municipality is "
                          f"far smaller, and the limit is {MAX_SURVEY_BYTES // 2**20} MB")
    if raw.startswith(b"PK\x03\x04"):
        return _xlsx_table(raw, file_name)
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise SurveyError(f"{file_name}: this is an old Excel .xls file; save it as .xlsx or as CSV")
    text, encoding = decode(raw, file_name)
    return _csv_table(text, encoding, file_name)


def decode(raw: bytes, file_name: str) -> tuple[str, str]:
    """Text of a CSV file, trying UTF-8 first: CP932 bytes are almost never valid UTF-8, the reverse often is."""
    if raw.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "cp932")
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_garbled(text):
            return text, encoding
    raise SurveyError(f"{file_name}: cannot read the text as {' or '.join(c.upper() for c in candidates)}; "
                      "save the file as CSV (UTF-8), CSV (Shift_JIS / CP932) or .xlsx")


def _looks_garbled(text: str) -> bool:
    """Control or private-use characters: what bytes of another encoding (UTF-16, Latin-1) decode to in CP932."""
    return any(unicodedata.category(ch) in ("Cc", "Co") and ch not in "\t\r\n" for ch in text)


def _csv_table(text: str, encoding: str, file_name: str) -> Table:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Any]]] = []
    last = 0
    try:
        for cells in reader:
            rows.append((last + 1, cells))
            last = reader.line_num
            _check_rows(file_name, len(rows), 0)
    except csv.Error as exc:
        raise SurveyError(f"{file_name}: line {last + 1}: {exc}") from exc
    return _with_header(rows, file_name, encoding)


def _xlsx_table(raw: bytes, file_name: str) -> Table:
    import openpyxl

    from mieruka.ingest.sources import XlsxTooLarge, check_xlsx_size

    try:
        check_xlsx_size(raw, max_expanded=MAX_SURVEY_EXPANDED)
    except XlsxTooLarge as exc:
        raise SurveyError(f"{file_name}: {exc}") from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SurveyError(f"{file_name}: cannot open as an Excel workbook: {exc}") from exc
    try:
        problems = []
        for sheet in book.worksheets:
            rows, cells = [], 0
            for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
                cells += len(row)
                _check_rows(f"{file_name} [{sheet.title}]", number, cells)
                rows.append((number, list(row)))
            try:
                return _with_header(rows, f"{file_name} [{sheet.title}]", "xlsx")
            except SurveyError as exc:
                problems.append(str(exc))
        raise SurveyError("; ".join(problems) or f"{file_name}: the workbook has no sheet")
    finally:
        book.close()


def _check_rows(file_name: str, rows: int, cells: int) -> None:
    if rows > MAX_SURVEY_ROWS:
        raise SurveyError(f"{file_name}: more than {MAX_SURVEY_ROWS:,} rows; a survey has one row per municipality "
                          f"(1,741), and the limit is {MAX_SURVEY_ROWS:,}")
    if cells > MAX_SURVEY_CELLS:
        raise SurveyError(f"{file_name}: more than {MAX_SURVEY_CELLS:,} cells by row {rows:,}; the limit is "
                          f"{MAX_SURVEY_CELLS:,}")


def _with_header(rows: list[tuple[int, list[Any]]], file_name: str, encoding: str) -> Table:
    for position, (line, cells) in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        header = [_header_text(c) for c in cells]
        fields = {_FIELD_OF.get(_header_key(h)[0]) for h in header}
        if fields & {"code", "name"}:
            return Table(file_name, encoding, header, line, rows[position + 1:])
    first = next((cells for _, cells in rows if any(_cell_text(c) for c in cells)), [])
    seen = ", ".join(filter(None, (_cell_text(c) for c in first))) or "nothing"
    raise SurveyError(f"{file_name}: no code or name column in the first {_HEADER_SEARCH_ROWS} rows "
                      f"(expected a header such as 団体コード or 市区町村名; the first row holds: {seen})")


def _header_text(value: Any) -> str:
    return "" if value is None else unicodedata.normalize("NFKC", strip_invisible(str(value))).strip()


def _header_key(header: str) -> tuple[str, str | None]:
    """("導入前経費", "千円") from "導入前経費(千円)": the lookup key and the unit written in the header."""
    text = re.sub(r"[\s「」『』]", "", header).lower()
    unit = None
    m = _HEADER_UNIT.search(text)
    if m and m.start() > 0:
        unit, text = m["unit"], text[: m.start()]
    return text, unit


def map_columns(header: list[str], initiative: str | None = None) -> dict[str, int]:
    """Field → column index; the first column wins when two carry the same field, and a column headed
    with the initiative's own name is its adoption column even when a generic 導入 column exists."""
    keys = [_header_key(text)[0] for text in header]
    columns: dict[str, int] = {}
    for index, key in enumerate(keys):
        name = _FIELD_OF.get(key)
        if name and name not in columns:
            columns[name] = index
    wanted = _header_key(_header_text(initiative))[0] if initiative else None
    if wanted in keys:
        columns["adopted"] = keys.index(wanted)
    return columns


# --- checking each row --------------------------------------------------------------------------

class _Bad(ValueError):
    def __init__(self, column: str | None, value: Any, message: str):
        super().__init__(message)
        self.column = column
        self.value = value


def _read_rows(table: Table, columns: dict[str, int], fields: tuple[str, ...]) -> Survey:
    present = [f for f in fields if f in columns]
    survey = Survey(table.file_name, table.encoding, {f: table.header[i] for f, i in columns.items()})
    units = {f: _header_key(table.header[i])[1] for f, i in columns.items()}
    seen: dict[str, int] = {}
    for line, cells in table.rows:
        def cell(name: str) -> Any:
            index = columns.get(name)
            return cells[index] if index is not None and index < len(cells) else None

        if not any(_cell_text(c) for c in cells):
            continue
        try:
            body = _body(cell("code"), cell("name"), cell("prefecture"), table.header, columns)
            row = SurveyRow(line, body)
            for name in present:
                setattr(row, name, _READERS[name](cell(name), units.get(name), table.header[columns[name]]))
        except _Bad as bad:
            survey.errors.append(LineError(line, bad.column, _cell_text(bad.value) or None, str(bad)))
            continue
        if body.code in seen:
            survey.errors.append(LineError(line, None, body.full_name,
                                           f"{body.full_name} ({body.code}) is already on line {seen[body.code]}"))
            continue
        seen[body.code] = line
        if all(v is None for v in row.answers(tuple(present)).values()):
            survey.unanswered += 1
            continue
        survey.rows.append(row)
    if not survey.rows:
        detail = f"; {len(survey.errors)} rejected, first: {survey.errors[0]}" if survey.errors else ""
        raise SurveyError(f"{table.file_name}: no valid row with an answer ({survey.unanswered} unanswered{detail})")
    return survey


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _body(code: Any, name: Any, prefecture: Any, header: list[str], columns: dict[str, int]) -> LocalBodyInfo:
    code_text, name_text, prefecture_text = _cell_text(code), _cell_text(name), _cell_text(prefecture) or None
    if not code_text and not name_text:
        raise _Bad(None, None, "no code or name: the row says which municipality it is about in neither column")
    by_code = _by_code(code, code_text, header[columns["code"]]) if code_text else None
    by_name = None
    if name_text:
        try:
            by_name = names.resolve(name_text, prefecture_text)
        except names.AmbiguousName as exc:
            if by_code is None or by_code not in exc.candidates:
                raise _Bad(header[columns["name"]], name, str(exc)) from None
        except names.UnknownName as exc:
            if by_code is None:
                raise _Bad(header[columns["name"]], name, str(exc)) from None
    if by_code and by_name and by_code.code != by_name.code:
        raise _Bad(header[columns["code"]], code,
                   f"code {code_text} is {by_code.full_name} but the name says {name_text} ({by_name.full_name})")
    body = by_code or by_name
    if body.is_prefecture:
        raise _Bad(None, body.name, f"{body.name} is a prefecture; each row must be one municipality")
    return body


def _by_code(raw: Any, text: str, column: str) -> LocalBodyInfo:
    digits = text.replace("-", "")
    if not digits.isdigit() or len(digits) > 6:
        raise _Bad(column, raw, f"{text!r} is not a local-body code (5 or 6 digits)")
    if len(digits) == 6:
        found = registry.by_code(digits)
        if found is None:
            expected = registry.check_digit(digits[:5])
            if int(digits[5]) != expected:
                raise _Bad(column, raw, f"code {digits} has a wrong check digit (expected {digits[:5]}{expected})")
            raise _Bad(column, raw, f"no local body has the code {digits}")
        return found
    # A 5-digit code is either the code without its check digit or a 6-digit code whose leading
    # zero a spreadsheet dropped (011002 → 11002); only when just one reading exists is it safe.
    readings = {b.code: b for b in (registry.by_code(digits.zfill(5)), registry.by_code(digits.zfill(6))) if b}
    if len(readings) > 1:
        listed = ", ".join(f"{b.full_name} ({c})" for c, b in readings.items())
        raise _Bad(column, raw, f"code {text} could be {listed}; write all 6 digits as text")
    if not readings:
        raise _Bad(column, raw, f"no local body has the code {text}")
    return next(iter(readings.values()))


def _adopted(value: Any, _unit: str | None, column: str) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _cell_text(value).lower()
    if text in _NO_ANSWER:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _Bad(column, value, f"{column}: cannot read {text!r} as yes or no (write ○ or ×, 1 or 0, yes or no)")


def _year(value: Any, _unit: str | None, column: str) -> int | None:
    if isinstance(value, (datetime, date)):
        return fiscal_year_of(value if isinstance(value, date) else value.date())
    text = _cell_text(value)
    if text in _NO_ANSWER:
        return None
    year = None
    if m := _WESTERN_YEAR.fullmatch(text):
        year = int(m["year"])
    elif m := _ERA_YEAR.fullmatch(text):
        year = era_to_western(m["era"].upper() if len(m["era"]) == 1 else m["era"], m["year"])
    if year is None or not 1900 <= year <= 2100:
        raise _Bad(column, value, f"{column}: cannot read {text!r} as a fiscal year (write 2016, 2016年度 or 平成28年度)")
    return year


def _number(value: Any, unit: str | None, column: str) -> float | None:
    """A number in base units: the cell's own unit (1,234千円) wins over the header's (経費(千円))."""
    if isinstance(value, bool):
        raise _Bad(column, value, f"{column}: expected a number, got {value}")
    if isinstance(value, (int, float)):
        return float(value) * _MULTIPLIERS.get(unit or "", 1)
    text = _cell_text(value)
    if text in _NO_ANSWER:
        return None
    try:
        parsed = parse(text)
    except ParseError:
        parsed = None
    if parsed is None or parsed.value is None or parsed.relative is not None:
        raise _Bad(column, value, f"{column}: cannot read {text!r} as a number")
    if parsed.unit_as_written:
        return parsed.value
    return parsed.value * _MULTIPLIERS.get(unit or "", 1)


def _amount(value: Any, unit: str | None, column: str) -> float | None:
    amount = _number(value, unit, column)
    if amount is not None and amount < 0:
        raise _Bad(column, value, f"{column}: a cost cannot be negative ({_cell_text(value)})")
    return amount


def _population(value: Any, unit: str | None, column: str) -> int | None:
    number = _number(value, unit, column)
    if number is None:
        return None
    if number <= 0:
        raise _Bad(column, value, f"{column}: a population must be more than 0 ({_cell_text(value)})")
    return round(number)


def _share(value: Any, unit: str | None, column: str) -> float | None:
    """A percentage 0–100; a fraction (0.952) as spreadsheets store a %-formatted cell is read as 95.2."""
    number = _number(value, unit, column)
    if number is None:
        return None
    if isinstance(value, (int, float)) and 0 < number <= 1:
        number *= 100
    if not 0 <= number <= 100:
        raise _Bad(column, value, f"{column}: a share must lie between 0 and 100 % ({_cell_text(value)})")
    return number


def _industry(value: Any, _unit: str | None, column: str) -> str | None:
    text = _cell_text(value)
    if text in _NO_ANSWER:
        return None
    if text not in {"0", "1", "2", "3"}:
        raise _Bad(column, value, f"{column}: an industry class is 0, 1, 2 or 3 (MIC's 産業構造), got {text!r}")
    return text


def _city_class(value: Any, _unit: str | None, column: str) -> str | None:
    text = _cell_text(value)
    if text in _NO_ANSWER:
        return None
    if text not in _CLASSES:
        raise _Bad(column, value, f"{column}: expected 中核市 or 施行時特例市, got {text!r}")
    return _CLASSES[text]


_READERS = {
    "adopted": _adopted, "year_started": _year, "cost_before": _amount, "cost_after": _amount,
    "population": _population, "industry": _industry, "secondary_tertiary": _share, "tertiary": _share,
    "city_class": _city_class,
}


# --- the template -------------------------------------------------------------------------------

def write_template(out: str | Path | BinaryIO, initiative: str | None = None) -> None:
    """A workbook offices fill in: one row per municipality (code and name filled), the answers blank."""
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    if initiative:
        initiative = visible(initiative)  # XML cannot hold a BEL or an ESC: written as their pictures (␇, ␛)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "調査票"
    sheet.append(TEMPLATE_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for body in registry.municipalities():
        sheet.append((body.code, body.prefecture, body.name))
    last = sheet.max_row
    for row in sheet.iter_rows(min_row=2, max_row=last, max_col=1):
        row[0].number_format = "@"  # keep the leading zero of 011002
    choice = DataValidation(type="list", formula1='"○,×"', allow_blank=True)
    choice.error = "○ (導入済) か × (未導入) を選んでください"
    sheet.add_data_validation(choice)
    choice.add(f"D2:D{last}")
    for letter, width in zip("ABCDEFGH", (11, 10, 16, 8, 10, 16, 16, 12)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "D2"
    notes = book.create_sheet("記入方法")
    for line in _template_notes(initiative):
        notes.append((line,))
    notes.column_dimensions["A"].width = 100
    book.properties.title = f"{initiative or '取組'} 調査票"
    book.save(out)


def _template_notes(initiative: str | None) -> list[str]:
    subject = f"「{initiative}」" if initiative else "調査する取組"
    return [
        f"{subject}の導入状況調査票",
        "1行に1団体です。団体コード・都道府県・市区町村名は変更しないでください。",
        "導入: 導入済みは ○、未導入は ×。空欄は無回答として扱います。",
        "開始年度: 2016 / 2016年度 / 平成28年度 のいずれの書き方でも構いません。",
        "導入前経費・導入後経費: 年額(円)。千円単位で書く場合は見出しを「導入前経費(千円)」に変えてください。",
        "人口: 住民基本台帳人口(人)。類似団体の区分に使います。",
        "取り込み: mieruka survey import このファイル.xlsx --initiative 取組名 --as-of 2017-04-01",
    ]


def read_answer(field: str, value: Any) -> Any:
    """One answer typed in a form (a local body answering in a reporting round), read as a file's cell is:
    ○/×, 2016年度 or 平成28年度, 1,200千円. None for no answer; ValueError when it cannot be read."""
    if field not in SURVEY_FIELDS:
        raise KeyError(field)
    return _READERS[field](value, None, field)
