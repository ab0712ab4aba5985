"""Database and input problems on the command line: one or two plain lines naming the URL and what to do, a non-zero
exit, never a traceback (issue 12, item 8)."""
from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from mieruka import storage

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    full.pop("MIERUKA_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "mieruka", *args], capture_output=True, text=True, env=full,
                          cwd=cwd, timeout=120)


def _plain(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 2, result.stderr
    return result.stderr.strip()


def test_a_missing_folder_is_named(tmp_path):
    out = _plain(_run("measures", "--db", str(tmp_path / "nowhere" / "m.db")))
    assert out == (f"error: sqlite:///{tmp_path}/nowhere/m.db: the folder {tmp_path}/nowhere does not exist. "
                   "Create it, or give --db a file in a folder that exists (a new file there becomes an empty database).")


def test_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 40)
    out = _plain(_run("kpis", "--db", "notes.db", cwd=tmp_path))
    assert out == ("error: sqlite:///notes.db: notes.db is not a SQLite database. Give --db the mieruka database file, "
                   "or the name of a new file to start an empty one.")
    assert (tmp_path / "notes.db").read_text().startswith("these are my notes")  # left as it was


def test_a_path_holding_a_question_mark_is_refused_not_read_as_another_database(tmp_path):
    # sqlite:///…/a?b/x.db opened "…/a" with the options "b/x.db": an empty database, audited as 0 findings
    (tmp_path / "a?b").mkdir()
    out = _plain(_run("audit", "--db", str(tmp_path / "a?b" / "x.db")))
    assert out == (f"error: {tmp_path}/a?b/x.db: a SQLite file's path cannot hold '?' here (in a database URL it starts "
                   "the options, so another file would be opened); rename the file or its folder.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a?b"] and not list((tmp_path / "a?b").iterdir())


def test_a_locked_database_says_so(tmp_path):
    path = tmp_path / "busy.db"
    storage.upgrade(f"sqlite:///{path}")
    storage.dispose_engines()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program in the middle of a write
    try:
        out = _plain(_run("db", "upgrade", "--db", str(path), env={"MIERUKA_SQLITE_BUSY_TIMEOUT_MS": "300"}))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert out == (f"error: sqlite:///{path} is locked: another program kept writing to it for 0.3 s. Try again when "
                   "it has finished, or close the program that holds the file open.")


def test_postgresql_not_answering():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _plain(_run("cases", "--db", f"postgresql://postgres@127.0.0.1:{port}/test"))
    assert out.startswith(f"error: PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:{port}/test is not answering (")
    assert out.endswith("Connection refused). Start the server, or check the host and port in the URL.")


def test_a_password_in_the_url_is_not_printed():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = _plain(_run("cases", "--db", f"postgresql://postgres:s3cret@127.0.0.1:{port}/test"))
    assert "s3cret" not in out and f"postgres:***@127.0.0.1:{port}" in out


def test_a_schema_newer_than_this_mieruka(tmp_path):
    path = tmp_path / "newer.db"
    storage.upgrade(f"sqlite:///{path}")
    storage.dispose_engines()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    out = _plain(_run("measures", "--db", str(path)))
    head = storage.db._head()
    assert out == (f"error: sqlite:///{path} is at schema revision 0999, which this mieruka does not know (its newest "
                   f"is {head}): a newer mieruka wrote it. Use that version, or run `mieruka db downgrade {head}` with "
                   "it first.")


def test_an_older_schema_is_told_to_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    storage.upgrade(url, "0004")
    with pytest.raises(Exception) as caught:
        with storage.session_scope(url) as session:
            session.execute(text("SELECT id FROM local_plans"))  # a table of 0007
    assert storage.plain_error(caught.value) == (
        f"{url} has an older schema than this mieruka (no such table: local_plans). Run "
        f"`mieruka db upgrade --db {url}`, then try again.")
    storage.dispose_engines()


def test_any_other_error_is_not_mistaken_for_a_database_problem():
    assert storage.plain_error(ValueError("x")) is None


def test_serve_without_a_database_file(tmp_path):
    out = _plain(_run("serve", "--db", "missing.db", cwd=tmp_path))
    assert out == ("error: no database file at missing.db: load documents into it first "
                   "(mieruka ingest FILE... --db missing.db), or run mieruka demo to serve the bundled sample.")
    assert not (tmp_path / "missing.db").exists()


def test_serve_on_a_port_in_use_says_so_before_claiming_to_serve(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    storage.upgrade(url)
    storage.dispose_engines()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run("serve", "--db", url, "--port", str(port))
    assert result.stdout == ""  # no "serving ..." line
    assert _plain(result) == (f"error: port {port} on 127.0.0.1 is in use by another program; stop that program, or "
                              f"give --port another number (e.g. --port {port + 1})")


def test_a_text_file_named_pdf(tmp_path):
    (tmp_path / "report.pdf").write_text("令和6年度 KPI 一覧\nこれはテキストです。\n", encoding="utf-8")
    result = _run("ingest", str(tmp_path / "report.pdf"), "--db", str(tmp_path / "i.db"))
    assert "Traceback" not in result.stderr
    assert result.returncode != 0
    assert f"error: {tmp_path / 'report.pdf'}: not a PDF (it looks like text)" in result.stderr
