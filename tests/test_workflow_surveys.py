"""Local bodies answering a survey within a round, on SQLite and PostgreSQL: only their own body's answer, fields
named in each language when unreadable (nothing saved), a conflict on a moved version, review, and approval
writing the body's survey row that the bottom-up KPI counts, with who approved it, when and through what."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from cycle_staff import EBINA, surveyed, who
from mieruka import storage
from mieruka.evaluate import bottom_up
from mieruka.municipalities.importing import import_survey
from mieruka.storage import models as m
from mieruka.storage.survey_round_models import SurveyAnswer, SurveyAnswerVersion
from mieruka.workflow import surveys
from mieruka.workflow.reports import InvalidReport, NotAllowed, WorkflowError

@pytest.fixture
def db(db_url):
    kpi, request_id = surveyed(db_url)
    return db_url, kpi, request_id


def answer_of(s, request_id, code) -> SurveyAnswer:
    return s.scalar(select(SurveyAnswer).where(SurveyAnswer.request_id == request_id, SurveyAnswer.body_code == code))


def national(s, kpi):
    return [(x.national.adopted, x.file_name) for x in bottom_up.kpi_report(s, kpi)["snapshots"]]


def test_a_local_body_answers_its_own_survey_and_approval_counts_it(db):
    url, kpi, request_id = db
    with storage.session_scope(url) as s:
        assert len(surveys.store.answers(s, request_ids=[request_id])) == 1741
        ebina = answer_of(s, request_id, EBINA)
        with pytest.raises(InvalidReport) as bad:
            surveys.save(s, who(s, "ebina"), ebina, {"adopted": "たぶん", "year_started": "平成28年度"}, 1)
        assert [x.text("ja") for x in bad.value.problems] == [
            "導入: 「たぶん」を読み取れません(例: ○(導入済)、×(未導入)または空欄)。"]
        assert bad.value.problems[0].text("en").startswith("adopted: cannot read 'たぶん'")
        for login in ("chiyoda", "rep"):
            with pytest.raises(NotAllowed):
                surveys.save(s, who(s, login), ebina, {"adopted": "○"}, 1)
        assert (ebina.version, ebina.adopted) == (1, None)  # nothing was saved by any of them
    with storage.session_scope(url) as s:
        ebina = answer_of(s, request_id, EBINA)
        changes = surveys.save(s, who(s, "ebina"), ebina, {"adopted": "○", "year_started": "平成28年度",
                                                          "cost_before": "1,200千円", "population": ""}, 1)
        assert changes == {"adopted": (None, True), "year_started": (None, 2016), "cost_before": (None, 1_200_000.0)}
        with pytest.raises(surveys.AnswerConflict) as clash:
            surveys.save(s, who(s, "ebina"), ebina, {"adopted": "×"}, 1)
        assert clash.value.rows == [{"field": "adopted", "mine": False, "theirs": True}]
        surveys.submit(s, who(s, "ebina"), ebina, 2)
        with pytest.raises(WorkflowError):
            surveys.save(s, who(s, "ebina"), ebina, {"adopted": "×"}, 3)  # submitted: the body waits for review
        assert national(s, kpi) == []
    with storage.session_scope(url) as s:
        import_id = surveys.approve(s, who(s, "sec"), answer_of(s, request_id, EBINA), 3)
    with storage.session_scope(url) as s:
        assert national(s, kpi) == [(1, f"round-1-survey-{request_id}")]
        row = s.scalar(select(m.SurveyResponse).where(m.SurveyResponse.import_id == import_id))
        ebina = answer_of(s, request_id, EBINA)
        assert (row.body_code, row.adopted, row.year_started, row.line) == (EBINA, True, 2016, ebina.id)
        assert (ebina.approved_by, ebina.approved_via, ebina.state) == ("sec", "web", "approved")
        assert [(h["actor"], h["action"], h["via"]) for h in surveys.history(s, ebina)] == [
            ("ebina", "save", "web"), ("ebina", "submit", "web"), ("sec", "approve", "web")]
        # a survey file for the same initiative and date is an import of its own: it does not replace the round's
        csv = "団体コード,市区町村名,導入\n131016,千代田区,○\n011002,札幌市,○\n".encode()
        import_survey(s, csv, "madoguchi.csv", "窓口委託", date(2019, 4, 1))
    with storage.session_scope(url) as s:
        assert sorted(national(s, kpi)) == [(1, f"round-1-survey-{request_id}"), (2, "madoguchi.csv")]
        surveys.return_answer(s, who(s, "sec"), answer_of(s, request_id, EBINA), "開始年度を確認してください", 4)
    with storage.session_scope(url) as s:
        assert national(s, kpi) == [(2, "madoguchi.csv")]  # a returned answer leaves the count until approved again
        assert answer_of(s, request_id, EBINA).return_comment == "開始年度を確認してください"
        assert s.scalar(select(SurveyAnswerVersion.action).order_by(SurveyAnswerVersion.id.desc()).limit(1)) == "return"


def test_only_the_secretariat_opens_a_survey_in_an_open_round(db):
    url, _, _ = db
    with storage.session_scope(url) as s:
        with pytest.raises(NotAllowed):
            surveys.open_survey(s, who(s, "ebina"), 1, "電子申請", date(2019, 4, 1))
        with pytest.raises(WorkflowError) as twice:
            surveys.open_survey(s, who(s, "sec"), 1, "窓口委託", date(2019, 4, 1))
        assert "既にあります" in twice.value.message["ja"]
        with pytest.raises(InvalidReport) as empty:
            surveys.open_survey(s, who(s, "sec"), 1, "  ", date(2019, 4, 1))
        assert empty.value.problems[0].text("en").startswith("initiative: give the initiative's name")


def test_migration_of_round_surveys_goes_down_and_up(db):
    url, kpi, request_id = db
    from sqlalchemy import inspect

    head = storage.current_revision(url)
    storage.downgrade(url, "0010")
    storage.dispose_engines()
    assert {"survey_requests", "survey_answers", "survey_answer_versions"}.isdisjoint(
        inspect(storage.get_engine(url)).get_table_names())
    storage.upgrade(url)
    assert storage.current_revision(url) == head
    with storage.session_scope(url) as s:  # empty again, and usable
        assert surveys.store.answers(s, request_ids=[request_id]) == []
        assert surveys.open_survey(s, who(s, "sec"), 1, "窓口委託", date(2019, 4, 1)).id == 1
