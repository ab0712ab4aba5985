"""Many readers: several `mieruka serve` processes (one of them with --workers 2) on one PostgreSQL database see
what another process wrote, and requests read from MIERUKA_READ_DATABASE_URL when it is set."""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.web import create_app

CATALOGUE = Path(__file__).parent / "fixtures" / "measure_catalogue" / "two_layouts.txt"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict[str, str]:
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {k: v for k, v in os.environ.items() if k not in ("MIERUKA_DATABASE_URL", "MIERUKA_READ_DATABASE_URL")}
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _serve(url: str, *extra: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mieruka", "serve", "--db", url, "--port", str(port), *extra],
                            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mieruka serve stopped: {proc.stdout.read().decode(errors='replace')}")
        try:
            if httpx.get(f"{base}/api/openapi.json", timeout=5).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise AssertionError("mieruka serve did not answer within 90 s")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_write_by_one_process_is_read_through_two_servers(db_url):
    pg_url = db_url
    storage.ensure_schema(pg_url)
    servers = [_serve(pg_url, "--workers", "2"), _serve(pg_url)]
    try:
        for _, base in servers:
            assert httpx.get(f"{base}/api/measures?limit=1").json()["total"] == 0
        ingest = subprocess.run([sys.executable, "-m", "mieruka", "ingest", "--db", pg_url, str(CATALOGUE)],
                                env=_env(), capture_output=True, text=True, timeout=120)
        assert ingest.returncode == 0, ingest.stderr
        for _, base in servers:
            for _ in range(4):  # several requests, so both workers of the first server answer some
                measures = httpx.get(f"{base}/api/measures").json()
                assert measures["total"] == 5
                assert measures["items"][0]["name"] == "マイナンバーカードと電子委任状を活用した政府調達"
            hits = httpx.get(f"{base}/api/search", params={"q": "電子委任状"}).json()
            assert [(h["kind"], h["title"]) for h in hits["items"]] == [
                ("measure", "マイナンバーカードと電子委任状を活用した政府調達")]
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)


def test_requests_read_from_the_read_url(tmp_path, monkeypatch):
    primary, replica = f"sqlite:///{tmp_path / 'primary.db'}", f"sqlite:///{tmp_path / 'replica.db'}"
    storage.ensure_schema(primary)
    webdata.build(replica)  # stands in for a replica that has caught up; the primary is still empty
    monkeypatch.setenv("MIERUKA_READ_DATABASE_URL", replica)
    app = create_app(primary)
    assert (app.state.db_url, app.state.read_url) == (primary, replica)
    client = TestClient(app)
    assert client.get("/api/measures").json()["total"] == 3
    assert [h["ref"] for h in client.get("/api/search", params={"q": "防災"}).json()["items"]] == [3]
    monkeypatch.delenv("MIERUKA_READ_DATABASE_URL")
    assert TestClient(create_app(primary)).get("/api/measures").json()["total"] == 0
    storage.dispose_engines()


def test_reads_go_to_the_replica_and_writes_to_the_database(tmp_path):
    """A GET or HEAD reads from the read URL; a form's POST writes to the database itself (a replica refuses writes)."""
    from types import SimpleNamespace

    from mieruka.web.pages import get_session

    main, replica = f"sqlite:///{tmp_path / 'main.db'}", f"sqlite:///{tmp_path / 'replica.db'}"
    state = SimpleNamespace(db_url=main, read_url=replica, timeout_ms=None)

    async def bound_url(method: str) -> str:
        sessions = get_session(SimpleNamespace(method=method, app=SimpleNamespace(state=state)))
        session = await sessions.__anext__()
        url = str(session.get_bind().url)
        await sessions.aclose()
        return url

    for method, expected in (("GET", replica), ("HEAD", replica), ("POST", main)):
        # in a thread of its own: Playwright's event loop may still run on this one when the browser tests ran first
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(asyncio.run, bound_url(method)).result() == expected, method
