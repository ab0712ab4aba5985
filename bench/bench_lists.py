"""Median time of the KPI and measure lists, one KPI page and `mieruka evaluate`/`audit` on a synthetic database
(default 2,000 KPIs × 500 observations, 10,000 measures), SQLite or PostgreSQL; prints one line per figure.
Usage: python bench/bench_lists.py [--db URL] [--kpis N] [--observations N] [--measures N] [--runs N] [--keep]"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import func, insert, select

from mieruka import storage
from mieruka.storage import models as m

URLS = ["/api/kpis?limit=50", "/api/kpis?tier=1&limit=50", "/api/kpis?rating=B&sort=latest&limit=50", "/kpis",
        "/kpis/1000", "/api/kpis/1000", "/measures", "/measures?pillar=柱2", "/api/measures?limit=50",
        "/api/measures?ministry=省3", "/"]
PILLARS = [f"柱{i}" for i in range(1, 6)]
TIMINGS = ["令和5年度", "令和6年度", "令和7年度", "時期調整中"]


def build(url: str, n_kpis: int, n_obs: int, n_measures: int, seed: int = 20261202) -> None:
    """A deterministic synthetic database: n_kpis KPIs with n_obs observations each, n_measures measures."""
    rnd = random.Random(seed)
    storage.ensure_schema(url)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with storage.session_scope(url) as s:
        if s.scalar(select(func.count()).select_from(m.Kpi)):
            return
        s.execute(insert(m.Document), [{
            "id": i, "file_name": f"doc{i}.txt", "family": "reform-schedule", "title": f"文書{i}",
            "doc_date": date(2015 + i, 10, 1), "sha256": f"{i:064d}", "size_bytes": 1, "raw": b"x", "ingested_at": now}
            for i in range(1, 6)])
        s.execute(insert(m.Organisation), [{"id": i, "name": f"省{i}"} for i in range(1, 21)])
        s.execute(insert(m.ReformItem), [{"id": i, "key": f"item{i}", "number": str(i), "name": f"改革項目{i}"}
                                         for i in range(1, 101)])
        s.execute(insert(m.Kpi), [{
            "id": k, "key": f"kpi{k}", "name": f"指標{k} 窓口業務" if k % 7 == 0 else f"指標{k}", "tier": 1 + k % 2,
            "unit": "団体", "direction": "up", "after_the_fact": False, "parent_id": k - 1 if k % 10 == 0 else None,
            "reform_item_id": 1 + k % 100, "organisation_id": 1 + k % 20} for k in range(1, n_kpis + 1)])
        s.execute(insert(m.KpiAppearance), [{"kpi_id": k, "name_as_written": f"指標{k}", "markers": [],
                                             "document_id": 1 + k % 5, "line_start": k} for k in range(1, n_kpis + 1)])
        s.execute(insert(m.Baseline), [{"kpi_id": k, "value": 100.0, "unit": "団体", "as_of": date(2015, 3, 31),
                                        "text": "100団体", "document_id": 1 + k % 5, "line_start": k}
                                       for k in range(1, n_kpis + 1)])
        s.execute(insert(m.Target), [{"kpi_id": k, "value": 500.0, "unit": "団体", "deadline": date(2025, 3, 31),
                                      "comparator": "ge", "unset": False, "interim": False, "text": "500団体",
                                      "document_id": 1 + k % 5, "line_start": k} for k in range(1, n_kpis + 1)])
        s.execute(insert(m.Rating), [{"kpi_id": k, "scheme": "reform-schedule", "code": rnd.choice("ABCDEN"),
                                      "official": True, "as_of": date(2019, 3, 31), "document_id": 1 + k % 5,
                                      "line_start": k} for k in range(1, n_kpis + 1)])
        batch = []
        for k in range(1, n_kpis + 1):
            trend = rnd.uniform(10, 50)
            for j in range(n_obs):
                year = 2015 + j % 10
                batch.append({"kpi_id": k, "value": 100 + trend * (year - 2015) + rnd.uniform(-5, 5), "unit": "団体",
                              "as_of": date(year, 3, 31), "status": "final", "text": "実績",
                              "document_id": 1 + k % 5, "line_start": j})
            if len(batch) >= 50_000:
                s.execute(insert(m.Observation), batch)
                batch = []
        if batch:
            s.execute(insert(m.Observation), batch)
        s.execute(insert(m.Measure), [{
            "id": i, "no": i, "code": f"{i:05d}", "name": f"施策{i}" + (" クラウド" if i % 3 == 0 else ""),
            "pillar": PILLARS[i % 5], "timing": TIMINGS[i % 4], "effect_efficiency": i % 2 == 0,
            "effect_economy": i % 3 == 0, "effect_convenience": i % 5 == 0, "effect_safety": i % 7 == 0,
            "urls": [], "document_id": 1, "line_start": i} for i in range(1, n_measures + 1)])
        s.execute(insert(m.MeasureMinistry), [{"measure_id": i, "organisation_id": 1 + (i + j) % 20, "lead": j == 0,
                                               "position": j} for i in range(1, n_measures + 1) for j in range(1 + i % 3)])


def median_ms(client, url: str, runs: int) -> float:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def cli(url: str, *args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `mieruka` command in a child process (also its CPU seconds, printed)."""
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "mieruka", *args, "--db", url, "--format", "json"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"mieruka {' '.join(args)} failed: {proc.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"  ({cpu:.1f} s CPU)", flush=True)
    return took, after.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--kpis", type=int, default=2000)
    ap.add_argument("--observations", type=int, default=500)
    ap.add_argument("--measures", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--skip-cli", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite:///{Path(tmp) / 'lists.db'}"
    t0 = time.perf_counter()
    build(url, args.kpis, args.observations, args.measures)
    print(f"database: {args.kpis} KPIs × {args.observations} observations, {args.measures} measures "
          f"({time.perf_counter() - t0:.1f} s to build) at {url}", flush=True)
    if not args.skip_cli:
        # evaluate first: it stores the ratings the pages read; each in its own process for its peak memory
        for cmd in (["evaluate", "--scheme", "reform-schedule", "--as-of", "2019-03-31"], ["audit", "--as-of", "2019-03-31"]):
            took, peak = cli(url, *cmd)
            print(f"mieruka {' '.join(cmd)}: {took:.2f} s, peak RSS {peak:.0f} MB (max over children so far)", flush=True)
        cli(url, "audit")  # as of today: what the overview shows, so its first request reads a stored audit too
    from fastapi.testclient import TestClient

    from mieruka.web import create_app

    t0 = time.perf_counter()
    client = TestClient(create_app(url), base_url="http://127.0.0.1")  # a host MIERUKA_ALLOWED_HOSTS lets in
    print(f"app start: {time.perf_counter() - t0:.2f} s", flush=True)
    for u in URLS:
        print(f"{u}: median {median_ms(client, u, args.runs):.1f} ms over {args.runs} runs", flush=True)
    print(f"server process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
