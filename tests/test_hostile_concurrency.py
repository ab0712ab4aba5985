"""Concurrency: two `mieruka ingest` processes loading different documents that share KPIs, reform items,
organisations and local bodies, and a reader listing KPIs, all at once into one new database, on SQLite and on
PostgreSQL: every process succeeds (a writer may wait for the other), and the database holds what loading the same
files one after the other gives."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import mieruka
from mieruka import storage
from mieruka.loading.documents import ingest_paths

FIXTURES = Path(__file__).parent / "fixtures"
SRC = str(Path(mieruka.__file__).resolve().parents[1])


def _documents(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """Two sets of different documents (own bytes, own observations) naming the same KPIs, items and bodies."""
    bases = {"tabbed": FIXTURES / "reform_schedule" / "tabbed.txt", "columns": FIXTURES / "reform_schedule" / "columns.txt",
             "slides": FIXTURES / "presentation" / "platform_slides.txt"}
    out = tmp_path / "docs"
    out.mkdir()
    made = []
    for i in range(4):
        for name, base in bases.items():
            text = base.read_text(encoding="utf-8")
            text = text.replace("301団体", f"{301 + i}団体").replace("1.2億円", f"1.{2 + i}億円")
            path = out / f"{name}_{i}.txt"
            path.write_text(text, encoding="utf-8")
            made.append(path)
    return made[0::2], made[1::2]


def _run(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "mieruka", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def _kpis(url: str) -> list[tuple]:
    from mieruka.storage.queries import kpi_rows

    with storage.session_scope(url) as session:
        return sorted((k["name"], k["reform_item"], len(k["observations"])) for k in kpi_rows(session))


def test_two_ingests_and_a_reader_at_once_all_succeed(tmp_path, db_url):
    first, second = _documents(tmp_path)
    writers = [_run("ingest", *map(str, files), "--db", db_url, "--format", "json") for files in (first, second)]
    reads = []
    while any(w.poll() is None for w in writers) or not reads:
        reader = _run("kpis", "--db", db_url, "--format", "json")
        out, err = reader.communicate(timeout=120)
        reads.append((reader.returncode, err, out))
        time.sleep(0.05)
    results = [w.communicate(timeout=300) for w in writers]

    for w, (out, err) in zip(writers, results):
        assert w.returncode == 0, err
        assert [r["status"] for r in json.loads(out)] == ["loaded"] * 6, out
    assert [(code, err) for code, err, _ in reads if code != 0 or err] == []
    assert all(isinstance(json.loads(out), list) for _, _, out in reads)

    reference = f"sqlite:///{tmp_path / 'one_after_the_other.db'}"
    assert [r.status for r in ingest_paths(sorted(first + second), reference)] == ["loaded"] * 12
    assert _kpis(db_url) == _kpis(reference)
    with storage.session_scope(db_url) as session:
        from sqlalchemy import func, select

        from mieruka.storage import models as m

        assert session.scalar(select(func.count()).select_from(m.Document)) == 12
        assert session.scalar(select(func.count()).select_from(m.LocalBody)) == 1788
        assert session.scalar(select(func.count()).select_from(m.Organisation)) == \
            len({o for o in session.scalars(select(m.Organisation.name))})
