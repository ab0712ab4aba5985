"""The server-rendered pages through FastAPI's TestClient on the web-test database (tests/webdata.py):
what each page shows, its filters, the English switch, provenance links and the accessibility basics."""
from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.web import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'pages.db'}"
    webdata.build(url)
    yield TestClient(create_app(url))
    storage.dispose_engines()


def page(client, url: str):
    r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    return webdata.parse_html(r.text)


def first_column(rows: list[list[str]]) -> list[str]:
    return [r[0] for r in rows[1:]]


def test_overview_heads_with_the_published_ratings_then_the_recomputation(client):
    p = page(client, "/")
    assert p.tables["distribution"][0][:3] == ["評価", "公表（文書の評価）", "mierukaの再計算"]
    rows = {r[0]: r[1:3] for r in p.tables["distribution"][1:]}
    # published / recomputed: 窓口 published B (recomputed A), 総合窓口 B (B), 庶務 published A only, 歳出 published N only.
    assert rows["A 順調（達成を含む）"] == ["1", "1"]
    assert rows["B 遅れ"] == ["2", "1"]
    assert rows["N 現時点で判断できない"] == ["1", "0"]
    assert rows["F 目標未設定"] == ["0", "0"]
    assert rows["評価なし"] == ["0", "2"]


def test_overview_groups_by_item_and_ministry_and_reports_the_last_run(client):
    p = page(client, "/")
    by_item = next(t for t in p.tables.values() if t and t[0][0] == "区分" and "民間" in t[1][0])
    # Named with its number, as the KPI list and the item page name it.
    # counted by the published ratings: A 庶務, B 窓口 and 総合窓口, N 歳出
    assert by_item[1][:6] == ["⑪民間の大胆な活用による適正な民間委託等の加速", "4", "1", "2", "1", ""]
    by_ministry = next(t for t in p.tables.values() if t and t[0][0] == "区分" and t[1][0] == "総務省")
    assert by_ministry[1][:5] == ["総務省", "3", "1", "2", ""]
    assert by_ministry[2][:2] == ["(未設定)", "1"]
    text = "".join(p.text)
    assert "最新の取り込み: 2024-01-01 09:00（令和6年1月1日）(3件の文書)" in text
    assert "初回の取り込みです。KPI 4件を新たに登録しました。" in text


def test_kpi_list_filters_search_and_sort(client):
    def names(url):
        return [r[1] for r in page(client, url).tables["kpi-table"][1:]]

    assert names("/kpis") == ["窓口業務のアウトソーシング", "総合窓口の導入", "庶務業務の集約化", "歳出効率化の成果(事後的に検証する指標)"]
    assert names("/kpis?tier=2") == ["歳出効率化の成果(事後的に検証する指標)"]
    assert names("/kpis?q=庶務") == ["庶務業務の集約化"]
    assert names("/kpis?rating=B") == ["窓口業務のアウトソーシング", "総合窓口の導入"]  # published B (else recomputed)
    assert names("/kpis?rating=B&basis=official") == ["窓口業務のアウトソーシング", "総合窓口の導入"]
    assert names("/kpis?rating=B&basis=computed") == ["総合窓口の導入"]
    assert names("/kpis?rating=A&basis=computed") == ["窓口業務のアウトソーシング"]
    assert names("/kpis?ministry=総務省&sort=name&desc=1") == ["総合窓口の導入", "窓口業務のアウトソーシング", "庶務業務の集約化"]
    # An empty form field means "any", not an error.
    assert len(names("/kpis?item=&tier=&rating=&ministry=&q=")) == 4


def test_kpi_list_shows_values_with_wareki_and_both_ratings(client):
    rows = page(client, "/kpis").tables["kpi-table"]
    first = rows[1]
    assert first[5] == "208団体 2014年度（平成26年度）"  # 「2014年度 208団体」: the 年度, not its 31 March
    assert first[6] == "301団体 (速報値) 2017年4月（平成29年4月）"
    assert first[7] == "416団体 2020年度末（令和2年度末）"
    # Which rating is which is written out, not left to the border style alone.
    assert first[8] == "公表 B 遅れ 再計算 A 順調（達成を含む）"
    assert rows[3][8] == "公表 A 順調（達成を含む）"  # 庶務業務の集約化: no computed rating, the official one marked so


def test_kpi_page_chart_ratings_appearances_and_next_measurement(client):
    r = client.get("/kpis/1")
    p = webdata.parse_html(r.text)
    chart = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', r.text, re.S).group(1))
    by_name = {t["name"]: t for t in chart["traces"]}
    assert list(by_name) == ["計画線", "予測", "基準値", "実績(速報)", "目標"]
    assert by_name["計画線"]["x"] == ["2015-03-31", "2021-03-31"] and by_name["計画線"]["y"] == [208.0, 416.0]
    assert by_name["予測"]["x"] == ["2017-04-01", "2021-03-31"] and by_name["予測"]["y"] == [301.0, 420.0]
    assert by_name["実績(速報)"]["marker"]["symbol"] == "circle-open"
    assert by_name["目標"]["marker"]["symbol"] == "star"
    points = next(t for t in p.tables.values() if t[0] == ["種別", "時点", "値", "記載"])
    assert points[1:] == [["基準値", "2014年度（平成26年度）", "208団体", "2014年度 208団体"],
                          ["実績(速報)", "2017年4月（平成29年4月）", "301団体", "301団体 (2017年4月速報値)"],
                          ["目標", "2020年度末（令和2年度末）", "416団体", "2020年度までに 416団体"]]
    assert "計画線上の想定289団体を上回る301団体" in r.text
    assert "2017年4月確報値は2018年3月頃に公表 (2018年3月（平成30年3月）)" in "".join(p.text)
    assert '<script src="/vendor/plotly.min.js"></script>' in r.text
    links = [a["href"] for tag, a in p.elements if tag == "a" and a.get("href", "").startswith("/documents/")]
    assert "/documents/1#L4" in links


def test_kpi_page_in_english_keeps_lang_in_links(client):
    r = client.get("/kpis/2?lang=en")
    p = webdata.parse_html(r.text)
    assert '<html lang="en">' in r.text
    assert "215, below the planned path" in r.text
    internal = [a["href"] for tag, a in p.elements if tag == "a" and a.get("href", "").startswith("/")
                and not a["href"].startswith(("/static", "/api/openapi"))]
    switch = [h for h in internal if "lang=en" not in h]
    assert switch == ["/kpis/2"]  # only the 日本語 switch drops it


def test_missing_kpi_is_a_404_page_in_the_language_asked(client):
    r = client.get("/kpis/999?lang=en")
    assert r.status_code == 404
    assert '<html lang="en">' in r.text and "KPI 999 not found" in r.text


def test_reform_item_page_steps_timeline_in_fiscal_year_order_and_kpis(client):
    r = client.get("/items/1")
    p = webdata.parse_html(r.text)
    assert "（順調）" in r.text
    periods = re.findall(r'<span class="period"(?: lang="ja" translate="no")?>(.*?)</span>', r.text)
    # A cell the reader could not put under a fiscal year comes last, said in words rather than as "（列不明）".
    assert periods == ["2016年度", "2017年度", "（年度の列を特定できない記載）"]
    english = re.findall(r'<span class="period">(.*?)</span>', client.get("/items/1?lang=en").text)
    assert english[-1] == "(fiscal-year column not identified)"
    assert "経済・財政再生計画 改革工程表(平成27年12月24日) (2015-12-24（平成27年12月24日）)" in "".join(p.text)
    kpis = next(t for t in p.tables.values() if t[0][0] == "KPI")
    assert first_column(kpis) == ["窓口業務のアウトソーシング", "総合窓口の導入", "庶務業務の集約化", "歳出効率化の成果(事後的に検証する指標)"]


def test_measure_facets_count_under_the_other_facets(client):
    p = page(client, "/measures?effect=efficiency")
    assert first_column(p.tables["measure-table"]) == ["1", "2"]
    text = " ".join(" ".join(p.text).split())
    assert "手続における情報通信の技術の利用等 (2)" in text
    assert "住民生活の安全・安心の確保 (1)" in text  # what choosing it instead would give
    assert first_column(page(client, "/measures?lead=内閣官房").tables["measure-table"]) == ["2"]


def test_measure_facets_in_catalogue_order_and_ministries_by_count(client):
    from mieruka.web.listings import MeasureFilter, measure_table

    html = client.get("/measures").text
    pillar = html[html.index("<legend>対応する柱</legend>"):html.index("<legend>期待される効果</legend>")]
    assert re.findall(r'>([^<>]+)</a> <span class="muted">\((\d+)\)', pillar) == [
        ("手続における情報通信の技術の利用等", "2"), ("官民データの利活用", "1")]  # measures 1–2, then 3
    ministry = html[html.index("<legend>府省庁</legend>"):html.index("<legend>主担当府省庁</legend>")]
    assert re.findall(r'>([^<>]+)</a> <span class="muted">\((\d+)\)', ministry)[0] == ("総務省", "2")
    rows = [{"id": 1, "no": 2, "pillar": "b", "timing": None, "effects": {}, "ministries": []},
            {"id": 2, "no": 1, "pillar": "z", "timing": None, "effects": {}, "ministries": []}]
    assert [v for v, _ in measure_table(rows, MeasureFilter())[1]["pillar"]] == ["z", "b"]


@pytest.mark.parametrize("query, expected", [
    ("電子調達", ["1"]),               # trigram index
    ("オンライン化", ["2"]),           # overview text
    ("０１－０５", ["1"]),             # full-width code, NFKC-folded
    ("防災", ["3"]),                   # two characters: substring scan
    ("総務省 電子", ["1"]),            # every term must occur
    ("存在しない施策", []),
])
def test_measure_search(client, query, expected):
    rows = page(client, f"/measures?q={query}").tables["measure-table"]
    assert [r[0] for r in rows[1:] if r[0].isdigit()] == expected


def test_measure_page_shows_kpis_support_and_links(client):
    r = client.get("/measures/1")
    assert '<h1>1. <span lang="ja" translate="no">マイナンバーカードと電子委任状を活用した政府調達</span></h1>' in r.text
    assert "電子調達の利用件数" in r.text and "電子応札率" in r.text and "セミナーの開催を検討" in r.text
    assert '<a href="https://www.e-gov.go.jp/" rel="external noopener noreferrer">' in r.text
    # the source named by its document's title (and date when it has one), the file name on hover
    assert '<a href="/documents/2#L3" title="catalogue.json"><span lang="ja" translate="no">国の施策一覧(試験用)</span>、3行目</a>' in r.text
    assert "総務省</a> (主担当)" in r.text


def test_case_library_search_and_effects(client):
    rows = page(client, "/cases").tables["case-table"]
    assert rows[1] == ["窓口業務の民間委託", "神奈川県海老名市", "窓口業務改革", "5,000万円 (▲24%) / 1年間"]
    assert rows[2] == ["庶務業務の集約化", "大阪府大阪市", "内部管理業務", "5.08億円 (▲46%) / 5年間"]
    assert first_column(page(client, "/cases?q=海老名").tables["case-table"]) == ["窓口業務の民間委託"]
    assert first_column(page(client, "/cases?q=大阪").tables["case-table"]) == ["庶務業務の集約化"]
    assert first_column(page(client, "/cases?theme=内部管理業務").tables["case-table"]) == ["庶務業務の集約化"]


def test_document_page_has_line_anchors_or_says_it_has_only_facts(client):
    r = client.get("/documents/1")
    assert re.search(r'<li id="L4"><a class="ln" href="#L4">4</a>- 1 窓口業務のアウトソーシング\t2020年度までに 416団体', r.text)
    r = client.get("/documents/2")
    assert "同梱のサンプルデータから読み込まれたため本文を保持していません" in r.text
    facts = next(t for t in webdata.parse_html(r.text).tables.values() if t[0][0] == "行")
    assert [row[:3] for row in facts[1:]] == [["3", "施策", "1. マイナンバーカードと電子委任状を活用した政府調達"],
                                              ["4", "施策", "2. デジタルファーストの実現に向けたシステム基盤の構築"],
                                              ["5", "施策", "3. 地域の防災情報の共有"]]
    assert 'id="L3"' in r.text


PAGES = ["/", "/kpis", "/kpis/1", "/items", "/items/1", "/measures", "/measures/1", "/cases", "/cases/1",
         "/documents", "/documents/1", "/documents/2", "/api"]


@pytest.mark.parametrize("url", PAGES)
def test_page_accessibility_basics(client, url):
    r = client.get(url)
    assert r.text.startswith('<!DOCTYPE html>\n<html lang="ja">')
    p = webdata.parse_html(r.text)
    levels = [int(tag[1]) for tag, _ in p.elements if re.fullmatch(r"h[1-6]", tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels  # never skips a level going down
    labelled = {a.get("for") for tag, a in p.elements if tag == "label"}
    controls = [a for tag, a in p.elements if tag in ("input", "select") and a.get("type") != "hidden"]
    assert all(c.get("id") in labelled for c in controls)


@pytest.mark.parametrize("url", PAGES + ["/?lang=en", "/kpis/1?lang=en"])
def test_pages_load_nothing_from_outside(client, url):
    p = page(client, url)
    loaded = [a.get("src") or a.get("href") for tag, a in p.elements
              if tag in ("script", "img", "iframe") and a.get("src") or tag == "link" and a.get("href")]
    assert all(u.startswith("/") for u in loaded), loaded


def test_assets_come_from_this_server(client):
    from mieruka.web.routers.assets import PLOTLY_JS

    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and r.content == PLOTLY_JS.read_bytes()
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/docs").status_code == 404  # Swagger UI would load its scripts from a CDN
