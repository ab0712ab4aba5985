"""Many readers while a writer works: N clients (default 50) for S seconds (default 30) on the KPI list, a KPI page,
a KPI search and the full-text search, against a real `mieruka serve`, while a loop of `mieruka ingest` loads new
copies of the seed documents into the same database. On SQLite, and on PostgreSQL when $MIERUKA_TEST_DATABASE_URL is
set (a schema of its own, dropped afterwards). Prints, per backend and per kind of request, the count, p50, p95 and
the largest latency, the errors (any answer but 200, any failed connection, any failed ingest) and the load average;
exit status 1 when there was an error or p95 missed the target.

    PYTHONPATH=src python bench/bench_readers.py                      # 50 clients, 30 s, every backend there is
    PYTHONPATH=src python bench/bench_readers.py --seconds 5 --clients 10 --backend sqlite   # a quick check
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

from mieruka import storage
from mieruka.loading.documents import ingest_paths
from mieruka.web.evaluation import rate_missing_schemes

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
TARGET_P95_MS = 300.0
SEARCHES = ["窓口", "オンライン", "民間委託", "マイナンバー", "標準化", "業務改革"]
KINDS = ("KPI list", "KPI page", "KPI search", "search")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database(backend: str, tmp: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'readers.db'}", lambda: None
    pg = os.environ["MIERUKA_TEST_DATABASE_URL"]
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        trgm = conn.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                 "WHERE e.extname = 'pg_trgm'")).scalar()

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    path = f"{schema},{trgm}" if trgm else schema
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3D{path}", drop


def env() -> dict:
    src = str(Path(__file__).resolve().parents[1] / "src")
    return {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "mieruka", "serve", "--db", url, "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server stopped: " + proc.stdout.read())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/kpis?limit=1", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start in 120 s")


class IngestLoop(threading.Thread):
    """`mieruka ingest` of a fresh copy of the seeds (one line added, so each is a new document to load) into the
    database, again and again until stopped."""

    def __init__(self, url: str, tmp: Path):
        super().__init__(daemon=True)
        self.url, self.tmp = url, tmp
        self.stop = threading.Event()
        self.runs, self.loaded, self.errors = 0, 0, []

    def run(self) -> None:
        import json

        for n in itertools.count(1):
            if self.stop.is_set():
                return
            folder = self.tmp / f"copy{n}"
            folder.mkdir()
            for seed in sorted(SEEDS.iterdir()):
                body = seed.read_text(encoding="utf-8")
                (folder / seed.name).write_text(f"{body.rstrip()}\n（ベンチ用の写し {n}）\n", encoding="utf-8")
            done = subprocess.run([sys.executable, "-m", "mieruka", "ingest", str(folder), "--db", self.url,
                                   "--format", "json"], capture_output=True, text=True, env=env())
            self.runs += 1
            if done.returncode != 0:
                self.errors.append(f"ingest exit {done.returncode}: {done.stderr.strip()[-300:]}")
                continue
            statuses = [r["status"] for r in json.loads(done.stdout)]
            self.loaded += statuses.count("loaded")
            self.errors += [f"ingest: {s}" for s in statuses if s not in ("loaded", "unchanged")]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (the workers of `serve --workers N`)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of values, in the values' unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: a request and its whole answer (Content-Length or
    chunked), a tenth of the CPU httpx takes per request, so that the load generator sharing the machine takes less
    of it (bench_cycle.py posts its forms through it too)."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None):
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())  # e.g. a session cookie
        self.reader = self.writer = None

    async def get(self, path: str) -> tuple[int, bytes]:
        status, _, body = await self.request("GET", path)
        return status, body

    async def request(self, method: str, path: str, form: bytes | None = None) -> tuple[int, dict, bytes]:
        """(status, headers, body); form: an application/x-www-form-urlencoded body to send."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        target = quote(path, safe="/?=&%")
        sent = ("" if form is None else "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(form)}\r\n")
        self.writer.write(f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}{sent}\r\n"
                          .encode() + (form or b""))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection") == "close":
            self.close()
        return status, headers, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def clients(port: int, n: int, seconds: float, think: float, kpi_ids: list[int]) -> tuple[dict, list]:
    """n clients, each on its own connection asking the next URL of its round (list, page, KPI search, search) as
    soon as the last answer came, or `think` seconds later. {kind: [seconds]}, [errors]."""
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: list[str] = []
    until = time.monotonic() + seconds

    async def one(i: int) -> None:
        conn = Connection("127.0.0.1", port)
        for j in itertools.count(i):
            if time.monotonic() >= until:
                break
            kind = KINDS[j % len(KINDS)]
            term = SEARCHES[j % len(SEARCHES)]
            url = {"KPI list": "/kpis", "KPI page": f"/kpis/{kpi_ids[j % len(kpi_ids)]}",
                   "KPI search": f"/kpis?q={term}", "search": f"/api/search?q={term}"}[kind]
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.get(url), 60)
                took = time.perf_counter() - started
                if status != 200:
                    errors.append(f"{status} {url}")
                else:
                    times[kind].append(took)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
                errors.append(f"{type(exc).__name__} {url}")
                conn.close()
            if think:
                await asyncio.sleep(think)
        conn.close()

    await asyncio.gather(*(one(i) for i in range(n)))
    return times, errors


def bench(backend: str, args) -> bool:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url, drop = database(backend, tmp)
        proc = None
        try:
            reports = ingest_paths([SEEDS], url)
            with storage.session_scope(url) as session:
                rate_missing_schemes(session)
            storage.dispose_engines()
            port = args.port or free_port()
            proc = serve(url, port, args.workers)
            base = f"http://127.0.0.1:{port}"
            kpis = httpx.get(f"{base}/api/kpis?limit=200", timeout=30).json()
            kpi_ids = [k["id"] for k in kpis["items"]]
            for warm in ["/kpis", f"/kpis/{kpi_ids[0]}", f"/kpis?q={SEARCHES[0]}", f"/api/search?q={SEARCHES[0]}"]:
                httpx.get(base + warm, timeout=60)  # the first answer of each kind imports and compiles what it needs
            loop = IngestLoop(url, tmp)
            before = Path("/proc/loadavg").read_text().split()[:3]
            if args.ingest:
                loop.start()
            started, cpu_before, own_before = time.monotonic(), cpu_seconds(proc.pid), time.process_time()
            times, errors = asyncio.run(clients(port, args.clients, args.seconds, args.think, kpi_ids))
            elapsed, server_cpu = time.monotonic() - started, cpu_seconds(proc.pid) - cpu_before
            client_cpu = time.process_time() - own_before
            loop.stop.set()
            if args.ingest:
                loop.join()
            after = Path("/proc/loadavg").read_text().split()[:3]
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            storage.dispose_engines()
            drop()
    every = [t for kind in KINDS for t in times[kind]]
    errors += loop.errors
    print(f"{backend}: {args.clients} clients for {args.seconds:g} s (think {args.think:g} s, {args.workers} server "
          f"worker(s)) over {len(reports)} seed documents, {len(kpi_ids)} KPIs; "
          + (f"ingest loop: {loop.runs} run(s), {loop.loaded} new document(s) loaded" if args.ingest else "no ingest"))
    print(f"  load average before {' '.join(before)}, after {' '.join(after)} ({os.cpu_count()} cores)")
    print(f"  {'request':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind, values in [*times.items(), ("all", every)]:
        print(f"  {kind:<12}{len(values):>7}{percentile(values, 50) * 1000:>9.0f}{percentile(values, 95) * 1000:>9.0f}"
              f"{(max(values) if values else float('nan')) * 1000:>9.0f}")
    p95 = percentile(every, 95) * 1000
    print(f"  CPU in {elapsed:.0f} s: server {server_cpu:.1f} s ({server_cpu / max(1, len(every)) * 1000:.1f} ms per answer), "
          f"load generator {client_cpu:.1f} s")
    print(f"  {len(every) / elapsed:.0f} answers/s; errors: {len(errors)}"
          + (f" (first: {'; '.join(sorted(set(errors))[:5])})" if errors else "")
          + f"; p95 {p95:.0f} ms, target < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'MISSED'}",
          flush=True)
    return not errors and p95 < TARGET_P95_MS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", type=float, default=0.0, help="seconds a client waits between two requests")
    parser.add_argument("--workers", type=int, default=1, help="`mieruka serve --workers`")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default=None,
                        help="default: both when $MIERUKA_TEST_DATABASE_URL is set, else sqlite")
    parser.add_argument("--no-ingest", dest="ingest", action="store_false", help="readers only")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    args = parser.parse_args()
    if not SEEDS.is_dir():
        sys.exit(f"the seed documents are not at {SEEDS}")
    backends = {"both": ["sqlite", "postgresql"], None: ["sqlite", "postgresql"]
                if os.environ.get("MIERUKA_TEST_DATABASE_URL") else ["sqlite"]}.get(args.backend, [args.backend])
    if "postgresql" in backends and not os.environ.get("MIERUKA_TEST_DATABASE_URL"):
        sys.exit("PostgreSQL: set MIERUKA_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    ok = [bench(b, args) for b in backends]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
