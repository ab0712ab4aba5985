"""The JSON API under /api/: KPIs, evaluations, audit findings, measures, cases, documents, reform items and search,
each list with the same filters as its page and limit/offset paging."""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from mieruka.storage.overview import (document_detail, kpi_ratings, rating_count, rating_rows, reform_item_detail,
                                      reform_item_rows)
from mieruka.records.kpi_facts import definitions, update_cycle
from mieruka.storage.queries import case_rows, document_rows, kpi_rows, measure_rows
from mieruka.storage.workflow import assigned_owner
from mieruka.evaluate.audit import KINDS as AUDIT_KINDS
from mieruka.storage.search import KINDS as SEARCH_KINDS, search_page
from mieruka.web import schemas as s
from mieruka.web.evaluation import audit_page, evaluation_date
from mieruka.web.guards import (MAX_ID, MAX_SEARCH_CHARS, SEARCH_PATTERN, RequestRefused, SearchText, path_id,
                                query_id)
from mieruka.web.i18n import LANGS
from mieruka.storage.summaries import RATING_BASES, kpi_count, kpi_page
from mieruka.web.listings import EFFECTS, KPI_SORTS, kpi_list_item, kpi_summary
from mieruka.web.pages import DbSession, bounded_as_of, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME
from mieruka.web.routers.cases import filtered_cases
from mieruka.web.routers.kpis import kpi_filter
from mieruka.web.routers.measures import measure_filter, measures_page
from mieruka.web.routers.search import hit_path

ERRORS = {422: {"model": s.ErrorOut, "description": "a parameter out of its bounds or of the wrong type"},
          503: {"model": s.ErrorOut, "description": "the query took too long, or the database is busy"}}
NOT_FOUND = {404: {"model": s.ErrorOut, "description": "no row has this id"}}
router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)

Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
# Literal types make FastAPI both list the allowed values in the OpenAPI document and reject any other.
KpiSort = Literal[KPI_SORTS]
Effect = Literal[EFFECTS]
Basis = Literal[RATING_BASES]
# From 1868-01-25 (明治元年), the first day the answers can name with its 和暦, to 2200-12-31 (pages.LAST_DAY), as
# api_date checks.
AS_OF_PATTERN = (r"^((18(69|[7-9]\d)|19\d\d|2[01]\d\d|2200)-\d{2}-\d{2}|1868-(0[2-9]|1[0-2])-\d{2}"
                 r"|1868-01-(2[5-9]|3[01]))$")
ApiAsOf = Annotated[str | None, Query(description="evaluation date, YYYY-MM-DD from 1868-01-25 to 2200-12-31 "
                                                 "(default: the date the stored ratings were made as of); a date "
                                                 "nothing is stored as of is answered as of the nearest stored one, "
                                                 "named in the answer",
                                     json_schema_extra={"format": "date", "pattern": AS_OF_PATTERN})]


def api_date(text: str | None) -> date | None:
    """An API's as_of: a full date YYYY-MM-DD (OpenAPI's format date), else a 422 naming the field."""
    if text is None:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        parsed = date.fromisoformat(text)
    except ValueError:
        raise RequestRefused(422, "bad_date", field="as_of", value=text[:40]) from None
    return bounded_as_of(parsed, text)  # the pages' bounds: the answers name dates with their 和暦
SearchKind = Literal[SEARCH_KINDS]
Lang = Literal[LANGS]
SearchQuery = Annotated[str, Query(max_length=MAX_SEARCH_CHARS, pattern=SEARCH_PATTERN,
                                   description="words that must all occur (any length)")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="rows to skip")]


def as_json(data) -> Response:
    """Serialise directly: the response models document the shape (and the tests check rows against them),
    but validating every row again on each request would cost more than the query."""
    return Response(json.dumps(data, ensure_ascii=False, default=_iso), media_type="application/json")


def _iso(value):
    if isinstance(value, datetime):
        # Timestamps are stored in UTC; SQLite gives them back without their zone.
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def page_of(rows: list, limit: int, offset: int) -> Response:
    return as_json({"total": len(rows), "limit": limit, "offset": offset, "items": rows[offset: offset + limit]})


KPI_FIELDS = list(s.KpiOut.model_fields)
KPI_LIST_FIELDS = list(s.KpiListItem.model_fields)
Include = Literal["observations"]
KPI_DETAIL_FIELDS = list(s.KpiDetail.model_fields)


def kpi_out(kpi: dict, scheme: str, fields: list[str] = KPI_FIELDS, as_of: date | None = None,
            basis: str | None = None, **extra) -> dict:
    """A KPI in the API's shape: the model's fields only, with the rating under the scheme asked for as of a date."""
    summary = kpi_summary(kpi, scheme, basis, as_of)
    lean = kpi_list_item(summary)
    full = {**kpi, "ministry": kpi["organisation"], "ministry_inferred": bool(kpi.get("organisation_inferred")),
            "latest": lean["latest"], "target": lean["target"],
            "documents": [d["file_name"] for d in kpi["documents"]],
            "next_measurement": summary["next_measurement"],
            "next_measurement_date": summary["next_measurement_date"],
            "rating": lean["rating"], **extra}
    return {k: full[k] for k in fields}


@router.get("/kpis", response_model=s.KpiPage, summary="KPIs: baseline, latest actual, target and rating of each")
def api_kpis(session: DbSession, scheme: str = DEFAULT_SCHEME, item: query_id("reform item") = None, ministry: str | None = None,
             tier: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, rating: Annotated[str | None, Query(description="code under the scheme")] = None,
             q: SearchText = None,
             sort: KpiSort = "id", desc: bool = False,
             include: Annotated[Include | None, Query(description="observations: each item also carries every "
                                                      "target, observation and rating and its documents")] = None,
             basis: Annotated[Basis | None, Query(description="the rating filtered, sorted on and given as code: "
                                                  "official (published), computed (mieruka's); default: published, "
                                                  "else computed")] = None,
             as_of: ApiAsOf = None, limit: Limit = 100, offset: Offset = 0):
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    when = evaluation_date(session, scheme, api_date(as_of))
    f = kpi_filter(scheme, str(item) if item is not None else None, ministry,
                   str(tier) if tier is not None else None, rating, q, sort, "1" if desc else None, basis, when.as_of)
    total = kpi_count(session, f)
    rows = kpi_page(session, f, limit, offset) if offset < total else []
    if include == "observations":
        full = {k["id"]: k for k in kpi_rows(session, [r["id"] for r in rows])}
        items = [kpi_out(full[r["id"]], f.scheme, KPI_FIELDS, f.as_of, f.basis) for r in rows]
    else:
        items = [kpi_list_item(r) for r in rows]
    return as_json({"total": total, "limit": limit, "offset": offset, "items": items})


@router.get("/kpis/{kpi_id}", responses=NOT_FOUND, response_model=s.KpiDetail, summary="One KPI with every appearance and evaluation")
def api_kpi(kpi_id: path_id("KPI"), session: DbSession, scheme: str = DEFAULT_SCHEME, as_of: ApiAsOf = None):
    # the scheme and the evaluation date first: what they read is kept only by a session yet to read (web.kept)
    scheme = valid_scheme(session, scheme)
    when = evaluation_date(session, scheme, api_date(as_of))
    found = kpi_rows(session, [kpi_id], items=False, ratings=False)
    if not found:
        raise RequestRefused(404, "no_kpi", id=kpi_id)
    evaluations = rating_rows(session, kpi_ids=[kpi_id])  # the KPI's ratings too: one statement for both
    return as_json(kpi_detail({**found[0], "ratings": kpi_ratings(evaluations)}, scheme, when.as_of, evaluations,
                              assigned_owner(session, kpi_id)))


def kpi_detail(kpi: dict, scheme: str, as_of: date | None, evaluations: list[dict], assigned: dict | None) -> dict:
    """/api/kpis/{id}'s answer from what was read of the KPI (one here; many at once by mieruka publish)."""
    owner = ({**assigned, "inferred": False} if assigned else
             {"organisation": kpi["organisation"], "inferred": bool(kpi["organisation_inferred"])})
    answer = kpi_out(kpi, scheme, KPI_DETAIL_FIELDS, as_of, evaluations=evaluations,
                     definitions=definitions(kpi), update_cycle=update_cycle(kpi), owner=owner,
                     appears_in=[{"id": d["id"], "title": d["title"], "date": d["doc_date"],
                                  "family": d["family"], "file_name": d["file_name"]}
                                 for d in kpi["documents"]])
    # explanations are in the ratings only: walking the observations too (500 of a national KPI) was a fifth of the
    # answer's CPU
    labels = {d["file_name"]: d for d in kpi["documents"]}
    for key in ("ratings", "evaluations"):
        if key in answer:
            answer[key] = named_explanations(answer[key], labels)
    return answer


def named_explanations(answer, labels: dict[str, dict]):
    """Every rating explanation in the answer (explanation in Japanese, explanation_en in English) with the documents
    it cites by file name named by title and date; the sources' own fields keep the file name."""
    from mieruka.records.citation import named_sources

    # only lists and dicts are walked into, not every value handed to a call of its own (a KPI's answer holds a
    # hundred values: the calls were two thirds of its CPU)
    if isinstance(answer, list):
        return [named_explanations(x, labels) if isinstance(x, (list, dict)) else x for x in answer]
    if not isinstance(answer, dict):
        return answer
    out = {}
    for key, value in answer.items():
        if isinstance(value, (list, dict)):
            out[key] = named_explanations(value, labels)
        elif key in ("explanation", "explanation_en") and isinstance(value, str):
            out[key] = named_sources(value, labels, "en" if key == "explanation_en" else "ja")
        else:
            out[key] = value
    return out


@router.get("/evaluations", response_model=s.EvaluationPage, summary="Ratings: computed and official")
def api_evaluations(session: DbSession, scheme: str | None = None,
                    official: Annotated[bool | None, Query(description="true: published; false: computed")] = None,
                    kpi: query_id("KPI") = None, code: str | None = None, limit: Limit = 100, offset: Offset = 0):
    if scheme is not None:
        valid_scheme(session, scheme)
    kpis = [kpi] if kpi is not None else None
    from mieruka.export.shapes import labels_by_file
    from mieruka.storage.queries import document_labels

    items = rating_rows(session, scheme, official, kpis, code, limit, offset)
    if items:
        items = named_explanations(items, labels_by_file(document_labels(session)))
    return as_json({"total": rating_count(session, scheme, official, kpis, code), "limit": limit, "offset": offset,
                    "items": items})


@router.get("/audit", response_model=s.FindingPage, summary="Audit findings with the sources that disagree")
def api_audit(session: DbSession,
              kind: Annotated[str | None, Query(description="e.g. " + ", ".join(AUDIT_KINDS))] = None,
              kpi: query_id("KPI") = None, lang: Lang = "ja", as_of: ApiAsOf = None,
              limit: Limit = 100, offset: Offset = 0):
    """The audit stored as of the evaluation date (the pages' default date, or the stored date nearest to as_of)."""
    when = evaluation_date(session, DEFAULT_SCHEME, api_date(as_of))
    found = audit_page(session, lang, when.as_of, limit, offset, kind, kpi)
    total, rows = found or (0, [])
    if rows:
        from mieruka.export.shapes import labels_by_file
        from mieruka.records.citation import named_sources
        from mieruka.storage.queries import document_labels

        # the message names each document by title and date; its sources keep the file name and line
        labels = labels_by_file(document_labels(session))
        rows = [{**f, "message": named_sources(f["message"], labels, lang)} for f in rows]
    return as_json({"total": total, "limit": limit, "offset": offset, "as_of": when.as_of, "stored": found is not None,
                    "items": rows})


@router.get("/measures", response_model=s.MeasurePage, summary="National measures, faceted and searchable")
def api_measures(session: DbSession, pillar: str | None = None,
                 effect: Effect | None = None,
                 ministry: str | None = None, lead: Annotated[str | None, Query(description="lead ministry")] = None,
                 timing: str | None = None, q: SearchText = None,
                 limit: Limit = 100, offset: Offset = 0):
    total, rows = measures_page(session, measure_filter(pillar, effect, ministry, lead, timing, q), limit, offset)
    return as_json({"total": total, "limit": limit, "offset": offset, "items": rows})


@router.get("/measures/{measure_id}", responses=NOT_FOUND, response_model=s.MeasureOut, summary="One national measure")
def api_measure(measure_id: path_id("measure"), session: DbSession):
    found = measure_rows(session, [measure_id])
    if not found:
        raise RequestRefused(404, "no_measure", id=measure_id)
    return as_json(found[0])


@router.get("/cases", response_model=s.CasePage, summary="Advanced cases with their effects")
def api_cases(session: DbSession, q: SearchText = None,
              theme: str | None = None, limit: Limit = 100, offset: Offset = 0):
    return page_of(filtered_cases(session, case_rows(session), q, theme), limit, offset)


@router.get("/cases/{case_id}", responses=NOT_FOUND, response_model=s.CaseOut, summary="One advanced case")
def api_case(case_id: path_id("case"), session: DbSession):
    found = case_rows(session, [case_id])
    if not found:
        raise RequestRefused(404, "no_case", id=case_id)
    return as_json(found[0])


@router.get("/documents", response_model=s.DocumentPage, summary="Ingested documents with their counts")
def api_documents(session: DbSession, family: str | None = None, limit: Limit = 100, offset: Offset = 0):
    rows = [d for d in document_rows(session) if family is None or d["family"] == family]
    return page_of(rows, limit, offset)


@router.get("/documents/{document_id}", responses=NOT_FOUND, response_model=s.DocumentDetail, summary="One document: text lines and facts")
def api_document(document_id: path_id("document"), session: DbSession):
    found = document_detail(session, document_id)
    if found is None:
        raise RequestRefused(404, "no_document", id=document_id)
    return as_json(found)


@router.get("/items", response_model=s.ItemPage, summary="Reform items (改革項目)")
def api_items(session: DbSession, limit: Limit = 100, offset: Offset = 0):
    return page_of(reform_item_rows(session), limit, offset)


@router.get("/items/{item_id}", responses=NOT_FOUND, response_model=s.ItemDetail, summary="One reform item: steps and schedules")
def api_item(item_id: path_id("reform item"), session: DbSession):
    found = reform_item_detail(session, item_id)
    if found is None:
        raise RequestRefused(404, "no_item", id=item_id)
    return as_json(found)


@router.get("/search", response_model=s.HitPage, summary="Full-text search over KPIs, measures, cases, documents and local bodies (kana find kanji names), best first")
def api_search(session: DbSession, q: SearchQuery,
               kind: SearchKind | None = None, limit: Limit = 100, offset: Offset = 0):
    kinds = (kind,) if kind else SEARCH_KINDS
    hits, total = search_page(session, q, kinds, limit, offset)  # the page only: a query may match every entry
    return as_json({"total": total, "limit": limit, "offset": offset, "items": [
        {"kind": h.kind, "ref": h.ref, "title": h.title, "snippet": h.snippet,
         "url": hit_path(h.kind, h.key)} for h in hits]})
