"""kill -9 at a random moment of `mieruka db upgrade` and of `mieruka survey import`, 20 times each, leaves the
database as it was or as the command leaves it, never half-done; a partial schema an older version left is explained,
and `mieruka db repair` gets out of it without dropping a row."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mieruka
from mieruka import storage
from mieruka.cli import load_commands
from mieruka.bodies import registry
from mieruka.storage.models import Base

SRC = str(Path(mieruka.__file__).resolve().parents[1])
TRIES = 20
# Imports done once, then every command runs in a fork of this process: the kill lands inside the command's work,
# not inside Python's start-up, and 20 tries take seconds.
ZYGOTE = r"""
import json, os, sys
from mieruka.cli import load_commands
import alembic.command, alembic.runtime.migration, openpyxl, sqlalchemy.dialects.sqlite
from mieruka.municipalities import importing, survey
if os.environ.get("SLOW_STATEMENT_SECONDS"):
    # a slow disk: every statement takes this long, so the kills land between statements as often as not
    import time
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    pause = float(os.environ["SLOW_STATEMENT_SECONDS"])
    event.listen(Engine, "after_cursor_execute", lambda *args: time.sleep(pause))
app = load_commands()
while line := sys.stdin.readline():
    pid = os.fork()
    if pid == 0:
        code = 0
        sys.stdout = open(os.devnull, "w")  # the pipe answers the test: pids and statuses only
        try:
            app(json.loads(line), prog_name="mieruka")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os._exit(code)
    print(pid, flush=True)
    sys.stdin.readline()  # reaped only when the test says: until then a finished child stays a zombie, its pid ours
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


class Forks:
    def __init__(self, slow: float | None = None):
        env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
        if slow:
            env["SLOW_STATEMENT_SECONDS"] = str(slow)
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env)

    def run(self, args: list[str], kill_after: float | None = None) -> tuple[int, float]:
        """(wait status, seconds the command ran); the command is killed with SIGKILL after kill_after seconds."""
        self.proc.stdin.write(json.dumps(args) + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        started = time.perf_counter()
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(pid, signal.SIGKILL)  # a finished child is a zombie until reaped: the kill is then a no-op
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        status = int(self.proc.stdout.readline())
        return status, time.perf_counter() - started

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def forks():
    f = Forks()
    yield f
    f.close()


def cli(*args):
    return CliRunner().invoke(load_commands(), [str(a) for a in args])


def _state(path: Path) -> tuple:
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall() if "alembic_version" in tables \
            else []
    return tables, version


def test_kill_9_during_the_first_upgrade_leaves_no_table_or_the_whole_schema(tmp_path):
    forks = Forks(slow=0.015)  # the upgrade's 63 statements then take about a second
    try:
        _kill_upgrades(tmp_path, forks)
    finally:
        forks.close()


def _kill_upgrades(tmp_path, forks):
    schema = set(Base.metadata.tables) | {"alembic_version"}
    head = [(storage.db._head(),)]
    status, whole = forks.run(["db", "upgrade", "--db", str(tmp_path / "timed.db")])
    assert status == 0
    rng = random.Random(15)
    outcomes = []
    for i in range(TRIES):
        path = tmp_path / f"u{i}.db"
        forks.run(["db", "upgrade", "--db", str(path)], kill_after=rng.uniform(0, whole * 1.1))
        tables, version = _state(path) if path.exists() else (set(), [])
        assert tables in (set(), schema), f"try {i}: {sorted(tables)}"
        assert (tables == set()) == (version == []), f"try {i}: tables without a revision"
        assert version in ([], head), f"try {i}: {version}"
        outcomes.append("none" if not tables else "whole")
        again = cli("db", "upgrade", "--db", path)
        assert again.exit_code == 0, again.output
        assert _state(path)[0] == schema
        storage.dispose_engines()
    print(f"db upgrade killed {TRIES} times: {outcomes.count('none')} left no table, {outcomes.count('whole')} the whole "
          f"schema (an uninterrupted upgrade took {whole:.2f} s)")
    assert "none" in outcomes and "whole" in outcomes, outcomes  # the kills fell inside the upgrade's work


def _survey(tmp_path: Path) -> Path:
    bodies = registry.municipalities()
    lines = ["団体コード,導入,人口"] + [f"{b.code},{'○' if i % 3 else '×'},{1000 + i}" for i, b in enumerate(bodies)]
    path = tmp_path / "all.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _survey_state(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as conn:
        return tuple(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ("survey_imports", "survey_responses", "local_bodies"))


def test_kill_9_during_a_survey_import_leaves_all_of_it_or_none(tmp_path, forks):
    survey = _survey(tmp_path)
    bodies = len(registry.municipalities())
    template = tmp_path / "template.db"
    assert cli("db", "upgrade", "--db", template).exit_code == 0
    storage.dispose_engines()
    blank = template.read_bytes()
    args = lambda p: ["survey", "import", str(survey), "--initiative", "窓口委託", "--as-of", "2017-04-01",  # noqa: E731
                      "--db", str(p), "--format", "json"]
    timed = tmp_path / "timed.db"
    timed.write_bytes(blank)
    status, whole = forks.run(args(timed))
    assert status == 0
    assert _survey_state(timed) == (1, bodies, len(registry.all_bodies()))
    rng = random.Random(15)
    outcomes = []
    for i in range(TRIES):
        path = tmp_path / f"s{i}.db"
        path.write_bytes(blank)
        forks.run(args(path), kill_after=rng.uniform(0, whole * 1.1))
        state = _survey_state(path)
        assert state in ((0, 0, 0), (1, bodies, len(registry.all_bodies()))), f"try {i}: {state}"
        outcomes.append("none" if state[0] == 0 else "whole")
        again = cli(*args(path))
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["status"] == ("loaded" if state[0] == 0 else "unchanged")
        assert _survey_state(path) == (1, bodies, len(registry.all_bodies()))
        storage.dispose_engines()
    print(f"survey import killed {TRIES} times: {outcomes.count('none')} left nothing, {outcomes.count('whole')} all of "
          f"it (an uninterrupted import took {whole:.2f} s)")
    assert "none" in outcomes and "whole" in outcomes, outcomes


def _partial(path: Path, rows: bool = False) -> None:
    """The tables an interrupted upgrade of an older version could leave: some of them, and no revision."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[t] for t in ("documents", "plans", "themes")])
    if rows:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO plans (name) VALUES ('改革工程表')"))
    engine.dispose()


def test_a_partial_schema_is_explained_and_repaired(tmp_path):
    path = tmp_path / "p.db"
    _partial(path)
    listed = cli("kpis", "--db", path)
    assert listed.exit_code == 1
    assert listed.stderr == (
        f"error: sqlite:///{path} holds 3 table(s) (documents, plans, themes) but no schema revision: an earlier "
        "`mieruka db upgrade` was interrupted before it finished. Run `mieruka db repair` to drop those tables when "
        "they hold no rows and build the schema again; a table that holds rows is never dropped.\n")
    assert _state(path) == ({"documents", "plans", "themes"}, [])
    repaired = cli("db", "repair", "--db", path)
    assert repaired.exit_code == 0, repaired.output
    assert repaired.stdout == (f"dropped 3 empty table(s) left without a schema revision; database sqlite:///{path} "
                               f"at revision {storage.db._head()}\n")
    assert cli("kpis", "--db", path, "--format", "json").stdout == "[]\n"


def test_repair_never_drops_a_table_that_holds_rows(tmp_path):
    path = tmp_path / "p.db"
    _partial(path, rows=True)
    refused = cli("db", "repair", "--db", path)
    assert refused.exit_code == 1
    assert refused.stderr == (f"error: sqlite:///{path} has no schema revision, and plans holds 1 row(s): nothing was "
                              "dropped. Keep the file and load its documents into a new database.\n")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM plans").fetchall() == [("改革工程表",)]
