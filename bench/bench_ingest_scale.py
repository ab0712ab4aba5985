"""Benchmark: does ingest stay linear? Ingests 10 and then 100 copies of the seed documents, each into a fresh
SQLite file (copies made distinct by trailing newlines, so their sha256 differ and none is skipped as unchanged).
Target: 100 copies within 12x the time of 10 copies. Prints the time per copy at both sizes, the ratio, and the
time per copy of the first and last tenth of the large run (what grows with the database shows there). The pass
mark is on CPU time: on a shared machine the wall time also holds the disk's syncs of other processes' writes.

    python bench/bench_ingest_scale.py [SEED_FOLDER] [--small N] [--large N]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from mieruka import storage
from mieruka.loading.documents import ingest_paths
from mieruka.ingest.sources import expand_paths

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
TARGET = 12.0


def make_copies(seeds: list[Path], copies: int, folder: Path) -> list[Path]:
    """`copies` copies of every seed, copy i ending in i extra newlines: distinct bytes, the same text to a reader."""
    out = []
    for i in range(copies):
        for seed in seeds:
            target = folder / f"{i:04d}_{seed.name}"
            target.write_bytes(seed.read_bytes() + b"\n" * (i + 1))
            out.append(target)
    return out


def timed_ingest(seeds: list[Path], copies: int) -> tuple[float, float, int, list]:
    """Wall and CPU seconds to ingest `copies` copies of the seeds into a new database; how many loaded; the
    reports (each with its own wall and CPU seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        files = make_copies(seeds, copies, folder)
        url = f"sqlite:///{tmp}/bench.db"
        storage.ensure_schema(url)
        c0, t0 = time.process_time(), time.perf_counter()
        reports = ingest_paths(files, url)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        storage.dispose_engines()
    loaded = sum(1 for r in reports if r.status == "loaded")
    bad = [r for r in reports if r.status == "error"]
    if bad:
        print(f"{len(bad)} copies failed, e.g. {bad[0].file}: {bad[0].error}")
    return wall, cpu, loaded, reports


def per_copy(reports: list, seeds: int, first: int, last: int) -> tuple[float, float]:
    """Mean wall and CPU seconds per copy over copies first..last (1-based, inclusive), from the reports."""
    chosen = reports[(first - 1) * seeds: last * seeds]
    copies = last - first + 1
    return sum(r.seconds for r in chosen) / copies, sum(r.cpu_seconds for r in chosen) / copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="?", default=str(SEEDS))
    parser.add_argument("--small", type=int, default=10, help="copies in the first run (default 10)")
    parser.add_argument("--large", type=int, default=100, help="copies in the second run (default 100)")
    args = parser.parse_args()
    folder = Path(args.seeds)
    if not folder.is_dir():
        print(f"seed folder {folder} not found")
        return 1
    seeds = expand_paths([folder])
    timed_ingest(seeds, 1)  # warm imports and the registry caches: the figures measure ingest, not start-up
    small_wall, small_cpu, small_n, _ = timed_ingest(seeds, args.small)
    large_wall, large_cpu, large_n, reports = timed_ingest(seeds, args.large)
    scale = args.large / args.small
    print(f"{args.small:4d} copies ({small_n} documents): {small_wall:7.2f} s wall, {small_cpu:7.2f} s CPU, "
          f"{small_wall / args.small:.3f} s per copy")
    print(f"{args.large:4d} copies ({large_n} documents): {large_wall:7.2f} s wall, {large_cpu:7.2f} s CPU, "
          f"{large_wall / args.large:.3f} s per copy")
    span = max(1, args.large // 10)
    early, late = per_copy(reports, len(seeds), 1, span), per_copy(reports, len(seeds), args.large - span + 1, args.large)
    print(f"within the {args.large}-copy run: copies 1-{span} {early[0]:.3f} s wall, {early[1]:.3f} s CPU per copy; "
          f"copies {args.large - span + 1}-{args.large} {late[0]:.3f} s wall, {late[1]:.3f} s CPU per copy")
    ratio, cpu_ratio = large_wall / small_wall, large_cpu / small_cpu
    limit = TARGET * scale / 10
    print(f"ratio {args.large} / {args.small} copies: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
          f"(linear {scale:.0f}x; target <= {limit:.0f}x)")
    return 0 if cpu_ratio <= limit and small_n == args.small * len(seeds) and large_n == args.large * len(seeds) else 1


if __name__ == "__main__":
    sys.exit(main())
