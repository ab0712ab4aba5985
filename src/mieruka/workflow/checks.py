"""The audit of one report against everything already known: the KPI's published values with the report's values
added as one more source, run through evaluate.audit (value conflicts, a rating the scheme does not give, overdue
targets, stale figures). Shown to the reporter and the reviewer beside the values."""
from __future__ import annotations

from sqlalchemy.orm import Session

from mieruka.evaluate.audit import audit
from mieruka.evaluate.findings import all_schemes
from mieruka.storage import workflow as store
from mieruka.storage.cycle_models import Report
from mieruka.storage.overview import data_version
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


def findings(session: Session, report: Report, lang: str = "ja") -> list[dict]:
    """Every audit finding on the report's KPI, those that cite the report first (mine=True). Computed once per
    version of the report and of the published data (a page view between saves recomputes nothing)."""
    key = (str(session.get_bind().url), report.id, report.version, data_version(session), lang)
    if key not in _cache:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = _findings(session, report, lang)
    return _cache[key]


def _findings(session: Session, report: Report, lang: str) -> list[dict]:
    rnd = store.round_by_id(session, report.round_id)
    rows = kpi_rows(session, [report.kpi_id])
    if not rows:
        return []
    kpi = with_report(rows[0], report, rnd.name, rnd.as_of)
    doc = report_source(rnd.name)
    out = []
    for f in audit([kpi], all_schemes(), rnd.as_of):
        row = f.row(lang)
        row["mine"] = any(s.get("document") == doc for s in row["sources"])
        out.append(row)
    return sorted(out, key=lambda r: not r["mine"])
