"""The bridge to mieruka.evaluate: the page's one evaluation date (chosen among the dates ratings and audits are
stored as of), the stored audit findings the overview page and /api/audit show (what `mieruka audit` stored: a request
never audits), and the ratings of every scheme file computed and stored as `mieruka evaluate` stores them, for a
database that has none yet (what `mieruka demo` does before serving)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from mieruka.evaluate.schemes import available, load
from mieruka.evaluate.stored import audit_and_store, evaluate_and_record, stored_dates, stored_findings_only
from mieruka.storage.queries import document_rows
from mieruka.storage.ratings import computed_ratings
from mieruka.web import kept


@dataclass
class EvaluationDate:
    """The date a page rates, counts and audits as of (None: nothing is stored), the date ?as_of= asked for, the
    stored dates to choose from, and whether the scheme's computed ratings and an audit are stored as of it."""

    as_of: date | None
    requested: date | None = None
    stored: list[dict] = field(default_factory=list)
    ratings: bool = False
    audit: bool = False

    @property
    def substituted(self) -> bool:
        """?as_of= asked for a date nothing is stored as of: the page answers as of the nearest stored one."""
        return self.requested is not None and self.requested != self.as_of

    @property
    def dates(self) -> list[date]:
        return [d["as_of"] for d in self.stored]


def evaluation_date(session: Session, scheme: str, requested: date | None = None) -> EvaluationDate:
    """The page's evaluation date: the one asked for when something is stored as of it, else the nearest stored date
    (the earlier on a tie); by default the date the scheme's computed ratings were made as of, else the newest stored
    date. Reads only: a request never rates or audits. The stored dates are read once per state of the data
    (web.kept): every page asks."""
    stored = kept.per_state(session, "stored_dates", (scheme,), lambda: stored_dates(session, scheme))
    dates = [d["as_of"] for d in stored]
    if not dates:
        return EvaluationDate(None, requested, stored)
    if requested is not None:
        when = min(dates, key=lambda d: (abs((d - requested).days), d))
    else:
        rated = [d["as_of"] for d in stored if d["ratings"]]
        when = rated[-1] if rated else dates[-1]
    chosen = next(d for d in stored if d["as_of"] == when)
    return EvaluationDate(when, requested, stored, chosen["ratings"], chosen["audit"])


def site_date(session: Session) -> date:
    """The one evaluation date of a published site: what its pages rate and audit as of by default (the scheme's
    stored date), else today; the data package's tables are made as of it too."""
    from mieruka.web.ratings import DEFAULT_SCHEME

    return evaluation_date(session, DEFAULT_SCHEME).as_of or date.today()


def published_audit(session: Session) -> str | None:
    """What the site's audit files and pages (/audit.csv|json|xlsx, /api/audit) show: the audit stored for the current
    data as of the site's evaluation date, named by that date, its run and the run's data key (which an incremental
    audit changes whenever it changes findings, and a whole audit replaces with a new run); None when none is stored
    (those pages then depend on all the data, as before)."""
    from mieruka.storage.ratings import latest_audit_run
    from mieruka.web.ratings import DEFAULT_SCHEME

    when = evaluation_date(session, DEFAULT_SCHEME)
    if when.as_of is None or not when.audit:
        return None
    # one run a date (begin_audit drops the date's older runs): the one audit_page reads, as when.audit found it
    run = latest_audit_run(session, when.as_of)
    return None if run is None else f"{when.as_of.isoformat()}|{run[0]}|{run[1]}"


def audit_findings(session: Session, lang: str = "ja", as_of: date | None = None) -> list[dict]:
    """Every finding as {kind, kpi_id, kpi, message, sources: [{document, document_id, line}]}, in the audit's order:
    the stored audit of that date over the current data ([] when none is stored)."""
    found = audit_page(session, lang, as_of)
    return found[1] if found else []


def audit_page(session: Session, lang: str = "ja", as_of: date | None = None, limit: int | None = None,
               offset: int = 0, kind: str | None = None, kpi_id: int | None = None) -> tuple[int, list[dict]] | None:
    """How many stored findings as of the date match kind and KPI, and those from offset (limit of them), as
    audit_findings gives them; None when no audit is stored as of that date (nothing is audited here)."""
    if as_of is None:
        return None
    found = stored_findings_only(session, as_of, limit, offset, kind, kpi_id)
    if found is None:
        return None
    total, rows = found
    return total, _shown(session, rows, lang)


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
        # the pages show the audit as of the same date (one evaluation date per page): stored now, never on a request
        if not any(d["as_of"] == when and d["audit"] for d in stored_dates(session)):
            audit_and_store(session, when)
    return loaded, rated, when
