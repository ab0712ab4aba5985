"""The bridge to mieruka.evaluate: the audit findings the overview page and /api/audit show (the same entry point as
`mieruka audit`), and the ratings of every scheme file computed and stored as `mieruka evaluate` stores them, for a
database that has none yet (what `mieruka demo` does before serving)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mieruka.evaluate.findings import audit_session
from mieruka.evaluate.rate import rate_all
from mieruka.evaluate.schemes import available, load
from mieruka.storage.overview import data_version
from mieruka.storage.queries import document_rows, kpi_rows
from mieruka.storage.ratings import computed_ratings, store_computed


# The audit reads every KPI; its findings only change with the data, the language and the day.
_CACHE_SIZE = 8
_cache: dict[tuple, list[dict]] = {}


def audit_findings(session: Session, lang: str = "ja", as_of: date | None = None) -> list[dict]:
    """Every finding as {kind, kpi_id, kpi, message, sources: [{document, document_id, line}]}, in the audit's order."""
    as_of = as_of or date.today()
    key = (str(session.get_bind().url), data_version(session), lang, as_of)
    if key not in _cache:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _run_audit(session, lang, as_of)
    return _cache[key]


def _run_audit(session: Session, lang: str, as_of: date) -> list[dict]:
    findings = audit_session(session, as_of)
    # The audit cites documents by file name; the pages link to them by id (the newest document of that name).
    doc_ids = {d["file_name"]: d["id"] for d in document_rows(session)}
    rows = []
    for f in findings:
        row = f.row(lang)
        row["sources"] = [{**s, "document_id": doc_ids.get(s.get("document"))} for s in row["sources"]]
        rows.append(row)
    return rows


def newest_observation(kpis: list[dict]) -> date | None:
    return max((o["as_of"] for k in kpis for o in k["observations"] if o["as_of"]), default=None)


def rate_missing_schemes(session: Session, as_of: date | None = None) -> tuple[list[str], date]:
    """Compute and store the ratings of each scheme file that has no computed rating yet; returns their names and
    the date rated at: as_of, else the newest observation (as the documents' own ratings were made), else today."""
    done = {r["scheme"] for r in computed_ratings(session)}
    kpis = kpi_rows(session)
    as_of = as_of or newest_observation(kpis) or date.today()
    rated = []
    for name in available():
        if name in done:
            continue
        scheme = load(name)
        results = rate_all(kpis, scheme, as_of)
        store_computed(session, scheme.name, [{
            "kpi_id": r.kpi_id, "code": r.code, "explanation": r.explanation, "explanation_en": r.explanation_en,
            "as_of": r.as_of, "details": r.details()} for r in results])
        rated.append(scheme.name)
    return rated, as_of


def demo_database(url: str) -> tuple[int, list[str], date]:
    """What `mieruka demo` serves: the bundled sample loaded into an empty database and rated under every scheme.
    Returns how many documents were loaded (0 when the database had some), the schemes rated and their date."""
    from mieruka import storage
    from mieruka.ingest.sample import load_sample

    storage.ensure_schema(url)
    with storage.session_scope(url) as session:
        empty = not document_rows(session)
    loaded = len(load_sample(url)) if empty else 0
    with storage.session_scope(url, write=True) as session:
        # The sample's figures end in 2019: rated as of today, every deadline since would read "no data" (N).
        rated, when = rate_missing_schemes(session)
    return loaded, rated, when
