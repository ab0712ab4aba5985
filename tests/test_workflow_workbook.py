"""The report workbook round trip on SQLite and PostgreSQL: what the exported XLSX holds (instructions first, the last
published values, drop-down lists, locked cells), every bad cell named by sheet, row and column in both languages with
nothing saved, the same file twice changing nothing, other organisations refused, bombs and non-workbooks refused,
and the whole cycle through the workbook, the web pages and the shell."""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from cycle_staff import GOOD, ROUND, signed_in, staffed, who
import webdata
from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import models as m
from mieruka.storage.cycle_models import Report, ReportVersion
from mieruka.web import create_app
from mieruka.storage.report_extra_models import ReportStep
from mieruka.workflow import evidence, reports, rounds, steps, workbook
from mieruka.workflow.reports import NotAllowed


@pytest.fixture
def db(db_url):
    return staffed(db_url, opened=True)


def exported(url, login="rep", lang="ja") -> bytes:
    with storage.session_scope(url) as s:
        return workbook.export(s, who(s, login), rounds.get(s, ROUND), lang=lang).content


def filled(raw: bytes, cells: dict[str, object]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(raw))
    for ref, value in cells.items():
        book[workbook.SHEET][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def imported(url, raw, login="rep"):
    with storage.session_scope(url) as s:
        return workbook.import_workbook(s, who(s, login), raw, "houkoku.xlsx")


def table(url) -> list[tuple]:
    with storage.session_scope(url) as s:
        return [(r.id, r.state, r.version, r.value, r.as_of, r.status, r.proposed_rating, r.target_value)
                for r in s.scalars(select(Report).order_by(Report.id))]


def versions(url) -> int:
    with storage.session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(ReportVersion))


def test_the_exported_workbook(db):
    book = openpyxl.load_workbook(io.BytesIO(exported(db)))
    assert book.sheetnames == ["説明", "報告", "工程の進捗", "証拠資料", "_mieruka"] and book.active.title == "説明"
    assert book["_mieruka"].sheet_state == "hidden"
    assert book["説明"]["A1"].value == "進捗報告の様式"
    assert book["説明"]["A2"].value == "ラウンド: 2019年度 進捗報告(基準日 2019-03-31、締切 2019-05-31)"
    ws = book["報告"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert rows[0][:10] == ("報告ID", "KPI ID", "KPI", "府省庁", "公表済みの実績値", "公表済みの評価", "公表済みの目標",
                            "状態", "版", "実績値")
    assert [r[:9] for r in rows[1:3]] == [
        (1, 1, "窓口業務のアウトソーシング", "総務省", "301団体 (2017年4月速報値)", "B", "2020年度までに 416団体", "下書き", 1),
        (2, 2, "総合窓口の導入", "総務省", "215団体 (2017年4月速報値)", "B", "2020年度までに 370団体", "下書き", 1)]
    assert len(rows) == 5  # the four KPIs of 総務省, one row each
    assert ws.protection.sheet is True
    assert ws["A2"].protection.locked is True and ws["E2"].protection.locked is True
    assert ws["J2"].protection.locked is False and ws["S5"].protection.locked is False
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists == {"M2:M5": '"速報値,確報値,見込み"', "O2:O5": '"A,B,N,F"', "S2:S5": '"提出"'}
    english = openpyxl.load_workbook(io.BytesIO(exported(db, lang="en")))
    assert english["報告"]["J1"].value == "actual value" and english["説明"]["A1"].value == "Progress report workbook"


def test_every_bad_cell_is_named_and_nothing_is_saved(db):
    before, count = table(db), versions(db)
    raw = filled(exported(db), {"J2": "三百", "L2": "2019年13月", "M3": "速報", "O3": "S", "J4": 420,
                                "O4": "A", "Q5": "いつか", "S4": "たぶん", "A5": 99})
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, raw)
    assert caught.value.lines("ja") == [
        "シート「報告」 2行 J列(実績値): 「三百」は数値ではありません。",
        "シート「報告」 2行 L列(時点): 「2019年13月」は日付として読めません(例: 2018-04-01、2018年4月)。",
        "シート「報告」 3行 M列(速報値・確報値・見込み): 速報値・確報値・見込みのいずれかを選んでください。",
        "シート「報告」 3行 O列(評価案): 評価は A・B・N・F のいずれかです。",
        "シート「報告」 4行 S列(提出): 「提出」を選ぶか空欄にしてください。",
        "シート「報告」 4行 P列(評価の理由): 評価案には理由を書いてください。",
        "シート「報告」 5行 A列(報告ID): 報告ID「99」はこのラウンドにありません(変更できない欄です)。",
    ]
    assert caught.value.lines("en")[0] == "sheet 報告, row 2, column J (actual value): '三百' is not a number."
    assert table(db) == before and versions(db) == count


def test_import_saves_submits_and_the_same_file_twice_changes_nothing(db):
    raw = filled(exported(db), {"J2": 330, "K2": "団体", "L2": datetime(2018, 4, 1), "M2": "速報値", "O2": "A",
                                "P2": "前年より29団体増", "S2": "提出", "J3": 230.5, "L3": "2018年4月",
                                "Q3": "2020年度までに 400団体", "R3": "前倒し"})
    done = imported(db, raw)
    assert (done.saved, done.submitted, done.unchanged) == ([1, 2], [1], 2)
    after, count = table(db), versions(db)
    assert after[:2] == [(1, "submitted", 3, 330.0, date(2018, 4, 1), "preliminary", "A", None),
                         (2, "draft", 2, 230.5, date(2018, 4, 1), None, None, 400.0)]
    again = imported(db, raw)
    assert (again.saved, again.submitted, again.unchanged) == ([], [], 4)
    assert table(db) == after and versions(db) == count
    with storage.session_scope(db) as s:
        saved = s.scalars(select(ReportVersion).where(ReportVersion.report_id == 1).order_by(ReportVersion.id)).all()
        assert [(v.actor, v.via, v.action) for v in saved] == [
            ("sec", "web", "open"), ("rep", "web:xlsx", "save"), ("rep", "web:xlsx", "submit")]
        assert saved[1].changes["value"] == [None, 330.0]


def test_a_stale_workbook_and_a_locked_row_are_refused(db):
    raw = exported(db)
    with storage.session_scope(db) as s:
        reports.save(s, who(s, "sec"), s.get(Report, 1), {"value": "310", "as_of": "2018-04-01"}, 1)
    before = table(db)
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, filled(raw, {"J2": 330}))
    assert caught.value.lines("en") == [
        "sheet 報告, row 2, column I (version): report 1 was saved after this workbook was made (version 1 → 2, "
        "by sec); download a new workbook."]
    assert table(db) == before
    fresh = filled(exported(db), {"S2": "提出"})
    assert imported(db, fresh).submitted == [1]
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, filled(fresh, {"J2": 340}))
    assert caught.value.lines("ja") == ["シート「報告」 2行 H列(状態): 報告 1 は「提出済み」のため変更できません。"]


def test_other_organisations_and_other_roles_are_refused(db):
    raw = filled(exported(db), {"J2": 330})
    before = table(db)
    with pytest.raises(NotAllowed) as caught:
        imported(db, raw, "mof")
    assert caught.value.status == 403 and "report 1 belongs to an organisation you do not report for" in \
        caught.value.message["en"]
    with storage.session_scope(db) as s:
        assert workbook.export(s, who(s, "mof"), rounds.get(s, ROUND)).rows == 0
        with pytest.raises(NotAllowed):
            workbook.export(s, who(s, "mof"), rounds.get(s, ROUND), organisation_id=1)
    assert table(db) == before
    assert imported(db, raw, "sec").saved == [1]  # the secretariat may edit anything


STEP = "業務改革モデルプロジェクト"
PDF = b"%PDF-1.4\n%%EOF\n"


def filled_steps(raw: bytes, cells: dict[str, object]) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(raw))
    for ref, value in cells.items():
        sheet, ref = ref.split("!")
        book[sheet][ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def step_table(url) -> list[tuple]:
    with storage.session_scope(url) as s:
        return [(r.report_id, r.position, r.step, r.progress) for r in s.scalars(
            select(ReportStep).order_by(ReportStep.report_id, ReportStep.id))]


def test_the_workbook_carries_the_steps_progress_and_lists_the_evidence(db):
    with storage.session_scope(db) as s:
        evidence.attach(s, who(s, "rep"), s.get(Report, 2), PDF, "根拠.pdf")
        steps.save(s, who(s, "rep"), s.get(Report, 3), {STEP: "2団体で実施。"}, 1)
    book = openpyxl.load_workbook(io.BytesIO(exported(db)))
    ws = book["工程の進捗"]
    assert [r for r in ws.iter_rows(values_only=True)] == [
        ("報告ID", "KPI ID", "版", "番号", "工程", "進捗(この報告での記載)"),
        (1, 1, 1, 1, STEP, None), (2, 2, 1, 1, STEP, None), (3, 3, 2, 1, STEP, "2団体で実施。"), (4, 4, 1, 1, STEP, None)]
    assert ws.protection.sheet is True and [c.protection.locked for c in ws[2]] == [True] * 5 + [False]
    files = [r for r in book["証拠資料"].iter_rows(values_only=True)]
    assert files[0] == ("報告ID", "KPI ID", "ファイル名", "サイズ(バイト)", "SHA-256", "種類", "添付した人", "添付日時(UTC)")
    assert files[1][:7] == (2, 2, "根拠.pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), "application/pdf", "rep")
    assert isinstance(files[1][7], datetime) and len(files) == 2
    assert book["証拠資料"].protection.sheet is True and book["証拠資料"]["C2"].protection.locked is True
    english = openpyxl.load_workbook(io.BytesIO(exported(db, lang="en")))
    assert english["工程の進捗"]["F1"].value == "progress (in this report)"
    assert english["証拠資料"]["E1"].value == "SHA-256"


def test_the_steps_progress_round_trips_and_the_same_file_twice_changes_nothing(db):
    raw = filled_steps(exported(db), {"工程の進捗!F2": "モデル事業を3団体で実施した。", "報告!J2": 330,
                                      "報告!L2": "2018-04-01", "証拠資料!C5": "無視される.pdf"})
    done = imported(db, raw)
    assert (done.saved, done.steps_saved, done.unchanged) == ([1], [1], 3)
    assert step_table(db) == [(1, 1, STEP, "モデル事業を3団体で実施した。")]
    with storage.session_scope(db) as s:
        saved = s.scalars(select(ReportVersion).where(ReportVersion.report_id == 1).order_by(ReportVersion.id)).all()
        assert [(v.actor, v.via, v.action, v.version) for v in saved] == [
            ("sec", "web", "open", 1), ("rep", "web:xlsx", "save", 2), ("rep", "web:xlsx", "save", 3)]
        assert saved[2].changes == {STEP: [None, "モデル事業を3団体で実施した。"]}
    after, count = table(db), versions(db)
    again = imported(db, raw)
    assert (again.saved, again.steps_saved, again.unchanged) == ([], [], 4)
    assert table(db) == after and versions(db) == count and len(step_table(db)) == 1
    # the progress then submitted with the row: saved before the submission, in one import
    fresh = filled_steps(exported(db), {"工程の進捗!F2": "5団体に拡大。", "報告!S2": "提出"})
    assert imported(db, fresh).submitted == [1]
    assert step_table(db) == [(1, 1, STEP, "5団体に拡大。")]


def test_a_bad_step_cell_is_named_by_sheet_row_and_column_and_nothing_is_saved(db):
    raw = exported(db)
    before, count = table(db), versions(db)
    bad = filled_steps(raw, {"工程の進捗!F2": "@SUM(1)", "工程の進捗!F3": "あ" * 2001, "工程の進捗!E4": "存在しない工程",
                             "工程の進捗!F4": "書いた", "報告!J5": 420})
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, bad)
    assert caught.value.lines("ja") == [
        f"シート「工程の進捗」 2行 F列(進捗(この報告での記載)): 工程「{STEP}」: 先頭に = + - @ は使えません(減少は ▲ で書けます)。",
        f"シート「工程の進捗」 3行 F列(進捗(この報告での記載)): 工程「{STEP}」: 2000文字以内にしてください。",
        "シート「工程の進捗」 4行 E列(工程): 工程「存在しない工程」: このKPIの改革項目の工程ではありません。"]
    assert caught.value.lines("en")[0] == (f"sheet 工程の進捗, row 2, column F (progress (in this report)): step {STEP!r}: "
                                           "may not begin with = + - or @ (write a decrease as ▲).")
    assert table(db) == before and versions(db) == count and step_table(db) == []
    # saved by someone else since the workbook was made: refused with who, nothing saved
    with storage.session_scope(db) as s:
        steps.save(s, who(s, "sec"), s.get(Report, 2), {STEP: "事務局が記入"}, 1)
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, filled_steps(raw, {"工程の進捗!F3": "報告者が記入"}))
    assert caught.value.lines("en") == [
        "sheet 工程の進捗, row 3, column C (version): report 2 was saved after this workbook was made (version 1 → 2, "
        "by sec); download a new workbook."]
    assert step_table(db) == [(2, 1, STEP, "事務局が記入")]
    with pytest.raises(NotAllowed):  # another organisation's report
        imported(db, filled_steps(raw, {"工程の進捗!F2": "他省が記入"}), "mof")
    assert step_table(db) == [(2, 1, STEP, "事務局が記入")]


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 2**20))
    return buf.getvalue()


@pytest.mark.parametrize("raw, status, ja", [
    (b"not a workbook", 422, "houkoku.xlsx: Excel のブック(.xlsx)として開けません。"),
    (None, 422, "houkoku.xlsx: mieruka が作った報告の様式ではありません"),
    ("bomb", 413, "houkoku.xlsx: 展開すると大きすぎます(the workbook unzips to 80 MB; the limit is 60 MB)。"),
    (b"x" * (workbook.MAX_BYTES + 1), 413, "houkoku.xlsx: ファイルが大きすぎます(上限 10 MB)。"),
])
def test_files_that_are_not_report_workbooks(db, raw, status, ja):
    if raw is None:
        other = openpyxl.Workbook()
        other.active["A1"] = "報告ID"
        buf = io.BytesIO()
        other.save(buf)
        raw = buf.getvalue()
    elif raw == "bomb":
        raw = _bomb()
    before = table(db)
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, raw)
    # the file as a whole is refused: no sheet is named, none having been opened
    assert caught.value.status == status and caught.value.lines("ja")[0].startswith(ja)
    assert table(db) == before


def test_text_that_would_run_as_a_formula_stays_text(db):
    with storage.session_scope(db) as s:
        s.get(m.Kpi, 1).name = '=HYPERLINK("http://evil.example","x")'
    ws = openpyxl.load_workbook(io.BytesIO(exported(db)))["報告"]
    assert ws["C2"].data_type == "s" and ws["C2"].quotePrefix is True
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, filled(exported(db), {"P2": "@SUM(1)"}))
    assert caught.value.lines("en") == [
        "sheet 報告, row 2, column P (reason for the rating): may not begin with = + - or @ (write a decrease as ▲)."]


# ---------------------------------------------------------------- the web pages and the shell


def upload(client, raw, lang=""):
    return client.post(f"/my/workbook{lang}", data={"csrf_token": client.csrf},
                       files={"file": ("houkoku.xlsx", raw, "application/octet-stream")}, follow_redirects=False)


def test_the_whole_cycle_through_the_workbook(sqlite_url):
    url = sqlite_url
    webdata.build(url)
    with storage.session_scope(url) as s:
        service.create_user(s, "sec", "事務局 花子", GOOD, "secretariat")
        service.create_user(s, "rep", "総務 太郎", GOOD, "reporter", organisations=["総務省"])
    app = create_app(url)
    sec, rep, public = signed_in(app, "sec"), signed_in(app, "rep"), TestClient(app)
    assert sec.post("/rounds", data={"csrf_token": sec.csrf, "name": ROUND, "as_of": "2019-03-31",
                                     "deadline": "2019-05-31"}).status_code == 200
    my = rep.get("/my").text
    assert 'href="/my/workbook?round=1&amp;org=1"' in my and 'enctype="multipart/form-data"' in my
    download = rep.get("/my/workbook?round=1&org=1")
    assert download.status_code == 200 and download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith('attachment; filename="report-round1.xlsx"')
    assert public.get("/my/workbook?round=1&org=1", follow_redirects=False).status_code == 303
    # the reporter fills in two KPIs, one with a mistake: named in the page's language, nothing saved
    wrong = filled(download.content, {"J2": 330, "L2": date(2018, 4, 1), "M2": "速報値", "S2": "提出",
                                      "J3": "二百三十", "L3": date(2018, 4, 1), "S3": "提出"})
    refused = upload(rep, wrong, "?lang=en")
    assert refused.status_code == 422
    assert "sheet 報告, row 3, column J (actual value): &#39;二百三十&#39; is not a number." in refused.text
    assert [r[1] for r in table(url)] == ["draft"] * 4
    right = filled(wrong, {"J3": 230})
    done = upload(rep, right)
    assert done.status_code == 303 and done.headers["location"] == "/my?imported=2%2C2%2C2"
    assert "様式を取り込みました: 保存 2 件、提出 2 件、変更なし 2 件。" in rep.get(done.headers["location"]).text
    assert upload(rep, right).headers["location"] == "/my?imported=0%2C0%2C4"  # the same file twice: nothing
    # the secretariat returns one; the reporter fixes it in a new workbook and resubmits
    assert sec.post("/reports/2/return", data={"csrf_token": sec.csrf, "version": "3",
                                               "comment": "時点を確認してください"}).status_code == 200
    fix = filled(rep.get("/my/workbook?round=1&org=1").content, {"L3": date(2018, 10, 1), "S3": "提出"})
    assert upload(rep, fix).headers["location"] == "/my?imported=1%2C1%2C3"
    for report_id, version in ((1, "3"), (2, "6")):
        assert sec.post(f"/reports/{report_id}/approve", data={"csrf_token": sec.csrf, "version": version}
                        ).status_code == 200
    assert sec.post("/rounds/1/publish", data={"csrf_token": sec.csrf}).status_code == 200
    observations = {k["id"]: [(o["value"], o["as_of"]) for o in k["observations"]]
                    for k in public.get("/api/kpis?include=observations").json()["items"]}
    assert observations[1][-1] == (330, "2018-04-01") and observations[2][-1] == (230, "2018-10-01")
    history = public.get("/kpis/2/history").text
    assert history.count("web:xlsx") == 4 and "総務 太郎" in history and "事務局 花子" in history


def test_upload_guards(sqlite_url):
    webdata.build(sqlite_url)
    with storage.session_scope(sqlite_url) as s:
        service.create_user(s, "sec", "事務局 花子", GOOD, "secretariat")
        service.create_user(s, "root", "管理者", GOOD, "admin")
        rounds.open_round(s, who(s, "sec"), ROUND, date(2019, 3, 31), date(2019, 5, 31))
    raw = filled(exported(sqlite_url, "sec"), {"J2": 330})
    app = create_app(sqlite_url)
    anonymous = TestClient(app).post("/my/workbook", data={"csrf_token": "x"}, files={"file": ("a.xlsx", raw)},
                                     follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin?next=")
    root, sec = signed_in(app, "root"), signed_in(app, "sec")
    assert upload(root, raw).status_code == 403
    forged = sec.post("/my/workbook", data={"csrf_token": "forged"}, files={"file": ("a.xlsx", raw)})
    assert forged.status_code == 403
    huge = sec.post("/my/workbook", content=b"x" * (workbook.MAX_BYTES + 70 * 1024),
                    headers={"content-type": "multipart/form-data; boundary=x"})
    assert huge.status_code == 413
    assert table(sqlite_url)[0][3] is None
    assert upload(sec, raw).status_code == 303 and table(sqlite_url)[0][3] == 330.0


def test_report_export_and_import_commands(tmp_path):
    from mieruka.cli import load_commands

    db = str(tmp_path / "wb.db")
    url = f"sqlite:///{db}"
    staffed(url, ("sec", "rep"), opened=True)
    cli, runner = load_commands(), CliRunner()
    out = tmp_path / "houkoku.xlsx"
    made = runner.invoke(cli, ["report", "export", "--round", ROUND, "--as", "rep", "-o", str(out), "--db", db])
    assert made.exit_code == 0, made.stderr
    assert made.stdout.strip() == str(out) and "4 report(s)" in made.stderr
    out.write_bytes(filled(out.read_bytes(), {"J2": "3百"}))
    bad = runner.invoke(cli, ["report", "import", str(out), "--as", "rep", "--db", db])
    assert bad.exit_code == 1
    assert "シート「報告」 2行 J列(実績値): 「3百」は数値ではありません。" in bad.stderr
    assert "様式を取り込めませんでした(1件の誤り)。何も保存していません。" in bad.stderr
    out.write_bytes(filled(out.read_bytes(), {"J2": 330, "L2": "2018-04-01"}))
    for expected in ("1 saved", "0 saved"):
        ok = runner.invoke(cli, ["report", "import", str(out), "--as", "rep", "--db", db])
        assert ok.exit_code == 0 and ok.stdout.strip() == f"{ROUND}: 4 row(s) read, {expected}, 0 submitted, " \
                                                           f"{3 if expected == '1 saved' else 4} unchanged"
    with storage.session_scope(url) as s:
        assert [(v.actor, v.via) for v in s.scalars(select(ReportVersion).where(
            ReportVersion.report_id == 1, ReportVersion.action == "save"))] == [("rep", "cli:xlsx")]
    admin = runner.invoke(cli, ["report", "export", "--round", "1", "--as", "nobody", "--db", db])
    assert admin.exit_code == 1 and "--as: no active account 'nobody'" in admin.stderr


def test_a_save_between_reading_and_writing_the_workbook_loses_nothing(db):
    """Two transactions: the workbook's rows are read, another save commits, then the workbook writes: the version
    check refuses the whole batch (LostRace) and the other save stays."""
    from mieruka.workflow.reports import LostRace

    raw = filled(exported(db), {"J2": 330, "J3": 230})
    with storage.session_scope(db) as first:
        p = who(first, "rep")
        items = [(first.get(Report, 1), {"value": 330.0}), (first.get(Report, 2), {"value": 230.0})]
        with storage.session_scope(db) as second:
            reports.save(second, who(second, "sec"), second.get(Report, 1),
                         {"value": "310"}, 1)
        with pytest.raises(LostRace):
            reports.apply_many(first, p, items, "web:xlsx")
        first.rollback()
    assert [r[3] for r in table(db)[:2]] == [310.0, None]
    with pytest.raises(workbook.WorkbookRefused):  # the workbook itself is now stale for report 1
        imported(db, raw)


def test_a_formula_cell_is_refused_by_name_not_read_as_empty(db):
    # openpyxl saves no cached value: read for its value the cell was None, and a typed-over saved value was cleared
    imported(db, filled(exported(db), {"J2": 330, "L2": "2018-04-01"}))
    before, count = table(db), versions(db)
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, filled(exported(db), {"J2": "=330+1"}))
    assert caught.value.lines("ja") == ["シート「報告」 2行 J列(実績値): 「=330+1」は数値ではありません。"]
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, filled_steps(exported(db), {"工程の進捗!F2": '=CONCAT("a","b")'}))
    assert caught.value.lines("en") == [
        f"sheet 工程の進捗, row 2, column F (progress (in this report)): step {STEP!r}: "
        "may not begin with = + - or @ (write a decrease as ▲)."]
    assert table(db) == before and before[0][3] == 330 and versions(db) == count and step_table(db) == []


@pytest.fixture
def filled_book(db):
    """The exported workbook with a step's progress and a value filled in, open to be altered by hand."""
    return openpyxl.load_workbook(io.BytesIO(filled_steps(exported(db), {"工程の進捗!F2": "書いた", "報告!J2": 330})))


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused_keeping_all(db, raw: bytes) -> workbook.WorkbookRefused:
    """The import of raw, refused with nothing saved: no report, version or step changed."""
    before, count = table(db), versions(db)
    with pytest.raises(workbook.WorkbookRefused) as caught:
        imported(db, raw)
    assert table(db) == before and versions(db) == count and step_table(db) == []
    return caught.value


def test_a_format_2_workbook_without_its_steps_sheet_is_refused(db, filled_book):
    book = filled_book
    book["工程の進捗"].title = "工程"
    refused = refused_keeping_all(db, saved(book))
    assert refused.status == 422 and refused.lines("ja") == [
        "シート「報告」: houkoku.xlsx: シート「工程の進捗」がありません(名前を変えたり削除したりしないでください)。"]
    # a /1 file never had the sheet: it still imports
    del book["工程"]
    book["_mieruka"]["B1"] = "mieruka-report-workbook/1"
    assert imported(db, saved(book)).saved == [1] and table(db)[0][3] == 330 and step_table(db) == []


def test_a_format_1_workbook_with_a_steps_sheet_is_refused_not_half_read(db, filled_book):
    # a /1 workbook was made before the steps sheet existed: one that holds the sheet was put together by hand, and
    # its steps were imported under a format that has none
    filled_book["_mieruka"]["B1"] = "mieruka-report-workbook/1"
    refused = refused_keeping_all(db, saved(filled_book))
    assert refused.status == 422 and refused.lines("ja") == [
        "シート「報告」: houkoku.xlsx: 様式の版 mieruka-report-workbook/1 にはシート「工程の進捗」はありません"
        "(新しい様式をダウンロードしてください)。"]
    assert refused.lines("en") == [
        "sheet 報告: houkoku.xlsx: a workbook of format mieruka-report-workbook/1 has no sheet 工程の進捗 "
        "(download a new workbook)."]


def test_a_step_row_moved_to_another_kpi_is_refused_by_its_cell(db):
    # the steps sheet's KPI ID is locked like the report sheet's: a row that names another KPI than its report's is
    # not read as that report's step
    raw = exported(db)
    sheet = openpyxl.load_workbook(io.BytesIO(raw))["工程の進捗"]
    report_id, kpi_id = sheet["A2"].value, sheet["B2"].value
    refused = refused_keeping_all(db, filled_steps(raw, {"工程の進捗!B2": kpi_id + 1000, "工程の進捗!F2": "書いた"}))
    assert refused.lines("ja") == [
        f"シート「工程の進捗」 2行 B列(KPI ID): 報告 {report_id} の KPI ID は {kpi_id} です(変更できない欄です)。"]
