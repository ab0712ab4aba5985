"""National measure pages (国の施策一覧): facets, Japanese full-text search, downloads and one page per measure."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.storage.measure_lists import iter_measures, measure_facets, measure_total
from mieruka.storage.measure_lists import measure_page as measure_rows_page
from mieruka.storage.queries import document_labels, measure_rows
from mieruka.storage.search import search_ids
from mieruka.web.guards import PageNumber, RequestRefused, SearchText, path_id
from mieruka.web.listings import (MEASURE_COLUMNS, MEASURE_FACETS, PAGE_SIZE, MeasureFilter, Page, measure_flat,
                                  page_bounds)
from mieruka.web.pages import DbSession, Lang, render, streamed_download
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/measures", "nav.measures", 40)]
MeasureId = path_id("measure")


def chosen(f: MeasureFilter) -> dict[str, str | None]:
    return {name: getattr(f, name) for name in MEASURE_FACETS}


def hits_of(session, f: MeasureFilter) -> list[int] | None:
    """The full-text hits, best first, when the filter searches; None when it does not."""
    return search_ids(session, f.q, "measure") if f.q else None


def measures_page(session, f: MeasureFilter, limit: int, offset: int) -> tuple[int, list[dict]]:
    """How many measures pass the filter and the rows from offset: counted and cut in the database."""
    return measure_rows_page(session, chosen(f), hits_of(session, f), limit, offset)


def measure_filter(pillar: str | None, effect: str | None, ministry: str | None, lead: str | None,
                   timing: str | None, q: str | None) -> MeasureFilter:
    return MeasureFilter(pillar=pillar or None, effect=effect or None, ministry=ministry or None, lead=lead or None,
                         timing=timing or None, q=(q or "").strip() or None)


@router.get("/measures.{fmt}")
def measure_download(fmt: str, request: Request, session: DbSession, pillar: str | None = None, effect: str | None = None,
                     ministry: str | None = None, lead: str | None = None, timing: str | None = None,
                     q: SearchText = None):
    f = measure_filter(pillar, effect, ministry, lead, timing, q)
    hits = hits_of(session, f)
    return streamed_download(request, fmt, "measures", MEASURE_COLUMNS,
                             lambda s: (measure_flat(m, labels) for labels in [document_labels(s)]
                                        for m in iter_measures(s, chosen(f), hits)))


@router.get("/measures")
def measure_list(request: Request, session: DbSession, lang: Lang, pillar: str | None = None,
                 effect: str | None = None, ministry: str | None = None, lead: str | None = None,
                 timing: str | None = None, q: SearchText = None, page: PageNumber = 1):
    f = measure_filter(pillar, effect, ministry, lead, timing, q)
    hits = hits_of(session, f)
    total = measure_total(session, chosen(f), hits)
    page, pages = page_bounds(total, page)
    _, rows = measure_rows_page(session, chosen(f), hits, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render(request, "measures.html", {"f": f, "page": Page(rows, total, page, pages),
                                             "facets": measure_facets(session, chosen(f), hits),
                                             "facet_names": MEASURE_FACETS})


@router.get("/measures/{measure_id}")
def measure_page(request: Request, measure_id: MeasureId, session: DbSession, lang: Lang):
    found = measure_rows(session, [measure_id])
    if not found:
        raise RequestRefused(404, "no_measure", id=measure_id)
    return render(request, "measure.html", {"m": found[0]})
