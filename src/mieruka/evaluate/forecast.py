"""Forecast a KPI at its deadline by weighted least squares, recent points weighing more.
With one observation the line runs from the baseline; the forecast also gives the gap and the date of reaching the target."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mieruka.evaluate.path import DAYS_PER_YEAR


@dataclass(frozen=True)
class Line:
    """value = mean_value + slope × (years − mean_years), years counted from the latest point (≤ 0)."""

    mean_years: float
    mean_value: float
    slope: float  # per year
    last_day: int
    points: int

    def at(self, day: int) -> float:
        return self.mean_value + self.slope * ((day - self.last_day) / DAYS_PER_YEAR - self.mean_years)

    def day_of(self, value: float) -> int | None:
        """The day the line reaches value; None where it is flat."""
        if self.slope == 0:
            return None
        years = self.mean_years + (value - self.mean_value) / self.slope
        return self.last_day + round(years * DAYS_PER_YEAR)


@dataclass(frozen=True)
class Forecast:
    value: float | None  # at the deadline
    gap: float | None  # still to go at the deadline in the KPI's direction; ≤ 0 means the target would be met
    slope_per_year: float
    reached_on: date | None  # when the target is (or was) reached; None if the current pace never gets there
    already_met: bool
    points: int


def weight(day: int, last_day: int, half_life_years: float) -> float:
    return 0.5 ** ((last_day - day) / DAYS_PER_YEAR / half_life_years)


def fit(days: list[int], values: list[float], half_life_years: float) -> Line | None:
    """Weighted least-squares line through (day, value); None with fewer than two distinct days."""
    if len(days) < 2:
        return None
    last = max(days)
    xs = [(d - last) / DAYS_PER_YEAR for d in days]
    ws = [weight(d, last, half_life_years) for d in days]
    total = sum(ws)
    mx = sum(w * x for w, x in zip(ws, xs)) / total
    my = sum(w * y for w, y in zip(ws, values)) / total
    sxx = sum(w * (x - mx) ** 2 for w, x in zip(ws, xs))
    if sxx == 0:
        return None
    sxy = sum(w * (x - mx) * (y - my) for w, x, y in zip(ws, xs, values))
    return Line(mx, my, sxy / sxx, last, len(days))


def forecast(points: list[tuple[date, float]], target: float | None, deadline: date | None, direction: int,
             half_life_years: float, met_on: date | None = None) -> Forecast | None:
    """Project the series (baseline and actuals, as (date, value)) to the deadline.
    met_on is the date of the first actual that reached the target, if one did."""
    line = fit([d.toordinal() for d, _ in points], [v for _, v in points], half_life_years)
    return from_line(line, target, deadline, direction, met_on)


def from_line(line: Line | None, target: float | None, deadline: date | None, direction: int,
              met_on: date | None = None) -> Forecast | None:
    """The forecast a fitted line gives (forecast() after fit; the bulk rater fits many lines at once)."""
    if line is None:
        return None
    value = line.at(deadline.toordinal()) if deadline else None
    gap = None if value is None or target is None else direction * (target - value)
    reached = met_on
    if target is not None and met_on is None and direction * line.slope > 0:
        day = line.day_of(target)
        # the fitted line can pass the target before the latest actual does; it cannot be reached in the past
        reached = _safe_date(None if day is None else max(day, line.last_day))
    return Forecast(value, gap, line.slope, reached, met_on is not None, line.points)


def _safe_date(day: int | None) -> date | None:
    if day is None:
        return None
    try:
        return date.fromordinal(day)
    except (ValueError, OverflowError):
        return None

