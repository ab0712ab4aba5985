"""Benchmark: `mieruka evaluate` and `mieruka audit` over the national database of bench/national.py (median wall and
CPU seconds of --runs runs each, peak memory), then the ingest of the five seeds into it, which re-rates and re-audits
only the KPIs the seeds write (evaluate.stored.audit_changes). Run with `PYTHONPATH=src python bench/bench_audit.py`."""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from national import SEEDS, load_average, run_command  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="a national SQLite file generated before (copied, never written); default: "
                                     "generate one in a temporary folder")
    parser.add_argument("--small", action="store_true", help="a tenth of the national size")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        db = work / "national.db"
        if args.db:
            shutil.copyfile(args.db, db)
        else:  # in a process of its own: a child forked from this one would start with its memory
            subprocess.run([sys.executable, str(Path(__file__).with_name("national.py")), "--db", str(db),
                            "--generate-only", *(["--small"] if args.small else [])], check=True)
        url = f"sqlite:///{db}"
        mieruka = [sys.executable, "-m", "mieruka"]
        print(f"load average at the start: {load_average()}")
        for label, argv in (("mieruka evaluate", ["evaluate", "--scheme", "reform-schedule"]), ("mieruka audit", ["audit"])):
            runs = [run_command([*mieruka, *argv, "--db", url, "--format", "csv"]) for _ in range(args.runs)]
            if any(code for _, _, code, _ in runs):
                print(f"{label} failed (exit {[code for _, _, code, _ in runs]})")
                return 1
            print(f"{label:18} {statistics.median(r[0] for r in runs):7.1f} s wall, "
                  f"{statistics.median(r[3] for r in runs):6.1f} s CPU (median of {args.runs}), "
                  f"peak memory {max(r[1] for r in runs):4.0f} MB; runs: "
                  + ", ".join(f"{r[0]:.1f}/{r[3]:.1f} s" for r in runs), flush=True)
        if SEEDS.is_dir():
            wall, rss, code, cpu = run_command([*mieruka, "ingest", str(SEEDS), "--db", url])
            print(f"{'ingest of the seeds':18} {wall:7.1f} s wall, {cpu:6.1f} s CPU, peak memory {rss:4.0f} MB"
                  + (f" (exit {code})" if code else "") + " (ratings and the stored audit brought up to date)")
        print(f"load average at the end: {load_average()}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
