"""Issue 15, class 10: many readers. A page no write has changed is not made again: an anonymous visitor's page is
rendered once per state of the database and sent again from memory, fifty requests at once for it make one rendering,
and a write by any other process (an ingest) is seen by the very next request. A signed-in visitor, an error or an
answer that sets a cookie is never kept. The bench (bench/bench_readers.py) measures the latency under load."""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import mieruka
from hostile import BACKENDS, hostile_client, hostile_database
from mieruka.web.cache import ResponseCache
from mieruka.web.routers import kpis as kpi_routes

FIXTURES = Path(__file__).parent / "fixtures"
NEW_KPI = "証明書のコンビニ交付の導入"
SRC = str(Path(mieruka.__file__).resolve().parents[1])


@pytest.fixture(params=BACKENDS)
def site(request, tmp_path_factory):
    with hostile_database(request.param, tmp_path_factory, "readers.db") as url:
        yield url, hostile_client(url)


# The counts of renderings are exact on both: on PostgreSQL the token is this database's own change counter, which
# other tests' writes on the shared test server do not change (it was the server's snapshot, which they did).
@pytest.fixture
def quiet_site(tmp_path_factory):
    with hostile_database("sqlite", tmp_path_factory, "readers.db") as url:
        yield url, hostile_client(url)


@pytest.fixture
def renderings(monkeypatch):
    """How many times the KPI list was counted in the database, i.e. rendered."""
    calls = []
    real = kpi_routes.kpi_count

    def counted(session, query):
        calls.append(query.q)
        return real(session, query)

    monkeypatch.setattr(kpi_routes, "kpi_count", counted)
    return calls


def the_cache(app) -> ResponseCache:
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


def test_an_unchanged_page_is_rendered_once_and_each_language_once(quiet_site, renderings):
    _, client = quiet_site
    first = client.get("/kpis")
    again = client.get("/kpis")
    head = client.head("/kpis")
    assert [first.status_code, again.status_code, head.status_code] == [200, 200, 200]
    assert again.content == first.content and head.content == b""
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert len(renderings) == 1
    english = client.get("/kpis?lang=en")
    assert '<html lang="en">' in english.text and '<html lang="ja">' in first.text
    assert len(renderings) == 2


def test_an_ingest_by_another_process_is_seen_by_the_next_request(site, renderings, tmp_path):
    url, client = site
    before = client.get("/kpis").text
    assert NEW_KPI not in before
    assert client.get("/kpis").text == before
    assert len(renderings) == 1
    doc = tmp_path / "schedule.txt"
    text = (FIXTURES / "reform_schedule" / "tabbed.txt").read_text(encoding="utf-8")
    doc.write_text(text.replace("総合窓口の導入", NEW_KPI), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mieruka", "ingest", str(doc), "--db", url, "--format", "json"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr
    after = client.get("/kpis").text
    assert NEW_KPI in after
    assert client.get("/kpis").text == after
    assert len(renderings) == 2


def test_a_signed_in_visitor_and_a_refusal_are_never_kept(quiet_site, renderings):
    _, client = quiet_site
    client.get("/kpis")
    cookie = {"Cookie": "mieruka_session=not-a-session"}
    assert client.get("/kpis", headers=cookie).status_code == 200
    assert client.get("/kpis", headers=cookie).status_code == 200
    assert len(renderings) == 3
    cache = the_cache(client.app)
    kept = len(cache.entries)
    assert client.get("/kpis/2147483647").status_code == 404
    assert client.get("/kpis?page=0").status_code == 422
    assert client.get("/signin").headers.get("set-cookie")  # a sign-in form carries its own token
    assert len(cache.entries) == kept


def test_fifty_requests_at_once_for_one_page_make_one_rendering(quiet_site, renderings):
    _, client = quiet_site
    app = client.app

    async def fifty():
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await asyncio.gather(*(c.get("/kpis?q=窓口") for _ in range(50)))

    # a thread of its own: an earlier test's event loop (Playwright's) may still run in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answers = pool.submit(asyncio.run, fifty()).result()
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert renderings == ["窓口"]
