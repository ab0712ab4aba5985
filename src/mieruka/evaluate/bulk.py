"""Rate many KPI series at once with numpy: the same flags, metrics, forecast and rules as rate.py, on arrays.
Observations are one flat array sorted by series then date; no Python loop runs per series."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mieruka.evaluate.path import DAYS_PER_YEAR
from mieruka.evaluate.schemes import Scheme
from mieruka.evaluate.series import Series


@dataclass
class SeriesArrays:
    """n series; dates are date ordinals and 0 means none; NaN means no value."""

    direction: np.ndarray  # +1 / -1
    after_the_fact: np.ndarray  # bool
    target_unset: np.ndarray  # bool: no numeric target, but one is announced
    target: np.ndarray  # float
    improve_only: np.ndarray  # bool: the target is "better than baseline"
    deadline: np.ndarray  # int
    baseline: np.ndarray  # float
    baseline_day: np.ndarray  # int
    obs_series: np.ndarray  # int, non-decreasing
    obs_day: np.ndarray  # int, increasing within a series
    obs_value: np.ndarray  # float
    as_of: int
    printed_forecast: np.ndarray | None = None  # float: the 見込み printed for the deadline (NaN: none)

    @property
    def n(self) -> int:
        return len(self.direction)


@dataclass
class BulkResult:
    codes: np.ndarray  # str
    rules: np.ndarray  # index of the deciding rule
    flags: dict[str, np.ndarray]
    metrics: dict[str, np.ndarray]
    expected: np.ndarray
    forecast: np.ndarray


def from_series(series: list[Series]) -> SeriesArrays:
    """Arrays for series already built by series.build_series (one as_of for all)."""
    def day(d) -> int:
        return d.toordinal() if d else 0

    obs = [(i, day(o.day), o.value) for i, s in enumerate(series) for o in s.observations]
    return SeriesArrays(
        direction=np.array([s.direction for s in series], dtype=np.int64),
        after_the_fact=np.array([s.after_the_fact for s in series], dtype=bool),
        target_unset=np.array([s.target is None and s.unset is not None for s in series], dtype=bool),
        target=np.array([s.target.value if s.target and s.target.value is not None else np.nan for s in series]),
        improve_only=np.array([bool(s.target and s.target.improve_only) for s in series], dtype=bool),
        deadline=np.array([day(s.target.deadline) if s.target else 0 for s in series], dtype=np.int64),
        baseline=np.array([s.baseline.value if s.baseline else np.nan for s in series]),
        baseline_day=np.array([day(s.baseline.day) if s.baseline else 0 for s in series], dtype=np.int64),
        obs_series=np.array([o[0] for o in obs], dtype=np.int64),
        obs_day=np.array([o[1] for o in obs], dtype=np.int64),
        obs_value=np.array([o[2] for o in obs], dtype=float),
        as_of=series[0].as_of.toordinal() if series else 0,
        printed_forecast=np.array([s.printed_forecast.value if s.printed_forecast else np.nan for s in series]),
    )


def _fallback_baseline(x: SeriesArrays, scheme: Scheme) -> SeriesArrays:
    """missing_baseline = "first_observation": the earliest actual becomes the baseline where two or more exist."""
    if scheme.missing_baseline != "first_observation":
        return x
    counts = np.bincount(x.obs_series, minlength=x.n)
    starts = np.cumsum(counts) - counts
    use = np.isnan(x.baseline) & (counts >= 2)
    first = starts[use]
    baseline, baseline_day = x.baseline.copy(), x.baseline_day.copy()
    baseline[use], baseline_day[use] = x.obs_value[first], x.obs_day[first]
    keep = np.ones(len(x.obs_series), dtype=bool)
    keep[first] = False
    return SeriesArrays(x.direction, x.after_the_fact, x.target_unset, x.target, x.improve_only, x.deadline,
                        baseline, baseline_day, x.obs_series[keep], x.obs_day[keep], x.obs_value[keep], x.as_of,
                        x.printed_forecast)


def _forecast(x: SeriesArrays, has_base: np.ndarray, half_life: float) -> np.ndarray:
    """Weighted least-squares value at each deadline (NaN where rate.py gives no forecast)."""
    n = x.n
    base_idx = np.nonzero(has_base)[0]
    seg = np.concatenate([base_idx, x.obs_series])
    day = np.concatenate([x.baseline_day[base_idx], x.obs_day])
    val = np.concatenate([x.baseline[base_idx], x.obs_value])
    order = np.argsort(seg, kind="stable")  # baseline first, then actuals by date, as rate.py lists them
    seg, day, val = seg[order], day[order], val[order]
    last, count, mx, my, sxx, sxy = weighted_fit(seg, day, val, n, half_life)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = sxy / sxx
        at = my + slope * ((x.deadline - last) / DAYS_PER_YEAR - mx)
    ok = (count >= 2) & (sxx != 0) & (x.deadline > 0)
    return np.where(ok, at, np.nan)


def weighted_fit(seg: np.ndarray, day: np.ndarray, val: np.ndarray, n: int, half_life: float,
                 exact: bool = False) -> tuple[np.ndarray, ...]:
    """forecast.fit of n series at once: points (seg, day, val) sorted by series, each series's points in the order
    fit sums them. Per series: its last day, point count, weighted means of x (years before the last day) and y, and
    the sums sxx and sxy (slope = sxy / sxx where count >= 2 and sxx != 0). exact weighs with Python's pow, as fit
    does, so the lines are the same to the last bit (numpy's pow may differ in the last bit, and is faster)."""
    count = np.bincount(seg, minlength=n)
    last = np.zeros(n, dtype=np.int64)
    nonempty = np.nonzero(count)[0]
    if len(nonempty):
        last[nonempty] = np.maximum.reduceat(day, (np.cumsum(count) - count)[nonempty])
    xs = (day - last[seg]) / DAYS_PER_YEAR
    ago = (last[seg] - day) / DAYS_PER_YEAR / half_life
    ws = np.array([0.5 ** e for e in ago.tolist()]) if exact else 0.5 ** ago
    total = np.bincount(seg, weights=ws, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(seg, weights=ws * xs, minlength=n) / total
        my = np.bincount(seg, weights=ws * val, minlength=n) / total
        dx = xs - mx[seg]
        sxx = np.bincount(seg, weights=ws * dx ** 2, minlength=n)
        sxy = np.bincount(seg, weights=ws * dx * (val - my[seg]), minlength=n)
    return last, count, mx, my, sxx, sxy


def rate_arrays(x: SeriesArrays, scheme: Scheme) -> BulkResult:
    """Codes for every series under scheme, by the rules rate.py applies one KPI at a time."""
    x = _fallback_baseline(x, scheme)
    n, d = x.n, x.direction
    counts = np.bincount(x.obs_series, minlength=n)
    has_obs = counts > 0
    last = np.maximum(np.cumsum(counts) - 1, 0)
    a = np.where(has_obs, x.obs_value[last] if len(x.obs_value) else np.nan, np.nan)
    ta = np.where(has_obs, x.obs_day[last] if len(x.obs_day) else 0, 0)
    b, tb, t, td = x.baseline, x.baseline_day, x.target, x.deadline
    has_t, has_b = ~np.isnan(t), ~np.isnan(b)
    has_bday, has_dl = has_b & (tb > 0), has_t & (td > 0)
    nan = np.full(n, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        met = np.where(has_t, d * (a - t) >= 0, x.improve_only & has_b & (d * (a - b) > 0)) & has_obs
        ok = has_obs & has_t & (a > 0) & (t > 0)
        attainment = np.where(ok, np.where(d > 0, a / t, t / a), nan)
        change = np.where(has_obs & has_b & (b != 0), d * (a - b) / np.abs(b), nan)
        achievement = np.where(has_obs & has_b & has_t & (t != b), (a - b) / (t - b), nan)
        on_path = has_obs & has_bday & has_dl
        span = td - tb
        frac = np.where(span <= 0, 1.0, np.clip((ta - tb) / np.where(span == 0, 1, span), 0.0, 1.0))
        linear = b + (t - b) * frac
        expected = linear
        if scheme.path == "compound":
            expected = np.where((b > 0) & (t > 0), b * (t / b) ** frac, linear)
        expected = np.where(on_path, expected, nan)
        path_share = np.where(on_path & (expected != b), (a - b) / (expected - b), nan)
        years_done = (ta - tb) / DAYS_PER_YEAR
        years_plan = (td - tb) / DAYS_PER_YEAR
        ok = on_path & (b > 0) & (a > 0) & (t > 0) & (ta > tb) & (td > tb)
        required = (t / b) ** (1.0 / years_plan) - 1.0
        cagr = np.where(ok & (required != 0), ((a / b) ** (1.0 / years_done) - 1.0) / required, nan)
    fc = _forecast(x, has_bday, scheme.half_life_years)
    no_target = ~has_t & ~x.improve_only
    flags = {
        "after_the_fact": x.after_the_fact,
        "target_unset": no_target & x.target_unset,
        "no_target": no_target,
        "no_observation": ~has_obs,
        "no_baseline": ~has_b,
        "no_deadline": no_target | (td <= 0),
        "target_met": met,
        "deadline_passed": (td > 0) & ~no_target & (x.as_of >= td),
        "observed_after_deadline": (td > 0) & ~no_target & has_obs & (ta >= td),
        "forecast_met": has_t & ~np.isnan(fc) & (d * (fc - t) >= 0),
        "printed_forecast_met": _printed_met(x, scheme, has_t, t, d),
    }
    metrics = {"path_share": path_share, "achievement": achievement, "attainment": attainment,
               "change": change, "cagr_ratio": cagr}
    rules = _assign(scheme, flags, metrics, n)
    names = np.array([r.code for r in scheme.rules], dtype=object)
    return BulkResult(names[rules], rules, flags, metrics, expected, fc)


def _printed_met(x: SeriesArrays, scheme: Scheme, has_t: np.ndarray, t: np.ndarray, d: np.ndarray) -> np.ndarray:
    if not scheme.printed_forecasts or x.printed_forecast is None:
        return np.zeros(x.n, dtype=bool)
    pf = x.printed_forecast
    return has_t & ~np.isnan(pf) & (d * (pf - t) >= 0)


def _assign(scheme: Scheme, flags: dict[str, np.ndarray], metrics: dict[str, np.ndarray], n: int) -> np.ndarray:
    rules = np.full(n, -1, dtype=np.int64)
    for i, rule in enumerate(scheme.rules):
        mask = rules < 0
        for f in rule.when:
            mask &= flags[f]
        for f in rule.unless:
            mask &= ~flags[f]
        if rule.metric is not None:
            m = metrics[rule.metric]
            mask &= ~np.isnan(m)
            if rule.min is not None:
                mask &= m >= rule.min
            if rule.max is not None:
                mask &= m <= rule.max
        rules[mask] = i
    return rules
