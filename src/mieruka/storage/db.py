"""Connecting to the database (SQLite file by default, PostgreSQL by URL) and running migrations.
Nothing outside storage/ opens a connection or writes SQL."""
from __future__ import annotations

import os
import threading
import time
import weakref
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///mieruka.db"
# Readers (the web app) give every PostgreSQL statement this long, so no one request can hold the server;
# writers (ingest, migrations) are not limited, as they may wait for one another's locks.
READER_TIMEOUT_MS = 15_000
_MIGRATIONS = Path(__file__).with_name("migrations")
T = TypeVar("T")
# How long a SQLite writer waits for another to commit before giving up: longer than one large document takes
# to load, since documents load one transaction each. $MIERUKA_SQLITE_BUSY_TIMEOUT_MS changes it.
SQLITE_BUSY_TIMEOUT_MS = 60_000
_MIGRATION_LOCK = 0x6D69657275  # "mieru": the PostgreSQL advisory lock upgrades take
_WRITER_LOCK = 0x6D69657276  # the one every writer's transaction takes on PostgreSQL (session_scope(write=True))


class DatabaseNameError(ValueError):
    """A --db (or MIERUKA_DATABASE_URL) that cannot name the database meant."""


class SchemaError(RuntimeError):
    """The database cannot be brought to the newest schema as it stands (an interrupted first upgrade)."""


def resolve_url(url: str | None = None) -> str:
    """--db wins, then MIERUKA_DATABASE_URL, then ./mieruka.db; a bare path means a SQLite file."""
    url = url or os.environ.get("MIERUKA_DATABASE_URL") or DEFAULT_URL
    if "://" not in url:
        if "?" in url:  # it would start the URL's options: another, new, empty database would be opened
            raise DatabaseNameError(f"{url}: a SQLite file's path cannot hold '?' here (in a database URL it starts "
                                    "the options, so another file would be opened); rename the file or its folder.")
        url = f"sqlite:///{url}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def missing_sqlite_file(url: str | None = None) -> str | None:
    """The path of the SQLite file the URL names when no such file exists yet (None for PostgreSQL, memory, or a
    file that is there)."""
    parsed = make_url(resolve_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or \
            parsed.database.startswith("file:"):
        return None
    return None if Path(parsed.database).exists() else parsed.database


def resolve_read_url(url: str | None = None, read_url: str | None = None) -> str:
    """Where read-only work (every web request) goes: `read_url`, then MIERUKA_READ_DATABASE_URL (a read replica
    of the database), else the database itself."""
    replica = read_url or os.environ.get("MIERUKA_READ_DATABASE_URL")
    return resolve_url(replica) if replica else resolve_url(url)


def _sqlite_connect(dbapi_conn, _record) -> None:
    # pysqlite's own transaction handling commits before DDL and never issues BEGIN for a SELECT; take it over
    # (SQLAlchemy's documented recipe) so a migration is one transaction and SAVEPOINT works.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={sqlite_busy_timeout_ms()}")
    # Write-ahead log: readers see the last commit while a writer works, instead of "database is locked".
    # A file only; an in-memory database answers "memory" and stays as it is.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def sqlite_busy_timeout_ms() -> int:
    """$MIERUKA_SQLITE_BUSY_TIMEOUT_MS when it is a whole number, else SQLITE_BUSY_TIMEOUT_MS."""
    configured = os.environ.get("MIERUKA_SQLITE_BUSY_TIMEOUT_MS", "").strip()
    return int(configured) if configured.isdigit() else SQLITE_BUSY_TIMEOUT_MS


def _sqlite_begin(conn) -> None:
    # A writer takes the write lock when it begins (IMMEDIATE): two deferred transactions that both read and then
    # write would make the second fail at once (its snapshot is stale) rather than wait for the first.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writer") else "BEGIN")


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


# A server runs synchronous requests on up to 40 threads (anyio's default): with fewer connections than threads,
# the 16th concurrent client waited for the pool and got a 500. PostgreSQL opens them as load needs and keeps them:
# with 5 kept and 35 overflow, each request beyond the fifth opened and closed a connection (a server process
# forked per request), a third of a save's time under 20 concurrent reporters (bench/bench_cycle.py).
# Each worker process may hold 40 per database URL: see docs/web.md for max_connections.
# Last in, first out: a request takes the connection used last, whose page cache (SQLite keeps one per connection, up
# to 2 MB each) is warm, and the others stay idle instead of each filling a cache of its own in turn.
_POOL = {"sqlite": {"pool_size": 40, "max_overflow": 0, "pool_use_lifo": True},
         "postgresql": {"pool_size": 40, "max_overflow": 0, "pool_use_lifo": True}}


def get_engine(url: str | None = None, timeout_ms: int | None = None) -> Engine:
    """One engine per database and statement time limit (timeout_ms applies to PostgreSQL only)."""
    url = resolve_url(url)
    key = (url, timeout_ms or None)
    if key not in _engines:
        backend = url.split(":", 1)[0].split("+", 1)[0]
        pooled = _POOL.get(backend, {}) if ":memory:" not in url and url not in ("sqlite://", "sqlite:///") else {}
        engine = create_engine(url, future=True, connect_args=_connect_args(url, timeout_ms), **pooled)
        event.listen(engine, "handle_error", _note_url)
        if engine.dialect.name == "postgresql":
            count_changes(engine)
            ping_when_idle(engine)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            event.listen(engine, "before_cursor_execute", _sqlite_statement_starts)
        _engines[key] = engine
    return _engines[key]


# A pooled PostgreSQL connection idle longer than this is asked whether it still works before it is used again.
PING_AFTER_IDLE_S = 5.0


def ping_when_idle(engine: Engine) -> None:
    """Ping a PostgreSQL connection as it leaves the pool only when it sat there longer than PING_AFTER_IDLE_S: one
    that a restart, an idle time-out or pg_terminate_backend closed is replaced (and every connection older than it
    with it) instead of failing its request. pool_pre_ping pinged at every checkout, a round trip per transaction:
    under fifty reporters saving, connections go back and out within milliseconds. A server stopped while a request
    holds a connection fails that request (an error page); SQLAlchemy then renews the whole pool."""
    from sqlalchemy.exc import InvalidatePoolError

    dialect = engine.dialect

    def checkout(dbapi_conn, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                raise InvalidatePoolError(str(exc)) from exc  # the pool connects anew and retries the checkout
            raise

    def checkin(_dbapi_conn, record) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


# Statements that change nothing: any other marks its transaction as one that wrote (over-counting costs an emptied
# cache, under-counting a stale page)
_READS = ("SELECT", "SHOW", "SET", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "EXPLAIN", "VALUES")
# the row is absent while a downgrade below 0014 (or an upgrade before it) runs: nothing to count then
_BUMP = ("DO $$BEGIN IF to_regclass('change_counter') IS NOT NULL THEN "
         "UPDATE change_counter SET n = n + 1 WHERE id = 1; END IF; END$$")


def count_changes(engine: Engine) -> None:
    """Make each transaction of engine (PostgreSQL) that wrote bump change_counter as it commits: the row a response
    cache watches (ChangeWatch). Taken last, at commit, so a writer holds the row's lock only while it commits and
    never waits for another lock after it (no deadlock)."""
    event.listen(engine, "after_cursor_execute", _note_write)
    event.listen(engine, "commit", _bump_on_commit)
    event.listen(engine, "rollback", _forget_write)


def _note_write(conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    if conn.info.get("wrote"):
        return
    head = statement.lstrip(" \n(")[:10].upper()
    if head.startswith("WITH"):
        upper = statement.upper()
        wrote = "INSERT" in upper or "UPDATE" in upper or "DELETE" in upper
    else:
        wrote = not head.startswith(_READS)
    if wrote:
        conn.info["wrote"] = True


def note_write(conn) -> None:
    """Count a write made past SQLAlchemy's statements (COPY on the driver's cursor) in conn's transaction."""
    conn.info["wrote"] = True


def _bump_on_commit(conn) -> None:
    if conn.info.pop("wrote", False):
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(_BUMP)
        finally:
            cursor.close()


def _forget_write(conn) -> None:
    conn.info.pop("wrote", None)


def _sqlite_statement_starts(conn, cursor, statement, parameters, context, executemany) -> None:
    conn.info["statement_at"] = time.perf_counter()


def _note_url(context) -> None:
    # The error keeps the URL of the database that raised it (password hidden), for plain_error's message, and on
    # SQLite how long its statement waited: "database is locked" comes after the busy timeout, or at once when a
    # transaction that had read went to write while another wrote (SQLite does not wait then: it would deadlock).
    if context.sqlalchemy_exception is not None and context.engine is not None:
        context.sqlalchemy_exception.mieruka_url = context.engine.url.render_as_string(hide_password=True)
        started = context.connection.info.get("statement_at") if context.connection is not None else None
        if started is not None:
            context.sqlalchemy_exception.mieruka_waited = time.perf_counter() - started


def plain_error(exc: BaseException) -> str | None:
    """One or two lines for a database that cannot be used as it stands (a missing folder, a file that is not a
    database, a lock held too long, a server not answering, an older schema), naming the URL and what to do;
    None for any other error."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, (SchemaError, DatabaseNameError)):
        return str(exc)
    if not isinstance(exc, DBAPIError):
        return None
    url = getattr(exc, "mieruka_url", None) or "the database"
    said = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    low = str(exc.orig).lower()
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        if "unable to open database file" in low:
            folder = Path(path).parent
            if not folder.is_dir():
                return (f"{url}: the folder {folder} does not exist. Create it, or give --db a file in a folder that "
                        "exists (a new file there becomes an empty database).")
            return f"{url}: the file cannot be opened or created ({said}). Check that you may write in {folder}."
        if "file is not a database" in low or "file is encrypted" in low:
            return (f"{url}: {path} is not a SQLite database. Give --db the mieruka database file, or the name of a "
                    "new file to start an empty one.")
        locked = "database is locked" in low or "database table is locked" in low
        waited = getattr(exc, "mieruka_waited", None)
        if locked and (getattr(exc.orig, "sqlite_errorname", None) == "SQLITE_BUSY_SNAPSHOT" or (
                waited is not None and waited < sqlite_busy_timeout_ms() / 2000)):
            # refused at once, not after the busy timeout: this transaction had read, then went to write while
            # another program wrote
            return (f"{url} is in use: another program wrote to it while this one was reading it in order to write; "
                    "nothing was written. Run this again (it then reads what the other wrote).")
        if locked:
            waited = sqlite_busy_timeout_ms() / 1000
            return (f"{url} is locked: another program kept writing to it for {waited:g} s. Try again when it has "
                    "finished, or close the program that holds the file open.")
        if "readonly" in low or "read-only" in low:
            return f"{url} is read-only ({said}). Give --db a file you may write, or copy it somewhere you may."
    else:
        if any(w in low for w in ("connection refused", "could not connect", "connection failed", "timeout expired",
                                  "could not translate host name", "name or service not known", "no route to host")):
            if "does not exist" in low:
                return f"{url}: {said}. Create the database (createdb) or check its name in the URL."
            if "password authentication failed" in low or "no pg_hba.conf entry" in low or "role" in low:
                return f"{url}: {said}. Check the user and password in the URL."
            return (f"PostgreSQL at {url} is not answering ({said}). Start the server, or check the host and "
                    "port in the URL.")
    if "no such table" in low or "undefinedtable" in type(exc.orig).__name__.lower() or (
            "relation" in low and "does not exist" in low) or "no such column" in low or (
            "column" in low and "does not exist" in low):
        return (f"{url} has an older schema than this mieruka ({said}). Run `mieruka db upgrade --db {url}`, "
                "then try again.")
    return f"{url}: the database answered an error ({said})."


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()


def close_all() -> None:
    """Every connection this process holds closed: the engines' and the change watches' (the last connection to a
    SQLite file in WAL mode moves the log into the file and removes it)."""
    dispose_engines()
    for watch in list(_ALL_WATCHES):
        watch.close()


@contextmanager
def session_scope(url: str | None = None, timeout_ms: int | None = None, write: bool = False,
                  take_turns: bool = True) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error. A writer (write=True) that reads
    before it writes waits on SQLite for any other writer to finish first; readers never wait. On PostgreSQL each
    statement is cancelled after timeout_ms when given, and a writer waits for the others (the writer lock) unless
    take_turns=False: for a write that touches only rows its own version check guards (a report being saved,
    reviewed or answered), which PostgreSQL's row locks keep apart, so fifty reporters saving need not queue
    behind one another's round trips."""
    engine = get_engine(url, timeout_ms)
    session = _factory(engine, write)()
    try:
        if write and take_turns and engine.dialect.name == "postgresql":
            # writers take turns, as SQLite's BEGIN IMMEDIATE makes them: two ingests sharing a KPI would otherwise
            # both rebuild its list row and the second fail on the first's (or keep a row made before it committed).
            # Taken when the transaction begins (its first statement), as SQLite takes its lock, not here: a web
            # request enters this in one worker thread and runs its route in another, and 40 requests waiting
            # here for the lock held all 40 threads while the holder waited for one to run its route (deadlock).
            event.listen(session, "after_begin", _take_writer_turn)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_factories: dict[tuple[Engine, bool], sessionmaker] = {}


def _factory(engine: Engine, write: bool) -> sessionmaker:
    """engine's session factory, made once (dispose_engines forgets it with the engine): each sessionmaker is a new
    Session subclass, whose first statement built its class's event dispatch, a sixth of a report save's CPU on the
    server (bench/bench_cycle.py)."""
    key = (engine, write)
    if key not in _factories:
        _factories[key] = sessionmaker(bind=engine.execution_options(writer=True) if write else engine,
                                       expire_on_commit=False)
    return _factories[key]


def _take_writer_turn(_session, _transaction, connection) -> None:
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_WRITER_LOCK})")


def in_transaction(url: str | None, work: Callable[[Session], T], attempts: int = 3) -> T:
    """work(session) in one writer's transaction, run again from the start (up to `attempts` times) when another
    transaction got in the way: it committed a row with the same unique key first, the two deadlocked (PostgreSQL),
    or SQLite stayed locked past its busy timeout. Each attempt is rolled back whole before the next."""
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(url, write=True) as session:
                return work(session)
        except (IntegrityError, OperationalError) as exc:
            if attempt == attempts or not _transient(exc):
                raise
    raise AssertionError("unreachable")


def _transient(exc: IntegrityError | OperationalError) -> bool:
    text = str(exc.orig).lower()
    if isinstance(exc, IntegrityError):
        return "unique" in text or "duplicate key" in text
    return any(word in text for word in ("deadlock", "database is locked", "could not serialize"))


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Every pending migration in one transaction (SQLite and PostgreSQL both roll back DDL): an upgrade that is
    interrupted leaves the database as it was. Raises SchemaError over tables an older, interrupted upgrade left."""
    from alembic import command

    url = resolve_url(url)
    cfg = _alembic_config(url)
    with get_engine(url).execution_options(writer=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            # two commands upgrading a new database at once: the second waits here, then finds nothing to do
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        _refuse_partial_schema(conn, url)
        _refuse_unknown_revision(conn, url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _refuse_unknown_revision(conn, url: str) -> None:
    """A database a newer mieruka wrote: its revision is none this one has, and no migration can start from it."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        return
    known = {r.revision for r in ScriptDirectory.from_config(_alembic_config(DEFAULT_URL)).walk_revisions()}
    if current not in known:
        shown = make_url(url).render_as_string(hide_password=True)
        raise SchemaError(f"{shown} is at schema revision {current}, which this mieruka does not know (its newest is "
                          f"{_head()}): a newer mieruka wrote it. Use that version, or run `mieruka db downgrade "
                          f"{_head()}` with it first.")


def _partial_tables(conn) -> list[str]:
    """The tables of a schema with no alembic revision: what an interrupted upgrade (before 0005) could leave."""
    from alembic.runtime.migration import MigrationContext

    names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
    if not names or MigrationContext.configure(conn).get_current_revision() is not None:
        return []
    return sorted(names)


def _refuse_partial_schema(conn, url: str) -> None:
    tables = _partial_tables(conn)
    if tables:
        raise SchemaError(
            f"{url} holds {len(tables)} table(s) ({', '.join(tables[:4])}{', ...' if len(tables) > 4 else ''}) but no "
            "schema revision: an earlier `mieruka db upgrade` was interrupted before it finished. "
            "Run `mieruka db repair` to drop those tables when they hold no rows and build the schema again; "
            "a table that holds rows is never dropped.")


def repair(url: str | None = None) -> dict:
    """Drop the tables an interrupted first upgrade left, when every one of them is empty, then upgrade.
    Returns {"dropped": [...], "revision": ...}; raises SchemaError when a table holds rows."""
    from sqlalchemy import MetaData, func, select

    url = resolve_url(url)
    with get_engine(url).execution_options(writer=True).begin() as conn:
        tables = _partial_tables(conn)
        if tables:
            meta = MetaData()
            meta.reflect(conn, only=tables)
            rows = {t: conn.scalar(select(func.count()).select_from(meta.tables[t])) for t in tables}
            kept = {t: n for t, n in rows.items() if n}
            if kept:
                raise SchemaError(f"{url} has no schema revision, and "
                                  f"{', '.join(f'{t} holds {n} row(s)' for t, n in kept.items())}: nothing was dropped. "
                                  "Keep the file and load its documents into a new database.")
            meta.drop_all(conn)
    upgrade(url)
    return {"dropped": tables, "revision": current_revision(url)}


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


@lru_cache(maxsize=1)
def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(DEFAULT_URL)).get_current_head()


# the newest migration's revision (a test checks that it is alembic's head): a database already there is known by one
# read, without alembic — importing it and reading every migration file was 0.3 s of every command
SCHEMA_HEAD = "0015"


def _at_head(url: str | None) -> bool:
    try:
        with get_engine(url).connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql("SELECT version_num FROM alembic_version")] == [(SCHEMA_HEAD,)]
    except DBAPIError:  # no such table yet, or no database: alembic says what is wrong
        return False


def ensure_schema(url: str | None = None) -> None:
    """Bring the database to the newest schema; a read and no lock when it is already there, so a reader never
    waits for a writer. Raises SchemaError over a partial schema."""
    if not _at_head(url) and current_revision(url) != _head():
        upgrade(url)


class ChangeWatch:
    """A token that changes whenever a write is committed to the database by any other connection or process, read
    on one connection of its own in a few microseconds: what a response cache keys on.

    SQLite: `PRAGMA data_version` of that connection, which changes when another connection commits; PostgreSQL:
    change_counter's row, which each transaction that wrote through mieruka bumps as it commits (count_changes), so
    the writes of other databases on the same server change nothing here (a write made outside mieruka, by psql, is
    seen at the next write made through it). Before migration 0014 the current snapshot (`pg_current_snapshot()`),
    which changes whenever a transaction that writes begins or ends anywhere on the server. None when the database
    cannot be asked: then nothing is cached."""

    def __init__(self, url: str | None = None):
        import threading

        self.url = resolve_url(url)
        self._lock = threading.Lock()
        self._conn = None
        _ALL_WATCHES.add(self)
        self._seen: object = None
        self._generation = 0
        path = make_url(self.url).database if self.url.startswith("sqlite") else None
        self._path = os.path.abspath(path) if path else None  # the file it names now, wherever the process goes
        self._file: tuple | None = None  # the SQLite file's identity when the connection was made

    def _connection(self):
        if self._conn is None:
            engine = create_engine(self.url, poolclass=_null_pool(), connect_args=_connect_args(self.url, 2000))
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_connect)
            conn = engine.raw_connection()
            if engine.dialect.name != "sqlite":
                conn.driver_connection.autocommit = True  # a snapshot per statement, no transaction left open
            self._conn, self._sqlite = conn, engine.dialect.name == "sqlite"
        return self._conn

    def token(self) -> str | None:
        if ":memory:" in self.url or self.url in ("sqlite://", "sqlite:///"):
            return None  # an in-memory database is one connection's own: no other can tell it changed
        with self._lock:
            if self._path:
                # a SQLite file removed and made again at the same path is another database: this connection would
                # still read the removed one, whose number no longer changes (what was kept would be served for ever)
                try:
                    st = os.stat(self._path)
                    file = (st.st_dev, st.st_ino)
                except OSError:
                    file = None
                if file != self._file:
                    self.close()
                    if self._file is not None:
                        _reopen_engines(self.url)
                    self._file = file
            try:
                cur = self._connection().cursor()
                try:
                    cur.execute("PRAGMA data_version" if self._sqlite else _PG_TOKEN)
                    seen = cur.fetchone()[0]
                finally:
                    cur.close()
            except Exception:  # noqa: BLE001 - a database that cannot be asked means: do not cache
                self.close()
                return None
            if self._sqlite:
                # the number is this connection's own: count its changes, so a new connection never repeats a token
                if seen != self._seen:
                    self._seen, self._generation = seen, self._generation + 1
                return f"g{self._generation}"
            return str(seen)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None
            self._seen = None
            self._generation += 1


_watches: dict[str, ChangeWatch] = {}
_watches_lock = threading.Lock()
_ALL_WATCHES: "weakref.WeakSet[ChangeWatch]" = weakref.WeakSet()
_FORKED_AWAY: list = []  # in a child made by os.fork: the parent's connections, never used, closed or collected


def _forked() -> None:
    """In a process made by os.fork (mieruka publish renders some pages in one): the parent's pooled connections and
    the watches' connections are let go without being closed — a SQLite or PostgreSQL connection another process
    holds must not be used or closed here — and kept from the collector; new ones are opened as needed. Each watch
    counts on from a new generation, so nothing kept under one of the parent's tokens is served in the child."""
    global _watches_lock
    for engine in _engines.values():
        _FORKED_AWAY.append(engine.pool)
        engine.dispose(close=False)
    _engines.clear()
    _factories.clear()
    _watches_lock = threading.Lock()
    for watch in list(_ALL_WATCHES):
        _FORKED_AWAY.append(watch._conn)
        watch._lock = threading.Lock()  # (a lock another thread held at the fork would stay held here)
        watch._conn, watch._seen, watch._generation = None, None, watch._generation + 1


os.register_at_fork(after_in_child=_forked)


def _reopen_engines(url: str) -> None:
    """The engines of a SQLite file that was replaced at its path: their pooled connections still read the file that
    went (a page kept under the new file's token would be made from the old one); new ones open the new file."""
    for (engine_url, _timeout), engine in list(_engines.items()):
        if engine_url == url:
            engine.dispose()  # checked-out connections are closed when they come back


def change_token(url: str) -> str | None:
    """ChangeWatch(url).token() from one watch per database kept for the process: what a cache of things derived from
    the whole database keys on (None: do not cache)."""
    with _watches_lock:
        watch = _watches.get(url)
        if watch is None:
            watch = _watches[url] = ChangeWatch(url)
    return watch.token()


# the counter with its table's identity: a database (or schema) dropped and made again counts from the start again
_PG_TOKEN = ("SELECT CASE WHEN to_regclass('change_counter') IS NULL THEN 's' || pg_current_snapshot()::text "
             "ELSE 'c' || (SELECT n FROM change_counter WHERE id = 1) || '@' || to_regclass('change_counter')::oid END")


def _null_pool():
    from sqlalchemy.pool import NullPool

    return NullPool
