"""Benchmark: CPU time to ingest the five seed documents (decode, detect, extract, store) into a fresh SQLite file.
Target: under one second of CPU in total. Prints per-document and total figures."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from mieruka import storage
from mieruka.ingest.extract import extract
from mieruka.loading.documents import ingest_paths
from mieruka.ingest.sources import expand_paths, read_document

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def main() -> int:
    seeds = Path(sys.argv[1]) if len(sys.argv) > 1 else SEEDS
    if not seeds.is_dir():
        print(f"seed folder {seeds} not found")
        return 1
    files = expand_paths([seeds])
    for f in files:  # warm imports so the figure measures work, not module loading
        extract(read_document(f))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        storage.ensure_schema(url)
        c0, t0 = time.process_time(), time.perf_counter()
        reports = ingest_paths(files, url)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        storage.dispose_engines()
    extract_cpu = []
    for f in files:
        doc = read_document(f)
        c = time.process_time()
        extract(doc)
        extract_cpu.append(time.process_time() - c)
    for r, e in zip(reports, extract_cpu):
        print(f"{Path(r.file).name:32} {r.status:9} {r.family or '-':22} cpu {r.cpu_seconds:.3f} s (extract {e:.3f} s)")
    print(f"total: {len(reports)} documents, {cpu:.3f} s CPU, {wall:.3f} s wall (target < 1 s CPU)")
    return 0 if all(r.status == "loaded" for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
