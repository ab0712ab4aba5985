"""Read-side queries: each returns plain dicts (dates as date objects) for the CLI, the evaluator, the API and exports.
A few set-based queries per listing, assembled in Python, so no listing makes a query per row."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from mieruka.storage import models as m


def _docs(session: Session) -> dict[int, m.Document]:
    return {d.id: d for d in session.execute(
        select(m.Document.id, m.Document.file_name, m.Document.doc_date, m.Document.family, m.Document.title)).all()}


def _source(docs, document_id: int | None, line: int | None) -> dict | None:
    if document_id is None:
        return None
    d = docs.get(document_id)
    return {"document": d.file_name if d else None, "document_id": document_id, "line": line}


def kpi_rows(session: Session, kpi_ids: list[int] | None = None) -> list[dict]:
    """One dict per canonical KPI with every baseline, target, observation, rating and appearance, each with its source."""
    docs = _docs(session)
    q = select(m.Kpi).order_by(m.Kpi.id)
    if kpi_ids is not None:
        q = q.where(m.Kpi.id.in_(kpi_ids))
    kpis = session.scalars(q).all()
    ids = [k.id for k in kpis]
    items = {i.id: i for i in session.scalars(select(m.ReformItem)).all()}
    orgs = {o.id: o.name for o in session.scalars(select(m.Organisation)).all()}

    def by_kpi(model, order):
        out = defaultdict(list)
        stmt = select(model).order_by(*order)
        if kpi_ids is not None:
            stmt = stmt.where(model.kpi_id.in_(ids))
        for row in session.scalars(stmt):
            out[row.kpi_id].append(row)
        return out

    baselines = by_kpi(m.Baseline, [m.Baseline.id])
    targets = by_kpi(m.Target, [m.Target.id])
    observations = by_kpi(m.Observation, [m.Observation.as_of, m.Observation.id])
    ratings = by_kpi(m.Rating, [m.Rating.id])
    appearances = by_kpi(m.KpiAppearance, [m.KpiAppearance.id])

    rows = []
    for k in kpis:
        item = items.get(k.reform_item_id)
        base = baselines.get(k.id, [])
        b = base[0] if base else None
        apps = appearances.get(k.id, [])
        doc_ids = list(dict.fromkeys(a.document_id for a in apps))
        rows.append({
            "id": k.id,
            "key": k.key,
            "name": k.name,
            "tier": k.tier,
            "reform_item": item.name if item else None,
            "reform_item_id": k.reform_item_id,
            "reform_item_number": item.number if item else None,
            "organisation": orgs.get(k.organisation_id),
            "organisation_inferred": bool(k.organisation_inferred),  # from the reform item's 《主担当府省庁等》
            "parent_id": k.parent_id,
            "unit": k.unit,
            "direction": k.direction,
            "after_the_fact": k.after_the_fact,
            "baseline": None if b is None else {
                "value": b.value, "unit": b.unit, "as_of": b.as_of, "text": b.text, "as_of_precision": b.as_of_precision,
                "source": _source(docs, b.document_id, b.line_start)},
            "baselines": [{"value": x.value, "unit": x.unit, "as_of": x.as_of, "text": x.text,
                           "as_of_precision": x.as_of_precision,
                           "source": _source(docs, x.document_id, x.line_start)} for x in base],
            "targets": [{
                "value": t.value, "unit": t.unit, "deadline": t.deadline, "comparator": t.comparator,
                "relative": None if t.relative_factor is None else {
                    "factor": t.relative_factor, "kind": t.relative_kind,
                    "base_fiscal_year": t.relative_base_year, "base_value": t.relative_base_value},
                "unset": t.unset, "promised_by": t.promised_by, "interim": t.interim,
                "deadline_precision": t.deadline_precision, "promised_by_precision": t.promised_by_precision,
                "edition": t.edition.name if t.edition_id and t.edition else None,
                "edition_date": t.edition.published if t.edition_id and t.edition else None,
                "text": t.text, "source": _source(docs, t.document_id, t.line_start)} for t in targets.get(k.id, [])],
            "observations": [{
                "value": o.value, "unit": o.unit, "as_of": o.as_of, "status": o.status, "text": o.text,
                "as_of_precision": o.as_of_precision,
                "source": _source(docs, o.document_id, o.line_start)} for o in observations.get(k.id, [])],
            "ratings": [{
                "scheme": r.scheme, "code": r.code, "official": r.official, "as_of": r.as_of,
                "explanation": r.explanation, "source": _source(docs, r.document_id, r.line_start)}
                for r in ratings.get(k.id, [])],
            "appearances": [{
                "name": a.name_as_written, "markers": a.markers or [], "next_measurement": a.next_measurement,
                "next_measurement_date": a.next_measurement_date, "policy_text": a.policy_text,
                "next_measurement_precision": a.next_measurement_precision,
                "source": _source(docs, a.document_id, a.line_start)} for a in apps],
            "documents": [{"file_name": docs[i].file_name, "doc_date": docs[i].doc_date} for i in doc_ids if i in docs],
        })
    return rows


def measure_rows(session: Session) -> list[dict]:
    docs = _docs(session)
    measures = session.scalars(select(m.Measure).options(
        selectinload(m.Measure.ministries).selectinload(m.MeasureMinistry.organisation)).order_by(m.Measure.no, m.Measure.id)).all()
    return [{
        "id": x.id, "no": x.no, "code": x.code, "name": x.name, "pillar": x.pillar, "timing": x.timing,
        "effects": {"efficiency": x.effect_efficiency, "economy": x.effect_economy,
                    "convenience": x.effect_convenience, "safety": x.effect_safety},
        "ministries": [{"name": mm.organisation.name, "lead": mm.lead} for mm in x.ministries],
        "kpi_progress": x.kpi_progress, "kpi_effect": x.kpi_effect, "overview": x.overview,
        "support": x.support, "budget_programme": x.budget_programme, "urls": x.urls or [],
        "source": _source(docs, x.document_id, x.line_start),
    } for x in measures]


def case_rows(session: Session) -> list[dict]:
    docs = _docs(session)
    cases = session.scalars(select(m.AdvancedCase).options(selectinload(m.AdvancedCase.effects)).order_by(m.AdvancedCase.id)).all()
    return [{
        "id": c.id, "title": c.title, "municipalities": c.municipalities, "body_codes": c.body_codes or [],
        "theme": c.theme, "summary": c.summary,
        "effects": [{"label": e.label, "amount_yen": e.amount_yen, "change_percent": e.change_percent,
                     "period_years": e.period_years, "text": e.text} for e in c.effects],
        "source": _source(docs, c.document_id, c.line_start),
    } for c in cases]


def document_original(session: Session, document_id: int) -> dict | None:
    """The bytes a document was given to us as, with its file name and media type."""
    d = session.get(m.Document, document_id)
    if d is None:
        return None
    return {"id": d.id, "file_name": d.file_name, "media_type": d.media_type, "raw": d.raw}


def document_rows(session: Session) -> list[dict]:
    docs = session.scalars(select(m.Document).options(defer(m.Document.raw), defer(m.Document.text)).order_by(m.Document.id)).all()
    return [{
        "id": d.id, "file_name": d.file_name, "family": d.family, "title": d.title, "doc_date": d.doc_date,
        "sha256": d.sha256, "encoding": d.encoding, "size_bytes": d.size_bytes,
        "ingested_at": d.ingested_at, "counts": (d.report or {}).get("counts", {}),
    } for d in docs]
