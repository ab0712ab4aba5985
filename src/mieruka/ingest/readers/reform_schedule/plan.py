"""The schedule tables (改革工程表) of the tab-separated layout: one ScheduleRecord per step cell with the
period it covers (see columns.py for how columns are placed) and the offices of its table, and
the KPIs of the KPI columns as edition-tagged statements."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date

from mieruka.records.extraction import ReformItemRecord, ScheduleRecord, Source
from mieruka.jp import normalise_text, parse_date

from .build import Builder, Line, correct
from .columns import KPI_LABEL, YEAR_LABEL, Layout, Step, header_labels
from .statements import Statements, is_kpi_line

EDITION = re.compile(r"^(.*改革工程表.*?)\s*[(（]([^()（）]*\d[^()（）]*)[)）]\s*$")
_ECHO = re.compile(r"^(?:[～〜]?\d{4}(?:・\d{4})?年度[～〜]?|KPI\s*\(第[一二]階層\)|集中改革期間|《主担当府省庁等》|\s)+$")
# The calendar ruler (通常国会, 概算要求 税制改正要望等, 年末) repeats over every table, often garbled by
# the PDF conversion ("減厚要求 税制の正整等"); it marks the timeline, it is not a step.
_RULER = re.compile(r"^(?:通常国会|年[末令]|\S{2}要求|\S{0,4}(?:改正|正整)\S{0,4}等|\S{2}費等|経済産業|世界貿易)$")
_MARKER = re.compile(r"^[<＜]\s*([①-⑳][^<>＜＞]+?)\s*[>＞]\s*(.*)$")
_OFFICE = re.compile(r"《([^《》]+)》")
_BULLETED = "・(【"
_FOLD = re.compile(r"[\s、・,，。]")


@dataclass
class Reading:
    """A schedule record as one table's printing gave it (see drop_repeats)."""

    item: ReformItemRecord
    record: ScheduleRecord
    table: int  # which schedule table of the document, counted from 1
    straight: bool  # its column came from the header as printed, with no correction


@dataclass
class ScheduleTable:
    """One 改革工程表 table: edition heading, the two header rows and the data rows."""

    edition: str | None
    edition_date: date | None
    header: list[Line]
    rows: list[Line] = field(default_factory=list)


def edition_heading(text: str) -> tuple[str, date | None] | None:
    """"経済・財政再生計画 改革工程表 2016改定版(平成28年12月21日)" → (name, 2016-12-21)."""
    if "\t" in text:
        return None
    m = EDITION.match(re.sub(r"\s+", " ", text.strip()))
    if not m:
        return None
    name = re.sub(r"\s*改革工程表\s*", " 改革工程表 ", m.group(1)).strip()
    return re.sub(r"\s+", " ", name), parse_date(m.group(2))


def is_header(text: str) -> bool:
    return "\t" in text and ("集中改革期間" in text or bool(re.search(r"KPI\s*[(（]第一階層", text)))


def _raw_lines(cell: str) -> list[str]:
    """Lines of a cell with tags removed but spacing kept (offices and the ruler are split on it)."""
    s = re.sub(r"</?(?:p|li|ul|ol|br)\b[^<>]{0,200}>", "\n", html.unescape(cell), flags=re.I)
    s = re.sub(r"</?[A-Za-z][^<>]{0,200}>", " ", s)
    return [re.sub(r"\s+", " ", t).strip() for t in s.split("\n") if t.strip()]


def _is_ruler(raw: str) -> bool:
    tokens = raw.split()
    return bool(tokens) and len(raw) <= 30 and all(_RULER.match(t) for t in tokens) \
        and not all(t in ("経済産業", "世界貿易") for t in tokens)


def _labels(header: list[Line]) -> tuple[list[str | None], bool]:
    return header_labels([[" ".join(_raw_lines(_OFFICE.sub("", c))) for c in h.text.split("\t")] for h in header])


def _has_area_column(labels: list[str | None], rows: list[Line]) -> bool:
    """Data rows that open with an area label ("地方行政分野における改革") under a header whose first
    column is already a fiscal year sit one column to the right of that header."""
    if not labels or not labels[0] or not YEAR_LABEL.match(labels[0]):
        return False
    return any(is_area(_first_cell(r)) for r in rows)


def _first_cell(row: Line) -> str:
    return " ".join(normalise_text(x) for x in _raw_lines(row.text.split("\t")[0]))


def _kpi_tier(labels: list[str | None], col: int) -> int | None:
    m = KPI_LABEL.match(labels[col] or "") if 0 <= col < len(labels) else None
    return (1 if m.group(1) == "一" else 2) if m else None


@dataclass
class _Cell:
    """A non-empty cell of a data row: its visible lines, the offices it names, its text as written."""

    col: int
    lines: list[str]
    offices: list[str]
    source: Source


@dataclass
class _Row:
    """A data row, the columns its area label moves it by, and its cells sorted into KPI and step cells."""

    line: Line
    shift: int
    cells: list[_Cell]
    kpis: list[_Cell] = field(default_factory=list)
    steps: list[_Cell] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)  # the offices a cell of their own names in this row


class _TableReader:
    """Reads one schedule table: step cells to ScheduleRecords, KPI cells to edition-tagged KPI statements."""

    def __init__(self, b: Builder, table: ScheduleTable):
        self.b, self.t = b, table
        self.labels, self.slid = _labels(table.header)
        self.shift = 1 if _has_area_column(self.labels, table.rows) else 0
        self.offices: list[str] = []

    def item(self) -> ReformItemRecord | None:
        for row in self.t.rows:
            for raw in (r for c in row.text.split("\t") for r in _raw_lines(c)):
                m = _MARKER.match(normalise_text(correct(raw)))
                if m:
                    return self.b.reform_item(m.group(1), Source(row.no, text=raw), self.b.theme)
        return self.b.item

    def content(self, raw_lines: list[str], where: int) -> tuple[list[str], list[str]]:
        """Visible text of a cell without ruler, header echoes, item markers and offices; and its offices."""
        out, offices = [], []
        for raw in raw_lines:
            raw = correct(raw, where, self.b.corrections)
            if _is_ruler(raw):
                continue
            for office in _OFFICE.findall(raw):
                if office != "主担当府省庁等" and not office.endswith("との連携"):
                    offices += [o for o in (x.strip() for x in office.split("、")) if o and o not in offices]
            raw = _OFFICE.sub(lambda m: m.group() if m.group(1).endswith("との連携") else " ", raw)
            line = normalise_text(raw)
            marker = _MARKER.match(line)
            if marker:
                line = marker.group(2)
            if line and not _ECHO.match(line):
                out.append(line)
        return out, offices

    def row(self, line: Line) -> _Row:
        first = _first_cell(line)
        # A row that fills the area column with its own content is not shifted.
        row = _Row(line, self.shift if not first or is_area(first) else 0, [])
        for col, cell in enumerate(line.text.split("\t")):
            lines, offices = self.content(_raw_lines(cell), line.no)
            self.offices += [o for o in offices if o not in self.offices]
            if not lines:  # a cell holding only an office (《…》) names the office of its row's steps
                row.offices += [o for o in offices if o not in row.offices]
            if col == 0 and len(lines) == 1 and is_area(lines[0]):
                self.b.area(lines[0])
            elif lines:
                row.cells.append(_Cell(col, lines, offices, Source(line.no, text=cell)))
        return row

    def read(self) -> None:
        item = self.item()
        rows = [self.row(line) for line in self.t.rows]
        self.sort_cells(rows)
        layout = Layout(self.labels, self.slid, [(r.shift, [c.col for c in r.steps]) for r in rows])
        statements = Statements(self.b, self.t.edition, item.name if item else None)
        records: list[tuple[ScheduleRecord, bool, list[str]]] = []
        for r in rows:
            self.kpi_cells(r, statements)
            if item is None:
                for c in r.steps:
                    self.b.unplaced(c.source)
                continue
            by_col = {c.col: c for c in r.steps}
            first_kpi = r.kpis[0].col if r.kpis else None
            for p in layout.place_row([Step(c.col, "\n".join(c.lines)) for c in r.steps], r.shift, first_kpi):
                cell = by_col[p.step.col]
                records.append((ScheduleRecord(
                    edition=self.t.edition or "", edition_date=self.t.edition_date, period=p.period,
                    text=p.step.text, source=cell.source, offices=list(cell.offices)), p.straight, r.offices))
        statements.finish()
        self.b.schedule_tables += 1
        for rec, straight, row_offices in records:
            # Offices are printed once per table; a cell that names its own keeps those, a row that names its own
            # (a table printing one step twice, each row with its office) keeps the row's.
            rec.offices = rec.offices or list(row_offices) or list(self.offices)
            if _add_schedule(item, rec):
                self.b.schedule_readings.append(Reading(item, rec, self.b.schedule_tables, straight))

    def sort_cells(self, rows: list[_Row]) -> None:
        """KPI cells are those stating a KPI, and bullet cells at or right of the first such column; the
        header's KPI labels decide only when no cell states one (they drift with the conversion)."""
        stating = [c.col for r in rows for c in r.cells if any(is_kpi_line(x) for x in c.lines)]
        kcol = min(stating) if stating else None
        for r in rows:
            for c in r.cells:
                bullets = all(x[0] in _BULLETED for x in c.lines)
                at_kpi = c.col >= kcol if kcol is not None else bool(_kpi_tier(self.labels, c.col - r.shift))
                is_kpi = any(is_kpi_line(x) for x in c.lines) or (at_kpi and bullets)
                (r.kpis if is_kpi else r.steps).append(c)

    def kpi_cells(self, r: _Row, statements: Statements) -> None:
        """Tiers: the last two KPI cells of a row are the 第一階層 and 第二階層 columns whatever the
        drifting header says (cells left of them overflow the first); a lone one takes the header's label."""
        n = len(r.kpis)
        for k, c in enumerate(r.kpis):
            if n >= 2:
                tier = max(1, k - (n - 2) + 1)
            else:
                tier = _kpi_tier(self.labels, c.col - r.shift)
            statements.cell(c.col, c.lines, c.source, tier)


def _add_schedule(item: ReformItemRecord, rec: ScheduleRecord) -> bool:
    """Keep a step once per edition and period; a second printing that names other offices is kept too, so that the
    audit sees the two offices (office_conflict)."""
    if any((s.edition, s.period, s.text) == (rec.edition, rec.period, rec.text)
           and (not rec.offices or not s.offices or _fold_offices(s.offices) == _fold_offices(rec.offices))
           for s in item.schedules):
        return False
    item.schedules.append(rec)
    return True


def drop_repeats(b: Builder) -> None:
    """The document prints some editions' tables more than once, each time with other column errors. A step
    (same edition, item and wording) that one printing gives straight from its header and another only
    through a correction keeps the straight reading; the corrected repeats go. A wording a table repeats
    itself ("左記に基づき引き続き実施") is a different step in each row and is left alone."""
    groups: dict[tuple, list[Reading]] = {}
    for r in b.schedule_readings:
        groups.setdefault((r.record.edition, id(r.item), _FOLD.sub("", r.record.text)), []).append(r)
    for readings in groups.values():
        tables = [r.table for r in readings]
        if len(set(tables)) < 2 or len(tables) != len(set(tables)) or not any(r.straight for r in readings):
            continue
        for r in readings:
            if not r.straight:
                r.item.schedules = [s for s in r.item.schedules if s is not r.record]


def is_area(text: str) -> bool:
    """"地方行政分野における改革", "IT化と業務改革、行政改革等": the policy area a table sits under."""
    return len(text) <= 25 and "。" not in text and bool(re.search(r"改革等?$", text))


def read_schedule(b: Builder, table: ScheduleTable) -> None:
    _TableReader(b, table).read()


def _fold_offices(offices: list[str]) -> frozenset[str]:
    """Offices compared without spacing ("内閣官房 情報通信技術(IT)戦略室" is "内閣官房情報通信技術(IT)戦略室")."""
    return frozenset(re.sub(r"\s", "", normalise_text(o)) for o in offices)
