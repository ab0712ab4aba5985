"""Bulk writes of many rows of one table (generated national-scale data for bench/national.py): one statement per
chunk on SQLite, COPY on PostgreSQL. The rows are dicts keyed by column name, as the models define them."""
from __future__ import annotations

import json
from itertools import islice
from typing import Iterable

from sqlalchemy import JSON, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mieruka.storage.db import note_write

CHUNK = 20_000


def _chunks(rows: Iterable[dict], size: int):
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def insert_rows(session: Session, model, rows: Iterable[dict]) -> int:
    """Insert every row (all rows give the same columns); returns how many. Runs in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, model, rows)
    n = 0
    for batch in _chunks(rows, CHUNK):
        session.execute(insert(model), batch)
        n += len(batch)
    return n


def _copy(session: Session, model, rows: Iterable[dict]) -> int:
    table = model.__table__
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return 0
    columns = list(first)
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    connection = session.connection()
    note_write(connection)  # COPY goes past SQLAlchemy's statement events: the change counter counts it here
    cursor = connection.connection.driver_connection.cursor()
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    n = 0
    try:
        with cursor.copy(statement) as copy:
            for row in _chain(first, it):
                copy.write_row([json.dumps(row[c], ensure_ascii=False) if c in as_json and row[c] is not None
                                else row[c] for c in columns])
                n += 1
    except connection.dialect.loaded_dbapi.Error as exc:
        # as SQLAlchemy raises the driver's errors for its own statements: what a command's handler explains
        raise DBAPIError.instance(statement, None, exc, connection.dialect.loaded_dbapi.Error,
                                  dialect=connection.dialect) from exc
    return n


def _chain(first: dict, rest):
    yield first
    yield from rest


def follow_ids(session: Session, models: Iterable) -> None:
    """After rows were inserted with their ids given, let PostgreSQL's sequences continue after the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        top = session.scalar(select(func.max(model.id)))
        if top is not None:
            session.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                            {"t": model.__tablename__, "v": top})
