"""Computed ratings stored beside the official ones (never over them), and the read queries evaluate/ needs.
Storing a scheme's ratings replaces that scheme's earlier computed ratings in one statement."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterator

from sqlalchemy import String, delete, insert, select, text
from sqlalchemy.orm import Session

from mieruka.storage import models as m
from mieruka.storage.bulk import insert_rows


def store_computed(session: Session, scheme: str, ratings: list[dict], computed_at: datetime | None = None) -> int:
    """Replace the computed ratings of scheme with ratings: dicts with kpi_id, code, explanation,
    explanation_en, as_of and details. Official ratings are never touched."""
    computed_at = computed_at or datetime.now(timezone.utc)
    session.execute(delete(m.Rating).where(m.Rating.scheme == scheme, m.Rating.official.is_(False)))
    rows = [{
        "kpi_id": r["kpi_id"], "scheme": scheme, "code": r["code"], "official": False,
        "explanation": r.get("explanation"), "explanation_en": r.get("explanation_en"), "as_of": r.get("as_of"),
        "details": r.get("details"), "computed_at": computed_at,
    } for r in ratings if r.get("kpi_id") is not None]
    if rows:
        session.execute(insert(m.Rating), rows)
    return len(rows)


def computed_ratings(session: Session, scheme: str | None = None) -> list[dict]:
    q = select(m.Rating).where(m.Rating.official.is_(False)).order_by(m.Rating.kpi_id, m.Rating.id)
    if scheme is not None:
        q = q.where(m.Rating.scheme == scheme)
    return [{"kpi_id": r.kpi_id, "scheme": r.scheme, "code": r.code, "explanation": r.explanation,
             "explanation_en": r.explanation_en, "as_of": r.as_of, "details": r.details, "computed_at": r.computed_at}
            for r in session.scalars(q)]


def policy_result_rows(session: Session) -> list[dict]:
    """The overall results (各行政機関共通区分) the policy evaluation sheets publish, with their source."""
    docs = {d.id: (d.file_name, d.doc_date) for d in session.execute(
        select(m.Document.id, m.Document.file_name, m.Document.doc_date)).all()}
    out = []
    for r in session.scalars(select(m.PolicyResult).order_by(m.PolicyResult.id)):
        name, doc_date = docs.get(r.document_id, (None, None))
        out.append({"policy": r.policy, "result": r.result, "doc_date": doc_date,
                    "source": {"document": name, "document_id": r.document_id, "line": r.line_start}})
    return out



def count_text_rows(session: Session) -> list[dict]:
    """The lines of running text that belong to no KPI and count something two ways (a policy evaluation sheet's
    analysis, a case's summary: the readers' meta count_texts), each with what it is about and its source."""
    out = []
    for doc_id, name, meta in session.execute(
            select(m.Document.id, m.Document.file_name, m.Document.meta)
            .where(m.Document.family.in_(("policy-evaluation", "platform-presentation"))).order_by(m.Document.id)):
        for t in (meta or {}).get("count_texts") or []:
            out.append({"text": t.get("text") or "", "about": t.get("about") or name,
                        "source": {"document": name, "document_id": doc_id, "line": t.get("line")}})
    return out


def replace_computed(session: Session, scheme: str, ratings: list[dict], kpi_ids: list[int],
                     computed_at: datetime | None = None, as_of=None) -> int:
    """Replace the computed ratings of scheme for these KPIs only (each rating dict may carry data_version: the
    version of the KPI's data it was computed from); with as_of, only those made as of that date (the ratings of the
    scheme's other evaluation dates stay). Official ratings are never touched."""
    computed_at = computed_at or datetime.now(timezone.utc)
    dated = [m.Rating.as_of == as_of] if as_of is not None else []
    for start in range(0, len(kpi_ids), 500):
        session.execute(delete(m.Rating).where(m.Rating.scheme == scheme, m.Rating.official.is_(False), *dated,
                                               m.Rating.kpi_id.in_(kpi_ids[start:start + 500])))
    rows = [{
        "kpi_id": r["kpi_id"], "scheme": scheme, "code": r["code"], "official": False,
        "explanation": r.get("explanation"), "explanation_en": r.get("explanation_en"), "as_of": r.get("as_of"),
        "details": r.get("details"), "computed_at": computed_at, "data_version": r.get("data_version"),
    } for r in ratings if r.get("kpi_id") is not None]
    if rows:
        session.execute(insert(m.Rating), rows)
    return len(rows)


def computed_dates(session: Session, scheme: str | None = None) -> list:
    """The evaluation dates computed ratings are stored as of (of one scheme, or of any)."""
    q = select(m.Rating.as_of).where(m.Rating.official.is_(False), m.Rating.as_of.is_not(None)).distinct()
    if scheme is not None:
        q = q.where(m.Rating.scheme == scheme)
    return sorted(session.scalars(q))


def rating_runs(session: Session) -> list[dict]:
    """Each (scheme, evaluation date) whose computed ratings are kept current, with the hash of the scheme file."""
    return [{"scheme": r.scheme, "sha256": r.scheme_sha256, "as_of": r.as_of, "computed_at": r.computed_at}
            for r in session.scalars(select(m.RatingRun).order_by(m.RatingRun.scheme, m.RatingRun.as_of))]


# How many evaluation dates a scheme keeps computed ratings for: each re-rates on every write, so the work a write
# causes stays bounded (the oldest dates go first).
MAX_RATING_DATES = 12


def record_rating_run(session: Session, scheme: str, sha256: str, as_of) -> None:
    """Remember that scheme's computed ratings as of as_of are stored (and with which file); beyond MAX_RATING_DATES
    dates the scheme's oldest runs and their ratings are dropped."""
    run = session.get(m.RatingRun, (scheme, as_of))
    if run is None:
        session.add(m.RatingRun(scheme=scheme, scheme_sha256=sha256, as_of=as_of, computed_at=datetime.now(timezone.utc)))
    else:
        run.scheme_sha256, run.computed_at = sha256, datetime.now(timezone.utc)
    session.flush()
    dropped = list(session.scalars(select(m.RatingRun.as_of).where(m.RatingRun.scheme == scheme)
                                   .order_by(m.RatingRun.as_of.desc()).offset(MAX_RATING_DATES)))
    if dropped:
        session.execute(delete(m.RatingRun).where(m.RatingRun.scheme == scheme, m.RatingRun.as_of.in_(dropped)))
        session.execute(delete(m.Rating).where(m.Rating.scheme == scheme, m.Rating.official.is_(False),
                                               m.Rating.as_of.in_(dropped)))
        session.flush()


def reader_dates(session: Session) -> list:
    """The evaluation dates a reader needs ratings for besides those asked by `mieruka evaluate --as-of`: each edition's
    date and each published reporting round's as-of date."""
    from mieruka.storage.cycle_models import Round

    # a round's edition is dated the day it was published; its figures are as of the round's as-of date, which follows
    by_round = select(Round.id).where(Round.edition_id == m.Edition.id).exists()
    dates = set(session.scalars(select(m.Edition.published).where(m.Edition.published.is_not(None), ~by_round)))
    dates.update(session.scalars(select(Round.as_of).where(Round.state == "published", Round.as_of.is_not(None))))
    return sorted(dates)


def stale_kpis(session: Session, scheme: str, as_of=None) -> list[int]:
    """KPIs whose data changed since their computed rating under scheme (as of as_of, when given) was stored (or that
    have none)."""
    S, R = m.KpiSummary, m.Rating
    dated = (R.as_of == as_of) if as_of is not None else True
    q = (select(S.kpi_id).outerjoin(R, (R.kpi_id == S.kpi_id) & (R.scheme == scheme) & R.official.is_(False) & dated)
         .where((R.id.is_(None)) | (R.data_version.is_(None)) | (R.data_version < S.version))
         .distinct().order_by(S.kpi_id))
    return list(session.scalars(q))


_AUDIT_DATE_LOCKS = 0x6175  # "au": the PostgreSQL advisory locks (two-key form) of whole audits, one a date


def begin_audit(session: Session, as_of, data_key: str, keep: int = 4) -> int:
    """A new stored audit as of a date over the data named by data_key (findings follow by add_audit_findings); older
    audits of that date go, and only the `keep` most recent dates stay."""
    if session.get_bind().dialect.name == "postgresql":
        # whole audits of one date take turns (a lock of the date's own): each then finds the one before it committed
        # and replaces it, where two at once each replaced only what was there before both and left two runs
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :day)"),
                        {"space": _AUDIT_DATE_LOCKS, "day": as_of.toordinal()})
    same = set(session.scalars(select(m.AuditRun.id).where(m.AuditRun.as_of == as_of)))
    beyond = set(session.scalars(select(m.AuditRun.id).order_by(m.AuditRun.computed_at.desc(), m.AuditRun.id.desc())
                                 .offset(max(0, keep - 1)))) - same
    # Held before they go (PostgreSQL): a concurrent refresh bringing one up to date (hold_audit_run) finishes first,
    # its findings going with it, rather than either failing on the findings' reference to its run. This date's
    # audits are waited for; older dates' audits held by someone else are left for a later audit to drop (waiting for
    # them too, while the refresh holding them waits for this date's, was a deadlock).
    old = set(session.scalars(select(m.AuditRun.id).where(m.AuditRun.id.in_(same)).order_by(m.AuditRun.id)
                              .with_for_update())) if same else set()
    if beyond:
        old.update(session.scalars(select(m.AuditRun.id).where(m.AuditRun.id.in_(beyond)).order_by(m.AuditRun.id)
                                   .with_for_update(skip_locked=True)))
    if old:
        session.execute(delete(m.AuditFinding).where(m.AuditFinding.run_id.in_(old)))
        session.execute(delete(m.AuditRun).where(m.AuditRun.id.in_(old)))
    run = m.AuditRun(as_of=as_of, data_key=data_key, computed_at=datetime.now(timezone.utc))
    session.add(run)
    session.flush()
    return run.id


def hold_audit_run(session: Session, run_id: int) -> bool:
    """Hold a stored audit for the rest of the transaction, to bring it up to date (PostgreSQL: a row lock; SQLite has
    one writer at a time): False when it is gone, replaced by a newer audit of its date committed meanwhile."""
    return session.scalar(select(m.AuditRun.id).where(m.AuditRun.id == run_id).with_for_update()) is not None


def add_audit_findings(session: Session, run_id: int, findings: list[dict]) -> None:
    """Findings (dicts with position, kind, kpi_id, kpi, message, message_en, sources) of a stored audit."""
    rows = [{"run_id": run_id, "position": f["position"], "kind": f["kind"], "kpi_id": f.get("kpi_id"),
             "kpi": f.get("kpi"), "message": f["message"], "message_en": f.get("message_en"),
             "sources": f.get("sources") or []} for f in findings]
    if session.get_bind().dialect.name == "postgresql":  # COPY: an INSERT of many rows was a fifth of a national audit
        insert_rows(session, m.AuditFinding, rows)
        return
    # through the table, not the ORM's bulk insert: a national audit writes some 20 MB of messages
    for start in range(0, len(rows), 2000):
        session.connection().execute(insert(m.AuditFinding.__table__), rows[start:start + 2000])


def store_audit(session: Session, as_of, data_key: str, findings: list[dict], keep: int = 4) -> int:
    """Keep findings (in the audit's order) as the audit as of a date over the data named by data_key."""
    run_id = begin_audit(session, as_of, data_key, keep)
    add_audit_findings(session, run_id, [{**f, "position": i} for i, f in enumerate(findings)])
    return run_id


# Positions of stored findings: kind rank × AUDIT_KIND_SPAN, plus AUDIT_LATE for a finding about a KPI; the bottom-up
# survey mismatches from AUDIT_TAIL on. A stored audit is read in the order (rank, KPI (none first), position), so
# the findings of one KPI can be replaced by an incremental audit without moving any other finding.
AUDIT_KIND_SPAN = 1 << 26
AUDIT_LATE = 1 << 25
AUDIT_TAIL = 30 * AUDIT_KIND_SPAN  # after every kind (under 2**31: the column is a 32-bit integer on PostgreSQL)


def _base_key(data_key: str) -> str:
    """A stored run's data_key is the data key, then "#" and what an incremental audit checks (see evaluate.stored)."""
    return data_key.split("#", 1)[0]


def _audit_run(session: Session, as_of, data_key: str) -> int | None:
    for run_id, key in session.execute(select(m.AuditRun.id, m.AuditRun.data_key).where(m.AuditRun.as_of == as_of)
                                       .order_by(m.AuditRun.id.desc())):
        if _base_key(key) == data_key:
            return run_id
    return None


def latest_audit_run(session: Session, as_of) -> tuple[int, str] | None:
    """(id, data_key) of the audit stored last as of a date, whatever data it was made over."""
    row = session.execute(select(m.AuditRun.id, m.AuditRun.data_key).where(m.AuditRun.as_of == as_of)
                          .order_by(m.AuditRun.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])


def drop_audit_findings(session: Session, run_id: int, kpi_ids: list[int]) -> None:
    """Remove from a stored audit the findings an incremental audit makes again: those of these KPIs, of KPIs that are
    gone, those about no KPI (a reform item, a sheet's roll-up) and the bottom-up mismatches."""
    F = m.AuditFinding
    for start in range(0, len(kpi_ids), 500):
        session.execute(delete(F).where(F.run_id == run_id, F.kpi_id.in_(kpi_ids[start:start + 500])))
    session.execute(delete(F).where(F.run_id == run_id, F.kpi_id.is_(None)))
    session.execute(delete(F).where(F.run_id == run_id, F.position >= AUDIT_TAIL))
    session.execute(delete(F).where(F.run_id == run_id, F.kpi_id.is_not(None), F.kpi_id.not_in(select(m.Kpi.id))))


def set_audit_key(session: Session, run_id: int, data_key: str) -> None:
    run = session.get(m.AuditRun, run_id)
    run.data_key, run.computed_at = data_key, datetime.now(timezone.utc)
    session.flush()


def audit_finding_count(session: Session, run_id: int) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(m.AuditFinding).where(m.AuditFinding.run_id == run_id))


def documents_upto(session: Session, top: int) -> int:
    """How many documents have an id up to top (fewer than when an audit was stored: one was removed)."""
    from sqlalchemy import func

    return session.scalar(select(func.count(m.Document.id)).where(m.Document.id <= top))


def kpis_changed_since(session: Session, version: int, top_document: int) -> list[int]:
    """The KPIs an audit stored at data version `version`, when the newest document was top_document, no longer
    covers: those whose data version is newer, and those of a reform item that a newer document gave progress texts
    or schedule rows (the audit reads them with the item's KPIs)."""
    S, K = m.KpiSummary, m.Kpi
    ids = set(session.scalars(select(S.kpi_id).where(S.version > version)))
    items = set(session.scalars(select(m.ProcessStep.reform_item_id).where(m.ProcessStep.document_id > top_document)
                                .distinct()))
    items |= set(session.scalars(select(m.ScheduleEntry.reform_item_id)
                                 .where(m.ScheduleEntry.document_id > top_document).distinct()))
    items.discard(None)
    if items:
        ids |= set(session.scalars(select(K.id).where(K.reform_item_id.in_(sorted(items)))))
    return sorted(ids)


def item_first_kpis(session: Session) -> list[int]:
    """The first KPI of each reform item: the one the audit's findings about the item are made from."""
    from sqlalchemy import func

    K = m.Kpi
    return sorted(session.scalars(select(func.min(K.id)).where(K.reform_item_id.is_not(None)).group_by(K.reform_item_id)))


def rollup_kpis(session: Session) -> list[int]:
    """The KPIs with a published rating from a document that publishes an overall result (a policy evaluation sheet):
    what the audit's roll-up of that sheet reads."""
    R = m.Rating
    docs = select(m.PolicyResult.document_id)
    return sorted(session.scalars(select(R.kpi_id).where(R.official.is_(True), R.document_id.in_(docs)).distinct()))


def stored_audit(session: Session, as_of, data_key: str) -> list[dict] | None:
    """The stored findings of the audit as of that date over that data, in the audit's order; None if not stored."""
    found = stored_audit_page(session, as_of, data_key)
    return None if found is None else found[1]


def stored_audit_page(session: Session, as_of, data_key: str, limit: int | None = None, offset: int = 0,
                      kind: str | None = None, kpi_id: int | None = None) -> tuple[int, list[dict]] | None:
    """How many stored findings match (kind, KPI) and those from offset in the audit's order; None if not stored."""
    from sqlalchemy import case, func

    run_id = _audit_run(session, as_of, data_key)
    if run_id is None:
        return None
    F = m.AuditFinding
    where = [F.run_id == run_id]
    if kind is not None:
        where.append(F.kind == kind)
    if kpi_id is not None:
        where.append(F.kpi_id == kpi_id)
    total = session.scalar(select(func.count()).select_from(F).where(*where))
    q = select(F.kind, F.kpi_id, F.kpi, F.message, F.message_en, F.sources).where(*where).order_by(
        F.position // AUDIT_KIND_SPAN, case((F.position >= AUDIT_TAIL, 0), else_=func.coalesce(F.kpi_id, 0)), F.position)
    q = q.offset(offset) if limit is None else q.offset(offset).limit(limit)
    return total, [{"kind": k, "kpi_id": kid, "kpi": name, "message": msg, "message_en": en, "sources": src or []}
                   for k, kid, name, msg, en, src in session.execute(q)]


def stored_audit_rows(session: Session, as_of, data_key: str | None, batch: int = 2000,
                      lang: str | None = None, run_id: int | None = None) -> Iterator[dict]:
    """Every stored finding of the audit as of that date over that data, in the audit's order (stored_audit_page's),
    read batch by batch; nothing when none is stored. The order is worked out once over the narrow columns and the
    rows are read by id: a page at an offset sorted every finding's full row again (a national audit's messages are
    some 100 MB), once per page. With lang ("ja" or "en") only that language's message is read (the other is None).
    run_id: that stored audit's findings, whatever data it was made over."""
    from sqlalchemy import case, func, null

    run_id = run_id if run_id is not None else _audit_run(session, as_of, data_key)
    if run_id is None:
        return
    F = m.AuditFinding
    ids = list(session.scalars(select(F.id).where(F.run_id == run_id).order_by(
        F.position // AUDIT_KIND_SPAN, case((F.position >= AUDIT_TAIL, 0), else_=func.coalesce(F.kpi_id, 0)),
        F.position)))
    ja = F.message if lang != "en" else null()
    en = F.message_en if lang != "ja" else null()
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        rows = {i: {"kind": k, "kpi_id": kid, "kpi": name, "message": msg, "message_en": msg_en, "sources": src or []}
                for i, k, kid, name, msg, msg_en, src in session.connection().execute(
                    select(F.id, F.kind, F.kpi_id, F.kpi, ja, en, F.sources).where(F.id.in_(part)))}
        yield from (rows[i] for i in part)


def stored_date_sets(session: Session, scheme: str | None = None) -> tuple[set, set]:
    """In one statement (every page and the one-KPI answer pick their evaluation date from these): the dates the
    scheme's (any scheme's when None) rating runs were made as of, or, when it has none, the dates its computed
    ratings carry (a database from before runs were kept); and the dates any audit was stored as of."""
    rated, audited = set(), set()
    for what, when in session.execute(_stored_dates_statement(scheme is not None),
                                      {"scheme": scheme} if scheme is not None else {}):
        (audited if what == "audit" else rated).add(when)
    return rated, audited


@lru_cache(maxsize=None)
def _stored_dates_statement(of_scheme: bool):
    # built once (the scheme bound as "scheme"): building the union on every request cost more than running it
    from sqlalchemy import bindparam, exists, literal, union_all

    RR, R, A = m.RatingRun, m.Rating, m.AuditRun
    runs, computed = select(literal("run").label("what"), RR.as_of), select(literal("rating"), R.as_of)
    if of_scheme:
        scheme = bindparam("scheme", type_=String)
        any_run = exists().where(RR.scheme == scheme)
        runs, computed = runs.where(RR.scheme == scheme), computed.where(R.scheme == scheme)
    else:
        any_run = exists().where(RR.as_of.is_not(None))
    computed = computed.where(R.official.is_(False), R.as_of.is_not(None), ~any_run).distinct()
    return union_all(runs, computed, select(literal("audit"), A.as_of).distinct())


def audit_stored(session: Session, as_of, data_key: str) -> bool:
    """Whether an audit as of the date is stored for the data data_key names (stored_audit_page would not be None)."""
    return _audit_run(session, as_of, data_key) is not None


def audited_dates(session: Session) -> list:
    return list(session.scalars(select(m.AuditRun.as_of).distinct().order_by(m.AuditRun.as_of)))


def audit_data_key(session: Session) -> str:
    """Names the data an audit reads: KPI data versions, documents, surveys and bottom-up definitions."""
    from sqlalchemy import String, cast, func

    # one statement (a round trip, not five: every page that picks its evaluation date reads this); each part as
    # the text "count:max" ("None" for no row), the key audits are stored under
    parts = [select(cast(func.coalesce(func.max(m.KpiSummary.version), 0), String)).scalar_subquery()]
    for model in (m.Document, m.SurveyImport, m.SurveyKpi, m.KpiSummary):
        key = m.KpiSummary.kpi_id if model is m.KpiSummary else model.id
        parts.append(select(cast(func.count(key), String) + ":" + func.coalesce(cast(func.max(key), String), "None"))
                     .scalar_subquery())
    return "|".join(session.execute(select(*parts)).one())
