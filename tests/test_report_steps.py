"""The progress of process steps in a report, on SQLite and PostgreSQL: typed per step of the KPI's reform item,
saved under the report's lock as a version, refused when it is not a step or would run as a formula, seen by the
reviewer, published as process steps citing the round's snapshot, shown inert on the reform item's page."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cycle_staff import signed_in, staffed, who
from mieruka import storage
from mieruka.storage import models as m
from mieruka.storage.cycle_models import ReportVersion
from mieruka.storage.overview import reform_item_detail
from mieruka.web import create_app
from mieruka.workflow import reports, rounds, steps
from mieruka.workflow.reports import Conflict, InvalidReport, NotAllowed

STEP = "業務改革モデルプロジェクト"
TEXT = "モデル事業を<b>3団体</b>で実施し、成果を横展開した。"


@pytest.fixture
def db(db_url):
    return staffed(db_url, opened=True)


@pytest.fixture
def site_db(sqlite_url):
    return staffed(sqlite_url, opened=True)


def test_progress_is_typed_per_step_and_kept_as_a_version(db):
    with storage.session_scope(db) as s:
        report = reports.store.report(s, 1)
        assert steps.for_report(s, report) == [{"position": 1, "step": STEP, "progress": None}]
        changes = steps.save(s, who(s, "rep"), report, {STEP: f"  {TEXT} "}, 1)
        assert changes == {STEP: (None, TEXT)} and report.version == 2
        assert steps.for_report(s, report) == [{"position": 1, "step": STEP, "progress": TEXT}]
        assert steps.save(s, who(s, "rep"), report, {STEP: TEXT}, 2) == {} and report.version == 2  # no change
        last = s.scalars(select(ReportVersion).where(ReportVersion.report_id == 1).order_by(ReportVersion.id)).all()[-1]
        assert (last.actor, last.action, last.version, last.changes) == ("rep", "save", 2, {STEP: [None, TEXT]})


def test_bad_progress_is_named_by_its_step_and_nothing_is_saved(db):
    with storage.session_scope(db) as s:
        report = reports.store.report(s, 1)
        with pytest.raises(InvalidReport) as caught:
            steps.save(s, who(s, "rep"), report, {STEP: "=HYPERLINK(\"http://x\")", "架空の工程": "x"}, 1)
        assert [p.text("ja") for p in caught.value.problems] == [
            f"工程「{STEP}」: 先頭に = + - @ は使えません(減少は ▲ で書けます)。",
            "工程「架空の工程」: このKPIの改革項目の工程ではありません。"]
        assert caught.value.problems[1].text("en") == "step '架空の工程': is not a process step of this KPI's reform item."
        with pytest.raises(Conflict):
            steps.save(s, who(s, "rep"), report, {STEP: TEXT}, 7)
        with pytest.raises(NotAllowed):
            steps.save(s, who(s, "mof"), report, {STEP: TEXT}, 1)
        assert steps.for_report(s, report)[0]["progress"] is None and report.version == 1


def test_approved_progress_is_published_with_the_rounds_provenance(db):
    with storage.session_scope(db) as s:
        sec, rep = who(s, "sec"), who(s, "rep")
        report = reports.store.report(s, 1)
        steps.save(s, rep, report, {STEP: TEXT}, 1)
        reports.save(s, rep, report, {"actual_text": "330団体 (2018年4月速報値)"}, 2)
        reports.submit(s, rep, report, 3)
        reports.approve(s, sec, report, 4)
        done = rounds.publish(s, sec, rounds.get(s, 1))
        item = s.get(m.Kpi, report.kpi_id).reform_item_id
        doc = s.get(m.Document, done.round.document_id)
        line = json.loads(doc.raw.decode().splitlines()[1])
        assert line["steps"] == [{"step": STEP, "progress": TEXT}] and line["kpi_id"] == report.kpi_id
        published = s.scalars(select(m.ProcessStep).where(m.ProcessStep.document_id == doc.id)).all()
        assert [(p.reform_item_id, p.step, p.progress, p.line_start) for p in published] == [(item, STEP, TEXT, 2)]
        shown = [(x["step"], x["progress"], x["source"]["document_id"], x["source"]["line"])
                 for x in reform_item_detail(s, item)["steps"]]
        assert (STEP, TEXT, doc.id, 2) in shown and (STEP, "モデル事業を進めている。") in [x[:2] for x in shown]
        # a report not approved publishes no step
        assert steps.snapshot_lines(s, [reports.store.report(s, 2)]) == {}


def test_through_the_pages_the_reviewer_sees_it_and_the_item_page_shows_it_inert(site_db):
    db = site_db
    app = create_app(db)
    rep, sec = signed_in(app, "rep"), signed_in(app, "sec")
    form = {"csrf_token": rep.csrf, "version": "1", "step_1": STEP, "progress_1": TEXT}
    saved = rep.post("/reports/1/steps", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/reports/1?saved=steps"
    stale = rep.post("/reports/1/steps?lang=en", data={**form, "progress_1": "x"})
    assert stale.status_code == 409 and "Someone else saved this report first." in stale.text
    bad = rep.post("/reports/1/steps", data={**form, "version": "2", "progress_1": "@SUM(A1)"})
    assert bad.status_code == 422 and f"工程「{STEP}」: 先頭に = + - @ は使えません" in bad.text
    page = sec.get("/reports/1").text
    assert "モデル事業を&lt;b&gt;3団体&lt;/b&gt;で実施し" in page and "<b>3団体</b>" not in page
    assert rep.post("/reports/1", data={"csrf_token": rep.csrf, "version": "2", "actual_text": "330団体 (2018年4月速報値)",
                                        "action": "submit"}).status_code == 200
    assert sec.post("/reports/1/approve", data={"csrf_token": sec.csrf, "version": "4"}).status_code == 200
    assert sec.post("/rounds/1/publish", data={"csrf_token": sec.csrf}).status_code == 200
    with storage.session_scope(db) as s:
        item = s.get(m.Kpi, 1).reform_item_id
    public = TestClient(app).get(f"/items/{item}").text
    assert "モデル事業を&lt;b&gt;3団体&lt;/b&gt;で実施し、成果を横展開した。" in public and "<b>3団体</b>" not in public
