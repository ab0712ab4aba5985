"""The overview page: KPI counts by rating for the chosen scheme (the published ratings as headline, mieruka's
recomputation beside them), by reform item and by ministry, the audit findings, all as of the page's one evaluation
date, and what the last ingest changed."""
from __future__ import annotations

from fastapi import APIRouter, Request

from mieruka.export.shapes import labels_by_file
from mieruka.storage.overview import last_ingest_changes, totals
from mieruka.storage.queries import document_labels
from mieruka.storage.summaries import kpi_rating_counts, published_schemes
from mieruka.web import kept
from mieruka.web.evaluation import audit_page, evaluation_date
from mieruka.web.listings import AUDIT_COLUMNS, cross_counts, finding_flat
from mieruka.web.pages import AsOf, DbSession, Lang, kept_schemes_in_use, render, streamed_download, valid_scheme
from mieruka.web.ratings import DEFAULT_SCHEME, rating_info, scheme_choices, scheme_codes, scheme_label
from mieruka.web.routers import NavLink

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/", "nav.overview", 10)]
OVERVIEW_FINDINGS = 200


def rating_distribution(rows: list[dict], scheme: str, lang: str) -> list[dict]:
    """One line per code: how many KPIs the documents published it for (official), how many mieruka's recomputation
    gives it (computed), and how many the page heads with (shown: the published one, or the computed one under a
    scheme no document publishes); a last line for KPIs without a rating. Each row counts r["n"] KPIs."""
    codes = scheme_codes(scheme)
    seen = [c for r in rows for c in (r["rating_computed"], r["rating_official"]) if c]
    codes += [c for c in dict.fromkeys(seen) if c not in codes]
    return [{"code": c, **rating_info(scheme, c, lang), "shown": sum(r["n"] for r in rows if r["rating"] == c),
             "computed": sum(r["n"] for r in rows if r["rating_computed"] == c),
             "official": sum(r["n"] for r in rows if r["rating_official"] == c)} for c in codes + [None]]


def headline_basis(session, scheme: str) -> str:
    """The published ratings head the page; under a scheme no document publishes (municipal-sabc) only mieruka's."""
    return "official" if scheme in published_schemes(session) else "computed"


@router.get("/audit.{fmt}")
def audit_download(fmt: str, request: Request, session: DbSession, lang: Lang, as_of: AsOf,
                   scheme: str = DEFAULT_SCHEME):
    """The overview's table of audit findings as a file, its messages in the page's language: the audit stored as of
    the page's evaluation date (only the header row when none is stored: nothing is audited on a request)."""
    when = evaluation_date(session, valid_scheme(session, scheme or DEFAULT_SCHEME), as_of)
    found = audit_page(session, lang, when.as_of, limit=0)
    total = found[0] if found else 0

    def rows(s):
        labels = labels_by_file(document_labels(s))
        for offset in range(0, total, 2000):
            yield from (finding_flat(f, labels, lang) for f in audit_page(s, lang, when.as_of, limit=2000, offset=offset)[1])

    return streamed_download(request, fmt, "audit", AUDIT_COLUMNS, rows)


@router.get("/")
def overview(request: Request, session: DbSession, lang: Lang, as_of: AsOf, scheme: str = DEFAULT_SCHEME):
    # the scheme and the evaluation date first: what they read is kept only by a session yet to read (web.kept)
    scheme = valid_scheme(session, scheme or DEFAULT_SCHEME)
    when = evaluation_date(session, scheme, as_of)
    # what the page shows alike in both languages, read once per state of the data (a publish run asks for both)
    counts = kept.per_state(session, "overview_totals", (), lambda: totals(session))
    if not counts["documents"]:  # a fresh database: how to load documents, not a page of zeros
        return render(request, "empty.html", {})
    basis = headline_basis(session, scheme)
    rows = kept.per_state(session, "overview_counts", (scheme, when.as_of, basis),
                          lambda: _labelled(kpi_rating_counts(session, scheme, when.as_of, basis)))
    schemes = scheme_choices(kept_schemes_in_use(session))
    distribution = rating_distribution(rows, scheme, lang)
    # a national audit has tens of thousands of findings: the page shows the first ones, the downloads all
    found = audit_page(session, lang, when.as_of, limit=OVERVIEW_FINDINGS)
    return render(request, "overview.html", {
        "totals": counts,
        "scheme": scheme,
        "basis": basis,
        "when": when, "as_of": when.as_of, "as_of_keep": {"scheme": None if scheme == DEFAULT_SCHEME else scheme},
        "schemes": [(s, scheme_label(s, lang)) for s in schemes],
        "distribution": distribution,
        "codes": [d["code"] for d in distribution if d["code"]],
        "by_item": cross_counts(rows, "reform_item_id", "reform_item_label"),
        "by_ministry": cross_counts(rows, "ministry"),
        "audit_stored": found is not None,
        "findings_total": found[0] if found else 0,
        "findings": found[1] if found else [],
        "changes": kept.per_state(session, "overview_changes", (), lambda: last_ingest_changes(session)),
    })


def _labelled(rows: list[dict]) -> list[dict]:
    for r in rows:  # the item as the other pages name it: ⑪民間の大胆な活用…
        r["reform_item_label"] = (r["reform_item_number"] or "") + (r["reform_item"] or "")
    return rows
