"""Connecting to the database (SQLite file by default, PostgreSQL by URL) and running migrations.
Nothing outside storage/ opens a connection or writes SQL."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///mieruka.db"
# Readers (the web app) give every PostgreSQL statement this long, so no one request can hold the server;
# writers (ingest, migrations) are not limited, as they may wait for one another's locks.
READER_TIMEOUT_MS = 15_000
_MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(url: str | None = None) -> str:
    """--db wins, then MIERUKA_DATABASE_URL, then ./mieruka.db; a bare path means a SQLite file."""
    url = url or os.environ.get("MIERUKA_DATABASE_URL") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def reader_timeout_ms() -> int:
    """$MIERUKA_STATEMENT_TIMEOUT_MS (0: no limit), else READER_TIMEOUT_MS."""
    configured = os.environ.get("MIERUKA_STATEMENT_TIMEOUT_MS", "").strip()
    if not configured:
        return READER_TIMEOUT_MS
    if not configured.isdigit():
        raise ValueError(f"MIERUKA_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds, got {configured!r}")
    return int(configured)


def _connect_args(url: str, timeout_ms: int | None) -> dict:
    """PostgreSQL's statement_timeout as a connect option, added to any options the URL already sets."""
    if not timeout_ms or not url.startswith("postgresql"):
        return {}
    given = make_url(url).query.get("options") or ""
    given = " ".join(given) if isinstance(given, tuple) else given
    return {"options": f"{given} -c statement_timeout={int(timeout_ms)}".strip()}


_engines: dict[tuple[str, int | None], Engine] = {}


def get_engine(url: str | None = None, timeout_ms: int | None = None) -> Engine:
    """One engine per database and statement time limit (timeout_ms applies to PostgreSQL only)."""
    url = resolve_url(url)
    key = (url, timeout_ms or None)
    if key not in _engines:
        engine = create_engine(url, future=True, connect_args=_connect_args(url, timeout_ms))
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[key] = engine
    return _engines[key]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(url: str | None = None, timeout_ms: int | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error; on PostgreSQL each statement
    is cancelled after timeout_ms when given."""
    factory = sessionmaker(bind=get_engine(url, timeout_ms), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    url = resolve_url(url)
    cfg = _alembic_config(url)
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    from alembic import command

    url = resolve_url(url)
    cfg = _alembic_config(url)
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def table_names(url: str | None = None) -> list[str]:
    return sorted(inspect(get_engine(url)).get_table_names())


def document_count(url: str | None = None) -> int:
    """How many documents the database keeps (0 before the schema exists): what a downgrade would drop."""
    from sqlalchemy import func, select

    from mieruka.storage.models import Document

    if "documents" not in table_names(url):
        return 0
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Document))


def ensure_schema(url: str | None = None) -> None:
    """Bring the database to the newest schema; cheap when it is already there."""
    upgrade(url)
