"""The office's way of answering a survey: an XLSX of a survey's answers — one local body's for its `local` account,
every municipality's for the secretariat — pre-filled, with drop-down lists and locked cells, and its upload back
read by the answer page's rules: every error named by sheet, row and column, all rows saved or none, the same file
twice a no-op. The checks and cell handling are the report workbook's (mieruka.workflow.workbook)."""
from __future__ import annotations

import io
from copy import copy
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from mieruka.accounts.service import Principal
from mieruka.storage import survey_rounds as store
from mieruka.storage import workflow as rounds_store
from mieruka.storage.survey_round_models import SurveyAnswer, SurveyRequest
from mieruka.workflow import surveys
from mieruka.workflow.reports import NotAllowed, WorkflowError, state_label
from mieruka.workflow.workbook import (FIRST_ROW, HEADER_ROW, INSTRUCTIONS, MAX_ROWS, META, SUBMIT_WORDS, BookKind,
                                       CellError, Column, RowNames, Workbook, WorkbookRefused, _cell_text, _header,
                                       _integer, _put, _whole, locked_row, read_book, register_sheet)

FORMAT = "mieruka-survey-workbook/1"
SHEET = "回答"
COLUMNS = (
    Column("answer_id", "回答ID", "answer id", 9),
    Column("body_code", "団体コード", "body code", 10),
    Column("body", "団体", "local body", 16),
    Column("state", "状態", "state", 10),
    Column("version", "版", "version", 6),
    Column("adopted", "導入(○/×)", "adopted (○/×)", 10, True),
    Column("year_started", "開始年度", "year started", 12, True),
    Column("cost_before", "導入前経費(円)", "cost before (yen)", 14, True),
    Column("cost_after", "導入後経費(円)", "cost after (yen)", 14, True),
    Column("population", "人口", "population", 12, True),
    Column("submit", "提出", "submit", 8, True),
)
INDEX = {c.key: i for i, c in enumerate(COLUMNS)}
register_sheet(SHEET, COLUMNS)
ANSWER_ROWS = RowNames("answer_id", ("回答", "answer"), ("この調査", "this survey"), "body_code", ("団体コード", "body"))
BOOK = BookKind(SHEET, (FORMAT,), {SHEET: (len(COLUMNS), MAX_ROWS, True)},
                (f"mieruka が作った調査の様式ではありません(シート「{SHEET}」「{META}」がありません)。"
                 "調査のページから様式をダウンロードしてください。",
                 f"not a survey workbook made by mieruka (no sheet {SHEET} and {META}); "
                 "download one from the survey page."))


def _scope(p: Principal) -> str | None:
    """The body whose answers the workbook holds (None: every body, for the secretariat)."""
    if p.role == "local" and p.local_body:
        return p.local_body
    if p.role == "secretariat":
        return None
    raise NotAllowed("調査の様式は地方公共団体の回答者と事務局が使います。",
                     "Survey workbooks are for local bodies' reporters and the secretariat.")


def _editable(p: Principal, answer: SurveyAnswer, round_state: str) -> bool:
    return (surveys.may_view(p, answer) and answer.state in surveys.EDITABLE.get(p.role, ())
            and (round_state == "open" or (round_state == "closed" and p.role == "secretariat")))


def _shown(answer: SurveyAnswer) -> dict:
    out = surveys.values(answer)
    out["adopted"] = {True: "○", False: "×", None: None}[out["adopted"]]
    for k in ("cost_before", "cost_after"):
        if isinstance(out[k], float) and out[k].is_integer():
            out[k] = int(out[k])
    return out


def export(session: Session, p: Principal, request: SurveyRequest, lang: str = "ja") -> Workbook:
    from openpyxl import Workbook as Book
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    body = _scope(p)
    rnd = rounds_store.round_by_id(session, request.round_id)
    if rnd.state == "published":
        raise WorkflowError(f"ラウンド「{rnd.name}」は公表済みです。", f"The round {rnd.name!r} is published already.")
    found = store.answers(session, body_code=body, request_ids=[request.id])
    names = store.body_names(session, [a.body_code for a in found])
    book = Book()
    info = book.active
    info.title = INSTRUCTIONS
    ws = book.create_sheet(SHEET)
    meta = book.create_sheet(META)
    meta.sheet_state = "hidden"
    for i, (k, v) in enumerate((("format", FORMAT), ("request_id", request.id), ("initiative", request.initiative),
                                ("body", body or "*"), ("exported_by", p.login), ("lang", lang)), start=1):
        _put(meta, i, 1, k)
        _put(meta, i, 2, v)
    meta.protection.sheet = True
    lines = INSTRUCTION_TEXT[lang]
    values = {"initiative": request.initiative, "as_of": request.as_of.isoformat(), "round": rnd.name,
              "bodies": names.get(body, body) if body else ("すべての市区町村" if lang == "ja" else "every municipality")}
    for n, line in enumerate(lines, start=1):
        cell = _put(info, n, 1, line.format(**values))
        if n == 1:
            cell.font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 120
    info.protection.sheet = True
    _header(ws, SHEET, lang, Font(bold=True), PatternFill("solid", fgColor="EEEEEE"))
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=INDEX["adopted"] + 1)
    proto = ws.cell(row=HEADER_ROW, column=len(COLUMNS) + 5)
    proto.protection, proto.fill = Protection(locked=False), PatternFill("solid", fgColor="FFFDE7")
    open_style = copy(proto._style)
    ws._cells.pop((proto.row, proto.column), None)
    for n, a in enumerate(found, start=FIRST_ROW):
        row = {"answer_id": a.id, "body_code": a.body_code, "body": names.get(a.body_code, a.body_code),
               "state": state_label(a.state, lang), "version": a.version, **_shown(a), "submit": None}
        editable = _editable(p, a, rnd.state)
        for i, c in enumerate(COLUMNS, start=1):
            cell = _put(ws, n, i, row[c.key])
            if c.editable and editable:
                cell._style = copy(open_style)
    last = max(FIRST_ROW, FIRST_ROW + len(found) - 1)
    for key, choices in (("adopted", ["○", "×"]), ("submit", ["提出" if lang == "ja" else "submit"])):
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                            showErrorMessage=True)
        col = ws.cell(row=FIRST_ROW, column=INDEX[key] + 1).column_letter
        dv.add(f"{col}{FIRST_ROW}:{col}{last}")
        ws.add_data_validation(dv)
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    book.active = 0
    buf = io.BytesIO()
    book.save(buf)
    return Workbook(buf.getvalue(), f"survey-{request.id}-{body or 'all'}.xlsx", len(found))


INSTRUCTION_TEXT = {
    "ja": ["調査の回答の様式",
           "調査: {initiative}({as_of}現在) ／ ラウンド: {round}",
           "団体: {bodies}",
           "",
           "1. 「回答」シートの黄色の欄だけを記入してください。灰色の欄(回答ID、団体、状態、版)は変更できません。",
           "2. 導入は ○(導入済)か ×(未導入)、空欄は無回答です。開始年度は 2016、2016年度、平成28年度 のように書きます。",
           "3. 経費は年額で 1200000、120万円、1,200千円 のように、人口は 123456 のように書きます。",
           "4. 「提出」を選んだ行は、保存したうえで事務局に提出されます(○ か × が必要です)。提出済み・承認済みの行は変更できません。",
           "5. 記入したファイルを「担当の報告」ページからアップロードします。一つでも読み取れない欄があれば、どの行も保存されず、",
           "   誤りのある欄をシート・行・列で示します。同じファイルをもう一度取り込んでも何も変わりません。"],
    "en": ["Survey answer workbook",
           "Survey: {initiative} (as of {as_of}) / round: {round}",
           "Local bodies: {bodies}",
           "",
           "1. Fill in only the yellow cells of the sheet 回答. The grey cells (answer id, body, state, version) are locked.",
           "2. Adopted is ○ (adopted) or × (not adopted); blank means no answer. The year started is written 2016, "
           "2016年度 or 平成28年度.",
           "3. A cost is a year's, written 1200000, 120万円 or 1,200千円; the population like 123456.",
           "4. A row marked submit is saved and submitted to the secretariat (it needs ○ or ×). Submitted and approved "
           "rows cannot change.",
           "5. Upload the file on the page My reports. If any cell cannot be read, no row is saved and every error is",
           "   named by sheet, row and column. Importing the same file again changes nothing."],
}


@dataclass
class Imported:
    request: SurveyRequest
    rows: int
    saved: list[int] = field(default_factory=list)
    submitted: list[int] = field(default_factory=list)
    unchanged: int = 0


def import_workbook(session: Session, p: Principal, raw: bytes, file_name: str = "survey.xlsx",
                    via: str = "web:xlsx") -> Imported:
    """Read every row; refuse the whole file when any cell is wrong (WorkbookRefused, each error by sheet, row and
    column in both languages); else save each changed row under its answer's version and submit the rows marked 提出."""
    meta, sheets = read_book(raw, file_name, BOOK)
    rows = sheets[SHEET]
    raw_id = meta.get("request_id")
    request = store.request_by_id(session, int(raw_id)) if isinstance(raw_id, int) and 0 < raw_id < 2**31 else None
    if request is None:
        raise _whole(f"{file_name}: この様式の調査はありません。", f"{file_name}: the workbook's survey does not exist.",
                     422, SHEET)
    _scope(p)
    rnd = rounds_store.round_by_id(session, request.round_id)
    if rnd.state == "published" or (rnd.state == "closed" and p.role != "secretariat"):
        raise _whole(f"ラウンド「{rnd.name}」は締め切られています。", f"The round {rnd.name!r} is closed.", 409, SHEET)
    ids = [int(c[INDEX["answer_id"]]) for _, c in rows
           if isinstance(c[INDEX["answer_id"]], (int, float)) and 0 < c[INDEX["answer_id"]] < 2**31]
    by_id = {a.id: a for a in store.answers(session, request_ids=[request.id]) if a.id in set(ids)} if ids else {}
    errors: list[CellError] = []
    plan: list[tuple[SurveyAnswer, dict[str, str], bool]] = []
    forbidden, seen = False, set()

    def err(row, key, ja, en):
        errors.append(CellError(SHEET, row, key, ja, en))

    for number, cells in rows:
        get = {c.key: cells[i] for i, c in enumerate(COLUMNS)}
        answer = locked_row(get, by_id, ANSWER_ROWS, lambda a: a.body_code, err, number, seen)
        if answer is None:
            continue
        form = {k: _cell_text(get[k]) for k in surveys.FIELDS}
        fields, problems = surveys.read_fields(form)
        for problem in problems:
            err(number, problem.field, problem.ja, problem.en)
        submit_word = _cell_text(get["submit"]).lower()
        if submit_word not in SUBMIT_WORDS:
            err(number, "submit", "「提出」を選ぶか空欄にしてください。", "choose submit or leave the cell empty.")
        if problems:
            continue
        changes = {f: v for f, v in fields.items() if getattr(answer, f) != v}
        submit = SUBMIT_WORDS.get(submit_word, False) and answer.state in ("draft", "returned")
        if not changes and not submit:
            continue
        if not surveys.may_view(p, answer):
            forbidden = True
            err(number, "answer_id", f"回答 {answer.id} は担当外の団体のものです。",
                f"answer {answer.id} belongs to a body you do not answer for.")
            continue
        if not _editable(p, answer, rnd.state):
            err(number, "state", f"回答 {answer.id} は「{state_label(answer.state, 'ja')}」のため変更できません。",
                f"answer {answer.id} is {state_label(answer.state, 'en')} and cannot change.")
            continue
        version = get["version"]
        if _integer(version) is None:
            err(number, "version", "版は変更できない欄です。", "the version cell is locked.")
            continue
        if changes and int(version) != answer.version:
            err(number, "version", f"回答 {answer.id} はこの様式を作った後に保存されています(版 {int(version)} → "
                f"{answer.version}、{answer.updated_by})。新しい様式をダウンロードしてください。",
                f"answer {answer.id} was saved after this workbook was made (version {int(version)} → "
                f"{answer.version}, by {answer.updated_by}); download a new workbook.")
            continue
        if submit and rnd.state != "open":
            err(number, "submit", f"ラウンド「{rnd.name}」は受付を終了しています。", f"The round {rnd.name!r} is not open.")
            continue
        if submit and changes.get("adopted", answer.adopted) is None:
            err(number, "adopted", "提出の前に ○ か × を選んでください。", "choose ○ or × before submitting.")
            continue
        plan.append((answer, {f: form[f] for f in changes}, submit))
    if errors:
        if forbidden and all("担当外" in e.ja for e in errors):
            raise NotAllowed("担当外の団体の回答は取り込めません。" + " ".join(e.text("ja") for e in errors),
                             "You may not import answers of other bodies. " + " ".join(e.text("en") for e in errors))
        raise WorkbookRefused(errors)
    done = Imported(request, len(rows))
    for answer, typed, submit in plan:  # the cells as typed, read again by save() under the answer's version
        if typed:
            surveys.save(session, p, answer, typed, answer.version, via)
            done.saved.append(answer.id)
        if submit:
            surveys.submit(session, p, answer, answer.version, via)
            done.submitted.append(answer.id)
    done.unchanged = len(rows) - len(plan)
    return done
