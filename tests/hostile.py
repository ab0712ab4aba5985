"""What the hostile-request tests share: the web-test database behind a TestClient that answers server errors
as responses (so a 500 is seen, not raised), and a fingerprint of every stored row to show a request changed nothing."""
from __future__ import annotations

import hashlib
import os
import uuid
from contextlib import contextmanager
from typing import Iterator

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, create_engine, select, text

import webdata
from mieruka import storage
from mieruka.web import create_app

PG_URL = os.environ.get("MIERUKA_TEST_DATABASE_URL")


def hostile_client(url: str, **app_args) -> TestClient:
    return TestClient(create_app(url, **app_args), raise_server_exceptions=False)


# What a reading request may keep: the audit of a date no one had audited yet, stored beside the data it was made
# from so that the next request reads it instead of auditing again. It is derived, never the data itself.
DERIVED_TABLES = {"audit_runs", "audit_findings"}


def database_fingerprint(url: str) -> str:
    """A hash of every row of each table (the derived audit cache aside), in primary-key order: "table:hash …", so
    that a difference names the table that changed."""
    meta = MetaData()
    engine = storage.get_engine(url)
    meta.reflect(engine)
    parts = []
    with engine.connect() as conn:
        for name in sorted(set(meta.tables) - DERIVED_TABLES):
            table = meta.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            parts.append(f"{name}:{digest.hexdigest()[:12]}")
    return " ".join(parts)


def built_database(tmp_path_factory, name: str, url: str | None = None) -> str:
    """The web-test database (a SQLite file unless url is given), with what the first visit to the local-body pages
    stores (the registry of local bodies) already there, so that a fingerprint taken now changes only if a request
    writes."""
    url = url or f"sqlite:///{tmp_path_factory.mktemp('hostile') / name}"
    webdata.build(url)
    client = hostile_client(url)
    assert client.get("/local").status_code == 200 and client.get("/savings").status_code == 200
    return url


BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL of the test PostgreSQL server whose tables go into a schema of their own, dropped afterwards."""
    schema = f"h_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # pg_trgm lives in whichever schema first created it; its operators must be on the search path
        # (storage.search sees the extension exists and indexes with gin_trgm_ops)
        trgm = conn.execute(text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                                 "WHERE e.extname = 'pg_trgm'")).scalar()
    path = f"{schema},{trgm}" if trgm else schema
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{path}"
    finally:
        storage.dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def hostile_database(backend: str, tmp_path_factory, name: str) -> Iterator[str]:
    """built_database on SQLite or on PostgreSQL (when MIERUKA_TEST_DATABASE_URL is set)."""
    if backend == "sqlite":
        yield built_database(tmp_path_factory, name)
        storage.dispose_engines()
        return
    with postgres_schema() as url:
        yield built_database(tmp_path_factory, name, url)


def get_routes(app, method: str = "GET") -> list:
    """Every APIRoute answering method, inside the routers FastAPI keeps whole when it includes them (no router of
    mieruka has a prefix, so a route's path is its URL)."""
    from fastapi.routing import APIRoute

    found = []

    def walk(routes):
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute) and method in route.methods:
                found.append(route)

    walk(app.routes)
    return found
