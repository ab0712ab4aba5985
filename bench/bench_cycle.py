"""N signed-in reporters saving reports at once through the web server for S seconds (default 50 for 30 s),
on PostgreSQL ($MIERUKA_TEST_DATABASE_URL, a schema of its own) or SQLite when that is not set.
Two reporters share each report, so conflicts happen; a conflict is answered by reloading and saving again.
The reporters run in load generator processes of their own (asyncio on raw keep-alive connections), saving back to
back (--think 0, a closed loop) or pausing a seeded random think time before each save (--think 1-2).
Prints the median, p95 and p99 latency of a save, the throughput, the errors, the CPU per save of the server, of
PostgreSQL's processes serving it and of the load generators, and checks that no save was lost: every accepted save
is one version row holding the value its reporter was told was saved, each row starts from the value the one before
it left, the report's version moved once per accepted save and the report ends with the last one.
Then times the workbook round trip of one organisation with --workbook-rows KPIs (default 2,000): export, fill every
row, import (target < 5 s), and the same file again (nothing changes)."""
from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, func, select, text

from mieruka import storage
from mieruka.accounts import service
from mieruka.web.auth import SESSION_COOKIE
from mieruka.storage import models as m
from mieruka.storage.cycle_models import Report, ReportVersion
from mieruka.workflow import rounds

PASSWORD = "Bench-houkoku-2019"


def database() -> tuple[str, callable]:
    pg = os.environ.get("MIERUKA_TEST_DATABASE_URL")
    if not pg:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return f"sqlite:///{path}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3D{schema}&application_name={schema}", drop


def prepare(url: str, reporters: int, share: int = 2) -> list[int]:
    storage.upgrade(url)
    kpis = max(1, reporters // share)
    with storage.session_scope(url) as s:
        org = m.Organisation(name="総務省")
        s.add(org)
        s.flush()
        for i in range(kpis):
            s.add(m.Kpi(key=f"bench-{i}", name=f"ベンチKPI {i}", unit="団体", organisation_id=org.id))
        s.flush()
        service.create_user(s, "sec", "事務局", PASSWORD, "secretariat")
        for i in range(reporters):
            service.create_user(s, f"rep{i:02d}", f"報告者{i}", PASSWORD, "reporter", organisations=["総務省"])
        sec = service.principal(s, service.store.user_by_login(s, "sec"))
        rnd = rounds.open_round(s, sec, "ベンチ", date(2019, 3, 31), date(2019, 5, 31))
        return [r.id for r in rounds.store.reports(s, round_id=rnd.id)]


def serve(url: str, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "mieruka", "serve", "--db", url, "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server stopped: " + proc.stdout.read())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/signin", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start: " + (proc.stdout.read() if proc.stdout else ""))


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU time of a process so far (Linux /proc), with its children's (the workers of
    `serve --workers N`) unless children=False: the cost per save, whatever else the machine runs."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat") if children else [Path(f"/proc/{pid}/stat")]:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench's server (its connections carry the bench's application
    name), so that the database's CPU per save is counted too."""
    if not url.startswith("postgresql"):
        return []
    name = re.search(r"application_name=([^&]+)", url).group(1)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE application_name = :n "
                                          "AND pid <> pg_backend_pid()"), {"n": name}))
    finally:
        engine.dispose()


def machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy (every process: this bench and everyone else's)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def sign_in(base: str, login: str, report_id: int) -> dict:
    """A reporter's session cookie, CSRF token and the report's version, through the sign-in form (not timed:
    Argon2 is made to be slow)."""
    with httpx.Client(base_url=base, timeout=120) as client:
        page = client.get("/signin").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        page = client.post("/signin", data={"login": login, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=True).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        version = int(re.search(r'name="version" value="(\d+)"', client.get(f"/reports/{report_id}").text).group(1))
        return {"login": login, "cookie": client.cookies[SESSION_COOKIE], "csrf": csrf, "report_id": report_id,
                "version": version}


async def run_reporters(job: dict) -> dict:
    """The load generator (a process of its own, asyncio on raw keep-alive connections): each reporter saves its
    report from job["start_at"] (wall clock) for job["seconds"], pausing a random think time in job["think"] (seconds,
    lo and hi; seeded per reporter) before each save. Returns the latencies, accepted values and this process's CPU."""
    import asyncio
    import random

    from bench_readers import Connection

    out = {"latency": [], "accepted_latency": [], "accepted": {}, "conflicts": 0, "errors": []}
    lo, hi = job["think"]
    start_at, seconds = job["start_at"], job["seconds"]

    async def reporter(r: dict) -> None:
        rng = random.Random(f"{job['seed']}-{r['login']}")
        conn = Connection("127.0.0.1", job["port"], {"Cookie": f"{SESSION_COOKIE}={r['cookie']}"})
        version, n = r["version"], 0
        path = f"/reports/{r['report_id']}"
        await asyncio.sleep(max(0.0, start_at - time.time()) + (rng.uniform(0, hi) if hi else 0))
        until = time.monotonic() + max(0.0, start_at + seconds - time.time())
        while time.monotonic() < until:
            n += 1
            value = f"{r['login'][3:]}{n:05d}"
            body = urlencode({"csrf_token": r["csrf"], "version": version, "value": value}).encode()
            started = time.perf_counter()
            try:
                status, _, answer = await asyncio.wait_for(conn.request("POST", path, body), 120)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
                out["errors"].append(type(exc).__name__)
                conn.close()
                continue
            took = time.perf_counter() - started
            out["latency"].append(took)
            if status == 303:
                version += 1
                out["accepted_latency"].append(took)
                out["accepted"].setdefault(str(r["report_id"]), []).append(float(value))
            elif status == 409:
                out["conflicts"] += 1
                version = int(re.search(rb'name="version" value="(\d+)"', answer).group(1))
            else:
                out["errors"].append(status)
            if hi:
                await asyncio.sleep(rng.uniform(lo, hi))
        conn.close()

    cpu = time.process_time()
    await asyncio.gather(*(reporter(r) for r in job["reporters"]))
    out["cpu"] = time.process_time() - cpu
    return out


def loadgen_main() -> None:
    """--loadgen: read a job (JSON) on stdin, run its reporters, write what happened (JSON) on stdout."""
    import asyncio
    import json

    import bench_readers  # noqa: F401  imported before saying ready: under load an import takes seconds

    job = json.loads(sys.stdin.readline())
    print("ready", flush=True)
    job["start_at"] = float(sys.stdin.readline())
    print(json.dumps(asyncio.run(run_reporters(job))))


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def workbook_round_trip(rows: int) -> None:
    """Export, fill and import a report workbook of `rows` KPIs on a database of its own; prints the figures."""
    import io

    import openpyxl

    from mieruka.workflow import workbook

    url, drop = database()
    try:
        storage.upgrade(url)
        with storage.session_scope(url) as s:
            org = m.Organisation(name="総務省")
            s.add(org)
            s.flush()
            s.add_all([m.Kpi(key=f"wb-{i}", name=f"ベンチKPI {i}", unit="団体", organisation_id=org.id)
                       for i in range(rows)])
            s.flush()
            service.create_user(s, "sec", "事務局", PASSWORD, "secretariat")
            service.create_user(s, "rep", "報告者", PASSWORD, "reporter", organisations=["総務省"])
            sec = service.principal(s, service.store.user_by_login(s, "sec"))
            rounds.open_round(s, sec, "ベンチ", date(2019, 3, 31), date(2019, 5, 31))
        started = time.perf_counter()
        with storage.session_scope(url) as s:
            rep = service.principal(s, service.store.user_by_login(s, "rep"))
            made = workbook.export(s, rep, rounds.get(s, "ベンチ"))
        exported = time.perf_counter() - started
        book = openpyxl.load_workbook(io.BytesIO(made.content))
        ws = book[workbook.SHEET]
        col = {k: workbook.letter(k) for k in ("value", "unit", "as_of", "status", "proposed_rating", "rating_reason",
                                              "next_measurement")}
        for n in range(workbook.FIRST_ROW, workbook.FIRST_ROW + rows):
            ws[f"{col['value']}{n}"] = 100 + n
            ws[f"{col['unit']}{n}"] = "団体"
            ws[f"{col['as_of']}{n}"] = date(2019, 4, 1)
            ws[f"{col['status']}{n}"] = "速報値"
            ws[f"{col['proposed_rating']}{n}"] = "B"
            ws[f"{col['rating_reason']}{n}"] = "前年度から増加した"
            ws[f"{col['next_measurement']}{n}"] = "2020年3月頃"
        buf = io.BytesIO()
        book.save(buf)
        raw = buf.getvalue()
        timings = []
        for _ in range(2):
            started, cpu = time.perf_counter(), time.process_time()
            with storage.session_scope(url, write=True) as s:
                rep = service.principal(s, service.store.user_by_login(s, "rep"))
                done = workbook.import_workbook(s, rep, raw, "bench.xlsx", via="cli:xlsx")
            timings.append((time.perf_counter() - started, len(done.saved), done.unchanged,
                            time.process_time() - cpu))
        backend = storage.resolve_url(url).split(":")[0]
        print(f"{backend}: workbook of {made.rows:,} reports ({len(made.content) / 1024:,.0f} KB exported in "
              f"{exported:.2f} s, {len(raw) / 1024:,.0f} KB filled in): import {timings[0][0]:.2f} s "
              f"({timings[0][3]:.2f} s CPU in this process; {timings[0][1]:,} saved; target < 5 s); the same file "
              f"again {timings[1][0]:.2f} s ({timings[1][3]:.2f} s CPU; {timings[1][1]} saved, {timings[1][2]:,} "
              f"unchanged); load average {Path('/proc/loadavg').read_text().split()[0]}")
    finally:
        storage.dispose_engines()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--think", default="0", help="seconds a reporter pauses before each save: 0 (closed loop), "
                                                      "or LO-HI, drawn uniformly (e.g. 1-2)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the think times")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1, help="server processes (mieruka serve --workers)")
    parser.add_argument("--loadgens", type=int, default=1, help="load generator processes")
    parser.add_argument("--share", type=int, default=2, help="reporters per report (2: conflicts happen)")
    parser.add_argument("--workbook-rows", type=int, default=2000, help="0: skip the workbook import")
    parser.add_argument("--no-saves", action="store_true", help="only the workbook import")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        return loadgen_main()
    lo, _, hi = args.think.partition("-")
    args.think = (float(lo), float(hi or lo))
    failed = False
    if not args.no_saves:
        failed = saves(args)
    if args.workbook_rows:
        workbook_round_trip(args.workbook_rows)
    sys.exit(1 if failed else 0)


def saves(args) -> bool:
    """The saves of args.reporters for args.seconds; prints the figures, returns True when a save failed or was lost."""
    import json

    url, drop = database()
    proc = None
    try:
        report_ids = prepare(url, args.reporters, args.share)
        storage.dispose_engines()
        proc = serve(url, args.port, args.workers)
        base = f"http://127.0.0.1:{args.port}"
        signed = [None] * args.reporters
        with ThreadPoolExecutor(4) as pool:  # Argon2 is made to be slow: sign-ins are not what is measured
            for i, got in enumerate(pool.map(lambda i: sign_in(base, f"rep{i:02d}", report_ids[i // args.share]),
                                             range(args.reporters))):
                signed[i] = got
        with storage.session_scope(url) as s:
            first = {r.id: r.version for r in s.scalars(select(Report))}
        jobs = [{"port": args.port, "seconds": args.seconds, "think": args.think,
                 "seed": args.seed, "reporters": signed[k::args.loadgens]} for k in range(args.loadgens)]
        gens = [subprocess.Popen([sys.executable, __file__, "--loadgen"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for _ in jobs]
        for gen, job in zip(gens, jobs):
            gen.stdin.write(json.dumps(job) + "\n")
            gen.stdin.flush()
        for gen in gens:
            if gen.stdout.readline().strip() != "ready":
                raise SystemExit("a load generator did not start")
        start_at = time.time() + 0.5  # every load generator has started and is waiting for this moment
        for gen in gens:
            gen.stdin.write(f"{start_at}\n")
            gen.stdin.close()
        time.sleep(max(0.0, start_at - time.time()))
        pg = backend_pids(url)
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        server_before, pg_before, busy_before = cpu_seconds(proc.pid), {p: cpu_seconds(p, False) for p in pg}, \
            machine_busy()
        wall = time.monotonic()
        results = [json.loads(gen.stdout.read()) for gen in gens]
        for gen in gens:
            gen.wait()
        wall = time.monotonic() - wall
        server_cpu = cpu_seconds(proc.pid) - server_before
        pg_cpu = sum(cpu_seconds(p, False) - pg_before.get(p, 0.0) for p in set(pg) | set(backend_pids(url)))
        busy = machine_busy() - busy_before
        load_after = Path("/proc/loadavg").read_text().split()[:3]
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    try:
        lat = [t for r in results for t in r["latency"]]
        ok_lat = [t for r in results for t in r["accepted_latency"]]
        errors = [e for r in results for e in r["errors"]]
        accepted: dict[int, list[float]] = {}
        for r in results:
            for rid, vals in r["accepted"].items():
                accepted.setdefault(int(rid), []).extend(vals)
        with storage.session_scope(url) as s:
            chains = {rid: [v.changes["value"] for v in s.scalars(select(ReportVersion).where(
                ReportVersion.report_id == rid, ReportVersion.action == "save").order_by(ReportVersion.version))]
                for rid in report_ids}
            final = {r.id: (r.value, r.version) for r in s.scalars(select(Report))}

        def lost_in(rid: int) -> bool:
            """Every accepted save is one version row, each starting from the value the one before it left, with the
            values the reporters were told were saved; the report's version moved once per accepted save, and the
            report holds the last one."""
            chain, mine = chains[rid], accepted.get(rid, [])
            broken = any(chain[i][0] != chain[i - 1][1] for i in range(1, len(chain)))
            return (broken or sorted(new for _, new in chain) != sorted(mine)
                    or final[rid][1] - first[rid] != len(mine) or bool(chain and final[rid][0] != chain[-1][1]))

        lost = [rid for rid in report_ids if lost_in(rid)]
        saved = sum(len(v) for v in accepted.values())
        backend = storage.resolve_url(url).split(":")[0]
        think = "no pause (closed loop)" if not args.think[1] else \
            f"think time {args.think[0]:g}-{args.think[1]:g} s before each save (uniform, seed {args.seed})"
        gen_cpu = sum(r["cpu"] for r in results)
        n = max(len(lat), 1)
        print(f"{backend}: {args.reporters} reporters on {len(report_ids)} reports for {args.seconds:g} s, {think}; "
              f"{args.workers} server process(es), {args.loadgens} load generator process(es)")
        print(f"  load average {' '.join(load_before)} before, {' '.join(load_after)} after ({os.cpu_count()} cores)")
        print(f"  {len(lat)} saves answered ({len(lat) / wall:.0f}/s), {saved} accepted, {sum(r['conflicts'] for r in results)} "
              f"conflicts (409), {len(errors)} errors {sorted({str(e) for e in errors})}; lost updates: {len(lost)}")
        print(f"  latency, every answer: median {percentile(lat, 50) * 1000:.0f} ms, p95 {percentile(lat, 95) * 1000:.0f} ms, "
              f"p99 {percentile(lat, 99) * 1000:.0f} ms (target p95 < 200 ms); accepted saves (303): median "
              f"{percentile(ok_lat, 50) * 1000:.0f} ms, p95 {percentile(ok_lat, 95) * 1000:.0f} ms")
        print(f"  CPU per save answered: server {server_cpu * 1000 / n:.1f} ms, PostgreSQL {pg_cpu * 1000 / n:.1f} ms, "
              f"load generator {gen_cpu * 1000 / n:.1f} ms; the machine was busy {busy:.1f} CPU-s of "
              f"{wall * (os.cpu_count() or 1):.1f} in {wall:.1f} s (everyone's work)")
        return bool(errors or lost)
    finally:
        storage.dispose_engines()
        drop()


if __name__ == "__main__":
    main()
