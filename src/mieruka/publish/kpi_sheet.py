"""An indicator sheet per KPI: one A4 page with the chart (static SVG), the values table, the ratings with their
explanations, and the documents every figure comes from."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mieruka.jp import format_period_ja, point_end
from mieruka.records.citation import document_name, named_sources, place
from mieruka.publish.kpi_table import STATUS_JA, TIER_JA
from mieruka.publish.svg import line_chart


@dataclass
class ValueRow:
    kind: str  # 基準値 | 目標 | 中間目標 | 実績
    text: str
    when: date | None
    status: str | None
    source: str
    precision: str | None = None  # how precisely the document gave when: day | month | fiscal_year | year

    @property
    def shown_when(self) -> str:
        """A target's fiscal year as 2020年度末; a value's as the 年度 it is for (「2014年度:208団体」 → 2014年度), 年度末
        only where its text prints 末 or までに."""
        if self.when is None:
            return ""
        end = None if self.kind in ("目標", "中間目標") else point_end(self.precision, self.text, self.when)
        return format_period_ja(self.when, self.precision, end)


@dataclass
class RatingRow:
    official: bool
    scheme: str
    code: str
    as_of: date | None
    explanation: str | None
    source: str


@dataclass
class KpiSheet:
    kpi_id: int
    name: str
    item: str | None
    tier: str
    unit: str | None
    organisation: str | None
    values: list[ValueRow]
    ratings: list[RatingRow]
    documents: list[str]
    chart_svg: str

    @property
    def title(self) -> str:
        return f"指標シート　{self.name}"


def _place(source: dict | None, labels: dict[str, dict]) -> str:
    """A cited line by its document's title and date (citation.place), 「…」2019-08-01（令和元年8月1日）、43行目."""
    if not source:
        return ""
    return place(labels.get(source["document"]), source["document"], source.get("line"))


def _merged(values: list[ValueRow]) -> list[ValueRow]:
    """One row per figure: the same value, date and kind printed by several documents lists every source."""
    out: dict[tuple, ValueRow] = {}
    for v in values:
        key = (v.kind, v.when, "".join(v.text.split()), v.status)
        if key in out:
            if v.source not in out[key].source:
                out[key].source += f"、{v.source}"
        else:
            out[key] = ValueRow(v.kind, v.text, v.when, v.status, v.source, v.precision)
    order = {"基準値": 0, "中間目標": 1, "目標": 2, "実績": 3}
    return sorted(out.values(), key=lambda v: (order[v.kind], v.when or date.min))


def build_kpi_sheet(kpi: dict) -> KpiSheet:
    """From one KPI as storage.queries.kpi_rows gives it; every source named by its document's title and date (the
    KPI's documents, by file name)."""
    # one A4 page: a figure cites its document by number, 「[1]、12行目」, and 出典 names each number by title and date
    labels = {d["file_name"]: {"file_name": f"[{n}]"} for n, d in enumerate(kpi["documents"], start=1)}

    def _where(source: dict | None) -> str:
        return _place(source, labels)
    values: list[ValueRow] = []
    for b in kpi["baselines"]:
        values.append(ValueRow("基準値", b["text"], b["as_of"], None, _where(b["source"]), b.get("as_of_precision")))
    for t in kpi["targets"]:
        values.append(ValueRow("中間目標" if t["interim"] else "目標", t["text"], t["deadline"], None, _where(t["source"]),
                               t.get("deadline_precision")))
    for o in kpi["observations"]:
        values.append(ValueRow("実績", o["text"], o["as_of"], STATUS_JA.get(o["status"]), _where(o["source"]),
                               o.get("as_of_precision")))
    values = _merged(values)
    # mieruka's ratings are kept per evaluation date: the sheet (one A4 page) shows each scheme's newest date's
    newest = {}
    for r in kpi["ratings"]:
        if not r["official"] and (r["scheme"] not in newest or (r["as_of"] or date.min) > (newest[r["scheme"]] or date.min)):
            newest[r["scheme"]] = r["as_of"]
    shown = [r for r in kpi["ratings"] if r["official"] or r["as_of"] == newest[r["scheme"]]]
    ratings = [RatingRow(r["official"], r["scheme"], r["code"], r["as_of"],
                         named_sources(r["explanation"], labels) if r["explanation"] else r["explanation"],
                         _where(r["source"]))
               for r in sorted(shown, key=lambda r: (not r["official"], r["scheme"]))]
    series = [
        {"label": "実績", "kind": "actual", "points": [(o["as_of"], o["value"]) for o in kpi["observations"]]},
        {"label": "目標", "kind": "target", "points": [(t["deadline"], t["value"]) for t in kpi["targets"]]},
        {"label": "基準値", "kind": "baseline", "points": [(b["as_of"], b["value"]) for b in kpi["baselines"]]},
    ]
    item = f"{kpi['reform_item_number'] or ''}{kpi['reform_item']}" if kpi["reform_item"] else None
    return KpiSheet(
        kpi_id=kpi["id"], name=kpi["name"], item=item, tier=TIER_JA.get(kpi["tier"], ""), unit=kpi["unit"],
        organisation=kpi["organisation"], values=values, ratings=ratings,
        documents=[f"[{n}] {document_name(d)}" for n, d in enumerate(kpi["documents"], start=1)],
        chart_svg=line_chart(series, kpi["unit"], kpi["name"]))


NOTE = "公表: 文書が公表した区分。mieruka: mierukaが評価方式に従って計算した区分（公表値ではない）。"


def to_html(sheet: KpiSheet, at=None) -> str:
    from mieruka.publish.render import render_html

    return render_html("kpi_sheet.html", title=sheet.title, source="、".join(sheet.documents) or "-",
                       notes=[NOTE], at=at, sheet=sheet, body_class="sheet")


_INFO = ("改革項目", "階層", "単位", "府省庁")
_FIRST_VALUE_ROW = 8  # after the title, the four lines about the KPI, a blank row and the values' header
_template = None


def _sheet_template():
    """The indicator sheet's workbook as openpyxl makes it without the KPI's rows: page setup, widths, the title, the
    four merged lines about the KPI and the values' header (repeated on every printed page), and a probe cell for
    each style the rows use."""
    from mieruka.publish import workbook as w

    wb, ws = w.new_sheet("指標シート", landscape=False)
    w.heading(ws, "指標シート", None, 5)
    for row, label in enumerate(_INFO, start=2):
        w.body_cell(ws, row, 1, label, bold=True)
        w.body_cell(ws, row, 2, "-")
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
    w.header_rows(ws, _FIRST_VALUE_ROW - 1, [[("種別", 1, 1), ("値（文書の記載）", 1, 1), ("時点・期限", 1, 1),
                                             ("速報・確報", 1, 1), ("出典", 1, 1)]])
    w.widths(ws, [10, 40, 16, 10, 30])

    def body(quoted=False, **style):
        return lambda ws, row: w.body_cell(ws, row, 1, "=" if quoted else "x", **style)

    def head(quoted=False):
        def make(ws, row):
            c = w.body_cell(ws, row, 1, "=" if quoted else "x", bold=True)
            c.fill = w.HEAD_FILL
            return c
        return make

    def small(ws, row):
        c = w.put(ws, row, 1, "x")
        c.font = w.Font(name=w.FONT, size=8)
        return c

    probes = {"body": body(), "body=": body(True), "date": lambda ws, row: w.body_cell(ws, row, 1, date(2000, 1, 1), wareki=True),
              "code": body(align=w.CENTER, bold=True), "code=": body(True, align=w.CENTER, bold=True),
              "head": head(), "head=": head(True), "small": small}
    return w.SheetTemplate(wb, ws, probes, _FIRST_VALUE_ROW - 1)


def to_xlsx(sheet: KpiSheet) -> bytes:
    """The sheet as XLSX: the values, the ratings (headed like the values), the note and the sources, each cell
    styled as the template's probe of its kind (a text a spreadsheet would run as a formula: its quoted style)."""
    from mieruka.jp.text import formula_like

    global _template
    if _template is None:
        _template = _sheet_template()
    t = _template
    styles = t.styles

    def cell(col: int, value, kind: str = "body", wareki: bool = False) -> tuple:
        if wareki and isinstance(value, date):
            return col, styles["date"], value
        quoted = isinstance(value, str) and formula_like(value)
        return col, styles[kind + "=" if quoted else kind], value

    fixed = {(1, 1): (t.fixed[1][0][1], sheet.title)}
    for row, value in enumerate((sheet.item, sheet.tier, sheet.unit, sheet.organisation), start=2):
        fixed[(row, 2)] = cell(2, value or "-")[1:]
    rows = t.fixed_rows(fixed)
    row = _FIRST_VALUE_ROW
    for v in sheet.values:
        # a date the document gave only to the 年度 or month is written so, not as a day
        rows[row] = [cell(1, v.kind), cell(2, v.text),
                     cell(3, v.when if v.precision in (None, "day") else v.shown_when, wareki=True),
                     cell(4, v.status), cell(5, v.source)]
        row += 1
    row += 1
    rows[row] = [cell(c, text, "head") for c, text in enumerate(("評価", "方式", "区分", "時点", "説明・出典"), start=1)]
    row += 1
    for r in sheet.ratings:
        rows[row] = [cell(1, "公表" if r.official else "mieruka"), cell(2, r.scheme), cell(3, r.code, "code"),
                     cell(4, r.as_of, wareki=True), cell(5, "\n".join(x for x in (r.explanation, r.source) if x))]
        row += 1
    row += 1
    rows[row] = [(1, styles["small"], NOTE)]
    rows[row + 1] = [(1, styles["small"], "出典: " + ("、".join(sheet.documents) or "-"))]
    return t.to_bytes(rows)
