"""Where each cell of a schedule table (改革工程表) sits on the fiscal-year axis, undoing the column errors
of the PDF-to-text conversion; a cell that spans several columns gets a span, one that cannot be placed "（列不明）".

The rules, in the order they apply (each one was found on the tables of the seed documents):
1. Labels come from the two header rows. When the lower row repeats a year the upper row already has further
   right, the lower row slipped left: its years slide right to meet the upper row's, and the first period
   ("～2016年度") widens over the columns it leaves.
2. A header whose first column is a year over rows that open with an area label ("IT化と業務改革、行政改革等")
   sits one column left of those rows (rows with their own text in the first column are not moved).
3. The first period is printed with the lead ministry (《主担当府省庁等》) beside it. When the column at or just
   after the first period holds no step in any row while the next one does, it is that ministry column:
   it is skipped, and the cells to its right move one column left.
4. A cell that lands on a KPI column (the conversion dropped empty year columns before the KPI cells) is
   counted back from the row's first KPI cell: the column just left of it is the last period (2020年度～).
5. A cell that dates itself ("…の検討(2015年度～2016年度)", "○2016年度…", "2018年度に…", "(2017年度概算
   要求…)") but lands in a column its dates rule out moves to the column of those dates; a cell stating a
   span of years from its own column on ("2016～2018年度の各年度において") spans those columns.
6. A merged cell holds several columns' steps at once (a "左記…"/"改革期間を通じ…" step after others, or a
   numbered list that starts again). The last step cell of its row spans from its column to the last period;
   one followed by cells placed from the left cannot be bounded: it and those cells are "（列不明）".
7. The conversion prints a cell straddling two columns in both: equal neighbours are one cell over both.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

UNPLACED = "（列不明）"
YEAR_LABEL = re.compile(r"^[～〜]?\d{4}(?:・\d{4})?年度[～〜]?$")
KPI_LABEL = re.compile(r"^KPI\s*[(（]第([一二])階層[)）]$")
_PAST, _FUTURE = 0, 9999

_SPAN = re.compile(r"(\d{4})(?:年度)?[～〜](\d{4})年度")
_SELF_DATED = (re.compile(r"^○(\d{4})年度(?:・(\d{4})年度)?"), re.compile(r"^(\d{4})年度に"),
               re.compile(r"[(（](\d{4})年度概算要求"))
_LATER_STEP = re.compile(r"^(?:左記|上記|改革期間を通じ)")
_NUMBERED = re.compile(r"^(\d{1,2})\s*[.．]")


@dataclass
class Step:
    """One cell of a row that is a step of the schedule (not an area label, KPI cell or office)."""

    col: int  # data column as written
    text: str  # visible lines joined with "\n"


@dataclass
class Placed:
    """A step and the header columns it covers: first and last label, both None when it cannot be placed."""

    step: Step
    first: str | None
    last: str | None
    anchored: bool = False  # placed from the row's KPI cells (rule 4), not counted from the left
    straight: bool = True  # read from the header as printed, no rule needed
    last_col: int = -1  # the data column of its last copy (rule 7)

    @property
    def period(self) -> str:
        return span(self.first, self.last) if self.first and self.last else UNPLACED


def header_labels(rows: list[list[str]]) -> tuple[list[str | None], bool]:
    """Column → fiscal-year or KPI label, the lower row being more specific; and whether rule 1 moved it."""
    width = max(len(r) for r in rows)
    per_row = [[c if c and (YEAR_LABEL.match(c) or KPI_LABEL.match(c)) else None for c in r] + [None] * (width - len(r))
               for r in rows]
    slid = False
    if len(per_row) == 2:
        lower = _slide_lower_row(*per_row)
        slid, per_row[1] = lower != per_row[1], lower
    return [next((r[i] for r in reversed(per_row) if r[i]), None) for i in range(width)], slid


def _slide_lower_row(upper: list[str | None], lower: list[str | None]) -> list[str | None]:
    years = [(i, lab) for i, lab in enumerate(lower) if lab and YEAR_LABEL.match(lab)]
    for i, lab in years:
        j = next((j for j, up in enumerate(upper) if up == lab), None)
        if j is not None and j > i:
            moved: list[str | None] = [None] * len(lower)
            for k, other in years:
                if k + j - i < len(lower):
                    moved[k + j - i] = other
            start, first = years[0]
            for k in range(start, start + j - i):
                moved[k] = first
            return moved
    return lower


def year_bounds(label: str) -> tuple[int, int]:
    """"2014・2015年度" → (2014, 2015); an open end ("～2016年度", "2020年度～") reaches as far as any year."""
    years = [int(y) for y in re.findall(r"\d{4}", label)]
    lo = _PAST if label.startswith(("～", "〜")) else min(years)
    hi = _FUTURE if label.endswith(("～", "〜")) else max(years)
    return lo, hi


def span(first: str, last: str) -> str:
    """"2016年度"–"2018年度" → "2016年度～2018年度": the two column labels as written, joined by one ～."""
    if first == last:
        return first
    return f"{first.rstrip('～〜')}～{last.lstrip('～〜')}"


def stated_years(text: str) -> tuple[int, int, bool] | None:
    """The fiscal years a step gives for itself, and whether it states them as a span (rule 5)."""
    found = [(int(a), int(b)) for a, b in _SPAN.findall(text)]
    spans = bool(found)
    for rx in _SELF_DATED:
        m = rx.search(text)
        if m:
            years = [int(y) for y in m.groups() if y]
            found.append((min(years), max(years)))
    if not found:
        return None
    return min(a for a, _ in found), max(b for _, b in found), spans


def is_merged(lines: list[str]) -> bool:
    """A cell that holds the steps of several columns (rule 6)."""
    if any(_LATER_STEP.match(x) for x in lines[1:]):
        return True
    numbers = [int(m.group(1)) for m in (_NUMBERED.match(x) for x in lines) if m]
    return any(b <= a for a, b in zip(numbers, numbers[1:]))


class Layout:
    """The mapping from a table's data columns to its header's periods (rules 1–4)."""

    def __init__(self, labels: list[str | None], slid: bool, rows: list[tuple[int, list[int]]]):
        """*rows*: (area shift of the row, the data columns of its step cells)."""
        self.labels, self.slid = labels, slid
        self.periods = [lab for lab in labels if lab and YEAR_LABEL.match(lab)]
        self.years = [i for i, lab in enumerate(labels) if lab and YEAR_LABEL.match(lab)]
        self.kpi_from = next((i for i, lab in enumerate(labels) if lab and KPI_LABEL.match(lab)), len(labels))
        self.skip = self._ministry_column([[c - shift for c in cols] for shift, cols in rows])

    def _ministry_column(self, rows: list[list[int]]) -> int | None:
        """Rule 3: the header column (at or after the first period) no row has a step in, before one that has."""
        if not self.years:
            return None
        used = {c for cols in rows for c in cols}
        first = self.years[0]
        return next((c for c in (first, first + 1) if c not in used and c + 1 in used), None)

    def header_col(self, col: int, shift: int) -> int:
        """The header column of data column *col* in a row moved *shift* columns right (rules 2 and 3)."""
        c = col - shift
        return c - 1 if self.skip is not None and c > self.skip else c

    def label(self, c: int) -> str | None:
        """The period of header column *c*; an unlabelled column belongs to the year on its left."""
        left = [self.labels[i] for i in self.years if i <= c]
        if left:
            return left[-1]
        return self.periods[0] if self.periods else None

    def place_row(self, steps: list[Step], shift: int, first_kpi_col: int | None) -> list[Placed]:
        """The step cells of one row (in column order) placed; *first_kpi_col* is its first KPI cell's column."""
        placed = [self._place(s, shift, first_kpi_col) for s in steps]
        self._bound_merged(placed)
        return _join_straddling(placed, self.periods)

    def _place(self, step: Step, shift: int, first_kpi_col: int | None) -> Placed:
        c = self.header_col(step.col, shift)
        behind_kpi = first_kpi_col is not None and 0 < first_kpi_col - step.col <= len(self.periods)
        if self.years and (c >= self.kpi_from or c > self.years[-1]) and behind_kpi:
            at = self.periods[step.col - first_kpi_col]
            return Placed(step, at, at, anchored=True, straight=False)
        label = self.label(c)
        first, last = self._dated(step.text, label) if label else (None, None)
        moved = self.slid or shift or c != step.col - shift or (first, last) != (label, label)
        return Placed(step, first, last, straight=not moved)

    def _dated(self, text: str, label: str) -> tuple[str, str]:
        """Rule 5: the columns a self-dated step can be in."""
        stated = None if is_merged(text.split("\n")) else stated_years(text)
        if stated is None:
            return label, label
        lo, hi, spans = stated
        clo, chi = year_bounds(label)
        if clo > hi:
            return self.column_of(hi), self.column_of(hi)
        if chi < lo:
            return self.column_of(lo), self.column_of(lo)
        if spans and clo <= lo and hi > chi:
            return label, self.column_of(hi)
        return label, label

    def column_of(self, year: int) -> str:
        """The period whose column holds *year*; a year before or after them all, the first or last one."""
        hit = next((lab for lab in self.periods if year_bounds(lab)[0] <= year <= year_bounds(lab)[1]), None)
        if hit:
            return hit
        return self.periods[0] if year < year_bounds(self.periods[0])[0] else self.periods[-1]

    def _bound_merged(self, placed: list[Placed]) -> None:
        """Rule 6 on one row."""
        for k, p in enumerate(placed):
            if not p.first or not is_merged(p.step.text.split("\n")):
                continue
            rest = placed[k + 1:]
            p.straight = False
            if not rest:
                p.last = self.periods[-1]
            elif rest[0].anchored:
                p.last = self.periods[max(self.periods.index(rest[0].first) - 1, self.periods.index(p.first))]
            else:
                for q in [p, *(q for q in rest if not q.anchored)]:
                    q.first = q.last = None
                return


def _join_straddling(placed: list[Placed], periods: list[str]) -> list[Placed]:
    """Rule 7: equal cells side by side are one cell over both their columns."""
    out: list[Placed] = []
    for p in placed:
        prev = out[-1] if out else None
        if prev and prev.step.text == p.step.text and p.step.col == prev.last_col + 1 and prev.first and p.first:
            ends = sorted({prev.first, prev.last, p.first, p.last}, key=periods.index)
            prev.first, prev.last, prev.last_col, prev.straight = ends[0], ends[-1], p.step.col, False
            continue
        p.last_col = p.step.col
        out.append(p)
    return out
