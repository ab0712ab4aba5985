"""Pages in a real browser (Debian's Chromium through Playwright): clicking through overview → KPI list → KPI page →
measure search → case page, the English switch, keyboard use, and proof that no page requests anything off 127.0.0.1."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_click_through_overview_kpis_measures_cases(site, page, shoot):
    page.goto(site + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("h1")).to_have_text("概要")
    distribution = page.locator("#distribution")
    # Published first, the recomputation beside (issue 11): published A 1, B 2; computed A 1, B 1.
    expect(distribution.locator("tr", has_text="順調（達成を含む）").locator("td")).to_have_text(["1", "1", ""])
    expect(distribution.locator("tr", has_text="遅れ").locator("td")).to_have_text(["2", "1", ""])
    shoot(page, "01-overview")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="KPI一覧").click()
    expect(page.locator("h1")).to_have_text("KPI一覧")
    expect(page.get_by_role("status")).to_have_text("4件のKPI")
    page.get_by_label("階層", exact=True).select_option("1")
    page.get_by_role("button", name="表示", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("3件のKPI")
    expect(page.locator("#kpi-table tbody tr")).to_have_count(3)
    shoot(page, "02-kpi-list")

    page.get_by_role("link", name="窓口業務のアウトソーシング").click()
    expect(page.locator("h1")).to_have_text("窓口業務のアウトソーシング")
    expect(page.locator("#chart .main-svg").first).to_be_visible()  # Plotly drew it, from /vendor/plotly.min.js
    points = page.locator("table", has=page.locator("caption", has_text="グラフの値"))
    expect(points.locator("tbody tr").nth(0)).to_contain_text("208団体")
    expect(points).to_contain_text("実績(速報)")
    expect(points).to_contain_text("416団体")
    expect(page.locator("#main")).to_contain_text("計画線上の想定289団体を上回る301団体")
    expect(page.locator("#main")).to_contain_text("2018年3月（平成30年3月）")
    shoot(page, "03-kpi-page")

    page.get_by_role("link", name="改革工程表の進捗(試験用)、2017-10-01（平成29年10月1日）、4行目").first.click()
    expect(page.locator("#L4")).to_contain_text("窓口業務のアウトソーシング")
    assert page.evaluate("location.hash") == "#L4"
    shoot(page, "04-document-line")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="国の施策").click()
    page.get_by_role("searchbox", name="全文検索").fill("電子調達")
    page.get_by_role("button", name="検索").click()
    expect(page.locator("#results-heading")).to_have_text("1件の施策")
    shoot(page, "05-measure-search")
    page.get_by_role("link", name="マイナンバーカードと電子委任状を活用した政府調達").click()
    expect(page.locator("h1")).to_have_text("1. マイナンバーカードと電子委任状を活用した政府調達")
    expect(page.locator("dl.facts").first).to_contain_text("総務省 (主担当)")
    shoot(page, "06-measure-page")

    # the header's box on any page: kana find the kanji name
    page.get_by_role("searchbox", name="KPI・施策・事例・文書・自治体を検索").fill("まどぐち")
    page.get_by_role("button", name="探す").click()
    expect(page.locator("h1")).to_have_text("サイト内検索")
    expect(page.get_by_role("status")).to_have_text("3件見つかりました。")
    expect(page.locator("ol.hits li").first).to_contain_text("窓口業務のアウトソーシング")
    shoot(page, "06b-site-search")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="先進・優良事例").click()
    page.get_by_role("link", name="窓口業務の民間委託").click()
    expect(page.locator("h1")).to_have_text("窓口業務の民間委託")
    effects = page.locator("#effects + .table-wrap table")
    expect(effects.locator("tbody tr").first).to_contain_text("5,000万円")
    expect(effects.locator("tbody tr").first).to_contain_text("▲24%")
    shoot(page, "07-case-page")


def test_measure_facets_narrow_the_list(site, page, shoot):
    page.goto(site + "/measures")
    expect(page.locator("#results-heading")).to_have_text("3件の施策")
    page.get_by_role("link", name="住民生活の安全・安心の確保").click()
    expect(page.locator("#results-heading")).to_have_text("1件の施策")
    expect(page.locator("#measure-table tbody")).to_contain_text("地域の防災情報の共有")
    shoot(page, "08-measure-facet")


def test_english_switch_keeps_language_across_links(site, page, shoot):
    page.goto(site + "/")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Overview")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="KPIs").click()
    expect(page.locator("h1")).to_have_text("KPIs")
    page.get_by_role("link", name="総合窓口の導入").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#main")).to_contain_text("215, below the planned path")
    expect(page.locator("#chart .main-svg").first).to_be_visible()
    expect(page.locator("#chart .legendtext").first).to_have_text("Observed (preliminary)")
    shoot(page, "09-kpi-page-en")


def test_keyboard_reaches_the_content_and_the_filters(site, page):
    page.goto(site + "/kpis")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "本文へ移動"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    page.get_by_label("キーワード").focus()
    page.keyboard.type("庶務")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("1件のKPI")


PAGES = ["/", "/?lang=en", "/kpis", "/kpis/1", "/kpis/1?lang=en", "/items", "/items/1", "/measures",
         "/measures?q=電子調達", "/measures/1", "/cases", "/cases/1", "/documents", "/documents/1", "/documents/2",
         "/api"]


def test_no_page_requests_anything_outside_the_server(site, page):
    page.goto(site + "/")
    nav = page.get_by_role("navigation", name="メインメニュー").get_by_role("link")
    plugged = [urlparse(h).path for h in nav.evaluate_all("links => links.map(a => a.href)")]
    for path in PAGES + [p for p in plugged if p not in PAGES]:
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
    hosts = {urlparse(u).hostname for u in page.requested}
    assert hosts == {"127.0.0.1"}, sorted(u for u in page.requested if urlparse(u).hostname != "127.0.0.1")
    assert any(u.endswith("/vendor/plotly.min.js") for u in page.requested)
    assert len([u for u in page.requested if re.search(r"/(kpis|measures|cases|documents)", u)]) >= 9


def test_document_text_shows_one_row_per_line(site, page):
    """Blank lines of a document are one row high, not two: the list itself must not render its own newlines."""
    page.goto(site + "/documents/3")  # platform.txt: 31 empty lines
    tops = page.locator("ol.doc-lines > li").evaluate_all("items => items.map(li => li.getBoundingClientRect().top)")
    assert len(tops) == 31
    steps = {round(b - a) for a, b in zip(tops, tops[1:])}
    line_height = page.locator("#L1").evaluate("li => parseFloat(getComputedStyle(li).lineHeight)")
    assert steps == {round(line_height)}, (steps, line_height)
