"""The office's way of reporting: per organisation an XLSX workbook of a round's reports (one row per KPI, the last
published values beside the cells to fill in, drop-down lists, locked cells, instructions first), and its upload back:
every cell read and every error named by sheet, row and column; all rows saved or none; the same file twice is a no-op."""
from __future__ import annotations

import io
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from mieruka.accounts.service import Principal
from mieruka.storage import report_extras as extras
from mieruka.storage import workflow as store
from mieruka.storage.cycle_models import Report, Round
from mieruka.workflow import reports
from mieruka.workflow import steps as step_progress
from mieruka.workflow.reports import STATUSES, FieldProblem, NotAllowed, WorkflowError

FORMAT = "mieruka-report-workbook/2"
READABLE = ("mieruka-report-workbook/1", FORMAT)  # /1 had no sheet of steps: its upload changes no step
INSTRUCTIONS, SHEET, META = "説明", "報告", "_mieruka"
STEPS_SHEET, EVIDENCE_SHEET = "工程の進捗", "証拠資料"
HEADER_ROW, FIRST_ROW = 1, 2
# Bounds of an upload: a round has one row per KPI (the national data ~2,000); these leave room and refuse a file
# that would take gigabytes before anything is decompressed (the survey import's zip-bomb check).
MAX_BYTES = 10 * 1024 * 1024
MAX_EXPANDED = 60 * 1024 * 1024
MAX_ROWS = 20_000
MAX_STEP_ROWS = 100_000  # a reform item lists a handful of steps; a round's every KPI at most a few each
# a problem read_fields names by a field the workbook has no column for: the cell it came from
PROBLEM_COLUMN = {"target_value": "target_text", "target_unit": "target_text", "target_deadline": "target_text",
                  "actual_text": "value"}
SUBMIT_WORDS = {"提出": True, "提出する": True, "submit": True, "yes": True, "": False}


@dataclass(frozen=True)
class Column:
    key: str
    ja: str
    en: str
    width: int
    editable: bool = False


COLUMNS = (
    Column("report_id", "報告ID", "report id", 9),
    Column("kpi_id", "KPI ID", "KPI id", 8),
    Column("kpi", "KPI", "KPI", 40),
    Column("organisation", "府省庁", "organisation", 12),
    Column("published_actual", "公表済みの実績値", "published actual", 28),
    Column("published_rating", "公表済みの評価", "published rating", 10),
    Column("published_target", "公表済みの目標", "published target", 24),
    Column("state", "状態", "state", 10),
    Column("version", "版", "version", 6),
    Column("value", "実績値", "actual value", 12, True),
    Column("unit", "単位", "unit", 8, True),
    Column("as_of", "時点", "point in time", 12, True),
    Column("status", "速報値・確報値・見込み", "preliminary / final / forecast", 12, True),
    Column("next_measurement", "次回の把握時期", "next measurement", 24, True),
    Column("proposed_rating", "評価案", "proposed rating", 8, True),
    Column("rating_reason", "評価の理由", "reason for the rating", 30, True),
    Column("target_text", "目標値の変更(例: 2020年度までに 450団体)", "target change (e.g. 2020年度までに 450団体)", 26, True),
    Column("target_reason", "目標変更の理由", "reason for the target change", 24, True),
    Column("submit", "提出", "submit", 8, True),
)
# One row per process step of each report's KPI's reform item: the progress is filled in, the rest is locked.
STEP_COLUMNS = (
    Column("report_id", "報告ID", "report id", 9),
    Column("kpi_id", "KPI ID", "KPI id", 8),
    Column("version", "版", "version", 6),
    Column("position", "番号", "no.", 6),
    Column("step", "工程", "process step", 50),
    Column("progress", "進捗(この報告での記載)", "progress (in this report)", 60, True),
)
# The evidence files of each report, for reference only (files are attached on the report page or by the shell).
EVIDENCE_COLUMNS = (
    Column("report_id", "報告ID", "report id", 9),
    Column("kpi_id", "KPI ID", "KPI id", 8),
    Column("file_name", "ファイル名", "file name", 36),
    Column("size_bytes", "サイズ(バイト)", "size (bytes)", 14),
    Column("sha256", "SHA-256", "SHA-256", 68),
    Column("content_type", "種類", "type", 24),
    Column("uploaded_by", "添付した人", "attached by", 12),
    Column("uploaded_at", "添付日時(UTC)", "attached at (UTC)", 22),
)
SHEETS = {SHEET: COLUMNS, STEPS_SHEET: STEP_COLUMNS, EVIDENCE_SHEET: EVIDENCE_COLUMNS}


def register_sheet(name: str, columns: tuple[Column, ...]) -> None:
    """Another kind of workbook's sheet, so that its cell errors name its columns (the survey workbook's)."""
    SHEETS[name] = columns
INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
STEP_INDEX = {c.key: i for i, c in enumerate(STEP_COLUMNS)}
FORM_FIELDS = ("value", "unit", "as_of", "status", "next_measurement", "proposed_rating", "rating_reason",
               "target_text", "target_reason")


def _column(key: str, sheet: str) -> tuple[int, Column]:
    columns = SHEETS[sheet]
    i = next(i for i, c in enumerate(columns) if c.key == key)
    return i, columns[i]


def letter(key: str, sheet: str = SHEET) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(_column(key, sheet)[0] + 1)


def _label(key: str, lang: str, sheet: str = SHEET) -> str:
    c = _column(key, sheet)[1]
    return c.ja if lang == "ja" else c.en


# ---------------------------------------------------------------- export


@dataclass
class Workbook:
    content: bytes
    file_name: str
    rows: int


def _scope(p: Principal, organisation_id: int | None) -> list[int] | None:
    """The organisations whose reports the workbook holds: one the person may edit, or all of theirs."""
    if organisation_id is not None:
        if not p.can_edit_org(organisation_id):
            raise NotAllowed("この府省庁の報告を扱う権限がありません。", "You may not report for this organisation.")
        return [organisation_id]
    if p.role == "reporter":
        return list(p.organisations)
    if p.role == "secretariat":
        return None
    raise NotAllowed("報告の様式は府省庁の報告者と事務局が使います。",
                     "Report workbooks are for reporters and the secretariat.")


def _text(value) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub(lambda m: chr(0x2400 + ord(m.group())), str(value))


def _put(ws, row: int, col: int, value):
    """A typed cell; text that a spreadsheet would run as a formula is kept as text with Excel's quote prefix."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = _text(value)
        if value.startswith(reports.FORMULA_START):
            cell._value, cell.data_type, cell.quotePrefix = value, "s", True
            return cell
    cell.value = value
    return cell


def _number(v: float | None):
    return None if v is None else (int(v) if float(v).is_integer() and abs(v) < 1e15 else v)


def export(session: Session, p: Principal, rnd: Round, organisation_id: int | None = None,
           lang: str = "ja") -> Workbook:
    """The round's reports of the person's organisations (or of one), pre-filled: the last published actual, rating
    and target (locked, for reference) and the report's current values in the cells to fill in."""
    from openpyxl import Workbook as Book
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    if rnd.state == "published":
        raise WorkflowError(f"ラウンド「{rnd.name}」は公表済みです。", f"The round {rnd.name!r} is published already.")
    orgs = _scope(p, organisation_id)
    found = store.reports(session, round_id=rnd.id, organisation_ids=orgs)
    names = store.kpi_names(session, [r.kpi_id for r in found]) if found else {}
    org_names = store.organisation_names(session)
    published = store.last_published(session, [r.kpi_id for r in found])
    book = Book()
    info = book.active
    info.title = INSTRUCTIONS
    ws = book.create_sheet(SHEET)
    meta = book.create_sheet(META)
    meta.sheet_state = "hidden"
    for i, (k, v) in enumerate((("format", FORMAT), ("round_id", rnd.id), ("round", rnd.name),
                                ("organisations", ",".join(str(o) for o in orgs) if orgs is not None else "*"),
                                ("exported_by", p.login), ("lang", lang)), start=1):
        _put(meta, i, 1, k)
        _put(meta, i, 2, v)
    meta.protection.sheet = True
    _instructions(info, rnd, [org_names.get(o, "") for o in (orgs or [])], lang)

    bold, grey = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")
    editable_fill = PatternFill("solid", fgColor="FFFDE7")
    for i, c in enumerate(COLUMNS, start=1):
        cell = _put(ws, HEADER_ROW, i, _label(c.key, lang))
        cell.font, cell.fill = bold, grey
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = c.width
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=INDEX["value"] + 1)
    # one cell styled each way, copied to the others (assigning a style per cell hashes it every time: seconds for
    # a national round)
    proto = ws.cell(row=1, column=len(COLUMNS) + 5)
    proto.protection, proto.fill = Protection(locked=False), editable_fill
    open_style = copy(proto._style)
    proto.number_format = "yyyy-mm-dd"
    open_date_style = copy(proto._style)
    proto.protection, proto.fill = Protection(locked=True), PatternFill()
    date_style = copy(proto._style)
    ws._cells.pop((proto.row, proto.column), None)
    statuses = [v[0 if lang == "ja" else 1] for v in STATUSES.values()]
    for n, r in enumerate(found, start=FIRST_ROW):
        last = published.get(r.kpi_id, {})
        editable = _editable(p, r, rnd)
        row = {
            "report_id": r.id, "kpi_id": r.kpi_id, "kpi": names.get(r.kpi_id, ("", None))[0],
            "organisation": org_names.get(r.organisation_id), "published_actual": last.get("actual"),
            "published_rating": last.get("rating"), "published_target": last.get("target"),
            "state": reports.state_label(r.state, lang), "version": r.version, "value": _number(r.value),
            "unit": r.unit, "as_of": r.as_of, "status": STATUSES[r.status][0 if lang == "ja" else 1] if r.status else None,
            "next_measurement": r.next_measurement, "proposed_rating": r.proposed_rating,
            "rating_reason": r.rating_reason, "target_text": r.target_text or (
                f"{_number(r.target_value)}{r.target_unit or ''}" if r.target_value is not None else None),
            "target_reason": r.target_reason, "submit": None,
        }
        for i, c in enumerate(COLUMNS, start=1):
            cell = _put(ws, n, i, row[c.key])
            if c.editable and editable:
                cell._style = copy(open_date_style if c.key == "as_of" else open_style)
            elif c.key == "as_of":
                cell._style = copy(date_style)
    last_row = max(FIRST_ROW, FIRST_ROW + len(found) - 1)
    for key, choices in (("status", statuses), ("proposed_rating", reports.rating_codes()),
                         ("submit", ["提出" if lang == "ja" else "submit"])):
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True, showErrorMessage=True,
                            errorTitle=_label(key, lang), error=("次から選んでください: " if lang == "ja" else "Choose one of: ")
                            + "、".join(choices))
        dv.add(f"{letter(key)}{FIRST_ROW}:{letter(key)}{last_row}")
        ws.add_data_validation(dv)
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may change; values in locked cells may not
    editable_ids = {r.id for r in found if _editable(p, r, rnd)}
    _steps_sheet(book.create_sheet(STEPS_SHEET, 2), found, step_progress.for_reports(session, found), editable_ids,
                 lang, open_style, bold, grey)
    _evidence_sheet(book.create_sheet(EVIDENCE_SHEET, 3), found, extras.evidence_lists(session, [r.id for r in found]),
                    lang, bold, grey)
    info.protection.sheet = True
    book.active = 0
    buf = io.BytesIO()
    book.save(buf)
    org_part = "all" if orgs is None else "-".join(org_names.get(o, str(o)) for o in orgs)
    return Workbook(buf.getvalue(), f"report-round{rnd.id}-{org_part}.xlsx", len(found))


def _header(ws, sheet: str, lang: str, bold, grey) -> None:
    from openpyxl.styles import Alignment

    for i, c in enumerate(SHEETS[sheet], start=1):
        cell = _put(ws, HEADER_ROW, i, _label(c.key, lang, sheet))
        cell.font, cell.fill = bold, grey
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = c.width
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1)


def _steps_sheet(ws, found: list[Report], steps: dict[int, list[dict]], editable_ids: set[int], lang: str,
                 open_style, bold, grey) -> None:
    """The process steps of each report's reform item, one row each, the progress cell open where the report is."""
    _header(ws, STEPS_SHEET, lang, bold, grey)
    n = FIRST_ROW
    for r in found:
        for step in steps.get(r.id, []):
            values = {"report_id": r.id, "kpi_id": r.kpi_id, "version": r.version, "position": step["position"],
                      "step": step["step"], "progress": step["progress"]}
            for i, c in enumerate(STEP_COLUMNS, start=1):
                cell = _put(ws, n, i, values[c.key])
                if c.editable and r.id in editable_ids:
                    cell._style = copy(open_style)
            n += 1
    ws.protection.sheet = True
    ws.protection.formatColumns = False


def _evidence_sheet(ws, found: list[Report], files: dict[int, list], lang: str, bold, grey) -> None:
    """Each report's evidence files by name, size and sha256: for reference, all locked, never imported."""
    _header(ws, EVIDENCE_SHEET, lang, bold, grey)
    n = FIRST_ROW
    for r in found:
        for f in files.get(r.id, []):
            at = f.uploaded_at
            if at is not None:  # stored in UTC; SQLite gives it back without its zone
                at = (at.astimezone(timezone.utc) if at.tzinfo else at).replace(tzinfo=None, microsecond=0)
            values = {"report_id": r.id, "kpi_id": r.kpi_id, "file_name": f.file_name, "size_bytes": f.size_bytes,
                      "sha256": f.sha256, "content_type": f.content_type, "uploaded_by": f.uploaded_by,
                      "uploaded_at": at}
            for i, c in enumerate(EVIDENCE_COLUMNS, start=1):
                cell = _put(ws, n, i, values[c.key])
                if c.key == "uploaded_at":
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
            n += 1
    ws.protection.sheet = True
    ws.protection.formatColumns = False


def _editable(p: Principal, r: Report, rnd: Round) -> bool:
    return (p.can_edit_org(r.organisation_id) and r.state in reports.EDITABLE.get(p.role, ())
            and (rnd.state == "open" or (rnd.state == "closed" and p.role == "secretariat")))


INSTRUCTION_TEXT = {
    "ja": [
        "進捗報告の様式",
        "ラウンド: {round}(基準日 {as_of}、締切 {deadline})",
        "府省庁: {orgs}",
        "",
        "記入のしかた",
        "1. 「報告」シートの黄色の欄だけを記入してください。灰色の欄(報告ID、KPI、公表済みの値、状態、版)は変更できません。",
        "2. 実績値は数値、単位は「団体」などの単位、時点は日付(例: 2019-04-01)で書きます。",
        "3. 速報値・確報値・見込み、評価案、提出はプルダウンから選びます。評価案には理由が必要です。",
        "4. 目標値を変える場合は「2020年度までに 450団体」のように書き、理由を添えます。目標値の変更は事務局が別に承認します。",
        "5. 「提出」を選んだ行は、保存したうえで事務局に提出されます。提出済み・承認済みの行は変更できません。",
        "6. 記入したファイルを「担当の報告」ページからアップロードするか、mieruka report import で取り込みます。",
        "   一つでも読み取れない欄があれば、どの行も保存されず、誤りのある欄をシート・行・列で示します。",
        "   同じファイルをもう一度取り込んでも何も変わりません。",
        "7. 先頭が = + - @ の文字列は使えません(減少は ▲ で書けます)。",
        "8. 「工程の進捗」シートには、KPIの改革項目の工程ごとに、この報告での進捗を黄色の欄に書きます(2,000文字まで)。",
        "   報告の行と同じく、版が変わった報告の行は取り込めません。",
        "9. 「証拠資料」シートは添付済みのファイルの一覧(名前、大きさ、SHA-256)です。変更しても取り込まれません。",
        "   ファイルの添付は報告のページまたは mieruka report attach で行います。",
    ],
    "en": [
        "Progress report workbook",
        "Round: {round} (as of {as_of}, deadline {deadline})",
        "Organisations: {orgs}",
        "",
        "How to fill it in",
        "1. Fill in only the yellow cells of the sheet 報告. The grey cells (report id, KPI, published values, state, "
        "version) are locked.",
        "2. The actual is a number, the unit a unit such as 団体, the point in time a date (e.g. 2019-04-01).",
        "3. Status, proposed rating and submit are chosen from drop-down lists. A proposed rating needs its reason.",
        "4. A target change is written like 2020年度までに 450団体, with its reason; the secretariat approves it separately.",
        "5. A row marked submit is saved and submitted to the secretariat. Submitted and approved rows cannot change.",
        "6. Upload the file on the page My reports, or import it with mieruka report import.",
        "   If any cell cannot be read, no row is saved and every error is named by sheet, row and column.",
        "   Importing the same file again changes nothing.",
        "7. Text may not begin with = + - or @ (write a decrease as ▲).",
        "8. On the sheet 工程の進捗, write the progress of each process step of the KPI's reform item in the yellow cell "
        "(at most 2,000 characters). As on the report rows, a report saved since the workbook was made is refused.",
        "9. The sheet 証拠資料 lists the files attached (name, size, SHA-256), for reference: it is not imported.",
        "   Attach files on the report page or with mieruka report attach.",
    ],
}


def _instructions(ws, rnd: Round, orgs: list[str], lang: str) -> None:
    from openpyxl.styles import Font

    values = {"round": rnd.name, "as_of": rnd.as_of.isoformat(), "deadline": rnd.deadline.isoformat(),
              "orgs": "、".join(orgs) if orgs else ("すべて" if lang == "ja" else "all")}
    for n, line in enumerate(INSTRUCTION_TEXT[lang], start=1):
        cell = _put(ws, n, 1, line.format(**values))
        if n in (1, 5):
            cell.font = Font(bold=True, size=14 if n == 1 else 11)
    ws.column_dimensions["A"].width = 120


# ---------------------------------------------------------------- import


@dataclass
class CellError:
    sheet: str | None  # None: the file as a whole (too large, not a workbook, not one of ours)
    row: int | None
    column: str | None
    ja: str
    en: str

    def text(self, lang: str) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.row}行" if lang == "ja" else f"row {self.row}")
        if self.column:
            name, col = _label(self.column, lang, self.sheet), letter(self.column, self.sheet)
            where.append(f"{col}列({name})" if lang == "ja" else f"column {col} ({name})")
        message = self.ja if lang == "ja" else self.en
        if self.sheet is None:
            return message
        place = (f"シート「{self.sheet}」 " if lang == "ja" else f"sheet {self.sheet}, ") + (
            " ".join(where) if lang == "ja" else ", ".join(where))
        return f"{place.strip(', ')}: {message}"


class WorkbookRefused(WorkflowError):
    """The upload as a whole: every error found; nothing was saved."""

    status = 422

    def __init__(self, errors: list[CellError], status: int = 422):
        super().__init__(f"様式を取り込めませんでした({len(errors)}件の誤り)。何も保存していません。",
                         f"The workbook was not imported ({len(errors)} error(s)); nothing was saved.")
        self.errors = errors
        self.status = status

    def lines(self, lang: str) -> list[str]:
        return [e.text(lang) for e in self.errors]


@dataclass
class Imported:
    round: Round
    rows: int
    saved: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    unchanged: int = 0
    steps_saved: list[int] = field(default_factory=list)


def _whole(ja: str, en: str, status: int = 422, sheet: str | None = SHEET) -> WorkbookRefused:
    return WorkbookRefused([CellError(sheet, None, None, ja, en)], status)


def _integer(value) -> int | None:
    """A cell holding a whole number (an id or a version, which Excel may give as 3.0) as an int, else None."""
    return int(value) if isinstance(value, (int, float)) and float(value).is_integer() else None


def _cell_text(value) -> str:
    """A cell as the form would carry it: numbers without a needless .0, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


@dataclass(frozen=True)
class RowNames:
    """How a sheet's errors name its rows' locked cells: the id's column and what it names, where it lives, and the
    locked column that says whose row it is (report sheets: KPI ID; survey sheets: 団体コード)."""
    id_key: str
    thing: tuple[str, str]  # ("報告", "report")
    home: tuple[str, str]  # ("このラウンド", "this round")
    owner_key: str
    owner: tuple[str, str]  # (" KPI ID ", "KPI"): the Japanese as it stands between の and は


REPORT_ROWS = RowNames("report_id", ("報告", "report"), ("このラウンド", "this round"), "kpi_id", (" KPI ID ", "KPI"))


def locked_row(get: dict, by_id: dict, names: RowNames, owner_of, err, number: int, seen: set | None = None):
    """The record a row's locked id cell names, or None with the error added: an id not in by_id, one seen already
    (when seen is given: one row a record), or an owner cell that is not owner_of(record)."""
    cell = get[names.id_key]
    found = by_id.get(_integer(cell))
    thing_ja, thing_en = names.thing
    if found is None:
        shown = _cell_text(cell)[:20]
        err(number, names.id_key, f"{thing_ja}ID「{shown}」は{names.home[0]}にありません(変更できない欄です)。",
            f"{thing_en} id {shown!r} is not in {names.home[1]} (this cell is locked).")
        return None
    if seen is not None:
        if found.id in seen:
            err(number, names.id_key, f"{thing_ja}ID {found.id} が2回あります。",
                f"{thing_en} id {found.id} appears twice.")
            return None
        seen.add(found.id)
    owner = owner_of(found)
    if _cell_text(get[names.owner_key]) != str(owner):
        err(number, names.owner_key, f"{thing_ja} {found.id} の{names.owner[0]}は {owner} です(変更できない欄です)。",
            f"{thing_en} {found.id} is of {names.owner[1]} {owner} (this cell is locked).")
        return None
    return found


@dataclass(frozen=True)
class BookKind:
    """What a workbook of one kind must hold to be read back: its main sheet, the formats it may carry, its sheets
    with their width, row limit and whether they must be there, and how to tell the person it is not one."""
    sheet: str
    formats: tuple[str, ...]
    sheets: dict  # name -> (columns, row limit, required: True, or the formats that must hold it)
    not_ours: tuple[str, str]  # (ja, en) after the file name


REPORT_BOOK = BookKind(SHEET, READABLE, {SHEET: (len(COLUMNS), MAX_ROWS, True),
                                         STEPS_SHEET: (len(STEP_COLUMNS), MAX_STEP_ROWS, (FORMAT,))},
                       (f"mieruka が作った報告の様式ではありません(シート「{SHEET}」「{META}」がありません)。"
                        "「担当の報告」ページから様式をダウンロードしてください。",
                        f"not a report workbook made by mieruka (no sheet {SHEET} and {META}); "
                        "download one from the page My reports."))


def read_rows(raw: bytes, file_name: str = "workbook.xlsx") -> tuple[dict, list[tuple[int, list]], list[tuple[int, list]]]:
    """The hidden settings, the rows of the report sheet and those of the steps sheet, each with its row number.
    Refuses a file too large, a zip bomb, a file that is no workbook, or one not made by export() — before any row
    is read."""
    meta, rows = read_book(raw, file_name, REPORT_BOOK)
    return meta, rows[SHEET], rows.get(STEPS_SHEET, [])


def read_book(raw: bytes, file_name: str, kind: BookKind) -> tuple[dict, dict[str, list[tuple[int, list]]]]:
    """The hidden settings and each sheet's filled rows (with their row numbers) of a workbook of this kind, after
    the checks every upload gets: size, zip bomb, a workbook at all, made by mieruka in a format it reads."""
    import openpyxl

    from mieruka.ingest.sources import XlsxTooLarge, check_xlsx_size

    def whole(ja, en, status=422):
        return _whole(ja, en, status, kind.sheet)

    def file_refused(ja, en, status=422):  # before any sheet was opened: the file, not a sheet, is named
        return _whole(ja, en, status, None)

    if len(raw) > MAX_BYTES:
        raise file_refused(f"{file_name}: ファイルが大きすぎます(上限 {MAX_BYTES // 2**20} MB)。",
                    f"{file_name}: the file is larger than the limit of {MAX_BYTES // 2**20} MB.", 413)
    try:
        check_xlsx_size(raw, max_expanded=MAX_EXPANDED)
    except XlsxTooLarge as exc:
        raise file_refused(f"{file_name}: 展開すると大きすぎます({exc})。", f"{file_name}: {exc}", 413) from None
    try:
        # formulas read as their text (data_only would give None for a file saved without cached values, and a
        # formula typed over a saved value would clear it): the cells' own rules then refuse them by name
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise file_refused(f"{file_name}: Excel のブック(.xlsx)として開けません。",
                    f"{file_name}: cannot be opened as an Excel workbook (.xlsx).") from None
    try:
        if META not in book.sheetnames or kind.sheet not in book.sheetnames:
            raise file_refused(f"{file_name}: {kind.not_ours[0]}", f"{file_name}: {kind.not_ours[1]}")
        meta = {}
        for row in book[META].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
            if row and row[0]:
                meta[str(row[0])] = row[1] if len(row) > 1 else None
        if meta.get("format") not in kind.formats:
            raise whole(f"{file_name}: 様式の版「{meta.get('format')}」は読めません({kind.formats[-1]} が必要です)。",
                        f"{file_name}: workbook format {meta.get('format')!r} is not {kind.formats[-1]}.")
        for name, (_, _, required) in kind.sheets.items():
            needed = required is True or meta.get("format") in (required or ())
            if needed and name not in book.sheetnames:  # renamed or deleted: its rows would be silently dropped
                raise whole(f"{file_name}: シート「{name}」がありません(名前を変えたり削除したりしないでください)。",
                            f"{file_name}: the sheet {name} is missing (do not rename or delete it).")
            if not needed and required is not None and name in book.sheetnames:
                # a sheet the format never had was put in by hand: reading it would import what no export offered
                raise whole(f"{file_name}: 様式の版 {meta.get('format')} にはシート「{name}」はありません"
                            "(新しい様式をダウンロードしてください)。",
                            f"{file_name}: a workbook of format {meta.get('format')} has no sheet {name} "
                            "(download a new workbook).")
        rows = {name: _sheet_rows(book[name], width, limit, file_name, kind.sheet)
                for name, (width, limit, required) in kind.sheets.items() if name in book.sheetnames}
        return meta, rows
    except WorkbookRefused:
        raise
    except Exception:  # read-only sheets are parsed row by row: damage shows up here too
        raise whole(f"{file_name}: ブックの内容を読み取れません。", f"{file_name}: the workbook's cells cannot be read.") \
            from None
    finally:
        book.close()


def _sheet_rows(ws, width: int, limit: int, file_name: str, main: str = SHEET) -> list[tuple[int, list]]:
    rows = []
    for number, row in enumerate(ws.iter_rows(min_row=FIRST_ROW, max_col=width, values_only=True), start=FIRST_ROW):
        if number - FIRST_ROW >= limit:
            raise _whole(f"{file_name}: シート「{ws.title}」の行が多すぎます(上限 {limit:,} 行)。",
                         f"{file_name}: more than {limit:,} rows on the sheet {ws.title}.", 413, main)
        cells = [_formula_text(v) for v in row] + [None] * (width - len(row))
        if any(v not in (None, "") for v in cells):
            rows.append((number, cells))
    return rows


def _formula_text(value):
    """A cell's value, an array formula as its text (=…) like any other formula."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    if isinstance(value, ArrayFormula):
        return value.text if str(value.text).startswith("=") else f"={value.text}"
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    return value


def _status_key(text: str) -> str | None:
    for key, (ja, en) in STATUSES.items():
        if text in (key, ja, en):
            return key
    return None


def import_workbook(session: Session, p: Principal, raw: bytes, file_name: str = "workbook.xlsx",
                    via: str = "web:xlsx") -> Imported:
    """Read every row, refuse the whole file when any cell is wrong (WorkbookRefused lists each error by sheet, row
    and column, in both languages), else save each changed row under its report's lock and submit the rows marked
    提出. A row whose values equal the report's is left alone, so the same file imported twice changes nothing."""
    meta, rows, step_rows = read_rows(raw, file_name)
    try:
        rnd = store.round_by_id(session, int(meta.get("round_id")))
    except (TypeError, ValueError):
        rnd = None
    if rnd is None:
        raise _whole(f"{file_name}: この様式のラウンドはありません。", f"{file_name}: the workbook's round does not exist.")
    if rnd.state == "published" or (rnd.state == "closed" and p.role != "secretariat"):
        raise _whole(f"ラウンド「{rnd.name}」は締め切られています。", f"The round {rnd.name!r} is closed.", 409)
    if p.role not in ("reporter", "secretariat"):
        raise NotAllowed("報告の様式は府省庁の報告者と事務局が使います。",
                         "Report workbooks are for reporters and the secretariat.")
    codes = reports.rating_codes()
    ids = [int(c[INDEX["report_id"]]) for _, c in rows if isinstance(c[INDEX["report_id"]], (int, float))]
    ids += [int(c[STEP_INDEX["report_id"]]) for _, c in step_rows
            if isinstance(c[STEP_INDEX["report_id"]], (int, float))]
    by_id = {r.id: r for r in store.reports(session, round_id=rnd.id, report_ids=sorted(set(ids)))}
    errors: list[CellError] = []
    plan: list[tuple[Report, dict, bool]] = []
    forbidden = False
    seen: set[int] = set()

    def err(row, key, ja, en):
        errors.append(CellError(SHEET, row, key, ja, en))

    for number, cells in rows:
        get = {c.key: cells[i] for i, c in enumerate(COLUMNS)}
        report = locked_row(get, by_id, REPORT_ROWS, lambda r: r.kpi_id, err, number, seen)
        if report is None:
            continue
        version = get["version"]
        if _integer(version) is None:
            err(number, "version", "版は変更できない欄です。", "the version cell is locked.")
            continue
        form = {k: _cell_text(get[k]) for k in FORM_FIELDS}
        status_text = form["status"]
        if status_text:
            key = _status_key(status_text)
            form["status"] = key or status_text
        fields, problems = reports.read_fields(form, codes=codes)
        if not form["target_text"]:
            fields.update(target_value=None, target_unit=None, target_deadline=None)
        submit_word = _cell_text(get["submit"]).lower()
        if submit_word not in SUBMIT_WORDS:
            err(number, "submit", "「提出」を選ぶか空欄にしてください。", "choose submit or leave the cell empty.")
        for problem in problems:
            err(number, PROBLEM_COLUMN.get(problem.field, problem.field), problem.ja, problem.en)
        changes = {f: v for f, v in fields.items() if getattr(report, f) != v}
        if changes and report.actual_text and {"value", "unit", "as_of", "status"} & set(changes):
            changes["actual_text"] = None  # the cells now say what the one-cell text said
        submit = SUBMIT_WORDS.get(submit_word, False) and report.state in ("draft", "returned")
        if not changes and not submit:
            continue
        if not p.can_edit_org(report.organisation_id):
            forbidden = True
            err(number, "report_id", f"報告 {report.id} は担当外の府省庁のものです。",
                f"report {report.id} belongs to an organisation you do not report for.")
            continue
        if report.state not in reports.EDITABLE.get(p.role, ()):
            err(number, "state", f"報告 {report.id} は「{reports.state_label(report.state, 'ja')}」のため変更できません。",
                f"report {report.id} is {reports.state_label(report.state, 'en')} and cannot change.")
            continue
        if changes and int(version) != report.version:
            err(number, "version", f"報告 {report.id} はこの様式を作った後に保存されています(版 {int(version)} → "
                f"{report.version}、{report.updated_by})。新しい様式をダウンロードしてください。",
                f"report {report.id} was saved after this workbook was made (version {int(version)} → "
                f"{report.version}, by {report.updated_by}); download a new workbook.")
            continue
        if submit and rnd.state != "open":
            err(number, "submit", f"ラウンド「{rnd.name}」は受付を終了しています。", f"The round {rnd.name!r} is not open.")
            continue
        if submit:
            after = {f: changes.get(f, getattr(report, f)) for f in ("value", "as_of")}
            for f, v in after.items():
                if v is None:
                    err(number, f, "提出の前に入力してください。", "fill this in before submitting.")
        plan.append((report, changes, submit))
    step_plan, forbidden_steps = _step_plan(session, p, rnd, step_rows, by_id, errors)
    forbidden = forbidden or forbidden_steps
    if errors:
        if forbidden and all("担当外" in e.ja for e in errors):
            raise NotAllowed("担当外の府省庁の報告は取り込めません。" + " ".join(e.text("ja") for e in errors),
                             "You may not import reports of other organisations. " + " ".join(e.text("en") for e in errors))
        raise WorkbookRefused(errors)
    done = Imported(rnd, len(rows))
    done.saved = reports.apply_many(session, p, [(r, changes) for r, changes, _ in plan if changes], via)
    # the steps after the fields (one more version of a report whose both changed), before any submission
    recorded = []
    for report, (progress, known) in step_plan.items():
        changes = step_progress.write(session, report, progress, known)
        if changes:
            recorded.append((report, "save", changes, None))
    reports._record_many(session, recorded, p.login, via)
    done.steps_saved = [r.id for r, *_ in recorded]
    done.saved = sorted(set(done.saved) | set(done.steps_saved))
    submitting = [r for r, _, submit in plan if submit]
    reports.submit_many(session, p, submitting, via)
    done.submitted = [r.id for r in submitting]
    done.unchanged = len(rows) - len({r.id for r, _, _ in plan} | set(done.steps_saved))
    return done


def _step_plan(session: Session, p: Principal, rnd: Round, step_rows: list[tuple[int, list]], by_id: dict,
               errors: list[CellError]) -> tuple[dict, bool]:
    """The steps sheet read: {report: ({step: progress}, the steps it may speak of)} for the reports whose progress
    changed, each under the same rules as the report page's form; errors are added by sheet, row and column."""
    typed: dict[int, dict[str, tuple[int, str]]] = {}
    versions: dict[int, tuple[int, object]] = {}
    forbidden = False

    def err(row, key, ja, en):
        errors.append(CellError(STEPS_SHEET, row, key, ja, en))

    for number, cells in step_rows:
        get = {c.key: cells[i] for i, c in enumerate(STEP_COLUMNS)}
        report = locked_row(get, by_id, REPORT_ROWS, lambda r: r.kpi_id, err, number)  # a row a step: ids repeat
        if report is None:
            continue
        step = _cell_text(get["step"])
        if step in typed.setdefault(report.id, {}):
            err(number, "step", f"報告 {report.id} の工程「{step[:40]}」が2回あります。",
                f"report {report.id} names the step {step[:40]!r} twice.")
            continue
        typed[report.id][step] = (number, _cell_text(get["progress"]))
        versions.setdefault(report.id, (number, get["version"]))
    if not typed:
        return {}, False
    reports_with_steps = [by_id[rid] for rid in typed]
    saved = step_progress.for_reports(session, reports_with_steps)
    out = {}
    for report in reports_with_steps:
        known = [row["step"] for row in saved[report.id]]
        current = {row["step"]: row["progress"] or "" for row in saved[report.id]}
        mine = typed[report.id]
        progress, problems = step_progress.read({s: t for s, (_, t) in mine.items()}, known)
        for problem in problems:
            err(mine.get(problem.step, (None,))[0], "step" if problem.step not in current else "progress",
                f"工程「{problem.step[:40]}」: {problem.ja}", f"step {problem.step[:40]!r}: {problem.en}")
        changed = {s: t for s, t in progress.items() if (t or "") != current.get(s, "")}
        if not changed:
            continue
        first = min(mine[s][0] for s in changed)
        if not p.can_edit_org(report.organisation_id):
            forbidden = True
            err(first, "report_id", f"報告 {report.id} は担当外の府省庁のものです。",
                f"report {report.id} belongs to an organisation you do not report for.")
            continue
        if report.state not in reports.EDITABLE.get(p.role, ()) or (rnd.state != "open" and p.role != "secretariat"):
            err(first, "progress", f"報告 {report.id} は「{reports.state_label(report.state, 'ja')}」のため変更できません。",
                f"report {report.id} is {reports.state_label(report.state, 'en')} and cannot change.")
            continue
        row_number, version = versions[report.id]
        if _integer(version) is None:
            err(row_number, "version", "版は変更できない欄です。", "the version cell is locked.")
            continue
        if int(version) != report.version:
            err(first, "version", f"報告 {report.id} はこの様式を作った後に保存されています(版 {int(version)} → "
                f"{report.version}、{report.updated_by})。新しい様式をダウンロードしてください。",
                f"report {report.id} was saved after this workbook was made (version {int(version)} → "
                f"{report.version}, by {report.updated_by}); download a new workbook.")
            continue
        out[report] = (changed, known)
    return out, forbidden
