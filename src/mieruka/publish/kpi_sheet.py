"""An indicator sheet per KPI: one A4 page with the chart (static SVG), the values table, the ratings with their
explanations, and the documents every figure comes from."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mieruka.jp import format_period_en, format_period_ja, point_end
from mieruka.records.citation import document_name, named_sources, place
from mieruka.publish.kpi_table import STATUS_JA, TIER_JA
from mieruka.publish.render import translator
from mieruka.publish.svg import line_chart

# a value's kind, kept in the report's words: the sort order and the shown date follow the kind
KINDS = ("baseline", "interim", "target", "actual")


@dataclass
class ValueRow:
    kind: str  # one of KINDS
    text: str
    when: date | None
    status: str | None  # preliminary | final | forecast
    source: str
    precision: str | None = None  # how precisely the document gave when: day | month | fiscal_year | year
    lang: str = "ja"

    @property
    def kind_label(self) -> str:
        return translator(self.lang)(f"kpi_sheet.{self.kind}")

    @property
    def status_label(self) -> str:
        if self.status is None:
            return ""
        return translator(self.lang)(f"kpi_table.{self.status}") if self.lang == "en" else STATUS_JA[self.status]

    @property
    def shown_when(self) -> str:
        """A target's fiscal year as 2020年度末; a value's as the 年度 it is for (「2014年度:208団体」 → 2014年度), 年度末
        only where its text prints 末 or までに (in English: end of FY2020, FY2014)."""
        if self.when is None:
            return ""
        end = None if self.kind in ("target", "interim") else point_end(self.precision, self.text, self.when)
        if self.lang == "en":
            return format_period_en(self.when, self.precision, end)
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
    lang: str = "ja"  # the sheet's words; the documents' own text (names, values, explanations) stays as written

    @property
    def title(self) -> str:
        return translator(self.lang)("kpi_sheet.title", name=self.name)


def _place(source: dict | None, labels: dict[str, dict], lang: str = "ja") -> str:
    """A cited line by its document's title and date (citation.place), 「…」2019-08-01（令和元年8月1日）、43行目."""
    if not source:
        return ""
    return place(labels.get(source["document"]), source["document"], source.get("line"), lang)


def _merged(values: list[ValueRow]) -> list[ValueRow]:
    """One row per figure: the same value, date and kind printed by several documents lists every source."""
    out: dict[tuple, ValueRow] = {}
    for v in values:
        key = (v.kind, v.when, "".join(v.text.split()), v.status)
        if key in out:
            if v.source not in out[key].source:
                out[key].source += ("; " if v.lang == "en" else "、") + v.source
        else:
            out[key] = ValueRow(v.kind, v.text, v.when, v.status, v.source, v.precision, v.lang)
    return sorted(out.values(), key=lambda v: (KINDS.index(v.kind), v.when or date.min))


def build_kpi_sheet(kpi: dict, lang: str = "ja") -> KpiSheet:
    """From one KPI as storage.queries.kpi_rows gives it; every source named by its document's title and date (the
    KPI's documents, by file name)."""
    # one A4 page: a figure cites its document by number, 「[1]、12行目」, and 出典 names each number by title and date
    labels = {d["file_name"]: {"file_name": f"[{n}]"} for n, d in enumerate(kpi["documents"], start=1)}

    def _where(source: dict | None) -> str:
        return _place(source, labels, lang)
    t = translator(lang)
    values: list[ValueRow] = []
    for b in kpi["baselines"]:
        values.append(ValueRow("baseline", b["text"], b["as_of"], None, _where(b["source"]), b.get("as_of_precision"),
                               lang))
    for g in kpi["targets"]:
        values.append(ValueRow("interim" if g["interim"] else "target", g["text"], g["deadline"], None,
                               _where(g["source"]), g.get("deadline_precision"), lang))
    for o in kpi["observations"]:
        status = o["status"] if o["status"] in STATUS_JA else None
        values.append(ValueRow("actual", o["text"], o["as_of"], status, _where(o["source"]), o.get("as_of_precision"),
                               lang))
    values = _merged(values)
    # mieruka's ratings are kept per evaluation date: the sheet (one A4 page) shows each scheme's newest date's
    newest = {}
    for r in kpi["ratings"]:
        if not r["official"] and (r["scheme"] not in newest or (r["as_of"] or date.min) > (newest[r["scheme"]] or date.min)):
            newest[r["scheme"]] = r["as_of"]
    shown = [r for r in kpi["ratings"] if r["official"] or r["as_of"] == newest[r["scheme"]]]
    def _explained(r: dict) -> str | None:
        text = (r.get("explanation_en") or r["explanation"]) if lang == "en" else r["explanation"]
        return named_sources(text, labels, lang) if text else text
    ratings = [RatingRow(r["official"], r["scheme"], r["code"], r["as_of"], _explained(r), _where(r["source"]))
               for r in sorted(shown, key=lambda r: (not r["official"], r["scheme"]))]
    series = [
        {"label": t("kpi_sheet.actual"), "kind": "actual", "points": [(o["as_of"], o["value"]) for o in kpi["observations"]]},
        {"label": t("kpi_sheet.target"), "kind": "target", "points": [(g["deadline"], g["value"]) for g in kpi["targets"]]},
        {"label": t("kpi_sheet.baseline"), "kind": "baseline", "points": [(b["as_of"], b["value"]) for b in kpi["baselines"]]},
    ]
    item = f"{kpi['reform_item_number'] or ''}{kpi['reform_item']}" if kpi["reform_item"] else None
    return KpiSheet(
        kpi_id=kpi["id"], name=kpi["name"], item=item,
        tier=t(f"kpi_table.tier{kpi['tier']}") if kpi["tier"] in TIER_JA else "", unit=kpi["unit"],
        organisation=kpi["organisation"], values=values, ratings=ratings,
        documents=[f"[{n}] {document_name(d, lang=lang)}" for n, d in enumerate(kpi["documents"], start=1)],
        chart_svg=line_chart(series, kpi["unit"], kpi["name"], lang), lang=lang)


def _joined(sheet: KpiSheet) -> str:
    return ("; " if sheet.lang == "en" else "、").join(sheet.documents) or "-"


def to_html(sheet: KpiSheet, at=None) -> str:
    from mieruka.publish.render import render_html

    return render_html("kpi_sheet.html", title=sheet.title, source=_joined(sheet),
                       notes=[translator(sheet.lang)("kpi_sheet.note")], at=at, lang=sheet.lang, sheet=sheet,
                       body_class="sheet")


_INFO = ("item", "tier", "unit", "organisation")
_FIRST_VALUE_ROW = 8  # after the title, the four lines about the KPI, a blank row and the values' header
_templates: dict = {}


def _sheet_template(lang: str = "ja"):
    """The indicator sheet's workbook as openpyxl makes it without the KPI's rows: page setup, widths, the title, the
    four merged lines about the KPI and the values' header (repeated on every printed page), and a probe cell for
    each style the rows use."""
    from mieruka.publish import workbook as w

    t = translator(lang)
    wb, ws = w.new_sheet(t("kpi_sheet.sheet"), landscape=False)
    w.heading(ws, t("kpi_sheet.sheet"), None, 5, lang=lang)
    for row, label in enumerate(_INFO, start=2):
        w.body_cell(ws, row, 1, t(f"kpi_sheet.{label}"), bold=True)
        w.body_cell(ws, row, 2, "-")
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
    w.header_rows(ws, _FIRST_VALUE_ROW - 1, [[(t(f"kpi_sheet.{key}"), 1, 1)
                                             for key in ("kind", "text", "when", "status", "source")]])
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

    t = _templates.get(sheet.lang)
    if t is None:
        t = _templates[sheet.lang] = _sheet_template(sheet.lang)
    say = translator(sheet.lang)
    ja = sheet.lang != "en"  # 和暦 dates in Japanese; ISO dates as text in English
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
        rows[row] = [cell(1, v.kind_label), cell(2, v.text),
                     cell(3, v.when if v.precision in (None, "day") and ja else v.shown_when, wareki=ja),
                     cell(4, v.status_label or None), cell(5, v.source)]
        row += 1
    row += 1
    rows[row] = [cell(c, say(f"kpi_sheet.{key}"), "head")
                 for c, key in enumerate(("rating", "scheme", "code", "as_of", "explanation"), start=1)]
    row += 1
    for r in sheet.ratings:
        rows[row] = [cell(1, say("kpi_sheet.official") if r.official else "mieruka"), cell(2, r.scheme),
                     cell(3, r.code, "code"), cell(4, r.as_of if ja or r.as_of is None else r.as_of.isoformat(), wareki=ja),
                     cell(5, "\n".join(x for x in (r.explanation, r.source) if x))]
        row += 1
    row += 1
    rows[row] = [(1, styles["small"], say("kpi_sheet.note"))]
    rows[row + 1] = [(1, styles["small"], f"{say('report.source')}: {_joined(sheet)}")]
    return t.to_bytes(rows)
