"""The plan draft: a DOCX (python-docx) in the guide's seven chapters with the 個別施策 table and an annex of the
chosen national measures, and an XLSX (openpyxl) of the 個別施策 table. Only what the plan holds is written; the
chapters only the planner can write get a heading and a short prompt of what belongs there."""
from __future__ import annotations

import io
from datetime import date

from mieruka.jp import format_date_ja, western_to_era

# The guide's chapters; None marks the one filled from the plan's measures.
CHAPTERS = (
    ("1", "現状と課題", "【記入してください】本団体の人口・地域の状況、行政手続や情報システムの現状、"
                       "データ活用に関する課題を、統計や調査結果を引いて記載します。"),
    ("2", "目的", "【記入してください】この計画で目指す姿（住民の利便性、行政の効率化、地域課題の解決など）を記載します。"),
    ("3", "計画の位置付け", "【記入してください】官民データ活用推進基本法に基づく計画としての位置付け、"
                           "総合計画など他の計画との関係、計画期間を記載します。"),
    ("4", "推進体制", "【記入してください】計画を推進する組織（本部、CIO、担当課）と、進捗を確認する仕組みを記載します。"),
    ("5", "基本方針", "【記入してください】施策を選んだ考え方と、分野ごとの方針を記載します。"),
    ("6", "個別施策", None),
    ("7", "セキュリティ", "【記入してください】情報セキュリティポリシー、個人情報の保護、職員の研修など、"
                         "施策を安全に進めるための対策を記載します。"),
)
MEASURE_HEADER = ("施策番号", "施策コード", "国の施策名", "担当課", "KPI", "基準値", "目標値", "目標期限", "スケジュール")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def fiscal_year_label(fy: int) -> str:
    """2024 → "2024年度（令和6年度）": the era of the fiscal year's first full month, so FY2019 is 令和元年度."""
    era, year = western_to_era(date(fy, 5, 1))
    return f"{fy}年度（{era}{'元' if year == 1 else year}年度）"


def deadline_label(d: date | None) -> str:
    if d is None:
        return ""
    if (d.month, d.day) == (3, 31):
        return f"{fiscal_year_label(d.year - 1)}末"
    return format_date_ja(d)


def schedule_lines(pm: dict) -> list[str]:
    return [f"{fiscal_year_label(s['fiscal_year'])}: {s['text']}" for s in pm["schedule"]]


def measure_row(pm: dict) -> list[str]:
    """One row of the 個別施策 table: national number and title, the body's section, KPI, numbers and schedule."""
    return [str(pm["measure_no"]), pm["measure_code"] or "", pm["measure_name"], pm["section"] or "", pm["kpi"],
            pm["baseline_text"] or "", pm["target_text"] or "", deadline_label(pm["deadline"]),
            "\n".join(schedule_lines(pm))]


def _prompt(doc, text: str) -> None:
    from docx.shared import RGBColor

    run = doc.add_paragraph().add_run(text)
    run.italic = True
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _table(doc, header, rows) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, text in zip(table.add_row().cells, row):
            cell.text = text


def docx_bytes(plan: dict, annex: dict[int, dict], written_on: date | None = None) -> bytes:
    """The draft as a Word document; annex maps a measure number to its catalogue facts (pillar, ministries, URLs)."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    for style in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = doc.styles[style].element.rPr.rFonts if doc.styles[style].element.rPr is not None else None
        if fonts is not None:
            fonts.set(qn("w:eastAsia"), "Yu Mincho" if style == "Normal" else "Yu Gothic")
    doc.add_heading(plan["title"], level=0)
    body = f"{plan['prefecture'] or ''}{plan['body_name'] or ''}（団体コード {plan['body_code']}）"
    doc.add_paragraph(f"{body}　案（{format_date_ja(written_on or date.today())} 作成、mieruka）")
    measures = plan["measures"]
    for number, title, prompt in CHAPTERS:
        doc.add_heading(f"第{number}章　{title}", level=1)
        if prompt:
            _prompt(doc, prompt)
        if title == "推進体制":
            sections = list(dict.fromkeys(pm["section"] for pm in measures if pm["section"]))
            if sections:
                doc.add_paragraph("個別施策の担当課: " + "、".join(sections))
        elif title == "基本方針":
            pillars = list(dict.fromkeys((annex.get(pm["measure_no"]) or {}).get("pillar") or "その他" for pm in measures))
            if pillars:
                doc.add_paragraph("選んだ国の施策の分野: " + "、".join(pillars))
        elif title == "個別施策":
            if measures:
                doc.add_paragraph(f"国の施策一覧から選んだ{len(measures)}の施策と、本団体のKPI・スケジュールです。")
                _table(doc, MEASURE_HEADER, [measure_row(pm) for pm in measures])
            else:
                _prompt(doc, "【まだ施策が選ばれていません】国の施策一覧から施策を選ぶと、ここに表が入ります。")
    doc.add_heading("別表　選んだ国の施策", level=1)
    rows = []
    for pm in measures:
        facts = annex.get(pm["measure_no"]) or {}
        rows.append([str(pm["measure_no"]), pm["measure_code"] or "", pm["measure_name"], facts.get("pillar") or "",
                     "、".join(facts.get("ministries") or []), "\n".join(facts.get("urls") or [])])
    _table(doc, ("施策番号", "施策コード", "施策名", "分野", "府省", "URL"), rows)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def safe_cell(value):
    """Text that a spreadsheet would run as a formula (= + - @ at the start) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


XLSX_HEADER = ("施策番号", "施策コード", "国の施策名", "分野", "担当課", "KPI", "国のKPI", "基準値", "基準値（数値）",
               "基準時点", "目標値", "目標値（数値）", "単位", "目標期限")


def xlsx_bytes(plan: dict, annex: dict[int, dict]) -> bytes:
    """The 個別施策 table, one row per measure, one column per fiscal year of the schedule."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    years = sorted({s["fiscal_year"] for pm in plan["measures"] for s in pm["schedule"]})
    wb = Workbook()
    ws = wb.active
    ws.title = "個別施策"
    ws.append([safe_cell(plan["title"])])
    ws.append(list(XLSX_HEADER) + [fiscal_year_label(fy) for fy in years])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for pm in plan["measures"]:
        by_year = {s["fiscal_year"]: s["text"] for s in pm["schedule"]}
        facts = annex.get(pm["measure_no"]) or {}
        row = [pm["measure_no"], pm["measure_code"], pm["measure_name"], facts.get("pillar"), pm["section"], pm["kpi"],
               pm["national_kpi"], pm["baseline_text"], pm["baseline_value"], pm["baseline_as_of"], pm["target_text"],
               pm["target_value"], pm["unit"], pm["deadline"]] + [by_year.get(fy) for fy in years]
        ws.append([safe_cell(v) for v in row])
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "D3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plan_files(session, plan_id: int) -> tuple[dict, dict[int, dict]] | None:
    """The plan and its annex facts (from the catalogue, by measure number), ready for docx_bytes and xlsx_bytes."""
    from mieruka.storage import plans as store

    plan = store.plan(session, plan_id)
    if plan is None:
        return None
    return plan, store.catalogue_urls(session, [pm["measure_no"] for pm in plan["measures"]])


def file_name(plan: dict, suffix: str) -> str:
    """ASCII, so every browser keeps it: plan-142158-3.docx."""
    return f"plan-{plan['body_code']}-{plan['id']}.{suffix}"
