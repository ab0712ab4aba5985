"""Connecting to the database (SQLite file by default, PostgreSQL by URL) and running migrations.
Nothing outside storage/ opens a connection or writes SQL."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///mieruka.db"
_MIGRATIONS = Path(__file__).with_name("migrations")


def resolve_url(url: str | None = None) -> str:
    """--db wins, then MIERUKA_DATABASE_URL, then ./mieruka.db; a bare path means a SQLite file."""
    url = url or os.environ.get("MIERUKA_DATABASE_URL") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def resolve_read_url(url: str | None = None, read_url: str | None = None) -> str:
    """Where read-only work (every web request) goes: `read_url`, then MIERUKA_READ_DATABASE_URL (a read replica
    of the database), else the database itself."""
    replica = read_url or os.environ.get("MIERUKA_READ_DATABASE_URL")
    return resolve_url(replica) if replica else resolve_url(url)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # Write-ahead log: readers go on reading while an ingest writes (no "database is locked" on a page), and a
    # commit costs one sync of the log instead of three. A database that cannot hold the log beside it (a
    # read-only folder) stays in its journal mode. Waiting a while for a lock beats failing at once.
    cur.execute("PRAGMA busy_timeout=10000")
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except Exception:  # noqa: BLE001 - sqlite3.OperationalError: the mode is kept, reading still works
        pass
    cur.close()


_engines: dict[str, Engine] = {}


# A server runs synchronous requests on up to 40 threads (anyio's default): with fewer connections than threads,
# the 16th concurrent client waited for the pool and got a 500. PostgreSQL keeps 5 open and opens the rest
# only under load (each worker process may hold 40: see docs/web.md for max_connections).
_POOL = {"sqlite": {"pool_size": 40, "max_overflow": 0}, "postgresql": {"pool_size": 5, "max_overflow": 35}}


def get_engine(url: str | None = None) -> Engine:
    url = resolve_url(url)
    if url not in _engines:
        backend = url.split(":", 1)[0].split("+", 1)[0]
        pooled = _POOL.get(backend, {}) if ":memory:" not in url and url not in ("sqlite://", "sqlite:///") else {}
        engine = create_engine(url, future=True, pool_pre_ping=backend == "postgresql", **pooled)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[url] = engine
    return _engines[url]


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
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
