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


def _upgraded(db_url: str) -> None:
    storage.upgrade(db_url)
    storage.dispose_engines()


def test_concurrent_definitions_of_one_survey_kpi_all_succeed_and_make_one_kpi(db_url):
    _upgraded(db_url)
    args = ["survey", "define-kpi", "--initiative", "窓口業務の委託", "--name", "窓口委託団体数", "--db", db_url,
            "--format", "json"]
    runs = [_run(*args) for _ in range(4)]
    answers = [(p.wait(timeout=300), *p.communicate()) for p in runs]
    assert [(code, err) for code, _, err in answers if code != 0] == []
    rows = [json.loads(out)[0] for _, out, _ in answers]
    assert {(r["kpi_id"], r["kpi"], r["initiative"], r["measure"]) for r in rows} == \
        {(rows[0]["kpi_id"], "窓口委託団体数", "窓口業務の委託", "count")}
    with storage.session_scope(db_url) as session:
        from sqlalchemy import func, select

        from mieruka.storage import models as m

        assert session.scalars(select(m.Kpi.key)).all() == ["survey:窓口業務の委託:count"]
        assert session.scalar(select(func.count()).select_from(m.SurveyKpi)) == 1


def test_concurrent_imports_of_surveys_that_create_the_same_initiative_and_bodies_all_succeed(db_url, tmp_path):
    from mieruka.bodies import registry

    _upgraded(db_url)
    bodies = registry.municipalities()[:300]
    files = []
    for i in range(3):
        path = tmp_path / f"survey{i}.csv"
        path.write_text("団体コード,導入\n" + "".join(f"{b.code},{'○' if (j + i) % 2 else '×'}\n"
                                                   for j, b in enumerate(bodies)), encoding="utf-8")
        files.append(path)
    runs = [_run("survey", "import", str(f), "--initiative", "窓口業務の委託", "--as-of", f"2017-0{4 + i}-01",
                 "--db", db_url, "--format", "json") for i, f in enumerate(files)]
    answers = [(p.wait(timeout=300), *p.communicate()) for p in runs]
    assert [(code, err) for code, _, err in answers if code != 0] == []
    assert sorted(json.loads(out)["status"] for _, out, _ in answers) == ["loaded"] * 3
    with storage.session_scope(db_url) as session:
        from sqlalchemy import func, select

        from mieruka.storage import models as m

        assert session.scalar(select(func.count()).select_from(m.SurveyImport)) == 3
        assert session.scalar(select(func.count()).select_from(m.SurveyResponse)) == 900
        assert session.scalar(select(func.count()).select_from(m.LocalBody)) == len(registry.all_bodies())
