"""The bridge to mieruka.evaluate: the audit findings the overview page and /api/audit show (the same entry point as
`mieruka audit`), and the ratings of every scheme file computed and stored as `mieruka evaluate` stores them, for a
database that has none yet (what `mieruka demo` does before serving)."""
from __future__ import annotations

from datetime import date

from fastapi import HTTPException
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


def parse_as_of(text: str | None) -> date | None:
    """The page's ?as_of=YYYY-MM-DD; a 422 naming the field for anything else (never a guess)."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(422, f"as_of: 日付はYYYY-MM-DDの形で指定してください（例: 2019-03-31）: {text[:40]!r}")


def stored_as_of(kpis: list[dict]) -> date | None:
    """The date the stored computed ratings were made at (mieruka evaluate --as-of, or the demo's newest observation)."""
    return max((r["as_of"] for k in kpis for r in k["ratings"] if not r["official"] and r["as_of"]), default=None)


def evaluation_date(kpis: list[dict], requested: date | None) -> date:
    """One date for a whole page: the one asked for, else that of the stored ratings, else the newest observation."""
    return requested or stored_as_of(kpis) or newest_observation(kpis) or date.today()


_rated_cache: dict[tuple, dict[int, list[dict]]] = {}


def _computed_as_of(session: Session, kpis: list[dict], scheme_name: str, as_of: date) -> dict[int, list[dict]]:
    key = (str(session.get_bind().url), data_version(session), scheme_name, as_of)
    if key not in _rated_cache:
        if len(_rated_cache) >= _CACHE_SIZE * 4:
            _rated_cache.pop(next(iter(_rated_cache)))
        scheme = load(scheme_name)
        out: dict[int, list[dict]] = {}
        for r in rate_all(kpis, scheme, as_of):
            out.setdefault(r.kpi_id, []).append({
                "scheme": scheme.name, "code": r.code, "official": False, "as_of": r.as_of,
                "explanation": r.explanation, "explanation_en": r.explanation_en, "details": r.details(),
                "source": None})
        _rated_cache[key] = out
    return _rated_cache[key]


def recomputed(session: Session, kpis: list[dict], as_of: date, schemes: list[str]) -> dict[str, dict[int, list[dict]]]:
    """mieruka's ratings as of as_of for each scheme whose stored ratings were made at another date (or not at all),
    computed once per data version and date: {scheme: {kpi_id: [rating]}}. A scheme without a file is left out."""
    files = set(available())
    redo = [name for name in schemes if name in files and
            {r["as_of"] for k in kpis for r in k["ratings"] if r["scheme"] == name and not r["official"]} != {as_of}]
    return {name: _computed_as_of(session, kpis, name, as_of) for name in redo}


def _known_by(r: dict, as_of: date, fresh: dict) -> bool:
    if r["official"]:
        return r["as_of"] is None or r["as_of"] <= as_of  # published by then (an undated one counts)
    return r["scheme"] not in fresh


def kpis_as_of(session: Session, kpis: list[dict], as_of: date, schemes: list[str]) -> list[dict]:
    """The KPIs as a page dated as_of shows them: the published ratings known by then, and mieruka's ratings of each
    scheme as of that date (the stored ones when they were computed at it, else recomputed)."""
    fresh = recomputed(session, kpis, as_of, schemes)
    return [{**k, "ratings": [r for r in k["ratings"] if _known_by(r, as_of, fresh)]
             + [x for name in fresh for x in fresh[name].get(k["id"], [])]} for k in kpis]


def ratings_as_of(session: Session, kpis: list[dict], kpi_id: int, stored: list[dict], as_of: date) -> list[dict]:
    """One KPI's ratings (rating_rows shape, explanations and details included) as a page dated as_of shows them."""
    fresh = recomputed(session, kpis, as_of, list(dict.fromkeys(r["scheme"] for r in stored if not r["official"])))
    return [r for r in stored if _known_by(r, as_of, fresh)] + [
        {**x, "kpi_id": kpi_id, "computed_at": None} for name in fresh for x in fresh[name].get(kpi_id, [])]


def newest_observation(kpis: list[dict]) -> date | None:
    """The date of the newest actual (a printed 見込み forecasts a later date: it is not an observation made by then)."""
    return max((o["as_of"] for k in kpis for o in k["observations"] if o["as_of"] and o.get("status") != "forecast"),
               default=None)


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
    with storage.session_scope(url) as session:
        # The sample's figures end in 2019: rated as of today, every deadline since would read "no data" (N).
        rated, when = rate_missing_schemes(session)
    return loaded, rated, when
