"""Advanced case pages (先進・優良事例): the library with effects, search and downloads, and one page per case."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.bodies import registry
from mieruka.storage.queries import case_rows, document_labels
from mieruka.storage.search import search_ids
from mieruka.web.guards import PageNumber, RequestRefused, SearchText, path_id
from mieruka.web.listings import CASE_COLUMNS, case_effect_rows, case_table, paginate
from mieruka.web.pages import DbSession, Lang, download_response, render
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/cases", "nav.cases", 50)]
CaseId = path_id("case")


def filtered_cases(session, cases: list[dict], q: str | None, theme: str | None) -> list[dict]:
    q = (q or "").strip()
    return case_table(cases, theme or None, search_ids(session, q, "case") if q else None)


@router.get("/cases.{fmt}")
def case_download(fmt: str, session: DbSession, lang: Lang, q: SearchText = None, theme: str | None = None):
    labels = document_labels(session)
    rows = [flat for c in filtered_cases(session, case_rows(session), q, theme) for flat in case_effect_rows(c, labels)]
    return download_response(rows, fmt, "cases", CASE_COLUMNS, lang=lang)


@router.get("/cases")
def case_list(request: Request, session: DbSession, lang: Lang, q: SearchText = None, theme: str | None = None,
              page: PageNumber = 1):
    everything = case_rows(session)
    rows = filtered_cases(session, everything, q, theme)
    return render(request, "cases.html", {
        "q": q or "", "theme": theme or "", "page": paginate(rows, page),
        "themes": sorted({c["theme"] for c in everything if c["theme"]}),
    })


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: CaseId, session: DbSession, lang: Lang):
    found = case_rows(session, [case_id])
    if not found:
        raise RequestRefused(404, "no_case", id=case_id)
    case = found[0]
    bodies = [b for b in map(registry.by_code, case["body_codes"]) if b is not None]
    return render(request, "case.html", {"c": case, "bodies": bodies})
