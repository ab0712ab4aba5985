"""N signed-in reporters saving reports at once through the web server for S seconds (default 50 for 30 s),
on PostgreSQL ($MIERUKA_TEST_DATABASE_URL, a schema of its own) or SQLite when that is not set.
Two reporters share each report, so conflicts happen; a conflict is answered by reloading and saving again.
Prints the median and p95 latency of a save, the errors, and checks that no save was lost: every accepted save
is one version row, and each report ends with the value of its last accepted save.
Then times the workbook round trip of one organisation with --workbook-rows KPIs (default 2,000): export, fill every
row, import (target < 5 s), and the same file again (nothing changes)."""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import models as m
from mieruka.storage.cycle_models import Report, ReportVersion
from mieruka.workflow import rounds

PASSWORD = "Bench-houkoku-2019"
SIGN_IN_GATE = threading.Semaphore(4)


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
    return f"{pg}{sep}options=-csearch_path%3D{schema}", drop


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


def serve(url: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "mieruka", "serve", "--db", url, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start: " + (proc.stdout.read() if proc.stdout else ""))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's cost per save, whatever the load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reporter(base: str, login: str, report_id: int, start: threading.Barrier, clock: dict, out: dict,
             lock: threading.Lock) -> None:
    client = httpx.Client(base_url=base, timeout=120)
    try:
        with SIGN_IN_GATE:  # Argon2 is made to be slow: sign-ins are not what is measured
            page = client.get("/signin").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            page = client.post("/signin", data={"login": login, "password": PASSWORD, "csrf_token": token},
                               follow_redirects=True).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        version = int(re.search(r'name="version" value="(\d+)"', client.get(f"/reports/{report_id}").text).group(1))
    except (httpx.HTTPError, AttributeError) as exc:
        with lock:
            out["errors"].append(f"sign-in {type(exc).__name__}")
        start.wait()
        return
    start.wait()  # every reporter is signed in; the timed part starts together
    until = clock["until"]
    n = 0
    while time.monotonic() < until:
        n += 1
        value = f"{login[3:]}{n:05d}"
        started = time.perf_counter()
        try:
            answer = client.post(f"/reports/{report_id}", data={"csrf_token": csrf, "version": str(version),
                                                                "value": value}, follow_redirects=False)
        except httpx.HTTPError as exc:
            with lock:
                out["errors"].append(type(exc).__name__)
            continue
        took = time.perf_counter() - started
        with lock:
            out["latency"].append(took)
            if answer.status_code == 303:
                version += 1
                out["accepted"].setdefault(report_id, []).append((time.monotonic(), float(value)))
            elif answer.status_code == 409:
                out["conflicts"] += 1
                version = int(re.search(r'name="version" value="(\d+)"', answer.text).group(1))
            else:
                out["errors"].append(answer.status_code)
                if os.environ.get("BENCH_DEBUG"):
                    print(answer.status_code, re.sub(r"<[^>]+>", " ", answer.text)[-600:])


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
            started = time.perf_counter()
            with storage.session_scope(url, write=True) as s:
                rep = service.principal(s, service.store.user_by_login(s, "rep"))
                done = workbook.import_workbook(s, rep, raw, "bench.xlsx", via="cli:xlsx")
            timings.append((time.perf_counter() - started, len(done.saved), done.unchanged))
        backend = storage.resolve_url(url).split(":")[0]
        print(f"{backend}: workbook of {made.rows:,} reports ({len(made.content) / 1024:,.0f} KB exported in "
              f"{exported:.2f} s, {len(raw) / 1024:,.0f} KB filled in): import {timings[0][0]:.2f} s "
              f"({timings[0][1]:,} saved; target < 5 s); the same file again {timings[1][0]:.2f} s "
              f"({timings[1][1]} saved, {timings[1][2]:,} unchanged)")
    finally:
        storage.dispose_engines()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--share", type=int, default=2, help="reporters per report (2: conflicts happen)")
    parser.add_argument("--workbook-rows", type=int, default=2000, help="0: skip the workbook import")
    parser.add_argument("--no-saves", action="store_true", help="only the workbook import")
    args = parser.parse_args()
    if not args.no_saves:
        saves(args)
    if args.workbook_rows:
        workbook_round_trip(args.workbook_rows)
    print(f"load average: {open('/proc/loadavg').read().split()[0]}" if os.path.exists("/proc/loadavg") else "")


def saves(args) -> None:
    url, drop = database()
    try:
        report_ids = prepare(url, args.reporters, args.share)
        storage.dispose_engines()
        proc = serve(url, args.port)
        out = {"latency": [], "accepted": {}, "conflicts": 0, "errors": []}
        lock = threading.Lock()
        clock: dict = {}
        start = threading.Barrier(args.reporters + 1, action=lambda: clock.update(
            until=time.monotonic() + args.seconds, cpu=cpu_seconds(proc.pid)))
        threads = [threading.Thread(target=reporter, args=(f"http://127.0.0.1:{args.port}", f"rep{i:02d}",
                                                           report_ids[i // args.share], start, clock, out, lock))
                   for i in range(args.reporters)]
        for t in threads:
            t.start()
        start.wait()
        for t in threads:
            t.join()
        server_cpu = cpu_seconds(proc.pid) - clock["cpu"]
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # uvicorn waits for the reporters' keep-alive connections
            proc.kill()
            proc.wait()
        lat = sorted(out["latency"]) or [float("nan")]
        p95 = lat[int(len(lat) * 0.95) - 1] if lat else float("nan")
        with storage.session_scope(url) as s:
            chains = {rid: [v.changes["value"] for v in s.scalars(select(ReportVersion).where(
                ReportVersion.report_id == rid, ReportVersion.action == "save").order_by(ReportVersion.version))]
                for rid in report_ids}
            finals = {r.id: r.value for r in s.scalars(select(Report))}
        accepted = {rid: len(v) for rid, v in out["accepted"].items()}

        def lost_in(rid: int) -> bool:
            """Each save starts from the value the one before it left, every accepted save is a row, the last wins."""
            chain = chains[rid]
            broken = any(chain[i][0] != chain[i - 1][1] for i in range(1, len(chain)))
            return broken or len(chain) != accepted.get(rid, 0) or (chain and finals[rid] != chain[-1][1])

        lost = [rid for rid in report_ids if lost_in(rid)]
        backend = storage.resolve_url(url).split(":")[0]
        print(f"{backend}: {args.reporters} reporters on {len(report_ids)} reports for {args.seconds:g} s: "
              f"{len(lat)} saves tried, {sum(accepted.values())} accepted, {out['conflicts']} conflicts (409), "
              f"{len(out['errors'])} errors {sorted({str(e) for e in out['errors']})}")
        print(f"save latency: median {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
              f"(target p95 < 200 ms); lost updates: {len(lost)}")
        print(f"server CPU: {server_cpu * 1000 / max(len(lat), 1):.1f} ms per save answered "
              f"({server_cpu:.1f} s for {len(lat)}; the server is one process)")
    finally:
        storage.dispose_engines()
        drop()


if __name__ == "__main__":
    main()
