"""Issue 11, class 4: dates are written no more precisely than the documents give them. 「2020年度までに」 is shown as
「2020年度末（令和2年度末）」 while 2021-03-31 stays stored; 「2018年3月頃」 as 「2018年3月（平成30年3月）」; a yearly KPI
is charted on fiscal years; a forecast names a fiscal year, never a day. On seeds 000 and 002 and on a small document
of the same shape with other numbers and dates."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.evaluate.rate import rate_all
from mieruka.evaluate.schemes import load
from mieruka.loading.documents import ingest_file
from mieruka.jp.dates import format_period_en, format_period_ja, precision_of
from mieruka.storage.queries import kpi_rows
from mieruka.web import create_app
from mieruka.web.chart import kpi_chart

RANK_SHEET = Path(__file__).parent / "fixtures" / "policy_evaluation" / "rank_sheet.txt"
SMALL = "\n".join([
    "重要課題: 地方の行財政の改革", "", "改革項目: 窓口業務の民間委託の推進", "", "KPIの状況", "",
    "KPI\t目標値 (達成時期)\tKPIの進捗\t\t",
    "\t\t実績値 (時点)\t区分\t次回の把握時期と今後の方針",
    "第一階層 窓口業務の委託団体数\t2022年度までに 500団体\t320団体 (2019年7月速報値)\tA\t2020年6月頃に公表。",
    "",
])


def _db(url, *paths):
    storage.ensure_schema(url)
    for p in paths:
        ingest_file(p, url)
    with storage.session_scope(url) as s:
        return {k["name"]: k for k in kpi_rows(s)}


def test_period_formats():
    assert format_period_ja(date(2021, 3, 31), "fiscal_year") == "2020年度末（令和2年度末）"
    assert format_period_ja(date(2019, 3, 31), "fiscal_year") == "2018年度末（平成30年度末）"
    assert format_period_ja(date(2020, 3, 31), "fiscal_year") == "2019年度末（令和元年度末）"
    assert format_period_ja(date(2018, 3, 1), "month") == "2018年3月（平成30年3月）"
    assert format_period_ja(date(2019, 5, 1), "month") == "2019年5月（令和元年5月）"
    assert format_period_ja(date(2017, 4, 1), "day") == "2017-04-01（平成29年4月1日）"
    assert format_period_ja(date(2017, 4, 1)) == "2017-04-01（平成29年4月1日）"
    assert format_period_en(date(2021, 3, 31), "fiscal_year") == "end of FY2020"
    assert format_period_en(date(2018, 3, 1), "month") == "Mar 2018"


@pytest.mark.parametrize("text, day, precision", [
    ("2020年度までに 416団体", date(2021, 3, 31), "fiscal_year"),
    ("301団体 (2017年4月速報値)", date(2017, 4, 1), "month"),
    ("2017年4月確報値は、2018年3月頃に公表。", date(2018, 3, 1), "month"),
    ("842団体 (H28.4.1時点)", date(2016, 4, 1), "day"),
    ("1117 (2016年度末)", date(2017, 3, 31), "fiscal_year"),
    ("16位", date(2017, 3, 31), "fiscal_year"),  # a value in a 年度 column
    ("16位", date(2017, 4, 1), None),  # not written and not a fiscal year's end: unknown, never guessed
])
def test_precision_of(text, day, precision):
    assert precision_of(text, day) == precision


def test_seed_fiscal_year_target_and_month_point(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("000"))
    window = kpis["窓口業務のアウトソーシング"]
    # 000 l.12: 2020年度までに 416団体; 301団体 (2017年4月速報値); 2017年4月確報値は、2018年3月頃に公表。
    t = window["targets"][0]
    assert (t["deadline"], t["deadline_precision"]) == (date(2021, 3, 31), "fiscal_year")
    o = next(o for o in window["observations"] if o["value"] == 301)
    assert (o["as_of"], o["as_of_precision"]) == (date(2017, 4, 1), "month")
    nm = next(a for a in window["appearances"] if a["next_measurement_date"])
    assert (nm["next_measurement_date"], nm["next_measurement_precision"]) == (date(2018, 3, 1), "month")
    html = TestClient(create_app(sqlite_url)).get(f"/kpis/{window['id']}").text
    assert "2020年度末</span><span class=\"nw\">（令和2年度末）" in html
    assert "2021-03-31（令和3年3月31日）" not in html and "令和3年3月31日" not in html
    assert "2017年4月</span><span class=\"nw\">（平成29年4月）" in html
    assert "2018年3月</span><span class=\"nw\">（平成30年3月）" in html and "平成30年3月1日" not in html


def test_seed_forecast_names_a_fiscal_year_not_a_day(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("000"))
    r = rate_all([kpis["窓口業務のアウトソーシング"]], load("reform-schedule"), date(2018, 6, 1))[0]
    assert r.explanation.endswith("現在のペースでの到達は2020年度頃。")
    assert not re.search(r"\d{4}-\d{2}-\d{2}頃", r.explanation)
    assert r.explanation_en.endswith("at the current pace the target is reached around FY2020.")


def test_seed_yearly_kpi_is_charted_on_fiscal_years(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("002"))
    chart = kpi_chart(kpis["電子決裁に要する期間"], [], "ja")
    # 002 l.40–41: 40.1時間 【26年度】, targets for 28–30年度, actuals 56.9/58.7/60.3時間 in the 28–30年度 columns.
    assert [t["label"] for t in chart["fiscal_years"]] == ["2014年度", "2015年度", "2016年度", "2017年度", "2018年度"]
    assert chart["fiscal_years"][-1]["x"] == "2019-03-31"
    assert [t["label"] for t in kpi_chart(kpis["電子決裁に要する期間"], [], "en")["fiscal_years"]][0] == "FY2014"
    # クラウド導入市区町村数 is counted on 1 April (H29.4.1時点): not a yearly axis.
    assert kpi_chart(kpis["クラウド導入市区町村数"], [], "ja")["fiscal_years"] == []


def test_small_document_of_other_dates(sqlite_url, tmp_path):
    doc = tmp_path / "small.txt"
    doc.write_text(SMALL, encoding="utf-8")
    kpis = _db(sqlite_url, doc, RANK_SHEET)
    k = kpis["窓口業務の委託団体数"]
    assert (k["targets"][0]["deadline"], k["targets"][0]["deadline_precision"]) == (date(2023, 3, 31), "fiscal_year")
    html = TestClient(create_app(sqlite_url)).get(f"/kpis/{k['id']}").text
    assert "2022年度末</span><span class=\"nw\">（令和4年度末）" in html
    assert "2019年7月</span><span class=\"nw\">（令和元年7月）" in html
    assert "2020年6月</span><span class=\"nw\">（令和2年6月）" in html
    wait = kpi_chart(kpis["窓口の待ち時間"], [], "ja")
    assert [t["label"] for t in wait["fiscal_years"]] == ["2014年度", "2015年度", "2016年度", "2017年度", "2018年度"]
    page = TestClient(create_app(sqlite_url)).get(f"/kpis/{kpis['窓口の待ち時間']['id']}").text
    assert json.loads(re.search(r'id="chart-data">(.*?)</script>', page, re.S).group(1))["fiscal_years"][0] == {
        "x": "2015-03-31", "label": "2014年度"}
    assert "2018年度末</span><span class=\"nw\">（平成30年度末）" in page
