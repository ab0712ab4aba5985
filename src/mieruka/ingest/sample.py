"""The bundled sample dataset: facts and figures extracted from the seed documents, without their long sentences.
`build_sample` writes it from documents; `load_sample` stores it as if each document had been ingested."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from datetime import date
from pathlib import Path

from mieruka import storage
from mieruka.ingest import records as r
from mieruka.ingest.loader import DocumentReport, extract
from mieruka.ingest.sources import expand_paths, read_document

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "sample.json"
# Cells longer than this are sentences of the document, not facts: the sample keeps only their opening words.
MAX_FACT_CHARS = 40
# Fields that hold the documents' narrative: left out of the sample entirely.
_PROSE_FIELDS = {"overview", "summary", "progress", "outlook", "policy_text", "support"}
# Fields that may be a short fact or a long sentence: kept when short, cut to a heading when long.
_MIXED_FIELDS = {"step", "text", "kpi_progress", "kpi_effect", "next_measurement"}
# Names that a cell may follow with a note on further lines: the sample keeps the name line.
_NAME_FIELDS = {"budget_programme"}


def _strip_prose(obj):
    """Drop long prose, keep names, numbers, dates, codes, ratings, ministries and URLs."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(value, str) and f.name in _PROSE_FIELDS:
                setattr(obj, f.name, None)
            elif isinstance(value, str) and f.name in _NAME_FIELDS:
                setattr(obj, f.name, value.split("\n")[0])
            elif isinstance(value, str) and len(value) > MAX_FACT_CHARS and f.name in _MIXED_FIELDS:
                setattr(obj, f.name, value[:MAX_FACT_CHARS] + "…")
            else:
                _strip_prose(value)
    elif isinstance(obj, list):
        for x in obj:
            _strip_prose(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            _strip_prose(x)
    return obj


def _trim_sources(ex: r.Extraction) -> r.Extraction:
    def walk(obj):
        if isinstance(obj, r.Source):
            if len(obj.text) > MAX_FACT_CHARS:
                obj.text = obj.text[:MAX_FACT_CHARS] + "…"
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name))
        elif isinstance(obj, list):
            for x in obj:
                walk(x)
    walk(ex)
    ex.unplaced = []
    ex.legends = {k: v for k, v in ex.legends.items() if len(v) <= MAX_FACT_CHARS}
    ex.meta = {}  # readers keep narrative sections in meta
    return ex


def build_sample(seeds: str | Path, out: str | Path = SAMPLE_PATH) -> dict[str, int]:
    docs = []
    for path in expand_paths([seeds]):
        doc = read_document(path)
        ex = _trim_sources(_strip_prose(extract(doc)))
        docs.append({"file_name": path.name, "sha256": doc.sha256, "extraction": ex.to_dict()})
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps({"version": 1, "documents": docs}, ensure_ascii=False, indent=1, default=str) + "\n",
                         encoding="utf-8")
    return {"documents": len(docs), "kpis": sum(len(d["extraction"]["kpis"]) for d in docs),
            "measures": sum(len(d["extraction"]["measures"]) for d in docs),
            "cases": sum(len(d["extraction"]["cases"]) for d in docs)}


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

                    report.unresolved_bodies = link_cases(session)
                report.document_id = doc.id
                doc.report = report.to_dict()
        reports.append(report)
    return reports
