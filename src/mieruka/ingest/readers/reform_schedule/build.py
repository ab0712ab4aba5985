"""Shared pieces of the reform-schedule reader: headings, HTML cells, text repair and the Builder that
collects reform items and KPI rows once per document (repeated blocks are merged, not duplicated)."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cached_property

from mieruka.records.canonical import item_key, key_for
from mieruka.records.extraction import Extraction, KpiRecord, ReformItemRecord, Source
from mieruka.jp import normalise_text

FAMILY = "reform-schedule"

CIRCLED = "①-⑳"
HEADING = re.compile(r"^\s*(重要課題|改革項目)\s*[:：]\s*(.*?)\s*$")
NUMBERED_NAME = re.compile(f"^([{CIRCLED}])\\s*(.+)$")
STATUS_WORD = re.compile(r"[(（]\s*(順調|概ね順調|おおむね順調|一部遅れ|遅れ|遅延|未着手|着手済み?|完了|達成|実施済み?)\s*[)）]")
SECTION_KPI = re.compile(r"^\s*(?:KPI|ＫＰＩ)の状況\s*$")
SECTION_STEPS = re.compile(r"^\s*改革工程の進捗状況\s*$")

# PDF text errors seen in the documents, fixed in the names and texts we derive (Source.text keeps
# the original). Only whole words that cannot be a correct reading are listed.
CORRECTIONS = {
    "通商国主": "通常国会",
    "通商国交": "通常国会",
    "通常国法": "通常国会",
    "総出効率化": "歳出効率化",
    "郡道府県": "都道府県",
    "内閣官庁": "内閣官房",
    "業務業務の集約化": "庶務業務の集約化",
}
_CORRECTION_RX = re.compile("|".join(map(re.escape, CORRECTIONS)))

_TAG_BREAK = re.compile(r"</?(?:p|li|ul|ol|div|br|tr|td)\b[^<>]{0,200}>", re.I)
# Only real tags: "<⑫公共サービスの広域化>" is an item marker written with angle brackets.
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_LEADING_DASH_NUMBER = re.compile(r"^\s*([-－]\s*\d{1,2})(?!\d)\s*")


@dataclass
class Line:
    """One line of the document: its 1-based number and its text as written."""

    no: int
    text: str

    @cached_property
    def clean(self) -> str:
        return normalise_text(self.text)


def correct(text: str, where: int | None = None, log: list | None = None) -> str:
    """Apply the correction table; each fix is logged so the document's meta shows what changed."""
    def fix(m: re.Match) -> str:
        entry = {"line": where, "as_written": m.group(), "read_as": CORRECTIONS[m.group()]}
        if log is not None and entry not in log:
            log.append(entry)
        return CORRECTIONS[m.group()]
    return _CORRECTION_RX.sub(fix, text)


def cell_lines(cell: str) -> list[str]:
    """The visible lines of a cell: <p>/<li> blocks become lines, other tags and entities go."""
    s = _TAG_BREAK.sub("\n", html.unescape(cell or ""))
    s = _TAG.sub(" ", s)
    return [t for t in (normalise_text(part) for part in s.split("\n")) if t]


def cell_text(cell: str) -> str:
    return " ".join(cell_lines(cell))


def clean_name(raw: str) -> str:
    """A KPI name as written, with HTML and PDF line-join spaces removed but numbering kept
    ("- 1 窓口業務の…" keeps its space instead of being glued to the digit)."""
    s = cell_text(raw)
    m = _LEADING_DASH_NUMBER.match(s)
    return f"{normalise_text(m.group(1))} {s[m.end():]}" if m else s


def status_word(text: str | None) -> str | None:
    m = STATUS_WORD.search(normalise_text(text or ""))
    return m.group(1) if m else None


def split_headings(text: str) -> list[str]:
    """Parts of a line that may glue several headings with markdown bold (**…**)."""
    return [p.strip() for p in text.split("**") if p.strip()]


class Builder:
    """Collects what one document says; reform items and KPI rows are kept once."""

    def __init__(self, layout: str):
        self.ex = Extraction(family=FAMILY, meta={"layout": layout})
        self.theme: str | None = None
        self.item: ReformItemRecord | None = None
        self._items: dict[str, ReformItemRecord] = {}
        self._rows: dict[tuple, int] = {}
        self.statements_seen: set[tuple] = set()  # (edition, item, KPI key, target) of schedule KPIs
        self.named_kpis: list[KpiRecord] = []  # schedule KPIs with no target, listed after all others
        self.schedule_tables = 0
        self.schedule_readings: list = []  # plan.Reading, one per schedule record kept
        self.corrections: list[dict] = []

    # -- reform items -------------------------------------------------
    def find_item(self, name: str | None = None, number: str | None = None) -> ReformItemRecord | None:
        if number:
            hit = next((it for it in self._items.values() if it.number == number), None)
            if hit is not None:
                return hit
        return self._items.get(item_key(name)) if name else None

    def reform_item(self, raw: str, source: Source, theme: str | None = None) -> ReformItemRecord:
        """The item named by a heading or a ＜⑪…＞ marker, created on first mention."""
        text = correct(normalise_text(raw), source.line, self.corrections)
        m = NUMBERED_NAME.match(text)
        number, name = (m.group(1), m.group(2).strip()) if m else (None, text)
        item = self.find_item(name, number)
        if item is None:
            item = ReformItemRecord(name=name, source=source, number=number, theme=theme)
            self._items[item_key(name)] = item
            self.ex.items.append(item)
        if number and not item.number:
            item.number = number
        if theme and not item.theme:
            item.theme = theme
        return item

    def heading(self, part: str, source: Source) -> bool:
        """Read a 重要課題 / 改革項目 heading; False when *part* is not one."""
        m = HEADING.match(normalise_text(part))
        if not m or not m.group(2):
            return False
        if m.group(1) == "重要課題":
            self.theme = correct(m.group(2), source.line, self.corrections)
        else:
            self.item = self.reform_item(m.group(2), source, self.theme)
        return True

    # -- KPI rows -----------------------------------------------------
    def repeated_row(self, tier: int | None, name: str, cells: tuple[str, ...], line: int) -> bool:
        """Whether the document already gave this KPI row (same cells, spacing aside); a repeat is
        noted in meta with the line of the first occurrence, whose record is the one kept."""
        key = (tier, key_for("kpi", name), *(re.sub(r"\s", "", normalise_text(c)) for c in cells))
        first = self._rows.get(key)
        if first is not None:
            self.note("repeated_kpi_rows", {"name": name, "line": line, "first_line": first})
            return True
        self._rows[key] = line
        return False

    def unplaced(self, source: Source) -> None:
        self.ex.unplaced.append(source)

    def note(self, key: str, value) -> None:
        self.ex.meta.setdefault(key, []).append(value)

    def area(self, name: str) -> None:
        """A policy area label ("地方行政分野における改革") the tables sit under, listed once in meta."""
        areas = self.ex.meta.setdefault("areas", [])
        if name not in areas:
            areas.append(name)

    def finish(self) -> Extraction:
        # A KPI a schedule only names (no target) comes last, so that a status row or a statement with a
        # target, whose wording and figures file the KPI, comes first.
        self.ex.kpis += self.named_kpis
        self.ex.meta["schedule_kpi_statements"] = len(self.statements_seen)
        if self.corrections:
            self.ex.meta["corrections"] = self.corrections
        return self.ex
