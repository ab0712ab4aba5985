"""The report page's steps and evidence files, the rounds page's correction form and a correction's comparison page
in Chromium, at 390 and 1280 px in both languages: no page wider than the screen, no axe-core violation, and an
evidence file that is HTML downloads as a file instead of opening as a page."""
from __future__ import annotations

from datetime import date

import pytest
import webdata
from live_server import serving
from test_every_page import AXE_RUN, WIDEST, _axe

from mieruka import storage
from mieruka.accounts import service
from mieruka.workflow import corrections, evidence, reports, rounds, steps

pytestmark = pytest.mark.browser

PASSWORD = "Kasumigaseki-2019-extras"
STEP = "業務改革モデルプロジェクト"


@pytest.fixture(scope="module")
def extras_site(tmp_path_factory):
    """Round 1 published with report 1 (a step's progress, an HTML evidence file), corrected by round 2 (published);
    round 3 open with report 6 holding the step's progress and two evidence files."""
    url = f"sqlite:///{tmp_path_factory.mktemp('extras') / 'extras.db'}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        service.create_user(s, "sec", "事務局", PASSWORD, "secretariat")
        service.create_user(s, "rep", "総務", PASSWORD, "reporter", organisations=["総務省"])
        sec, rep = (service.principal(s, service.store.user_by_login(s, x)) for x in ("sec", "rep"))
        first = rounds.open_round(s, sec, "2018年度 進捗報告", date(2018, 3, 31), date(2018, 5, 31))
        r = reports.store.report(s, 1)
        steps.save(s, rep, r, {STEP: "3団体でモデル事業を実施した。"}, 1)
        reports.save(s, rep, r, {"actual_text": "330団体 (2018年4月速報値)"}, 2)
        reports.submit(s, rep, r, 3)
        reports.approve(s, sec, r, 4)
        rounds.publish(s, sec, first)
        fix = corrections.open_correction(s, sec, first, "実績値の集計誤りを訂正する")
        corrections.amend(s, sec, fix, 1, {"actual_text": "331団体 (2018年4月速報値)"}, via="web")
        rounds.publish(s, sec, fix)
        third = rounds.open_round(s, sec, "2019年度 進捗報告", date(2019, 3, 31), date(2019, 5, 31))
        mine = reports.store.reports(s, round_id=third.id)[0]
        steps.save(s, rep, mine, {STEP: "5団体に広げた。"}, 1)
        evidence.attach(s, rep, mine, b"<!DOCTYPE html><script>alert(1)</script>", "<script>.html")
        evidence.attach(s, rep, mine, b"%PDF-1.4\n%%EOF\n", "総務省調査の集計表(2019年4月1日現在).pdf")
        assert (fix.id, third.id, mine.id) == (2, 3, 6)
    with serving(url) as base:
        yield base
    storage.dispose_engines()


@pytest.mark.parametrize("width", (390, 1280))
def test_the_pages_fit_the_screen_and_break_no_axe_rule(extras_site, browser, width):
    base = extras_site
    axe = _axe()
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    problems = []

    def visit(path: str, lang: str) -> None:
        answer = page.goto(base + path + ("?lang=en" if lang == "en" else ""))
        assert answer.status == 200, path
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            problems.append(f"{lang} {path}: {scroll} px wide at {width} px ({', '.join(page.evaluate(WIDEST))})")
        page.add_script_tag(path=str(axe))
        problems.extend(f"{lang} {path}: axe {v}" for v in page.evaluate(AXE_RUN))

    for lang in ("ja", "en"):
        visit("/rounds/2/changes", lang)
    for login, paths in (("rep", ["/reports/6"]), ("sec", ["/rounds", "/reports/6"])):
        context.clear_cookies()
        page.goto(base + "/signin")
        page.get_by_label("ログイン名").fill(login)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="サインイン").click()
        page.wait_for_load_state()
        for lang in ("ja", "en"):
            for path in paths:
                visit(path, lang)
    page.goto(base + "/reports/6")
    with page.expect_download() as caught:
        page.get_by_role("link", name="<script>.html").click()
    # Chromium saves it (its own file-name rule turns < and > into _) and stays on the report page
    assert caught.value.suggested_filename == "_script_.html" and page.url == base + "/reports/6"
    context.close()
    assert problems == [], "\n".join(problems)
