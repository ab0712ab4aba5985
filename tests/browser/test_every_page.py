"""Every page at a phone's width (390 px) and a desk's (1280 px), in Japanese and in English: nothing wider than the
screen (a wide table scrolls inside its own labelled, focusable region) and no axe-core violation. axe-core comes from
npm through the project's package.json (`npm ci`, run by `make test`), injected from node_modules: no outside request.
A screenshot of every page at 390 px is saved under test-artifacts/ (every-390-<lang>-<page>.png)."""
from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

import pytest
from live_server import serving
from sqlalchemy import select

from mieruka import storage
from mieruka.accounts import service
from mieruka.municipalities.importing import import_attributes, import_survey
from mieruka.storage import local_bodies as store
from mieruka.storage import models as m
from mieruka.web.routes_local import _case_choices

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SURVEYS = ROOT / "tests" / "fixtures" / "surveys"
EBINA, KANAGAWA = "142158", "140007"
WIDTHS = (390, 1280)
ADMIN_PASSWORD = "Kanri-sha-2019-every-page"
# Pages only a signed-in user sees, visited after signing in as the user who may see them.
SIGNED_IN = {"root": {"my": "/my", "users": "/admin/users"}, "sec": {"rounds": "/rounds", "review": "/review"}}


def _axe() -> Path:
    """axe-core as package-lock.json pins it, installed by `npm ci` when node_modules lacks it (offline after once)."""
    if not AXE.exists():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0 or not AXE.exists():
            pytest.fail(f"axe-core is not installed: run `npm ci` in {ROOT} ({done.stderr.strip()[-300:]})")
    return AXE


def _first(session, column, *where) -> int:
    return session.scalars(select(column).where(*where).order_by(column).limit(1)).one()


@pytest.fixture(scope="module")
def every_page(tmp_path_factory):
    """(base URL, the pages to visit): what `make demo` serves plus a survey, so the local pages draw their maps."""
    from mieruka.web.evaluation import demo_database

    url = f"sqlite:///{tmp_path_factory.mktemp('every') / 'every.db'}"
    demo_database(url)
    with storage.session_scope(url) as s:
        store.link_cases(s)
        import_attributes(s, (SURVEYS / "attributes.csv").read_bytes(), "attributes.csv")
        import_survey(s, (SURVEYS / "madoguchi_utf8.csv").read_bytes(), "madoguchi.csv", "窓口委託", date(2017, 4, 1))
        kpi = _first(s, m.Kpi.id, m.Kpi.name == "窓口業務のアウトソーシング")
        bottom_up = store.define_survey_kpi(s, "窓口委託", "count", kpi=str(kpi))["kpi_id"]
        item = _first(s, m.ReformItem.id)
        measure = _first(s, m.Measure.id)
        case = _first(s, m.AdvancedCase.id)
        effect = _case_choices(s)[0]["value"]  # the first case effect the calculator can start from
        document = _first(s, m.Document.id)
        service.create_user(s, "root", "管理者", ADMIN_PASSWORD, "admin")
        service.create_user(s, "sec", "事務局", ADMIN_PASSWORD, "secretariat")
    demo_database(url)  # again: rates and audits as of the date the pages now show (the survey added figures)
    pages = {
        "overview": "/", "kpis": "/kpis", "kpi": f"/kpis/{kpi}", "kpi-history": f"/kpis/{kpi}/history",
        "items": "/items", "item": f"/items/{item}", "measures": "/measures", "measure": f"/measures/{measure}",
        "cases": "/cases", "case": f"/cases/{case}", "documents": "/documents", "document": f"/documents/{document}",
        "local": "/local", "local-search": "/local?q=府中市", "body": f"/local/{EBINA}",
        "prefecture": f"/local/{KANAGAWA}", "bottom-up": f"/local/kpi/{bottom_up}", "savings": "/savings",
        "savings-case": f"/savings?case={effect}", "savings-zero-years": "/savings?before=100&after=50&years=0",
        "api": "/api", "glossary": "/glossary", "search": "/search?q=まどぐち", "plans": "/plans", "body-plans": f"/local/{EBINA}/plan", "signin": "/signin",
        "not-found": "/kpis/999999", "bad-date": "/local?as_of=someday",
    }
    with serving(url) as base:
        yield base, pages
    storage.dispose_engines()


def _url(base: str, path: str, lang: str) -> str:
    return base + path + ("" if lang == "ja" else ("&" if "?" in path else "?") + "lang=en")


WIDEST = """() => { const w = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > w + 1 && !e.parentElement.closest('.table-wrap'))
    .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + e.className : '')
                        + ' ' + Math.round(e.getBoundingClientRect().right) + 'px'); }"""

AXE_RUN = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(
  v => v.id + ' (' + v.nodes.length + '): ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')))"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen_nor_breaks_an_axe_rule(every_page, browser, width):
    base, pages = every_page
    axe = _axe()
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    # bypass_csp: the pages allow only their own scripts, and axe is injected by the test, not served by the app.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    problems, statuses = [], {}

    def visit(name: str, path: str, lang: str) -> None:
        answer = page.goto(_url(base, path, lang))
        statuses[name] = answer.status
        assert urlparse(page.url).path == path.split("?")[0]  # not sent to the sign-in form or elsewhere
        assert page.locator("html").get_attribute("lang") == lang
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            problems.append(f"{lang} {path}: {scroll} px wide at {width} px ({', '.join(page.evaluate(WIDEST))})")
        page.add_script_tag(path=str(axe))
        problems.extend(f"{lang} {path}: axe {v}" for v in page.evaluate(AXE_RUN))
        if width == 390:
            page.screenshot(path=str(artifacts / f"every-390-{lang}-{name}.png"), full_page=True)

    for lang in ("ja", "en"):
        for name, path in pages.items():
            visit(name, path, lang)
    for login, signed_in_pages in SIGNED_IN.items():
        context.clear_cookies()
        page.goto(base + "/signin")
        page.get_by_label("ログイン名").fill(login)
        page.get_by_label("パスワード").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.wait_for_load_state()
        for lang in ("ja", "en"):
            for name, path in signed_in_pages.items():
                visit(name, path, lang)
    context.close()
    assert problems == [], "\n".join(problems)
    assert {n: s for n, s in statuses.items() if s != 200} == {"not-found": 404, "bad-date": 422, "savings-zero-years": 422}
    assert {urlparse(u).netloc for u in requested} == {urlparse(base).netloc}


def test_wide_tables_scroll_in_a_labelled_focusable_region_and_the_audit_table_stays_readable(every_page, browser):
    base, pages = every_page
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(base + "/kpis")
    region = page.locator(".table-wrap").first
    assert (region.get_attribute("tabindex"), region.get_attribute("role"), region.get_attribute("aria-label")) == (
        "0", "region", "KPI一覧")
    assert page.evaluate("(e) => e.scrollWidth > e.clientWidth", region.element_handle())  # it scrolls, the page does not
    region.focus()  # a keyboard user scrolls it with the arrow keys
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    # the region scrolls (smoothly, so it is waited for; wait_for_function fails after 5 s if it never moves)
    page.wait_for_function("(e) => e.scrollLeft > 0", arg=region.element_handle(), timeout=5000)
    page.goto(base + "/")
    messages = page.locator("#audit ~ .table-wrap table tbody tr td:nth-child(3)")
    assert messages.count() > 0
    narrowest = min(messages.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)"))
    font = float(page.evaluate("parseFloat(getComputedStyle(document.querySelector('#audit ~ .table-wrap td')).fontSize)"))
    assert narrowest >= 6 * font  # at least six characters a line, not three
    context.close()
