"""`mieruka publish` on a generated reform-schedule document of N KPIs (default 200; the target is 10,000): the first run into an
empty folder, a second run with nothing changed, and a third with one KPI changed. Prints the seconds and how
many files each run wrote. Targets: first run under 60 s, the run after one change under 5 s (README). PDFs are left
out (--no-pdf): printing is measured by the report tests.

    python bench/bench_publish.py [N] [--with-local] [--workers=W] [--keep=DIR] [--command]

--command runs the command itself, `python -m mieruka publish --no-pdf`, a process per run (its start, the
database's preparation, the municipalities' pages and its end included: what a user waits for), instead of
publish_site in this process.

--keep=DIR keeps the database and the site in DIR: a later call with the same DIR (and N) skips the generation
and the first run and measures the second and third runs again (the renamed KPI's name alternates, so each call
changes it). The first run of 10,000 KPIs takes many minutes; the runs after a change take seconds.

W processes render the KPIs' own pages (default: one a core, as `mieruka publish` does); CPU is this process's
and its workers' process time.

The 1,741 municipality pages (×2 languages) cost the same whatever N is and are left out unless --with-local;
the default N keeps `make bench` within minutes while the publish is as slow as README says.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import update

from mieruka import storage
from mieruka.evaluate.stored import audit_and_store
from mieruka.export.workbook import database_tables
from mieruka.loading.documents import ingest_paths
from mieruka.publish.site import publish_site
from mieruka.storage import models as m
from mieruka.storage.publishing import VersionReader
from mieruka.storage.queries import document_rows
from mieruka.web.app import create_app
from mieruka.web.evaluation import rate_missing_schemes, site_date
from mieruka.web.static_pages import KpiPages

PER_ITEM = 50
RATED_AS_OF = date(2019, 3, 31)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def generated_document(n: int) -> str:
    """A progress document in the reform schedule's tab-separated layout: N KPIs, PER_ITEM to a 改革項目. Deterministic:
    every figure follows from the KPI's number (no random source), so the same N gives the same bytes."""
    lines = []
    for start in range(0, n, PER_ITEM):
        item = start // PER_ITEM
        lines += ["", "重要課題:地方の行財政改革", f"改革項目: {CIRCLED[item % 20]}ベンチ用の改革項目{item + 1}", "",
                  "KPIの状況", "", "KPI\t\t目標値 (達成時期)\tKPIの進捗\t\t", "\t\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針"]
        for i in range(start, min(n, start + PER_ITEM)):
            tier = "第一階層" if i % 5 else "第二階層"
            lines.append(f"{tier}\tベンチ用の指標{i + 1}を実施する団体数\t2020年度までに{400 + i % 97}団体\t"
                         f"{200 + i % 89}団体 (2017年4月速報値)\t{'AB'[i % 2]}\t2018年3月頃に公表。")
    return "\n".join(lines) + "\n"


def cpu_seconds() -> float:
    """Process time of this process and of its children (a worker pool's) that have ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest ended child, in MB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(app, url: str, out: Path, exclude: tuple[str, ...], workers: int) -> tuple[float, object]:
    """One `mieruka publish` as the command does it: the data package's tables, then the site."""
    t0 = time.perf_counter()

    def tables(kpi_ids=None, audit=True):
        with storage.session_scope(url) as s:
            return database_tables(s, site_date(s), "ja", stored_audit=True, kpi_ids=kpi_ids, audit=audit)

    def documents():
        with storage.session_scope(url) as s:
            return document_rows(s)

    versions = VersionReader(url)
    pages = KpiPages(app, workers=workers)
    try:
        result = publish_site(app, out, tables=tables, documents=documents, pdf=False, exclude=exclude,
                              versions=versions, direct=pages, ahead=True)
    finally:
        pages.close()
        versions.close()
    return time.perf_counter() - t0, result


def run_command(url: str, out: Path) -> tuple[float, str]:
    """`mieruka publish` as a user runs it, in a process of its own: wall seconds and what it said."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mieruka", "publish", "--no-pdf", "--db", url, str(out)],
                          capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"mieruka publish failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stderr.strip().splitlines()[-1]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 200
    exclude = () if "--with-local" in sys.argv or "--command" in sys.argv else ("/local",)  # (the command makes them all)
    workers = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--workers=")), os.cpu_count() or 1)
    keep = next((Path(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--keep=")), None)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{tmp / 'bench.db'}"
        out = tmp / "public"
        again = keep is not None and (out / ".mieruka-publish.json").exists()
        made = keep is not None and (tmp / "bench.db").exists()  # a database kept without its site (run stopped)
        if not again and not made:
            doc = tmp / "bench-progress.txt"
            doc.write_text(generated_document(n), encoding="utf-8")
            t0 = time.perf_counter()
            ingest_paths([doc], url)
            # as a served database is: ratings and the audit stored (what `mieruka evaluate` keeps), the site's
            # pages and its data package read them
            with storage.session_scope(url) as s:
                _, when = rate_missing_schemes(s, RATED_AS_OF)
                audit_and_store(s, when)
        with storage.session_scope(url) as s:
            kpis = s.query(m.Kpi).count()
            renamed = s.get(m.Kpi, 2).name.endswith("（改）")
        if again:
            print(f"{kpis:,} KPIs and their site kept in {tmp}: the first run left out", flush=True)
        elif made:
            print(f"{kpis:,} KPIs kept in {tmp}", flush=True)
        else:
            print(f"generated, ingested, rated and audited {kpis:,} KPIs in {time.perf_counter() - t0:.1f} s"
                  + (" (municipality pages left out)" if exclude else ""), flush=True)
        app = create_app(url)
        name = "ベンチ用の指標1を実施する団体数" + ("" if renamed else "（改）")
        for label, change in (("first run", None), ("second run, nothing changed", None),
                              ("third run, one KPI renamed", name)):
            if again and label == "first run":
                continue
            if change:
                with storage.session_scope(url) as s:
                    s.execute(update(m.Kpi).where(m.Kpi.id == 2).values(name=change))
            cpu, before = cpu_seconds(), load()
            if "--command" in sys.argv:
                seconds, said = run_command(url, out)
                print(f"{label}: {seconds:.1f} s wall, {cpu_seconds() - cpu:.1f} s CPU (the command and its workers) "
                      f"— {said}; load average {before} → {load()}", flush=True)
                continue
            seconds, r = run(app, url, out, exclude, workers)
            print(f"{label}: {seconds:.1f} s wall, {cpu_seconds() - cpu:.1f} s CPU (with children) — {r.pages:,} pages, "
                  f"{r.files:,} files, {r.rendered:,} made again, {r.written:,} written, {r.unchanged:,} unchanged, "
                  f"{r.removed} removed; load average {before} → {load()}", flush=True)
        self_mb, child_mb = peak_rss_mb()
        print(f"peak RSS: {self_mb:.0f} MB (this process), {child_mb:.0f} MB (largest child)", flush=True)
        storage.dispose_engines()


if __name__ == "__main__":
    main()
