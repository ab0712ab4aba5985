"""The cycle's pages through HTTP: the report form (field errors named in the page's language, a conflict showing
both values), inert user text, unpublished values hidden from the public and other organisations, the history."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cycle_staff import signed_in, staffed
from mieruka.web import create_app
from mieruka.workflow.reports import latest_as_of


@pytest.fixture
def site(sqlite_url):
    return create_app(staffed(sqlite_url, ("sec", "rep", "rep2", "mof")))


def post(client, path, **form):
    return client.post(path, data={"csrf_token": client.csrf, **form})


@pytest.fixture
def opened(site):
    sec = signed_in(site, "sec")
    assert post(sec, "/rounds", name="2019年度 進捗報告", as_of="2019-03-31", deadline="2019-05-31").status_code == 200
    return site, sec


def test_round_form_names_a_bad_date(opened):
    _, sec = opened
    answer = post(sec, "/rounds?lang=en", name="x", as_of="31/03/2019", deadline="2019-05-31")
    assert answer.status_code == 422 and "as-of date: give a date such as 2019-03-31." in answer.text
    # before 明治 there is no 和暦 to show: such a round made /rounds and every reporter's /my a 500
    early = post(sec, "/rounds", name="古い", as_of="1800-01-01", deadline="1800-02-01")
    assert early.status_code == 422 and "基準日: 1868-01-25（明治元年1月25日）以降の日付を指定してください。" in early.text
    assert sec.get("/rounds").status_code == 200
    # nor a date past the end of the year ten years from now (9999-12-31 leaves no following 年度 to name)
    last = latest_as_of()
    late = post(sec, "/rounds?lang=en", name="遠い", as_of="9999-12-31", deadline="9999-12-31")
    assert late.status_code == 422 and (f"as-of date: give a date on or before {last.isoformat()} (the end of the "
                                        "year 10 years from now).") in late.text
    late = post(sec, "/rounds", name="遠い", as_of="2019-03-31", deadline="9999-12-31")
    assert late.status_code == 422 and f"締切: {last.isoformat()}までの日付を指定してください(今年から10年後の年末まで)。" in late.text
    assert "遠い" not in sec.get("/rounds").text
    again = post(sec, "/rounds", name="2019年度 進捗報告", as_of="2019-03-31", deadline="2019-05-31")
    assert again.status_code == 422 and "ラウンド「2019年度 進捗報告」は既にあります。" in again.text


def test_field_errors_are_named_in_the_page_language_and_nothing_is_saved(opened):
    app, _ = opened
    rep = signed_in(app, "rep")
    ja = post(rep, "/reports/1", version="1", value="三百", as_of="2018-04-01")
    assert ja.status_code == 422 and "実績値: 「三百」は数値ではありません。" in ja.text
    assert 'value="三百"' in ja.text  # what was typed is shown again, not lost
    en = post(rep, "/reports/1?lang=en", version="1", actual_text="たくさん")
    assert en.status_code == 422 and "actual as one cell: cannot be read" in en.text
    page = rep.get("/reports/1")
    assert "版 1" in page.text
    # before 明治 no 和暦: published, such a date made the overview and the KPI page a 500 for every visitor
    early = post(rep, "/reports/1", version="1", value="300", as_of="1800-01-01")
    assert early.status_code == 422 and "時点: 1868-01-25（明治元年1月25日）以降の日付にしてください。" in early.text
    cell = post(rep, "/reports/1?lang=en", version="1", target_value="416", target_deadline="1867-03-31",
                target_reason="x")
    assert cell.status_code == 422
    assert "target deadline: give a date on or after 1868-01-25, the first day of a Japanese era." in cell.text
    # a target cell whose deadline cannot be read (no 年度 before 明治): it was saved with 1867 as its value and no
    # deadline, without a word
    for lang, text in (("", "目標値の変更: 期限の年度を読み取れません。1868年度(明治元年度)以降の年度で書いてください。"
                             "例: 2020年度までに 416団体"),
                       ("?lang=en", "target change: the year of the deadline cannot be read: give a fiscal year from 1868 "
                                    "on, e.g. 2020年度までに 416団体")):
        typed = post(rep, "/reports/1" + lang, version="1", target_text="1867年度までに", target_reason="前倒し")
        assert typed.status_code == 422 and text in typed.text, lang
    assert "版 1" in rep.get("/reports/1").text


def test_second_saver_sees_both_values(opened):
    app, _ = opened
    first, second = signed_in(app, "rep"), signed_in(app, "rep2")
    assert post(first, "/reports/1", version="1", value="330", unit="団体").status_code == 200
    clash = post(second, "/reports/1", version="1", value="331", unit="団体")
    assert clash.status_code == 409
    table = re.search(r'<table class="conflict">(.*?)</table>', clash.text, re.S).group(1)
    assert re.sub(r"\s+", "", re.sub(r"<[^>]+>", "|", table)).count("|実績値||331||330|") == 1  # as typed, not 331.0
    assert "総務 太郎" not in table and 'name="version" value="2"' in clash.text
    # the 409 is the form and the table only: the published values, findings and history are a link away
    assert 'id="full-page"' in clash.text and 'class="history"' not in clash.text and 'id="findings"' not in clash.text
    # nor the site's navigation and search box; it names the account and lets it sign out
    assert 'id="site-q"' not in clash.text and 'href="/kpis"' not in clash.text
    assert "総務 次郎" in clash.text and 'action="/signout"' in clash.text
    assert post(second, "/reports/1", version="2", value="331").status_code == 200  # saved knowingly
    assert "331" in second.get("/reports/1").text


def test_user_text_is_inert_and_unpublished_values_stay_private(opened):
    app, sec = opened
    rep, mof, public = signed_in(app, "rep"), signed_in(app, "mof"), TestClient(app)
    evil = '<script>alert("x")</script>'
    saved = post(rep, "/reports/1", version="1", action="submit", actual_text="330団体 (2018年4月速報値)",
                 proposed_rating="A", rating_reason=evil)
    assert saved.status_code == 200 and "提出しました" in saved.text
    review = sec.get("/reports/1")
    assert evil not in review.text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in review.text
    assert mof.get("/reports/1").status_code == 403
    assert "330" not in public.get("/kpis/1").text
    assert public.get("/reports/1", follow_redirects=False).status_code == 303
    assert [o["value"] for o in public.get("/api/kpis?include=observations").json()["items"][0]["observations"]] == [301]
    returned = post(sec, "/reports/1/return", version="3", comment=evil)
    assert returned.status_code == 200
    assert evil not in rep.get("/my").text and "&lt;script&gt;" in rep.get("/my").text


def test_publish_shows_values_and_history_to_everyone(opened):
    app, sec = opened
    rep, public = signed_in(app, "rep"), TestClient(app)
    post(rep, "/reports/1", version="1", action="submit", actual_text="330団体 (2018年4月速報値)",
         target_text="2020年度までに 450団体", target_reason="前倒し")
    queue = sec.get("/review").text
    assert 'id="review-queue"' in queue and "✔" in queue
    assert "目標値の変更あり(別途承認が必要)" in sec.get("/reports/1").text
    assert post(sec, "/reports/1/approve", version="3", approve_target="1").status_code == 200
    assert post(sec, "/rounds/1/publish").status_code == 200
    page = public.get("/kpis/1").text
    assert "330" in page and "450" in page
    history = public.get("/kpis/1/history").text
    for text in ("総務 太郎", "事務局 花子", "提出", "承認", "公表"):
        assert text in history
    assert "前倒し" not in history and "→" not in history  # the public sees who and when, not the drafts
    assert "前倒し" in sec.get("/kpis/1/history").text
    again = post(sec, "/rounds/1/publish")
    assert again.status_code == 409 and "公表済みです" in again.text


def test_a_published_edition_beside_the_previous_one(opened):
    app, sec = opened
    rep, public = signed_in(app, "rep"), TestClient(app)
    post(rep, "/reports/1", version="1", action="submit", actual_text="330団体 (2018年4月速報値)",
         proposed_rating="A", rating_reason="目標に近づいた")
    post(rep, "/reports/2", version="1", action="submit", actual_text="215団体 (2017年4月速報値)",
         proposed_rating="B", rating_reason="横ばい")
    assert public.get("/rounds/1/changes").status_code == 404  # not published yet: nothing to compare, nothing shown
    for report in (1, 2):
        assert post(sec, f"/reports/{report}/approve", version="3").status_code == 200
    assert post(sec, "/rounds/1/publish").status_code == 200
    data = public.get("/rounds/1/changes.json").json()
    assert (data["ratings_moved"], data["actuals_changed"]) == (1, 1)
    assert [(k["kpi_id"], k["old_actual"]["text"], k["new_actual"]["value"], k["old_rating"], k["new_rating"],
             k["rating_moved"], k["actual_changed"]) for k in data["kpis"]] == [
        (1, "301団体 (2017年4月速報値)", 330, "B", "A", "up", True),
        (2, "215団体 (2017年4月速報値)", 215, "B", "B", "same", False)]
    page = public.get("/rounds/1/changes?lang=en").text
    assert "Of 2 KPIs, 1 ratings moved and 1 actuals changed." in page and "B → A <span class=\"moved-up\">(up)</span>" in page
    assert public.get("/rounds/99/changes.json").status_code == 404


def test_a_nul_or_a_direction_override_in_a_typed_text_is_refused_and_nothing_is_saved(opened):
    # PostgreSQL cannot store a NUL in text (a 500 there, stored as typed on SQLite); U+202E shows a name backwards
    app, sec = opened
    rep = signed_in(app, "rep")
    nul = post(rep, "/reports/1", version="1", proposed_rating="A", rating_reason="目標に\x00近づいた")
    assert nul.status_code == 422 and "評価の理由: 制御文字(NUL など)や文字の向きを変える記号は入力できません。" in nul.text
    en = post(rep, "/reports/1?lang=en", version="1", target_text="2020年度までに 416団体", target_reason="\u202eevil")
    assert en.status_code == 422
    assert "reason for the target change: no control characters (NUL and the like) or direction overrides." in en.text
    assert "版 1" in rep.get("/reports/1").text
    named = post(sec, "/rounds?lang=en", name="2020\x00年度", as_of="2020-03-31", deadline="2020-05-31")
    assert named.status_code == 422
    assert "round name: no control characters (NUL and the like) or direction overrides." in named.text
    assert post(sec, "/rounds", name="\u202e度年0202", as_of="2020-03-31", deadline="2020-05-31").status_code == 422
    assert "2020" not in sec.get("/rounds").text
    returned = post(sec, "/reports/1/return?lang=en", version="1", comment="値を\x1b確認")
    assert returned.status_code == 422
    assert "comment: no control characters (NUL and the like) or direction overrides." in returned.text
    # line breaks and tabs in a reason are kept
    assert post(rep, "/reports/1", version="1", proposed_rating="A", rating_reason="目標に\r\n\t近づいた").status_code == 200


def test_an_english_report_page_marks_the_document_text_a_finding_quotes_as_japanese_data(opened):
    from test_one_language import foreign

    app, _ = opened
    rep = signed_in(app, "rep")
    en = rep.get("/reports/1?lang=en").text
    assert ('the next measurement announced as &#34;<span lang="ja" translate="no">2017年4月確報値は2018年3月頃に公表'
            '</span>&#34; (Mar 2018, <span class="cited" title="schedule.txt">“<span lang="ja" translate="no">改革工程表の進捗'
            '</span>(<span lang="ja" translate="no">試験用</span>)” (2017-10-01), line 4</span>)') in en
    assert foreign(en, "en") == []
    ja = rep.get("/reports/1").text
    assert "「2017年4月確報値は2018年3月頃に公表」" in ja and '<span lang="ja"' not in ja.split('id="findings"')[1][:2000]


NOT_FOUND = [  # (method, path, Japanese, English): each the route's own message, not the generic page one
    ("get", "/my/workbook?round=999", "ラウンド 999 はありません。", "round 999 not found"),
    ("get", "/reports/999", "報告 999 はありません。", "report 999 not found"),
    ("post", "/rounds/999/close", "ラウンド 999 はありません。", "round 999 not found"),
    ("get", "/kpis/999/history", "KPI 999 は見つかりません。", "KPI 999 not found"),
    ("get", "/rounds/999/changes", "公表された版 999 はありません。", "no published edition 999"),
    ("get", "/rounds/1/changes", "公表された版 1 はありません。", "no published edition 1"),
    ("get", "/surveys/999/workbook", "調査 999 はありません。", "survey 999 not found"),
    ("get", "/surveys/answers/999", "回答 999 はありません。", "answer 999 not found"),
    ("get", "/reports/999/evidence/1", "証拠資料はありません。", "no such evidence file"),
]


@pytest.mark.parametrize("method,path,ja,en", NOT_FOUND)
def test_not_found_is_said_in_the_pages_language_alone(opened, method, path, ja, en):
    _, sec = opened
    send = (lambda url: post(sec, url)) if method == "post" else sec.get
    japanese = send(path)
    assert japanese.status_code == 404 and ja in japanese.text and en not in japanese.text
    assert '<html lang="ja">' in japanese.text
    english = send(path + ("&" if "?" in path else "?") + "lang=en")
    assert english.status_code == 404 and en in english.text and ja not in english.text
    assert '<html lang="en">' in english.text


def test_a_save_looks_its_session_up_itself(opened):
    """The save reads who it acts for in its own transaction (not in the middleware): its answers still name the
    account and are private, an ended session is sent to sign-in with nothing saved, and the checks keep their order
    (sign-in, CSRF, then the fields)."""
    app, _ = opened
    rep = signed_in(app, "rep")
    bad = post(rep, "/reports/1", version="1", value="三百")
    assert bad.status_code == 422 and "総務 太郎" in bad.text and bad.headers["cache-control"] == "no-store"
    unread = rep.post("/reports/1", files={"evidence": ("a.txt", b"x")}, data={"csrf_token": rep.csrf})
    assert unread.status_code == 400 and "総務 太郎" in unread.text
    forged = rep.post("/reports/1", data={"csrf_token": "forged", "version": "x"})
    assert forged.status_code == 403 and "フォームの確認用トークンが正しくありません" in forged.text
    stolen = rep.cookies.get("mieruka_session")
    assert rep.post("/signout", data={"csrf_token": rep.csrf}, follow_redirects=False).status_code == 303
    replay = TestClient(app, cookies={"mieruka_session": stolen})
    answer = replay.post("/reports/1", data={"csrf_token": rep.csrf, "version": "1", "value": "330"},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=%2Fmy"
    assert "版 1" in signed_in(app, "rep").get("/reports/1").text


def test_an_approved_report_says_whether_its_target_change_is_approved(opened):
    """Approving a report without ticking its target change left the target out of the edition while the review
    queue and the report said only "approved". Both now say whether the target change is approved."""
    app, sec = opened
    rep, public = signed_in(app, "rep"), TestClient(app)
    for report in (1, 2):
        post(rep, f"/reports/{report}", version="1", action="submit", actual_text="330団体 (2018年4月速報値)",
             target_text="2020年度までに 450団体", target_reason="前倒し")
    assert post(sec, "/reports/1/approve", version="3").status_code == 200
    assert post(sec, "/reports/2/approve", version="3", approve_target="1").status_code == 200
    queue = sec.get("/review").text
    assert queue.count("✔ (未承認: 公表されません)") == 1 and queue.count("✔ (承認済み)") == 1
    assert "✔ (not approved: will not be published)" in sec.get("/review?lang=en").text
    assert "目標値の変更は承認されていません。この報告を公表しても目標値は載りません。" in sec.get("/reports/1").text
    assert "目標値の変更も承認されています。公表すると新しい目標値として載ります。" in sec.get("/reports/2").text
    assert post(sec, "/rounds/1/publish").status_code == 200
    assert "450" not in public.get("/kpis/1").text and "450" in public.get("/kpis/2").text
