"""Computed ratings stored beside the official ones (never over them), and the read queries evaluate/ needs.
Storing a scheme's ratings replaces that scheme's earlier computed ratings in one statement."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from mieruka.storage import models as m


def store_computed(session: Session, scheme: str, ratings: list[dict], computed_at: datetime | None = None) -> int:
    """Replace the computed ratings of scheme with ratings: dicts with kpi_id, code, explanation,
    explanation_en, as_of and details. Official ratings are never touched."""
    computed_at = computed_at or datetime.now(timezone.utc)
    session.execute(delete(m.Rating).where(m.Rating.scheme == scheme, m.Rating.official.is_(False)))
    rows = [{
        "kpi_id": r["kpi_id"], "scheme": scheme, "code": r["code"], "official": False,
        "explanation": r.get("explanation"), "explanation_en": r.get("explanation_en"), "as_of": r.get("as_of"),
        "details": r.get("details"), "computed_at": computed_at,
    } for r in ratings if r.get("kpi_id") is not None]
    if rows:
        session.execute(insert(m.Rating), rows)
    return len(rows)


def computed_ratings(session: Session, scheme: str | None = None) -> list[dict]:
    q = select(m.Rating).where(m.Rating.official.is_(False)).order_by(m.Rating.kpi_id, m.Rating.id)
    if scheme is not None:
        q = q.where(m.Rating.scheme == scheme)
    return [{"kpi_id": r.kpi_id, "scheme": r.scheme, "code": r.code, "explanation": r.explanation,
             "explanation_en": r.explanation_en, "as_of": r.as_of, "details": r.details, "computed_at": r.computed_at}
            for r in session.scalars(q)]


def policy_result_rows(session: Session) -> list[dict]:
    """The overall results (各行政機関共通区分) the policy evaluation sheets publish, with their source."""
    docs = {d.id: (d.file_name, d.doc_date) for d in session.execute(
        select(m.Document.id, m.Document.file_name, m.Document.doc_date)).all()}
    out = []
    for r in session.scalars(select(m.PolicyResult).order_by(m.PolicyResult.id)):
        name, doc_date = docs.get(r.document_id, (None, None))
        out.append({"policy": r.policy, "result": r.result, "doc_date": doc_date,
                    "source": {"document": name, "document_id": r.document_id, "line": r.line_start}})
    return out

