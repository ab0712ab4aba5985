"""The reporting cycle on SQLite and PostgreSQL: rounds, reports, the optimistic lock (also across two real
transactions), returned/approved states, publishing with provenance, and what the public sees before and after."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from cycle_staff import ROUND, staffed, who
from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import models as m
from mieruka.storage.cycle_models import Report, ReportVersion, RoundValue
from mieruka.storage.queries import kpi_rows
from mieruka.workflow import checks, reports, rounds
from mieruka.workflow.reports import Conflict, InvalidReport, LostRace, NotAllowed, WorkflowError

OUTSOURCING = "窓口業務のアウトソーシング"


@pytest.fixture
def db(db_url):
    return staffed(db_url, ("sec", "rep", "rep2", "mof", "root"))


def opened(db) -> int:
    with storage.session_scope(db) as s:
        return rounds.open_round(s, who(s, "sec"), ROUND, date(2019, 3, 31), date(2019, 5, 31)).id


def report_of(s, round_id: int, name: str) -> Report:
    kpi_id = next(k["id"] for k in kpi_rows(s) if k["name"] == name)
    return reports.store.reports(s, round_id=round_id, kpi_id=kpi_id)[0]


def test_open_round_gives_each_owned_kpi_a_draft(db):
    round_id = opened(db)
    with storage.session_scope(db) as s:
        got = sorted((s.get(m.Kpi, r.kpi_id).name, s.get(m.Organisation, r.organisation_id).name, r.state, r.version)
                     for r in reports.store.reports(s, round_id=round_id))
        # three KPIs name 総務省; the fourth names none and goes to its reform item's lead (総務省 again)
        assert got == sorted([(n, "総務省", "draft", 1) for n in
                              (OUTSOURCING, "総合窓口の導入", "庶務業務の集約化", "歳出効率化の成果(事後的に検証する指標)")])
        with pytest.raises(WorkflowError, match="exists already"):
            rounds.open_round(s, who(s, "sec"), ROUND, date(2019, 3, 31), date(2019, 5, 31))
        with pytest.raises(WorkflowError, match="deadline must not be before"):
            rounds.open_round(s, who(s, "sec"), "x", date(2019, 3, 31), date(2019, 1, 1))
        with pytest.raises(NotAllowed):
            rounds.open_round(s, who(s, "rep"), "y", date(2019, 3, 31), date(2019, 5, 31))


def test_one_cell_is_read_and_bad_fields_are_named_with_nothing_saved(db):
    round_id = opened(db)
    with storage.session_scope(db) as s:
        r = report_of(s, round_id, OUTSOURCING)
        changes = reports.save(s, who(s, "rep"), r, {"actual_text": "330団体 (2018年4月速報値)"}, 1)
        assert changes["value"] == (None, 330.0) and changes["as_of"] == (None, date(2018, 4, 1))
        assert (r.unit, r.status, r.version) == ("団体", "preliminary", 2)
        with pytest.raises(InvalidReport) as caught:
            reports.save(s, who(s, "rep"), r, {"value": "三百", "as_of": "昨日ごろ", "status": "draft-ish",
                                                "proposed_rating": "S", "rating_reason": "x"}, 2)
        assert [p.field for p in caught.value.problems] == ["value", "as_of", "status", "proposed_rating"]
        assert caught.value.problems[0].text("ja") == "実績値: 「三百」は数値ではありません。"
        assert caught.value.problems[3].text("en") == "proposed rating: a rating is one of A, B, N, F."
        assert (r.value, r.version) == (330.0, 2)
        with pytest.raises(InvalidReport) as caught:
            reports.save(s, who(s, "rep"), r, {"rating_reason": '=HYPERLINK("http://x")', "value": "-3"}, 2)
        assert [(p.field, p.en) for p in caught.value.problems] == \
            [("rating_reason", "may not begin with = + - or @ (write a decrease as ▲).")]
        with pytest.raises(InvalidReport) as caught:
            reports.save(s, who(s, "rep"), r, {"target_text": "2020年度までに 450団体", "target_reason": ""}, 2)
        assert [p.field for p in caught.value.problems] == ["target_reason"]


def test_second_saver_gets_a_conflict_with_both_values_and_nothing_is_lost(db):
    round_id = opened(db)
    with storage.session_scope(db) as s:
        r = report_of(s, round_id, OUTSOURCING)
        reports.save(s, who(s, "rep"), r, {"value": "330", "as_of": "2018-04-01"}, 1)
        with pytest.raises(Conflict) as caught:
            reports.save(s, who(s, "rep2"), r, {"value": "331", "as_of": "2018-04-01"}, 1)
        c = caught.value
        assert c.rows == [{"field": "value", "mine": 331.0, "theirs": 330.0}] and c.by == "rep" and c.version == 2
        assert r.value == 330.0
        reports.save(s, who(s, "rep2"), r, {"value": "331"}, c.version)  # saved again over what they now saw
        assert (r.value, r.version) == (331.0, 3)
        assert [(v.actor, v.changes.get("value")) for v in reports.store.versions(s, [r.id])[1:]] == \
            [("rep", [None, 330.0]), ("rep2", [330.0, 331.0])]


def test_the_version_column_catches_a_race_between_two_transactions(db):
    round_id = opened(db)
    engine = storage.get_engine(db)
    from sqlalchemy.orm import Session

    first, second = Session(engine), Session(engine)
    try:
        ra, rb = report_of(first, round_id, OUTSOURCING), report_of(second, round_id, OUTSOURCING)
        pa, pb = who(first, "rep"), who(second, "rep2")
        first.commit()  # end the read transactions; both hold version 1 in memory
        second.commit()
        ra, rb = report_of(first, round_id, OUTSOURCING), report_of(second, round_id, OUTSOURCING)
        assert ra.version == rb.version == 1
        report_id = rb.id
        reports.save(first, pa, ra, {"value": "330"}, 1)
        first.commit()
        with pytest.raises(LostRace):
            reports.save(second, pb, rb, {"value": "331"}, 1)
        conflict = reports.conflict_after_race(second, report_id, {"value": 331.0})
        assert conflict.rows == [{"field": "value", "mine": 331.0, "theirs": 330.0}] and conflict.by == "rep"
    finally:
        first.close()
        second.close()
    with storage.session_scope(db) as s:
        r = report_of(s, round_id, OUTSOURCING)
        assert (r.value, r.version) == (330.0, 2)
        assert s.scalar(select(func.count()).select_from(ReportVersion).where(ReportVersion.report_id == r.id)) == 2


def test_reporters_touch_only_their_organisations_and_never_review(db):
    round_id = opened(db)
    with storage.session_scope(db) as s:
        r = report_of(s, round_id, OUTSOURCING)
        with pytest.raises(NotAllowed):
            reports.save(s, who(s, "mof"), r, {"value": "1"}, 1)
        with pytest.raises(NotAllowed):
            reports.save(s, who(s, "root"), r, {"value": "1"}, 1)
        reports.save(s, who(s, "rep"), r, {"actual_text": "330団体 (2018年4月速報値)"}, 1)
        reports.submit(s, who(s, "rep"), r, 2)
        with pytest.raises(WorkflowError, match="submitted and cannot be edited"):
            reports.save(s, who(s, "rep"), r, {"value": "1"}, 3)
        for act in (lambda p: reports.approve(s, p, r, 3), lambda p: reports.return_report(s, p, r, "x", 3)):
            with pytest.raises(NotAllowed):
                act(who(s, "rep"))
        assert (r.state, r.value) == ("submitted", 330.0)
        assert not reports.may_view(who(s, "mof"), r) and reports.may_view(who(s, "rep2"), r)


def test_whole_cycle_publishes_with_provenance_and_the_public_sees_only_published(db):
    round_id = opened(db)
    with storage.session_scope(db) as s:
        sec, rep = who(s, "sec"), who(s, "rep")
        a = report_of(s, round_id, OUTSOURCING)
        b = report_of(s, round_id, "総合窓口の導入")
        reports.save(s, rep, a, {"actual_text": "330団体 (2018年4月速報値)", "proposed_rating": "A",
                                 "rating_reason": "計画線を上回る", "target_text": "2020年度までに 450団体",
                                 "target_reason": "前倒し達成の見込み", "next_measurement": "2019年4月"}, 1)
        reports.save(s, rep, b, {"value": "250", "unit": "団体", "as_of": "2018-04-01", "status": "final"}, 1)
        reports.submit(s, rep, a, a.version)
        reports.submit(s, rep, b, b.version)
        with pytest.raises(InvalidReport):
            reports.return_report(s, sec, b, "  ", b.version)
        reports.return_report(s, sec, b, "確報値の出典を書いてください", b.version)
        assert (b.state, b.return_comment) == ("returned", "確報値の出典を書いてください")
        reports.save(s, rep, b, {"value": "252"}, b.version)
        reports.submit(s, rep, b, b.version)
        reports.approve(s, sec, a, a.version, approve_target=True)
        reports.approve(s, sec, b, b.version)
        # approved but not published: the public rows do not have the values
        public = {k["name"]: k for k in kpi_rows(s)}
        assert [o["value"] for o in public[OUTSOURCING]["observations"]] == [301.0]
    with storage.session_scope(db) as s:
        done = rounds.publish(s, who(s, "sec"), rounds.get(s, ROUND))
        assert (done.reports, done.observations, done.targets, done.ratings) == (2, 2, 1, 1)
        assert done.rerated == ["reform-schedule"]
    with storage.session_scope(db) as s:
        public = {k["name"]: k for k in kpi_rows(s)}
        obs = public[OUTSOURCING]["observations"][-1]
        assert (obs["value"], obs["as_of"], obs["status"]) == (330.0, date(2018, 4, 1), "preliminary")
        assert obs["source"]["document"] == f"round-{round_id}.jsonl" and obs["source"]["line"] == 2
        assert public["総合窓口の導入"]["observations"][-1]["value"] == 252.0
        target = public[OUTSOURCING]["targets"][-1]
        assert (target["value"], target["deadline"], target["edition"]) == (450.0, date(2021, 3, 31), ROUND)
        official = [r for r in public[OUTSOURCING]["ratings"] if r["official"] and r["source"]["line"] == 2]
        assert [(r["code"], r["explanation"]) for r in official] == [("A", "計画線を上回る")]
        links = s.scalars(select(RoundValue).where(RoundValue.round_id == round_id)).all()
        assert sorted(v.kind for v in links) == ["observation", "observation", "rating", "target"]
        a = report_of(s, round_id, OUTSOURCING)
        assert (a.submitted_by, a.approved_by, a.state) == ("rep", "sec", "published")
        doc = s.get(m.Document, rounds.get(s, ROUND).document_id)
        assert doc.family == "reporting-round" and '"approved_by": "sec"' in doc.text.splitlines()[1]
        # published is final
        with pytest.raises(WorkflowError, match="published already"):
            rounds.publish(s, who(s, "sec"), rounds.get(s, ROUND))
        with pytest.raises(WorkflowError):
            reports.save(s, who(s, "sec"), a, {"value": "1"}, a.version)
        chain = reports.history(s, a.kpi_id, staff=False)
        assert [(h["action"], h["actor_name"]) for h in chain] == [
            ("open", "事務局 花子"), ("save", "総務 太郎"), ("submit", "総務 太郎"), ("approve", "事務局 花子"),
            ("publish", "事務局 花子")]
        assert all(h["changes"] is None for h in chain)
        b = report_of(s, round_id, "総合窓口の導入")
        staff = reports.history(s, b.kpi_id, staff=True)
        assert [h["action"] for h in staff] == ["open", "save", "submit", "return", "save", "submit", "approve", "publish"]
        assert staff[3]["comment"] == "確報値の出典を書いてください" and staff[4]["changes"]["value"] == [250.0, 252.0]
        assert [e["event"] for e in service.events(s) if e["event"].startswith(("round", "publish"))] == \
            ["round_open", "publish"]


def test_the_audit_of_a_report_finds_a_conflicting_value(db):
    round_id = opened(db)
    with storage.session_scope(db) as s:
        r = report_of(s, round_id, OUTSOURCING)
        # the schedule document says 301 for April 2017; the report says 299 for the same date
        reports.save(s, who(s, "rep"), r, {"actual_text": "299団体 (2017年4月速報値)"}, 1)
        found = checks.findings(s, r, "en")
        mine = [f for f in found if f["mine"]]
        assert [f["kind"] for f in mine] == ["value_conflict"]
        assert "301" in mine[0]["message"] and "299" in mine[0]["message"]


def test_a_report_s_audit_is_made_again_when_the_kpi_s_data_changes_not_on_every_view(db, monkeypatch):
    """The findings shown beside a report are kept between page views, and made again when the KPI's data changes
    though no document or rating was added (a published value corrected): they were kept by the count of documents
    and ratings, and went on naming a conflict that was no longer there."""
    round_id = opened(db)
    audited = []
    audit = checks.audit
    monkeypatch.setattr(checks, "audit", lambda kpis, *a, **k: audited.append(kpis[0]["id"]) or audit(kpis, *a, **k))
    with storage.session_scope(db) as s:
        r = report_of(s, round_id, OUTSOURCING)
        reports.save(s, who(s, "rep"), r, {"actual_text": "299団体 (2017年4月速報値)"}, 1)
        kpi_id = r.kpi_id
    with storage.session_scope(db) as s:
        r = s.get(Report, r.id)
        first = [f["message"] for f in checks.findings(s, r, "en") if f["mine"]]
        assert [f["kind"] for f in checks.findings(s, r, "en") if f["mine"]] == ["value_conflict"]
        # the report is named as such: it has no line
        assert first == ["the value at 2017-04-01 differs between documents: 301 bodies (schedule.txt line 4); "
                         "299 bodies (報告: 2019年度 進捗報告)"]
    with storage.session_scope(db) as s:  # another view: nothing changed, nothing audited
        assert [f["message"] for f in checks.findings(s, s.get(Report, r.id), "en") if f["mine"]] == first
    assert audited == [kpi_id]
    with storage.session_scope(db) as s:  # the document's 301 corrected to the report's 299
        fixed = s.execute(m.Observation.__table__.update().where(
            m.Observation.kpi_id == kpi_id, m.Observation.value == 301).values(value=299)).rowcount
    assert fixed >= 1
    with storage.session_scope(db) as s:
        assert [f for f in checks.findings(s, s.get(Report, r.id), "en") if f["kind"] == "value_conflict"] == []
    assert audited == [kpi_id, kpi_id]


def test_publishing_re_rates_only_the_kpis_the_round_changed(db, monkeypatch):
    from mieruka.evaluate import stored
    from mieruka.evaluate.schemes import load

    with storage.session_scope(db) as s:
        stored.evaluate_and_record(s, load("reform-schedule"), date(2019, 3, 31))  # the round's date
        total = s.scalar(select(func.count(m.Kpi.id)))
    round_id = opened(db)
    with storage.session_scope(db) as s:
        sec, rep = who(s, "sec"), who(s, "rep")
        a = report_of(s, round_id, OUTSOURCING)
        reports.save(s, rep, a, {"value": "330", "unit": "団体", "as_of": "2018-04-01", "status": "final"}, 1)
        reports.submit(s, rep, a, a.version)
        reports.approve(s, sec, a, a.version)
        kpi_id = a.kpi_id
    rated: list = []
    evaluate = stored.evaluate
    monkeypatch.setattr(stored, "evaluate", lambda s, scheme, as_of, ids=None, **k: rated.append(
        (scheme.name, as_of, ids)) or evaluate(s, scheme, as_of, ids, **k))
    with storage.session_scope(db) as s:
        assert rounds.publish(s, who(s, "sec"), rounds.get(s, ROUND)).rerated == ["reform-schedule"]
        assert [r.details["actual"] for r in s.scalars(select(m.Rating).where(  # the round's date; others are kept too
            m.Rating.kpi_id == kpi_id, m.Rating.official.is_(False), m.Rating.as_of == date(2019, 3, 31)))] == [330.0]
    assert total > 1 and rated == [("reform-schedule", date(2019, 3, 31), [kpi_id])]
