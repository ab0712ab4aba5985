"""Issue 16, ingest that stays linear: what ingesting one copy of the seeds asks of the database (SQL statements run,
rows handed back to Python) is the same for the 2nd copy as for the 8th, so the cost per document does not grow
with what is already stored (bench/bench_ingest_scale.py measures the time)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from sqlalchemy import event

from mieruka import storage
from mieruka.ingest.sources import expand_paths
from mieruka.loading.documents import ingest_paths
from mieruka.storage.search import ensure_search_index, search_ids


class _Tally:
    statements = 0
    rows = 0


class _CountsRows:
    """Adds the rows each fetch returns to _Tally.rows (mixed into each driver's cursor)."""

    def fetchone(self):
        row = super().fetchone()
        _Tally.rows += row is not None
        return row

    def fetchmany(self, *args, **kwargs):
        rows = super().fetchmany(*args, **kwargs)
        _Tally.rows += len(rows)
        return rows

    def fetchall(self):
        rows = super().fetchall()
        _Tally.rows += len(rows)
        return rows


class _CountingSqliteCursor(_CountsRows, sqlite3.Cursor):
    pass


class _CountingSqliteConnection(sqlite3.Connection):
    def cursor(self, factory=_CountingSqliteCursor):
        return super().cursor(factory)


class _CountingPgCursor(_CountsRows, psycopg.Cursor):
    pass


def _counting(dialect, conn_rec, cargs, cparams):
    # every connection the engine opens from now on hands back counting cursors
    if dialect.name == "sqlite":
        cparams["factory"] = _CountingSqliteConnection
    else:
        cparams["cursor_factory"] = _CountingPgCursor


def _statement(conn, cursor, statement, parameters, context, executemany):
    _Tally.statements += 1


def _copy(seeds: list[Path], i: int, folder: Path) -> list[Path]:
    """Copy i of the seeds: i extra newlines make new bytes (not skipped as unchanged) of the same text."""
    out = []
    for seed in seeds:
        target = folder / f"{i:04d}_{seed.name}"
        target.write_bytes(seed.read_bytes() + b"\n" * i)
        out.append(target)
    return out


def test_one_more_copy_of_the_seeds_costs_the_same_statements_and_rows_at_any_size(db_url, seeds, tmp_path):
    files = expand_paths([seeds])
    storage.ensure_schema(db_url)
    storage.dispose_engines()  # the connections opened from here on count what they fetch
    engine = storage.get_engine(db_url)
    event.listen(engine, "do_connect", _counting)
    event.listen(engine, "before_cursor_execute", _statement)
    measured = {}
    for i in range(1, 9):
        _Tally.statements = _Tally.rows = 0
        reports = ingest_paths(_copy(files, i, tmp_path), db_url)
        assert [r.status for r in reports] == ["loaded"] * len(files), [r.error for r in reports]
        measured[i] = (_Tally.statements, _Tally.rows)
    assert measured[2][1] > 0  # the counting cursors are in use
    # the 8th copy meets seven copies' KPIs, measures, cases, schedules and index entries, the 2nd one copy's
    assert measured[8] == measured[2]
    assert measured[5] == measured[2]
    with storage.session_scope(db_url) as s:
        assert ensure_search_index(s) is False  # the index moved with every document: start-up has nothing to add
        assert len(search_ids(s, "電子調達", "measure")) == 8  # the one catalogue measure, once per copy
