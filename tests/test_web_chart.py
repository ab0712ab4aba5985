"""The KPI chart on the bundled sample (the seeds' facts): a relative target (3割圧縮 of 4,000億円) is charted as the
evaluator reads it, money is drawn in 億円 rather than as "400B", and no zero-length forecast is drawn."""
from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.storage.queries import kpi_rows
from mieruka.web import create_app
from mieruka.web.evaluation import demo_database


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('chart') / 'sample.db'}"
    demo_database(url)
    with storage.session_scope(url) as s:
        ids = {k["name"]: k["id"] for k in kpi_rows(s)}
    yield TestClient(create_app(url)), ids
    storage.dispose_engines()


def chart_of(html: str) -> dict:
    data = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(data)


def test_relative_target_is_charted_in_oku_yen_with_its_planned_path(sample):
    client, ids = sample
    html = client.get(f"/kpis/{ids['政府情報システム運用コスト']}").text
    chart = chart_of(html)
    traces = {t["name"]: t for t in chart["traces"]}
    assert chart["unit"] == "億円"
    # 2013年度 4,000億円 → 3割圧縮 by FY2021: 2,800億円 at 2022-03-31, on the axis in 億円.
    assert traces["目標"]["x"] == ["2022-03-31"] and traces["目標"]["y"] == [pytest.approx(2800.0)]
    assert traces["基準値"]["y"] == [pytest.approx(4000.0)]
    assert traces["実績"]["y"] == [pytest.approx(3743.0)]
    assert traces["計画線"]["x"] == ["2014-03-31", "2022-03-31"]
    assert traces["計画線"]["y"] == [pytest.approx(4000.0), pytest.approx(2800.0)]
    # The table of values and the targets table give the resolved amount and say how it was worked out.
    assert '<td class="num" lang="ja" translate="no">2,800億円</td>' in html  # a figure from the documents: data
    assert "2,800億円 <span class=\"muted\">(2013年度値の0.7倍)</span>" in html


def test_english_page_names_the_base_year_of_a_relative_target(sample):
    client, ids = sample
    html = client.get(f"/kpis/{ids['政府情報システム運用コスト']}?lang=en").text
    assert "(0.7 × the FY2013 value)" in html


def test_no_forecast_line_when_the_latest_actual_is_at_the_deadline(sample):
    client, ids = sample
    # 電子決裁に要する期間: the last actual (2019-03-31) is at the final target's deadline.
    chart = chart_of(client.get(f"/kpis/{ids['電子決裁に要する期間']}").text)
    names = [t["name"] for t in chart["traces"]]
    assert "予測" not in names
    assert names == ["計画線", "基準値", "実績", "目標", "年度ごとの目標"]
    assert chart["unit"] == "時間"


def test_a_kpi_without_dated_figures_shows_no_empty_values_table(sample):
    client, ids = sample
    html = client.get(f"/kpis/{ids['窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数']}").text
    assert "日付の付いた数値がないため、グラフは表示できません。" in html
    assert "グラフの値" not in html


def test_forecast_values_are_marked_apart_and_listed_after_actuals(sample):
    client, ids = sample
    # 地方税の徴収率: 2014年度 98.9% (actual), 2016年度(見込み) 99.2% (a forecast value).
    chart = chart_of(client.get(f"/kpis/{ids['地方税の徴収率']}").text)
    markers = [(t["name"], t["marker"]["symbol"], t["y"]) for t in chart["traces"] if t["mode"] == "markers"]
    assert markers == [("実績", "triangle-up", [98.9]), ("見込み", "diamond-open", [99.2])]
    assert chart["unit"] == "%"
