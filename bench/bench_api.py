"""Median response time of each JSON list endpoint (and the list pages) on the bundled sample, rated under every
scheme. Prints one line per URL; the target for /api/ lists is under 50 ms at the median on this machine
(exit status 1 when an /api/ list misses it)."""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.ingest.sample import SAMPLE_PATH
from mieruka.loading.sample import load_sample
from mieruka.web import create_app
from mieruka.web.evaluation import rate_missing_schemes

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
RUNS = 30
TARGET_MS = 50.0
# Searches of three characters or more go through the trigram index, shorter ones (窓口) through a substring scan.
API = ["/api/kpis", "/api/kpis?q=窓口&sort=name", "/api/evaluations", "/api/audit", "/api/measures",
       "/api/measures?q=オンライン", "/api/measures?q=窓口", "/api/cases", "/api/cases?q=窓口", "/api/documents",
       "/api/items", "/api/search?q=オンライン"]
PAGES = ["/", "/kpis", "/measures", "/measures?q=オンライン", "/measures?q=窓口", "/cases", "/documents", "/items"]


def load(url: str) -> str:
    """The bundled sample; the seed documents when the sample has not been built yet."""
    if SAMPLE_PATH.exists():
        load_sample(url)
        return f"bundled sample {SAMPLE_PATH.name}"
    if SEEDS.is_dir():
        from mieruka.loading.documents import ingest_paths

        ingest_paths([SEEDS], url)
        return f"seed documents in {SEEDS} (no bundled sample yet)"
    sys.exit(f"neither {SAMPLE_PATH} nor {SEEDS} exists: nothing to measure")


def padded(text: str, width: int) -> str:
    """text padded to width terminal columns (a kanji takes two), so the figures line up."""
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - cols)


def median_ms(client: TestClient, url: str) -> float:
    assert client.get(url).status_code == 200, url  # warm-up, and a check that the URL works
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        what = load(url)
        with storage.session_scope(url) as session:
            rate_missing_schemes(session)
        client = TestClient(create_app(url), base_url="http://127.0.0.1")  # a host MIERUKA_ALLOWED_HOSTS lets in
        counts = {k: client.get(f"/api/{k}?limit=1").json()["total"] for k in ("kpis", "measures", "cases", "evaluations")}
        print(f"data: {what}; " + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; median of {RUNS} requests")
        slow = []
        for path in API + PAGES:
            ms = median_ms(client, path)
            is_api = path.startswith("/api/")
            if is_api and ms >= TARGET_MS:
                slow.append(path)
            print(f"{padded(path, 32)}{ms:7.1f} ms{'  (page)' if not is_api else ''}")
        storage.dispose_engines()
    print(f"target: every /api/ list under {TARGET_MS:.0f} ms — " + ("met" if not slow else f"missed by {', '.join(slow)}"))
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
