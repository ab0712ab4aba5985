"""Load the bundled sample dataset (ingest/sample.py builds it from the seeds) into a database.
Each sample document is stored with its JSON as the raw bytes kept, so loading twice changes nothing."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from datetime import date
from pathlib import Path

from mieruka import storage
from mieruka.ingest.sample import SAMPLE_PATH
from mieruka.loading.documents import DocumentReport
from mieruka.records import extraction as r


def _from_dict(cls, data):
    """Rebuild a records dataclass (recursively) from its asdict() form."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name])
    return cls(**kwargs)


def _coerce(tp, value):
    if value is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _coerce(non_none[0], value) if non_none else value
    if origin is list:
        return [_coerce(args[0], v) for v in value] if args else list(value)
    if origin is dict:
        return dict(value)
    if tp is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(tp):
        return _from_dict(tp, value)
    return value


def load_sample(url: str | None = None, path: str | Path = SAMPLE_PATH) -> list[DocumentReport]:
    """Store each sample document (its JSON is the raw document kept) unless already there."""
    from mieruka.storage.load import add_document, find_document, store_extraction

    storage.ensure_schema(url)
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    reports = []
    for d in data["documents"]:
        raw = json.dumps(d, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sha = hashlib.sha256(raw).hexdigest()
        ex = _from_dict(r.Extraction, d["extraction"])
        report = DocumentReport(file=d["file_name"], status="loaded", family=ex.family, title=ex.title, sha256=sha,
                                encoding="utf-8", counts=ex.counts())
        with storage.session_scope(url, write=True) as session:
            existing = find_document(session, sha)
            if existing is not None:
                report.status, report.document_id = "unchanged", existing.id
            else:
                doc = add_document(session, file_name=d["file_name"], family=ex.family, title=ex.title,
                                   doc_date=ex.doc_date, sha256=sha, encoding="utf-8", media_type="application/json",
                                   size_bytes=len(raw), raw=raw, text=None,
                                   meta={**ex.meta, "legends": ex.legends, "sample_of": d["sha256"]})
                store_extraction(session, doc, ex)
                if ex.cases:
                    from mieruka.storage.local_bodies import link_cases

                    report.unresolved_bodies = link_cases(session, doc.id)
                report.document_id = doc.id
                doc.report = report.to_dict()
        reports.append(report)
    return reports
