"""The JSON API under /api/: KPIs, evaluations, audit findings, measures, cases, documents, reform items and search,
each list with the same filters as its page and limit/offset paging."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response

from mieruka.storage.overview import document_detail, rating_rows, reform_item_detail, reform_item_rows
from mieruka.storage.queries import case_rows, document_rows, kpi_rows, measure_rows
from mieruka.evaluate.audit import KINDS as AUDIT_KINDS
from mieruka.storage.search import KINDS as SEARCH_KINDS, search
from mieruka.web import schemas as s
from mieruka.web.evaluation import audit_findings, evaluation_date, parse_as_of
from mieruka.web.i18n import LANGS
from mieruka.web.listings import EFFECTS, KPI_SORTS, kpi_summary, kpi_table
from mieruka.web.pages import DbSession, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME
from mieruka.web.routers.cases import filtered_cases
from mieruka.web.routers.kpis import kpi_filter
from mieruka.web.routers.measures import filtered_measures, measure_filter

router = APIRouter(prefix="/api", tags=["api"])

Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
# Literal types make FastAPI both list the allowed values in the OpenAPI document and reject any other.
KpiSort = Literal[KPI_SORTS]
Effect = Literal[EFFECTS]
SearchKind = Literal[SEARCH_KINDS]
Lang = Literal[LANGS]
Offset = Annotated[int, Query(ge=0, description="rows to skip")]


def as_json(data) -> Response:
    """Serialise directly: the response models document the shape (and the tests check rows against them),
    but validating every row again on each request would cost more than the query."""
    return Response(json.dumps(data, ensure_ascii=False, default=_iso), media_type="application/json")


def _iso(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def page_of(rows: list, limit: int, offset: int) -> Response:
    return as_json({"total": len(rows), "limit": limit, "offset": offset, "items": rows[offset: offset + limit]})


KPI_FIELDS = s.field_names(s.KpiOut)
KPI_DETAIL_FIELDS = s.field_names(s.KpiDetail)


def kpi_out(kpi: dict, scheme: str, fields: list[str] = KPI_FIELDS, basis: str | None = None, **extra) -> dict:
    """A KPI in the API's shape: the model's fields only, with the rating under the scheme asked for."""
    summary = kpi_summary(kpi, scheme, basis)
    full = {**kpi, "ministry": kpi["organisation"], "ministry_inferred": kpi.get("organisation_inferred", False),
            "documents": [d["file_name"] for d in kpi["documents"]],
            "next_measurement": summary["next_measurement"],
            "next_measurement_date": summary["next_measurement_date"],
            "rating": {"scheme": scheme, "code": summary["rating"], "basis": summary["rating_basis"],
                       "computed": summary["rating_computed"],
                       "official": summary["rating_official"]}, **extra}
    return {k: full[k] for k in fields}


@router.get("/kpis", response_model=s.KpiPage, summary="KPIs with targets, observations and ratings")
def api_kpis(session: DbSession, scheme: str = DEFAULT_SCHEME, item: int | None = None, ministry: str | None = None,
             tier: int | None = None, rating: Annotated[str | None, Query(description="code under the scheme")] = None,
             q: Annotated[str | None, Query(description="words in the KPI's name, item or ministry")] = None,
             sort: KpiSort = "id", desc: bool = False,
             basis: Annotated[Literal["official", "computed"] | None, Query(
                 description="filter and sort on the published (official) rating or mieruka's recomputation "
                             "(default: computed, else official)")] = None,
             limit: Limit = 100, offset: Offset = 0):
    kpis = kpi_rows(session)
    f = kpi_filter(valid_scheme(session, scheme or DEFAULT_SCHEME), str(item) if item is not None else None, ministry,
                   str(tier) if tier is not None else None, rating, q, sort, "1" if desc else None, basis)
    by_id = {k["id"]: k for k in kpis}
    ordered = [by_id[r["id"]] for r in kpi_table(kpis, f)]
    return as_json({"total": len(ordered), "limit": limit, "offset": offset,
                    "items": [kpi_out(k, f.scheme, basis=f.basis) for k in ordered[offset: offset + limit]]})


@router.get("/kpis/{kpi_id}", response_model=s.KpiDetail, summary="One KPI with every appearance and evaluation")
def api_kpi(kpi_id: int, session: DbSession, scheme: str = DEFAULT_SCHEME):
    found = kpi_rows(session, [kpi_id])
    if not found:
        raise HTTPException(404, f"KPI {kpi_id} not found")
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    return as_json(kpi_out(found[0], scheme, KPI_DETAIL_FIELDS, evaluations=rating_rows(session, kpi_ids=[kpi_id])))


@router.get("/evaluations", response_model=s.EvaluationPage, summary="Ratings: computed and official")
def api_evaluations(session: DbSession, scheme: str | None = None,
                    official: Annotated[bool | None, Query(description="true: published; false: computed")] = None,
                    kpi: int | None = None, code: str | None = None, limit: Limit = 100, offset: Offset = 0):
    if scheme is not None:
        valid_scheme(session, scheme)
    rows = rating_rows(session, scheme, official, [kpi] if kpi is not None else None)
    return page_of([r for r in rows if code is None or r["code"] == code], limit, offset)


@router.get("/audit", response_model=s.FindingPage, summary="Audit findings with the sources that disagree")
def api_audit(session: DbSession,
              kind: Annotated[str | None, Query(description="e.g. " + ", ".join(AUDIT_KINDS))] = None,
              kpi: int | None = None, lang: Lang = "ja",
              as_of: Annotated[str | None, Query(description="evaluation date YYYY-MM-DD (default: that of the "
                                                             "stored ratings, as on the overview)")] = None,
              limit: Limit = 100, offset: Offset = 0):
    findings = audit_findings(session, lang, evaluation_date(kpi_rows(session), parse_as_of(as_of)))
    rows = [f for f in findings if (kind is None or f["kind"] == kind) and (kpi is None or f.get("kpi_id") == kpi)]
    return page_of(rows, limit, offset)


@router.get("/measures", response_model=s.MeasurePage, summary="National measures, faceted and searchable")
def api_measures(session: DbSession, pillar: str | None = None,
                 effect: Effect | None = None,
                 ministry: str | None = None, lead: Annotated[str | None, Query(description="lead ministry")] = None,
                 timing: str | None = None, q: Annotated[str | None, Query(description="full-text search")] = None,
                 limit: Limit = 100, offset: Offset = 0):
    rows, _ = filtered_measures(session, measure_filter(pillar, effect, ministry, lead, timing, q))
    return page_of(rows, limit, offset)


@router.get("/measures/{measure_id}", response_model=s.MeasureOut, summary="One national measure")
def api_measure(measure_id: int, session: DbSession):
    found = next((m for m in measure_rows(session) if m["id"] == measure_id), None)
    if found is None:
        raise HTTPException(404, f"measure {measure_id} not found")
    return as_json(found)


@router.get("/cases", response_model=s.CasePage, summary="Advanced cases with their effects")
def api_cases(session: DbSession, q: Annotated[str | None, Query(description="full-text search")] = None,
              theme: str | None = None, limit: Limit = 100, offset: Offset = 0):
    return page_of(filtered_cases(session, case_rows(session), q, theme), limit, offset)


@router.get("/cases/{case_id}", response_model=s.CaseOut, summary="One advanced case")
def api_case(case_id: int, session: DbSession):
    found = next((c for c in case_rows(session) if c["id"] == case_id), None)
    if found is None:
        raise HTTPException(404, f"case {case_id} not found")
    return as_json(found)


@router.get("/documents", response_model=s.DocumentPage, summary="Ingested documents with their counts")
def api_documents(session: DbSession, family: str | None = None, limit: Limit = 100, offset: Offset = 0):
    rows = [d for d in document_rows(session) if family is None or d["family"] == family]
    return page_of(rows, limit, offset)


@router.get("/documents/{document_id}", response_model=s.DocumentDetail, summary="One document: text lines and facts")
def api_document(document_id: int, session: DbSession):
    found = document_detail(session, document_id)
    if found is None:
        raise HTTPException(404, f"document {document_id} not found")
    return as_json(found)


@router.get("/items", response_model=s.ItemPage, summary="Reform items (改革項目)")
def api_items(session: DbSession, limit: Limit = 100, offset: Offset = 0):
    return page_of(reform_item_rows(session), limit, offset)


@router.get("/items/{item_id}", response_model=s.ItemDetail, summary="One reform item: steps and schedules")
def api_item(item_id: int, session: DbSession):
    found = reform_item_detail(session, item_id)
    if found is None:
        raise HTTPException(404, f"reform item {item_id} not found")
    return as_json(found)


@router.get("/search", response_model=s.HitPage, summary="Full-text search over measures and cases, best first")
def api_search(session: DbSession, q: Annotated[str, Query(description="words that must all occur (any length)")],
               kind: SearchKind | None = None, limit: Limit = 100, offset: Offset = 0):
    hits = search(session, q, (kind,) if kind else SEARCH_KINDS)
    return page_of([{"kind": h.kind, "ref": h.ref, "title": h.title, "snippet": h.snippet,
                     "url": f"/{'measures' if h.kind == 'measure' else 'cases'}/{h.ref}"} for h in hits], limit, offset)
