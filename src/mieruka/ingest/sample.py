"""The bundled sample dataset: facts and figures extracted from the seed documents, without their long sentences.
`build_sample` writes it from documents; loading.sample stores it as if each document had been ingested."""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from mieruka.ingest.extract import extract
from mieruka.jp import printed
from mieruka.ingest.sources import expand_paths, read_document
from mieruka.records import extraction as r

SAMPLE_PATH = Path(__file__).resolve().parents[1] / "data" / "sample.json"
# Cells longer than this are sentences of the document, not facts: the sample keeps only their opening words.
MAX_FACT_CHARS = 40
# Fields that hold the documents' narrative: left out of the sample entirely.
_PROSE_FIELDS = {"overview", "summary", "progress", "outlook", "policy_text", "support"}
# Prose the audit reads figures in (a step's progress, a KPI's policy text): the sample keeps those figures.
_AUDITED_PROSE = {"progress", "outlook", "policy_text"}
# Fields that may be a short fact or a long sentence: kept when short, cut to a heading when long (and the figures the
# audit reads in them kept after it).
_MIXED_FIELDS = {"step", "text", "kpi_progress", "kpi_effect", "next_measurement"}
# Names that a cell may follow with a note on further lines: the sample keeps the name line.
_NAME_FIELDS = {"budget_programme"}


def _figures(text: str, opening: str | None = None) -> str | None:
    """What the sample keeps of a long text: its opening words (when given) and the figures the audit reads in it
    (jp.printed.fragments: a cut with its subject, a next measurement's timing, a count stated two ways), each of at
    most MAX_FACT_CHARS, so the audit finds in the sample what it finds in the document. The opening is left out
    where it would change what the audit reads."""
    pieces = [f for f in printed.fragments(text) if len(f) <= MAX_FACT_CHARS]
    full = printed.readings(text)
    candidates = []
    if opening is not None:
        new = [f for f in pieces if f not in opening]
        head = new[0][:8] if new else None
        merged = opening[:opening.find(head)] + "。".join(new) + "…" if head and head in opening else None
        if merged and max(len(p) for p in re.split("[…。]", merged)) <= MAX_FACT_CHARS:
            # the first figure begins in the opening's cut words: the opening stops where it begins, where no run of
            # words grows past MAX_FACT_CHARS by it
            candidates.append(merged)
        # a full stop after the opening, so no reading runs from its cut words into a figure
        candidates.append(opening + ("…。" + "。".join(new) + "…" if new else "…"))
    if pieces:
        candidates.append("。".join(pieces) + "…")
    for kept in candidates:
        if printed.readings(kept) == full:
            return kept
    return candidates[0] if candidates else None


def _counts_only(text: str) -> str | None:
    """Of a line that counts something two ways, the counts (a figure with its parts or the names it counts), each at
    most MAX_FACT_CHARS like every fact of the sample; None when none is that short. On the seeds every such count
    agrees, so the audit finds in the sample what it finds in the documents: nothing."""
    pieces = [f for f in printed.fragments(text) if len(f) <= MAX_FACT_CHARS]
    return "。".join(pieces) + "…" if pieces else None


def _strip_prose(obj):
    """Drop long prose, keep names, numbers, dates, codes, ratings, ministries and URLs, and the figures of the prose
    the audit reads."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if isinstance(obj, r.Source):
                continue  # a line's text is cut in _trim_sources; the audit reads records, not sources
            if isinstance(value, str) and f.name in _PROSE_FIELDS:
                setattr(obj, f.name, _figures(value) if f.name in _AUDITED_PROSE else None)
            elif isinstance(value, str) and f.name in _NAME_FIELDS:
                setattr(obj, f.name, value.split("\n")[0])
            elif isinstance(value, str) and len(value) > MAX_FACT_CHARS and f.name in _MIXED_FIELDS:
                setattr(obj, f.name, _figures(value, value[:MAX_FACT_CHARS]))
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
    # readers keep narrative sections in meta; a scheduling note ("2017年度末に集計予定") is a short fact of a table, and
    # of a line that counts something two ways (count_texts) the audit needs only the counts
    counted = [{**t, "text": kept} for t in ex.meta.get("count_texts", []) for kept in [_counts_only(t["text"])] if kept]
    ex.meta = {k: v for k, v in ex.meta.items() if k in ("scheduling_notes", "data_as_of")}
    if counted:
        ex.meta["count_texts"] = counted
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
