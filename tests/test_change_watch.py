"""The token a server's response cache keys on (storage.ChangeWatch): it changes when a transaction that wrote to this
database commits, through the ORM, a plain statement or a bulk COPY, and not when one only read, rolled back, or wrote
to another database (on PostgreSQL the snapshot it used to be changed with any write anywhere on the server)."""
from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, select, text

from mieruka import storage
from mieruka.storage import bulk, models as m

PG_URL = os.environ.get("MIERUKA_TEST_DATABASE_URL")  # not from conftest: tests/browser has one of that name too


def _other_database(db_url: str, tmp_path) -> tuple[str, callable]:
    """Another database on the same server (a schema of its own on PostgreSQL, another file on SQLite) and its dropper."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'other.db'}", lambda: None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", drop


def test_the_token_changes_with_this_databases_writes_only(db_url, tmp_path):
    storage.upgrade(db_url)
    other, drop = _other_database(db_url, tmp_path)
    watch = storage.ChangeWatch(db_url)
    try:
        storage.upgrade(other)
        start = watch.token()
        assert start is not None and watch.token() == start

        with storage.session_scope(db_url) as s:  # a reader's transaction
            assert s.scalar(select(m.Organisation.id)) is None
        assert watch.token() == start

        with storage.session_scope(other, write=True) as s:  # another database's writes
            s.add(m.Organisation(name="総務省"))
        bulk_other = bulk.insert_rows
        with storage.session_scope(other, write=True) as s:
            bulk_other(s, m.Organisation, [{"id": 50, "name": "財務省"}])
        assert watch.token() == start

        try:
            with storage.session_scope(db_url, write=True) as s:  # rolled back: nothing changed
                s.add(m.Organisation(name="法務省"))
                s.flush()
                raise RuntimeError("stop")
        except RuntimeError:
            pass
        assert watch.token() == start

        with storage.session_scope(db_url, write=True) as s:
            s.add(m.Organisation(name="総務省"))
        after_orm = watch.token()
        assert after_orm != start and watch.token() == after_orm

        with storage.session_scope(db_url, write=True) as s:
            s.execute(text("UPDATE organisations SET name = '総務省 ' WHERE name = '総務省'"))
        after_text = watch.token()
        assert after_text not in (start, after_orm)

        with storage.session_scope(db_url, write=True) as s:  # COPY on PostgreSQL, an INSERT on SQLite
            assert bulk.insert_rows(s, m.Organisation, [{"id": 60, "name": "外務省"}]) == 1
        assert watch.token() not in (start, after_orm, after_text)
    finally:
        watch.close()
        storage.dispose_engines()
        drop()


def test_a_postgresql_writer_counts_its_commits_in_change_counter(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        before = s.scalar(select(m.ChangeCounter.n))
    for name in ("総務省", "財務省"):
        with storage.session_scope(db_url, write=True) as s:
            s.add(m.Organisation(name=name))
    with storage.session_scope(db_url) as s:
        counted = s.scalar(select(m.ChangeCounter.n))
    # SQLite's data_version needs no counter: its row stays as the migration made it
    assert (before, counted) == ((0, 0) if db_url.startswith("sqlite") else (before, before + 2))


def test_a_database_made_again_in_the_same_place_never_gives_an_earlier_token(db_url, tmp_path):
    """A SQLite file removed and made again at its path (a demo rebuilt while the server runs), or a PostgreSQL database
    dropped and made again: its counting starts over, and a token it gave before would serve what was kept for the
    database that is gone."""
    storage.upgrade(db_url)
    watch = storage.ChangeWatch(db_url)
    try:
        seen = [watch.token()]
        with storage.session_scope(db_url, write=True) as s:
            s.add(m.Organisation(name="総務省"))
        seen.append(watch.token())
        storage.dispose_engines()
        if db_url.startswith("sqlite"):
            path = db_url.removeprefix("sqlite:///")
            os.remove(path)
            storage.upgrade(db_url)
        else:
            with storage.session_scope(db_url, write=True) as s:
                s.execute(text("DROP TABLE change_counter"))
            storage.dispose_engines()
            with create_engine(db_url).begin() as conn:  # as migration 0014 makes it
                conn.execute(text("CREATE TABLE change_counter (id integer PRIMARY KEY, n bigint NOT NULL)"))
                conn.execute(text("INSERT INTO change_counter VALUES (1, 0)"))
        again = watch.token()
        assert again is not None and again not in seen
        with storage.session_scope(db_url, write=True) as s:
            s.add(m.Organisation(name="財務省"))
        assert watch.token() not in (*seen, again)
    finally:
        watch.close()
        storage.dispose_engines()


def test_a_sqlite_file_made_again_by_another_process_is_what_pooled_sessions_read_next(sqlite_url, monkeypatch):
    """Another process removes the file and makes it again (a demo database rebuilt under a running server): the
    watch gives a new token, and the engine's pooled connections, which still read the file that went, are let go, so
    that what is kept under the new token is read from the new file. The file named by a relative path, as
    ./mieruka.db is."""
    import subprocess
    import sys

    from sqlalchemy import func

    from mieruka.web import kept

    path = sqlite_url.removeprefix("sqlite:///")
    monkeypatch.chdir(os.path.dirname(path))
    url = f"sqlite:///{os.path.basename(path)}"  # as ./mieruka.db is named
    storage.upgrade(url)
    with storage.session_scope(url, write=True) as s:
        s.add(m.Organisation(name="総務省"))

    def names(s):
        return sorted(s.scalars(select(m.Organisation.name)))
    with storage.session_scope(url) as s:
        before = kept.state(s)
        assert kept.per_state(s, "test-orgs", (), lambda: names(s)) == ["総務省"]
    subprocess.run([sys.executable, "-c", (
        "import os, sys\n"
        "from mieruka import storage\n"
        "from mieruka.storage import models as m\n"
        f"for p in ({path!r}, {path!r} + '-wal', {path!r} + '-shm'):\n"
        "    if os.path.exists(p): os.remove(p)\n"
        f"storage.upgrade({'sqlite:///' + path!r})\n"
        f"with storage.session_scope({'sqlite:///' + path!r}, write=True) as s:\n"
        "    s.add_all([m.Organisation(name=n) for n in ('財務省', '外務省')])\n")],
        check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    with storage.session_scope(url) as s:
        assert kept.state(s) != before
        assert kept.per_state(s, "test-orgs", (), lambda: names(s)) == ["外務省", "財務省"]
        assert s.scalar(select(func.count()).select_from(m.Organisation)) == 2
