"""A local body's reporter answering its survey through the pages: only its own body's answer is seen or changed
(403/404, nothing written), unreadable fields named in the page's language, review, and the bottom-up KPI after
approval."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from cycle_staff import GOOD, signed_in
import webdata
from mieruka import storage
from mieruka.accounts import service
from mieruka.evaluate import bottom_up
from mieruka.storage import local_bodies
from mieruka.storage.survey_round_models import SurveyAnswer
from mieruka.web import create_app
from mieruka.workflow.reports import latest_as_of
from mieruka.workflow import rounds

EBINA, CHIYODA = "142158", "131016"


@pytest.fixture
def site(sqlite_url):
    webdata.build(sqlite_url)
    app = create_app(sqlite_url)
    with storage.session_scope(sqlite_url) as s:
        local_bodies.ensure_registry(s)
        service.create_user(s, "sec", "事務局 花子", GOOD, "secretariat")
        service.create_user(s, "ebina", "海老名市 担当", GOOD, "local", local_body=EBINA)
        service.create_user(s, "chiyoda", "千代田区 担当", GOOD, "local", local_body=CHIYODA)
        kpi = local_bodies.define_survey_kpi(s, "窓口委託", "count")["kpi_id"]
        sec = service.principal(s, service.store.user_by_login(s, "sec"))
        rounds.open_round(s, sec, "2019年度 進捗報告", date(2019, 3, 31), date(2019, 5, 31))
    return app, sqlite_url, kpi


def post(client, path, **form):
    return client.post(path, data={"csrf_token": client.csrf, **form}, follow_redirects=False)


def answer_id(url, code):
    with storage.session_scope(url) as s:
        return s.scalar(select(SurveyAnswer.id).where(SurveyAnswer.body_code == code))


def test_a_local_body_answers_only_its_own_survey(site):
    app, url, kpi = site
    sec, ebina, chiyoda = signed_in(app, "sec"), signed_in(app, "ebina"), signed_in(app, "chiyoda")
    assert "回答する調査はありません。" in ebina.get("/my").text
    bad = post(sec, "/rounds/1/surveys?lang=en", initiative="窓口委託", as_of="4/1/2019")
    assert bad.status_code == 422 and "as of: give a date such as 2019-04-01." in bad.text
    # a date before 明治 has no 和暦 to show it with: opened, it made /surveys and every body's /my a 500
    early = post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="1867-12-31")
    assert early.status_code == 422 and "時点: 1868-01-25（明治元年1月25日）以降の日付を指定してください。" in early.text
    assert sec.get("/surveys").status_code == 200 and "1867" not in sec.get("/surveys").text
    # bounded above by the rule of a round's as-of date: the end of the year ten years from now
    late = post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="9999-12-31")
    assert late.status_code == 422 and (f"時点: {latest_as_of().isoformat()}までの日付を指定してください"
                                        "(今年から10年後の年末まで)。") in late.text
    assert "9999" not in sec.get("/surveys").text and answer_id(url, EBINA) is None
    assert post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="2019-04-01").status_code == 303
    mine, theirs = answer_id(url, EBINA), answer_id(url, CHIYODA)
    page = ebina.get("/my").text
    assert page.count('href="/surveys/answers/') == 1 and f'href="/surveys/answers/{mine}"' in page
    # another body's answer: not shown, not changed
    assert chiyoda.get(f"/surveys/answers/{mine}").status_code == 403
    assert post(chiyoda, f"/surveys/answers/{mine}", version="1", adopted="×").status_code == 403
    assert ebina.get("/surveys/answers/999999").status_code == 404
    assert ebina.get("/surveys").status_code == 403
    # unreadable: named in the page's language, what was typed kept, nothing saved
    ja = post(ebina, f"/surveys/answers/{mine}", version="1", adopted="○", year_started="そのうち")
    assert ja.status_code == 422 and "開始年度: 「そのうち」を読み取れません(例: 2016、2016年度、平成28年度)。" in ja.text
    assert 'value="そのうち"' in ja.text
    en = post(ebina, f"/surveys/answers/{mine}?lang=en", version="1", cost_before="lots")
    assert en.status_code == 422 and "cost before (yen): cannot read &#39;lots&#39;" in en.text
    saved = post(ebina, f"/surveys/answers/{mine}", version="1", action="submit", adopted="○", year_started="平成28年度",
                 cost_before="1,200千円", cost_after="900千円")
    assert saved.status_code == 303
    assert "提出しました" in ebina.get(saved.headers["location"]).text
    queue = sec.get("/surveys").text
    assert 'id="survey-queue"' in queue and "神奈川県海老名市" in queue
    returned = post(sec, f"/surveys/answers/{mine}/return", version="3", comment="<b>開始年度</b>を確認")
    assert returned.status_code == 303
    page = ebina.get("/my").text
    assert "&lt;b&gt;開始年度&lt;/b&gt;を確認" in page and "<b>開始" not in page
    assert post(ebina, f"/surveys/answers/{mine}", version="4", action="submit", year_started="2015").status_code == 303
    assert post(sec, f"/surveys/answers/{mine}/approve", version="6").status_code == 303
    with storage.session_scope(url) as s:
        (snap,) = bottom_up.kpi_report(s, kpi)["snapshots"]
        assert (snap.national.adopted, snap.as_of) == (1, date(2019, 4, 1))
        row = s.get(SurveyAnswer, theirs)
        assert (row.version, row.adopted, row.updated_by) == (1, None, None)  # 千代田区's answer never changed
    history = sec.get(f"/surveys/answers/{mine}").text
    for text in ("海老名市 担当: 提出", "事務局 花子: 差戻し", "事務局 花子: 承認"):
        assert text in history


def test_a_second_saver_sees_both_values(site):
    app, url, _ = site
    sec, ebina = signed_in(app, "sec"), signed_in(app, "ebina")
    post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="2019-04-01")
    mine = answer_id(url, EBINA)
    assert post(sec, f"/surveys/answers/{mine}", version="1", population="128000").status_code == 303
    clash = post(ebina, f"/surveys/answers/{mine}", version="1", population="130000")
    assert clash.status_code == 409
    cells = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "|", re.search(r'<table class="conflict">(.*?)</table>',
                                                                   clash.text, re.S).group(1)))
    assert "|人口||130000||128000|" in cells and 'name="version" value="2"' in clash.text


def test_a_typed_figure_with_a_control_character_or_a_space_inside_is_refused_not_cut_short(site):
    # 「1\x002」 and 「1 200」 were saved as 1 (the reader stops at the first figure): what was typed is not what was kept
    app, url, _ = site
    sec, ebina = signed_in(app, "sec"), signed_in(app, "ebina")
    post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="2019-04-01")
    mine = answer_id(url, EBINA)
    nul = post(ebina, f"/surveys/answers/{mine}", version="1", population="1\x002")
    assert nul.status_code == 422 and "人口: 制御文字(タブ、改行など)は入力できません。" in nul.text
    spaced = post(ebina, f"/surveys/answers/{mine}?lang=en", version="1", cost_before="1 200千円")
    assert spaced.status_code == 422
    assert "cost before (yen): cannot read &#39;1 200千円&#39; (e.g. 1200000, 120万円 or 1,200千円)." in spaced.text
    tab = post(ebina, f"/surveys/answers/{mine}?lang=en", version="1", year_started="2016\t年度")
    assert tab.status_code == 422 and "year started: no control characters (tabs, line breaks and the like)." in tab.text
    returned = post(sec, f"/surveys/answers/{mine}/return", version="1", comment="人口を\x00確認")
    assert returned.status_code == 422
    assert "差戻しの理由: 制御文字(NUL など)や文字の向きを変える記号は入力できません。" in returned.text
    with storage.session_scope(url) as s:
        row = s.get(SurveyAnswer, mine)
        assert (row.version, row.population, row.cost_before, row.year_started) == (1, None, None, None)
    assert post(ebina, f"/surveys/answers/{mine}", version="1", population=" 1,200 ").status_code == 303
    with storage.session_scope(url) as s:
        assert s.get(SurveyAnswer, mine).population == 1200


def test_the_survey_workbook_through_the_pages(site):
    import io

    import openpyxl
    from fastapi.testclient import TestClient

    app, url, kpi = site
    sec, ebina, chiyoda = signed_in(app, "sec"), signed_in(app, "ebina"), signed_in(app, "chiyoda")
    assert post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="2019-04-01").status_code == 303
    assert 'href="/surveys/1/workbook"' in ebina.get("/my").text and 'href="/surveys/1/workbook"' in sec.get("/surveys").text
    got = ebina.get("/surveys/1/workbook")
    assert got.status_code == 200 and got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith('attachment; filename="survey-1.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(got.content))
    assert [r[1] for r in book["回答"].iter_rows(min_row=2, values_only=True)] == [EBINA]
    assert signed_in(app, "sec").get("/surveys/99/workbook").status_code == 404
    assert TestClient(app).get("/surveys/1/workbook", follow_redirects=False).status_code == 303

    def upload(client, cells, lang=""):
        for ref, value in cells.items():
            book["回答"][ref] = value
        out = io.BytesIO()
        book.save(out)
        return client.post("/surveys/workbook" + lang, data={"csrf_token": client.csrf},
                           files={"file": ("kaitou.xlsx", out.getvalue(), "application/octet-stream")},
                           follow_redirects=False)

    bad = upload(ebina, {"F2": "○", "G2": "そのうち"}, "?lang=en")
    assert bad.status_code == 422
    assert "sheet 回答, row 2, column G (year started): cannot read &#39;そのうち&#39; (e.g. 2016, 2016年度 or 平成28年度)." \
        in bad.text and "The workbook was not imported (1 error(s)); nothing was saved." in bad.text
    ja = upload(ebina, {})
    assert ja.status_code == 422 and "シート「回答」 2行 G列(開始年度): 「そのうち」を読み取れません(例: 2016、2016年度、平成28年度)。" in ja.text
    assert upload(chiyoda, {"G2": "2016"}).status_code == 403  # 海老名市's answer, uploaded by 千代田区
    with storage.session_scope(url) as s:
        assert s.get(SurveyAnswer, answer_id(url, EBINA)).version == 1
    done = upload(ebina, {"K2": "提出"})
    assert done.status_code == 303 and done.headers["location"] == "/my?imported=1%2C1%2C0"
    assert "様式を取り込みました: 保存 1 件、提出 1 件、変更なし 0 件。" in ebina.get(done.headers["location"]).text
    again = upload(ebina, {})
    assert again.headers["location"] == "/my?imported=0%2C0%2C1"
    with storage.session_scope(url) as s:
        row = s.get(SurveyAnswer, answer_id(url, EBINA))
        assert (row.state, row.adopted, row.year_started, row.version, row.updated_by) == ("submitted", True, 2016, 3,
                                                                                            "ebina")


def _cells(raw: bytes) -> dict:
    """Every sheet of a workbook as what an office sees and reads back: state, protection, values, drop-downs."""
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw))
    return {ws.title: (ws.sheet_state, ws.protection.sheet, list(ws.iter_rows(values_only=True)),
                       [(c.coordinate, c.protection.locked) for row in ws.iter_rows() for c in row],
                       sorted((str(dv.sqref), dv.formula1) for dv in ws.data_validations.dataValidation))
            for ws in book.worksheets}


def test_the_shell_writes_the_survey_workbook_the_page_gives(site, tmp_path):
    from typer.testing import CliRunner

    from mieruka.cli import load_commands

    app, url, _ = site
    sec, ebina = signed_in(app, "sec"), signed_in(app, "ebina")
    assert post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="2019-04-01").status_code == 303
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, ["survey", "workbook", *args, "--db", url])

    for client, login, survey, lang in ((ebina, "ebina", "1", "ja"), (sec, "sec", "窓口委託", "en")):
        out = tmp_path / f"{login}.xlsx"
        done = run(survey, "--as", login, "--lang", lang, "-o", str(out))
        assert done.exit_code == 0 and done.stdout == f"{out}\n", done.stderr
        page = client.get("/surveys/1/workbook" + ("?lang=en" if lang == "en" else ""))
        assert page.status_code == 200 and _cells(out.read_bytes()) == _cells(page.content)
    mine, everyone = (_cells((tmp_path / f"{x}.xlsx").read_bytes())["回答"][2] for x in ("ebina", "sec"))
    assert [r[1] for r in mine[1:]] == [EBINA] and len(everyone) == 1 + 1741 and everyone[0][5] == "adopted (○/×)"
    unknown = run("99", "--as", "sec")
    assert unknown.exit_code == 1 and "no survey 99: the /surveys page lists the surveys asked" in unknown.stderr
    named = run("住民票", "--as", "sec")
    assert named.exit_code == 1 and "no survey of '住民票'" in named.stderr
    for odd, says in (("99999999999999999999999", "no survey 99999999999999999999999:"), ("²", "no survey of '²'"),
                      ("１", None)):  # an id past any stored, a digit int() refuses, a full-width one it reads
        done = run(odd, "--as", "sec", "-o", str(tmp_path / "odd.xlsx"))
        assert (done.exit_code, "Traceback" in done.output) == ((1, False) if says else (0, False)), done.output
        assert says is None or says in done.stderr
    refused = run("1", "--as", "nobody")
    assert refused.exit_code == 1 and "--as: no active account 'nobody'" in refused.stderr


def test_the_english_staff_pages_separate_with_a_slash_not_a_full_width_one(site):
    from test_one_language import japanese_punctuation

    app, url, _ = site
    sec, ebina = signed_in(app, "sec"), signed_in(app, "ebina")
    assert post(sec, "/rounds/1/surveys", initiative="窓口委託", as_of="2019-04-01").status_code == 303
    answer = f"/surveys/answers/{answer_id(url, EBINA)}"
    found = {}
    for client, path in ((sec, "/reports/1"), (sec, "/my"), (sec, answer), (ebina, "/my"), (ebina, answer)):
        r = client.get(path, params={"lang": "en"})
        assert r.status_code == 200, path
        found[path] = japanese_punctuation(r.text)
    assert found == {path: [] for path in found}
    page = sec.get(answer, params={"lang": "en"}).text
    assert re.search(r'2019年度 進捗報告 / As of: .* / State: <span class="state" id="answer-state">draft</span> / ', page)
    assert " ／ " in sec.get(answer).text  # the Japanese page keeps its own
