"""Benchmark: rate 100,000 KPI series holding 1,000,000 observations under every shipped scheme (the vectorised
rater), then 10,000 KPIs the way `mieruka evaluate` does, one explained rating each; run with `.venv/bin/python bench/bench_evaluate.py`."""
from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np

from mieruka.evaluate import schemes
from mieruka.evaluate.bulk import SeriesArrays, rate_arrays
from mieruka.evaluate.rate import rate_all

START = date(2014, 4, 1).toordinal()


def synthetic(n: int, m: int, seed: int = 20240401) -> SeriesArrays:
    """n series with m observations in all: rising and falling KPIs, some without baseline, target or data."""
    rng = np.random.default_rng(seed)
    direction = rng.choice(np.array([1, -1]), size=n, p=[0.7, 0.3])
    baseline = rng.uniform(50, 1000, n)
    baseline_day = START + rng.integers(0, 730, n)
    no_base = rng.random(n) < 0.1
    baseline[no_base], baseline_day[no_base] = np.nan, 0
    target = np.abs(np.nan_to_num(baseline, nan=500.0) * (1 + direction * rng.uniform(0.1, 0.9, n)))
    deadline = date(2019, 3, 31).toordinal() + rng.integers(0, 5 * 365, n)
    no_target = rng.random(n) < 0.05
    target[no_target], deadline[no_target] = np.nan, 0
    series = np.sort(rng.integers(0, n, m))
    day = START + 365 + rng.integers(0, 3650, m)
    order = np.lexsort((day, series))
    series, day = series[order], day[order]
    pace = direction[series] * rng.uniform(-0.05, 0.12, n)[series]
    base = np.nan_to_num(baseline, nan=500.0)[series]
    value = base * (1 + pace * (day - START) / 365.25) + rng.normal(0, 5, m)
    return SeriesArrays(
        direction=direction, after_the_fact=rng.random(n) < 0.02, target_unset=no_target & (rng.random(n) < 0.5),
        target=target, improve_only=np.zeros(n, dtype=bool), deadline=deadline, baseline=baseline,
        baseline_day=baseline_day, obs_series=series, obs_day=day, obs_value=value,
        as_of=date(2025, 4, 1).toordinal())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--explained", type=int, default=10_000, help="KPIs to rate one by one with explanations")
    args = parser.parse_args()
    t0 = time.perf_counter()
    data = synthetic(args.series, args.observations)
    print(f"generated {args.series:,} series with {args.observations:,} observations "
          f"in {time.perf_counter() - t0:.2f} s")
    total = 0.0
    for name in sorted(schemes.available()):
        scheme = schemes.load(name)
        t0 = time.perf_counter()
        result = rate_arrays(data, scheme)
        seconds = time.perf_counter() - t0
        total += seconds
        codes, counts = np.unique(result.codes.astype(str), return_counts=True)
        spread = ", ".join(f"{c} {k:,}" for c, k in zip(codes, counts))
        print(f"{name:18s} {seconds:6.3f} s  {args.series / seconds:12,.0f} series/s  "
              f"{args.observations / seconds:14,.0f} observations/s  [{spread}]")
    print(f"all {len(schemes.available())} schemes: {total:.3f} s")
    explained(args.explained)


def kpi_dicts(data: SeriesArrays, n: int) -> list[dict]:
    """The first n synthetic series as the KPI dicts storage.queries.kpi_rows gives the evaluate command."""
    src = {"document": "bench.txt", "document_id": 1, "line": 1}
    starts = np.searchsorted(data.obs_series, np.arange(n + 1))
    kpis = []
    for i in range(n):
        day = date.fromordinal
        base = None if np.isnan(data.baseline[i]) else {
            "value": float(data.baseline[i]), "as_of": day(int(data.baseline_day[i])), "unit": "団体", "text": "", "source": src}
        targets = [] if np.isnan(data.target[i]) else [{
            "value": float(data.target[i]), "unit": "団体", "deadline": day(int(data.deadline[i])), "comparator": "eq",
            "relative": None, "unset": False, "promised_by": None, "interim": False, "edition": None,
            "edition_date": None, "text": "", "source": src}]
        observations = [{"value": float(data.obs_value[j]), "unit": "団体", "as_of": day(int(data.obs_day[j])),
                         "status": None, "text": "", "source": src} for j in range(starts[i], starts[i + 1])]
        kpis.append({"id": i, "name": f"KPI {i}", "unit": "団体", "direction": "up" if data.direction[i] > 0 else "down",
                     "after_the_fact": bool(data.after_the_fact[i]), "baseline": base, "baselines": [base] if base else [],
                     "targets": targets, "observations": observations, "ratings": [], "appearances": [],
                     "documents": [{"file_name": "bench.txt", "doc_date": None}]})
    return kpis


def explained(n: int) -> None:
    """What `mieruka evaluate` does per KPI: series, rating, forecast and the Japanese and English sentences."""
    kpis = kpi_dicts(synthetic(n, n * 10), n)
    scheme = schemes.load("reform-schedule")
    t0 = time.perf_counter()
    results = rate_all(kpis, scheme, date(2025, 4, 1))
    seconds = time.perf_counter() - t0
    print(f"mieruka evaluate's path, {n:,} KPIs with {n * 10:,} observations, explained: {seconds:.2f} s "
          f"({n / seconds:,.0f} KPIs/s; {len(results):,} ratings)")


if __name__ == "__main__":
    main()
