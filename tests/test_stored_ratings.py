"""Ratings and audit findings are computed when data changes and stored: a crawl of every page, API list and download
rates and audits nothing, and a change to one observation re-rates that KPI only."""
from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands
from mieruka.evaluate import rate, stored
from mieruka.evaluate.schemes import available
from mieruka.storage import models as m
from mieruka.storage.load import record_observation
from mieruka.web import create_app

AS_OF = "2019-03-31"
EARLIER = "2018-06-01"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


class Calls:
    """Counts the calls into the rater and the audit, with the KPI each rating was for."""

    def __init__(self, monkeypatch):
        self.rated: Counter = Counter()
        self.audits = 0
        self.evaluations = 0
        rate_series, audit_stream, evaluate = rate.rate_series, stored.audit_stream, stored.evaluate

        def counted_rate(series, scheme, *args):
            self.rated[series.kpi_id] += 1
            return rate_series(series, scheme, *args)

        def counted_audit(*args, **kwargs):
            self.audits += 1
            return audit_stream(*args, **kwargs)

        def counted_evaluate(*args, **kwargs):
            self.evaluations += 1
            return evaluate(*args, **kwargs)

        monkeypatch.setattr(rate, "rate_series", counted_rate)
        monkeypatch.setattr(stored, "audit_stream", counted_audit)
        monkeypatch.setattr(stored, "evaluate", counted_evaluate)

    def reset(self) -> None:
        self.rated.clear()
        self.audits = self.evaluations = 0


@pytest.fixture(scope="module")
def rated_db(tmp_path_factory):
    """The seed documents ingested, rated under every scheme as of 2019-03-31 and audited as of that date (what
    `mieruka audit` takes by default: the date the ratings were made, which the overview shows) and as of 2018-06-01,
    all through the CLI."""
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    url = f"sqlite:///{tmp_path_factory.mktemp('stored') / 'seeds.db'}"
    cli = load_commands()
    runner = CliRunner()
    for args in (["ingest", str(SEEDS)], *(["evaluate", "-s", name, "--as-of", AS_OF] for name in sorted(available())),
                 ["audit"], ["audit", "--as-of", EARLIER]):
        result = runner.invoke(cli, [*args, "--db", url, "--format", "json"])
        assert result.exit_code == 0, (args, result.stderr[-2000:])
    yield url
    storage.dispose_engines()


def crawl_urls(url: str) -> list[str]:
    with storage.session_scope(url) as s:
        kpis = list(s.scalars(select(m.Kpi.id).order_by(m.Kpi.id)))
        items = list(s.scalars(select(m.ReformItem.id)))
        measures = list(s.scalars(select(m.Measure.id).limit(5)))
        cases = list(s.scalars(select(m.AdvancedCase.id)))
        documents = list(s.scalars(select(m.Document.id)))
        bodies = [c for codes in s.scalars(select(m.AdvancedCase.body_codes)) for c in (codes or [])][:3]
    urls = ["/", "/?lang=en", "/kpis", "/kpis?sort=rating&desc=1", "/kpis?tier=1", "/items", "/measures",
            "/measures?effect=efficiency", "/cases", "/documents", "/local", "/savings",
            "/kpis.csv", "/kpis.xlsx", "/kpis.json", "/measures.csv", "/cases.csv", "/documents.csv", "/items.csv",
            "/audit.csv", "/audit.json?lang=en", "/local.csv",
            "/api/kpis", "/api/kpis?include=observations", "/api/evaluations", "/api/audit", "/api/audit?lang=en",
            "/api/measures", "/api/cases", "/api/documents", "/api/items", "/api/search?q=窓口",
            # dates nothing is stored as of: answered as of the nearest stored date, never rated or audited
            "/?as_of=2018-06-01", "/kpis?as_of=2017-01-01", "/kpis/2?as_of=2030-01-01", "/api/audit?as_of=2018-01-01",
            "/api/kpis?as_of=2016-04-01", "/audit.csv?as_of=2016-04-01", "/kpis.csv?as_of=2019-03-31&basis=official"]
    for scheme in sorted(available()):
        urls += [f"/?scheme={scheme}", f"/kpis?scheme={scheme}", f"/api/kpis?scheme={scheme}"]
    urls += [f"/kpis/{k}" for k in kpis] + [f"/api/kpis/{k}" for k in kpis] + [f"/local/kpi/{k}" for k in kpis[:3]]
    urls += [f"/items/{i}" for i in items] + [f"/api/items/{i}" for i in items]
    urls += [f"/measures/{i}" for i in measures] + [f"/api/measures/{i}" for i in measures]
    urls += [f"/cases/{i}" for i in cases] + [f"/api/cases/{i}" for i in cases]
    urls += [f"/documents/{i}" for i in documents] + [f"/api/documents/{i}" for i in documents]
    urls += [f"/local/{code}" for code in bodies]
    return urls


def crawl(client: TestClient, urls: list[str]) -> dict[str, int]:
    return {u: r.status_code for u in urls if (r := client.get(u)).status_code not in (200, 404)}


def test_a_crawl_of_every_page_rates_and_audits_nothing(rated_db, monkeypatch):
    client = TestClient(create_app(rated_db))
    calls = Calls(monkeypatch)
    urls = crawl_urls(rated_db)
    assert len(urls) > 100
    assert crawl(client, urls) == {}
    assert (sum(calls.rated.values()), calls.audits, calls.evaluations) == (0, 0, 0)


def test_one_changed_observation_re_rates_that_kpi_only(rated_db, monkeypatch):
    client = TestClient(create_app(rated_db))
    with storage.session_scope(rated_db) as s:
        kpi_id, doc_id, unit, before_version = s.execute(
            select(m.Observation.kpi_id, m.Observation.document_id, m.Observation.unit, m.KpiSummary.version)
            .join(m.KpiSummary, m.KpiSummary.kpi_id == m.Observation.kpi_id)
            .where(m.Observation.value.is_not(None)).order_by(m.Observation.id)).first()
        others = dict(s.execute(select(m.Rating.id, m.Rating.computed_at)
                                .where(m.Rating.official.is_(False), m.Rating.kpi_id != kpi_id)).all())
    calls = Calls(monkeypatch)
    with storage.session_scope(rated_db) as s:
        version = record_observation(s, kpi_id, doc_id, 123456.0, date.fromisoformat(AS_OF), "123,456 (訂正)", unit=unit,
                                     status="final")
    assert version > before_version
    with storage.session_scope(rated_db) as s:
        # once per stored evaluation date of each scheme: 2019-03-31 and the two editions' (2015-12-24, 2016-12-21)
        assert stored.refresh_ratings(s) == {name: 3 for name in sorted(available())}
    assert calls.rated == Counter({kpi_id: 3 * len(available())})
    with storage.session_scope(rated_db) as s:
        assert {r.scheme: (r.data_version, r.details["actual"]) for r in s.scalars(
            select(m.Rating).where(m.Rating.kpi_id == kpi_id, m.Rating.official.is_(False),
                                   m.Rating.as_of == date.fromisoformat(AS_OF)))} == {
            name: (version, 123456.0) for name in sorted(available())}
        assert {r.data_version for r in s.scalars(select(m.Rating).where(
            m.Rating.kpi_id == kpi_id, m.Rating.official.is_(False)))} == {version}
        # every other KPI's computed ratings are the same rows as before, untouched
        assert dict(s.execute(select(m.Rating.id, m.Rating.computed_at)
                              .where(m.Rating.official.is_(False), m.Rating.kpi_id != kpi_id)).all()) == others
        # both stored audits (2019-03-31, the ratings' date `mieruka audit` takes by default, and 2018-06-01) are
        # redone once each, whole: the new value moved its undated document's date (its latest actual), which every
        # KPI citing that document is audited against (tests/test_audit_incremental.py: an ingest audits its KPIs only)
        assert sorted(stored.refresh_audits(s)) == [date.fromisoformat(EARLIER), date.fromisoformat(AS_OF)]
    assert calls.audits == 2
    assert client.get(f"/api/kpis/{kpi_id}").json()["latest"]["value"] == 123456.0
    calls.reset()
    assert crawl(client, crawl_urls(rated_db)) == {}
    assert (sum(calls.rated.values()), calls.audits, calls.evaluations) == (0, 0, 0)
