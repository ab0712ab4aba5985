"""Issue 11, class 2: the overview's headline counts are the ratings the documents published; mieruka's recomputation
stands beside them under its own name, and every page and API field that shows a rating says which one it is.
On the five seeds rated as of 2019-03-31 (the demo), and on the small three-document database of tests/webdata.py."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.loading.documents import ingest_paths
from mieruka.web import create_app
from mieruka.web.evaluation import rate_missing_schemes


# the seeds beside the clone, as tests/conftest.py finds them (module-scoped fixtures cannot use its `seeds`)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip("seed documents not found")
    url = f"sqlite:///{tmp_path_factory.mktemp('headline') / 'seeds.db'}"
    storage.ensure_schema(url)
    ingest_paths([SEEDS], url)
    with storage.session_scope(url) as s:
        rate_missing_schemes(s, date(2019, 3, 31))
    yield TestClient(create_app(url))
    storage.dispose_engines()


def _distribution(client, url="/"):
    p = webdata.parse_html(client.get(url).text)
    return p, {r[0].split()[0]: r[1:3] for r in p.tables["distribution"][1:]}


def test_seed_headline_is_the_published_reform_schedule_ratings(seeded):
    p, rows = _distribution(seeded)
    # Published in 000/001 (latest per KPI): A 10, B 1, N 7, F 1; mieruka's recomputation as of 2019-03-31: A 9, B 4, N 17, F 2.
    assert {c: rows[c] for c in "ABNF"} == {"A": ["10", "9"], "B": ["1", "4"], "N": ["7", "17"], "F": ["1", "2"]}
    assert p.tables["distribution"][0][1:3] == ["公表（文書の評価）", "mierukaの再計算"]
    assert "評価の件数は、文書が公表した評価（公表評価）です。mierukaの再計算はその右に並べて示します。" in p.text


def test_seed_policy_sheet_headline_is_its_printed_grades(seeded):
    _, rows = _distribution(seeded, "/?scheme=policy-evaluation")
    # 002 prints a grade for 10 of its KPIs: ハ for 電子決裁に要する期間 (l.40), イ for the other nine;
    # the recomputation as of 2019-03-31 gives イ 8, ハ 2, ー 6, NA 16.
    assert {c: rows[c] for c in ("イ", "ロ", "ハ", "ー", "NA", "評価なし")} == {
        "イ": ["9", "8"], "ロ": ["0", "0"], "ハ": ["1", "2"], "ー": ["0", "6"], "NA": ["0", "16"], "評価なし": ["22", "0"]}


def test_seed_scheme_nobody_publishes_is_headed_by_the_recomputation(seeded):
    p, rows = _distribution(seeded, "/?scheme=municipal-sabc")
    assert p.tables["distribution"][0][3] == "割合（再計算）"
    assert "この評価方式で公表された評価はありません。件数はmierukaが数値から計算した評価（再計算）です。" in p.text
    assert rows.pop("評価なし")[0] == "32"  # none of the 32 KPIs has a published S/A/B/C rating
    assert all(r[0] == "0" for r in rows.values())
    assert sum(int(r[1]) for r in rows.values()) == 32


def test_seed_list_filters_on_the_rating_named(seeded):
    official_b = webdata.parse_html(seeded.get("/kpis?rating=B&basis=official").text).tables["kpi-table"][1:]
    computed_b = webdata.parse_html(seeded.get("/kpis?rating=B&basis=computed").text).tables["kpi-table"][1:]
    assert len(official_b) == 1 and len(computed_b) == 4
    api = seeded.get("/api/kpis?rating=B&basis=official").json()
    assert api["total"] == 1
    assert api["items"][0]["rating"]["basis"] == "official" and api["items"][0]["rating"]["official"] == "B"


def test_small_database_item_page_names_both_ratings(tmp_path):
    url = f"sqlite:///{tmp_path / 'web.db'}"
    webdata.build(url)
    client = TestClient(create_app(url))
    html = client.get("/items/1").text
    # 窓口業務のアウトソーシング: published B beside computed A, each named.
    assert '<span class="which">公表</span>' in html and '<span class="which">計算</span>' in html
    assert "評価(計算・公表)" in html
    storage.dispose_engines()
