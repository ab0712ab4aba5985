"""From one KPI dict (storage.queries.kpi_rows) to the series a scheme rates: baseline, chosen target, actuals.
Decides which target stands (the most recently stated), resolves relative targets and the KPI's direction."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from mieruka.jp import fiscal_year_end, normalise_text

_APPROX = re.compile("約|程度|概ね|おおむね")
# A target that is only a direction ("向上(…)") starts with the word; in a longer sentence the word names an aim.
_IMPROVE_UP = re.compile("^(?:向上|改善|増加|上昇|拡大)")
_IMPROVE_DOWN = re.compile("^(?:減少|削減|低下|縮減|抑制)")
FALLING_UNITS = {"位"}  # a rank improves downward


@dataclass(frozen=True)
class Point:
    value: float
    day: date | None
    text: str = ""
    source: dict | None = None
    status: str | None = None
    unit: str | None = None
    dated_by_document: bool = False  # the value carried no date; the document's date stands in
    document_date_inferred: bool = False  # ... and the document states none: its latest actual's date stands in
    precision: str | None = None  # how precisely the document gave the date: day | month | fiscal_year | year


@dataclass(frozen=True)
class Goal:
    """A target resolved to a number (or to "better than baseline" when the document gives only a direction)."""

    value: float | None
    deadline: date | None
    text: str
    source: dict | None
    stated_on: date | None
    relative_base: float | None = None  # 半減 of 1450: base 1450, factor 0.5
    relative_factor: float | None = None
    relative_base_label: str | None = None  # the base's fiscal year when the document names one, e.g. "2016年度"
    improve_only: bool = False
    approx: bool = False
    unit: str | None = None
    deadline_precision: str | None = None  # day | month | fiscal_year | year


@dataclass(frozen=True)
class Unset:
    """A target announced but not yet set ("検討中 (2016年度中に設定)")."""

    text: str
    source: dict | None
    promised_by: date | None
    stated_on: date | None
    precision: str | None = None  # of promised_by


@dataclass
class Series:
    kpi_id: int | None
    name: str
    unit: str | None
    direction: int  # +1 rises to the target, -1 falls to it
    after_the_fact: bool
    as_of: date
    baseline: Point | None = None
    baseline_from_observation: bool = False
    target: Goal | None = None
    unset: Unset | None = None
    observations: list[Point] = field(default_factory=list)
    forecasts_only: bool = False  # no actual yet: 見込み values stand in
    unused_forecasts: list[Point] = field(default_factory=list)  # 見込み values newer than the latest actual, not rated
    printed_forecast: Point | None = None  # the 見込み a document printed for the target's deadline, stated by as_of
    unresolved_target: dict | None = None  # with no usable target: the latest statement that gave no number
    excluded_units: list[str] = field(default_factory=list)  # actuals left out because their unit differs


def doc_key(source: dict | None):
    if not source:
        return None
    return source.get("document_id") or source.get("document")


class DocDates(dict):
    """doc_key → date; `inferred` holds the keys whose document states no date of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.inferred: set = set()


def document_dates(kpis: list[dict]) -> DocDates:
    """Date of each document (by doc_key): its own date, else the latest actual it reports, since a
    document is no older than its data."""
    stated = {d["file_name"]: d["doc_date"] for k in kpis for d in k.get("documents", []) if d.get("doc_date")}
    out = DocDates()
    for k in kpis:
        for part in ("observations", "targets", "ratings", "appearances", "baselines"):
            for row in k.get(part) or []:
                src = row.get("source") or {}
                key = doc_key(src)
                if key is None:
                    continue
                if src.get("document") in stated:
                    out[key] = stated[src["document"]]
                elif part == "observations" and row.get("as_of") and row.get("status") != "forecast":
                    out[key] = max(out.get(key, row["as_of"]), row["as_of"])
                    out.inferred.add(key)
    return out


def stated_on(target: dict, doc_dates: dict) -> date | None:
    """When a target statement was made: its edition's date, else its document's."""
    return target.get("edition_date") or doc_dates.get(doc_key(target.get("source")))


def _units_of(kpi: dict) -> set[str]:
    units = {kpi.get("unit")}
    units.update(t.get("unit") for t in kpi.get("targets", []))
    if kpi.get("baseline"):
        units.add(kpi["baseline"].get("unit"))
    return {u for u in units if u}


def _value_in_fiscal_year(points: list[Point], fy: int) -> float | None:
    """The value stated for fiscal year fy: dated within it (an end-of-year value may be dated 1 April after)."""
    for p in points:
        if p.day and (date(fy, 4, 1) <= p.day <= fiscal_year_end(fy)):
            return p.value
    for p in points:
        if p.day == date(fy + 1, 4, 1):
            return p.value
    return None


def resolve_target(t: dict, known: list[Point], baseline: Point | None, doc_dates: dict) -> Goal | None:
    """A target as a number: stated, or relative (半減, 3割圧縮, 倍増, 平成26年度値以上) to its base value."""
    text = t.get("text") or ""
    common = dict(deadline=t.get("deadline"), text=text, source=t.get("source"), stated_on=stated_on(t, doc_dates),
                  approx=bool(_APPROX.search(text)), unit=t.get("unit"), deadline_precision=t.get("deadline_precision"))
    if t.get("value") is not None:
        return Goal(value=float(t["value"]), **common)
    rel = t.get("relative")
    if rel and rel.get("factor") is not None:
        base, fy = rel.get("base_value"), rel.get("base_fiscal_year")
        if base is None and fy:
            base = _value_in_fiscal_year(known, int(fy))
        if base is None and baseline is not None:
            base, fy = baseline.value, None
        if base is None:
            return None
        factor = float(rel["factor"])
        return Goal(value=float(base) * factor, relative_base=float(base), relative_factor=factor,
                    relative_base_label=f"{fy}年度" if fy else None, **common)
    folded = normalise_text(text)
    if not rel and (_IMPROVE_UP.search(folded) or _IMPROVE_DOWN.search(folded)):
        return Goal(value=None, improve_only=True, **common)
    return None


def is_unset(t: dict) -> bool:
    """Announced but not set: a target with a size (3割圧縮) whose deadline is still to come is not unset."""
    return bool(t.get("unset")) and t.get("value") is None and not t.get("relative")


def _direction(kpi: dict, baseline: Point | None, goal: Goal | None, comparator: str | None) -> int:
    if kpi.get("direction") == "down":
        return -1
    if _units_of(kpi) & FALLING_UNITS:
        return -1
    if comparator == "le":
        return -1
    if comparator == "ge":
        return 1
    if goal is not None and goal.value is not None and baseline is not None and goal.value != baseline.value:
        return 1 if goal.value > baseline.value else -1
    if goal is not None and goal.improve_only:
        folded = normalise_text(goal.text)
        return -1 if _IMPROVE_DOWN.search(folded) and not _IMPROVE_UP.search(folded) else 1
    return 1


def _point(row: dict, doc_dates: dict) -> Point | None:
    if row.get("value") is None:
        return None
    day = row.get("as_of")
    by_doc = False
    key = None
    if day is None:  # only an undated value needs its document (this runs once per observation)
        key = doc_key(row.get("source"))
        day = doc_dates.get(key)
        by_doc = day is not None
    return Point(float(row["value"]), day, row.get("text") or "", row.get("source"), row.get("status"),
                 row.get("unit"), by_doc, by_doc and key in getattr(doc_dates, "inferred", ()),
                 None if by_doc else row.get("as_of_precision"))


def _dedupe(points: list[Point]) -> list[Point]:
    """The same value for the same date, repeated by a document or by several, counts once."""
    seen, out = set(), []
    for p in sorted(points, key=lambda p: p.day):
        if (p.day, p.value) not in seen:
            seen.add((p.day, p.value))
            out.append(p)
    return out


def pick_baseline(kpi: dict, as_of: date) -> Point | None:
    rows = kpi.get("baselines") or ([kpi["baseline"]] if kpi.get("baseline") else [])
    usable = [r for r in rows if r.get("value") is not None and (r.get("as_of") is None or r["as_of"] <= as_of)]
    usable.sort(key=lambda r: r.get("as_of") is None)  # a dated baseline first: the planned path needs its date
    if not usable:
        return None
    r = usable[0]
    return Point(float(r["value"]), r.get("as_of"), r.get("text") or "", r.get("source"), unit=r.get("unit"),
                 precision=r.get("as_of_precision"))


def _choose_target(kpi: dict, as_of: date, doc_dates: dict, document, known: list[Point],
                   baseline: Point | None) -> tuple[Goal | None, Unset | None, str | None, dict | None]:
    """The standing target: from the most recent statement (final targets before yearly ones), latest deadline."""
    every = kpi.get("targets", [])
    # a target stated after as_of is not known yet, unless every statement is later (a sheet reprinting old targets)
    rows = [t for t in every if (stated_on(t, doc_dates) or as_of) <= as_of] or every
    if document is not None and any(doc_key(t.get("source")) == document for t in rows):
        rows = [t for t in rows if doc_key(t.get("source")) == document]
    finals = [t for t in rows if not t.get("interim")]
    rows = finals or rows
    candidates, unresolved = [], None
    for order, t in enumerate(rows):
        goal = resolve_target(t, known, baseline, doc_dates)
        if goal is None and not is_unset(t):
            unresolved = t
            continue
        when = stated_on(t, doc_dates) or date.min
        candidates.append((when, order, t, goal))
    if not candidates:
        return None, None, None, unresolved
    newest = max(c[0] for c in candidates)
    recent = [c for c in candidates if c[0] == newest]
    goals = [c for c in recent if c[3] is not None]
    if goals:
        goals.sort(key=lambda c: (c[3].deadline or date.max, c[1]))
        _, _, t, goal = goals[-1]
        return goal, None, t.get("comparator"), None
    _, _, t, _ = recent[0]
    return None, Unset(t.get("text") or "", t.get("source"), t.get("promised_by"), stated_on(t, doc_dates),
                       t.get("promised_by_precision")), None, None


def build_series(kpi: dict, as_of: date, doc_dates: dict, missing_baseline: str = "cannot_judge",
                 document=None) -> Series:
    """The series to rate as of a date; with document, the numbers that document gave (audit of its rating)."""
    points = [p for p in (_point(o, doc_dates) for o in kpi.get("observations", [])) if p is not None and p.day]
    points = [p for p in points if p.day <= as_of]
    if document is not None and any(doc_key(p.source) == document for p in points):
        points = [p for p in points if doc_key(p.source) == document]
    baseline = pick_baseline(kpi, as_of)
    known = ([baseline] if baseline else []) + sorted(points, key=lambda p: p.day)
    goal, unset, comparator, unresolved = _choose_target(kpi, as_of, doc_dates, document, known, baseline)
    target_unit = goal.unit if goal else None
    excluded = sorted({p.unit for p in points if target_unit and p.unit and p.unit != target_unit})
    points = [p for p in points if not (target_unit and p.unit and p.unit != target_unit)]
    actuals = [p for p in points if p.status != "forecast"]
    forecasts_only = not actuals and bool(points)
    observations = _dedupe(actuals or points)
    latest = max((p.day for p in actuals), default=None)
    unused = _dedupe([p for p in points if p.status == "forecast" and latest and p.day > latest])
    printed = _printed_forecast(kpi, as_of, doc_dates, document, goal)
    series = Series(kpi_id=kpi.get("id"), name=kpi.get("name") or "", unit=kpi.get("unit") or target_unit,
                    direction=_direction(kpi, baseline, goal, comparator), after_the_fact=bool(kpi.get("after_the_fact")),
                    as_of=as_of, baseline=baseline, target=goal, unset=unset, observations=observations,
                    forecasts_only=forecasts_only, unused_forecasts=unused, excluded_units=excluded,
                    printed_forecast=printed,
                    unresolved_target=unresolved)
    return with_missing_baseline(series, missing_baseline)


def _printed_forecast(kpi: dict, as_of: date, doc_dates: dict, document, goal: Goal | None) -> Point | None:
    """The 見込み a document printed for the target's own deadline ("2018年度までに894システムの減の見込み"), from the
    latest document stated by as_of (its date, not the date it forecasts, is when it was known); with document, that
    document's only. Of one document's several (seed 000 prints the 2015 and 2016 editions' at l.301 and l.313 and the
    2017 progress table's at l.332) the one it prints last counts: the documents print their editions in order."""
    if goal is None or goal.deadline is None or goal.value is None:
        return None
    found = []
    for o in kpi.get("observations", []):
        p = _point(o, doc_dates)
        if p is None or p.status != "forecast" or p.day != goal.deadline:
            continue
        key = doc_key(p.source)
        if document is not None and key != document:
            continue
        stated = doc_dates.get(key)
        if stated is not None and stated > as_of:
            continue
        found.append((stated or date.min, (p.source or {}).get("line") or 0, p))
    return max(found, key=lambda x: x[:2])[2] if found else None


def with_missing_baseline(series: Series, policy: str) -> Series:
    """The scheme's answer to a missing baseline: "first_observation" lets the earliest of two or more actuals stand in."""
    if series.baseline is None and policy == "first_observation" and len(series.observations) >= 2:
        return replace(series, baseline=series.observations[0], observations=series.observations[1:],
                       baseline_from_observation=True)
    return series

