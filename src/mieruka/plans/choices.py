"""Plans in bulk from a spreadsheet of choices (CSV or XLSX, one row per body and measure), as a prefecture prepares
drafts for its municipalities: every row is checked, and one bad row leaves every plan as it was."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from mieruka.bodies import names
from mieruka.jp import normalise_text
from mieruka.plans import editing
from mieruka.plans.inputs import PlanInputError
from mieruka.storage import plans as store

# Header (after NFKC, spaces removed, case folded) → field.
HEADERS = {
    "団体コード": "code", "コード": "code", "code": "code", "団体名": "name", "市区町村名": "name", "name": "name",
    "都道府県": "prefecture", "都道府県名": "prefecture",
    "施策番号": "measure", "施策": "measure", "no": "measure", "measure": "measure",
    "担当課": "section", "section": "section", "kpi": "kpi", "基準値": "baseline", "baseline": "baseline",
    "目標値": "target", "target": "target", "目標年度": "deadline", "期限": "deadline", "deadline": "deadline",
    "スケジュール": "schedule", "schedule": "schedule", "計画名": "title", "title": "title",
}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000
HEADER_ROWS = 10


class ChoicesError(ValueError):
    """The file cannot be used; problems lists "file:line: field: message" for each bad row."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportReport:
    plans_created: list[int] = field(default_factory=list)
    measures_added: int = 0
    measures_changed: int = 0
    plans: dict[str, int] = field(default_factory=dict)  # body code → plan id


def _key(header) -> str | None:
    return HEADERS.get(normalise_text(str(header or "")).replace(" ", "").casefold())


def _rows_from_table(table: list[list], file_name: str) -> list[tuple[int, dict]]:
    """(line, {field: text}) from the first row within HEADER_ROWS that names 施策番号 and a body."""
    for i, row in enumerate(table[:HEADER_ROWS]):
        keys = [_key(c) for c in row]
        if "measure" in keys and ("code" in keys or "name" in keys):
            out = []
            for n, values in enumerate(table[i + 1:], start=i + 2):
                record = {k: ("" if v is None else str(v)).strip() for k, v in zip(keys, values) if k}
                if any(record.values()):
                    out.append((n, record))
            return out
    raise ChoicesError([f"{file_name}: no header row naming 施策番号 and 団体コード or 団体名 in the first {HEADER_ROWS} rows"])


def read_table(data: bytes, file_name: str) -> list[tuple[int, dict]]:
    if len(data) > MAX_BYTES:
        raise ChoicesError([f"{file_name}: larger than {MAX_BYTES // (1024 * 1024)} MB"])
    if data[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise ChoicesError([f"{file_name}: not a readable XLSX workbook ({type(exc).__name__})"]) from None
        table = []
        for row in ws.iter_rows(values_only=True):
            table.append(list(row))
            if len(table) > MAX_ROWS + HEADER_ROWS:
                raise ChoicesError([f"{file_name}: more than {MAX_ROWS} rows"])
        return _rows_from_table(table, file_name)
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ChoicesError([f"{file_name}: neither UTF-8 nor Shift_JIS (CP932) text"])
    dialect = "excel-tab" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else "excel"
    table = []
    for row in csv.reader(io.StringIO(text), dialect=dialect):
        table.append(row)
        if len(table) > MAX_ROWS + HEADER_ROWS:
            raise ChoicesError([f"{file_name}: more than {MAX_ROWS} rows"])
    return _rows_from_table(table, file_name)


def _body_code(record: dict) -> str:
    code = normalise_text(record.get("code", "")).strip()
    if code:
        return code
    try:
        found = names.resolve_many(record.get("name", ""), record.get("prefecture") or None)
    except LookupError as exc:
        raise PlanInputError("body", str(exc), str(exc)) from None
    if len(found) != 1:
        raise PlanInputError("body", "1つの団体を指定してください", "name one body per row")
    return found[0].code


def import_choices(session: Session, data: bytes, file_name: str, actor: str, via: str = "bulk",
                   lang: str = "ja") -> ImportReport:
    """Add every row's measure to its body's newest plan (a new plan when the body has none; a measure already there
    is changed to the row's fields). Raises ChoicesError naming every bad row; the caller's transaction is then
    rolled back, so no plan changes."""
    rows = read_table(data, file_name)
    report = ImportReport()
    problems = []
    for line, record in rows:
        try:
            code = _body_code(record)
            plan_id = report.plans.get(code)
            if plan_id is None:
                existing = store.plans(session, code)
                if existing:
                    plan_id = existing[-1]["id"]
                else:
                    plan_id = editing.new_plan(session, code, actor, via, title=record.get("title"))
                    report.plans_created.append(plan_id)
                report.plans[code] = plan_id
            form = {**record, "schedule": record.get("schedule", "").replace("；", "\n").replace(";", "\n")}
            measure = editing.find_measure(session, record.get("measure"))
            in_plan = store.measure_in_plan(session, plan_id, measure["no"])
            if in_plan:
                if editing.edit_measure(session, in_plan, form, actor, via):
                    report.measures_changed += 1
            else:
                editing.add_measure(session, plan_id, form, actor, via)
                report.measures_added += 1
        except PlanInputError as exc:
            problems.append(f"{file_name}:{line}: {exc.message(lang)}")
    if problems:
        raise ChoicesError(problems)
    return report
