"""The KPI status table (KPIの状況) in the reform schedule's layout: 重要課題 → 改革項目 (with its number) → KPI rows
with tier, target, actuals, point in time and kind of value, the official rating and the next measurement.
Built from plain rows (storage.publishing.kpi_status_rows) so that another source of rows, such as a reporting
round, can feed the same layout."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from mieruka.ingest.readers.published_table import SIGNATURE  # the note by which `ingest` knows this table
from mieruka.jp import point_end
from mieruka.publish.render import date_in, translator
from mieruka.publish.sources import TableSource

STATUS_JA = {"preliminary": "速報値", "final": "確報値", "forecast": "見込み"}
_STATUS_KEY = {ja: key for key, ja in STATUS_JA.items()}
TIER_JA = {1: "第一階層", 2: "第二階層"}
REPEAT = "【再掲】"
_REPEAT_WRITTEN = re.compile(r"\s*[【\[(（]\s*再掲\s*[】\])）]\s*$")


@dataclass
class KpiStatusRow:
    kpi_id: int
    name: str
    tier: int | None
    target: str
    actual: str
    as_of: date | None
    status: str | None  # 速報値 | 確報値 | 見込み
    rating: str | None  # the official code, A/B/N/F
    computed: str | None  # mieruka's recomputation under the table's computed_scheme, shown only when asked
    next_measurement: str
    repeated: bool
    line: int | None = None
    lang: str = "ja"
    as_of_precision: str | None = None  # how precisely the document gave as_of: day | month | fiscal_year | year

    @property
    def tier_label(self) -> str:
        return translator(self.lang)(f"kpi_table.tier{self.tier}") if self.tier in TIER_JA else ""

    @property
    def label(self) -> str:
        return f"{self.name}{translator(self.lang)('kpi_table.repeat')}" if self.repeated else self.name


@dataclass
class ItemGroup:
    number: str | None
    name: str | None
    rows: list[KpiStatusRow] = field(default_factory=list)
    lang: str = "ja"

    @property
    def label(self) -> str:
        return f"{self.number or ''}{self.name or translator(self.lang)('kpi_table.no_item')}"


@dataclass
class ThemeGroup:
    name: str | None
    items: list[ItemGroup] = field(default_factory=list)
    lang: str = "ja"

    @property
    def label(self) -> str:
        return self.name or translator(self.lang)("kpi_table.no_theme")


@dataclass
class KpiStatusTable:
    source: TableSource
    themes: list[ThemeGroup]
    computed_scheme: str | None = None  # mieruka's recomputation under this scheme, beside the official rating
    lang: str = "ja"  # the report's words (the document's own text stays as written)

    @property
    def rows(self) -> list[KpiStatusRow]:
        return [row for t in self.themes for i in t.items for row in i.rows]

    @property
    def name(self) -> str:
        return self.source.edition or self.source.title or self.source.file_name

    @property
    def title(self) -> str:
        space = "　" if self.lang == "ja" else " — "  # the ideographic space is Japanese typography
        return f"{translator(self.lang)('kpi_table.title')}{space}{self.name}"


def display_name(written: str) -> tuple[str, bool]:
    """The KPI's name as the document wrote it, without a written 【再掲】 (given back as the second value): the table
    adds the mark itself, in one form."""
    name, marked = _REPEAT_WRITTEN.subn("", written.strip())
    return name.strip(), bool(marked)


def _tier(row: dict) -> int | None:
    written = row.get("tier_as_written")
    if written in ("1", "2"):
        return int(written)
    return row.get("tier")


def _status(observations: list[dict]) -> str | None:
    """The kind of the row's actual (速報値, 確報値); 見込み only when the row has nothing but a forecast: a 見込み
    printed beside an actual is a sentence of its own in the cell, which says so itself."""
    actuals = [o for o in observations if o.get("status") != "forecast"] or observations
    for o in actuals:
        if o.get("status") in STATUS_JA:
            return STATUS_JA[o["status"]]
    return None


def printed_rows(rows: list[dict]) -> list[dict]:
    """The rows the document's table printed: a KPI read out of the row above it (same line, that row's KPI its
    parent: "430団体、約7,693万人" gives a count and a population) is part of that row, not a row of its own."""
    out: list[dict] = []
    for r in rows:
        if out and r.get("line") is not None and r.get("line") == out[-1].get("line") \
                and r.get("parent_id") is not None and r.get("parent_id") == out[-1]["kpi_id"]:
            continue
        out.append(r)
    return out


def build_kpi_status_table(source: TableSource, rows: list[dict], computed_scheme: str | None = None,
                           lang: str = "ja") -> KpiStatusTable:
    """Group rows (each as storage.publishing.kpi_status_rows gives them) by 重要課題 and 改革項目, in the order they
    come; a KPI met again in the same table is marked 【再掲】, as is one the document marked so."""
    themes: list[ThemeGroup] = []
    seen: set[int] = set()
    for r in printed_rows(rows):
        if not themes or themes[-1].name != r.get("theme"):
            themes.append(ThemeGroup(r.get("theme"), lang=lang))
        theme = themes[-1]
        if not theme.items or (theme.items[-1].number, theme.items[-1].name) != (r.get("item_number"), r.get("item_name")):
            theme.items.append(ItemGroup(r.get("item_number"), r.get("item_name"), lang=lang))
        name, marked = display_name(r["name"])
        # the table's 実績値 cell: a 見込み printed in the progress text beside the table is not part of it
        obs = [o for o in r.get("observations") or [] if o.get("status") != "forecast"] or r.get("observations") or []
        official = r.get("official") or []
        computed = next((c["code"] for c in r.get("computed") or [] if c["scheme"] == computed_scheme), None)
        theme.items[-1].rows.append(KpiStatusRow(
            kpi_id=r["kpi_id"], name=name, tier=_tier(r),
            target="\n".join(t["text"] for t in r.get("targets") or []),
            actual="\n".join(o["text"] for o in obs) or "\n".join(r.get("scheduling_notes") or []),
            as_of=next((o["as_of"] for o in obs if o.get("as_of")), None),
            as_of_precision=next((point_precision(o) for o in obs if o.get("as_of")), None),
            status=_status(obs),
            rating=official[0]["code"] if official else None,
            computed=computed,
            next_measurement=r.get("next_measurement") or "",
            repeated=marked or "再掲" in (r.get("markers") or []) or r["kpi_id"] in seen,
            line=r.get("line"), lang=lang,
        ))
        seen.add(r["kpi_id"])
    return KpiStatusTable(source, themes, computed_scheme, lang)


def _source_line(table: KpiStatusTable) -> str:
    from mieruka.records.citation import document_name

    return document_name(table.source.label(), lang=table.lang)


def notes(lang: str = "ja") -> list[str]:
    """The notes under the table; the Japanese ones carry SIGNATURE, by which `ingest` knows mieruka's own table."""
    t = translator(lang)
    return [t("kpi_table.note_ratings") + t("kpi_table.note_official"), t("kpi_table.note_repeat")]


NOTES = notes("ja")
assert SIGNATURE in NOTES[0]


def to_html(table: KpiStatusTable, at=None) -> str:
    from mieruka.publish.render import render_html

    lines = notes(table.lang)
    if table.computed_scheme:
        lines.append(translator(table.lang)("kpi_table.note_computed", scheme=table.computed_scheme))
    return render_html("kpi_table.html", title=table.title, source=_source_line(table), notes=lines, at=at,
                       table=table, tier_runs=tier_runs, as_of_note=as_of_note, lang=table.lang)


def point_precision(o: dict) -> str | None:
    """How precisely the document gave an actual's date, a fiscal year told apart as the 年度 the value is for
    (fiscal_year) or its end (fiscal_year_end: 「1117 (2016年度末)」), for date_in."""
    precision = o.get("as_of_precision")
    if precision == "fiscal_year" and point_end(precision, o.get("text"), o.get("as_of")):
        return "fiscal_year_end"
    return precision


def as_of_note(row: KpiStatusRow) -> str:
    """The point in time of the actual, Western and 和暦, with its kind: 時点 2017-04-01（平成29年4月1日） 速報値
    (in English: as of 2017-04-01 preliminary)."""
    t = translator(row.lang)
    status = t(f"kpi_table.{_STATUS_KEY[row.status]}") if row.status in _STATUS_KEY else (row.status or "")
    if row.as_of is None:
        return status
    return f"{t('kpi_table.as_of')} {date_in(row.as_of, row.lang, row.as_of_precision)}" + (f" {status}" if status else "")


def actual_cell(row: KpiStatusRow) -> str:
    """The actual as the document wrote it, then the point in time read from it (one cell, as the official
    table has; mieruka reads the first value and date of the cell back)."""
    note = as_of_note(row)
    slash = " ／ " if row.lang == "ja" else " / "  # the full-width slash is Japanese typography
    return f"{row.actual or '-'}{slash}{note}" if note else (row.actual or "-")


def tier_runs(rows: list[KpiStatusRow]) -> list[int]:
    """For each row, how many rows its tier cell spans (0 for a row under the cell above), as the official table
    prints one 第一階層/第二階層 cell over consecutive rows of a tier."""
    spans = [0] * len(rows)
    i = 0
    while i < len(rows):
        j = i + 1
        while j < len(rows) and rows[j].tier == rows[i].tier:
            j += 1
        spans[i] = j - i
        i = j
    return spans


def to_xlsx(table: KpiStatusTable) -> bytes:
    """Each 改革項目 as the reform schedule prints it — 重要課題 and 改革項目 above, KPIの状況, then the six columns
    (階層 | KPI | 目標値 | 実績値（時点） | 区分 | 次回の把握時期と今後の方針) — so `mieruka ingest` reads it back."""
    from mieruka.publish import workbook as w

    t = translator(table.lang)
    width = 6 + (1 if table.computed_scheme else 0)
    wb, ws = w.new_sheet(t("kpi_table.title"))
    w.heading(ws, table.title, table.source.published, width, table.lang)
    row, first_header = 3, None
    for theme in table.themes:
        for item in theme.items:
            colon = "：" if table.lang == "ja" else ": "
            for text, size in ((f"{t('kpi_table.theme')}{colon}{theme.label}", 10), (f"{t('kpi_table.item')}{colon}{item.label}", 11),
                               (t("kpi_table.section"), 10)):
                w.put(ws, row, 1, text).font = w.Font(name=w.FONT, size=size, bold=True)
                w.merge(ws, row, 1, row, width)
                row += 1
            heads = [(t("kpi_table.kpi"), 1, 2), (t("kpi_table.target"), 1, 1), (t("kpi_table.actual"), 1, 1),
                     (t("kpi_table.rating"), 1, 1)] \
                + ([(t("kpi_table.computed"), 1, 1)] if table.computed_scheme else []) + [(t("kpi_table.next"), 1, 1)]
            w.header_rows(ws, row, [heads])
            first_header = first_header or row
            row += 1
            spans = tier_runs(item.rows)
            for r, span in zip(item.rows, spans):
                w.body_cell(ws, row, 1, r.tier_label if span else None, align=w.CENTER)
                if span > 1:
                    w.merge_down(ws, 1, row, row + span - 1)
                w.body_cell(ws, row, 2, r.label)
                w.body_cell(ws, row, 3, r.target or "-")
                w.body_cell(ws, row, 4, actual_cell(r))
                w.body_cell(ws, row, 5, r.rating or "-", align=w.CENTER, bold=True)
                if table.computed_scheme:
                    w.body_cell(ws, row, 6, r.computed, align=w.CENTER)
                w.body_cell(ws, row, width, r.next_measurement or "-")
                row += 1
            row += 1  # a blank row ends the table
    if first_header:
        ws.print_title_rows = f"{first_header}:{first_header}"
        ws.freeze_panes = None
    for note in notes(table.lang) + [f"{t('report.source')}: {_source_line(table)}"]:
        w.put(ws, row, 1, note).font = w.Font(name=w.FONT, size=8)
        row += 1
    w.widths(ws, [10, 34, 22, 34, 6] + ([9] if table.computed_scheme else []) + [40])
    return w.to_bytes(wb)
