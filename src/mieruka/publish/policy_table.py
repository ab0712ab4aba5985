"""The measurement-indicator table of a policy evaluation sheet (政策評価書): 測定指標, 基準(値), the yearly
targets above the yearly actuals, the final target, the achievement class (達成区分) and the overall result."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mieruka.jp import fiscal_year_of, western_to_era
from mieruka.publish.render import translator

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def fiscal_year_label(fy: int, lang: str = "ja") -> str:
    """2016 → 2016年度（平成28年度）; FY2016 in English."""
    if lang == "en":
        return f"FY{fy}"
    era, year = western_to_era(date(fy, 4, 1))
    return f"{fy}年度（{era}{'元' if year == 1 else year}年度）"


@dataclass
class Indicator:
    number: str
    name: str
    baseline: str
    targets: dict[int, str]  # fiscal year → the yearly target as written
    actuals: dict[int, str]  # fiscal year → the actual as written
    final_target: str
    achievement: str | None
    kpi_id: int


@dataclass
class PolicyTable:
    policy: str
    title: str | None
    file_name: str
    doc_date: date | None
    result: str | None
    years: list[int]
    indicators: list[Indicator] = field(default_factory=list)
    lang: str = "ja"  # the report's words; the sheet's own text (names, values, イ/ロ/ハ) stays as written

    @property
    def heading(self) -> str:
        return translator(self.lang)("policy_table.heading", policy=self.policy)

    def year_labels(self) -> list[str]:
        return [fiscal_year_label(y, self.lang) for y in self.years]


def _join(a: str | None, b: str) -> str:
    return b if not a else f"{a}\n{b}"


def build_policy_table(policy: dict, rows: list[dict], lang: str = "ja") -> PolicyTable:
    """One indicator per row of the sheet, numbered as the sheet numbers them: a row of the same KPI as the row
    above continues its number, a main indicator (主要) gets a circled number."""
    years: set[int] = set()
    indicators: list[Indicator] = []
    count = 0
    for r in rows:
        targets: dict[int, str] = {}
        actuals: dict[int, str] = {}
        finals = [t for t in r["targets"] if not t["interim"]]
        for t in r["targets"]:
            if t["interim"] and t["deadline"]:
                fy = fiscal_year_of(t["deadline"])
                targets[fy] = _join(targets.get(fy), t["text"])
        for o in r["observations"]:
            if o["as_of"]:
                fy = fiscal_year_of(o["as_of"])
                actuals[fy] = _join(actuals.get(fy), o["text"])
        years |= set(targets) | set(actuals)
        if not (indicators and indicators[-1].kpi_id == r["kpi_id"]):
            count += 1
        main = "主要" in r["markers"]
        number = CIRCLED[count - 1] if main and count <= len(CIRCLED) else str(count)
        indicators.append(Indicator(
            number=number, name=r["name_as_written"], baseline=r["baseline"]["text"] if r["baseline"] else "-",
            targets=targets, actuals=actuals, final_target="\n".join(t["text"] for t in finals) or "-",
            achievement=r["ratings"][0]["code"] if r["ratings"] else None, kpi_id=r["kpi_id"]))
    return PolicyTable(policy=policy["policy"] or policy["file_name"], title=policy["title"],
                       file_name=policy["file_name"], doc_date=policy["doc_date"], result=policy["result"],
                       years=sorted(years), indicators=indicators, lang=lang)


def _source_line(t: PolicyTable) -> str:
    from mieruka.records.citation import document_name

    return document_name({"title": t.title, "file_name": t.file_name, "date": t.doc_date}, lang=t.lang)


def to_html(table: PolicyTable, at=None) -> str:
    from mieruka.publish.render import render_html

    return render_html("policy_table.html", title=table.heading, source=_source_line(table),
                       notes=[translator(table.lang)("policy_table.legend")], at=at, lang=table.lang, table=table)


XLSX_HEAD_ROW = 3


def to_xlsx(table: PolicyTable) -> bytes:
    from mieruka.publish import workbook as w

    t = translator(table.lang)
    n = len(table.years)
    width = 6 + n
    wb, ws = w.new_sheet(t("policy_table.sheet"))
    w.heading(ws, table.heading, table.doc_date, width, lang=table.lang)
    w.header_rows(ws, XLSX_HEAD_ROW, [
        [(t("policy_table.number"), 2, 1), (t("policy_table.indicator"), 2, 1), (t("policy_table.baseline"), 2, 1),
         ("", 2, 1), (t("policy_table.yearly"), 1, max(n, 1)), (t("policy_table.final"), 2, 1),
         (t("policy_table.achievement"), 2, 1)],
        [(label, 1, 1) for label in table.year_labels()] or [("", 1, 1)],
    ])
    row = XLSX_HEAD_ROW + 2
    for ind in table.indicators:
        for col, value in ((1, ind.number), (2, ind.name), (3, ind.baseline)):
            w.body_cell(ws, row, col, value, align=w.CENTER if col == 1 else w.WRAP)
            w.body_cell(ws, row + 1, col, None)
            w.merge_down(ws, col, row, row + 1)
        w.body_cell(ws, row, 4, t("policy_table.target"), align=w.CENTER)
        w.body_cell(ws, row + 1, 4, t("policy_table.actual"), align=w.CENTER)
        for i, fy in enumerate(table.years or [0]):
            w.body_cell(ws, row, 5 + i, ind.targets.get(fy))
            w.body_cell(ws, row + 1, 5 + i, ind.actuals.get(fy))
        last = 5 + max(n, 1)
        w.body_cell(ws, row, last, ind.final_target)
        w.body_cell(ws, row + 1, last, None)
        w.merge_down(ws, last, row, row + 1)
        w.body_cell(ws, row, last + 1, ind.achievement or "-", align=w.CENTER, bold=True)
        w.body_cell(ws, row + 1, last + 1, None)
        w.merge_down(ws, last + 1, row, row + 1)
        row += 2
    w.body_cell(ws, row, 1, t("policy_table.result"), bold=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    w.body_cell(ws, row, 4, table.result or "-", bold=True)
    for col in range(5, width + 1):
        w.body_cell(ws, row, col, None)
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=width)
    row += 2
    for note in (t("policy_table.legend"), f"{t('report.source')}: {_source_line(table)}"):
        w.put(ws, row, 1, note).font = w.Font(name=w.FONT, size=8)
        row += 1
    w.widths(ws, [6, 34, 20, 6] + [20] * max(n, 1) + [22, 6])
    return w.to_bytes(wb)
