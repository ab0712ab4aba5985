"""The audit of one report against everything already known: the KPI's published values with the report's values
added as one more source, run through evaluate.audit (value conflicts, a rating the scheme does not give, overdue
targets, stale figures). Shown to the reporter and the reviewer beside the values."""
from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from mieruka.evaluate.audit import audit
from mieruka.evaluate.findings import all_schemes
from mieruka.evaluate.schemes import available
from mieruka.storage import workflow as store
from mieruka.storage.cycle_models import Report
from mieruka.storage.queries import kpi_rows
from mieruka.workflow.reports import RATING_SCHEME


def report_source(round_name: str) -> str:
    return f"報告: {round_name}"


def with_report(kpi: dict, report: Report, round_name: str, round_as_of) -> dict:
    """The KPI dict as kpi_rows gives it, with the report's values added as one more document's."""
    doc = report_source(round_name)
    source = {"document": doc, "document_id": None, "line": None}
    kpi = {**kpi, "documents": [*kpi.get("documents", []), {"file_name": doc, "doc_date": report.as_of or round_as_of}]}
    if report.value is not None:
        kpi["observations"] = [*kpi["observations"], {
            "value": report.value, "unit": report.unit, "as_of": report.as_of, "status": report.status,
            "text": report.actual_text or "", "source": source}]
    if report.target_value is not None:
        kpi["targets"] = [*kpi["targets"], {
            "value": report.target_value, "unit": report.target_unit, "deadline": report.target_deadline,
            "comparator": "ge", "relative": None, "unset": False, "promised_by": None, "interim": False,
            "edition": doc, "edition_date": round_as_of, "text": report.target_text or "", "source": source}]
    if report.proposed_rating:
        kpi["ratings"] = [*kpi["ratings"], {
            "scheme": RATING_SCHEME, "code": report.proposed_rating, "official": True, "as_of": report.as_of or round_as_of,
            "explanation": report.rating_reason, "source": source}]
    return kpi


_CACHE_SIZE = 256
_cache: dict[tuple, list[dict]] = {}


def findings(session: Session, report: Report, lang: str = "ja", kpi: dict | None = None, rnd=None) -> list[dict]:
    """Every audit finding on the report's KPI, those that cite the report first (mine=True). Audited again only when
    what they are made of changed: the report's version, the KPI's data as read now (a value corrected, a document
    ingested, a round published: the count of documents and ratings the key held before missed the first), the
    round's date, the scheme files. A page view between saves reads the KPI's row and audits nothing. kpi and rnd: the
    KPI's row (kpi_rows) and the report's round, when the caller has read them in this session already."""
    rnd = rnd if rnd is not None else store.round_by_id(session, report.round_id)
    rows = [kpi] if kpi is not None else kpi_rows(session, [report.kpi_id])
    if not rows:
        return []
    made_of = hashlib.sha256(repr(rows[0]).encode("utf-8", "surrogatepass")).hexdigest()
    schemes = tuple((name, *_stamp(path)) for name, path in sorted(available().items()))
    key = (str(session.get_bind().url), report.id, report.version, lang, rnd.name, rnd.as_of, made_of, schemes)
    if key not in _cache:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _findings(rows[0], report, rnd, lang)
    return _cache[key]


def _stamp(path) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return (None, None)
    return (st.st_size, st.st_mtime_ns)


def _findings(row: dict, report: Report, rnd, lang: str) -> list[dict]:
    kpi = with_report(row, report, rnd.name, rnd.as_of)
    doc = report_source(rnd.name)
    out = []
    for f in audit([kpi], all_schemes(), rnd.as_of):
        row = f.row(lang)
        row["mine"] = any(s.get("document") == doc for s in row["sources"])
        out.append(row)
    return sorted(out, key=lambda r: not r["mine"])
