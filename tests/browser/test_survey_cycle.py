"""A survey answered by a local body, in a real browser: the secretariat opens a survey within a round from /surveys;
海老名市's local account finds it on /my, types an answer the survey reader cannot read (named, kept, nothing saved),
fixes it and submits; the secretariat returns it with a comment; the local account sees the comment, changes the
answer and submits again; the secretariat approves it, and the bottom-up KPI of the initiative counts it. Another
body's account and an anonymous visitor never see the answer."""
from __future__ import annotations

from datetime import date

import pytest
import webdata
from live_server import serving
from playwright.sync_api import expect

from mieruka import storage
from mieruka.accounts import service
from mieruka.evaluate import bottom_up
from mieruka.storage import local_bodies
from mieruka.workflow import rounds

pytestmark = pytest.mark.browser

PASSWORD = "Chousa-kaitou-2019"
EBINA, CHIYODA = "142158", "131016"


@pytest.fixture
def survey_site(tmp_path):
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        local_bodies.ensure_registry(s)
        service.create_user(s, "jimu", "事務局 花子", PASSWORD, "secretariat")
        service.create_user(s, "ebina", "海老名市 企画課", PASSWORD, "local", local_body=EBINA)
        service.create_user(s, "chiyoda", "千代田区 企画課", PASSWORD, "local", local_body=CHIYODA)
        kpi = local_bodies.define_survey_kpi(s, "窓口業務の民間委託", "count")["kpi_id"]
        sec = service.principal(s, service.store.user_by_login(s, "jimu"))
        rounds.open_round(s, sec, "2019年度 進捗報告", date(2019, 3, 31), date(2019, 5, 31))
    with serving(url) as base:
        yield base, url, kpi
    storage.dispose_engines()


def sign_in(browser, base, login):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    pg = context.new_page()
    pg.goto(f"{base}/signin")
    pg.get_by_label("ログイン名").fill(login)
    pg.get_by_label("パスワード").fill(PASSWORD)
    pg.get_by_role("button", name="サインイン").click()
    pg.wait_for_load_state()
    return pg


def test_a_local_body_answers_and_the_secretariat_returns_then_approves(survey_site, browser):
    base, url, kpi = survey_site
    # the secretariat opens the survey
    sec = sign_in(browser, base, "jimu")
    sec.goto(f"{base}/surveys")
    sec.get_by_label("取組(例: 窓口業務の民間委託)").fill("窓口業務の民間委託")
    sec.get_by_label("時点").fill("2019-04-01")
    sec.get_by_role("button", name="調査を開始").click()
    expect(sec.locator("#surveys")).to_contain_text("窓口業務の民間委託")

    # 海老名市 finds its body's survey, and only that one
    ebina = sign_in(browser, base, "ebina")
    ebina.goto(f"{base}/my")
    expect(ebina.get_by_role("heading", name="担当団体の調査")).to_be_visible()
    links = ebina.locator("a[href^='/surveys/answers/']")
    expect(links).to_have_count(1)
    answer_path = links.first.get_attribute("href")
    links.first.click()
    expect(ebina.get_by_role("heading", level=1)).to_contain_text("海老名市")
    # a year the survey reader cannot read: named with its field, what was typed kept, nothing saved
    ebina.get_by_label("導入", exact=True).select_option("○")
    ebina.get_by_label("開始年度").fill("そのうち")
    ebina.get_by_role("button", name="保存して提出").click()
    expect(ebina.locator("#problems")).to_contain_text("開始年度: 「そのうち」を読み取れません(例: 2016、2016年度、平成28年度)。")
    expect(ebina.get_by_label("開始年度")).to_have_value("そのうち")
    expect(ebina.locator("#answer-state")).to_have_text("下書き")
    ebina.get_by_label("開始年度").fill("平成28年度")
    ebina.get_by_label("導入前経費(円)").fill("120万円")
    ebina.get_by_label("導入後経費(円)").fill("1,000千円")
    ebina.get_by_role("button", name="保存して提出").click()
    expect(ebina.get_by_role("status")).to_have_text("提出しました。事務局の審査を待っています。")
    expect(ebina.locator("#answer-state")).to_have_text("提出済み")

    # another body's account and an anonymous visitor see nothing of it
    chiyoda = sign_in(browser, base, "chiyoda")
    assert chiyoda.goto(base + answer_path).status == 403
    anonymous = browser.new_context().new_page()
    anonymous.goto(base + answer_path)
    assert "/signin" in anonymous.url

    # the secretariat returns it with a comment
    sec.goto(f"{base}/surveys")
    queue = sec.locator("#survey-queue")
    expect(queue).to_contain_text("海老名市")
    queue.get_by_role("link", name="海老名市").click()
    expect(sec.get_by_label("導入後経費(円)")).to_have_value("1000000")
    sec.get_by_label("差戻しの理由").fill("導入後経費は委託料を含めてください。")
    sec.get_by_role("button", name="差し戻す").click()
    expect(sec.locator("#survey-queue")).to_have_count(0)

    # the local body sees the comment, fixes the cost and submits again
    ebina.goto(f"{base}/my")
    expect(ebina.get_by_text("導入後経費は委託料を含めてください。")).to_be_visible()
    ebina.goto(base + answer_path)
    expect(ebina.locator("#return-comment")).to_contain_text("導入後経費は委託料を含めてください。")
    ebina.get_by_label("導入後経費(円)").fill("1,100千円")
    ebina.get_by_role("button", name="保存して提出").click()
    expect(ebina.locator("#answer-state")).to_have_text("提出済み")

    # the secretariat approves: the bottom-up KPI counts the answer at once
    with storage.session_scope(url) as s:
        assert bottom_up.kpi_report(s, kpi)["snapshots"] == []
    sec.goto(base + answer_path)
    expect(sec.get_by_label("導入後経費(円)")).to_have_value("1100000")
    sec.get_by_role("button", name="承認(調査の回答として記録)").click()
    expect(sec.locator("#survey-queue")).to_have_count(0)
    sec.goto(base + answer_path)
    expect(sec.locator("#answer-state")).to_have_text("承認済み")
    history = sec.locator("#answer-history li")
    expect(history).to_have_count(6)
    for n, (who, what) in enumerate((("海老名市 企画課", "保存"), ("海老名市 企画課", "提出"), ("事務局 花子", "差戻し"),
                                     ("海老名市 企画課", "保存"), ("海老名市 企画課", "提出"), ("事務局 花子", "承認"))):
        expect(history.nth(n)).to_contain_text(f"{who}: {what}")
    with storage.session_scope(url) as s:
        (snap,) = bottom_up.kpi_report(s, kpi)["snapshots"]
        assert (snap.national.adopted, snap.as_of) == (1, date(2019, 4, 1))
