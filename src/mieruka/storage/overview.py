"""Read-side queries the web pages need beyond storage.queries: reform items with their steps and schedules,
ratings with explanations, one document with its text or facts, and what the last ingest run changed."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from mieruka.records.licence import recorded_or_default
from mieruka.storage import models as m
from mieruka.storage.superseded import superseded_ids

# Documents ingested less than this apart belong to one run (the loader stores one file after another).
RUN_GAP = timedelta(minutes=10)
_YEAR = re.compile(r"\d{4}")


def _source(doc_names: dict[int, str], document_id: int | None, line: int | None) -> dict | None:
    if document_id is None:
        return None
    return {"document": doc_names.get(document_id), "document_id": document_id, "line": line}


def _doc_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(m.Document.id, m.Document.file_name)).all())


def totals(session: Session) -> dict[str, int]:
    """How many rows of each kind the database holds."""
    counted = {"documents": m.Document, "kpis": m.Kpi, "reform_items": m.ReformItem, "measures": m.Measure,
               "cases": m.AdvancedCase, "observations": m.Observation}
    return {name: session.scalar(select(func.count()).select_from(model)) for name, model in counted.items()}


def data_version(session: Session) -> str:
    """Changes whenever a document is added or removed or ratings are stored: a key for caching derived results."""
    parts = []
    for model in (m.Document, m.Rating):
        n, top = session.execute(select(func.count(model.id), func.max(model.id))).one()
        parts.append(f"{n}:{top}")
    return "|".join(parts)


def schemes_in_use(session: Session) -> list[str]:
    return list(session.scalars(select(m.Rating.scheme).distinct().order_by(m.Rating.scheme)))


def rating_rows(session: Session, scheme: str | None = None, official: bool | None = None,
                kpi_ids: list[int] | None = None, code: str | None = None, limit: int | None = None,
                offset: int = 0) -> list[dict]:
    """Every rating (official and computed) with its KPI, explanation in both languages, details and source;
    limit and offset page them in the database."""
    # the source document's name joined, not every document's name read first (a round trip more for one KPI's)
    q = (select(m.Rating.id, m.Rating.kpi_id, m.Kpi.name, m.Rating.scheme, m.Rating.code, m.Rating.official,
                m.Rating.as_of, m.Rating.explanation, m.Rating.explanation_en, m.Rating.details, m.Rating.computed_at,
                m.Rating.document_id, m.Rating.line_start, m.Document.file_name)
         .join(m.Kpi, m.Kpi.id == m.Rating.kpi_id).outerjoin(m.Document, m.Document.id == m.Rating.document_id)
         .where(*_rating_filters(scheme, official, kpi_ids, code))
         .order_by(m.Rating.kpi_id, m.Rating.scheme, m.Rating.official.desc(), m.Rating.id).offset(offset))
    if limit is not None:
        q = q.limit(limit)
    return [{
        "id": r[0], "kpi_id": r[1], "kpi": r[2], "scheme": r[3], "code": r[4], "official": r[5],
        "as_of": r[6], "explanation": r[7], "explanation_en": r[8], "details": r[9],
        "computed_at": r[10],
        "source": None if r[11] is None else {"document": r[13], "document_id": r[11], "line": r[12]},
    } for r in session.execute(q)]


def kpi_ratings(rows: list[dict]) -> list[dict]:
    """rating_rows' rows of a KPI as kpi_rows gives its "ratings" (in the order they were stored): what an answer that
    shows both reads in one statement."""
    return [{"scheme": r["scheme"], "code": r["code"], "official": r["official"], "as_of": r["as_of"],
             "explanation": r["explanation"], "explanation_en": r["explanation_en"], "source": r["source"]}
            for r in sorted(rows, key=lambda r: r["id"])]


def _rating_filters(scheme, official, kpi_ids, code) -> list:
    out = [m.Rating.id.not_in(superseded_ids("rating"))]  # a rating a correction replaced is not current
    if scheme is not None:
        out.append(m.Rating.scheme == scheme)
    if official is not None:
        out.append(m.Rating.official == official)
    if kpi_ids is not None:
        out.append(m.Rating.kpi_id.in_(kpi_ids))
    if code is not None:
        out.append(m.Rating.code == code)
    return out


def rating_count(session: Session, scheme: str | None = None, official: bool | None = None,
                 kpi_ids: list[int] | None = None, code: str | None = None) -> int:
    return session.scalar(select(func.count()).select_from(m.Rating).join(m.Kpi, m.Kpi.id == m.Rating.kpi_id)
                          .where(*_rating_filters(scheme, official, kpi_ids, code)))


def _period_key(period: str) -> tuple[int, str]:
    """Fiscal-year columns in time order: "2014・2015年度" < "2016年度" < "2020年度～"."""
    year = _YEAR.search(period or "")
    return (int(year.group()) if year else 9999, period or "")


def reform_item_rows(session: Session) -> list[dict]:
    """Every 改革項目 with its theme and how many KPIs, process steps and schedule cells it has."""
    themes = dict(session.execute(select(m.Theme.id, m.Theme.name)).all())

    def count_by(column):
        return dict(session.execute(select(column, func.count()).group_by(column)).all())

    kpis = count_by(m.Kpi.reform_item_id)
    steps = count_by(m.ProcessStep.reform_item_id)
    schedules = count_by(m.ScheduleEntry.reform_item_id)
    words = defaultdict(list)
    for item_id, word in session.execute(select(m.ProcessStep.reform_item_id, m.ProcessStep.status_word)
                                         .order_by(m.ProcessStep.id)):
        if word:
            words[item_id].append(word)
    items = session.scalars(select(m.ReformItem).order_by(m.ReformItem.id)).all()
    return [{
        "id": i.id, "number": i.number, "name": i.name, "theme": themes.get(i.theme_id),
        "kpis": kpis.get(i.id, 0), "steps": steps.get(i.id, 0), "schedules": schedules.get(i.id, 0),
        "status_words": list(dict.fromkeys(words.get(i.id, []))),
    } for i in items]


def reform_item_detail(session: Session, item_id: int) -> dict | None:
    """One 改革項目: its process steps, the schedule of each edition in fiscal-year order, and its KPI ids."""
    item = session.get(m.ReformItem, item_id)
    if item is None:
        return None
    docs = _doc_names(session)
    steps = session.scalars(select(m.ProcessStep).where(m.ProcessStep.reform_item_id == item_id)
                            .order_by(m.ProcessStep.document_id, m.ProcessStep.line_start, m.ProcessStep.id)).all()
    entries = session.scalars(select(m.ScheduleEntry).where(m.ScheduleEntry.reform_item_id == item_id)
                              .order_by(m.ScheduleEntry.id)).all()
    editions: dict[int | None, dict] = {}
    for e in entries:
        ed = editions.setdefault(e.edition_id, {
            "name": e.edition.name if e.edition else None,
            "published": e.edition.published if e.edition else None, "periods": {}})
        ed["periods"].setdefault(e.period, []).append({
            "text": e.text, "offices": e.offices or [], "source": _source(docs, e.document_id, e.line_start)})
    schedule = [{"name": ed["name"], "published": ed["published"],
                 "periods": [{"period": p, "entries": ed["periods"][p]} for p in sorted(ed["periods"], key=_period_key)]}
                for ed in sorted(editions.values(), key=lambda x: (x["published"] is None, x["published"] or 0, x["name"] or ""))]
    kpi_ids = list(session.scalars(select(m.Kpi.id).where(m.Kpi.reform_item_id == item_id).order_by(m.Kpi.id)))
    return {
        "id": item.id, "number": item.number, "name": item.name, "theme": item.theme.name if item.theme else None,
        "steps": [{"step": s.step, "progress": s.progress, "outlook": s.outlook, "status_word": s.status_word,
                   "source": _source(docs, s.document_id, s.line_start)} for s in steps],
        "schedule": schedule,
        "kpi_ids": kpi_ids,
    }


def _facts(session: Session, document_id: int) -> list[dict]:
    """Every row extracted from one document, by line: what a document page shows when the text is not kept."""
    facts = []

    def add(kind: str, rows, label):
        for row in rows:
            facts.append({"kind": kind, "line": row.line_start, "line_end": row.line_end,
                          "label": label(row), "text": row.source_text})

    def of(model, *label):
        # the columns shown, in the order stored (not ORM objects: a schedule of 10,000 KPIs has 50,000 rows)
        return session.execute(select(model.line_start, model.line_end, model.source_text, *label)
                               .where(model.document_id == document_id).order_by(model.id)).all()

    add("kpi", of(m.KpiAppearance, m.KpiAppearance.name_as_written), lambda r: r.name_as_written)
    add("baseline", of(m.Baseline, m.Baseline.text), lambda r: r.text)
    add("target", of(m.Target, m.Target.text), lambda r: r.text)
    add("observation", of(m.Observation, m.Observation.text), lambda r: r.text)
    add("step", of(m.ProcessStep, m.ProcessStep.step), lambda r: r.step)
    add("schedule", of(m.ScheduleEntry, m.ScheduleEntry.period), lambda r: r.period)
    add("measure", of(m.Measure, m.Measure.no, m.Measure.name), lambda r: f"{r.no}. {r.name}")
    add("case", of(m.AdvancedCase, m.AdvancedCase.title), lambda r: r.title)
    add("budget", of(m.BudgetLine, m.BudgetLine.fiscal_year, m.BudgetLine.category),
        lambda r: f"{r.fiscal_year} {r.category}")
    add("result", of(m.PolicyResult, m.PolicyResult.result), lambda r: r.result)
    ratings = session.execute(select(m.Rating.line_start, m.Rating.line_end, m.Rating.source_text, m.Rating.scheme,
                                     m.Rating.code).where(m.Rating.document_id == document_id, m.Rating.official)
                              .order_by(m.Rating.id)).all()
    facts += [{"kind": "rating", "line": r.line_start, "line_end": r.line_end, "label": f"{r.scheme} {r.code}",
               "text": r.source_text} for r in ratings]
    return sorted(facts, key=lambda f: (f["line"] is None, f["line"] or 0, f["kind"]))


def document_detail(session: Session, document_id: int) -> dict | None:
    """One document with its text split into lines (None when only extracted facts were kept) and those facts."""
    d = session.scalars(select(m.Document).options(defer(m.Document.raw)).where(m.Document.id == document_id)).first()
    if d is None:
        return None
    return {
        "id": d.id, "file_name": d.file_name, "family": d.family, "title": d.title, "doc_date": d.doc_date,
        "sha256": d.sha256, "encoding": d.encoding, "media_type": d.media_type, "size_bytes": d.size_bytes,
        "ingested_at": d.ingested_at, "report": d.report or {}, "meta": d.meta or {},
        "licence": recorded_or_default(d.licence, d.title, d.file_name),
        "lines": None if d.text is None else d.text.split("\n"),
        "facts": _facts(session, d.id),
    }


def _runs(session: Session) -> list[list[tuple[int, str, datetime]]]:
    """Documents (id, file name, ingested at) grouped into ingest runs, oldest run first."""
    docs = session.execute(select(m.Document.id, m.Document.file_name, m.Document.ingested_at)
                           .order_by(m.Document.ingested_at, m.Document.id)).all()
    runs: list[list[tuple[int, str, datetime]]] = []
    last = None
    for doc_id, name, at in docs:
        if last is None or at - last > RUN_GAP:
            runs.append([])
        runs[-1].append((doc_id, name, at))
        last = at
    return runs


def last_ingest_changes(session: Session) -> dict | None:
    """What the most recent ingest run added: its documents, KPIs seen for the first time, new observations of
    KPIs already known, and official ratings that differ from the one an earlier document gave (a value or rating a
    published correction replaced is not new: it is no longer the KPI's; the rating it was is still the "before")."""
    runs = _runs(session)
    if not runs:
        return None
    latest = runs[-1]
    new_ids = {d for d, _, _ in latest}
    earlier = {d for run in runs[:-1] for d, _, _ in run}
    seen_before = set(session.scalars(select(m.KpiAppearance.kpi_id).where(m.KpiAppearance.document_id.in_(earlier))))
    in_run = set(session.scalars(select(m.KpiAppearance.kpi_id).where(m.KpiAppearance.document_id.in_(new_ids))))
    names = dict(session.execute(select(m.Kpi.id, m.Kpi.name)).all())
    # (with no KPI seen before there is nothing to look for: an empty IN still scans the run's observations)
    observations = session.scalars(select(m.Observation).where(
        m.Observation.document_id.in_(new_ids), m.Observation.kpi_id.in_(seen_before),
        m.Observation.id.not_in(superseded_ids("observation"))).order_by(m.Observation.id)).all() \
        if seen_before else []
    changes = []
    official = session.execute(select(m.Rating.id, m.Rating.kpi_id, m.Rating.scheme, m.Rating.code, m.Rating.document_id)
                               .where(m.Rating.official).order_by(m.Rating.as_of, m.Rating.id)).all()
    replaced = set(session.scalars(superseded_ids("rating"))) if official else set()
    previous: dict[tuple[int, str], tuple] = {}
    for r in official:
        key = (r.kpi_id, r.scheme)
        if r.document_id in new_ids and r.id not in replaced and key in previous and previous[key].code != r.code:
            changes.append({"kpi_id": r.kpi_id, "kpi": names.get(r.kpi_id), "scheme": r.scheme,
                            "before": previous[key].code, "after": r.code})
        if r.document_id in earlier:
            previous[key] = r
    return {
        "at": latest[-1][2],
        "first_run": not earlier,
        "documents": [{"id": d, "file_name": name} for d, name, _ in latest],
        "new_kpis": [{"id": k, "name": names.get(k)} for k in sorted(in_run - seen_before)],
        "new_observations": [{"kpi_id": o.kpi_id, "kpi": names.get(o.kpi_id), "value": o.value, "unit": o.unit,
                              "as_of": o.as_of, "as_of_precision": o.as_of_precision, "status": o.status, "text": o.text} for o in observations],
        "rating_changes": changes,
    }
