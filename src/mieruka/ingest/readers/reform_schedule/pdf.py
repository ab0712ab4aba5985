"""The PDF-text layout of the reform-schedule progress document: one table cell per line, cells
wrapped over several lines, the tier written vertically (第/一/階/層) and the 改革項目 after its KPIs."""
from __future__ import annotations

import re

from mieruka.records.extraction import Extraction, KpiRecord, Source, StepRecord
from mieruka.jp import normalise_text

from .build import (SECTION_KPI, SECTION_STEPS, Builder, Line, clean_name, correct, split_headings,
                                    status_word)
from .values import RowCells, add_rows

_KPI_HEADER = {"KPI", "目標値", "(達成時期)", "KPIの進捗", "実績値", "(時点)", "区分次回の把握時期と今後の方針",
               "区分 次回の把握時期と今後の方針"}
_STEP_HEADER = {"改革工程", "改革工程の進捗", "計画期間中の進捗今後の進展について", "計画期間中の進捗 今後の進展について"}
_TIER_CHARS = ("第", "一二", "階", "層")
# "- - - -" (a group row), "－ N", "－ － N", "A", "A 2017年…": the 区分 cell with the dashes that stand
# for the empty cells before it, and possibly the start of the next cell.
_RATING_LINE = re.compile(r"^((?:[-－]\s*)*?)([ABNF])(?:\s+(.+))?$")
_DASHES = re.compile(r"^(?:[-－]\s*)+$")
_VALUE_START = re.compile(r"^(?:約|概ね|[0-9]|向上|低下|維持|検討中|未設定|半減|倍増|\(参考\))")
_NAME_START = re.compile(r"^[①-⑳]")
_OPEN_ENDING = re.compile(r"(?:まで|までに|に|:|、|から|及び)$")


def _text(lines: list[Line]) -> str:
    """Cell text of wrapped lines: Japanese wraps join without a space."""
    return normalise_text("".join(x.text.strip() for x in lines))


def _source(lines: list[Line]) -> Source:
    return Source(lines[0].no, lines[-1].no if len(lines) > 1 else None, "\n".join(x.text for x in lines))


def _balanced(s: str) -> bool:
    return s.count("(") <= s.count(")") and s.count("【") <= s.count("】")


class _Reader:
    """Walks the non-blank lines once: KPI sections, step sections and the headings between them."""

    def __init__(self, text: str):
        self.lines = [Line(i + 1, t) for i, t in enumerate(text.split("\n"))]
        self.cells = [x for x in self.lines if x.text.strip()]
        self.b = Builder("pdf-lines")
        self.pending: list[KpiRecord] = []
        self.i = 0

    def clean(self, k: int) -> str:
        return self.cells[k].clean if k < len(self.cells) else ""

    def read(self) -> Extraction:
        while self.i < len(self.cells):
            cell = self.cells[self.i]
            if cell.clean == "KPI":
                self.kpi_section()
            elif cell.clean == "改革工程" and self.clean(self.i + 1) == "改革工程の進捗":
                self.steps_section()
            else:
                self.title(cell)
                self.i += 1
        if self.pending and self.b.item is not None:
            self.assign(self.b.item.name)  # a last table with no heading after it belongs to the last item
        return self.b.finish()

    def title(self, cell: Line) -> None:
        for part in split_headings(cell.text):
            source = Source(cell.no, text=cell.text)
            if self.b.heading(part, source):
                if normalise_text(part).startswith("改革項目") and self.pending:
                    self.assign(self.b.item.name)
            elif not (SECTION_KPI.match(part) or SECTION_STEPS.match(part)):
                self.b.unplaced(source)

    def assign(self, item: str) -> None:
        """In this layout a page gives its KPI table first and its 改革項目 after it."""
        for kpi in self.pending:
            kpi.reform_item = item
        self.pending = []

    def ends_section(self, k: int) -> bool:
        c = self.clean(k)
        return k >= len(self.cells) or c == "KPI" or c == "改革工程" or bool(
            SECTION_KPI.match(c) or SECTION_STEPS.match(c) or re.match(r"^(?:重要課題|改革項目)\s*:", c))

    def tier_at(self, k: int) -> int | None:
        chars = [self.clean(k + j) for j in range(4)]
        if all(c and c in options for c, options in zip(chars, _TIER_CHARS)) and all(len(c) == 1 for c in chars):
            return 1 if chars[1] == "一" else 2
        return None

    # -- KPI tables ---------------------------------------------------
    def kpi_section(self) -> None:
        while self.i < len(self.cells) and (self.clean(self.i) in _KPI_HEADER):
            self.i += 1
        rows, tier = [], None
        while not self.ends_section(self.i):
            found = self.tier_at(self.i)
            if found:
                tier, self.i = found, self.i + 4
                continue
            row = self.kpi_row(tier)
            if row is not None:
                rows.append(row)
        self.pending += add_rows(self.b, rows, None)

    def kpi_row(self, tier: int | None) -> RowCells | None:
        """name lines → target lines → actual lines → 区分 line → next-measurement lines."""
        start = self.i
        name = [self.cells[self.i]]
        self.i += 1
        while not self.stops_name(self.i):
            name.append(self.cells[self.i])
            self.i += 1
        target, actual = [], []
        while not self.ends_section(self.i) and not self.rating_at(self.i):
            c = self.clean(self.i)
            joined = _text(target)
            if target and _balanced(joined) and not _OPEN_ENDING.search(joined) and _VALUE_START.match(c):
                actual.append(self.cells[self.i])
            elif actual:
                actual.append(self.cells[self.i])
            else:
                target.append(self.cells[self.i])
            self.i += 1
        if self.ends_section(self.i):
            for cell in self.cells[start:self.i]:
                self.b.unplaced(Source(cell.no, text=cell.text))
            return None
        return self.finish_row(tier, name, target, actual)

    def stops_name(self, k: int) -> bool:
        return self.ends_section(k) or self.rating_at(k) or bool(_VALUE_START.match(self.clean(k))) \
            or self.tier_at(k) is not None

    def rating_at(self, k: int) -> bool:
        c = self.clean(k)
        return bool(_RATING_LINE.match(c) or _DASHES.match(c))

    def finish_row(self, tier, name: list[Line], target: list[Line], actual: list[Line]) -> RowCells:
        rating_line = self.cells[self.i]
        self.i += 1
        c = rating_line.clean
        rating_source = Source(rating_line.no, text=rating_line.text)
        nxt: list[Line] = []
        m = _RATING_LINE.match(c)
        if m and m.group(3):
            nxt.append(Line(rating_line.no, m.group(3)))
        if m:
            # The dashes stand for the empty cells just before 区分: 実績値 first, then 目標値.
            dashes = len(re.findall(r"[-－]", m.group(1)))
            actual = [] if dashes >= 1 else actual
            target = [] if dashes >= 2 else target
        while not self.ends_section(self.i) and not self.starts_row(self.i):
            nxt.append(self.cells[self.i])
            self.i += 1
        rating = (m.group(2), rating_source) if m else ("-", rating_source)
        dash_cell = ("-", rating_source)
        return RowCells(
            name=correct(clean_name(_text(name)), name[0].no, self.b.corrections), source=_source(
                name + target + actual + [rating_line] + [x for x in nxt if x.no != rating_line.no]),
            tier=tier,
            target=(_text(target), _source(target)) if target else dash_cell,
            actual=(_text(actual), _source(actual)) if actual else dash_cell,
            rating=rating,
            next=(_text(nxt), _source(nxt)) if nxt else None)

    def starts_row(self, k: int) -> bool:
        return bool(_NAME_START.match(self.clean(k))) or self.tier_at(k) is not None

    # -- process steps ------------------------------------------------
    def steps_section(self) -> None:
        """Paragraphs (blank-line separated): step, progress ending in (順調)…, outlook; a step whose
        progress is not given stands alone."""
        while self.i < len(self.cells) and self.clean(self.i) in _STEP_HEADER:
            self.i += 1
        first = self.cells[self.i].no if self.i < len(self.cells) else None
        while not self.ends_section(self.i):
            self.i += 1
        last = self.cells[self.i].no if self.i < len(self.cells) else len(self.lines) + 1
        if first is None:
            return
        paragraphs = _paragraphs(self.lines[first - 1:last - 1])
        if self.b.item is None:
            for p in paragraphs:
                self.b.unplaced(_source(p))
            return
        for step in _steps(paragraphs, self.b):
            if not any((s.step, s.progress) == (step.step, step.progress) for s in self.b.item.steps):
                self.b.item.steps.append(step)


def _paragraphs(lines: list[Line]) -> list[list[Line]]:
    out, current = [], []
    for line in lines:
        if line.text.strip():
            current.append(line)
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def _steps(paragraphs: list[list[Line]], b: Builder) -> list[StepRecord]:
    has_status = [status_word(_text(p)) is not None for p in paragraphs]
    steps, k = [], 0
    while k < len(paragraphs):
        step = paragraphs[k]
        progress = paragraphs[k + 1] if k + 1 < len(paragraphs) and has_status[k + 1] else None
        outlook = None
        if progress is not None:
            nxt = k + 2
            followed_by_progress = nxt + 1 < len(paragraphs) and has_status[nxt + 1]
            if nxt < len(paragraphs) and not has_status[nxt] and not followed_by_progress:
                outlook = paragraphs[nxt]
        used = [p for p in (step, progress, outlook) if p]
        text = {id(p): correct(_text(p), p[0].no, b.corrections) for p in used}
        steps.append(StepRecord(step=text[id(step)], source=_source([x for p in used for x in p]),
                                progress=text[id(progress)] if progress else None,
                                outlook=text[id(outlook)] if outlook else None,
                                status_word=status_word(text[id(progress)]) if progress else None))
        k += len(used)
    return steps


def read_pdf_lines(text: str) -> Extraction:
    return _Reader(text).read()
