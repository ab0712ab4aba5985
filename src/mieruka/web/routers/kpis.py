"""KPI pages: the filterable list (with downloads) and one KPI with its chart, ratings and every appearance."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request

from mieruka.evaluate.bottom_up import kpi_report
from mieruka.records.kpi_facts import definitions, update_cycle
from mieruka.storage.overview import rating_rows, reform_item_rows
from mieruka.storage.queries import kpi_rows
from mieruka.storage.workflow import assigned_owner
from mieruka.storage.summaries import (RATING_BASES, KpiQuery, iter_kpi_rows, kpi_children, kpi_choices, kpi_count,
                                       kpi_names, kpi_page as kpi_page_rows)
from mieruka.web import kept
from mieruka.web.chart import kpi_chart, target_value
from mieruka.web.evaluation import EvaluationDate, evaluation_date
from mieruka.web.guards import MAX_ID, PageNumber, RequestRefused, SearchText, path_id
from mieruka.web.listings import KPI_COLUMNS, KPI_SORTS, PAGE_SIZE, Page, page_bounds
from mieruka.web.pages import AsOf, DbSession, Lang, kept_schemes_in_use, render, streamed_download, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME, scheme_choices, scheme_label
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/kpis", "nav.kpis", 20)]


KpiId = path_id("KPI")


def as_int(value: str | None, field: str) -> int | None:
    """Form fields arrive as text and "" (or anything not a number) means "any"; a number past any id is a 422."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()):
        return None
    if len(value) > 10 or int(value) > MAX_ID:
        raise RequestRefused(422, "too_big", field=field, limit=MAX_ID)
    return int(value)


def kpi_filter(scheme: str = DEFAULT_SCHEME, item: str | None = None, ministry: str | None = None,
               tier: str | None = None, rating: str | None = None, q: str | None = None,
               sort: str = "id", desc: str | None = None, basis: str | None = None,
               as_of: date | None = None) -> KpiQuery:
    return KpiQuery(scheme=scheme or DEFAULT_SCHEME, item=as_int(item, "item"), ministry=ministry or None,
                    tier=as_int(tier, "tier"),
                    rating=rating or None, q=q or None, sort=sort if sort in KPI_SORTS else "id",
                    desc=desc in ("1", "true", "on"), basis=basis if basis in RATING_BASES else None, as_of=as_of)


@router.get("/kpis.{fmt}")
def kpi_download(fmt: str, request: Request, session: DbSession, as_of: AsOf, scheme: str = DEFAULT_SCHEME,
                 item: str | None = None, ministry: str | None = None, tier: str | None = None,
                 rating: str | None = None, q: SearchText = None, sort: str = "id", desc: str | None = None,
                 basis: str | None = None):
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    when = evaluation_date(session, scheme, as_of)
    f = kpi_filter(scheme, item, ministry, tier, rating, q, sort, desc, basis, when.as_of)
    # the rows read once per state of the data for the three formats and two languages (a publish run asks all six)
    return streamed_download(request, fmt, "kpis", KPI_COLUMNS, lambda s: kept.per_state(
        s, "kpi_rows", tuple(vars(f).values()), lambda: list(iter_kpi_rows(s, f))))


def kpi_list_page(session, f: KpiQuery, page: int) -> Page:
    """One page of the filtered list, counted, sorted and cut in the database."""
    total = kpi_count(session, f)
    page, pages = page_bounds(total, page)
    rows = kpi_page_rows(session, f, PAGE_SIZE, (page - 1) * PAGE_SIZE) if total else []
    return Page(rows, total, page, pages)


def as_of_context(when: EvaluationDate, **keep) -> dict:
    """What the evaluation-date form of a page needs (_macros.as_of_form)."""
    return {"when": when, "as_of": when.as_of, "as_of_keep": keep}


@router.get("/kpis")
def kpi_list(request: Request, session: DbSession, lang: Lang, as_of: AsOf, scheme: str = DEFAULT_SCHEME,
             item: str | None = None, ministry: str | None = None, tier: str | None = None,
             rating: str | None = None, q: SearchText = None, sort: str = "id", desc: str | None = None,
             basis: str | None = None, page: PageNumber = 1):
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    when = evaluation_date(session, scheme, as_of)
    f = kpi_filter(scheme, item, ministry, tier, rating, q, sort, desc, basis, when.as_of)
    choices = kept.per_state(session, "kpi_choices", (f.scheme, f.basis, f.as_of),
                             lambda: kpi_choices(session, f.scheme, f.basis, f.as_of))
    return render(request, "kpis.html", {
        **as_of_context(when, scheme=f.scheme, item=f.item, ministry=f.ministry, tier=f.tier, rating=f.rating, q=f.q,
                        sort=None if f.sort == "id" else f.sort, desc="1" if f.desc else None, basis=f.basis),
        "bases": RATING_BASES,
        "f": f,
        "page": kpi_list_page(session, f, page),
        "items": [i for i in kept.per_state(session, "reform_items", (), lambda: reform_item_rows(session)) if i["kpis"]],
        **choices,
        "schemes": [(s, scheme_label(s, lang)) for s in scheme_choices(kept_schemes_in_use(session))],
        "sorts": KPI_SORTS,
    })


def has_survey_map(session, kpi_id: int) -> bool:
    """A bottom-up KPI whose survey has been imported has a prefecture map to show."""
    report = kpi_report(session, kpi_id)
    return bool(report and report["snapshots"])


def as_of_ratings(ratings: list[dict], as_of: date | None) -> list[dict]:
    """The ratings a page dated as_of shows: published ones dated by then (or undated), computed ones made as of it."""
    if as_of is None:
        return ratings
    return [r for r in ratings if (r["as_of"] is None or r["as_of"] <= as_of) if r["official"]] + \
        [r for r in ratings if not r["official"] and r["as_of"] == as_of]


@router.get("/kpis/{kpi_id}")
def kpi_page(request: Request, kpi_id: KpiId, session: DbSession, lang: Lang, as_of: AsOf):
    when = evaluation_date(session, DEFAULT_SCHEME, as_of)  # first: its dates are kept only by a session yet to read
    found = kpi_rows(session, [kpi_id])
    if not found:
        raise RequestRefused(404, "no_kpi", id=kpi_id)
    kpi = found[0]
    parent = kpi_names(session, [kpi["parent_id"]]) if kpi["parent_id"] else {}
    return render(request, "kpi.html", kpi_page_context(
        kpi, parent.get(kpi["parent_id"]), when, rating_rows(session, kpi_ids=[kpi_id]),
        kpi_children(session, kpi_id), has_survey_map(session, kpi_id), assigned_owner(session, kpi_id), lang))


def kpi_page_context(kpi: dict, parent_name: str | None, when: EvaluationDate, ratings: list[dict],
                     children: list[dict], survey_map: bool, assigned: dict | None, lang: str) -> dict:
    """What kpi.html shows of one KPI, from what was read of it (one KPI here; many at once by mieruka publish)."""
    ratings = as_of_ratings(ratings, when.as_of)
    by_scheme: dict[str, dict] = {}
    for r in ratings:
        entry = by_scheme.setdefault(r["scheme"], {"scheme": r["scheme"], "label": scheme_label(r["scheme"], lang),
                                                    "computed": [], "official": []})
        entry["official" if r["official"] else "computed"].append(r)
    order = scheme_choices(list(by_scheme))
    return {
        **as_of_context(when),
        "kpi": kpi,
        "schemes": sorted(by_scheme.values(), key=lambda x: order.index(x["scheme"])),
        "chart": kpi_chart(kpi, ratings, lang),
        "target_values": [target_value(x, kpi) for x in kpi["targets"]],
        "parent": {"id": kpi["parent_id"], "name": parent_name} if parent_name is not None else None,
        "children": children,
        "survey_map": survey_map,
        "definitions": definitions(kpi),
        "cycle": update_cycle(kpi),
        "assigned": assigned,
    }
