"""Every GET route the app has (walked from its routers, so a new page is crawled without being listed here), read
anonymously and signed in as an admin, over a database whose ratings and audits are stored: not one rating, bulk
rating, evaluation or audit is computed."""
from __future__ import annotations

import re
from collections import Counter
from itertools import product

import pytest
from pathlib import Path
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hostile import get_routes
from mieruka import storage
from mieruka.accounts import service
from mieruka.cli import load_commands
from mieruka.evaluate import audit, fast, rate, stored
from mieruka.evaluate.schemes import available
from mieruka.storage import models as m
from mieruka.web import create_app

AS_OF = "2019-03-31"
PASSWORD = "Kasumigaseki-2019"
FORMATS = ["csv", "json", "xlsx", "pdf", "svg"]


class Counted:
    """Counts every entry into the raters and the audit: per KPI (rate_series), in bulk, whole evaluations, audits."""

    def __init__(self, monkeypatch):
        self.calls: Counter = Counter()
        for module, name in [(rate, "rate_series"), (rate, "rate_kpi"), (fast, "rate_requests"), (fast, "_rate_arrays"),
                             (stored, "evaluate"), (stored, "audit_stream"), (stored, "audit_and_store"),
                             (stored, "audit"), (audit, "audit"), (audit, "rating_findings")]:
            monkeypatch.setattr(module, name, self._counting(f"{module.__name__}.{name}", getattr(module, name)))

    def _counting(self, label, fn):
        def counted(*args, **kwargs):
            self.calls[label] += 1
            return fn(*args, **kwargs)
        return counted


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory):
    SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"  # tests/conftest.py's, whichever conftest is imported

    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'seeds.db'}"
    runner = CliRunner()
    for args in (["ingest", str(SEEDS)], *(["evaluate", "-s", name, "--as-of", AS_OF] for name in sorted(available())),
                 ["audit"], ["audit", "--as-of", AS_OF]):
        result = runner.invoke(load_commands(), [*args, "--db", url, "--format", "json"])
        assert result.exit_code == 0, (args, result.stderr[-2000:])
    with storage.session_scope(url) as s:
        service.create_user(s, "root", "管理者", PASSWORD, "admin")
    yield url
    storage.dispose_engines()


def _values(url: str) -> dict[str, list[str]]:
    """Real values for each path parameter: a few of each kind of row, and every format."""
    with storage.session_scope(url) as s:
        ids = lambda model: [str(i) for i in s.scalars(select(model.id).order_by(model.id).limit(3))]  # noqa: E731
        codes = [c for codes in s.scalars(select(m.AdvancedCase.body_codes)) for c in (codes or [])][:2]
        return {"kpi_id": ids(m.Kpi), "item_id": ids(m.ReformItem), "measure_id": ids(m.Measure),
                "case_id": ids(m.AdvancedCase), "document_id": ids(m.Document), "code": codes + ["142158"],
                "fmt": FORMATS}


def crawl_urls(app, url: str) -> tuple[list[str], set[str]]:
    values = _values(url)
    urls, routes = [], set()
    for route in get_routes(app):
        routes.add(route.path)
        names = re.findall(r"{(\w+)}", route.path)
        for combo in product(*(values.get(n, ["1"]) for n in names)):
            path = route.path
            for name, value in zip(names, combo):
                path = path.replace("{" + name + "}", value, 1)
            urls.append(path)
    extra = ["/?lang=en", "/kpis?sort=rating&desc=1", "/kpis?tier=1", "/api/kpis?include=observations",
             "/api/audit?lang=en", "/api/audit?kind=stale", "/api/search?q=窓口", f"/?as_of={AS_OF}",
             f"/kpis?as_of={AS_OF}", f"/api/audit?as_of={AS_OF}", f"/audit.csv?as_of={AS_OF}", "/?as_of=2017-01-01",
             "/api/audit?as_of=2016-04-01", "/kpis.csv?basis=official"]
    for scheme in sorted(available()):
        extra += [f"/?scheme={scheme}", f"/kpis?scheme={scheme}", f"/api/kpis?scheme={scheme}", f"/kpis/1?scheme={scheme}"]
    return urls + extra, routes


def signed_in(app) -> TestClient:
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text).group(1)
    client.post("/signin", data={"login": "root", "password": PASSWORD, "csrf_token": token})
    assert client.get("/my").status_code == 200
    return client


def test_no_get_route_rates_or_audits_anything_stored(stored_db, monkeypatch):
    app = create_app(stored_db)
    urls, routes = crawl_urls(app, stored_db)
    assert len(routes) >= 50 and {"/", "/api/kpis", "/kpis/{kpi_id}", "/api/audit", "/audit.{fmt}"} <= routes
    clients = {"anonymous": TestClient(app, raise_server_exceptions=False), "admin": signed_in(app)}
    counted = Counted(monkeypatch)
    answered: Counter = Counter()
    for who, client in clients.items():
        for url in urls:
            status = client.get(url).status_code
            assert status < 500, (who, url, status)
            answered[status] += 1
    assert counted.calls == Counter()
    assert answered[200] > 250, answered
