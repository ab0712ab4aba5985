"""The overview page: KPI counts by rating for the chosen scheme, by reform item and by ministry, the audit
findings and what the last ingest changed."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.storage.overview import last_ingest_changes, schemes_in_use, totals
from mieruka.storage.queries import kpi_rows
from mieruka.web.evaluation import audit_findings, evaluation_date, kpis_as_of, parse_as_of
from mieruka.web.listings import AUDIT_COLUMNS, cross_counts, finding_flat, kpi_summary
from mieruka.web.pages import DbSession, Lang, download_response, render, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME, rating_info, scheme_choices, scheme_codes, scheme_label
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/", "nav.overview", 10)]


def rating_distribution(rows: list[dict], scheme: str, lang: str) -> list[dict]:
    """One line per code: how many KPIs the documents rated so (official: the headline), how many mieruka's
    recomputation rates so (computed), and how many the page's basis shows (the bar); a last line for no rating."""
    codes = scheme_codes(scheme)
    seen = [c for r in rows for c in (r["rating_computed"], r["rating_official"]) if c]
    codes += [c for c in dict.fromkeys(seen) if c not in codes]
    return [{"code": c, **rating_info(scheme, c, lang), "shown": sum(r["rating"] == c for r in rows),
             "computed": sum(r["rating_computed"] == c for r in rows),
             "official": sum(r["rating_official"] == c for r in rows)} for c in codes + [None]]


def headline_basis(kpis: list[dict], scheme: str) -> str:
    """The published ratings head the page; a scheme no document publishes (municipal-sabc) has only mieruka's."""
    published = any(r["official"] and r["scheme"] == scheme for k in kpis for r in k["ratings"])
    return "official" if published else "computed"


@router.get("/audit.{fmt}")
def audit_download(fmt: str, session: DbSession, lang: Lang, as_of: str | None = None):
    """The overview's table of audit findings as a file, its messages in the page's language, as of the page's date."""
    when = evaluation_date(kpi_rows(session), parse_as_of(as_of))
    rows = [finding_flat(f) for f in audit_findings(session, lang, when)]
    return download_response(rows, fmt, "audit", AUDIT_COLUMNS)


@router.get("/")
def overview(request: Request, session: DbSession, lang: Lang, scheme: str = DEFAULT_SCHEME, as_of: str | None = None):
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    kpis = kpi_rows(session)
    # One evaluation date for the whole page: the ratings, their counts and the audit.
    when = evaluation_date(kpis, parse_as_of(as_of))
    kpis = kpis_as_of(session, kpis, when, [scheme])
    basis = headline_basis(kpis, scheme)
    rows = [kpi_summary(k, scheme, basis) for k in kpis]
    for r in rows:  # the item as the other pages name it: ⑪民間の大胆な活用…
        r["reform_item_label"] = (r["reform_item_number"] or "") + (r["reform_item"] or "")
    schemes = scheme_choices(schemes_in_use(session))
    distribution = rating_distribution(rows, scheme, lang)
    return render(request, "overview.html", {
        "totals": totals(session),
        "scheme": scheme,
        "basis": basis,
        "schemes": [(s, scheme_label(s, lang)) for s in schemes],
        "distribution": distribution,
        "codes": [d["code"] for d in distribution if d["code"]],
        "by_item": cross_counts(rows, "reform_item_id", "reform_item_label"),
        "by_ministry": cross_counts(rows, "ministry"),
        "ministries_inferred": sum(bool(r["ministry_inferred"]) for r in rows),
        "findings": audit_findings(session, lang, when),
        "as_of": when,
        "changes": last_ingest_changes(session),
    })
