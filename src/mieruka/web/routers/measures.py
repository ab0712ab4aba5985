"""National measure pages (国の施策一覧): facets, Japanese full-text search, downloads and one page per measure."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.storage.queries import measure_rows
from mieruka.storage.search import search_ids
from mieruka.web.guards import PageNumber, RequestRefused, SearchText, path_id
from mieruka.web.listings import MEASURE_COLUMNS, MEASURE_FACETS, MeasureFilter, measure_flat, measure_table, paginate
from mieruka.web.pages import DbSession, Lang, download_response, render
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/measures", "nav.measures", 40)]
MeasureId = path_id("measure")


def filtered_measures(session, f: MeasureFilter) -> tuple[list[dict], dict]:
    hits = search_ids(session, f.q, "measure") if f.q else None
    return measure_table(measure_rows(session), f, hits)


def measure_filter(pillar: str | None, effect: str | None, ministry: str | None, lead: str | None,
                   timing: str | None, q: str | None) -> MeasureFilter:
    return MeasureFilter(pillar=pillar or None, effect=effect or None, ministry=ministry or None, lead=lead or None,
                         timing=timing or None, q=(q or "").strip() or None)


@router.get("/measures.{fmt}")
def measure_download(fmt: str, session: DbSession, pillar: str | None = None, effect: str | None = None,
                     ministry: str | None = None, lead: str | None = None, timing: str | None = None,
                     q: SearchText = None):
    rows, _ = filtered_measures(session, measure_filter(pillar, effect, ministry, lead, timing, q))
    return download_response([measure_flat(m) for m in rows], fmt, "measures", MEASURE_COLUMNS)


@router.get("/measures")
def measure_list(request: Request, session: DbSession, lang: Lang, pillar: str | None = None,
                 effect: str | None = None, ministry: str | None = None, lead: str | None = None,
                 timing: str | None = None, q: SearchText = None, page: PageNumber = 1):
    f = measure_filter(pillar, effect, ministry, lead, timing, q)
    rows, facets = filtered_measures(session, f)
    return render(request, "measures.html", {"f": f, "page": paginate(rows, page), "facets": facets,
                                             "facet_names": MEASURE_FACETS})


@router.get("/measures/{measure_id}")
def measure_page(request: Request, measure_id: MeasureId, session: DbSession, lang: Lang):
    measure = next((m for m in measure_rows(session) if m["id"] == measure_id), None)
    if measure is None:
        raise RequestRefused(404, "no_measure", id=measure_id)
    return render(request, "measure.html", {"m": measure})
