"""The whole reporting cycle in a real browser: the admin creates a 総務省 reporter and a secretariat account; the
secretariat opens a round; the reporter enters two KPIs' actuals and submits; the secretariat returns one with a
comment; the reporter fixes and resubmits; the secretariat approves and publishes; an anonymous reader sees the new
values, the recomputed rating and the KPI's history with names and times."""
from __future__ import annotations

import re

import pytest
import webdata
from live_server import serving
from playwright.sync_api import expect

from mieruka import storage
from mieruka.accounts import service

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Kanri-sha-2019!"
REPORTER_PASSWORD = "Houkoku-sha-2019"
SECRETARIAT_PASSWORD = "Shinsa-tantou-2019"


@pytest.fixture
def cycle_site(tmp_path):
    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        service.create_user(s, "root", "管理者", ADMIN_PASSWORD, "admin")
    with serving(url) as base:
        yield base
    storage.dispose_engines()


def sign_in(browser, base, login, password):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    pg = context.new_page()
    pg.goto(f"{base}/signin")
    pg.get_by_label("ログイン名").fill(login)
    pg.get_by_label("パスワード").fill(password)
    pg.get_by_role("button", name="サインイン").click()
    expect(pg.get_by_role("heading", name="担当の報告")).to_be_visible()
    return pg


def open_report(pg, base, kpi_name):
    pg.goto(f"{base}/my")
    pg.get_by_role("link", name=kpi_name, exact=True).click()
    expect(pg.get_by_role("heading", name=kpi_name, level=1)).to_be_visible()


def test_whole_cycle_through_the_pages(browser, cycle_site, shoot):
    base = cycle_site
    admin = sign_in(browser, base, "root", ADMIN_PASSWORD)
    admin.goto(f"{base}/admin/users")
    admin.wait_for_load_state()
    for login, name, password, role, org in (
            ("somu", "総務 太郎", REPORTER_PASSWORD, "reporter", "総務省"),
            ("jimu", "事務局 花子", SECRETARIAT_PASSWORD, "secretariat", "")):
        form = admin.locator("#add-user")
        form.get_by_label("ログイン名").fill(login)
        form.get_by_label("表示名").fill(name)
        form.get_by_label("パスワード").fill(password)
        form.get_by_label("役割").select_option(role)
        form.get_by_label("報告する府省庁").fill(org)
        form.get_by_role("button", name="追加").click()
        admin.wait_for_url(f"**/admin/users?done={login}")
        admin.wait_for_load_state()
        expect(admin.get_by_role("status")).to_have_text(f"「{login}」を保存しました。")
    expect(admin.locator("#users tbody tr")).to_have_count(3)
    shoot(admin, "cycle-01-accounts")

    sec = sign_in(browser, base, "jimu", SECRETARIAT_PASSWORD)
    sec.goto(f"{base}/rounds")
    sec.get_by_label("ラウンド名").fill("2019年度 進捗報告")
    sec.get_by_label("基準日").fill("2019-03-31")
    sec.get_by_label("締切").fill("2019-05-31")
    sec.get_by_role("button", name="ラウンドを開始").click()
    expect(sec.locator("#rounds tbody tr")).to_have_count(1)
    expect(sec.locator("#rounds tbody td").nth(4)).to_have_text("4")  # four drafts for 総務省

    rep = sign_in(browser, base, "somu", REPORTER_PASSWORD)
    open_report(rep, base, "窓口業務のアウトソーシング")
    rep.get_by_label("実績値(1セルの記載)").fill("330団体 (2018年4月速報値)")
    rep.get_by_label("評価案").select_option("A")
    rep.get_by_label("評価の理由").fill("計画線を上回って推移している")
    rep.get_by_label("次回の把握時期").fill("2019年4月速報値は2019年6月頃")
    shoot(rep, "cycle-02-report-form")
    rep.get_by_role("button", name="保存して提出").click()
    expect(rep.locator("#report-state")).to_have_text("提出済み")
    open_report(rep, base, "総合窓口の導入")
    rep.get_by_label("実績値", exact=True).fill("250")
    rep.get_by_label("単位", exact=True).fill("団体")
    rep.get_by_label("時点").fill("2018-04-01")
    rep.get_by_label("速報値・確報値・見込み").select_option("final")
    rep.get_by_role("button", name="保存して提出").click()
    expect(rep.locator("#report-state")).to_have_text("提出済み")

    sec.goto(f"{base}/review")
    expect(sec.locator("#review-queue tbody tr")).to_have_count(2)
    sec.get_by_role("link", name="総合窓口の導入").click()
    sec.get_by_label("差戻しの理由").fill("確報値の出典(調査名)を理由欄に書いてください")
    sec.get_by_role("button", name="差し戻す").click()
    expect(sec.locator("#review-queue tbody tr")).to_have_count(1)
    sec.get_by_role("link", name="窓口業務のアウトソーシング").click()
    expect(sec.locator("#findings")).to_be_visible()
    shoot(sec, "cycle-03-review")
    sec.get_by_role("button", name="承認する").click()

    rep.goto(f"{base}/my")
    expect(rep.get_by_text("確報値の出典(調査名)を理由欄に書いてください")).to_be_visible()
    open_report(rep, base, "総合窓口の導入")
    expect(rep.locator("#return-comment")).to_contain_text("確報値の出典")
    rep.get_by_label("実績値", exact=True).fill("252")
    rep.get_by_label("評価案").select_option("B")
    rep.get_by_label("評価の理由").fill("総務省調査(2018年4月1日現在、確報値)。目標に対して遅れ")
    rep.get_by_role("button", name="保存して提出").click()
    expect(rep.locator("#report-state")).to_have_text("提出済み")

    sec.goto(f"{base}/review")
    sec.get_by_role("link", name="総合窓口の導入").click()
    sec.get_by_role("button", name="承認する").click()
    sec.goto(f"{base}/rounds")
    sec.get_by_role("button", name="公表").click()
    expect(sec.locator("#rounds tbody td").nth(8)).to_have_text("2")  # two published
    shoot(sec, "cycle-04-published")

    reader = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP").new_page()
    reader.goto(f"{base}/kpis")
    row = reader.locator("#kpi-table tbody tr", has_text="総合窓口の導入")
    expect(row).to_contain_text("252")
    reader.get_by_role("link", name="窓口業務のアウトソーシング").first.click()
    expect(reader.locator("main")).to_contain_text("330")
    expect(reader.locator("main [title*='round-1.jsonl']").first).to_be_attached()  # named by title; the file name on hover
    # the computed rating was recomputed at publication with the new value in it
    expect(reader.locator("main")).to_contain_text("計画線上の想定312団体を上回る330団体(2018年4月)")
    reader.get_by_role("link", name="報告の履歴").click()
    rows = reader.locator("#history tbody tr")
    expect(rows).to_have_count(5)
    cells = [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(5)]
    assert [c[2:4] for c in cells] == [
        ["事務局 花子", "ラウンド開始"], ["総務 太郎", "保存"], ["総務 太郎", "提出"], ["事務局 花子", "承認"],
        ["事務局 花子", "公表"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d（令和\d+年\d+月\d+日）", re.sub(r"\s+", " ", c[1])) for c in cells)
    shoot(reader, "cycle-05-history")
    for pg in (admin, sec, rep, reader):
        assert all(u.startswith(base) for u in [pg.url])
        pg.context.close()
