"""Values of one KPI row of the reform-schedule tables: target, actuals, 区分 and next measurement.
Both layouts hand their cells here, so a row reads the same whether it came from tabs or PDF lines."""
from __future__ import annotations

import re
from dataclasses import dataclass

from mieruka.records.canonical import is_after_the_fact
from mieruka.records.extraction import (BaselineRecord, KpiRecord, ObservationRecord, RatingRecord, Source,
                                    TargetRecord)
from mieruka.jp import ParseError, Parsed, fiscal_year_end, normalise_text, parse, strip_markers
from mieruka.jp.dates import find_periods, precision_of
from mieruka.jp.text import prepare_cell

from .build import Builder

RATINGS = ("A", "B", "N", "F")
SCHEME = "reform-schedule"
_BLANK = {"", "-", "－", "―", "ー", "—"}
# A multi-valued actual cell ("2014年度：98.9％ 2016年度（見込み）：99.2％") starts a value at each "年度…："
_YEAR_VALUE = re.compile(r"(?=\d{4}年度(?:\([^)]{0,8}\))?\s*:)")
_LEADS_WITH_VALUE = re.compile(r"^(?:約|概ね)?\d")
_AGAINST_YEAR = re.compile(r"^(\d{4})年度(?:と比べて|と比較して|比で?)")
_MEASURE_VERB = re.compile(r"公表|把握|集計|検証|判明")
_BEFORE_VERB = re.compile(r"^(?:頃|ごろ|を?目[途処]|めど)?(?:まで)?に?$")
_QUALITATIVE = re.compile(r"^(?:向上|低下|増加|減少|改善|維持)")
_OFFICE_TAG = re.compile(r"^\s*[【\[]([^】\]]{1,12}(?:省|室|庁|府|局))[】\]]")
_NAME_UNITS = (("システム数", "システム"), ("圏域数", "圏域"), ("件数", "件"), ("団体数", "団体"),
               ("市町村数", "団体"), ("自治体数", "団体"))


@dataclass
class RowCells:
    """The cells of one KPI row, as written, each with the Source it came from."""

    name: str
    source: Source
    tier: int | None = None
    target: tuple[str, Source] | None = None
    actual: tuple[str, Source] | None = None
    rating: tuple[str, Source] | None = None
    next: tuple[str, Source] | None = None


def is_blank(text: str | None) -> bool:
    return normalise_text(text or "") in _BLANK


def is_rating(text: str | None) -> bool:
    return normalise_text(text or "") in RATINGS


def _parse(text: str, role: str) -> Parsed | None:
    try:
        return parse(text, role)
    except ParseError:
        return None


def target_record(p: Parsed | None, text: str, source: Source, edition: str | None = None) -> TargetRecord:
    """A target as the document states it; an unreadable statement keeps its text and no value."""
    if p is None:
        return TargetRecord(text=text, source=source, edition=edition)
    return TargetRecord.from_parsed(text, source, p, unset=p.unset, promised_by=p.promised_by, edition=edition)


def relative_baseline(p: Parsed | None, text: str, source: Source) -> BaselineRecord | None:
    """"…半減(2012年度:1450)": the base of a relative target is the KPI's baseline, dated at the
    end of its fiscal year because the figure counts that whole year."""
    rel = p.relative if p else None
    if rel is None or rel.base_value is None:
        return None
    as_of = fiscal_year_end(rel.base_fiscal_year) if rel.base_fiscal_year else None
    return BaselineRecord(text=text, source=source, value=rel.base_value, unit=rel.base_unit, as_of=as_of)


def add_target(kpi: KpiRecord, text: str, source: Source, edition: str | None = None) -> TargetRecord:
    """Add the target a cell states; its relative base becomes the KPI's baseline if it has none."""
    p = _parse(text, "target")
    target = target_record(p, normalise_text(text), source, edition)
    if _QUALITATIVE.match(target.text):
        # "向上（2015年度中に…「標準的な徴収率」を設定）" is rated A, not F: the target is the
        # direction itself; what is promised for later is a yardstick, not the target.
        target.unset, target.promised_by = False, None
    kpi.targets.append(target)
    if kpi.baseline is None:
        kpi.baseline = relative_baseline(p, normalise_text(text), source)
    if p is not None and p.direction_hint and kpi.direction is None:
        kpi.direction = p.direction_hint
    return target


def _reduction_level(p: Parsed, text: str, kpi: KpiRecord) -> float | None:
    """"2013年度と比べて257億円の削減(2015年度)" states how far the cost fell, not the cost. We store
    the cost level (base − reduction) so the observation is in the KPI's own measure and compares with
    the 3割圧縮 target; this needs the base of the same year from the row's target, else no value."""
    m = _AGAINST_YEAR.match(text)
    base = kpi.baseline
    if not (m and p.reduction and base and base.value is not None and base.as_of):
        return None
    if fiscal_year_end(int(m.group(1))) != base.as_of or (base.unit and base.unit != p.unit):
        return None
    return base.value - p.value


_SCHEDULING_NOTE = re.compile(r"(?:公表|把握|集計|判明|検証|調査)(?:を)?(?:予定|する予定|の予定)$|予定$")


def add_actuals(b: Builder, kpi: KpiRecord, text: str, source: Source) -> None:
    """Observations from an 実績値 cell. Only a value the cell leads with is read: a sentence that
    mentions a count in passing ("…23圏域において指標を設定済み") or a (参考) figure of another
    measure is not this KPI's value. Such a cell is still what the document reports for the KPI, so
    it is kept as an observation with its words only (no value, no point in time) and listed in meta.
    Of "430団体、約7,693万人" only the headline counter is kept: the target is stated in 団体."""
    clean = normalise_text(text)
    for segment in (s.strip() for s in _YEAR_VALUE.split(clean)):
        if not segment:
            continue
        p = _parse(segment, "actual") if _LEADS_WITH_VALUE.match(segment) else None
        if (p is None or p.value is None) and _SCHEDULING_NOTE.search(segment) and find_periods(prepare_cell(segment)):
            # "2017年度末に集計予定" in the 実績値 column says when a figure will come, not a figure: no observation
            b.note("scheduling_notes", {"kpi": kpi.name, "line": source.line, "text": segment})
            continue
        if p is None or p.value is None:
            b.note("unread_actuals", {"kpi": kpi.name, "line": source.line, "text": segment})
            kpi.observations.append(ObservationRecord(text=segment, source=source))
            continue
        value = p.value
        if _AGAINST_YEAR.match(segment):
            value = _reduction_level(p, segment, kpi)
            b.note("derived_values", {"kpi": kpi.name, "line": source.line, "text": segment,
                                      "read_as": "base − reduction" if value is not None else "no value: base unknown"})
        kpi.observations.append(ObservationRecord(text=segment, source=source, value=value,
                                                  unit=p.unit, as_of=p.as_of, status=p.status))


# up to the 見込み and the bracket after it: "…約29%の削減見込み(2016年度末時点)", not the sentence that follows unstopped
_FORECAST_SENTENCE = re.compile(r"[^。]*?見込み?(?:\([^)]*\))?")


# "508団体、約8,540万人(2017年度未見込み)": the level a KPI is expected at by the end of a fiscal year, its value
# first and the year in the bracket (未 is how the document's text prints 末 there: 「2017年度未見込み」).
_LEVEL_FORECAST = re.compile(r"(?P<value>(?:約)?\d[\d,.]*\s*[^\d\s、,()。]{1,6}(?:[、,]\s*(?:約)?\d[\d,.]*\s*(?:万|億|千)?人)?)"
                             r"\s*[(](?P<when>[^()]{0,20}?年度)\s*(?P<end>[末未])?\s*(?:時点)?\s*(?:の)?見込み?[)]")


def add_level_forecasts(b: Builder, kpi: KpiRecord, text: str, source: Source) -> list[tuple[int, int]]:
    """Forecasts printed as the level itself with the fiscal year they are for ("508団体、約8,540万人(2017年度未見込み)"):
    a forecast observation of that value at the year's end (a population printed beside the count becomes the second
    measure's forecast as an actual would). Returns the spans read, which add_printed_forecasts then leaves alone."""
    clean = normalise_text(text)
    spans = []
    for m in _LEVEL_FORECAST.finditer(clean):
        periods = [p for p in find_periods(prepare_cell(m.group("when"))) if p.kind in ("fy", "span")]
        p = _parse(m.group("value"), "actual")
        if not periods or p is None or p.value is None:
            continue
        as_of = fiscal_year_end(periods[-1].year)
        sentence = m.group().strip()
        spans.append(m.span())
        b.note("printed_forecasts", {"kpi": kpi.name, "line": source.line, "text": sentence,
                                     "read_as": "forecast level at the fiscal year's end"
                                     + (" (年度未 read as 年度末)" if m.group("end") == "未" else "")})
        kpi.observations.append(ObservationRecord(text=sentence, source=source, value=p.value, unit=p.unit,
                                                  as_of=as_of, status="forecast", as_of_precision="fiscal_year"))
    return spans


def add_printed_forecasts(b: Builder, kpi: KpiRecord, text: str, source: Source) -> None:
    """The 見込み a progress column prints for the deadline ("2018年度までに894システムの減(62%減)の見込み",
    "2021年度までに約29%の削減見込み(2016年度末時点)") as forecast observations at that deadline, in the KPI's own
    measure: the base less the reduction, or the base times what is left of it. Without a base of the same unit
    nothing is guessed: the sentence is noted and left out. A level printed with its year is add_level_forecasts'."""
    base = kpi.baseline
    read = add_level_forecasts(b, kpi, text, source)
    for m in _FORECAST_SENTENCE.finditer(normalise_text(text)):
        if any(start < m.end() and m.start() < end for start, end in read):
            continue
        sentence = m.group().strip()
        p = _parse(sentence, "actual")
        if p is None or p.status != "forecast" or p.deadline is None:
            continue
        value = None
        if base is not None and base.value is not None:
            rel = p.relative
            if p.value is not None and p.reduction and p.unit and base.unit in (None, p.unit):
                value = base.value - p.value
            elif rel is not None and rel.kind == "cut" and p.value is None:
                value = base.value * rel.factor
        b.note("printed_forecasts", {"kpi": kpi.name, "line": source.line, "text": sentence,
                                     "read_as": "forecast at the deadline" if value is not None else "no value: base unknown"})
        if value is not None:
            kpi.observations.append(ObservationRecord(text=sentence, source=source, value=value, unit=base.unit or p.unit,
                                                      as_of=p.deadline, status="forecast",
                                                      as_of_precision=precision_of(sentence, p.deadline)))


def next_measurement_date(text: str | None):
    """The date given for the next figure: the period written just before 公表/把握/集計/検証
    ("2018年3月頃に公表" → 2018-03-01). Relative timing ("翌年度末に把握") gives None."""
    s = prepare_cell(text or "")
    periods = find_periods(s)
    for verb in _MEASURE_VERB.finditer(s):
        before = [p for p in periods if p.end <= verb.start() and _BEFORE_VERB.match(s[p.end:verb.start()])]
        if before:
            return before[-1].point()
    return None


def organisation(text: str | None) -> str | None:
    """"【総務省】…" / "[IT室]…": the office answering for the figure, when the cell names one first."""
    m = _OFFICE_TAG.match(normalise_text(text or ""))
    return m.group(1) if m else None


def unit_from_name(name: str) -> str | None:
    base = re.sub(r"\s*\([^)]*\)\s*$", "", strip_markers(name)[0])
    return next((unit for suffix, unit in _NAME_UNITS if base.endswith(suffix)), None)


def fill_units(kpi: KpiRecord, unit: str | None = None) -> None:
    """Give the KPI and its unit-less figures the unit its other figures (or its name) use."""
    values = [*kpi.targets, *kpi.observations, *([kpi.baseline] if kpi.baseline else [])]
    kpi.unit = kpi.unit or next((v.unit for v in values if v.unit), None) or unit or unit_from_name(kpi.name)
    for v in values:
        if v.unit is None and v.value is not None:
            v.unit = kpi.unit


def build_kpi(b: Builder, row: RowCells, reform_item: str | None) -> KpiRecord:
    """A KpiRecord with every value its row states; blank and "-" cells give nothing."""
    kpi = KpiRecord(name=row.name, source=row.source, tier=row.tier, reform_item=reform_item,
                    markers=strip_markers(row.name)[1], after_the_fact=is_after_the_fact(row.name))
    if row.target and not is_blank(row.target[0]):
        add_target(kpi, *row.target)
    if row.actual and not is_blank(row.actual[0]):
        add_actuals(b, kpi, *row.actual)
    if row.rating and is_rating(row.rating[0]):
        kpi.ratings.append(RatingRecord(scheme=SCHEME, code=normalise_text(row.rating[0]), source=row.rating[1]))
    if row.next and not is_blank(row.next[0]):
        text = normalise_text(row.next[0])
        kpi.next_measurement = text
        kpi.next_measurement_date = next_measurement_date(text)
        kpi.organisation = organisation(text)
        if kpi.next_measurement_date is None:
            kpi.policy_text = text  # no timing in it: the cell is the 今後の方針 part of the column
        if "見込" in text:
            add_printed_forecasts(b, kpi, text, row.next[1])
    fill_units(kpi)
    return kpi


def is_group_row(row: RowCells) -> bool:
    """"…市町村数 - - - -": a heading row whose KPIs follow it (every value cell is a dash)."""
    cells = [row.target, row.actual, row.rating, row.next]
    texts = [normalise_text(c[0]) if c else "" for c in cells]
    return all(t in _BLANK for t in texts) and any(t for t in texts)


def add_rows(b: Builder, rows: list[RowCells], reform_item: str | None) -> list[KpiRecord]:
    """Turn one KPI table's rows into KpiRecords and hand them to the builder; returns the new ones.

    The tier carries down to rows that do not repeat it, and rows above the first tier label take
    that label (a merged tier cell is printed beside one of its middle rows). A group row ("- - - -")
    is the parent of every row after it in the same tier, numbered ("- 1", ①) or not: in the
    documents "庶務業務の集約化" follows "- 2" unnumbered yet is listed with them under the parent
    KPI in the schedule, and in the PDF ④⑤ sit under the same heading."""
    tier = None
    for r in rows:
        tier = r.tier = r.tier or tier
    first = next((r.tier for r in rows if r.tier), None)
    for r in rows:
        r.tier = r.tier or first
    added, group = [], None
    for r in rows:
        parent = None
        if is_group_row(r):
            group = r
        elif group is not None and group.tier == r.tier:
            parent = group.name
        else:
            group = None
        cells = tuple(c[0] if c else "" for c in (r.target, r.actual, r.rating, r.next))
        if b.repeated_row(r.tier, r.name, cells, r.source.line):
            continue
        kpi = build_kpi(b, r, reform_item)
        kpi.parent = parent
        b.ex.kpis.append(kpi)
        added.append(kpi)
    return added


# "2016年度中に300団体(実施団体の人口6000万人)": a count target with the population it covers in brackets;
# "430団体、約7,693万人(2017年8月31日時点)": the actual and its population, one date printed after both.
_SECOND_TARGET = re.compile(r"[(]([^()\d]{0,20}?)\s*((?:約)?\d[\d,.]*\s*(?:万|億|千)?人)\s*[)]")
_SECOND_ACTUAL = re.compile(r"^(?:約)?\d[\d,.]*\s*[^\d、,()]{0,6}[、,]\s*((?:約)?\d[\d,.]*\s*(?:万|億|千)?人)")
SECOND_UNIT = "人"
DEFAULT_SECOND_LABEL = "人口"


def second_measure_name(name: str, label: str) -> str:
    return f"{name}：{label}"


def split_second_measures(ex) -> None:
    """A KPI stated as a count of bodies and the population they cover keeps both: the population target and
    actual become a second KPI (the first one's child) in 人, dated and edition-tagged like the figure beside it —
    a date printed after both values belongs to both. A label printed with the population ("実施団体の人口") names
    the measure; the label is shared by every record of the KPI in the document so that they make one KPI. Without
    such a label the KPI's name must say 人口: "120件、3,000人" of another KPI is left as it is."""
    from mieruka.records.canonical import kpi_key

    labels: dict[str, str] = {}
    for kpi in ex.kpis:
        for t in kpi.targets:
            m = _SECOND_TARGET.search(t.text)
            if m and m.group(1).strip() and kpi.unit != SECOND_UNIT:
                labels.setdefault(kpi_key(kpi.name, kpi.reform_item), m.group(1).strip())
    added = []
    for kpi in ex.kpis:
        if kpi.unit == SECOND_UNIT:
            continue
        label = labels.get(kpi_key(kpi.name, kpi.reform_item))
        if label is None:
            if DEFAULT_SECOND_LABEL not in kpi.name:
                continue  # a second figure in 人 that no label or name calls a population is not read as one
            label = DEFAULT_SECOND_LABEL
        targets = [(t, m) for t in kpi.targets for m in [_SECOND_TARGET.search(t.text)] if m]
        observations = [(o, m) for o in kpi.observations for m in [_SECOND_ACTUAL.match(o.text)] if m]
        if not targets and not observations:
            continue
        second = KpiRecord(name=second_measure_name(kpi.name, label), source=kpi.source, tier=kpi.tier,
                           reform_item=kpi.reform_item, parent=kpi.name, unit=SECOND_UNIT, direction=kpi.direction,
                           organisation=kpi.organisation)
        for t, m in targets:
            p = _parse(m.group(2), "actual")
            if p is None or p.value is None or p.unit != SECOND_UNIT:
                continue
            second.targets.append(TargetRecord(text=t.text, source=t.source, value=p.value, unit=SECOND_UNIT,
                                               deadline=t.deadline, comparator=t.comparator, edition=t.edition,
                                               deadline_precision=t.deadline_precision or precision_of(t.text, t.deadline),
                                               interim=t.interim))
        for o, m in observations:
            p = _parse(m.group(1), "actual")
            if p is None or p.value is None or p.unit != SECOND_UNIT:
                continue
            second.observations.append(ObservationRecord(text=o.text, source=o.source, value=p.value, unit=SECOND_UNIT,
                                                         as_of=o.as_of, status=o.status,
                                                         as_of_precision=o.as_of_precision or precision_of(o.text, o.as_of)))
        if second.targets or second.observations:
            added.append(second)
    ex.kpis += added
    if added:
        ex.meta["second_measures"] = [{"kpi": k.parent, "measure": k.name, "line": k.source.line} for k in added]
