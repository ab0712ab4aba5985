"""The tab-separated layout of the reform-schedule progress document: headings, process-step tables,
KPI status tables and schedule tables, each table a run of tabbed lines ended by a blank line."""
from __future__ import annotations

import re

from mieruka.records.extraction import Extraction, Source, StepRecord
from mieruka.jp import normalise_text

from .build import (SECTION_KPI, SECTION_STEPS, Builder, Line, cell_lines, cell_text, clean_name,
                                    correct, split_headings, status_word)
from .plan import ScheduleTable, drop_repeats, edition_heading, is_area, is_header, read_schedule
from .values import RowCells, add_rows, is_blank, is_rating

_TIER = re.compile(r"^第\s*([一二12])\s*階層\s*")


def _first_cell(text: str) -> str:
    return normalise_text(text.split("\t")[0])


def _kpi_header(text: str) -> bool:
    return "\t" in text and _first_cell(text) == "KPI" and "目標値" in text


def _steps_header(text: str) -> bool:
    return "\t" in text and _first_cell(text) == "改革工程" and "改革工程の進捗" in text


def _tier_and_name(tier_cell: str, name_cell: str) -> tuple[int | None, str]:
    """Tier from its own column or from the start of the name cell ("第一階層 - 1 窓口…")."""
    tier = None
    m = _TIER.match(cell_text(tier_cell))
    if m:
        tier = 1 if m.group(1) in "一1" else 2
    lines = cell_lines(name_cell)
    if lines:
        m = _TIER.match(lines[0])
        if m:
            tier = 1 if m.group(1) in "一1" else 2
            lines[0] = lines[0][m.end():]
    return tier, clean_name(" ".join(x for x in lines if x))


class _Reader:
    """Walks the lines once: single lines are headings, runs of tabbed lines are tables."""

    def __init__(self, lines: list[str]):
        self.lines = [Line(i + 1, t) for i, t in enumerate(lines)]
        self.b = Builder("tab-separated")
        self.edition: tuple | None = None

    def read(self) -> Extraction:
        i = 0
        while i < len(self.lines):
            line = self.lines[i]
            if not line.text.strip():
                i += 1
            elif "\t" not in line.text:
                self.title(line)
                i += 1
            else:
                i = self.table(i)
        drop_repeats(self.b)
        return self.b.finish()

    def title(self, line: Line) -> None:
        """A line outside tables: headings (maybe glued with **), section titles, edition, area."""
        for part in split_headings(line.text):
            source = Source(line.no, text=line.text)
            if self.b.heading(part, source) or SECTION_KPI.match(part) or SECTION_STEPS.match(part):
                continue
            edition = edition_heading(part)
            if edition:
                self.edition = edition
            elif is_area(normalise_text(part)):
                self.b.area(normalise_text(part))
            else:
                self.b.unplaced(source)

    def block(self, start: int) -> list[Line]:
        end = start
        while end < len(self.lines) and self.lines[end].text.strip():
            end += 1
        return self.lines[start:end]

    def table(self, start: int) -> int:
        rows = self.block(start)
        head = rows[0].text
        if _kpi_header(head) or _steps_header(head) or is_header(head):
            second = len(rows) > 1 and not any(c.strip() for c in rows[1].text.split("\t")[:1]) \
                and _is_second_header(rows[1].text)
            header, body = (rows[:2], rows[2:]) if second else (rows[:1], rows[1:])
            if _kpi_header(head):
                self.kpi_table(header[0], body)
            elif _steps_header(head):
                self.steps(body)
            else:
                edition, edition_date = self.edition or (None, None)
                read_schedule(self.b, ScheduleTable(edition, edition_date, header, body))
        else:
            for row in rows:
                self.b.unplaced(Source(row.no, text=row.text))
        return start + len(rows)

    def kpi_table(self, header: Line, body: list[Line]) -> None:
        """Rows of 5 cells (name with tier prefix) or 6 (tier column first), as the header has;
        a row with another number of cells, or a 区分 cell holding something else, is unplaced."""
        width = len(header.text.split("\t"))
        rows = []
        for cells, source in _joined_rows(body, width):
            if len(cells) != width or width not in (5, 6):
                self.b.unplaced(source)
                continue
            tier_cell, (name, target, actual, rating, nxt) = (cells[0], cells[1:]) if width == 6 else ("", cells)
            tier, name = _tier_and_name(tier_cell, name)
            if not name or not (is_rating(cell_text(rating)) or is_blank(cell_text(rating))):
                self.b.unplaced(source)
                continue
            name = correct(name, source.line, self.b.corrections)
            rows.append(RowCells(name, source, tier, *((cell_text(c), Source(source.line, source.line_end, c))
                                                       for c in (target, actual, rating, nxt))))
        add_rows(self.b, rows, self.b.item.name if self.b.item else None)

    def steps(self, body: list[Line]) -> None:
        """改革工程 | 計画期間中の進捗 | 今後の進展について, one step a row."""
        for line in body:
            cells = line.text.split("\t")
            step = "\n".join(cell_lines(cells[0]))
            if len(cells) < 2 or not step or self.b.item is None:
                self.b.unplaced(Source(line.no, text=line.text))
                continue
            progress, outlook = (self.cell(cells, k, line.no) for k in (1, 2))
            record = StepRecord(step=correct(step, line.no, self.b.corrections), source=Source(line.no, text=line.text),
                                progress=progress, outlook=outlook, status_word=status_word(progress))
            if not any((s.step, s.progress) == (record.step, record.progress) for s in self.b.item.steps):
                self.b.item.steps.append(record)

    def cell(self, cells: list[str], k: int, where: int) -> str | None:
        """Lines of cell *k* (corrected), or None when the row has no such cell or it is empty."""
        text = "\n".join(cell_lines(cells[k])) if k < len(cells) else ""
        return correct(text, where, self.b.corrections) if text else None


def _joined_rows(body: list[Line], width: int):
    """(cells, source) per table row. A cell holding a line break splits its row over two lines:
    two short lines whose cells add up to the header's width (the broken cell counted once) are
    one row; any other short line stays short and is unplaced by the caller."""
    k = 0
    while k < len(body):
        line = body[k]
        cells = line.text.split("\t")
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        nxt = body[k + 1].text.split("\t") if k + 1 < len(body) else None
        if len(cells) < width and nxt is not None and len(cells) + len(nxt) - 1 == width:
            joined = cells[:-1] + [cells[-1] + " " + nxt[0]] + nxt[1:]
            yield joined, Source(line.no, body[k + 1].no, line.text + "\n" + body[k + 1].text)
            k += 2
            continue
        yield cells, Source(line.no, text=line.text)
        k += 1


def _is_second_header(text: str) -> bool:
    """"\t\t実績値 (時点)\t区分…", "\t計画期間中の進捗\t…", "\t2016年度\t2017年度…"."""
    return any(w in text for w in ("実績値", "区分", "計画期間中の進捗", "今後の進展")) or \
        bool(re.search(r"\d{4}年度", text)) and "<" not in text


def read_tabbed(text: str) -> Extraction:
    return _Reader(text.split("\n")).read()
