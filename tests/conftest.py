"""Shared fixtures: the seed documents (when ../shared is beside the repo) and databases to test storage on.
Every storage test runs on a fresh SQLite file, and on a fresh PostgreSQL schema when MIERUKA_TEST_DATABASE_URL is set."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import settings
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import create_engine, text

from mieruka import storage
from mieruka.accounts import passwords

# The test client asks for host "testserver"; the app answers loopback names only unless told otherwise.
os.environ.setdefault("MIERUKA_ALLOWED_HOSTS", "localhost 127.0.0.1 testserver")
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PG_URL = os.environ.get("MIERUKA_TEST_DATABASE_URL")

# Property tests check what is computed, not how fast: on 2 shared cores a busy moment is not a failure.
settings.register_profile("mieruka", deadline=None)
settings.load_profile("mieruka")

# Argon2 at the production cost (m=64 MiB, t=3, p=4) is a fifth of a CPU-second a hash and another a sign-in: over
# the hundreds of accounts the tests create, minutes of a run that check nothing about the cost. The tests hash at
# the cheapest Argon2id setting; test_accounts.py checks the production setting through `production_hasher`.
PRODUCTION_HASHER = passwords._hasher
passwords._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
passwords.DUMMY_HASH = passwords.hash_password("unused-dummy-password-0")


@pytest.fixture
def production_hasher(monkeypatch):
    """passwords hashes as it does in production for this test."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION_HASHER)


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return SEEDS


@pytest.fixture
def seed_file(seeds):
    """seed_file("000") -> the path of the seed whose name starts with 000_."""
    return lambda prefix: next(seeds.glob(f"{prefix}_*"))


def pytest_terminal_summary(terminalreporter):
    """Say in the log which databases the storage tests ran on, and how many passed on PostgreSQL."""
    passed = terminalreporter.stats.get("passed", [])
    on_pg = sum(1 for r in passed if "[postgresql]" in r.nodeid)
    where = f"SQLite and PostgreSQL ({PG_URL}): {on_pg} passed on PostgreSQL" if PG_URL \
        else "SQLite only (MIERUKA_TEST_DATABASE_URL not set)"
    terminalreporter.write_line(f"mieruka storage tests ran on {where}")
    terminalreporter.write_line(f"seed documents: {SEEDS if SEEDS.is_dir() else 'not found, seed tests skipped'}")


def _backends():
    yield "sqlite"
    if PG_URL:
        yield "postgresql"


@pytest.fixture(params=list(_backends()))
def db_url(request, tmp_path):
    """An empty database URL; PostgreSQL gets a schema of its own, dropped afterwards. A test that needs one backend
    asks for it with @pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)."""
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("MIERUKA_TEST_DATABASE_URL is not set: this test needs PostgreSQL")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        yield url
        storage.dispose_engines()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    storage.dispose_engines()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'test.db'}"
    yield url
    storage.dispose_engines()
