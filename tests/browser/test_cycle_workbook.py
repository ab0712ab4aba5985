"""The same cycle through the office's workbook in a real browser: the reporter downloads the XLSX from 担当の報告,
fills two KPIs in (a mistake first: named by sheet, row and column, nothing saved), uploads it, the secretariat returns
one, the reporter fixes it in a new download and uploads it, the secretariat approves and publishes, and an
anonymous reader sees the values and the history with the workbook as the way they came."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
import webdata
from live_server import serving
from playwright.sync_api import expect

from mieruka import storage
from mieruka.accounts import service
from mieruka.workflow import rounds

pytestmark = pytest.mark.browser

REPORTER_PASSWORD = "Houkoku-sha-2019"
SECRETARIAT_PASSWORD = "Shinsa-tantou-2019"


@pytest.fixture
def workbook_site(tmp_path):
    url = f"sqlite:///{tmp_path / 'workbook.db'}"
    webdata.build(url)
    with storage.session_scope(url) as s:
        service.create_user(s, "jimu", "事務局 花子", SECRETARIAT_PASSWORD, "secretariat")
        service.create_user(s, "somu", "総務 太郎", REPORTER_PASSWORD, "reporter", organisations=["総務省"])
        jimu = service.principal(s, service.store.user_by_login(s, "jimu"))
        rounds.open_round(s, jimu, "2019年度 進捗報告", date(2019, 3, 31), date(2019, 5, 31), via="cli")
    with serving(url) as base:
        yield base
    storage.dispose_engines()


def sign_in(browser, base, login, password):
    pg = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP", accept_downloads=True).new_page()
    pg.goto(f"{base}/signin")
    pg.get_by_label("ログイン名").fill(login)
    pg.get_by_label("パスワード").fill(password)
    pg.get_by_role("button", name="サインイン").click()
    expect(pg.get_by_role("heading", name="担当の報告")).to_be_visible()
    return pg


def download_and_fill(pg, tmp_path, name, cells):
    with pg.expect_download() as info:
        pg.get_by_role("link", name="総務省の様式(XLSX)をダウンロード").click()
    assert info.value.suggested_filename == "report-round1-総務省.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    for ref, value in cells.items():
        book["報告"][ref] = value
    path = tmp_path / name
    book.save(path)
    return path


def upload(pg, path):
    pg.get_by_label("記入した様式").set_input_files(str(path))
    pg.get_by_role("button", name="アップロードして取り込む").click()


def test_whole_cycle_through_the_workbook(browser, workbook_site, tmp_path):
    base = workbook_site
    rep = sign_in(browser, base, "somu", REPORTER_PASSWORD)
    wrong = download_and_fill(rep, tmp_path, "wrong.xlsx", {
        "J2": 330, "L2": date(2018, 4, 1), "M2": "速報値", "S2": "提出",
        "J3": "二百五十", "L3": date(2018, 4, 1), "M3": "確報値", "S3": "提出"})
    upload(rep, wrong)
    expect(rep.locator("#workbook-errors")).to_contain_text("シート「報告」 3行 J列(実績値): 「二百五十」は数値ではありません。")
    rep.goto(f"{base}/my")
    expect(rep.locator("table.my-reports")).not_to_contain_text("提出済み")
    book = openpyxl.load_workbook(wrong)
    book["報告"]["J3"] = 250
    right = tmp_path / "right.xlsx"
    book.save(right)
    upload(rep, right)
    expect(rep.locator("#workbook-imported")).to_have_text("様式を取り込みました: 保存 2 件、提出 2 件、変更なし 2 件。")

    sec = sign_in(browser, base, "jimu", SECRETARIAT_PASSWORD)
    sec.goto(f"{base}/review")
    sec.get_by_role("link", name="総合窓口の導入").click()
    sec.get_by_label("差戻しの理由").fill("時点を確認してください")
    sec.get_by_role("button", name="差し戻す").click()

    rep.goto(f"{base}/my")
    expect(rep.get_by_text("時点を確認してください")).to_be_visible()
    fixed = download_and_fill(rep, tmp_path, "fixed.xlsx", {"J3": 252, "S3": "提出"})
    upload(rep, fixed)
    expect(rep.locator("#workbook-imported")).to_have_text("様式を取り込みました: 保存 1 件、提出 1 件、変更なし 3 件。")

    for name in ("窓口業務のアウトソーシング", "総合窓口の導入"):
        sec.goto(f"{base}/review")
        sec.get_by_role("link", name=name).click()
        sec.get_by_role("button", name="承認する").click()
    sec.goto(f"{base}/rounds")
    sec.get_by_role("button", name="公表").click()
    expect(sec.locator("#rounds tbody td").nth(8)).to_have_text("2")

    reader = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP").new_page()
    reader.goto(f"{base}/kpis")
    expect(reader.locator("#kpi-table tbody tr", has_text="総合窓口の導入")).to_contain_text("252")
    expect(reader.locator("#kpi-table tbody tr", has_text="窓口業務のアウトソーシング")).to_contain_text("330")
    reader.goto(f"{base}/kpis/2/history")
    rows = reader.locator("#history tbody tr")
    expect(rows).to_have_count(8)
    cells = [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(8)]
    assert [c[2:5] for c in cells] == [
        ["事務局 花子", "ラウンド開始", "cli"], ["総務 太郎", "保存", "web:xlsx"], ["総務 太郎", "提出", "web:xlsx"],
        ["事務局 花子", "差戻し", "web"], ["総務 太郎", "保存", "web:xlsx"], ["総務 太郎", "提出", "web:xlsx"],
        ["事務局 花子", "承認", "web"], ["事務局 花子", "公表", "web"]]
    for pg in (sec, rep, reader):
        pg.context.close()
