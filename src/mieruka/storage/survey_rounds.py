"""Surveys asked within a reporting round: the question set the secretariat opens (which initiative, as of when),
each local body's answer with its versions, and the survey import an approved answer is written into.
mieruka.workflow.surveys holds the rules; this module only reads and writes rows."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from mieruka.bodies import registry
from mieruka.storage import models as m
from mieruka.storage.survey_round_models import SurveyAnswer, SurveyAnswerVersion, SurveyRequest

ANSWER_FIELDS = ("adopted", "year_started", "cost_before", "cost_after", "population")


def request_by_id(session: Session, request_id: int) -> SurveyRequest | None:
    return session.get(SurveyRequest, request_id)


def requests(session: Session, round_ids: list[int] | None = None) -> list[SurveyRequest]:
    q = select(SurveyRequest).order_by(SurveyRequest.id)
    if round_ids is not None:
        q = q.where(SurveyRequest.round_id.in_(round_ids))
    return list(session.scalars(q))


def find_request(session: Session, round_id: int, initiative: str, as_of: date) -> SurveyRequest | None:
    return session.scalar(select(SurveyRequest).where(SurveyRequest.round_id == round_id,
                                                      SurveyRequest.initiative == initiative,
                                                      SurveyRequest.as_of == as_of))


def open_request(session: Session, round_id: int, initiative: str, as_of: date, actor: str, at: datetime
                 ) -> SurveyRequest:
    """The request and one draft answer per municipality (1,741 rows in one statement)."""
    from mieruka.storage.local_bodies import ensure_registry

    ensure_registry(session)
    request = SurveyRequest(round_id=round_id, initiative=initiative, as_of=as_of, opened_by=actor, opened_at=at)
    session.add(request)
    session.flush()
    session.execute(insert(SurveyAnswer), [{"request_id": request.id, "body_code": b.code, "state": "draft",
                                            "version": 1} for b in registry.municipalities()])
    return request


def answer(session: Session, answer_id: int) -> SurveyAnswer | None:
    return session.get(SurveyAnswer, answer_id)


def answers(session: Session, *, body_code: str | None = None, request_ids: list[int] | None = None,
            states: list[str] | None = None) -> list[SurveyAnswer]:
    q = select(SurveyAnswer).order_by(SurveyAnswer.request_id, SurveyAnswer.body_code)
    if body_code is not None:
        q = q.where(SurveyAnswer.body_code == body_code)
    if request_ids is not None:
        q = q.where(SurveyAnswer.request_id.in_(request_ids))
    if states:
        q = q.where(SurveyAnswer.state.in_(states))
    return list(session.scalars(q))


def add_version(session: Session, row: SurveyAnswerVersion) -> None:
    session.add(row)
    session.flush()


def versions(session: Session, answer_id: int) -> list[SurveyAnswerVersion]:
    return list(session.scalars(select(SurveyAnswerVersion).where(SurveyAnswerVersion.answer_id == answer_id)
                                .order_by(SurveyAnswerVersion.at, SurveyAnswerVersion.id)))


def body_names(session: Session, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    return {code: f"{pref}{name}" if pref != name else name for code, pref, name in session.execute(
        select(m.LocalBody.code, m.LocalBody.prefecture, m.LocalBody.name).where(m.LocalBody.code.in_(codes)))}


def write_response(session: Session, request: SurveyRequest, answer: SurveyAnswer) -> int:
    """The approved answer as the body's row of the request's survey import (made on the first approval);
    an answer approved again replaces its row. Returns the import's id."""
    if request.import_id is None:
        name = f"round-{request.round_id}-survey-{request.id}"
        record = m.SurveyImport(file_name=name, sha256=hashlib.sha256(name.encode()).hexdigest(),
                                initiative=request.initiative, as_of=request.as_of, raw=b"",
                                report={"round_id": request.round_id, "survey_request_id": request.id})
        session.add(record)
        session.flush()
        request.import_id = record.id
    session.execute(delete(m.SurveyResponse).where(m.SurveyResponse.import_id == request.import_id,
                                                   m.SurveyResponse.body_code == answer.body_code))
    # line: the answer's id, as a file's rows give their line — the answer and its versions are the provenance
    session.execute(insert(m.SurveyResponse), [{"import_id": request.import_id, "body_code": answer.body_code,
                                                "line": answer.id, **{f: getattr(answer, f) for f in ANSWER_FIELDS}}])
    session.flush()
    return request.import_id


def remove_response(session: Session, request: SurveyRequest, body_code: str) -> None:
    """An approved answer returned: its row leaves the survey until it is approved again."""
    if request.import_id is not None:
        session.execute(delete(m.SurveyResponse).where(m.SurveyResponse.import_id == request.import_id,
                                                       m.SurveyResponse.body_code == body_code))
