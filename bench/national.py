"""National benchmark: generate a synthetic national database (seeded, deterministic) and measure mieruka on it.

Generates 2,000 KPIs with 1,000,000 observations (500 each), 10,000 measures, 500 advanced cases and five surveys of
all 1,741 municipalities, on a SQLite file or a PostgreSQL URL (--db), with bulk inserts through storage. Then serves
it with `mieruka serve` in a subprocess and measures each request of issue 16's table at 1 and 16 concurrent
clients (loopback only), `mieruka evaluate` and `mieruka audit` (time and peak memory), the ingest of the seed
documents into it, and the server's peak memory. With --compare-datasette it serves the same SQLite file with
Datasette too and prints the ratio per request (medians of alternated runs).

    python bench/national.py                       # national size, SQLite file under a temporary folder
    python bench/national.py --small               # a quick run (about a tenth of the size)
    python bench/national.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench
    python bench/national.py --db national.db --compare-datasette
    python bench/national.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench --compare-datasette

On PostgreSQL, --compare-datasette generates the same data (same seed) into a SQLite file for Datasette. The load
average is printed at the start and the end: figures taken under load are several times an idle machine's.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, text

from mieruka import storage
from mieruka.bodies import registry
from mieruka.storage import bulk, models as m
from mieruka.storage.local_bodies import sync_registry
from mieruka.storage.search import ensure_search_index

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED = 16
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Size:
    kpis: int
    observations_per_kpi: int
    measures: int
    cases: int
    surveys: int


NATIONAL = Size(kpis=2_000, observations_per_kpi=500, measures=10_000, cases=500, surveys=5)
SMALL = Size(kpis=200, observations_per_kpi=100, measures=1_000, cases=50, surveys=2)

MINISTRIES = ["内閣府", "総務省", "法務省", "外務省", "財務省", "文部科学省", "厚生労働省", "農林水産省", "経済産業省",
              "国土交通省", "環境省", "防衛省", "デジタル庁", "復興庁", "警察庁"]
PILLARS = ["行政サービスのデジタル化", "地域社会のデジタル化", "自治体の業務改革", "防災・減災", "子育て・教育",
           "医療・介護", "産業振興", "インフラの老朽化対策"]
TIMINGS = ["令和5年度", "令和6年度", "令和7年度", "令和8年度", "随時"]
TOPICS = ["窓口業務", "庶務業務", "公共施設", "上下水道", "保育所", "ごみ処理", "図書館", "電子調達", "マイナンバーカード",
          "クラウド", "オープンデータ", "テレワーク", "キャッシュレス決済", "公営企業", "地域公共交通", "空き家対策"]
ACTIONS = ["アウトソーシング", "集約化", "オンライン化", "民間委託", "広域化", "標準化", "共同利用", "見える化",
           "包括委託", "指定管理者制度の導入"]
INITIATIVES = ["窓口業務の民間委託", "庶務業務の集約化", "自治体クラウドの導入", "公共施設の包括管理委託", "電子申請の導入"]
TIER_RATINGS = ["A", "B", "C", "D", "E", "N"]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(TOPICS)}の{rng.choice(ACTIONS)}"


def generate(url: str, size: Size, seed: int = SEED) -> dict[str, int]:
    """Fill the (empty) database at url; returns the rows written per table. Same seed, same database."""
    rng = random.Random(seed)
    storage.ensure_schema(url)
    counts: dict[str, int] = {}
    with storage.session_scope(url) as s:
        if s.scalar(select(func.count()).select_from(m.Document)):
            raise SystemExit(f"{url} already holds documents: generate into an empty database")
        put = lambda model, rows: counts.__setitem__(model.__tablename__, bulk.insert_rows(s, model, rows))  # noqa: E731
        docs = [("reform-schedule", f"改革工程表 KPI 進捗 {i + 1}") for i in range(20)]
        docs += [("measure-catalogue", "市町村の施策に関する国の施策一覧"), ("presentation", "先進・優良事例集")]
        put(m.Document, [{"id": i + 1, "file_name": f"synthetic-{i + 1:02d}.txt", "family": fam, "title": title,
                          "doc_date": date(2024, 4, 1), "sha256": hashlib.sha256(f"national:{seed}:{i}".encode()).hexdigest(),
                          "encoding": "utf-8", "media_type": "text/plain", "size_bytes": 9, "raw": b"synthetic",
                          "text": None, "report": None, "meta": {"synthetic": True, "seed": seed}, "ingested_at": NOW}
                         for i, (fam, title) in enumerate(docs)])
        catalogue_doc, cases_doc = len(docs) - 1, len(docs)
        put(m.Organisation, [{"id": i + 1, "name": n, "parent_id": None} for i, n in enumerate(MINISTRIES)])
        n_items = max(10, size.kpis // 10)
        put(m.Theme, [{"id": i + 1, "key": f"synthetic:theme:{i + 1}", "name": f"重要課題 {i + 1}"} for i in range(20)])
        put(m.ReformItem, [{"id": i + 1, "key": f"synthetic:item:{i + 1}", "number": str(i + 1),
                            "name": f"{_name(rng)}の推進 ({i + 1})", "theme_id": i % 20 + 1} for i in range(n_items)])
        kpis, appearances, targets, baselines, ratings = [], [], [], [], []
        for k in range(1, size.kpis + 1):
            tier = 1 if k % 4 == 1 else 2
            parent = k - (k - 1) % 4 if tier == 2 else None
            unit = "団体" if k % 3 else "%"
            name = f"{_name(rng)}に取り組む{'団体数' if unit == '団体' else '団体の割合'} ({k})"
            doc = (k - 1) % 20 + 1
            kpis.append({"id": k, "key": f"synthetic:kpi:{k}", "name": name, "tier": tier, "unit": unit,
                         "direction": "up", "after_the_fact": False, "parent_id": parent,
                         "reform_item_id": (k - 1) // 10 % n_items + 1, "organisation_id": k % len(MINISTRIES) + 1})
            line = k * 3
            appearances.append({"kpi_id": k, "name_as_written": name, "markers": [], "tier_as_written": str(tier),
                                "next_measurement": "2025年4月頃公表予定", "next_measurement_date": date(2025, 4, 30),
                                "policy_text": None, "document_id": doc, "line_start": line, "line_end": line,
                                "source_text": name})
            goal = 1500.0 if unit == "団体" else 100.0
            targets.append({"kpi_id": k, "edition_id": None, "value": goal, "unit": unit, "deadline": date(2026, 3, 31),
                            "comparator": "ge", "relative_factor": None, "relative_kind": None, "relative_base_year": None,
                            "relative_base_value": None, "promised_by": None, "unset": False, "interim": False,
                            "text": f"2025年度までに{goal:g}{unit}", "document_id": doc, "line_start": line,
                            "line_end": line, "source_text": None})
            baselines.append({"kpi_id": k, "value": goal * 0.2, "unit": unit, "as_of": date(2015, 3, 31),
                              "text": f"2014年度 {goal * 0.2:g}{unit}", "document_id": doc, "line_start": line,
                              "line_end": line, "source_text": None})
            ratings.append({"kpi_id": k, "scheme": "reform-schedule", "code": rng.choice(TIER_RATINGS), "official": True,
                            "explanation": None, "explanation_en": None, "as_of": date(2024, 3, 31), "details": None,
                            "document_id": doc, "line_start": line, "line_end": line, "source_text": None,
                            "computed_at": None})
        put(m.Kpi, kpis)
        put(m.KpiAppearance, appearances)
        put(m.Target, targets)
        put(m.Baseline, baselines)
        put(m.Rating, ratings)
        put(m.Observation, _observations(rng, kpis, size.observations_per_kpi))
        _measures(rng, size.measures, catalogue_doc, put)
        _cases(rng, size.cases, cases_doc, put)
        bulk.follow_ids(s, [m.Document, m.Organisation, m.Theme, m.ReformItem, m.Kpi, m.Measure, m.AdvancedCase])
        counts["local_bodies"] = sync_registry(s)["total"]
        _surveys(rng, size.surveys, put)
        bulk.follow_ids(s, [m.SurveyImport])
        ensure_search_index(s)
    return counts


def _observations(rng: random.Random, kpis: list[dict], per_kpi: int):
    """per_kpi yearly values per KPI (the bodies it counts, year after year), a noisy rising line towards the target."""
    for k in kpis:
        goal = 1500.0 if k["unit"] == "団体" else 100.0
        slope = rng.uniform(0.02, 0.12) * goal
        for j in range(per_kpi):
            year = 2015 + j % 10
            value = round(goal * 0.2 + slope * (year - 2015) + rng.uniform(-0.03, 0.03) * goal, 1)
            yield {"kpi_id": k["id"], "value": value, "unit": k["unit"], "as_of": date(year, 3, 31),
                   "status": "final", "text": f"{value:g}{k['unit']} ({year - 1}年度)", "document_id": (k["id"] - 1) % 20 + 1,
                   "line_start": k["id"] * 3 + 1, "line_end": k["id"] * 3 + 1, "source_text": None}


def _measures(rng: random.Random, n: int, doc: int, put) -> None:
    measures, ministries = [], []
    for i in range(1, n + 1):
        topic, action = rng.choice(TOPICS), rng.choice(ACTIONS)
        name = f"{topic}の{action}に向けた支援 ({i})"
        effects = {e: rng.random() < 0.4 for e in ("efficiency", "economy", "convenience", "safety")}
        measures.append({
            "id": i, "no": i, "code": f"{i // 100 + 1:02d}-{i % 100:02d}", "name": name,
            "kpi_progress": f"{topic}の{action}に取り組む団体数", "kpi_effect": f"{topic}に係る経費の削減額",
            "overview": f"地方公共団体における{topic}の{action}を推進するため、{rng.choice(TOPICS)}との連携を図りつつ、"
                        f"先進事例の横展開と技術的助言を行う。",
            "pillar": rng.choice(PILLARS), "timing": rng.choice(TIMINGS),
            **{f"effect_{e}": v for e, v in effects.items()},
            "support": "技術的助言、財政措置", "budget_programme": f"{topic}推進事業", "urls": [],
            "document_id": doc, "line_start": i + 1, "line_end": i + 1, "source_text": None})
        for pos, org in enumerate(rng.sample(range(1, len(MINISTRIES) + 1), rng.randint(1, 3))):
            ministries.append({"measure_id": i, "organisation_id": org, "lead": pos == 0, "position": pos})
    put(m.Measure, measures)
    put(m.MeasureMinistry, ministries)


def _cases(rng: random.Random, n: int, doc: int, put) -> None:
    bodies = registry.municipalities()
    cases, effects = [], []
    for i in range(1, n + 1):
        body = rng.choice(bodies)
        topic, action = rng.choice(TOPICS), rng.choice(ACTIONS)
        cases.append({"id": i, "title": f"{topic}の{action}", "theme": rng.choice(PILLARS),
                      "summary": f"{body.full_name}では{topic}の{action}により業務時間を削減した。",
                      "municipalities": [body.full_name], "body_codes": [body.code], "document_id": doc,
                      "line_start": i * 5, "line_end": i * 5 + 4, "source_text": None})
        percent = -rng.randint(5, 60)
        effects.append({"case_id": i, "position": 0, "label": "経費", "amount_yen": float(rng.randint(1, 500) * 1_000_000),
                        "change_percent": float(percent), "period_years": 1.0,
                        "text": f"年間経費 ▲{-percent}%"})
    put(m.AdvancedCase, cases)
    put(m.CaseEffect, effects)


def _surveys(rng: random.Random, n: int, put) -> None:
    bodies = registry.municipalities()
    imports, responses = [], []
    for i in range(1, n + 1):
        as_of = date(2019 + i, 4, 1)
        imports.append({"id": i, "file_name": f"survey-{as_of.year}.csv", "initiative": INITIATIVES[(i - 1) % len(INITIATIVES)],
                        "sha256": hashlib.sha256(f"survey:{i}".encode()).hexdigest(), "as_of": as_of,
                        "raw": b"synthetic", "imported_at": NOW, "report": {"errors": []}})
        for line, body in enumerate(bodies, start=2):
            adopted = rng.random() < 0.3 + 0.1 * i
            before = float(rng.randint(10, 500) * 100_000)
            responses.append({"import_id": i, "body_code": body.code, "line": line, "adopted": adopted,
                              "year_started": 2015 + rng.randint(0, 8) if adopted else None, "cost_before": before,
                              "cost_after": round(before * rng.uniform(0.5, 1.0)) if adopted else None,
                              "population": rng.randint(800, 3_700_000)})
    put(m.SurveyImport, imports)
    put(m.SurveyResponse, responses)


# --- serving and measuring ----------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    label: str
    mieruka: str
    datasette: str  # {db} is the Datasette database name


def requests_for(size: Size, kpi_id: int) -> list[Request]:
    facets = "&".join(f"_facet={c}" for c in ("pillar", "timing", "effect_efficiency", "effect_economy",
                                                "effect_convenience", "effect_safety"))
    search_sql = ("select kind, ref, title from search_entries where search_entries match '\"クラウド\"' "
                  "order by bm25(search_entries) limit 100")
    return [
        Request("KPI list, 50 rows (JSON)", "/api/kpis?limit=50", "/{db}/kpis.json?_size=50"),
        Request("KPI list filtered by tier", "/api/kpis?tier=1&limit=50", "/{db}/kpis.json?tier=1&_size=50"),
        Request("KPI CSV download", "/kpis.csv", "/{db}/kpis.csv?_stream=on"),
        Request("measures filtered by pillar", f"/api/measures?pillar={PILLARS[0]}&limit=50",
                f"/{{db}}/measures.json?pillar={PILLARS[0]}&_size=50"),
        Request("measure facet counts", "/measures", f"/{{db}}/measures.json?{facets}&_size=50"),
        Request("search 「クラウド」", "/api/search?q=クラウド", "/{db}.json?sql=" + search_sql),
        Request("one KPI with its observations", f"/api/kpis/{kpi_id}",
                f"/{{db}}/observations.json?kpi_id={kpi_id}&_size=max"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A server process on a free loopback port; `peak_rss_mb` reads the kernel's high-water mark of its memory."""

    def __init__(self, name: str, argv: list[str], ready_path: str):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait(ready_path)

    def _wait(self, path: str, timeout: float = 600) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"{self.name} stopped: {self.log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(self.base + path, timeout=60).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit(f"{self.name} did not answer {path} within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used (the kernel counts it in clock ticks)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float | None:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# A cookie the server does not know: it keeps no answer for a request that carries one, so each such request is
# computed, as every page is after a write (web/cache.py), at no cost of a session lookup.
COMPUTED = {"Cookie": "bench=computed"}


def timed_get(client, url: str) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    r = client.get(url)
    return time.perf_counter() - t0, r.status_code, len(r.content)


def one_client(base: str, url: str, runs: int, budget_s: float, headers: dict | None = None
               ) -> tuple[list[float], int, int]:
    """Up to `runs` sequential requests (fewer once `budget_s` is spent); times, last status and size."""
    import httpx

    times, status, size = [], 0, 0
    with httpx.Client(base_url=base, timeout=600, headers=headers) as client:
        start = time.perf_counter()
        for _ in range(runs):
            t, status, size = timed_get(client, url)
            times.append(t)
            if time.perf_counter() - start > budget_s:
                break
    return times, status, size


def concurrent_clients(base: str, url: str, clients: int, per_client: int, headers: dict | None = None
                       ) -> tuple[list[float], int, float]:
    """`clients` threads each making `per_client` requests; every latency, how many were not 200, and requests/s."""
    import httpx

    times: list[float] = []
    failures = 0
    lock = threading.Lock()

    def work():
        nonlocal failures
        with httpx.Client(base_url=base, timeout=600, headers=headers) as client:
            for _ in range(per_client):
                try:
                    t, status, _ = timed_get(client, url)
                except httpx.HTTPError:
                    t, status = float("nan"), 0
                with lock:
                    times.append(t)
                    failures += status != 200

    threads = [threading.Thread(target=work) for _ in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    return [t for t in times if t == t], failures, clients * per_client / wall


def _tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and all its descendants (a command may work in several processes), in KB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total


def run_command(argv: list[str]) -> tuple[float, float, int, float]:
    """Wall seconds, peak resident memory (MB: of the command and its processes together, sampled every 0.2 s, or the
    largest one's high-water mark if that is more), exit status and CPU seconds (its processes' included) of a
    command, its output discarded."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0]

    def sample() -> None:
        while proc.returncode is None:
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.join()
    return (time.perf_counter() - t0, max(usage.ru_maxrss, peak[0]) / 1024, proc.returncode,
            usage.ru_utime + usage.ru_stime)


def touch(url: str) -> None:
    """A commit that changes nothing a page shows (a row of the benchmark's own in search_meta): every answer the
    server kept is void, as after any write, and SQLite's readers find their page caches stale."""
    with storage.session_scope(url, write=True) as s:
        s.execute(text("INSERT INTO search_meta (key, value) VALUES ('bench_write', :v) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"v": repr(time.time())})


def padded(text: str, width: int) -> str:
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - cols)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms" if seconds < 10 else f"{seconds:9.1f} s "


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def measure(args, url: str, size: Size, sqlite_file: Path | None) -> None:
    mieruka = [sys.executable, "-m", "mieruka"]
    print(f"load average at the start: {load_average()} ({os.cpu_count()} cores)", flush=True)
    server = Server("mieruka serve", [*mieruka, "serve", "--db", url, "--port", "{port}"], "/api/openapi.json")
    datasette = None
    if args.compare_datasette:
        if sqlite_file is None:  # PostgreSQL: Datasette serves the same data generated into a SQLite file
            if not args.datasette_db:
                args.twin_folder = tempfile.mkdtemp(prefix="mieruka-national-")
            sqlite_file = Path(args.datasette_db or Path(args.twin_folder) / "national.db")
            if not sqlite_file.exists():
                t0 = time.perf_counter()
                generate(f"sqlite:///{sqlite_file}", size, args.seed)
                storage.dispose_engines()
                print(f"generated the same data into {sqlite_file} for Datasette in {time.perf_counter() - t0:.1f} s",
                      flush=True)
        exe = shutil.which("datasette") or str(Path(sys.executable).with_name("datasette"))
        datasette = Server("datasette", [exe, "serve", str(sqlite_file), "--port", "{port}", "--host", "127.0.0.1",
                                         "--setting", "sql_time_limit_ms", "120000",
                                         "--setting", "facet_time_limit_ms", "120000",
                                         "--setting", "max_returned_rows", "1000"], "/-/versions.json")
    db_name = sqlite_file.stem if sqlite_file else ""
    requests = [r for r in requests_for(size, kpi_id=size.kpis // 2)
                if not args.only or any(word in r.label for word in args.only)]
    touched = [url] + ([f"sqlite:///{sqlite_file}"] if datasette and not url.startswith("sqlite") else [])
    if not args.commands_only:  # the requests and the server's memory
        try:
            print(f"\nrequests at 1 client: up to {args.runs} rounds, each a write (a commit that changes nothing shown), "
                  "the request right after it (the server computes it: 'after write'), the same again (the answer it "
                  f"kept: 'cached'){', and Datasette' if datasette else ''}; medians. At {args.clients} clients x "
                  f"{args.per_client} requests: every request computed (a cookie keeps the server from keeping answers), "
                  f"then the kept answers; p50 and requests/s (a URL whose computed request takes {args.concurrent_limit:g} s "
                  "or more is not run concurrently); CPU: the server's own CPU time per computed request (after a write; "
                  "Datasette's per request), from /proc, in clock ticks of 10 ms averaged over the rounds")
            head = (f"{padded('request', 34)}{'after write':>12}{'cached':>12}{'size':>10}"
                    f"{'computed@' + str(args.clients):>14}{'/s':>7}{'cached@' + str(args.clients):>14}{'/s':>7}")
            if datasette:
                head += f"{'Datasette':>12}{'ratio':>8}{'cached':>8}"
            print(head)
            for req in requests:
                cold, hot, theirs = [], [], []
                status = size_b = 0
                start = time.perf_counter()
                cpu = {"mine": 0.0, "theirs": 0.0}
                for _ in range(args.runs):  # alternate the servers, one request each
                    for target in touched:
                        touch(target)
                    before = server.cpu_seconds()
                    times, status, size_b = one_client(server.base, req.mieruka, 1, 0)
                    cpu["mine"] += server.cpu_seconds() - before
                    cold += times
                    hot += one_client(server.base, req.mieruka, 1, 0)[0]
                    if datasette:
                        before = datasette.cpu_seconds()
                        theirs += one_client(datasette.base, req.datasette.format(db=db_name), 1, 0)[0]
                        cpu["theirs"] += datasette.cpu_seconds() - before
                    if time.perf_counter() - start > args.budget:
                        break
                computed, kept = statistics.median(cold), statistics.median(hot)
                line = f"{padded(req.label, 34)}{ms(computed)}{ms(kept)}{size_b / 1024:8.0f}KB"
                if status != 200:
                    line += f" (status {status})"
                for median, headers in ((computed, COMPUTED), (kept, None)):
                    if median < args.concurrent_limit:
                        lat, failures, rate = concurrent_clients(server.base, req.mieruka, args.clients, args.per_client,
                                                                 headers)
                        line += f"{ms(statistics.median(lat)) if lat else '-':>14}{rate:7.1f}"
                        if failures:
                            line += f" ({failures} failed)"
                    else:
                        line += f"{'skipped':>14}{'':7}"
                if datasette:
                    other = statistics.median(theirs)
                    line += f"{ms(other)}{computed / other:7.2f}x{kept / other:7.2f}x"
                # the servers' own CPU per computed request: what the load of other processes does not inflate
                line += f"  CPU {cpu['mine'] / len(cold) * 1000:.0f} ms" + (
                    f" vs {cpu['theirs'] / len(theirs) * 1000:.0f} ms" if datasette else "")
                print(line, flush=True)
            print(f"\nmieruka serve peak memory: {server.peak_rss_mb() or float('nan'):.0f} MB"
                  + (f"; Datasette: {datasette.peak_rss_mb() or float('nan'):.0f} MB" if datasette else ""))
        finally:
            server.stop()
            if datasette:
                datasette.stop()
    # output as CSV: a terminal table of 2,000 ratings or 20,000 findings measures the table's layout, not the work
    for label, argv in (("mieruka evaluate", [*mieruka, "evaluate", "--scheme", "reform-schedule", "--db", url,
                                              "--format", "csv"]),
                        ("mieruka audit", [*mieruka, "audit", "--db", url, "--format", "csv"])):
        if args.skip_commands:
            break
        wall, rss, code, cpu = run_command(argv)
        print(f"{padded(label, 34)}{wall:8.1f} s ({cpu:.1f} s CPU), peak memory {rss:6.0f} MB"
              + (f" (exit {code})" if code else ""), flush=True)
    if SEEDS.is_dir() and not args.skip_commands:
        wall, rss, code, cpu = run_command([*mieruka, "ingest", "--db", url, str(SEEDS)])
        print(f"{padded('mieruka ingest of the 5 seeds', 34)}{wall:8.1f} s ({cpu:.1f} s CPU), peak memory {rss:6.0f} MB"
              + (f" (exit {code})" if code else ""), flush=True)
    if SEEDS.is_dir() and not args.skip_commands and not args.skip_ingest_scale:
        small, large = (2, 20) if args.small else (10, 100)
        scale = subprocess.run([sys.executable, str(Path(__file__).with_name("bench_ingest_scale.py")), str(SEEDS),
                                "--small", str(small), "--large", str(large)], capture_output=True, text=True)
        lines = scale.stdout.strip().splitlines()
        print(f"ingest of {small} and {large} copies of the seeds (bench_ingest_scale.py, SQLite):", flush=True)
        for line in lines[:2] + lines[-1:]:
            print("  " + line, flush=True)
    print(f"load average at the end: {load_average()}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLite file or PostgreSQL URL (default: a file in a temporary folder); "
                                     "an empty database is generated, one already generated is reused with --reuse")
    parser.add_argument("--small", action="store_true", help="a tenth of the national size, for a quick run")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--reuse", action="store_true", help="measure a database generated before")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--compare-datasette", action="store_true")
    parser.add_argument("--runs", type=int, default=7, help="requests per URL at one client (default 7)")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds at most per URL at one client")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--per-client", type=int, default=4)
    parser.add_argument("--concurrent-limit", type=float, default=2.0,
                        help="skip the concurrent run of a URL whose single request takes this many seconds or more")
    parser.add_argument("--skip-commands", action="store_true", help="no evaluate, audit and ingest")
    parser.add_argument("--commands-only", action="store_true", help="no server: evaluate, audit and ingest only")
    parser.add_argument("--skip-ingest-scale", action="store_true",
                        help="no ingest of 10 and 100 copies of the seeds (bench_ingest_scale.py, several minutes)")
    parser.add_argument("--datasette-db", help="with --db on PostgreSQL and --compare-datasette: the SQLite file "
                                               "Datasette serves (generated with the same seed when missing)")
    parser.add_argument("--only", nargs="*", metavar="WORD",
                        help="measure only the requests whose label holds one of these words (e.g. search KPI)")
    args = parser.parse_args()
    size = SMALL if args.small else NATIONAL
    tmp = None
    if args.db is None:
        tmp = tempfile.mkdtemp(prefix="mieruka-national-")
        args.db = str(Path(tmp) / "national.db")
    url = storage.resolve_url(args.db)
    sqlite_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    try:
        if not args.reuse:
            t0 = time.perf_counter()
            counts = generate(url, size, args.seed)
            storage.dispose_engines()
            print(f"generated {url} in {time.perf_counter() - t0:.1f} s (seed {args.seed}): "
                  + ", ".join(f"{v:,} {k}" for k, v in counts.items() if k in (
                      "kpis", "observations", "measures", "advanced_cases", "survey_imports", "survey_responses")))
        if not args.generate_only:
            measure(args, url, size, sqlite_file)
    finally:
        for folder in (tmp, getattr(args, "twin_folder", None)):
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
