"""What the hostile-request tests share: the web-test database behind a TestClient that answers server errors
as responses (so a 500 is seen, not raised), and a fingerprint of every stored row to show a request changed nothing."""
from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, select

import webdata
from mieruka import storage
from mieruka.web import create_app


def hostile_client(url: str, **app_args) -> TestClient:
    return TestClient(create_app(url, **app_args), raise_server_exceptions=False)


def database_fingerprint(url: str) -> str:
    """A hash of every row of every table, in primary-key order."""
    meta = MetaData()
    engine = storage.get_engine(url)
    meta.reflect(engine)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for name in sorted(meta.tables):
            table = meta.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr((name, tuple(row))).encode())
    return digest.hexdigest()


def built_database(tmp_path_factory, name: str) -> str:
    """The web-test database, with what the first visit to the local-body pages stores (the registry of local
    bodies) already there, so that a fingerprint taken now changes only if a request writes."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / name}"
    webdata.build(url)
    client = hostile_client(url)
    assert client.get("/local").status_code == 200 and client.get("/savings").status_code == 200
    return url
