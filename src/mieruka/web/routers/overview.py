"""The overview page: KPI counts by rating for the chosen scheme, by reform item and by ministry, the audit
findings and what the last ingest changed."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.storage.overview import last_ingest_changes, schemes_in_use, totals
from mieruka.storage.summaries import kpi_rating_counts
from mieruka.web.evaluation import audit_page
from mieruka.web.listings import AUDIT_COLUMNS, cross_counts, finding_flat
from mieruka.web.pages import DbSession, Lang, render, streamed_download, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME, rating_info, scheme_choices, scheme_codes, scheme_label
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/", "nav.overview", 10)]
OVERVIEW_FINDINGS = 200


def rating_distribution(rows: list[dict], scheme: str, lang: str) -> list[dict]:
    """One line per code: how many KPIs show it (computed, else official), how many the computation gives it,
    how many the documents gave it; a last line for KPIs without a rating. Each row counts r["n"] KPIs."""
    codes = scheme_codes(scheme)
    seen = [c for r in rows for c in (r["rating_computed"], r["rating_official"]) if c]
    codes += [c for c in dict.fromkeys(seen) if c not in codes]
    return [{"code": c, **rating_info(scheme, c, lang), "shown": sum(r["n"] for r in rows if r["rating"] == c),
             "computed": sum(r["n"] for r in rows if r["rating_computed"] == c),
             "official": sum(r["n"] for r in rows if r["rating_official"] == c)} for c in codes + [None]]


@router.get("/audit.{fmt}")
def audit_download(fmt: str, request: Request, session: DbSession, lang: Lang):
    """The overview's table of audit findings as a file, its messages in the page's language."""
    total, _ = audit_page(session, lang, limit=0)  # audited now if this data has no stored audit yet
    # the rows are read in a session of their own while the body is sent: the audit just stored must be committed
    # first, or that session would wait on this one's write lock
    session.commit()

    def rows(s):
        for offset in range(0, total, 2000):
            yield from (finding_flat(f) for f in audit_page(s, lang, limit=2000, offset=offset)[1])

    return streamed_download(request, fmt, "audit", AUDIT_COLUMNS, rows)


@router.get("/")
def overview(request: Request, session: DbSession, lang: Lang, scheme: str = DEFAULT_SCHEME):
    counts = totals(session)
    if not counts["documents"]:  # a fresh database: how to load documents, not a page of zeros
        return render(request, "empty.html", {})
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    rows = kpi_rating_counts(session, scheme)
    for r in rows:  # the item as the other pages name it: ⑪民間の大胆な活用…
        r["reform_item_label"] = (r["reform_item_number"] or "") + (r["reform_item"] or "")
    schemes = scheme_choices(schemes_in_use(session))
    distribution = rating_distribution(rows, scheme, lang)
    return render(request, "overview.html", {
        "totals": counts,
        "scheme": scheme,
        "schemes": [(s, scheme_label(s, lang)) for s in schemes],
        "distribution": distribution,
        "codes": [d["code"] for d in distribution if d["code"]],
        "by_item": cross_counts(rows, "reform_item_id", "reform_item_label"),
        "by_ministry": cross_counts(rows, "ministry"),
        # a national audit has tens of thousands of findings: the page shows the first ones, the downloads all
        **dict(zip(("findings_total", "findings"), audit_page(session, lang, limit=OVERVIEW_FINDINGS))),
        "changes": last_ingest_changes(session),
    })
