"""Load documents into the database: decode, detect the family, extract, store, one transaction per document.
A document that fails leaves the database as it was; the other documents of the run still load."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from mieruka import storage
from mieruka.ingest.extract import extract
from mieruka.ingest.sources import DecodedDocument, UnreadableDocument, expand_paths, read_document


REPORTED_UNPLACED = 100


@dataclass
class DocumentReport:
    file: str
    status: str  # loaded | unchanged | error
    family: str | None = None
    title: str | None = None
    sha256: str | None = None
    encoding: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    unplaced: list[dict] = field(default_factory=list)  # [{"line", "text"}]
    error: str | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    document_id: int | None = None
    unresolved_bodies: list[dict] = field(default_factory=list)  # case municipalities that named no local body

    def to_dict(self) -> dict:
        return asdict(self)


def origin_of(origin: str | None, path: str | Path) -> str | None:
    """Where a document was taken from: the URL given, or a folder URL (ending in /) followed by the file's name."""
    if origin is None:
        return None
    return origin + Path(path).name if origin.endswith("/") else origin


def ingest_file(path: str | Path, url: str | None = None, family: str | None = None,
                origin: str | None = None) -> DocumentReport:
    t0, c0 = time.perf_counter(), time.process_time()
    report = DocumentReport(file=str(path), status="error")
    try:
        doc = read_document(path)
        report.sha256, report.encoding = doc.sha256, doc.encoding
        return storage.in_transaction(url, lambda session: _store(session, doc, path, family, report, t0, c0,
                                                                  origin_of(origin, path)))
    except UnreadableDocument as exc:
        report.error = exc.reason
    except Exception as exc:  # the database refused a row: this document is rolled back, the run goes on
        report.status, report.document_id, report.counts = "error", None, {}
        report.error = f"could not be stored, nothing of it was kept ({type(exc).__name__}: {exc})"
    return _timed(report, t0, c0)


def _store(session, doc: DecodedDocument, path, family, report: DocumentReport, t0: float, c0: float,
           origin: str | None = None) -> DocumentReport:
    """The document and its records in the session's transaction; "unchanged" when its bytes are already stored."""
    from mieruka.records.licence import licence_of
    from mieruka.storage.load import add_document, find_document, store_extraction

    existing = find_document(session, doc.sha256)
    if existing is not None:
        report.status, report.family, report.title = "unchanged", existing.family, existing.title
        report.document_id = existing.id
        report.counts = (existing.report or {}).get("counts", {})
        return _timed(report, t0, c0)
    ex = extract(doc, family)
    report.family, report.title = ex.family, ex.title
    # the first lines only, and their count in counts["unplaced"]: the report is stored with the document
    report.unplaced = [{"line": s.line, "text": s.text[:200]} for s in ex.unplaced[:REPORTED_UNPLACED]]
    record = add_document(session, file_name=Path(path).name, family=ex.family, title=ex.title,
                          doc_date=ex.doc_date, sha256=doc.sha256, encoding=doc.encoding,
                          media_type=doc.media_type, size_bytes=len(doc.raw), raw=doc.raw, text=doc.text,
                          meta={**ex.meta, "legends": ex.legends} if ex.legends else ex.meta,
                          licence=licence_of(doc.text, ex.title, Path(path).name, _issuer(ex.meta), origin))
    written = store_extraction(session, record, ex)
    if ex.cases:
        from mieruka.storage.local_bodies import link_cases

        report.unresolved_bodies = link_cases(session, record.id)
    report.counts = {**ex.counts(), "kpis_new": written["kpis_new"]}
    report.status, report.document_id = "loaded", record.id
    _timed(report, t0, c0)
    record.report = report.to_dict()
    return report


def _timed(report: DocumentReport, t0: float, c0: float) -> DocumentReport:
    report.seconds = round(time.perf_counter() - t0, 4)
    report.cpu_seconds = round(time.process_time() - c0, 4)
    return report


def _issuer(meta: dict | None) -> str | None:
    """Who published the document, when its reader found it (the ministry of a policy sheet, a slide's issuer)."""
    meta = meta if isinstance(meta, dict) else {}
    for key in ("issuer", "organisation"):
        if isinstance(meta.get(key), str) and meta[key].strip():
            return meta[key].strip()
    return None


def ingest_paths(paths: list[str | Path], url: str | None = None, family: str | None = None,
                 progress: Callable[[Iterable[Path], int], Iterable[Path]] | None = None,
                 origin: str | None = None) -> list[DocumentReport]:
    """Ingest every file (folders expanded); `progress` wraps the file list, e.g. with a Rich progress bar; origin
    (checked by records.licence.check_origin) is where they were taken from, recorded with each one's terms."""
    storage.ensure_schema(url)
    files = expand_paths(paths)
    return [ingest_file(p, url, family, origin) for p in (progress(files, len(files)) if progress else files)]
