"""Cross-links between areas: a case page links to its local bodies and to the savings calculator pre-filled
from the case; a bottom-up KPI's page embeds its prefecture map."""
from datetime import date

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.loading.sample import load_sample
from mieruka.bodies import registry
from mieruka.municipalities.importing import import_survey
from mieruka.storage.local_bodies import define_survey_kpi
from mieruka.storage.queries import case_rows, kpi_rows
from mieruka.web import create_app


@pytest.fixture
def sample_client(sqlite_url):
    load_sample(sqlite_url)
    with TestClient(create_app(sqlite_url)) as client:
        yield client, sqlite_url


def test_case_page_links_local_bodies_and_calculator(sample_client):
    client, url = sample_client
    with storage.session_scope(url) as s:
        case = next(c for c in case_rows(s) if c["municipalities"] == ["神奈川県海老名市"])
    html = client.get(f"/cases/{case['id']}").text
    assert 'href="/local/142158"' in html and "神奈川県海老名市</a>" in html
    assert f'href="/savings?case={case["id"]}-0"' in html
    page = client.get(f"/savings?case={case['id']}-0").text
    assert 'id="before-value">2.1億円<' in page  # 0.5億円 at ▲24% holds two significant figures, not 2.083億円


def test_kpi_page_shows_map_only_for_bottom_up_kpis(sample_client):
    client, url = sample_client
    with storage.session_scope(url) as s:
        kpi = next(k for k in kpi_rows(s) if k["name"] == "窓口業務のアウトソーシング")
        other = next(k for k in kpi_rows(s) if k["name"] == "庶務業務の集約化")
        define_survey_kpi(s, "窓口委託", "count", kpi=str(kpi["id"]))
    assert "map.svg" not in client.get(f"/kpis/{kpi['id']}").text  # defined, but no survey imported yet
    with storage.session_scope(url) as s:
        survey = ["団体コード,導入"] + [f"{b.code},{'○' if i < 301 else '×'}" for i, b in enumerate(registry.municipalities())]
        import_survey(s, "\n".join(survey).encode(), "survey.csv", "窓口委託", date(2017, 4, 1))
    assert f'src="/local/kpi/{kpi["id"]}/map.svg"' in client.get(f"/kpis/{kpi['id']}").text
    assert "map.svg" not in client.get(f"/kpis/{other['id']}").text
    svg = client.get(f"/local/kpi/{kpi['id']}/map.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


def test_item_page_says_why_the_sample_has_no_progress_text(sample_client):
    client, _ = sample_client
    html = client.get("/items/1").text
    assert "同梱のサンプルは文書の文章を含みません" in html
    assert "（順調）" in html
