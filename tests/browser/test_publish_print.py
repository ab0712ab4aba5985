"""The print views in Chromium: reached from the document and KPI pages, printed A4 with nothing fetched from
elsewhere, and the PDF download carrying the table as text; a screenshot of each print view in test-artifacts/."""
from __future__ import annotations

import httpx
import pytest

from publish_helpers import norm, pdf_text

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page_path,link,name,expect", [
    ("/documents/1", "/documents/1/kpi-table.html", "print-kpi-table-2016", "⑪民間の大胆な活用による適正な民間委託等の加速"),
    ("/documents/3", "/documents/3/policy-table.html", "print-policy-8", "相当程度進展あり"),
    ("/kpis/2", "/kpis/2/sheet.html", "print-kpi-sheet-2", "指標シート"),
])
def test_print_view_from_its_page(sample_site, page, shoot, page_path, link, name, expect):
    page.goto(sample_site + page_path)
    page.click(f'a[href="{link}"]')
    page.wait_for_load_state("load")
    assert page.url == sample_site + link
    assert expect in page.inner_text("body")
    assert page.locator("script").count() == 0 and page.locator("nav").count() == 0
    page.emulate_media(media="print")
    shoot(page, f"publish/{name}")
    assert all(url.startswith(sample_site) for url in page.requested), page.requested


def test_pdf_download_holds_the_table(sample_site):
    r = httpx.get(sample_site + "/documents/1/kpi-table.pdf", timeout=120)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    text = norm(pdf_text(r.content))
    assert "KPIの状況" in text and "窓口業務のアウトソーシング" in text and "2016-12-21(平成28年12月21日)" in text
