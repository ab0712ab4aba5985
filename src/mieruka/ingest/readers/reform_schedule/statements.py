"""The KPI cells of the schedule tables (改革工程表): each KPI they name becomes a KpiRecord of the table's
edition, with its baseline and target when the cell gives one ("name【208⇒416】") and without when it does not."""
from __future__ import annotations

import re

from mieruka.records.canonical import is_after_the_fact, key_for
from mieruka.records.extraction import BaselineRecord, KpiRecord, ObservationRecord, Source
from mieruka.jp import ParseError, parse, parse_transition, precision_of, strip_markers

from .build import Builder
from .values import add_target, fill_units, target_record

_OFFICE_TAG = re.compile(r"^[^】]{0,10}(?:省|室|庁)$")
_STATEMENT = re.compile(r"([^【】]*?)\s*【([^】]*)】")
_BULLET = re.compile(r"(?:^|(?<=】)|(?<=\s))・")
_EVERY = re.compile(r"^\(いずれも(.+?)\)\s*(\((?:再掲)\))?$")
_AFTER_THE_FACT = "事後的に検証する指標"
# "(現在、約63%の削減が可能となる見込み)": a 見込み printed in a statement's brackets
_FORECAST_BRACKET = re.compile(r"\(([^()]*見込み?)\)")
_REPEATED = "再掲"
# A name's continuation on the next line or row: "(事後的に検証する指標)", "(再掲)".
_NAME_TAIL = re.compile(r"^(?:\((?:事後的に検証する指標|再掲)\)\s*)+$")


def is_kpi_line(line: str) -> bool:
    """A KPI statement "name【target】" (not an office tag "【総務省】"), "(いずれも…)" or an outcome KPI."""
    if any(not _OFFICE_TAG.match(c) for _n, c in _STATEMENT.findall(line)):
        return True
    return line.startswith("(いずれも") or (line.startswith("・") and _AFTER_THE_FACT in line)


class Statements:
    """Reads the KPI cells of one table. A name waits for its target in the row below ("・…の実施団体数(人口)"
    then "【2018年度中に300団体…】"); one that gets none is a KPI the edition names without a target."""

    def __init__(self, b: Builder, edition: str | None, item: str | None):
        self.b, self.edition, self.item = b, edition, item
        self.pending: dict[int, tuple[str, int | None, Source]] = {}

    def cell(self, col: int, lines: list[str], source: Source, tier: int | None) -> None:
        """"・name【target】", "(1)name【208⇒416】 name【185⇒370】", "(いずれも A⇒B)", "・name"."""
        found: list[KpiRecord] = []
        for line in lines:
            every = _EVERY.match(line)
            if every:
                _apply_every(found, every.group(1), bool(every.group(2)))
            elif _NAME_TAIL.match(line) and col in self.pending:
                name, t, src = self.pending[col]
                self.pending[col] = (f"{name}{line}", t, src)
            else:
                for part in (p.strip() for p in _BULLET.split(line)):
                    found += self.statements(col, part, source, tier)
        for kpi in found:
            self.add(kpi)

    def finish(self) -> None:
        """Names still waiting at the end of the table have no target in this edition."""
        for col in list(self.pending):
            self.flush(col)

    def flush(self, col: int) -> None:
        name, tier, source = self.pending.pop(col)
        self.add(self.kpi(name, source, tier))

    def add(self, kpi: KpiRecord) -> None:
        fill_units(kpi)
        key = (self.edition, self.item, key_for("kpi", kpi.name), kpi.targets[0].text if kpi.targets else None)
        if key not in self.b.statements_seen:
            self.b.statements_seen.add(key)
            (self.b.ex.kpis if kpi.targets else self.b.named_kpis).append(kpi)

    def statements(self, col: int, part: str, source: Source, tier: int | None) -> list[KpiRecord]:
        """The statements of one bullet; a bare "【target】" completes the name waiting in its column."""
        out, end = [], 0
        for m in _STATEMENT.finditer(part):
            name, content = m.group(1).strip(), m.group(2).strip()
            end = m.end()
            if _OFFICE_TAG.match(content):
                continue
            if not name and col in self.pending:
                name, tier, _src = self.pending.pop(col)
            if not name:
                continue
            if content in (_AFTER_THE_FACT, _REPEATED):
                # "・歳出効率化の成果 【事後的に検証する指標】": a marker in target brackets, no target
                out.append(self.kpi(f"{name}({content})", source, tier))
            else:
                out.append(self.statement(name, content, source, tier))
        rest = part[end:].strip()
        if rest and not out and not rest.startswith("("):
            if col in self.pending:
                self.flush(col)
            self.pending[col] = (rest, tier, source)
        return out

    def kpi(self, name: str, source: Source, tier: int | None) -> KpiRecord:
        """A KPI as a schedule names it; an outcome KPI (事後的に検証する指標) is second-tier whatever its column."""
        after = is_after_the_fact(name)
        return KpiRecord(name=name, source=source, tier=2 if after else tier, reform_item=self.item,
                         markers=strip_markers(name)[1], after_the_fact=after)

    def statement(self, name: str, content: str, source: Source, tier: int | None) -> KpiRecord:
        kpi = self.kpi(name, source, tier)
        transition = _transition(content)
        if transition:
            base, target = transition
            kpi.baseline = BaselineRecord(text=content, source=source, value=base.value, unit=base.unit,
                                          as_of=base.as_of)
            kpi.targets.append(target_record(target, content, source, self.edition))
            return kpi
        stated = re.match(r"^(.*?)\s*目標\s*[:：]\s*(.+)$", content)
        if stated and stated.group(1):
            kpi.baseline = _baseline(stated.group(1), content, source)
        add_target(kpi, content, source, self.edition)
        self.forecast(kpi, content, source)
        return kpi

    def forecast(self, kpi: KpiRecord, content: str, source: Source) -> None:
        """"目標：2018年度までに半減 (現在、約63%の削減が可能となる見込み)": what the edition expects by the target's
        deadline, as a forecast observation at that deadline in the KPI's own measure — the baseline less the share,
        or less the amount, printed — dated no more precisely than the deadline. Without a baseline in the same unit
        the sentence is noted (printed_forecasts, "no value: base unknown") and nothing is guessed."""
        for m in _FORECAST_BRACKET.finditer(content):
            sentence = m.group(1).strip()
            try:
                p = parse(sentence, "actual")
            except ParseError:
                continue
            target = kpi.targets[-1] if kpi.targets else None
            deadline = p.deadline or (target.deadline if target else None)
            if p.status != "forecast" or deadline is None:
                continue
            base, value = kpi.baseline, None
            if base is not None and base.value is not None:
                rel = p.relative
                if rel is not None and rel.kind == "cut" and p.value is None:
                    value = base.value * rel.factor
                elif p.value is not None and p.reduction and p.unit and base.unit in (None, p.unit):
                    value = base.value - p.value
            self.b.note("printed_forecasts", {"kpi": kpi.name, "line": source.line, "text": sentence,
                                              "read_as": "forecast at the target's deadline" if value is not None
                                              else "no value: base unknown"})
            if value is not None:
                # kept with the target it is printed in: what it forecasts, and by when (2018年度までに: 年度末)
                stated = re.match(r"^.*?目標\s*[:：]\s*(.+)$", content)
                kpi.observations.append(ObservationRecord(
                    text=stated.group(1) if stated else content, source=source, value=value, unit=base.unit, as_of=deadline, status="forecast",
                    as_of_precision=precision_of(sentence, p.deadline) if p.deadline else
                    (target.deadline_precision or precision_of(target.text, deadline))))


def _transition(content: str):
    try:
        return parse_transition(content)
    except ParseError:
        return None


def _baseline(text: str, content: str, source: Source) -> BaselineRecord | None:
    """"2012年度：1450" before 目標： is the figure the target starts from (dated at its fiscal year end)."""
    try:
        p = parse(text, "actual")
    except ParseError:
        return None
    return BaselineRecord(text=content, source=source, value=p.value, unit=p.unit, as_of=p.as_of) \
        if p.value is not None else None


def _apply_every(found: list[KpiRecord], span: str, repeated: bool) -> None:
    """"(いずれも2014年10月現在⇒2020年度)" dates the baselines and targets of the statements above it."""
    pair = _transition(span)
    for kpi in found:
        if pair and kpi.baseline and kpi.baseline.as_of is None:
            # the date printed after the statements belongs to each of them, as precisely as printed (2014年10月現在)
            kpi.baseline.as_of = pair[0].as_of
            kpi.baseline.as_of_precision = precision_of(span, pair[0].as_of)
        if pair:
            for t in kpi.targets:
                if t.deadline is None and pair[1].deadline:
                    t.deadline, t.deadline_precision = pair[1].deadline, precision_of(span, pair[1].deadline)
        if repeated and _REPEATED not in kpi.markers:
            kpi.markers.append(_REPEATED)
