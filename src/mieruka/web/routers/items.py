"""Reform item (改革項目) pages: the list, and one item with its process steps, schedule timelines and KPIs."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.ingest.readers.reform_schedule.columns import UNPLACED
from mieruka.storage.overview import reform_item_detail, reform_item_rows
from mieruka.storage.summaries import KpiQuery, kpi_page
from mieruka.web.guards import RequestRefused, path_id
from mieruka.web.pages import DbSession, Lang, download_response, render, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/items", "nav.items", 30)]
ItemId = path_id("reform item")
ITEM_COLUMNS = ["id", "number", "name", "theme", "kpis", "steps", "schedules", "status_words"]


@router.get("/items.{fmt}")
def item_download(fmt: str, session: DbSession, lang: Lang):
    return download_response(reform_item_rows(session), fmt, "reform_items", ITEM_COLUMNS, lang=lang)


@router.get("/items")
def item_list(request: Request, session: DbSession, lang: Lang):
    return render(request, "items.html", {"items": reform_item_rows(session)})


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: ItemId, session: DbSession, lang: Lang, scheme: str = DEFAULT_SCHEME):
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    item = reform_item_detail(session, item_id)
    if item is None:
        raise RequestRefused(404, "no_item", id=item_id)
    kpis = kpi_page(session, KpiQuery(scheme=scheme, item=item_id), None) if item["kpi_ids"] else []
    return render(request, "item.html", {"item": item, "kpis": kpis, "scheme": scheme, "unplaced": UNPLACED})
