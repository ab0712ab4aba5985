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
    expect(main).to_contain_text("2021-03-31（令和3年3月31日）")
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

    page.get_by_role("link", name="004_61602f91609cf434.txt", exact=False).first.click()
    expect(page.locator("#main")).to_contain_text("同梱のサンプルデータから読み込まれたため本文を保持していません")
    shoot(page, "sample-05-document")
    assert {urlparse(u).hostname for u in page.requested} == {"127.0.0.1"}
