"""Apply a rating scheme to one KPI: the facts (flags and metrics), the code, the forecast and the explanation.
Pure functions on the dicts of storage.queries.kpi_rows; bulk.py applies the same rules to arrays."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from mieruka.evaluate import path as p
from mieruka.evaluate.explain import explain
from mieruka.evaluate.facts import Facts
from mieruka.evaluate.forecast import Forecast, forecast
from mieruka.evaluate.schemes import Rollup, RollupResult, Scheme
from mieruka.evaluate.series import Point, Series, build_series, doc_key, document_dates


@dataclass
class RatingResult:
    kpi_id: int | None
    kpi: str
    scheme: str
    code: str
    label: str
    label_en: str
    judged: bool
    as_of: date
    expected: float | None
    actual: float | None
    actual_as_of: date | None
    target: float | None
    deadline: date | None
    forecast: float | None
    gap: float | None
    reached_on: date | None
    unit: str | None
    explanation: str
    explanation_en: str
    rule: int
    facts: Facts = field(repr=False)
    series: Series = field(repr=False)

    def row(self, lang: str = "ja") -> dict:
        """The row `mieruka evaluate` prints."""
        en = lang == "en"
        return {
            "kpi_id": self.kpi_id, "kpi": self.kpi, "code": self.code, "label": self.label_en if en else self.label,
            "expected": _round(self.expected), "actual": self.actual, "actual_as_of": self.actual_as_of,
            "target": _round(self.target), "deadline": self.deadline, "forecast": _round(self.forecast),
            "explanation": self.explanation_en if en else self.explanation,
        }

    def details(self) -> dict:
        """What is stored beside a computed rating, so a reader can redo the arithmetic."""
        return {
            "label": self.label, "label_en": self.label_en, "expected": self.expected, "actual": self.actual,
            "actual_as_of": _iso(self.actual_as_of), "target": self.target, "deadline": _iso(self.deadline),
            "forecast": self.forecast, "gap": self.gap, "reached_on": _iso(self.reached_on), "unit": self.unit,
            "direction": "up" if self.series.direction > 0 else "down", "rule": self.rule,
            "metrics": self.facts.metrics,
            "sources": {k: v for k, v in self.sources().items() if v},
        }

    def sources(self) -> dict:
        s = self.series
        return {"baseline": s.baseline.source if s.baseline else None,
                "target": s.target.source if s.target else (s.unset.source if s.unset else None),
                "actual": self.facts.actual.source if self.facts.actual else None}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


_FIT = object()  # facts_of fits the forecast itself


def facts_of(series: Series, scheme: Scheme, fc: Forecast | None = _FIT) -> Facts:
    """Every flag and metric a rule can test, for one series; fc: its forecast when already fitted (the bulk rater
    fits every series of a chunk at once and keeps only the latest actual in series.observations)."""
    d = series.direction
    obs = series.observations
    actual = obs[-1] if obs else None
    base = series.baseline
    goal = series.target
    target = goal.value if goal else None
    deadline = goal.deadline if goal else None
    improve = bool(goal and goal.improve_only)
    metrics: dict[str, float | None] = {m: None for m in ("path_share", "achievement", "attainment", "change", "cagr_ratio")}
    expected = None
    met = False
    if actual is not None:
        a = actual.value
        if target is not None:
            met = p.reaches(a, target, d)
            metrics["attainment"] = p.attainment(a, target, d)
        elif improve and base is not None:
            met = d * (a - base.value) > 0
        if base is not None:
            metrics["change"] = p.change(a, base.value, d)
            if target is not None:
                metrics["achievement"] = p.achievement(a, base.value, target)
            if target is not None and base.day is not None and deadline is not None:
                expected = p.planned_value(base.value, base.day, target, deadline, actual.day, scheme.path)
                metrics["path_share"] = p.path_share(a, base.value, expected)
                metrics["cagr_ratio"] = p.cagr_ratio(a, actual.day.toordinal(), base.value, base.day.toordinal(),
                                                     target, deadline.toordinal())
    if fc is _FIT:
        fc = _forecast(series, scheme, target, deadline, d)
    flags = {
        "after_the_fact": series.after_the_fact,
        "target_unset": goal is None and series.unset is not None,
        "no_target": goal is None,
        "no_observation": actual is None,
        "no_baseline": base is None,
        "no_deadline": deadline is None,
        "target_met": met,
        "deadline_passed": deadline is not None and series.as_of >= deadline,
        "observed_after_deadline": deadline is not None and actual is not None and actual.day >= deadline,
        "forecast_met": bool(fc and fc.value is not None and target is not None and p.reaches(fc.value, target, d)),
        "printed_forecast_met": bool(scheme.printed_forecasts and series.printed_forecast is not None
                                     and target is not None and p.reaches(series.printed_forecast.value, target, d)),
    }
    return Facts(flags, metrics, expected, actual, fc)


def _forecast(series: Series, scheme: Scheme, target: float | None, deadline: date | None, d: int) -> Forecast | None:
    points = [(o.day, o.value) for o in series.observations]
    if series.baseline is not None and series.baseline.day is not None:
        points.insert(0, (series.baseline.day, series.baseline.value))
    met_on = None
    if target is not None:
        met_on = next((o.day for o in series.observations if p.reaches(o.value, target, d)), None)
    return forecast(points, target, deadline, d, scheme.half_life_years, met_on)


def rate_series(series: Series, scheme: Scheme, fc: Forecast | None = _FIT) -> RatingResult:
    facts = facts_of(series, scheme, fc)
    index, code = scheme.assign(facts.flags, facts.metrics)
    c = scheme.codes[code]
    goal = series.target
    fc = facts.forecast
    ja, en = explain(series, facts, scheme, index)
    return RatingResult(
        kpi_id=series.kpi_id, kpi=series.name, scheme=scheme.name, code=code, label=c.ja, label_en=c.en,
        judged=c.judged, as_of=series.as_of, expected=facts.expected,
        actual=facts.actual.value if facts.actual else None, actual_as_of=facts.actual.day if facts.actual else None,
        target=goal.value if goal else None, deadline=goal.deadline if goal else None,
        forecast=fc.value if fc else None, gap=fc.gap if fc else None, reached_on=fc.reached_on if fc else None,
        unit=series.unit, explanation=ja, explanation_en=en, rule=index, facts=facts, series=series)


def rate_kpi(kpi: dict, scheme: Scheme, as_of: date, doc_dates: dict | None = None, document=None) -> RatingResult:
    """Rate one KPI dict as of a date; with document, on the numbers that document gave."""
    dates = doc_dates if doc_dates is not None else document_dates([kpi])
    return rate_series(build_series(kpi, as_of, dates, scheme.missing_baseline, document), scheme)


def rate_all(kpis: list[dict], scheme: Scheme, as_of: date) -> list[RatingResult]:
    dates = document_dates(kpis)
    return [rate_kpi(k, scheme, as_of, dates) for k in kpis]


@dataclass
class GroupResult:
    """A roll-up of several KPIs' codes into one result (the policy evaluation's five steps)."""

    group: str
    key: object
    result: RollupResult
    counts: dict[str, int]
    judged: int
    explanation: str
    explanation_en: str
    members: list[RatingResult]

    def row(self, lang: str = "ja") -> dict:
        en = lang == "en"
        return {"kpi_id": None, "kpi": self.group, "code": self.result.result,
                "label": self.result.en if en else self.result.ja, "expected": None, "actual": None,
                "actual_as_of": None, "target": None, "deadline": None, "forecast": None,
                "explanation": self.explanation_en if en else self.explanation}


def group_keys(kpi: dict, scheme: Scheme) -> list[tuple[object, str]]:
    """The roll-up groups a KPI belongs to: the documents that grade it under the scheme, or its reform item."""
    rollup = scheme.rollup
    if rollup.group_by == "reform_item":
        return [(kpi["reform_item"], kpi["reform_item"])] if kpi.get("reform_item") else []
    out = {}
    for r in kpi.get("ratings", []):
        if r.get("official") and r.get("scheme") == scheme.official and r.get("source"):
            out[doc_key(r["source"])] = r["source"].get("document")
    return list(out.items())


def roll_up(results: list[RatingResult], kpis: list[dict], scheme: Scheme, names: dict | None = None) -> list[GroupResult]:
    """One result per group of the scheme's roll-up; names maps a group key (document) to a better name (the policy)."""
    if scheme.rollup is None:
        return []
    groups: dict = {}
    for res, kpi in zip(results, kpis):
        for key, name in group_keys(kpi, scheme):
            groups.setdefault(key, ((names or {}).get(key, name), []))[1].append(res)
    return [roll_up_group(name, key, members, scheme.rollup) for key, (name, members) in groups.items()]


def roll_up_group(name: str, key, members: list[RatingResult], rollup: Rollup) -> GroupResult:
    """The first result whose minimum shares the members' codes reach (among the members that could be judged)."""
    judged = [m for m in members if m.judged]
    counts: dict[str, int] = {}
    for m in judged:
        counts[m.code] = counts.get(m.code, 0) + 1
    if rollup.exceed_attainment is not None:
        counts["exceeded"] = sum(1 for m in judged if (m.facts.metrics["attainment"] or 0) >= rollup.exceed_attainment)
    result = rollup.unjudged if not judged else next(r for r in rollup.results if _shares_met(r, counts, len(judged)))
    tally = "・".join(f"{c}{n}件" for c, n in counts.items() if c != "exceeded" and n)
    tally_en = ", ".join(f"{n} × {c}" for c, n in counts.items() if c != "exceeded" and n)
    rule = "、".join(f"{k}の割合{_pct(_share(k, counts, len(judged)))}（基準{_pct(v)}以上）" for k, v in result.min_share.items())
    rule_en = "; ".join(f"share of {k} {_pct(_share(k, counts, len(judged)))} (needs {_pct(v)})"
                        for k, v in result.min_share.items())
    ja = (f"判定できる{len(judged)}指標のうち{tally or 'なし'}で、" + (f"{rule}のため" if rule else "上位の基準に当たらないため")
          + f"「{result.ja}」。") if judged else f"判定できる指標がないため「{result.ja}」。"
    en = (f"Of {len(judged)} gradable indicators: {tally_en or 'none'}; " + (f"{rule_en}, so" if rule_en else
          "no higher step applies, so") + f" \"{result.en}\".") if judged else f"No gradable indicator, so \"{result.en}\"."
    return GroupResult(name, key, result, counts, len(judged), ja, en, members)


def _share(key: str, counts: dict[str, int], n: int) -> float:
    return sum(counts.get(c, 0) for c in key.split("+")) / n


def _shares_met(result: RollupResult, counts: dict[str, int], n: int) -> bool:
    return all(_share(k, counts, n) >= v for k, v in result.min_share.items())


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"
