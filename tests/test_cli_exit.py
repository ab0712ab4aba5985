"""A command that leaves a large heap (publish) ends the process without the interpreter's teardown
(cli.app.end_without_teardown): what it printed is all there, in order, and its exit code is the command's."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")
SCRIPT = """
import atexit, sys, typer
from mieruka.cli import main
from mieruka.cli.app import app, end_without_teardown

@app.command("say-and-end")
def say(code: int = 0, fast: bool = True, db: str = ""):
    if db:  # a write left in the SQLite file's write-ahead log until the database is closed
        from sqlalchemy import text
        from mieruka import storage
        storage.ensure_schema(db)
        with storage.session_scope(db, write=True) as s:
            s.execute(text("INSERT INTO themes (key, name) VALUES ('t', '書いた')"))
    if fast:
        end_without_teardown()
    print("said on stdout", end="")  # no newline: flushed all the same
    print("said on stderr", file=sys.stderr)
    if code:
        raise typer.Exit(code)

atexit.register(lambda: print("teardown ran", file=sys.stderr))
main()
"""


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", SCRIPT, "say-and-end", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_command_ended_without_teardown_keeps_its_output_and_exit_code():
    done = _run()
    assert (done.returncode, done.stdout, done.stderr) == (0, "said on stdout", "said on stderr\n")
    failed = _run("--code", "3")
    assert (failed.returncode, failed.stdout, failed.stderr) == (3, "said on stdout", "said on stderr\n")


def test_the_database_is_closed_before_the_process_ends(tmp_path):
    """A SQLite file is whole on its own once the command ended: its write-ahead log moved into it and removed."""
    import shutil
    import sqlite3

    db = tmp_path / "m.db"
    done = _run("--db", str(db))
    assert done.returncode == 0 and not (tmp_path / "m.db-wal").exists()
    shutil.copy(db, tmp_path / "copy.db")  # the file alone, as a backup takes it
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT name FROM themes").fetchall() == [("書いた",)]


def test_a_closed_stdout_loses_no_exit_code():
    """Started with its standard output closed (`>&-`: Python's sys.stdout is None), it still ends as the command did."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", SCRIPT, "say-and-end"], stdout=None, stderr=subprocess.PIPE, text=True,
                          env=env, timeout=120, preexec_fn=lambda: os.close(1))
    assert (done.returncode, done.stderr) == (0, "said on stderr\n")


def test_other_commands_end_as_python_does():
    done = _run("--no-fast", "--code", "2")
    assert (done.returncode, done.stdout, done.stderr) == (2, "said on stdout", "said on stderr\nteardown ran\n")
