"""Corrections as new editions, on SQLite and PostgreSQL: the secretariat opens a correction of a published round,
changes a value, publishes it as a new edition that names the one it corrects; the old edition, its snapshot and its
values stay exactly as they were; the comparison shows what the correction changed. Then the pages and the shell."""
from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cycle_staff import GOOD, ROUND, signed_in, who
import webdata
from mieruka import storage
from mieruka.accounts import service
from mieruka.cli import load_commands
from mieruka.storage import models as m
from mieruka.evaluate.audit import audit
from mieruka.evaluate.findings import all_schemes
from mieruka.storage.cycle_models import ReportVersion, SecurityEvent
from mieruka.storage.overview import rating_rows
from mieruka.storage.queries import kpi_rows
from mieruka.web import create_app
from mieruka.workflow import corrections, reports, rounds, steps
from mieruka.workflow.reports import NotAllowed, WorkflowError

STEP = "業務改革モデルプロジェクト"
NOTE = "KPI 1 の実績値は集計誤り(330ではなく331)"


def published(url, target: dict | None = None) -> None:
    """Round 1 published with report 1 (330団体, rating B, a step's progress, and the target change given, approved);
    the other reports left as drafts."""
    webdata.build(url)
    with storage.session_scope(url) as s:
        service.create_user(s, "sec", "事務局 花子", GOOD, "secretariat")
        service.create_user(s, "rep", "総務 太郎", GOOD, "reporter", organisations=["総務省"])
        sec, rep = who(s, "sec"), who(s, "rep")
        rnd = rounds.open_round(s, sec, ROUND, date(2019, 3, 31), date(2019, 5, 31))
        r = reports.store.report(s, 1)
        steps.save(s, rep, r, {STEP: "3団体で実施した。"}, 1)
        reports.save(s, rep, r, {"actual_text": "330団体 (2018年4月速報値)", "proposed_rating": "B",
                                 "rating_reason": "目標に向け進捗", **(target or {})}, 2)
        reports.submit(s, rep, r, 3)
        reports.approve(s, sec, r, 4, approve_target=bool(target))
        rounds.publish(s, sec, rnd)


@pytest.fixture
def db(db_url):
    published(db_url)
    return db_url


def old_edition(s):
    """What round 1 published, row by row: it must never change."""
    doc = s.get(m.Document, rounds.get(s, 1).document_id)
    obs = s.scalars(select(m.Observation).where(m.Observation.document_id == doc.id).order_by(m.Observation.id)).all()
    rat = s.scalars(select(m.Rating).where(m.Rating.document_id == doc.id).order_by(m.Rating.id)).all()
    return (doc.sha256, doc.raw, [(o.id, o.kpi_id, o.value, o.text, o.as_of) for o in obs],
            [(r.id, r.kpi_id, r.code) for r in rat])


def test_a_correction_is_a_new_edition_naming_the_one_it_corrects(db):
    with storage.session_scope(db) as s:
        before = old_edition(s)
        sec, rep = who(s, "sec"), who(s, "rep")
        with pytest.raises(NotAllowed):
            corrections.open_correction(s, rep, rounds.get(s, 1), NOTE)
        with pytest.raises(WorkflowError, match="Say what the correction corrects"):
            corrections.open_correction(s, sec, rounds.get(s, 1), "  ")
        with pytest.raises(WorkflowError, match=r"^what it corrects: no control characters \(NUL and the like\)"):
            corrections.open_correction(s, sec, rounds.get(s, 1), "値\x00の誤り")
        with pytest.raises(WorkflowError, match=r"^round name: no control characters"):
            corrections.open_correction(s, sec, rounds.get(s, 1), NOTE, "\u202e1正訂")
        fix = corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
        assert (fix.id, fix.name, fix.state, fix.corrects_round_id, fix.correction_note, fix.as_of) == (
            2, f"{ROUND}(訂正1)", "closed", 1, NOTE, date(2019, 3, 31))
        [copy] = reports.store.reports(s, round_id=2)
        assert (copy.kpi_id, copy.state, copy.actual_text, copy.value, copy.proposed_rating, copy.submitted_by) == (
            1, "submitted", "330団体 (2018年4月速報値)", 330.0, "B", "sec")
        assert steps.for_report(s, copy) == [{"position": 1, "step": STEP, "progress": "3団体で実施した。"}]
        with pytest.raises(WorkflowError, match="is not published"):
            corrections.open_correction(s, sec, fix, NOTE)
        with pytest.raises(WorkflowError, match="is not published yet: fix the values in it"):
            corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
        with pytest.raises(WorkflowError, match="closed"):  # the reporters do not edit a correction
            reports.save(s, rep, copy, {"value": "1"}, copy.version)
        corrections.amend(s, sec, fix, 1, {"actual_text": "331団体 (2018年4月速報値)", "proposed_rating": "A",
                                           "rating_reason": "集計を直すと目標を達成"}, via="web")
        assert (copy.state, copy.value, copy.approved_by) == ("approved", 331.0, "sec")
        done = rounds.publish(s, sec, fix)
        assert (done.reports, done.observations, done.ratings) == (1, 1, 1)
        new_doc = s.get(m.Document, fix.document_id)
        head = json.loads(new_doc.raw.decode().splitlines()[0])
        assert head["corrects_round_id"] == 1 and new_doc.meta["corrects_round_id"] == 1
        assert new_doc.id != rounds.get(s, 1).document_id and fix.edition_id != rounds.get(s, 1).edition_id
        assert old_edition(s) == before  # nothing of the corrected edition was touched
        compared = rounds.changes(s, fix)
        [row] = compared["kpis"]
        assert (row["old_actual"]["text"], row["new_actual"]["text"], row["actual_changed"]) == (
            "330団体 (2018年4月速報値)", "331団体 (2018年4月速報値)", True)
        assert (row["old_rating"], row["new_rating"], row["rating_moved"]) == ("B", "A", "up")
        assert compared["corrects"]["name"] == ROUND and compared["correction_note"] == NOTE
        assert compared["previous_round"] == {"id": 1, "name": ROUND}
        original = rounds.changes(s, rounds.get(s, 1))
        assert [r["name"] for r in original["corrected_by"]] == [f"{ROUND}(訂正1)"]
        assert original["kpis"][0]["new_actual"]["text"] == "330団体 (2018年4月速報値)"  # still readable as it was
        with pytest.raises(WorkflowError, match="has the correction"):
            corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
        again = corrections.open_correction(s, sec, fix, "もう一度")  # a correction of the correction
        assert (again.name, again.corrects_round_id) == (f"{ROUND}(訂正1)(訂正1)", 2)
        log = [(e.event, e.actor, e.subject) for e in s.scalars(
            select(SecurityEvent).where(SecurityEvent.event.in_(["correction_open", "publish"])).order_by(SecurityEvent.id))]
        assert log == [("publish", "sec", ROUND), ("correction_open", "sec", f"{ROUND}(訂正1)"),
                       ("publish", "sec", f"{ROUND}(訂正1)"), ("correction_open", "sec", f"{ROUND}(訂正1)(訂正1)")]
        chain = [(v.action, v.actor) for v in s.scalars(select(ReportVersion).where(ReportVersion.report_id == copy.id)
                                                       .order_by(ReportVersion.id))]
        assert chain == [("correct", "sec"), ("amend", "sec"), ("publish", "sec")]  # one amendment, one version


def current(s, kpi_id=1):
    """What the pages, the API and the audit read of a KPI: its observations' texts and its official ratings' codes
    with the document they cite."""
    [kpi] = kpi_rows(s, [kpi_id])
    return ([o["text"] for o in kpi["observations"]],
            [(r["code"], r["source"]["document"]) for r in kpi["ratings"] if r["official"] and r["source"]
             and r["source"]["document"].startswith("round-")])


def test_a_corrected_value_is_no_longer_current_nor_audited_against_its_correction(db):
    with storage.session_scope(db) as s:
        sec = who(s, "sec")
        first = s.get(m.Document, rounds.get(s, 1).document_id).file_name
        texts, ratings = current(s)
        assert "330団体 (2018年4月速報値)" in texts and ratings == [("B", first)]
        fix = corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
        corrections.amend(s, sec, fix, 1, {"actual_text": "331団体 (2018年4月速報値)", "proposed_rating": "A",
                                           "rating_reason": "集計を直すと目標を達成"})
        assert current(s) == (texts, ratings)  # an unpublished correction replaces nothing
        before = old_edition(s)
        rounds.publish(s, sec, fix)
        second = s.get(m.Document, fix.document_id).file_name
        texts, ratings = current(s)
        assert "331団体 (2018年4月速報値)" in texts and "330団体 (2018年4月速報値)" not in texts
        assert ratings == [("A", second)]
        assert old_edition(s) == before  # still stored as published, in its own edition
        [kpi] = kpi_rows(s, [1])
        found = [(f.kind, sorted(x["document"] for x in f.row("ja")["sources"]))
                 for f in audit([kpi], all_schemes(), date(2019, 3, 31))]
        assert not [f for f in found if first in f[1]], found  # no conflict between the value and its correction
        assert [r["code"] for r in rating_rows(s, kpi_ids=[1], official=True)
                if r["source"] and r["source"]["document"] in (first, second)] == ["A"]
        assert summary(s, 1)["latest_text"] == "331団体 (2018年4月速報値)"


def summary(s, kpi_id):
    from mieruka.storage.summaries import _summaries

    return _summaries(s, [kpi_id])[0]


def test_the_pages_open_change_and_publish_a_correction(sqlite_url):
    published(sqlite_url)
    app = create_app(sqlite_url)
    sec = signed_in(app, "sec")
    assert "訂正を始める" in sec.get("/rounds").text
    refused = sec.post("/rounds/corrections", data={"csrf_token": sec.csrf, "round": "1", "note": ""})
    assert refused.status_code == 422 and "何を訂正するかを2000文字以内で書いてください。" in refused.text
    opened = sec.post("/rounds/corrections", data={"csrf_token": sec.csrf, "round": "1", "note": "<b>集計誤り</b>"},
                      follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/review?correction=2"
    assert f"{ROUND}(訂正1)" in sec.get("/review").text
    with storage.session_scope(sqlite_url) as s:
        [copy] = reports.store.reports(s, round_id=2)
        copy_id, version = copy.id, copy.version
    assert sec.post(f"/reports/{copy_id}", data={"csrf_token": sec.csrf, "version": str(version),
                                                 "actual_text": "331団体 (2018年4月速報値)"}).status_code == 200
    assert sec.post(f"/reports/{copy_id}/approve", data={"csrf_token": sec.csrf,
                                                         "version": str(version + 1)}).status_code == 200
    assert sec.post("/rounds/2/publish", data={"csrf_token": sec.csrf}).status_code == 200
    public = TestClient(app)
    new = public.get("/rounds/2/changes").text
    assert f"この版は「{ROUND}」を訂正する版です。" in new and '訂正の内容: <span lang="ja" translate="no">&lt;b&gt;集計誤り&lt;/b&gt;</span>' in new
    assert "331団体 (2018年4月速報値)" in new and "330団体 (2018年4月速報値)" in new
    old = public.get("/rounds/1/changes").text
    assert f"この版は「{ROUND}(訂正1)」で訂正されています。" in old
    assert public.get("/rounds/2/changes.json").json()["corrects"]["id"] == 1
    # the corrected value is no longer shown as current, nor offered as a download; the history keeps both steps
    page, listing = public.get("/kpis/1").text, public.get("/kpis").text
    assert "331団体" in page and "330団体" not in page and "330団体" not in listing
    api = public.get("/api/kpis/1").json()
    assert [o["text"] for o in api["observations"]][-1] == "331団体 (2018年4月速報値)"
    assert "330団体 (2018年4月速報値)" not in [o["text"] for o in api["observations"]]
    csv = public.get("/kpis.csv")
    row = next(line for line in csv.text.splitlines() if line.startswith("1,")).split(",")
    assert csv.status_code == 200 and row[11:13] == ["331", "2018-04-01"], row
    history = sec.get("/kpis/1/history").text
    assert "330団体 (2018年4月速報値)" in history and "331団体 (2018年4月速報値)" in history
    assert history.count("事務局 花子") >= 2 and "総務 太郎" in history


def test_the_shell_corrects_amends_and_publishes(tmp_path):
    db = str(tmp_path / "fix.db")
    published(f"sqlite:///{db}")
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", db])

    refused = run("round", "correct", "1", "--note", NOTE, "--as", "rep")
    assert refused.exit_code == 1 and "rep is reporter" in refused.stderr
    opened = run("round", "correct", ROUND, "--note", NOTE, "--as", "sec")
    assert opened.exit_code == 0, opened.stderr
    assert opened.stdout.startswith(f"opened correction 2 {ROUND}(訂正1): 1 report(s) copied")
    bad = run("round", "amend", "2", "1", "value=三百", "--as", "sec")
    assert bad.exit_code == 1 and "actual value: '三百' is not a number." in bad.stderr
    wrong = run("round", "amend", "2", "1", "colour=red", "--as", "sec")
    assert wrong.exit_code == 1 and "'colour=red': give field=value" in wrong.stderr
    amended = run("round", "amend", "2", "1", "actual_text=331団体 (2018年4月速報値)", "--as", "sec")
    assert amended.exit_code == 0, amended.stderr
    # the copy was version 1: one amendment is one version, each time (it was 3, then 7)
    assert amended.stdout == "amended and approved report 5 (KPI 1), version 2\n"
    again = run("round", "amend", "2", "1", "actual_text=331団体 (2018年4月速報値)", "proposed_rating=A", "--as", "sec")
    assert again.stdout == "amended and approved report 5 (KPI 1), version 3\n", again.stderr
    assert run("round", "publish", "2", "--as", "sec").exit_code == 0
    with storage.session_scope(f"sqlite:///{db}") as s:
        [row] = rounds.changes(s, rounds.get(s, 2))["kpis"]
        assert (row["old_actual"]["value"], row["new_actual"]["value"]) == (330.0, 331.0)
        versions = s.scalars(select(ReportVersion).where(ReportVersion.report_id == 5)
                             .order_by(ReportVersion.id)).all()
        assert [(v.version, v.action, v.via, sorted(v.changes)) for v in versions[:3]] == [
            (1, "correct", "cli", ["state"]),
            (2, "amend", "cli", ["actual_text", "approved_at", "approved_by", "state", "value"]),
            (3, "amend", "cli", ["approved_at", "proposed_rating"])]
        assert versions[1].changes["value"] == [330.0, 331.0] and versions[1].changes["state"] == [
            "submitted", "approved"]


def test_the_overview_s_changes_leave_out_a_value_its_correction_replaced(db):
    from mieruka.storage.overview import last_ingest_changes

    with storage.session_scope(db) as s:
        sec = who(s, "sec")
        fix = corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
        corrections.amend(s, sec, fix, 1, {"actual_text": "331団体 (2018年4月速報値)", "proposed_rating": "A",
                                           "rating_reason": "集計を直すと目標を達成"})
        rounds.publish(s, sec, fix)
        # the edition and its correction in the same run: only the correction's value and rating are new
        changes = last_ingest_changes(s)
        assert [d["file_name"] for d in changes["documents"]] == ["round-1.jsonl", "round-2.jsonl"]
        assert [(o["kpi_id"], o["text"]) for o in changes["new_observations"]] == [(1, "331団体 (2018年4月速報値)")]
        assert [(c["kpi_id"], c["after"]) for c in changes["rating_changes"]] == [(1, "A")]
    for lang in ("", "?lang=en"):
        page = TestClient(create_app(db)).get("/" + lang).text
        assert "331団体 (" in page and "330団体" not in page


def test_an_amendment_that_changes_nothing_adds_no_version(db):
    """Amending a report with the values it already holds, approved already, added a version (only approved_at
    moved). It changes nothing and says so: no version, the report as it was."""
    fix_values = {"actual_text": "331団体 (2018年4月速報値)", "proposed_rating": "A"}
    with storage.session_scope(db) as s:
        sec = who(s, "sec")
        fix = corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
        report, changes = corrections.amend(s, sec, fix, 1, fix_values)
        assert (report.version, report.state, changes["value"]) == (2, "approved", (330.0, 331.0))
    with storage.session_scope(db) as s:
        sec, fix = who(s, "sec"), rounds.get(s, 2)
        approved_at = reports.store.reports(s, round_id=2, kpi_id=1)[0].approved_at
        report, changes = corrections.amend(s, sec, fix, 1, fix_values)
        assert changes == {} and report.version == 2
        # the same values written another way (the structured value beside the cell) are still the same values
        report, changes = corrections.amend(s, sec, fix, 1, {"value": "331", "proposed_rating": "A"})
        assert changes == {} and report.version == 2
    with storage.session_scope(db) as s:
        report = reports.store.reports(s, round_id=2, kpi_id=1)[0]
        assert (report.version, report.approved_at) == (2, approved_at)
        versions = s.scalars(select(ReportVersion).where(ReportVersion.report_id == report.id)).all()
        assert [(v.version, v.action) for v in versions] == [(1, "correct"), (2, "amend")]


def test_an_amended_target_change_is_approved_with_it_or_refused(db):
    """A target change in an amendment without approve_target was approved with the report ("amended and approved")
    and then left out of the published edition. It is refused, naming --approve-target, and nothing is kept; with
    it, the edition publishes the new target."""
    target = {"target_text": "2020年度までに 450団体", "target_reason": "前倒しで達成見込み"}
    with storage.session_scope(db) as s:
        sec = who(s, "sec")
        corrections.open_correction(s, sec, rounds.get(s, 1), NOTE)
    with pytest.raises(reports.InvalidReport) as refused:
        with storage.session_scope(db) as s:
            corrections.amend(s, who(s, "sec"), rounds.get(s, 2), 1, {"actual_text": "331団体 (2018年4月速報値)",
                                                                       **target})
    assert [p.text("en") for p in refused.value.problems] == [
        "target change: target as one cell, new target value, target unit, target deadline and reason for the target "
        "change changed; an amendment approves the report, so give --approve-target to approve the target change too "
        "(or leave the target fields out)."]
    assert refused.value.problems[0].text("ja").startswith(
        "目標値の変更: 目標値(1セルの記載)・新しい目標値・目標値の単位・目標の期限・目標変更の理由が変わります。")
    with storage.session_scope(db) as s:
        report = reports.store.reports(s, round_id=2, kpi_id=1)[0]
        assert (report.version, report.state, report.value, report.target_value) == (1, "submitted", 330.0, None)
        report, changes = corrections.amend(s, who(s, "sec"), rounds.get(s, 2), 1, target, approve_target=True)
        assert (report.target_value, report.target_approved, changes["target_approved"]) == (450.0, True,
                                                                                               (None, True))
        # the target unchanged, a later amendment keeps its approval without the flag
        report, changes = corrections.amend(s, who(s, "sec"), rounds.get(s, 2), 1, {"rating_reason": "集計誤り"})
        assert report.target_approved is True and "target_approved" not in changes
        done = rounds.publish(s, who(s, "sec"), rounds.get(s, 2))
        assert done.targets == 1


def test_the_shell_says_when_an_amendment_changes_nothing_or_needs_its_target_approved(tmp_path):
    db = str(tmp_path / "fix.db")
    published(f"sqlite:///{db}")
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", db])

    assert run("round", "correct", "1", "--note", NOTE, "--as", "sec").exit_code == 0
    first = run("round", "amend", "2", "1", "actual_text=331団体 (2018年4月速報値)", "--as", "sec")
    assert first.stdout == "amended and approved report 5 (KPI 1), version 2\n"
    same = run("round", "amend", "2", "1", "actual_text=331団体 (2018年4月速報値)", "--as", "sec")
    assert same.exit_code == 0, same.stderr
    assert same.stdout == ("nothing changed: report 5 (KPI 1) already holds these values and is approved; no version "
                           "added (it stays version 2) / 変更はありません(版は 2 のまま)\n")
    target = ("target_text=2020年度までに 450団体", "target_reason=前倒しで達成見込み")
    refused = run("round", "amend", "2", "1", *target, "--as", "sec")
    assert refused.exit_code == 1 and refused.stdout == "" and "Traceback" not in refused.output
    assert "target change: target as one cell, new target value, target unit, target deadline and reason for the " \
           "target change changed; an amendment approves the report, so give --approve-target to approve the target " \
           "change too" in refused.stderr
    assert "目標値の変更: 目標値(1セルの記載)・新しい目標値・目標値の単位・目標の期限・目標変更の理由が変わります。" in refused.stderr
    approved = run("round", "amend", "2", "1", *target, "--approve-target", "--as", "sec")
    assert approved.stdout == "amended and approved report 5 (KPI 1), version 3; its target change is approved too\n"
    with storage.session_scope(f"sqlite:///{db}") as s:
        versions = s.scalars(select(ReportVersion).where(ReportVersion.report_id == 5)).all()
        assert [v.version for v in versions] == [1, 2, 3]
    published_ = run("round", "publish", "2", "--as", "sec")
    assert "1 target(s)" in published_.stdout


TARGET = {"target_text": "2019年度までに 500団体", "target_reason": "制度改正で対象が増えた"}


def kpi1_copy(s):
    """The correction's report of KPI 1, its target, and its stored versions."""
    report = reports.store.reports(s, round_id=2, kpi_id=1)[0]
    versions = s.scalars(select(ReportVersion).where(ReportVersion.report_id == report.id)
                         .order_by(ReportVersion.version)).all()
    return ((report.version, report.state, report.target_value, report.target_unit, report.target_deadline,
             report.target_reason, report.target_approved), [(v.version, v.action) for v in versions])


@pytest.mark.parametrize("form, named_en, named_ja", [
    ({"target_unit": "%"}, "target unit", "目標値の単位"),
    ({"target_deadline": "2021-03-31"}, "target deadline", "目標の期限"),
    ({"target_reason": "見直し"}, "reason for the target change", "目標変更の理由"),
    ({"target_value": "450", "target_deadline": "2021-03-31"}, "new target value and target deadline",
     "新しい目標値・目標の期限"),
    ({"target_text": "2020年度までに 450団体", "actual_text": "331団体 (2018年4月速報値)"},
     "target as one cell, new target value and target deadline", "目標値(1セルの記載)・新しい目標値・目標の期限"),
])
def test_an_amendment_changing_any_target_field_needs_approve_target(db_url, form, named_en, named_ja):
    """Only a changed target value or deadline was refused without approve_target: a changed unit or reason kept the
    approval given to the old target (the edition would publish 500 %), and a changed deadline alone was refused as
    the "new target value". Any target field changed is refused, naming the fields that changed, nothing kept."""
    published(db_url, TARGET)
    with storage.session_scope(db_url) as s:
        corrections.open_correction(s, who(s, "sec"), rounds.get(s, 1), NOTE)
    with storage.session_scope(db_url) as s:
        before = kpi1_copy(s)
        assert before == ((1, "submitted", 500.0, "団体", date(2020, 3, 31), "制度改正で対象が増えた", True),
                          [(1, "correct")])
    with pytest.raises(reports.InvalidReport) as refused:
        with storage.session_scope(db_url) as s:
            corrections.amend(s, who(s, "sec"), rounds.get(s, 2), 1, form)
    assert [p.text("en") for p in refused.value.problems] == [
        f"target change: {named_en} changed; an amendment approves the report, so give --approve-target to approve "
        "the target change too (or leave the target fields out)."]
    assert [p.text("ja") for p in refused.value.problems] == [
        f"目標値の変更: {named_ja}が変わります。訂正は報告を承認するので、目標の変更も承認するなら --approve-target を"
        "付けてください(変更しないなら目標の項目を外してください)。"]
    with storage.session_scope(db_url) as s:
        assert kpi1_copy(s) == before
        report, changes = corrections.amend(s, who(s, "sec"), rounds.get(s, 2), 1, form, approve_target=True)
        assert (report.version, report.state, report.target_approved) == (2, "approved", True)
        assert {f for f in changes if f.startswith("target_")} == {
            {"target unit": "target_unit", "target deadline": "target_deadline", "new target value": "target_value",
             "reason for the target change": "target_reason", "target as one cell": "target_text"}[n]
            for n in named_en.replace(" and ", ", ").split(", ")}


def test_the_shell_refuses_a_target_unit_change_without_approve_target(tmp_path):
    """The reviewer's case: `round amend 2 1 target_unit=%` on a target of 500団体 approved said "its target change is
    approved too" without --approve-target, and the edition would have published 500 %."""
    db = str(tmp_path / "fix.db")
    published(f"sqlite:///{db}", TARGET)
    cli, runner = load_commands(), CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", db])

    def stored():
        with storage.session_scope(f"sqlite:///{db}") as s:
            return kpi1_copy(s)

    assert run("round", "correct", "1", "--note", NOTE, "--as", "sec").exit_code == 0
    before = stored()
    unit = run("round", "amend", "2", "1", "target_unit=%", "--as", "sec")
    assert (unit.exit_code, unit.stdout) == (1, "") and "Traceback" not in unit.output
    assert "target change: target unit changed; an amendment approves the report, so give --approve-target to " \
           "approve the target change too (or leave the target fields out). / 目標値の変更: 目標値の単位が変わります。" \
           in unit.stderr
    deadline = run("round", "amend", "2", "1", "target_deadline=2021-03-31", "--as", "sec")
    assert (deadline.exit_code, deadline.stdout) == (1, "")
    assert "target change: target deadline changed;" in deadline.stderr and "new target value" not in deadline.stderr
    assert "目標値の変更: 目標の期限が変わります。" in deadline.stderr
    assert stored() == before
    # the target left alone keeps the approval the edition published it with, and the output says just that
    actual = run("round", "amend", "2", "1", "actual_text=331団体 (2018年4月速報値)", "--as", "sec")
    assert actual.stdout == ("amended and approved report 5 (KPI 1), version 2; its target is unchanged and stays "
                             "approved\n")
    approved = run("round", "amend", "2", "1", "target_unit=%", "--approve-target", "--as", "sec")
    assert approved.stdout == "amended and approved report 5 (KPI 1), version 3; its target change is approved too\n"
    assert stored()[0][3] == "%"
