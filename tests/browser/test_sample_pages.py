"""What `make demo` serves: the bundled sample (the seeds' facts) rated under every scheme, clicked through in
Chromium from the overview to a KPI, a measure found by full-text search and an advanced case."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_seeds_facts_are_shown_page_by_page(sample_site, page, shoot):
    page.goto(sample_site + "/")
    expect(page.locator("#distribution")).to_contain_text("順調（達成を含む）")
    expect(page.locator("#changes + p")).to_contain_text("5件の文書")
    shoot(page, "sample-01-overview")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="KPI一覧").click()
    page.get_by_role("link", name="窓口業務のアウトソーシング", exact=True).click()
    expect(page.locator("h1")).to_have_text("窓口業務のアウトソーシング")
    expect(page.locator("#chart .main-svg").first).to_be_visible()
    main = page.locator("#main")
    expect(main).to_contain_text("2020年度までに416団体")
    expect(main).to_contain_text("301団体(2017年4月速報値)")
    expect(main).to_contain_text("2020年度末（令和2年度末）")
    shoot(page, "sample-02-kpi-page")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="国の施策").click()
    expect(page.locator("#results-heading")).to_have_text("82件の施策")
    page.get_by_role("searchbox", name="全文検索").fill("電子委任状")
    page.get_by_role("button", name="検索").click()
    expect(page.locator("#results-heading")).to_have_text("1件の施策")
    page.get_by_role("link", name="マイナンバーカードと電子委任状を活用した政府調達").click()
    expect(page.locator("dl.facts").first).to_contain_text("01-05")
    shoot(page, "sample-03-measure")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="先進・優良事例").click()
    page.get_by_role("link", name="神奈川県海老名市").first.click()
    effects = page.locator("#effects + .table-wrap table tbody tr")
    expect(effects.first).to_contain_text("5,000万円")
    expect(effects.first).to_contain_text("▲24%")
    expect(effects.first).to_contain_text("市民総合窓口:0.5億円(▲24%)コスト削減(1年間)")
    shoot(page, "sample-04-case")

    # the source named by its title and date (the file name 004_61602f91609cf434.txt on hover)
    page.get_by_role("link", name="公共サービスイノベーション・プラットフォーム in 東北、2017-07-07", exact=False).first.click()
    expect(page.locator("#main")).to_contain_text("同梱のサンプルデータから読み込まれたため本文を保持していません")
    shoot(page, "sample-05-document")
    assert {urlparse(u).hostname for u in page.requested} == {"127.0.0.1"}


def test_kpi_list_filters_sort_and_search_on_the_sample(sample_site, page, shoot):
    def shown() -> list[str]:
        return page.locator("#kpi-table tbody tr td:nth-child(2)").all_inner_texts()

    def submit(action) -> None:
        with page.expect_navigation():
            action()

    page.goto(sample_site + "/kpis")
    status = page.get_by_role("status")
    page.get_by_label("改革項目").select_option(label="⑪民間の大胆な活用による適正な民間委託等の加速")
    submit(page.get_by_role("button", name="表示", exact=True).click)
    items = page.locator("#kpi-table tbody tr td:nth-child(3)").all_inner_texts()
    assert set(items) == {"⑪民間の大胆な活用による適正な民間委託等の加速"}
    assert {"窓口業務のアウトソーシング", "総合窓口の導入", "庶務業務の集約化", "標準委託仕様書等を使用するモデル自治体数"} <= set(shown())
    expect(status).to_have_text(f"{len(items)}件のKPI")
    # Rated as of the sample's newest observation: 総合窓口 215団体 against 256 on the planned path to 370,
    # 標準委託仕様書… 4団体 against 6団体 by FY2016: B by the computation (and by document 000). The filter asks
    # for the recomputation: by default it filters on the published rating, else the computed one.
    page.get_by_label("評価", exact=True).select_option("B")
    page.get_by_label("絞り込む評価").select_option("computed")
    submit(page.get_by_role("button", name="表示", exact=True).click)
    assert shown() == ["総合窓口の導入", "標準委託仕様書等を使用するモデル自治体数"]
    expect(status).to_have_text("2件のKPI")
    submit(page.get_by_role("link", name="条件をクリア").click)
    page.get_by_label("府省庁").select_option("IT室")
    page.get_by_label("並べ替え").select_option("name")
    page.get_by_label("順序").select_option("1")
    submit(page.get_by_role("button", name="表示", exact=True).click)
    assert shown() == ["自治体にアドバイスや意見交換等を行った件数",
                       "マイナンバー制度の活用や国による地方自治体のIT化・BPR推進による経済・財政効果(事後的に検証する指標)",
                       "IT化・BPRに取り組んだ自治体数"]
    expect(page.locator("#kpi-table thead th[aria-sort='descending']")).to_contain_text("KPI")
    submit(page.get_by_role("link", name="条件をクリア").click)
    page.get_by_label("キーワード").fill("窓口")  # two characters, in the name or in how a document wrote it
    submit(lambda: page.keyboard.press("Enter"))
    assert set(shown()) >= {"窓口業務のアウトソーシング", "総合窓口の導入", "電子政府の総合窓口(e-Gov)へのアクセス件数"}
    assert all("窓口" in name for name in shown())
    page.get_by_label("評価方式").select_option("policy-evaluation")
    submit(page.get_by_role("button", name="表示", exact=True).click)
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#kpi-table tbody tr").first.locator("td.ratings")).to_contain_text("計算")
    shoot(page, "sample-06-kpi-list-filtered")


def test_two_character_searches_find_measures_and_cases(sample_site, page, shoot):
    page.goto(sample_site + "/measures")
    page.get_by_role("searchbox", name="全文検索").fill("窓口")  # below the trigram length: still found
    page.get_by_role("button", name="検索").click()
    expect(page.locator("#results-heading")).to_have_text("2件の施策")
    shoot(page, "sample-07-measure-search-2chars")
    page.goto(sample_site + "/cases")
    page.get_by_role("searchbox", name="事例の検索").fill("窓口")
    page.get_by_role("button", name="検索").click()
    expect(page.get_by_role("status")).to_have_text("5件の事例")
    expect(page.locator("#case-table tbody")).to_contain_text("神奈川県海老名市")


def test_money_kpi_chart_reads_oku_yen_and_japanese_dates(sample_site, page, shoot):
    page.goto(sample_site + "/kpis")
    page.get_by_role("link", name="政府情報システム運用コスト", exact=True).click()
    expect(page.locator("#chart .main-svg").first).to_be_visible()
    expect(page.locator("#chart .ytitle")).to_have_text("値 (億円)")
    ticks = page.locator("#chart .ytick text").all_text_contents()
    assert "4,000" in ticks and not any(t.endswith("B") for t in ticks), ticks
    years = page.locator("#chart .xtick text").all_text_contents()
    assert years and all(t.endswith("年") or "年" in t for t in years), years
    # the 見込み is the printed 2021年度までに約29%の削減見込み (000 l.333): 2,840億円 at the deadline
    expect(page.locator("#chart .legendtext")).to_have_text(["計画線", "予測", "基準値", "実績", "見込み", "目標"])
    points = page.locator("table", has=page.locator("caption", has_text="グラフの値"))
    expect(points.locator("tbody tr").last).to_contain_text("2,800億円")
    shoot(page, "sample-08-money-kpi")


def test_every_page_loads_without_errors_or_outside_requests(sample_site, page):
    """Each list page, the first item of each, in both languages: no failed response, no script error, and no
    request off 127.0.0.1 (the favicon and Plotly included)."""
    failed, errors = [], []
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(sample_site + "/")
    nav = page.get_by_role("navigation", name="メインメニュー").get_by_role("link")
    lists = [urlparse(h).path for h in nav.evaluate_all("links => links.map(a => a.href)")]
    details = []
    for path in ("/kpis", "/items", "/measures", "/cases", "/documents"):
        page.goto(sample_site + path)
        href = page.locator(f"main a[href^='{path}/']").first.get_attribute("href")
        details.append(href)
    assert len(details) == 5 and "/api" in lists and "/kpis" in lists
    visited = 0
    for path in lists + details:
        for lang in ("", "?lang=en"):
            page.goto(sample_site + path + (lang if "?" not in path else lang.replace("?", "&")))
            page.wait_for_load_state("networkidle")
            visited += 1
    assert visited >= 2 * (len(lists) + 5)
    assert failed == [] and errors == []
    assert {urlparse(u).hostname for u in page.requested} == {"127.0.0.1"}
    assert any(u.endswith("/static/favicon.svg") for u in page.requested)
