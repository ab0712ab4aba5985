"""Reader for the policy evaluation sheet (主要な政策に係る評価書, 目標管理型): budget table,
measurement indicators (測定指標) with baselines, yearly targets, actuals and grades, the overall result and legends."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from mieruka.ingest.html_cells import cell_lines
from mieruka.records.extraction import (
    BaselineRecord,
    BudgetRecord,
    Extraction,
    KpiRecord,
    ObservationRecord,
    PolicyResultRecord,
    RatingRecord,
    Source,
    TargetRecord,
)
from mieruka.jp import (
    Parsed,
    era_to_western,
    fiscal_year_end,
    normalise_text,
    parse,
    parse_date,
    strip_markers,
)
from mieruka.jp.numbers import MULTIPLIERS

from . import note_count_text

FAMILY = "policy-evaluation"
SCHEME = "policy-evaluation"

# The five steps of 各行政機関共通区分; the longer wording first, since 目標達成 ends 目標超過達成.
RESULT_STEPS = ("目標超過達成", "相当程度進展あり", "進展が大きくない", "目標に向かっていない", "目標達成")
BUDGET_CATEGORIES = ("当初予算", "補正予算", "繰越し等", "繰越等", "合計", "執行額")
GRADES = ("イ", "ロ", "ハ", "ー")
# The legend and some cells write the "period not over" grade with the kanji 一 or a dash.
_GRADE_DASHES = {"一": "ー", "－": "ー", "-": "ー", "―": "ー", "‐": "ー", "ｰ": "ー"}
MAJOR_MARKER = "主要"

_CIRCLED = re.compile(r"[\u2460-\u2473]")
_NUMBER_CELL = re.compile(r"^(?:\d{1,2}|[\u2460-\u2473])$")
_FY_CELL = re.compile(r"^(?P<era>平成|令和|H|R)?(?P<y>\d{1,4}|元)年度$")
_TRAILING_FY = re.compile(r"[【\[]\s*(?P<fy>(?:平成|令和|H|R)?(?:\d{1,4}|元)\s*年度)\s*[】\]]\s*$")
_BRACKETS = re.compile(r"【([^】]*)】")
_ERA_IN_TITLE = re.compile(r"(平成|令和)(?:\d{1,2}|元)年度")
_EVALUATION_ID = re.compile(r"^[(（](?P<org>[^()（）\d]+?)\s*\d+\s*[-－]\s*\S+?[)）]$")
_LEGEND = re.compile(r"^※\s*(?P<n>\d+)\s*(?P<text>.*)$")
_GRADE_LEGEND = re.compile(r"「(?P<code>[^」])」\s*[:：]\s*(?P<text>[^「]+?)(?:、(?=「)|。?$)")
_UNIT_IN_LABEL = re.compile(r"[(（]\s*(?P<mult>百万|千万|千|億|万)?円\s*[)）]")
_SEPARATOR_CELL = re.compile(r"^-+$")
_BUDGET_NUMBER = re.compile(r"^[▲△\-]?[\d,]+(?:\.\d+)?$")
_NOTE = re.compile(r"^[(（]注\d*[)）]")
# The years a sheet's fiscal-year heading can name: from 明治 to well past any plan.
_FISCAL_YEARS = range(1868, 2201)

# Labels of the rows that hold one value each in the head and foot of the sheet.
_PAIR_LABELS = {"担当部局課室名": "department", "作成責任者名": "responsible", "政策評価実施時期": "evaluated",
                "分野": "field"}


def matches(text: str) -> bool:
    return "主要な政策に係る評価書" in text or ("測定指標" in text and "施策目標" in text)


def read(text: str) -> Extraction:
    return _SheetReader(text).read()


@dataclass
class _Row:
    line: int  # 1-based
    raw: str
    cells: list[str]

    def cell(self, i: int) -> str:
        return self.cells[i] if 0 <= i < len(self.cells) else ""

    def norm(self, i: int) -> str:
        return _plain(self.cell(i))

    def filled(self) -> list[int]:
        return [i for i, c in enumerate(self.cells) if c.strip()]


@dataclass
class _Layout:
    """Column positions of the indicator table, taken from its header rows."""

    number: int
    name: int
    baseline: int
    years: list[tuple[int, int | None]]  # (column, fiscal year; None for a year no date can end)
    final: int
    grade: int


@dataclass
class _Indicator:
    row: _Row
    number: str | None
    goal: str | None
    measure: str | None
    actual_rows: list[_Row] = field(default_factory=list)
    subs: list[_Indicator] = field(default_factory=list)


class _SheetReader:
    def __init__(self, text: str):
        self.rows = [_Row(i, raw, raw.split("\t")) for i, raw in enumerate(text.split("\n"), start=1)]
        self.ex = Extraction(family=FAMILY)
        self.placed: set[int] = set()
        self.era = "平成"
        self.sections: dict[str, str] = {}

    def read(self) -> Extraction:
        i = 0
        while i < len(self.rows):
            i = self._dispatch(i)
        if self.sections:
            self.ex.meta["sections"] = self.sections
        # Cells set aside while reading (a value under no year) join the lines never placed.
        self.ex.unplaced.extend(Source(r.line, text=r.raw) for r in self.rows
                                if r.raw.strip() and r.line not in self.placed)
        self.ex.unplaced.sort(key=lambda s: s.line)
        return self.ex

    def _place(self, *rows: _Row) -> None:
        self.placed.update(r.line for r in rows)

    def _dispatch(self, i: int) -> int:
        row = self.rows[i]
        if not row.raw.strip():
            return i + 1
        label = row.norm(row.filled()[0])
        if all(_SEPARATOR_CELL.match(c.strip()) for c in row.cells if c.strip()):
            self._place(row)
        elif _LEGEND.match(label) and len(row.filled()) == 1:
            self._legend(row, label)
        elif _NOTE.match(label) and len(row.filled()) == 1:
            self.ex.meta.setdefault("notes", []).append(label)
            self._place(row)
        elif self.ex.title is None and "評価書" in label and len(row.filled()) == 1:
            self.ex.title = label
            era = _ERA_IN_TITLE.search(label)
            self.era = era.group(1) if era else self.era
            self._place(row)
        elif _EVALUATION_ID.match(label) and len(row.filled()) == 1:
            m = _EVALUATION_ID.match(label)
            self.ex.meta["evaluation_id"] = label
            self.ex.meta["organisation"] = m.group("org")
            self._place(row)
        elif _is_policy_name(label):
            self._policy_name(row)
        elif self._is_budget_header(row):
            return self._budget(i)
        elif _is_indicator_header(row):
            return self._indicators(i)
        elif "目標達成度合い" in label:
            self._result(row)
        elif label in _PAIR_LABELS:
            self._pairs(row)
        elif "内閣の" in label and "重要政策" in label:
            return self._cabinet_policies(i)
        else:
            self._section(row)
        return i + 1

    # ── head of the sheet ────────────────────────────────────────────────────────────────────

    def _policy_name(self, row: _Row) -> None:
        cells = row.filled()
        if len(cells) > 1:
            self.ex.meta["policy"] = row.norm(cells[1])
        self._pairs(row, start=2)
        self._place(row)

    def _pairs(self, row: _Row, start: int = 0) -> None:
        """Rows like 担当部局課室名 | … | 作成責任者名 | … | 政策評価実施時期 | 令和元年8月."""
        cells = [i for i in row.filled() if i >= start]
        for a, b in zip(cells, cells[1:]):
            key = _PAIR_LABELS.get(row.norm(a))
            if key:
                # Only collapse whitespace: the spaces in "課長 奥田 直彦" separate names.
                self.ex.meta[key] = " ".join(" ".join(cell_lines(row.cell(b))).split())
        evaluated = self.ex.meta.get("evaluated")
        if evaluated and self.ex.doc_date is None:
            self.ex.doc_date = _date(evaluated)
        self._place(row)

    def _section(self, row: _Row) -> None:
        """Narrative rows (政策の概要, 政策の分析 …) kept as text under their label; a row whose first
        cell is empty continues the section above it."""
        filled = row.filled()
        texts = [row.norm(i) for i in filled]
        if filled[0] == 0 or not self.sections:
            label, texts = texts[0], texts[1:]
        else:
            label = list(self.sections)[-1]
        body = "\n".join(t for t in texts if t)
        policy = self.ex.meta.get("policy") or self.ex.title or ""
        note_count_text(self.ex, row.line, f"{policy}（{label}）" if policy else label, body)
        previous = self.sections.get(label)
        self.sections[label] = "\n".join(t for t in (previous, body) if t)
        self._place(row)

    def _cabinet_policies(self, i: int) -> int:
        """政策に関する内閣の重要政策: name, date and excerpt of each speech or plan."""
        self._place(self.rows[i])
        policies = []
        j = i + 1
        while j < len(self.rows):
            row = self.rows[j]
            if not row.raw.strip():
                j += 1
                continue
            if row.cell(0).strip() or len(row.filled()) < 2:
                break
            name, when, excerpt = (row.norm(k) for k in (1, 2, 3))
            policies.append({"name": name, "date": when, "date_iso": _iso(_date(when)),
                             "excerpt": excerpt, "line": row.line})
            self._place(row)
            j += 1
        self.ex.meta["cabinet_policies"] = policies
        return j

    # ── budget ───────────────────────────────────────────────────────────────────────────────

    def _is_budget_header(self, row: _Row) -> bool:
        years = [i for i in row.filled() if _is_fy_heading(row.norm(i))]
        return len(years) >= 2 and any("予算" in row.norm(i) or "区分" in row.norm(i) for i in row.filled())

    def _budget(self, i: int) -> int:
        header = self.rows[i]
        self._place(header)
        # A typo'd year ("0年度") still holds its column, so the values beside it keep their places.
        years = {k: self._fy(header.norm(k)) for k in header.filled() if _is_fy_heading(header.norm(k))}
        unit = next((m for k in header.filled() if (m := _UNIT_IN_LABEL.search(header.norm(k)))), None)
        multiplier = MULTIPLIERS.get(unit.group("mult"), 1.0) if unit and unit.group("mult") else 1.0
        self.ex.meta["budget_unit"] = unit.group(0).strip("()（）") if unit else None
        first_year = min(years)
        j = i + 1
        while j < len(self.rows) and self.rows[j].raw.strip():
            row = self.rows[j]
            label_at = next((k for k in row.filled() if _budget_category(row.norm(k))), None)
            if label_at is None:
                break
            category = _budget_category(row.norm(label_at))
            values = [k for k in row.filled() if k > label_at and _BUDGET_NUMBER.match(row.norm(k))]
            # 執行額 rows come shifted left by the merged label cells; realign on the first year.
            shift = max(0, first_year - values[0]) if values else 0
            for k in values:
                fy = years.get(k + shift)
                if fy is None:
                    self.ex.unplaced.append(Source(row.line, text=row.cell(k)))
                    continue
                amount = _parsed(row.cell(k))
                self.ex.budgets.append(BudgetRecord(
                    fiscal_year=fy, category=category,
                    amount_yen=amount.value * multiplier if amount and amount.value is not None else None,
                    text=row.cell(k), source=Source(row.line, text=row.cell(k)),
                    policy=self.ex.meta.get("policy")))
            self._place(row)
            j += 1
        return j

    def _fy(self, text: str) -> int | None:
        """Fiscal year of a column heading; bare "28年度" counts in the era the sheet's title uses.
        A year no calendar date can end ("0年度", "9999年度") is a typo, not a heading."""
        m = _FY_CELL.match(text.replace(" ", ""))
        if not m:
            return None
        written = m.group("y")
        year = 1 if written == "元" else int(written)
        if len(written) < 4 and year >= 1:
            year = era_to_western(m.group("era") or self.era, year)
        return year if year in _FISCAL_YEARS else None

    # ── indicators ───────────────────────────────────────────────────────────────────────────

    def _indicators(self, i: int) -> int:
        header = self.rows[i]
        self._place(header)
        j = i + 1
        years: list[tuple[int, int | None]] = []
        number_col = _layout(header, []).number
        while j < len(self.rows):
            row = self.rows[j]
            if _indicator_number(row.norm(number_col)):
                break
            if row.raw.strip() and all(_is_heading_cell(row.norm(k)) for k in row.filled()):
                found = [(k, self._fy(row.norm(k))) for k in row.filled() if _is_fy_heading(row.norm(k))]
                years = years or found
                self._place(row)
            j += 1
        layout = _layout(header, years)
        indicators: list[_Indicator] = []
        goal = measure = None
        while j < len(self.rows):
            row = self.rows[j]
            if not row.raw.strip():
                j += 1
                continue
            number = row.norm(layout.number)
            if row.cell(0).strip() and not _indicator_number(number):
                break
            goal = row.norm(0) or goal
            if _indicator_number(number):
                measure = row.norm(1) or measure
                indicators.append(_Indicator(row, number, goal, measure))
            elif indicators and _is_sub_indicator(row, layout):
                indicators[-1].subs.append(_Indicator(row, None, goal, measure))
            elif indicators:
                latest = indicators[-1].subs[-1] if indicators[-1].subs else indicators[-1]
                latest.actual_rows.append(row)
            else:
                j += 1
                continue
            self._place(row)
            j += 1
        goals: dict[str, list[dict]] = {}
        for ind in indicators:
            kpi = self._kpi(ind, layout)
            # A second target row measures the same quantity (e-Gov アクセス件数: the FY2021 goal after the
            # FY2018 one), so it is a second appearance of the same KPI, under the same name.
            self.ex.kpis += [kpi] + [self._kpi(sub, layout, main=kpi) for sub in ind.subs]
            goals.setdefault(ind.goal or "", []).append({"number": ind.number, "kpi": kpi.name})
        self.ex.meta["goals"] = [{"goal": g, "indicators": listed} for g, listed in goals.items()]
        return j

    def _kpi(self, ind: _Indicator, layout: _Layout, main: KpiRecord | None = None) -> KpiRecord:
        """The KpiRecord of an indicator row; *main* is the indicator whose further target row this is."""
        row = ind.row
        if main is None:
            name, markers = _clean_name(row.cell(layout.name))
            if _CIRCLED.match(ind.number or ""):
                markers.insert(0, MAJOR_MARKER)
        else:
            name, markers = main.name, list(main.markers)
        last = ind.actual_rows[-1].line if ind.actual_rows else None
        kpi = KpiRecord(
            name=name, source=Source(row.line, last, text=row.cell(layout.name) if main is None else row.raw),
            markers=markers, policy_text=ind.measure, organisation=self.ex.meta.get("organisation"))
        grade_at = _grade_column(row, layout)
        final_at = None if grade_at == layout.final else layout.final
        merged = not ind.actual_rows
        kpi.baseline = _baseline(row, layout.baseline, self._trailing_fy(row.cell(layout.baseline)))
        for col, fy in layout.years:
            text = row.cell(col)
            if not text.strip():
                continue
            if fy is None:
                self.ex.unplaced.append(Source(row.line, text=text))
                continue
            target_text, actual_text = _split_merged(text) if merged else (text, None)
            deadline_fy = self._trailing_fy(target_text)
            # A year cell ending in 【N年度】 is the final target squeezed into the year columns.
            kpi.targets.append(_target(target_text, row, text, deadline_fy or fy, interim=deadline_fy is None))
            if actual_text:
                kpi.observations.append(_observation(actual_text, row, fy, text))
        if final_at is not None and row.cell(final_at).strip():
            text = row.cell(final_at)
            kpi.targets.append(_target(text, row, text, self._trailing_fy(text), interim=False))
        for actual in ind.actual_rows:
            kpi.observations.extend(self._actuals(actual, layout))
        if grade_at is not None:
            kpi.ratings.append(RatingRecord(SCHEME, _grade(row.norm(grade_at)), Source(row.line, text=row.cell(grade_at))))
        kpi.unit = next((r.unit for r in _measures(kpi) if r.unit), None)
        kpi.direction = _direction(kpi)
        if kpi.direction == "down":
            # "平成28年度値以上" for a rank means that rank or better: a number at most the base value (16位以内).
            for t in kpi.targets:
                if t.relative_kind == "at_least_base" and t.comparator == "ge":
                    t.comparator = "le"
        return kpi

    def _actuals(self, row: _Row, layout: _Layout) -> list[ObservationRecord]:
        """A row of actuals under its indicator; a row that starts in the baseline column is one
        column to the left of the year headings (the PDF merged the empty baseline cell away)."""
        cols = row.filled()
        if not layout.years:
            self.ex.unplaced.extend(Source(row.line, text=row.cell(k)) for k in cols)
            return []
        shift = max(0, layout.years[0][0] - cols[0])
        by_col = dict(layout.years)
        out = []
        for k in cols:
            fy = by_col.get(k + shift)
            if fy is None:
                self.ex.unplaced.append(Source(row.line, text=row.cell(k)))
                continue
            out.append(_observation(row.cell(k), row, fy, row.cell(k)))
        return out

    def _trailing_fy(self, text: str) -> int | None:
        m = _TRAILING_FY.search(_plain(text))
        return self._fy(m.group("fy")) if m else None

    # ── result and legends ───────────────────────────────────────────────────────────────────

    def _result(self, row: _Row) -> None:
        lines = [normalise_text(t) for t in cell_lines(row.cell(row.filled()[-1]))]
        head = lines[0] if lines else ""
        step = next((s for s in RESULT_STEPS if s in head), None)
        if step is None:
            self.ex.unplaced.append(Source(row.line, text=row.raw))
        else:
            self.ex.results.append(PolicyResultRecord(
                policy=self.ex.meta.get("policy") or self.ex.title or "", result=step,
                source=Source(row.line, text=row.cell(row.filled()[-1]))))
            if lines[1:]:
                self.ex.meta["result_explanation"] = "\n".join(lines[1:])
        self._place(row)

    def _legend(self, row: _Row, label: str) -> None:
        m = _LEGEND.match(label)
        body = m.group("text").strip()
        self.ex.legends[f"※{m.group('n')}"] = body
        for g in _GRADE_LEGEND.finditer(body):
            code = _grade(g.group("code"))
            if code in GRADES:
                self.ex.legends[code] = g.group("text").strip()
        self._place(row)


# ── helpers on cells ────────────────────────────────────────────────────────────────────────


def _plain(cell: str) -> str:
    return normalise_text(" ".join(cell_lines(cell)))


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _parsed(text: str, role: str | None = None) -> Parsed | None:
    """The cell's value, or None when jp reads nothing (ParseError) or meets an impossible date
    ("平成0年", a plain ValueError): either way the cell keeps its text and no value."""
    try:
        return parse(text, role=role)
    except ValueError:
        return None


def _date(text: str) -> date | None:
    try:
        return parse_date(text)
    except ValueError:  # an impossible date such as 平成0年8月
        return None


def _is_policy_name(label: str) -> bool:
    compact = re.sub(r"[\s^]|[(（]※\d[)）]", "", label)
    return compact == "政策名"


def _budget_category(text: str) -> str | None:
    compact = text.replace(" ", "")
    found = next((c for c in BUDGET_CATEGORIES if compact.startswith(c)), None)
    return "繰越し等" if found == "繰越等" else found


def _is_indicator_header(row: _Row) -> bool:
    texts = [row.norm(i) for i in row.filled()]
    return any(t.startswith("測定指標") for t in texts) and any(t.startswith("基準") for t in texts)


def _layout(header: _Row, years: list[tuple[int, int | None]]) -> _Layout:
    """The indicator's number has a column of its own in the data rows but shares the 測定指標
    heading with the name, so every heading after 測定指標 sits one column left of its data."""
    number = next(i for i in header.filled() if header.norm(i).startswith("測定指標"))
    final = next((i for i in header.filled() if header.norm(i).startswith("目標") and i > number), None)
    grade = next((i for i in header.filled() if header.norm(i).startswith("達成")), None)
    data_years = [(col + 1, fy) for col, fy in years]
    final_col = final + 1 if final is not None else (data_years[-1][0] + 1 if data_years else number + 3)
    return _Layout(number=number, name=number + 1, baseline=number + 2, years=data_years,
                   final=final_col, grade=grade + 1 if grade is not None else final_col + 1)


def _is_fy_heading(text: str) -> bool:
    return bool(_FY_CELL.match(text.replace(" ", "")))


def _is_heading_cell(text: str) -> bool:
    """Cells of the header rows name columns (実績, 目標) or years; a value there is out of place."""
    return _is_fy_heading(text) or not re.search(r"\d", re.sub(r"※\d+", "", text))


def _indicator_number(text: str) -> bool:
    return bool(_NUMBER_CELL.match(text))


def _is_sub_indicator(row: _Row, layout: _Layout) -> bool:
    """A row without a number that has its own baseline year or grade measures a second target
    of the indicator above it (e-Gov: 平成33年度に平成28年度実績値比2倍)."""
    baseline = row.norm(layout.baseline)
    return _grade_column(row, layout) is not None or (bool(_TRAILING_FY.search(baseline)) and not row.norm(layout.number))


def _grade(text: str) -> str:
    text = text.strip()
    return _GRADE_DASHES.get(text, text)


def _grade_column(row: _Row, layout: _Layout) -> int | None:
    """Where the grade is: its own column, or the final-target column when that cell is missing."""
    filled = row.filled()
    if not filled:
        return None
    last = filled[-1]
    if last in (layout.grade, layout.final) and _grade(row.norm(last)) in GRADES:
        return last
    return None


def _clean_name(cell: str) -> tuple[str, list[str]]:
    """Name without <アウトカム指標> and 【AP改革項目関連：…】 annotations, which become markers."""
    text = normalise_text(cell)
    notes = [normalise_text(b) for b in _BRACKETS.findall(text)]
    text = _BRACKETS.sub(" ", text)
    name, markers = strip_markers(text)
    return name, markers + [n for n in notes if n and n not in markers]


def _split_merged(text: str) -> tuple[str, str | None]:
    """An indicator with no row of actuals beneath it had each year's target and result merged
    into one cell by the PDF; the result is the last space-separated part (a trailing 【年度】 stays
    with the target)."""
    tail = _TRAILING_FY.search(text)
    body, year = (text[:tail.start()], text[tail.start():]) if tail else (text, "")
    parts = body.strip().rsplit(None, 1)
    if len(parts) == 2 and all(len(normalise_text(p)) >= 6 for p in parts) and parts[1][0] not in "(（【[<＜":
        return f"{parts[0]} {year.strip()}".strip(), parts[1]
    return text, None


def _baseline(row: _Row, col: int, fy: int | None) -> BaselineRecord | None:
    """The baseline and the fiscal year in its 【】, read in the sheet's era."""
    text = row.cell(col)
    if not text.strip():
        return None
    p = _parsed(text, role="actual")
    as_of = fiscal_year_end(fy) if fy is not None else (p.as_of if p else None)
    return BaselineRecord(text=text.strip(), source=Source(row.line, text=text), value=p.value if p else None,
                          unit=p.unit if p else None, as_of=as_of)


def _target(text: str, row: _Row, cell: str, fy: int | None, interim: bool) -> TargetRecord:
    p = _parsed(text, role="target")
    deadline = fiscal_year_end(fy) if fy is not None else (p.deadline if p else None)
    if interim and p is not None and p.deadline and fy is not None and p.deadline > deadline:
        # "平成33年度に…を目指す" in a yearly column restates a later goal: its own year wins.
        deadline = p.deadline
    rel = p.relative if p else None
    return TargetRecord(
        text=text.strip(), source=Source(row.line, text=cell), value=p.value if p else None,
        unit=p.unit if p else None, deadline=deadline, comparator=p.comparator if p else None,
        relative_factor=rel.factor if rel else None, relative_kind=rel.kind if rel else None,
        relative_base_year=rel.base_fiscal_year if rel else None,
        relative_base_value=rel.base_value if rel else None,
        unset=p.unset if p else False, promised_by=p.promised_by if p else None, interim=interim)


def _observation(text: str, row: _Row, fy: int, cell: str) -> ObservationRecord:
    """An actual; a date in its own text ("(H28.4.1時点)") beats the column's fiscal year."""
    p = _parsed(text, role="actual")
    as_of = p.as_of if p and p.as_of else fiscal_year_end(fy)
    return ObservationRecord(text=text.strip(), source=Source(row.line, text=cell),
                             value=p.value if p else None,
                             unit=p.unit if p else None, as_of=as_of, status=p.status if p else None)


def _measures(kpi: KpiRecord) -> list:
    return ([kpi.baseline] if kpi.baseline else []) + kpi.targets + kpi.observations


def _direction(kpi: KpiRecord) -> str | None:
    """Down for a rank; else what the comparators say (以内 for hours), else whether the final
    target lies above the baseline."""
    if kpi.unit == "位":
        return "down"
    comparators = {t.comparator for t in kpi.targets} & {"ge", "le"}
    if len(comparators) == 1:
        return "up" if comparators == {"ge"} else "down"
    final = next((t for t in reversed(kpi.targets) if not t.interim and t.value is not None), None)
    if final and kpi.baseline and kpi.baseline.value is not None and final.value != kpi.baseline.value:
        return "up" if final.value > kpi.baseline.value else "down"
    return None
