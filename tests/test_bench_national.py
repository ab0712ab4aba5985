"""bench/national.py's generator at a tiny size: the counts asked for, the same database from the same seed,
rows the app reads (a KPI with its observations, a measure found by search, a survey of every municipality)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from mieruka import storage
from mieruka.storage import models as m
from mieruka.web import create_app

_spec = importlib.util.spec_from_file_location("national", Path(__file__).resolve().parents[1] / "bench" / "national.py")
national = importlib.util.module_from_spec(_spec)
sys.modules["national"] = national  # dataclasses look their module up while the file runs
_spec.loader.exec_module(national)

TINY = national.Size(kpis=8, observations_per_kpi=3, measures=30, cases=4, surveys=1)


def _snapshot(url: str) -> list:
    with storage.session_scope(url) as s:
        return [s.execute(select(m.Kpi.name, m.Kpi.parent_id).order_by(m.Kpi.id)).all(),
                s.execute(select(m.Observation.kpi_id, m.Observation.value, m.Observation.as_of).order_by(m.Observation.id)).all(),
                s.execute(select(m.Measure.name, m.Measure.pillar).order_by(m.Measure.id)).all(),
                s.execute(select(m.SurveyResponse.body_code, m.SurveyResponse.adopted).order_by(m.SurveyResponse.id)).all()]


def test_the_generator_writes_the_sizes_asked_for_deterministically(db_url, tmp_path):
    counts = national.generate(db_url, TINY, seed=7)
    assert {k: counts[k] for k in ("kpis", "observations", "measures", "advanced_cases", "survey_imports",
                                   "survey_responses", "local_bodies")} == {
        "kpis": 8, "observations": 24, "measures": 30, "advanced_cases": 4, "survey_imports": 1,
        "survey_responses": 1741, "local_bodies": 1788}
    again = f"sqlite:///{tmp_path / 'again.db'}"
    national.generate(again, TINY, seed=7)
    assert _snapshot(db_url) == _snapshot(again)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    national.generate(other, TINY, seed=8)
    assert _snapshot(other) != _snapshot(again)
    storage.dispose_engines()


def test_the_generated_database_is_served(db_url):
    national.generate(db_url, TINY, seed=7)
    client = TestClient(create_app(db_url))
    kpi = client.get("/api/kpis/2").json()
    assert kpi["parent_id"] == 1 and len(kpi["observations"]) == 3
    with storage.session_scope(db_url) as s:
        cloud = s.scalars(select(m.Measure.id).where(
            m.Measure.name.contains("クラウド") | m.Measure.overview.contains("クラウド")).order_by(m.Measure.id)).all()
    hits = client.get("/api/search", params={"q": "クラウド", "kind": "measure", "limit": 1000}).json()["items"]
    assert sorted(h["ref"] for h in hits) == cloud != []
    with storage.session_scope(db_url) as s:  # ids given in bulk: later writes (PostgreSQL's sequences) go on after
        kpi = m.Kpi(key="later", name="後から加えたKPI")
        s.add(kpi)
        s.flush()
        assert kpi.id == 9
    storage.dispose_engines()
