"""The planned path from baseline to target and the measures of progress along it.
Days are date ordinals and years 365.25 days, so that rate.py and bulk.py compute the same numbers."""
from __future__ import annotations

import math
from datetime import date

DAYS_PER_YEAR = 365.25


def share_of_period(day: int, start: int, end: int) -> float:
    """How far day lies between start and end, held to [0, 1]; a deadline on the start day is reached at once."""
    if end <= start:
        return 1.0
    return min(1.0, max(0.0, (day - start) / (end - start)))


def planned_value(baseline: float, start: date, target: float, deadline: date, on: date, kind: str = "linear") -> float:
    """Where the planned path stands on a date: a straight line, or constant growth where kind is compound."""
    frac = share_of_period(on.toordinal(), start.toordinal(), deadline.toordinal())
    if kind == "compound" and baseline > 0 and target > 0:
        return baseline * (target / baseline) ** frac
    return baseline + (target - baseline) * frac


def path_share(actual: float, baseline: float, expected: float) -> float | None:
    """Progress made ÷ progress planned by the same date; None where the plan asked for none yet."""
    if expected == baseline:
        return None
    return (actual - baseline) / (expected - baseline)


def achievement(actual: float, baseline: float, target: float) -> float | None:
    """Share of the way from baseline to target (1.0 = target reached, negative = moved away)."""
    if target == baseline:
        return None
    return (actual - baseline) / (target - baseline)


def attainment(actual: float, target: float, direction: int) -> float | None:
    """actual ÷ target, or target ÷ actual for a KPI that should fall; only for positive values."""
    if actual <= 0 or target <= 0:
        return None
    return actual / target if direction > 0 else target / actual


def change(actual: float, baseline: float, direction: int) -> float | None:
    """Relative change from baseline, positive when the KPI moved the way it should."""
    if baseline == 0:
        return None
    return direction * (actual - baseline) / abs(baseline)


def cagr_ratio(actual: float, actual_day: int, baseline: float, baseline_day: int, target: float,
               deadline_day: int) -> float | None:
    """Actual compound annual growth since baseline ÷ the growth needed to reach the target by its deadline."""
    if baseline <= 0 or actual <= 0 or target <= 0 or actual_day <= baseline_day or deadline_day <= baseline_day:
        return None
    years_done = (actual_day - baseline_day) / DAYS_PER_YEAR
    years_planned = (deadline_day - baseline_day) / DAYS_PER_YEAR
    required = annual_growth(target / baseline, years_planned)
    if required == 0:
        return None
    ratio = annual_growth(actual / baseline, years_done) / required
    return None if math.isnan(ratio) else ratio


def annual_growth(factor: float, years: float) -> float:
    """Compound annual growth rate that multiplies by factor in years; inf where it overflows (a factor
    of 7 over a single day), as numpy gives in bulk.py."""
    try:
        return factor ** (1.0 / years) - 1.0
    except OverflowError:
        return math.inf


def reaches(value: float, target: float, direction: int) -> bool:
    """Whether value is at or past target in the KPI's direction."""
    return direction * (value - target) >= 0
