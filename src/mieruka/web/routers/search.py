"""The site's search box (in every page's header): KPIs, national measures, advanced cases, documents and local
bodies, found by their text or, typed in kana, by the readings of their names; all the words first, then fewer."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.storage.search import ranked_search
from mieruka.web.guards import PageNumber, SearchText
from mieruka.web.listings import paginate
from mieruka.web.pages import DbSession, Lang, render

router = APIRouter(include_in_schema=False)

PATHS = {"kpi": "/kpis/{}", "measure": "/measures/{}", "case": "/cases/{}", "document": "/documents/{}",
         "body": "/local/{}"}


def hit_path(kind: str, key: str) -> str:
    """The page of one search hit."""
    return PATHS[kind].format(key)


@router.get("/search")
def search_page(request: Request, session: DbSession, lang: Lang, q: SearchText = None, page: PageNumber = 1):
    q = (q or "").strip()
    hits = ranked_search(session, q) if q else []
    words = len(q.split())
    rows = [{"kind": h.kind, "title": h.title, "snippet": h.snippet, "path": hit_path(h.kind, h.key),
             "partial": h.matched < words} for h in hits]
    return render(request, "search.html", {
        "q": q, "page": paginate(rows, page), "words": words,
        "all_words": sum(not r["partial"] for r in rows),
    })
