"""Issue 11, class 1: a KPI that improves downward (a rank 位, hours, counts of systems, costs) reads the right way:
its target is written 「16位以内」/「32時間以内」, never "≥ 16位"; a rank's chart axis runs best at the top; the
planned path never plans a decline. On seed 002 (and 000) and on a small sheet of the same shape with other numbers."""
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
from mieruka.storage.queries import kpi_rows
from mieruka.web import create_app
from mieruka.web.chart import kpi_chart
from mieruka.web.formatting import bounded

RANK_SHEET = Path(__file__).parent / "fixtures" / "policy_evaluation" / "rank_sheet.txt"
RANKING = "国際連合「電子政府ランキング」における行政オンラインサービスの充実度ランキング"


def _db(url: str, *paths) -> dict[str, dict]:
    storage.ensure_schema(url)
    for p in paths:
        ingest_file(p, url)
    with storage.session_scope(url) as s:
        return {k["name"]: k for k in kpi_rows(s)}


def _path(chart: dict) -> tuple[list, list]:
    line = next(t for t in chart["traces"] if t["name"] == "計画線")
    return line["x"], line["y"]


def _chart_json(html: str) -> dict:
    return json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S).group(1))


def test_bound_words_follow_the_direction():
    assert bounded(16, "位", "le", "down") == "16位以内"
    assert bounded(16, "位", "ge", "down") == "16位以内"  # 平成28年度値以上 of a rank, as older readers stored it
    assert bounded(32, "時間", "le", "down") == "32時間以内"
    assert bounded(725, "システム", "le", "down") == "725システム以下"
    assert bounded(416, "団体", "ge", "up") == "416団体以上"
    assert bounded(416, "団体", None, "up") == "416団体"
    assert bounded(16, "位", "le", "down", lang="en") == "16位 or better"
    assert bounded(32, "時間", "le", "down", lang="en") == "at most 32時間"


def test_seed_ranking_target_is_within_rank_16(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("002"))
    rank = kpis[RANKING]
    assert rank["direction"] == "down" and rank["unit"] == "位"
    # 002 l.32: 平成26年度値以上 (FY2016), 平成28年度値以上 (FY2018 and final 【30年度】): each "that rank or better".
    assert [(t["comparator"], t["relative"]["base_fiscal_year"], t["deadline"]) for t in rank["targets"]] == [
        ("le", 2014, date(2017, 3, 31)), ("le", 2016, date(2019, 3, 31)), ("le", 2016, date(2019, 3, 31))]
    html = TestClient(create_app(sqlite_url)).get(f"/kpis/{rank['id']}").text
    assert "16位以内" in html and "4位以内" in html
    assert "2016年度値以内" in html
    assert "≥" not in html and "≤" not in html
    # 電子決裁に要する期間 (002 l.40): 38/35/32時間以内, read as written.
    hours = TestClient(create_app(sqlite_url)).get(f"/kpis/{kpis['電子決裁に要する期間']['id']}").text
    for bound in ("38時間以内", "35時間以内", "32時間以内"):
        assert bound in hours


def test_seed_ranking_chart_is_inverted_and_never_plans_a_decline(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("002"))
    chart = kpi_chart(kpis[RANKING], [], "ja")
    assert chart["reversed"] is True
    # 4位 (FY2014) held to FY2016, then from FY2016's 16位 held to FY2018: two flat segments, never 4 → 16.
    assert _path(chart) == (["2015-03-31", "2017-03-31", None, "2017-03-31", "2019-03-31"], [4.0, 4.0, None, 16.0, 16.0])
    page = _chart_json(TestClient(create_app(sqlite_url)).get(f"/kpis/{kpis[RANKING]['id']}").text)
    assert page["reversed"] is True
    # Hours fall along the yearly targets 40.1 → 38 → 35 → 32; the axis is not inverted for hours.
    hours = kpi_chart(kpis["電子決裁に要する期間"], [], "ja")
    assert hours["reversed"] is False
    assert _path(hours)[1] == [40.1, 38.0, 35.0, 32.0]


def test_seed_falling_kpis_of_the_reform_schedule(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("000"))
    systems, cost = kpis["政府情報システム数"], kpis["政府情報システム運用コスト"]
    assert systems["direction"] == cost["direction"] == "down"
    # 半減 of 1,450 (FY2012) by FY2018 and 3割圧縮 of 4,000億円 (FY2013) by FY2021: paths fall to the target.
    assert _path(kpi_chart(systems, [], "ja")) == (["2013-03-31", "2019-03-31"], [1450.0, 725.0])
    assert _path(kpi_chart(cost, [], "ja"))[1] == [4000.0, 2800.0]
    assert kpi_chart(systems, [], "ja")["reversed"] is False


def test_seed_rating_sentence_says_within(sqlite_url, seed_file):
    kpis = _db(sqlite_url, seed_file("002"))
    r = next(x for x in rate_all([kpis[RANKING]], load("policy-evaluation"), date(2019, 3, 31)))
    assert r.code == "イ"
    assert r.explanation.startswith("目標16位(2016年度値16位以内、2018年度末)を9位(2018年度)で達成している")


def test_small_sheet_rank_of_other_numbers(sqlite_url):
    kpis = _db(sqlite_url, RANK_SHEET)
    rank = kpis["窓口サービス国際比較ランキング"]
    assert rank["direction"] == "down"
    assert {t["comparator"] for t in rank["targets"]} == {"le"}
    chart = kpi_chart(rank, [], "ja")
    assert chart["reversed"] is True
    # 7位 (FY2014) held to FY2016; the FY2016 actual 12位 is the bound for FY2018.
    assert _path(chart) == (["2015-03-31", "2017-03-31", None, "2017-03-31", "2019-03-31"], [7.0, 7.0, None, 12.0, 12.0])
    html = TestClient(create_app(sqlite_url)).get(f"/kpis/{rank['id']}").text
    assert "12位以内" in html and "7位以内" in html and "≥" not in html
    r = next(x for x in rate_all([rank], load("policy-evaluation"), date(2019, 3, 31)))
    assert r.code == "イ" and r.explanation.startswith("目標12位(2016年度値12位以内、2018年度末)を5位(2018年度)で達成")
    wait = kpis["窓口の待ち時間"]
    assert wait["unit"] == "分" and wait["direction"] == "down"
    assert _path(kpi_chart(wait, [], "ja"))[1] == [25.0, 22.0, 20.0, 18.0]
    page = TestClient(create_app(sqlite_url)).get(f"/kpis/{wait['id']}").text
    assert "18分以内" in page and "22分以内" in page
