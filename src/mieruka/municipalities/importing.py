"""Importing a survey or an attributes file: read and check it (survey.py), then write it in one transaction.
The caller's session is the transaction: any error raised here leaves the database as it was."""
from __future__ import annotations

import time
from datetime import date

from sqlalchemy.orm import Session

from mieruka.municipalities import similar
from mieruka.municipalities.survey import (REPORTED_ERRORS, LineError, Survey, SurveyError, SurveyRow, read_attributes,
                                           read_survey)
from mieruka.storage import local_bodies as store

_EXTRA_ATTRIBUTES = ("secondary_tertiary", "tertiary", "city_class")


def import_survey(session: Session, raw: bytes, file_name: str, initiative: str, as_of: date) -> dict:
    """Load a survey file: rows that do not resolve are reported by line and skipped; the rest load together.

    Raises SurveyError (nothing written) when the file cannot be read, lacks a required column or has no
    valid row. Industry and 中核市 columns in the survey are stored as the bodies' attributes."""
    started = time.perf_counter()
    survey = read_survey(raw, file_name, initiative)
    attributes = _attribute_rows(survey)
    report = survey.report()
    stored = store.store_survey(session, file_name=file_name, raw=raw, initiative=initiative, as_of=as_of,
                                rows=[{"body_code": r.body.code, "line": r.line,
                                       **r.answers(("adopted", "year_started", "cost_before", "cost_after", "population"))}
                                      for r in survey.rows], report=report)
    if attributes and stored["status"] == "loaded":
        store.store_attributes(session, attributes)
    return _result(survey, stored, initiative, as_of, started)


def import_attributes(session: Session, raw: bytes, file_name: str, as_of: date | None = None) -> dict:
    """Load population, industry class (given, or derived from the employment shares) and 中核市 status."""
    started = time.perf_counter()
    survey = read_attributes(raw, file_name)
    rows = _attribute_rows(survey, with_population=True)
    updated = store.store_attributes(session, rows, as_of)
    return {**_result(survey, {"status": "loaded", "import_id": None, "replaced": None}, None, as_of, started),
            "updated": updated, "rows": len(survey.rows)}


def _attribute_rows(survey: Survey, with_population: bool = False) -> list[dict]:
    """Attribute updates per row; an industry class that does not fit the body's kind becomes a line error.
    A survey's population is stored with its responses, so only an attributes file passes it here."""
    rows, kept = [], []
    for r in survey.rows:
        industry = _industry(r)
        if industry is not None and not similar.valid_industry(r.body.kind, industry):
            survey.errors.append(LineError(r.line, survey.columns.get("industry"), industry,
                                           f"産業構造 {industry} does not exist for a {r.body.kind} (町村 use 0–2)"))
            continue
        kept.append(r)
        values = {"industry": industry, **{k: getattr(r, k) for k in _EXTRA_ATTRIBUTES}}
        if with_population:
            values["population"] = r.population
        if any(v is not None for v in values.values()):
            rows.append({"body_code": r.body.code, **values})
    survey.rows = kept
    survey.errors.sort(key=lambda e: e.line)
    if not kept:
        raise SurveyError(f"{survey.file_name}: no valid row ({len(survey.errors)} rejected, first: {survey.errors[0]})")
    return rows


def _industry(r: SurveyRow) -> str | None:
    if r.industry is not None:
        return r.industry
    if r.secondary_tertiary is not None and r.tertiary is not None:
        return similar.industry_class(r.body.kind, r.secondary_tertiary, r.tertiary)
    return None


def _result(survey: Survey, stored: dict, initiative: str | None, as_of: date | None, started: float) -> dict:
    return {**stored, "file": survey.file_name, "initiative": initiative, "as_of": as_of, "encoding": survey.encoding,
            "loaded": len(survey.rows), "unanswered": survey.unanswered, "rejected": len(survey.errors),
            "errors": [e.to_dict() for e in survey.errors[:REPORTED_ERRORS]],
            "seconds": round(time.perf_counter() - started, 3)}
