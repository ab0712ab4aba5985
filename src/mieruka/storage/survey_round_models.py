"""Tables of the surveys asked within a reporting round: the request (initiative, as-of date), each local body's
answer with its optimistic-lock version, and every change to an answer. Queries are in storage/survey_rounds.py."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mieruka.storage.base import Base, _now


class SurveyRequest(Base):
    """A survey opened within a round: the initiative asked about and the date the answers describe. Approved
    answers are written into import_id, a survey import of its own (file name round-<round>-survey-<id>)."""

    __tablename__ = "survey_requests"
    __table_args__ = (UniqueConstraint("round_id", "initiative", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    initiative: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(80))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("survey_imports.id", ondelete="SET NULL"))


class SurveyAnswer(Base):
    """One local body's answer to a survey request; `version` is the optimistic lock, as for a report."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("request_id", "body_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("survey_requests.id", ondelete="CASCADE"), index=True)
    body_code: Mapped[str] = mapped_column(ForeignKey("local_bodies.code"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    year_started: Mapped[int | None] = mapped_column(Integer)
    cost_before: Mapped[float | None] = mapped_column(Float)
    cost_after: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    return_comment: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[str | None] = mapped_column(String(80))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(80))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_via: Mapped[str | None] = mapped_column(String(20))

    __mapper_args__ = {"version_id_col": version}


class SurveyAnswerVersion(Base):
    """Every change to an answer: who, when, through what, which action, and each field old → new."""

    __tablename__ = "survey_answer_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("survey_answers.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor: Mapped[str] = mapped_column(String(80))
    via: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
