"""Local-body pages in a real browser: finding a body, the body beside its similar group, the prefecture map of a
full 1,741-municipality survey, a bottom-up KPI with its audit finding, the savings calculator; nothing leaves 127.0.0.1."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest
import webdata
from live_server import serving
from playwright.sync_api import expect

from mieruka import storage
from mieruka.bodies import registry
from mieruka.municipalities.importing import import_attributes, import_survey
from mieruka.storage import local_bodies as store

pytestmark = pytest.mark.browser

SURVEYS = Path(__file__).resolve().parents[1] / "fixtures" / "surveys"
EBINA, ZAMA = "142158", "142166"


def full_survey() -> bytes:
    """All 1,741 municipalities: every sixth adopted, then more until 300 (one short of the published 301);
    海老名市 adopted at 1.583億円 a year after 2.083億円, 座間市 not adopted at 1.2億円."""
    bodies = registry.municipalities()
    adopted = {b.code for i, b in enumerate(bodies) if i % 6 == 0} | {EBINA}
    adopted.discard(ZAMA)
    extra = (b.code for i, b in enumerate(bodies) if i % 6 == 3 and b.code != ZAMA)
    while len(adopted) < 300:
        adopted.add(next(extra))
    lines = ["団体コード,市区町村名,窓口委託,導入前経費,導入後経費"]
    for b in bodies:
        costs = {EBINA: "208333000,158333000", ZAMA: "120000000,"}.get(b.code, ",")
        lines.append(f"{b.code},{b.name},{'○' if b.code in adopted else '×'},{costs}")
    return "\n".join(lines).encode("cp932")


def build(url: str) -> int:
    """The web tests' database plus attributes, the full survey and a bottom-up KPI; returns the KPI's id."""
    webdata.build(url)
    with storage.session_scope(url) as s:
        store.link_cases(s)
        import_attributes(s, (SURVEYS / "attributes.csv").read_bytes(), "attributes.csv")
        import_survey(s, full_survey(), "zenkoku.csv", "窓口委託", date(2017, 4, 1))
        return store.define_survey_kpi(s, "窓口委託", "count", kpi=_kpi_key(s))["kpi_id"]


def _kpi_key(session) -> str:
    from sqlalchemy import select

    from mieruka.storage import models as m

    return session.scalars(select(m.Kpi.key).where(m.Kpi.name == "窓口業務のアウトソーシング")).one()


@pytest.fixture(scope="module")
def local_site(tmp_path_factory):
    """(base URL, bottom-up KPI id) of the app over the local-body test database, served in a thread."""
    url = f"sqlite:///{tmp_path_factory.mktemp('local') / 'local.db'}"
    kpi_id = build(url)
    with serving(url) as base:
        yield base, kpi_id
    storage.dispose_engines()


def _only_local_requests(page, base: str) -> None:
    outside = [u for u in page.requested if urlparse(u).netloc != urlparse(base).netloc and not u.startswith("data:")]
    assert outside == []


def test_find_a_body_and_see_it_beside_its_group(local_site, page, shoot):
    site, _ = local_site
    page.goto(site + "/local")
    expect(page.locator("h1")).to_have_text("地方公共団体")
    expect(page.locator("figure.local-map svg path[data-code]")).to_have_count(47)
    page.get_by_label("団体名またはコード").fill("府中市")
    page.get_by_role("button", name="表示", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("「府中市」という名前の団体は2つあります。都道府県名を付けるか、次の候補から選んでください。")
    expect(page.get_by_role("link", name="東京都府中市")).to_be_visible()
    expect(page.get_by_role("link", name="広島県府中市")).to_be_visible()
    shoot(page, "local-01-search")

    page.get_by_label("団体名またはコード").fill("海老名市")
    page.get_by_role("button", name="表示", exact=True).click()
    expect(page.locator("h1")).to_have_text("神奈川県海老名市")
    expect(page.locator("dl.facts")).to_contain_text("都市 Ⅲ-3(100,000〜150,000人)")
    expect(page.locator("dl.facts")).to_contain_text("3(Ⅱ次・Ⅲ次95%以上、Ⅲ次65%以上)")
    rows = page.locator("#group-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("神奈川県座間市")
    expect(rows.nth(0)).to_contain_text("930円")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    expect(rows.nth(1)).to_contain_text("1,209円")
    expect(page.locator("#rank")).to_have_text("2団体中2位")
    expect(page.locator("#group-adoption")).to_have_text("50%(1/2団体)")
    kanagawa = page.locator('figure.local-map path[data-code="14"]')
    expect(kanagawa.locator("title")).to_have_text("神奈川県: 21.2% (7/33)")
    expect(page.locator("figure.local-map path.highlight")).to_have_count(1)
    shoot(page, "local-02-body")

    page.get_by_role("link", name="この効果で試算する").first.click()
    expect(page.locator("#before-value")).to_have_text("2.1億円")  # the case's costs, to its two figures
    expect(page.locator("#cut")).to_have_text("5,000万円")
    page.go_back()
    page.get_by_role("link", name="窓口業務の民間委託").click()
    expect(page.locator("h1")).to_have_text("窓口業務の民間委託")
    page.go_back()
    page.locator('figure.local-map a:has(path[data-code="14"])').click()
    expect(page.locator("h1")).to_have_text("神奈川県")
    expect(page.locator("#members-table tbody tr")).to_have_count(33)
    expect(page.locator("#members-table tbody tr", has_text="海老名市")).to_contain_text("導入済")
    shoot(page, "local-03-prefecture")
    _only_local_requests(page, site)


def test_bottom_up_kpi_map_and_finding(local_site, page, shoot):
    site, kpi_id = local_site
    page.goto(f"{site}/local/kpi/{kpi_id}")
    expect(page.locator("h1")).to_have_text("窓口業務のアウトソーシング")
    expect(page.locator("#national")).to_have_text("300団体")
    expect(page.locator("#finding")).to_contain_text("調査の集計 300団体(300/1,741団体, 2017-04-01現在)は公表値 301団体 と 1団体 異なる")
    svg = page.locator("figure.local-map svg")
    expect(svg.locator("path[data-code]")).to_have_count(47)
    expect(svg.locator('path[fill="url(#nodata)"][data-code]')).to_have_count(0)  # every prefecture answered
    expect(svg.locator('path[data-code="01"] title')).to_have_text("北海道: 38団体 (38/179)")
    # Counts get whole-number classes (2 to 38 団体 over the prefectures), darkest first.
    expect(svg.locator("g.legend text")).to_have_text(["31–38団体", "24–30団体", "16–23団体", "9–15団体", "2–8団体", "データなし"])
    expect(page.locator("#published")).to_contain_text("301団体")
    page.get_by_text("地図の値").click()
    expect(page.locator("details.map-values tbody tr").first).to_contain_text("北海道")
    shoot(page, "local-04-kpi")
    _only_local_requests(page, site)


def test_savings_calculator_from_a_case_and_by_hand(local_site, page, shoot):
    site, _ = local_site
    page.goto(site + "/savings")
    page.get_by_label("先進・優良事例から入力").select_option(label="神奈川県海老名市: 0.5億円 (▲24%)/年")
    page.get_by_role("button", name="計算").click()
    expect(page.get_by_label("事例の団体の人口(人)")).to_have_value("131000")  # the linked body's imported population
    # 0.5億円 at ▲24%: one and two significant figures, so the costs are shown to two, not as 2.083億円
    expect(page.locator("#before-value")).to_have_text("2.1億円")
    expect(page.locator("#cut")).to_have_text("5,000万円")
    expect(page.locator("#cut-percent")).to_have_text("24%")
    expect(page.locator("#cut-per-resident")).to_have_text("380円")
    expect(page.locator("#savings-digits")).to_have_text("金額は入力の精度に合わせて有効数字2桁に丸めています。")
    shoot(page, "local-05-savings-case")

    # scaled to a body half 海老名市's size, then the same cut applied to one's own cost of 3億円
    page.get_by_label("人口の比で換算する").check()
    page.get_by_label("自団体の人口(人)").fill("65500")
    page.get_by_role("button", name="計算").click()
    expect(page.locator("#before-value")).to_have_text("1億円")
    expect(page.locator("#cut")).to_have_text("2,500万円")
    expect(page.locator("#cut-per-resident")).to_have_text("380円")
    page.get_by_label("自団体の導入前経費に同じ削減率を当てはめる").check()
    page.get_by_label("導入前の経費(円)").fill("3億円")
    page.get_by_role("button", name="計算").click()
    expect(page.locator("#after-value")).to_have_text("2.3億円")
    expect(page.locator("#cut")).to_have_text("7,200万円")

    page.get_by_label("先進・優良事例から入力").select_option(label="(選択しない)")
    page.get_by_label("事例の経費のまま").check()
    page.get_by_label("導入前の経費(円)").fill("10.97億円")
    page.get_by_label("導入後の経費(円)").fill("6.0335億円")
    page.get_by_label("期間(年)").fill("5")
    page.get_by_label("自団体の人口(人)").fill("")
    page.get_by_role("button", name="計算").click()
    expect(page.locator("#cut")).to_have_text("4.94億円")  # four significant figures: 10.97億円
    expect(page.locator("#cut-per-year")).to_have_text("9,873万円")
    expect(page.locator("#cut-per-resident")).to_have_text("人口を入れると計算します")
    expect(page.locator("#savings-rise")).to_have_count(0)
    page.get_by_label("導入後の経費(円)").fill("12億円")
    page.get_by_role("button", name="計算").click()
    expect(page.locator("#savings-rise")).to_have_text(
        "導入後の経費が導入前を上回っています。削減ではなく増加です(削減額はマイナスで表示しています)。")
    expect(page.locator("#cut")).to_have_text("▲1億円")  # 12億円 holds two figures: ▲1.03億円 would claim four
    page.get_by_label("期間(年)").fill("0")
    page.get_by_role("button", name="計算").click()
    expect(page.get_by_role("status")).to_have_text("期間(年)は0より大きい値にしてください(0が入力されました)。")
    page.get_by_label("導入後の経費(円)").fill("たくさん")
    page.get_by_role("button", name="計算").click()
    expect(page.get_by_role("status")).to_contain_text("読み取れない入力があります: 導入後の経費(円)")
    _only_local_requests(page, site)


def test_english_and_keyboard(local_site, page):
    site, _ = local_site
    page.goto(f"{site}/local/{EBINA}?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#group")).to_contain_text("Similar bodies")
    expect(page.locator("#rank")).to_have_text("2 of 2")
    expect(page.locator("figure.local-map figcaption")).to_contain_text("窓口委託: share adopted")
    link = page.locator('figure.local-map a:has(path[data-code="13"])')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("東京都")
    assert "lang=en" in page.url
