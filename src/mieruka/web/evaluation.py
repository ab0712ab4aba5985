"""The bridge to mieruka.evaluate: the audit findings the overview page and /api/audit show (the same entry point as
`mieruka audit`), and the ratings of every scheme file computed and stored as `mieruka evaluate` stores them, for a
database that has none yet (what `mieruka demo` does before serving)."""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mieruka.evaluate.schemes import available, load
from mieruka.evaluate.stored import evaluate_and_record, stored_findings
from mieruka.storage.queries import document_rows
from mieruka.storage.ratings import computed_ratings


def audit_findings(session: Session, lang: str = "ja", as_of: date | None = None) -> list[dict]:
    """Every finding as {kind, kpi_id, kpi, message, sources: [{document, document_id, line}]}, in the audit's order:
    the stored audit of that date (today by default) over the current data, audited and stored only when missing."""
    return audit_page(session, lang, as_of)[1]


def audit_page(session: Session, lang: str = "ja", as_of: date | None = None, limit: int | None = None,
               offset: int = 0, kind: str | None = None, kpi_id: int | None = None) -> tuple[int, list[dict]]:
    """How many findings match kind and KPI, and those from offset (limit of them), as audit_findings gives them."""
    total, found = stored_findings(session, as_of or date.today(), limit, offset, kind, kpi_id)
    return total, _shown(session, found, lang)


def _shown(session: Session, found: list[dict], lang: str) -> list[dict]:
    # The audit cites documents by file name; the pages link to them by id (the newest document of that name).
    doc_ids = {d["file_name"]: d["id"] for d in document_rows(session)}
    return [{"kind": f["kind"], "kpi_id": f["kpi_id"], "kpi": f["kpi"],
             "message": f["message_en"] if lang == "en" else f["message"],
             "sources": [{**s, "document_id": doc_ids.get(s.get("document"))} for s in f["sources"]]} for f in found]


def newest_observation(session: Session) -> date | None:
    from mieruka.storage.summaries import newest_actual

    return newest_actual(session)


def rate_missing_schemes(session: Session, as_of: date | None = None) -> tuple[list[str], date]:
    """Compute and store the ratings of each scheme file that has no computed rating yet; returns their names and
    the date rated at: as_of, else the newest observation (as the documents' own ratings were made), else today."""
    done = {r["scheme"] for r in computed_ratings(session)}
    as_of = as_of or newest_observation(session) or date.today()
    rated = []
    for name in available():
        if name in done:
            continue
        scheme = load(name)
        evaluate_and_record(session, scheme, as_of)
        rated.append(scheme.name)
    return rated, as_of


def demo_database(url: str) -> tuple[int, list[str], date]:
    """What `mieruka demo` serves: the bundled sample loaded into an empty database and rated under every scheme.
    Returns how many documents were loaded (0 when the database had some), the schemes rated and their date."""
    from mieruka import storage
    from mieruka.loading.sample import load_sample

    storage.ensure_schema(url)
    with storage.session_scope(url) as session:
        empty = not document_rows(session)
    loaded = len(load_sample(url)) if empty else 0
    with storage.session_scope(url, write=True) as session:
        # The sample's figures end in 2019: rated as of today, every deadline since would read "no data" (N).
        rated, when = rate_missing_schemes(session)
    return loaded, rated, when
