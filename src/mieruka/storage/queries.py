"""Read-side queries: each returns plain dicts (dates as date objects) for the CLI, the evaluator, the API and exports.
A few set-based queries per listing, assembled in Python, so no listing makes a query per row."""
from __future__ import annotations

from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from typing import Callable, Iterator

from sqlalchemy import Integer, String, bindparam, case, cast, exists, func, literal_column, null, or_, select, true
from sqlalchemy.orm import Session, defer, selectinload

from mieruka.records.licence import recorded_or_default
from mieruka.storage import models as m
from mieruka.storage.superseded import superseded_ids, superseded_observation_ids


def _docs(session: Session) -> dict[int, m.Document]:
    return {d.id: d for d in session.execute(
        select(m.Document.id, m.Document.file_name, m.Document.doc_date, m.Document.family, m.Document.title,
               m.Document.meta["data_as_of"].as_string().label("data_as_of"))).all()}


def document_file_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(m.Document.id, m.Document.file_name)).all())


def _source(docs, document_id: int | None, line: int | None) -> dict | None:
    if document_id is None:
        return None
    d = docs.get(document_id)
    return {"document": d.file_name if d is not None else None, "document_id": document_id, "line": line}


def kpi_rows(session: Session, kpi_ids: list[int] | None = None, items: bool = True,
             ratings: bool = True) -> list[dict]:
    """One dict per canonical KPI with every baseline, target, observation, rating and appearance, each with its source.
    Without items, the reform item's texts and schedules the audit reads are left out (item_texts and item_schedules
    empty, item_first False): two statements fewer for an answer that shows none of them. Without ratings, "ratings"
    is empty: for a caller that reads them with overview.rating_rows anyway (overview.kpi_ratings gives them in this
    shape)."""
    if kpi_ids is None:
        return [k for chunk in kpi_row_chunks(session) for k in chunk]
    return _kpi_dicts(session, sorted(set(kpi_ids)), _docs(session), items=items, with_ratings=ratings)


def count_kpis(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(m.Kpi))


def kpi_ids_of(session: Session) -> list[int]:
    """Every KPI's id, in order."""
    return list(session.scalars(select(m.Kpi.id).order_by(m.Kpi.id)))


def kpi_row_chunks(session: Session, size: int = 200, observations: bool = True,
                   kpi_ids: list[int] | None = None) -> Iterator[list[dict]]:
    """kpi_rows of every KPI (or of kpi_ids), size KPIs at a time in id order: what a pass over a large database holds
    at once. Without observations, each dict's "observations" is empty (see observation_columns for those)."""
    docs = _docs(session)
    ids = kpi_ids_of(session) if kpi_ids is None else sorted(set(kpi_ids))
    for start in range(0, len(ids), size):
        yield _kpi_dicts(session, ids[start:start + size], docs, observations)


@contextmanager
def read_ahead(session: Session, read: Callable[[Session, list[int]], list],
               thread: bool = True) -> Iterator[Callable[[list[int]], Future]]:
    """A function that starts read(a session, ids) in a thread with a connection of its own and returns its future:
    a pass over many chunks reads the next chunk while it works on this one (sqlite3 and psycopg let go of the GIL
    while the database steps). That session sees only what is committed: a caller that has written what it reads
    (or wants one snapshot on PostgreSQL) gives thread=False, and each read is done in its own session when asked — as
    it is for an in-memory SQLite database, one per connection."""
    engine = session.get_bind()
    if not thread or engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:"):
        def at_once(ids: list[int]) -> Future:
            done: Future = Future()
            done.set_result(read(session, ids))
            return done

        yield at_once
        return
    own: list[Session] = []

    def in_thread(ids: list[int]) -> list:
        if not own:
            own.append(Session(bind=engine))
        return read(own[0], ids)

    with ThreadPoolExecutor(1, thread_name_prefix="mieruka-read-ahead") as pool:
        try:
            yield lambda ids: pool.submit(in_thread, ids)
        finally:
            # the thread's connection is closed by the thread that opened it
            pool.submit(lambda: own and own[0].close()).result()


def observation_columns(session: Session, kpi_ids: list[int]) -> list[tuple]:
    """The observations of these KPIs as bare tuples (id, kpi_id, value, unit, as_of as 'YYYY-MM-DD' text or None,
    status, document_id), in kpi_rows' order (KPI, date, id): what a bulk rater turns into arrays. The dates come
    as text, never as date objects (a million of those cost seconds)."""
    if not kpi_ids:
        return []
    return _driver_rows(session, "columns", kpi_ids)


def _driver_rows(session: Session, name: str, kpi_ids: list[int], *args: str) -> list[tuple]:
    """The rows of the statement _DRIVER_STATEMENTS[name] over these KPIs from the driver's own cursor: SQLAlchemy's
    row objects cost more than the query over a hundred thousand rows. Its SQL is compiled once per dialect (and args,
    which the statement is also given, with the dialect's name), with _IDS_MARK where the ids are written (integers
    only): compiling it with the ids inlined on every call was a tenth of the CPU of the one-KPI answer."""
    conn = session.connection()
    key = (conn.dialect.name, name, *args)
    if key not in _compiled:
        kpis = m.Observation.kpi_id.op("IN")(literal_column(f"({_IDS_MARK})"))
        statement = _DRIVER_STATEMENTS[name](kpis, conn.dialect.name, *args) if args else _DRIVER_STATEMENTS[name](kpis)
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        if sql.count(_IDS_MARK) != 1:
            raise AssertionError(f"{name}: the KPI ids must have one place")
        _compiled[key] = sql
    cursor = conn.connection.dbapi_connection.cursor()
    ordered = conn.dialect.name == "postgresql" and name in _INDEX_ORDER
    try:
        if ordered:
            # a chunk's 200 KPIs are a tenth of a national table: PostgreSQL's planner then scans it whole and sorts
            # the wide rows on disk (0.5–0.6 s a chunk) where the (kpi_id, as_of) index gives them in order (0.2–0.3 s)
            cursor.execute("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', "
                           "true)")
        cursor.execute(_compiled[key].replace(_IDS_MARK, ", ".join(str(int(i)) for i in kpi_ids)))
        rows = cursor.fetchall()
        if ordered:  # back as they were for the rest of the transaction (after an error it is rolled back, and they go)
            cursor.execute("SELECT set_config('enable_seqscan', 'on', true), set_config('enable_bitmapscan', 'on', "
                           "true)")
        return rows
    finally:
        cursor.close()


_INDEX_ORDER = {"audit", "audit_all"}


_IDS_MARK = "__mieruka_kpi_ids__"
_compiled: dict[tuple, str] = {}


def _current(kpis, *columns):
    """The current (not superseded) observations of the KPIs kpis selects, in kpi_rows' order (KPI, date, id)."""
    O = m.Observation
    return (select(*columns).where(kpis, O.id.not_in(superseded_observation_ids())).order_by(O.kpi_id, O.as_of, O.id))


def _observation_select(kpis):
    O = m.Observation
    return _current(kpis, O.kpi_id, O.value, O.unit, cast(O.as_of, String), O.status, O.text, O.document_id,
                    O.line_start, O.as_of_precision)


_O = m.Observation
# an observation's status as the audit's columns give it (0 for any other), and its line when it has none
STATUS_CODES = {"final": 1, "preliminary": 2, "forecast": 3}
NO_LINE = -(1 << 62)


def _audit_columns(dialect: str, marks: str) -> tuple:
    """The audit's columns: the date as its day number (date.toordinal(), 0 for none) and the status as its code,
    worked out by the database — turning a hundred thousand strings a chunk into numbers was a tenth of the audit."""
    if dialect == "sqlite":
        day = cast(func.julianday(_O.as_of) - 1721424.5, Integer)
    elif dialect == "postgresql":
        day = _O.as_of - literal_column("DATE '0001-01-01'") + 1
    else:
        raise ValueError(f"the audit reads SQLite or PostgreSQL, not {dialect}")
    return (_O.id, _O.kpi_id, _O.value, _O.unit, func.coalesce(day, 0), case(STATUS_CODES, value=_O.status, else_=0),
            func.coalesce(_O.document_id, -1), func.coalesce(_O.line_start, NO_LINE), _holding(dialect, "約"),
            _holding(dialect, marks))


def _holding(dialect: str, marks: str):
    """The text where it holds one of the characters of marks, else NULL. One character class a row (GLOB on SQLite,
    a regular expression on PostgreSQL) instead of a LIKE a character: in the audit's own read of every observation,
    a second statement with a LIKE a mark cost a tenth of a national audit."""
    if not marks:
        return null()
    if any(c in marks for c in "[]^-\\*?"):
        raise ValueError(f"marks: {marks!r} holds a character that a character class reads otherwise")
    # _audit_columns has refused any other dialect
    held = _O.text.op("GLOB")(f"*[{marks}]*") if dialect == "sqlite" else _O.text.op("~")(f"[{marks}]")
    return case((held, _O.text))


_DRIVER_STATEMENTS = {
    "columns": lambda kpis: _current(kpis, _O.id, _O.kpi_id, _O.value, _O.unit, cast(_O.as_of, String), _O.status,
                                     _O.document_id),
    "audit": lambda kpis, dialect, marks: _current(kpis, *_audit_columns(dialect, marks)),
    # the same when no observation is superseded (superseded_observations() read once for an audit says so)
    "audit_all": lambda kpis, dialect, marks: select(*_audit_columns(dialect, marks)).where(kpis).order_by(
        _O.kpi_id, _O.as_of, _O.id),
    "observations": _observation_select,
}


def observation_dicts(session: Session, kpi_ids: list[int], docs=None, texts: list[str] | None = None,
                      rows: list[tuple] | None = None, names: dict[int, str] | None = None) -> dict:
    """KPI id -> its observations as kpi_rows gives them, in its order (date, id); with texts, only those whose text is
    one of them (what an audit reads row by row: see evaluate.audit_columns); rows: those of _driver_rows'
    "observations" for these KPIs, read already; names: document_file_names, read already (else from docs)."""
    observations: dict = defaultdict(list)
    if not kpi_ids or texts is not None and not texts:
        return observations
    if names is None:
        names = document_file_names(session) if docs is None else {i: d.file_name for i, d in docs.items()}
    Ob = m.Observation
    places: dict = {}

    def cited(doc_id: int, line: int | None) -> dict:
        # observations from one line (the values of the bodies a KPI counts) share one source dict: read-only
        key = (doc_id, line)
        if key not in places:
            places[key] = {"document": names.get(doc_id), "document_id": doc_id, "line": line}
        return places[key]

    # the driver's rows with the dates as text, each distinct date read once (a chunk of a national database holds
    # a hundred thousand observations on a few dozen dates), made into the observations' dicts as they come
    day: dict = {None: None}
    if rows is not None:
        pass
    elif texts is None:
        rows = _driver_rows(session, "observations", kpi_ids)
    else:
        rows = session.connection().execute(_observation_select(Ob.kpi_id.in_([int(i) for i in kpi_ids]))
                                            .where(Ob.text.in_(texts))).all()
    for kid, value, unit, when, status, text, doc_id, line, precision in rows:
        if when not in day:
            day[when] = date.fromisoformat(when[:10])
        observations[kid].append({"value": value, "unit": unit, "as_of": day[when], "status": status, "text": text,
                                  "as_of_precision": precision,
                                  "source": None if doc_id is None else cited(doc_id, line)})
    return observations


def superseded_observations(session: Session) -> list[int]:
    """The ids of the superseded observations, read once for a pass over many chunks: when there are none (a national
    database) each chunk's statement leaves out the NOT IN over the round tables, which it checked for every row."""
    return list(session.scalars(superseded_observation_ids()))


def _not_superseded(superseded: list[int] | None):
    O = m.Observation
    if superseded is None:
        return O.id.not_in(superseded_observation_ids())
    return O.id.not_in(superseded) if superseded else true()


def audit_observation_columns(session: Session, kpi_ids: list[int], superseded: list[int] | None = None,
                              marks: str = "") -> list[tuple]:
    """Each current observation's id, KPI, value, unit, day number (0 for none), status code (STATUS_CODES), document
    (-1 for none), line (NO_LINE for none), the text where it writes 約 (else None: what evaluate.audit.approximate_figure
    reads), and the text where it holds one of the characters of
    marks (else None), in the order KPI, date, id: what an audit of many KPIs reads of every observation, the texts
    only of those a check reads. superseded: superseded_observations' ids, when read already."""
    if not kpi_ids:
        return []
    return _driver_rows(session, "audit" if superseded is None or superseded else "audit_all", kpi_ids, marks)


def observation_rows(session: Session, ids: list[int]) -> dict[int, dict]:
    """Observation id -> the observation as kpi_rows gives it (value, unit, as_of, status, text, source, ...)."""
    O = m.Observation
    docs = _docs(session)
    out = {}
    for start in range(0, len(ids), 500):
        for o in session.connection().execute(
                select(O.id, O.value, O.unit, O.as_of, O.status, O.text, O.document_id, O.line_start, O.as_of_precision)
                .where(O.id.in_(ids[start:start + 500]))):
            out[o[0]] = {"value": o[1], "unit": o[2], "as_of": o[3], "status": o[4], "text": o[5],
                         "as_of_precision": o[8], "source": None if o[6] is None else {
                             "document": docs[o[6]].file_name if o[6] in docs else None, "document_id": o[6],
                             "line": o[7]}}
    return out


@lru_cache(maxsize=None)
def _kpi_statements(written_in: bool = False) -> dict:
    """_kpi_dicts' statements over the KPI ids bound as "ids", built once: building them (and their cache keys) on
    each call was a fifth of the CPU of the one-KPI answer. Each target carries its edition's name and date joined
    (one statement fewer than reading every edition). written_in: the ids are _IDS_MARK in the SQL (_rows_together)."""
    K, RI, O, E = m.Kpi, m.ReformItem, m.Organisation, m.Edition
    B, T, R, A = m.Baseline, m.Target, m.Rating, m.KpiAppearance
    ids = bindparam("ids", expanding=True)

    def of(column):
        return column.op("IN")(literal_column(f"({_IDS_MARK})")) if written_in else column.in_(ids)

    return {
        "kpis": select(K.id, K.key, K.name, K.tier, K.reform_item_id, RI.name, RI.number, O.name, K.parent_id, K.unit,
                       K.direction, K.after_the_fact, K.organisation_inferred)
        .outerjoin(RI, RI.id == K.reform_item_id).outerjoin(O, O.id == K.organisation_id)
        .where(of(K.id)).order_by(K.id),
        "baselines": select(B.kpi_id, B.value, B.unit, B.as_of, B.text, B.document_id, B.line_start, B.as_of_precision)
        .where(of(B.kpi_id)).order_by(B.id),
        "targets": select(T.kpi_id, T.value, T.unit, T.deadline, T.comparator, T.relative_factor, T.relative_kind,
                          T.relative_base_year, T.relative_base_value, T.unset, T.promised_by, T.interim,
                          E.name, T.text, T.document_id, T.line_start, T.deadline_precision,
                          T.promised_by_precision, E.published).outerjoin(E, E.id == T.edition_id)
        .where(of(T.kpi_id), T.id.not_in(superseded_ids("target"))).order_by(T.id),
        "observations": _observation_select(of(m.Observation.kpi_id)),
        "ratings": select(R.kpi_id, R.scheme, R.code, R.official, R.as_of, R.explanation, R.document_id, R.line_start,
                          R.explanation_en).where(of(R.kpi_id), R.id.not_in(superseded_ids("rating")))
        .order_by(R.id),
        "appearances": select(A.kpi_id, A.name_as_written, A.markers, A.next_measurement, A.next_measurement_date,
                              A.policy_text, A.document_id, A.line_start, A.next_measurement_precision,
                              A.tier_as_written, A.source_text).where(of(A.kpi_id)).order_by(A.id),
    }


def _rows_together(session: Session, names: tuple[str, ...], ids: list[int]) -> dict[str, list]:
    """The rows of several of _kpi_statements over the same KPIs. On PostgreSQL in one round trip: their SQL, compiled
    once with the ids written in (as _driver_rows), sent as one string and the results read in turn. Under load each
    round trip waits for the database server's turn on a CPU and then this process's: those waits were most of the
    one-KPI answer's time. SQLite (in this process) runs them one by one."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        stmts = _kpi_statements()
        return {n: _driver_rows(session, "observations", ids) if n == "observations"
                else conn.execute(stmts[n], {"ids": ids}).all() for n in names}
    key = (conn.dialect.name, names)
    if key not in _compiled:
        stmts = _kpi_statements(written_in=True)
        _compiled[key] = ";\n".join(str(stmts[n].compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
                                    for n in names)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(_compiled[key].replace(_IDS_MARK, ", ".join(str(int(i)) for i in ids)))
        out = {}
        for n in names:
            out[n] = cursor.fetchall()
            cursor.nextset()
        return out
    finally:
        cursor.close()


def _kpi_dicts(session: Session, ids: list[int], docs, with_observations: bool = True, items: bool = True,
               with_ratings: bool = True) -> list[dict]:
    # Plain column tuples, not ORM objects: a national database has a million observations.
    if not ids:
        return []
    conn = session.connection()  # Core rows: the ORM's loading adds a third to the time of a million of them
    names = ("kpis", "baselines", "targets", *(["observations"] if with_observations else []),
             *(["ratings"] if with_ratings else []), "appearances")
    found = _rows_together(session, names, ids)

    def by_kpi(name: str):
        out = defaultdict(list)
        for row in found.get(name, ()):
            out[row[0]].append(row)
        return out

    kpis = found["kpis"]
    baselines = by_kpi("baselines")
    targets = by_kpi("targets")
    observations = observation_dicts(session, ids, docs, rows=found["observations"]) if with_observations else {}
    ratings = by_kpi("ratings")
    appearances = by_kpi("appearances")
    # the progress texts of the chunk's reform items (the audit checks the percentages they print against a
    # KPI's base); one list per item, shared by its KPIs
    item_ids = {k[4] for k in kpis if k[4] is not None} if items else set()
    steps: dict = defaultdict(list)
    if item_ids:
        P = m.ProcessStep
        for rid, progress, outlook, doc_id, line in conn.execute(
                select(P.reform_item_id, P.progress, P.outlook, P.document_id, P.line_start)
                .where(P.reform_item_id.in_(item_ids)).order_by(P.id)).all():
            for text in (progress, outlook):
                if text:
                    steps[rid].append({"text": text, "source": _source(docs, doc_id, line)})
    # the schedule rows of each item (offices included) for the audit's office_conflict, given with the item's first KPI
    # only, so that a finding about the item is made once however the KPIs fall into chunks
    schedules: dict = defaultdict(list)
    first_of_item: set = set()
    if item_ids:
        K = m.Kpi
        first_of_item = set(session.scalars(select(func.min(K.id)).where(K.reform_item_id.in_(item_ids))
                                            .group_by(K.reform_item_id)))
        S = m.ScheduleEntry
        wanted = {k[4] for k in kpis if k[0] in first_of_item}
        if wanted:
            E = m.Edition
            for rid, edition, published, period, text, offices, doc_id, line in conn.execute(
                    select(S.reform_item_id, E.name, E.published, S.period, S.text, S.offices, S.document_id,
                           S.line_start).outerjoin(E, E.id == S.edition_id)
                    .where(S.reform_item_id.in_(wanted)).order_by(S.id)).all():
                schedules[rid].append({"edition": edition, "edition_date": published,
                                       "period": period, "text": text, "offices": offices or [],
                                       "source": _source(docs, doc_id, line)})

    def baseline(x):
        return {"value": x[1], "unit": x[2], "as_of": x[3], "text": x[4], "as_of_precision": x[7],
                "source": _source(docs, x[5], x[6])}

    rows = []
    for kid, key, name, tier, item_id, item_name, item_number, org, parent_id, unit, direction, att, inferred in kpis:
        base = [baseline(x) for x in baselines.get(kid, [])]
        apps = appearances.get(kid, [])
        doc_ids = list(dict.fromkeys(a[6] for a in apps))
        rows.append({
            "id": kid, "key": key, "name": name, "tier": tier, "reform_item": item_name, "reform_item_id": item_id,
            "reform_item_number": item_number, "organisation": org,
            "organisation_inferred": bool(inferred),  # from the reform item's 《主担当府省庁等》
            "parent_id": parent_id, "unit": unit,
            "direction": direction, "after_the_fact": att,
            "baseline": base[0] if base else None,
            "baselines": base,
            "targets": [{
                "value": t[1], "unit": t[2], "deadline": t[3], "comparator": t[4],
                "relative": None if t[5] is None else {
                    "factor": t[5], "kind": t[6], "base_fiscal_year": t[7], "base_value": t[8]},
                "unset": t[9], "promised_by": t[10], "interim": t[11],
                "deadline_precision": t[16], "promised_by_precision": t[17],
                "edition": t[12], "edition_date": t[18],
                "text": t[13], "source": _source(docs, t[14], t[15])} for t in targets.get(kid, [])],
            "observations": observations.get(kid, []),
            "ratings": [{
                "scheme": r[1], "code": r[2], "official": r[3], "as_of": r[4], "explanation": r[5],
                "explanation_en": r[8], "source": _source(docs, r[6], r[7])} for r in ratings.get(kid, [])],
            "appearances": [{
                "name": a[1], "markers": a[2] or [], "next_measurement": a[3], "next_measurement_date": a[4],
                "policy_text": a[5], "next_measurement_precision": a[8],
                "tier": int(a[9]) if a[9] and str(a[9]).isdigit() else None,
                "text": a[10],  # the row as the document prints it: the KPI page's definition
                "source": _source(docs, a[6], a[7])} for a in apps],
            "item_texts": steps.get(item_id, []),
            "item_schedules": schedules.get(item_id, []) if kid in first_of_item else [],
            "item_first": kid in first_of_item,  # the KPI that speaks for its reform item in the audit
            "documents": [{"id": i, "title": docs[i].title, "file_name": docs[i].file_name, "doc_date": docs[i].doc_date,
                           "family": docs[i].family, **_dated(docs[i].doc_date, docs[i].data_as_of)}
                          for i in doc_ids if i in docs],
        })
    return rows


def measure_rows(session: Session, ids: list[int] | None = None) -> list[dict]:
    """Every measure (or those of ids, in that order) with its ministries and source."""
    docs = _docs(session)
    q = select(m.Measure.id, m.Measure.no, m.Measure.code, m.Measure.name, m.Measure.pillar, m.Measure.timing,
               m.Measure.effect_efficiency, m.Measure.effect_economy, m.Measure.effect_convenience,
               m.Measure.effect_safety, m.Measure.kpi_progress, m.Measure.kpi_effect, m.Measure.overview,
               m.Measure.support, m.Measure.budget_programme, m.Measure.urls, m.Measure.document_id,
               m.Measure.line_start)
    mq = (select(m.MeasureMinistry.measure_id, m.Organisation.name, m.MeasureMinistry.lead)
          .join(m.Organisation, m.Organisation.id == m.MeasureMinistry.organisation_id)
          .order_by(m.MeasureMinistry.measure_id, m.MeasureMinistry.position, m.MeasureMinistry.id))
    if ids is not None:
        if not ids:
            return []
        q, mq = q.where(m.Measure.id.in_(ids)), mq.where(m.MeasureMinistry.measure_id.in_(ids))
    else:
        q = q.order_by(m.Measure.no, m.Measure.id)
    ministries = defaultdict(list)
    for measure_id, name, lead in session.execute(mq):
        ministries[measure_id].append({"name": name, "lead": lead})
    rows = [{
        "id": x[0], "no": x[1], "code": x[2], "name": x[3], "pillar": x[4], "timing": x[5],
        "effects": {"efficiency": x[6], "economy": x[7], "convenience": x[8], "safety": x[9]},
        "ministries": ministries.get(x[0], []),
        "kpi_progress": x[10], "kpi_effect": x[11], "overview": x[12],
        "support": x[13], "budget_programme": x[14], "urls": x[15] or [],
        "source": _source(docs, x[16], x[17]),
    } for x in session.execute(q)]
    if ids is not None:
        order = {i: n for n, i in enumerate(ids)}
        rows.sort(key=lambda r: order[r["id"]])
    return rows


def case_rows(session: Session, ids: list[int] | None = None) -> list[dict]:
    docs = _docs(session)
    q = select(m.AdvancedCase).options(selectinload(m.AdvancedCase.effects)).order_by(m.AdvancedCase.id)
    if ids is not None:
        q = q.where(m.AdvancedCase.id.in_(ids))
    cases = session.scalars(q).all()
    return [{
        "id": c.id, "title": c.title, "municipalities": c.municipalities, "body_codes": c.body_codes or [],
        "theme": c.theme, "summary": c.summary,
        "effects": [{"label": e.label, "amount_yen": e.amount_yen, "change_percent": e.change_percent,
                     "period_years": e.period_years, "text": e.text} for e in c.effects],
        "source": _source(docs, c.document_id, c.line_start),
    } for c in cases]


def document_original(session: Session, document_id: int) -> dict | None:
    """The bytes a document was given to us as, with its file name and media type."""
    d = session.get(m.Document, document_id)
    if d is None:
        return None
    return {"id": d.id, "file_name": d.file_name, "media_type": d.media_type, "raw": d.raw}


def document_labels(session: Session) -> dict[int, dict]:
    """Document id -> its title, date, file name and family: how a page names the source it cites. A document that
    prints no date has the date of its newest figure (meta data_as_of, noted at ingest) with date_is_data True."""
    out = {}
    for i, t, d, f, fam, data in session.execute(select(
            m.Document.id, m.Document.title, m.Document.doc_date, m.Document.file_name, m.Document.family,
            m.Document.meta["data_as_of"].as_string())):
        out[i] = {"title": t, **_dated(d, data), "file_name": f, "family": fam}
    return out


def _dated(doc_date: date | None, data_as_of: str | None) -> dict:
    """A document's date as a citation gives it: its own, else its newest figure's (date_is_data)."""
    data_date = _iso_date(data_as_of) if doc_date is None else None
    return {"date": doc_date or data_date, "date_is_data": data_date is not None}


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def document_rows(session: Session) -> list[dict]:
    docs = session.scalars(select(m.Document).options(defer(m.Document.raw), defer(m.Document.text)).order_by(m.Document.id)).all()
    return [{
        "id": d.id, "file_name": d.file_name, "family": d.family, "title": d.title, "doc_date": d.doc_date,
        "sha256": d.sha256, "encoding": d.encoding, "size_bytes": d.size_bytes,
        "ingested_at": d.ingested_at, "counts": (d.report or {}).get("counts", {}),
        "licence": recorded_or_default(d.licence, d.title, d.file_name),
    } for d in docs]


def document_date_facts(session: Session) -> tuple[dict[int, object], dict[int, object]]:
    """What evaluate.series.document_dates works out from every KPI, in a few indexed queries: the stated date of each
    document a KPI row cites (by the file names the KPIs appear in), and for the others (and for rows citing none) the
    latest non-forecast actual. Each document is asked whether a row cites it (an index lookup) instead of reading the
    distinct documents of a million observations, and the latest actual is read only for the documents not stated:
    both were full scans, half a second of every national evaluate and audit on PostgreSQL."""
    D, O = m.Document, m.Observation
    cites = [exists().where(model.document_id == D.id) for model in (O, m.Target, m.KpiAppearance, m.Baseline, m.Rating)]
    cited = set(session.scalars(select(D.id).where(or_(*cites))))
    stated_by_name = dict(session.execute(
        select(D.file_name, D.doc_date)
        .where(D.doc_date.is_not(None), D.id.in_(select(m.KpiAppearance.document_id).distinct())).order_by(D.id)).all())
    names = dict(session.execute(select(D.id, D.file_name)).all())
    stated = {d: stated_by_name[names[d]] for d in cited if names.get(d) in stated_by_name}
    unstated = [d for d in names if d not in stated]
    inferred = {}
    # two statements: an OR of the two made SQLite scan the whole index
    for which in ([O.document_id.in_(unstated)] if unstated else []) + [O.document_id.is_(None)]:
        inferred.update(session.execute(select(O.document_id, func.max(O.as_of)).where(
            which, O.as_of.is_not(None), func.coalesce(O.status, "") != "forecast").group_by(O.document_id)).all())
    return stated, inferred
