"""KPI pages: the filterable list (with downloads) and one KPI with its chart, ratings and every appearance."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from mieruka.municipalities.bottom_up import kpi_report
from mieruka.storage.overview import rating_rows, reform_item_rows, schemes_in_use
from mieruka.storage.queries import kpi_rows
from mieruka.web.chart import kpi_chart, target_value
from mieruka.web.evaluation import evaluation_date, kpis_as_of, parse_as_of, ratings_as_of
from mieruka.web.listings import KPI_COLUMNS, KPI_SORTS, RATING_BASES, KpiFilter, kpi_table, paginate
from mieruka.web.pages import DbSession, Lang, download_response, render, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME, scheme_choices, scheme_label
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/kpis", "nav.kpis", 20)]


def as_int(value: str | None) -> int | None:
    """Form fields arrive as text and "" means "any"."""
    return int(value) if value and value.strip().isdigit() else None


def kpi_filter(scheme: str = DEFAULT_SCHEME, item: str | None = None, ministry: str | None = None,
               tier: str | None = None, rating: str | None = None, q: str | None = None,
               sort: str = "id", desc: str | None = None, basis: str | None = None) -> KpiFilter:
    return KpiFilter(scheme=scheme or DEFAULT_SCHEME, item=as_int(item), ministry=ministry or None, tier=as_int(tier),
                     rating=rating or None, q=q or None, sort=sort if sort in KPI_SORTS else "id",
                     desc=desc in ("1", "true", "on"), basis=basis if basis in RATING_BASES else None)


@router.get("/kpis.{fmt}")
def kpi_download(fmt: str, session: DbSession, scheme: str = DEFAULT_SCHEME, item: str | None = None,
                 ministry: str | None = None, tier: str | None = None, rating: str | None = None,
                 q: str | None = None, sort: str = "id", desc: str | None = None, basis: str | None = None):
    f = kpi_filter(valid_scheme(session, scheme or DEFAULT_SCHEME), item, ministry, tier, rating, q, sort, desc, basis)
    return download_response(kpi_table(kpi_rows(session), f), fmt, "kpis", KPI_COLUMNS)


@router.get("/kpis")
def kpi_list(request: Request, session: DbSession, lang: Lang, scheme: str = DEFAULT_SCHEME, item: str | None = None,
             ministry: str | None = None, tier: str | None = None, rating: str | None = None, q: str | None = None,
             sort: str = "id", desc: str | None = None, page: int = 1, basis: str | None = None,
             as_of: str | None = None):
    f = kpi_filter(valid_scheme(session, scheme or DEFAULT_SCHEME), item, ministry, tier, rating, q, sort, desc, basis)
    kpis = kpi_rows(session)
    when = evaluation_date(kpis, parse_as_of(as_of))
    kpis = kpis_as_of(session, kpis, when, [f.scheme])
    everything = kpi_table(kpis, KpiFilter(scheme=f.scheme, basis=f.basis))
    rows = kpi_table(kpis, f)
    return render(request, "kpis.html", {
        "f": f,
        "page": paginate(rows, page),
        "items": [i for i in reform_item_rows(session) if i["kpis"]],
        "ministries": sorted({r["ministry"] for r in everything if r["ministry"]}),
        "tiers": sorted({r["tier"] for r in everything if r["tier"] is not None}),
        "ratings": sorted({r["rating"] for r in everything if r["rating"]}),
        "schemes": [(s, scheme_label(s, lang)) for s in scheme_choices(schemes_in_use(session))],
        "sorts": KPI_SORTS,
        "as_of": when,
    })


def has_survey_map(session, kpi_id: int) -> bool:
    """A bottom-up KPI whose survey has been imported has a prefecture map to show."""
    report = kpi_report(session, kpi_id)
    return bool(report and report["snapshots"])


@router.get("/kpis/{kpi_id}")
def kpi_page(request: Request, kpi_id: int, session: DbSession, lang: Lang, as_of: str | None = None):
    kpis = kpi_rows(session)
    everything = {k["id"]: k for k in kpis}
    kpi = everything.get(kpi_id)
    if kpi is None:
        raise HTTPException(404, f"KPI {kpi_id} not found")
    when = evaluation_date(kpis, parse_as_of(as_of))
    ratings = ratings_as_of(session, kpis, kpi_id, rating_rows(session, kpi_ids=[kpi_id]), when)
    by_scheme: dict[str, dict] = {}
    for r in ratings:
        entry = by_scheme.setdefault(r["scheme"], {"scheme": r["scheme"], "label": scheme_label(r["scheme"], lang),
                                                    "computed": [], "official": []})
        entry["official" if r["official"] else "computed"].append(r)
    order = scheme_choices(list(by_scheme))
    return render(request, "kpi.html", {
        "kpi": kpi,
        "schemes": sorted(by_scheme.values(), key=lambda x: order.index(x["scheme"])),
        "chart": kpi_chart(kpi, ratings, lang),
        "target_values": [target_value(x, kpi) for x in kpi["targets"]],
        "parent": everything.get(kpi["parent_id"]),
        "children": [k for k in everything.values() if k["parent_id"] == kpi_id],
        "survey_map": has_survey_map(session, kpi_id),
        "as_of": when,
    })
