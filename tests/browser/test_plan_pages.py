"""A plan for 海老名市 built in a real browser by the body's own user, who signs in from the plan page's notice: five
national measures from three pillars chosen through the catalogue filters, the DOCX and XLSX downloaded and re-read (python-docx, openpyxl), two actuals for one KPI rated and shown
on the body's page, the log naming the user's login; no page runs a script or asks anything outside 127.0.0.1."""
from __future__ import annotations

import io
from urllib.parse import urlparse

import plandata
import pytest
from docx import Document
from live_server import serving
from openpyxl import load_workbook
from playwright.sync_api import expect

from mieruka import storage
from mieruka.accounts import service
from mieruka.plans.draft import fiscal_year_label
from mieruka.storage import local_bodies

pytestmark = pytest.mark.browser

EBINA_PASSWORD = "Ebina-jouhou-2024"


@pytest.fixture(scope="module")
def plan_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plans")
    url = f"sqlite:///{tmp / 'plans.db'}"
    plandata.build(url, tmp)
    with storage.session_scope(url) as s:
        local_bodies.ensure_registry(s)
        service.create_user(s, "ebina-joho", "海老名市 情報政策課", EBINA_PASSWORD, "local", local_body="142158")
    with serving(url) as base:
        yield base
    storage.dispose_engines()


def test_build_download_and_track_a_plan(plan_site, page, shoot):
    base = plan_site
    assert len({c[1] for c in plandata.CHOICES}) == 3
    page.goto(f"{base}/local/142158")
    page.click("#plan-link")
    # a reader sees who may edit instead of the form, and signs in from there
    expect(page.locator("#start-form")).to_have_count(0)
    expect(page.locator("#who-may-edit")).to_contain_text("神奈川県海老名市の担当者")
    page.click("#plan-sign-in")
    page.get_by_label("ログイン名").fill("ebina-joho")
    page.get_by_label("パスワード").fill(EBINA_PASSWORD)
    page.get_by_role("button", name="サインイン").click()
    page.wait_for_url(f"{base}/local/142158/plan")
    expect(page.locator("#who-may-edit")).to_have_count(0)
    page.click("#start-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("海老名市官民データ活用推進計画")
    plan_url = page.url

    for choice in plandata.CHOICES:
        no, pillar, section, kpi, baseline, target, deadline, schedule = choice
        page.goto(plan_url)
        page.select_option("#f-pillar", pillar)
        page.click("form.filters button[type=submit]")
        row = page.locator(f"#catalogue-table tbody tr:has(td.num:text-is('{no}'))")
        expect(row).to_have_count(1)
        row.locator("a.pick").click()
        expect(page.locator("#national-measure")).to_contain_text(pillar)
        page.fill("#section", section)
        if kpi:
            page.fill("#kpi", kpi)
        page.fill("#baseline", baseline)
        page.fill("#target", target)
        page.fill("#deadline", deadline)
        page.fill("#schedule", schedule)
        page.click("#measure-form button[type=submit]")
        expect(page.locator(f"#chosen-table tbody tr:has(td.num:text-is('{no}'))")).to_have_count(1)

    rows = page.locator("#chosen-table tbody tr")
    expect(rows).to_have_count(5)
    shoot(page, "plan-ebina")

    with page.expect_download() as got:
        page.click("#download-docx")
    docx = Document(io.BytesIO(open(got.value.path(), "rb").read()))
    with page.expect_download() as got:
        page.click("#download-xlsx")
    xlsx = load_workbook(io.BytesIO(open(got.value.path(), "rb").read())).active

    table = [[c.text for c in r.cells] for r in docx.tables[0].rows]
    annex = [[c.text for c in r.cells] for r in docx.tables[1].rows]
    sheet = list(xlsx.iter_rows(values_only=True))
    header = sheet[1]
    by_no = {str(r[0]): dict(zip(header, r)) for r in sheet[2:]}
    assert [r[0] for r in table[1:]] == [str(c[0]) for c in plandata.CHOICES] == [r[0] for r in annex[1:]]
    for no, pillar, section, kpi, baseline, target, deadline, schedule in plandata.CHOICES:
        docx_row = next(r for r in table if r[0] == str(no))
        xlsx_row = by_no[str(no)]
        assert next(r for r in annex if r[0] == str(no))[3] == pillar
        assert docx_row[3] == xlsx_row["担当課"] == section
        if kpi:
            assert docx_row[4] == xlsx_row["KPI"] == kpi
        else:
            assert docx_row[4] == xlsx_row["KPI"] == xlsx_row["国のKPI"]
        assert (docx_row[5], docx_row[6]) == (baseline, target) == (xlsx_row["基準値"], xlsx_row["目標値"])
        for line in schedule.splitlines():
            year, work = line.split(": ")
            fy = 2018 + int(year[2:-2])  # 令和n年度
            assert f"{fiscal_year_label(fy)}: {work}" in docx_row[8].split("\n")
            assert xlsx_row[fiscal_year_label(fy)] == work
        assert docx_row[2] == xlsx_row["国の施策名"]

    # two actuals for the first KPI (本市のオープンデータ公開数, 40件 → 100件)
    first = page.locator("#chosen-table tbody tr").first
    for value, as_of in (("43件", "2025-03-31"), ("52件", "令和7年度末")):
        form = page.locator("#chosen-table tbody tr").first.locator("form.actual-form")
        form.locator("input[name=value]").fill(value)
        form.locator("input[name=as_of]").fill(as_of)
        form.locator("button").click()
    expect(first.locator("td.rating-cell")).to_contain_text("A")
    expect(first.locator("td.rating-cell")).to_contain_text("基準値より改善（10%超）")
    log = page.locator("#change-log tbody tr")
    expect(log).to_have_count(1 + 5 + 2)
    for i in range(8):
        expect(log.nth(i).locator("td").nth(1)).to_have_text("ebina-joho")

    page.goto(f"{base}/local/142158")
    kpi_row = page.locator("table.plan-kpis tbody tr").first
    expect(kpi_row).to_contain_text("本市のオープンデータ公開数")
    expect(kpi_row).to_contain_text("52件")
    expect(kpi_row).to_contain_text("A 基準値より改善（10%超）")
    expect(kpi_row).to_contain_text("地方公共団体が保有するデータのオープンデータ化の推")
    shoot(page, "plan-ebina-body")
    assert {urlparse(u).hostname for u in page.requested} == {"127.0.0.1"}
    assert page.locator("script:not([src])").count() == 0
