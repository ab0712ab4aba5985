"""Read-side queries for the published reports: the editions and documents a report can be asked for, the rows of a
KPI status table (KPIの状況) as one document printed them, and a policy evaluation sheet's indicator rows."""
from __future__ import annotations

import marshal
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from mieruka.storage import models as m

# Lines between a heading row's last line and the first row under it in a table (the PDF text of a table puts a
# blank line between rows); a schedule's KPI column further up is not a heading of the status table.
_HEADING_GAP = 3


def report_sources(session: Session) -> dict:
    """What a KPI status table or policy table can be made of: the editions (each with the documents whose newest
    schedule is that edition), the reform-schedule documents, and the policy evaluation sheets."""
    docs = session.scalars(select(m.Document).options(defer(m.Document.raw), defer(m.Document.text))
                           .order_by(m.Document.id)).all()
    editions = {e.id: e for e in session.scalars(select(m.Edition).order_by(m.Edition.published, m.Edition.id))}
    newest: dict[int, m.Edition] = {}
    for doc_id, edition_id in session.execute(select(m.ScheduleEntry.document_id, m.ScheduleEntry.edition_id)
                                              .where(m.ScheduleEntry.edition_id.is_not(None)).distinct()):
        e = editions[edition_id]
        best = newest.get(doc_id)
        if best is None or (e.published or e.id) > (best.published or best.id):
            newest[doc_id] = e
    results = defaultdict(list)
    for r in session.scalars(select(m.PolicyResult).order_by(m.PolicyResult.id)):
        results[r.document_id].append(r)
    return {
        "editions": [{"id": e.id, "name": e.name, "plan": e.plan.name if e.plan else None, "published": e.published,
                      "document_ids": sorted(d for d, ne in newest.items() if ne.id == e.id)}
                     for e in editions.values()],
        "documents": [{"id": d.id, "file_name": d.file_name, "family": d.family, "title": d.title,
                       "doc_date": d.doc_date, "sha256": d.sha256, "data_as_of": (d.meta or {}).get("data_as_of"),
                       "edition_id": newest[d.id].id if d.id in newest else None}
                      for d in docs if d.family == "reform-schedule"],
        "policies": [{"document_id": d.id, "file_name": d.file_name, "title": d.title, "doc_date": d.doc_date,
                      "data_as_of": (d.meta or {}).get("data_as_of"),
                      "policy": results[d.id][0].policy if results.get(d.id) else d.title,
                      "result": results[d.id][0].result if results.get(d.id) else None}
                     for d in docs if d.family == "policy-evaluation"],
    }


def _by_kpi(rows) -> dict[int, list]:
    out = defaultdict(list)
    for row in rows:
        out[row.kpi_id].append(row)
    return out


def _on_row(rows: list, a) -> list:
    """The cells printed on an appearance's row: from its first line to its last (a PDF's row spans several)."""
    if a.line_start is None:
        return []
    end = a.line_end or a.line_start
    return [x for x in rows if x.line_start is not None and a.line_start <= x.line_start <= end]


def kpi_status_rows(session: Session, document_id: int) -> list[dict]:
    """The rows of the KPI status tables (KPIの状況) of one document, in the document's order: each KPI as written
    with its tier, target, actuals, the official rating and the next measurement, all from that document's row,
    plus the newest computed rating of the KPI under each scheme. A row of the table is an appearance that has a
    rating or a next-measurement cell on its row, or the heading printed just above such a row."""
    # the columns the table shows, as rows (not ORM objects: an edition of 10,000 KPIs is 50,000 of them, and a publish
    # run asks for the table again after any change)
    a_ = m.KpiAppearance
    apps = session.execute(select(a_.id, a_.kpi_id, a_.name_as_written, a_.markers, a_.tier_as_written,
                                  a_.next_measurement, a_.next_measurement_date, a_.line_start, a_.line_end)
                           .where(a_.document_id == document_id).order_by(a_.line_start, a_.id)).all()
    if not apps:
        return []
    kpi_ids = sorted({a.kpi_id for a in apps})
    kpis = {k.id: k for k in session.execute(select(m.Kpi.id, m.Kpi.key, m.Kpi.name, m.Kpi.tier, m.Kpi.parent_id,
                                                    m.Kpi.unit, m.Kpi.reform_item_id).where(m.Kpi.id.in_(kpi_ids)))}
    items = {i.id: i for i in session.execute(select(m.ReformItem.id, m.ReformItem.theme_id, m.ReformItem.number,
                                                     m.ReformItem.name))}
    themes = dict(session.execute(select(m.Theme.id, m.Theme.name)).all())

    def of(model, *columns):
        return _by_kpi(session.execute(select(model.kpi_id, model.line_start, *columns)
                                       .where(model.document_id == document_id).order_by(model.id)))

    targets = of(m.Target, m.Target.text, m.Target.value, m.Target.unit, m.Target.deadline)
    observations = of(m.Observation, m.Observation.text, m.Observation.value, m.Observation.unit, m.Observation.as_of,
                      m.Observation.status, m.Observation.as_of_precision)
    # what the 実績値 column says instead of a figure ("2017年度末に集計予定"): kept by the reader as a note, not a value
    meta = session.scalar(select(m.Document.meta).where(m.Document.id == document_id)) or {}
    notes = meta.get("scheduling_notes", []) if isinstance(meta, dict) else []
    r_ = m.Rating
    official = _by_kpi(session.execute(select(r_.kpi_id, r_.line_start, r_.scheme, r_.code, r_.explanation)
                                       .where(r_.document_id == document_id, r_.official).order_by(r_.id)))
    computed: dict[int, dict[str, object]] = defaultdict(dict)
    for r in session.execute(select(r_.kpi_id, r_.scheme, r_.code, r_.explanation, r_.as_of)
                             .where(r_.kpi_id.in_(kpi_ids), r_.official.is_(False))
                             .order_by(r_.as_of, r_.computed_at, r_.id)):  # the newest date's last
        computed[r.kpi_id][r.scheme] = r

    def in_table(a) -> bool:
        return bool(a.next_measurement) or bool(_on_row(official.get(a.kpi_id, []), a))

    chosen = {a.id for a in apps if in_table(a)}
    for a, b in zip(apps, apps[1:]):
        # A heading row ("…に取り組む市町村数" with every cell "-") printed right above a row of the table.
        last = a.line_end or a.line_start
        if a.id not in chosen and b.id in chosen and last is not None and b.line_start is not None \
                and 0 < b.line_start - last <= _HEADING_GAP:
            chosen.add(a.id)

    out = []
    for a in apps:
        if a.id not in chosen:
            continue
        k = kpis[a.kpi_id]
        item = items.get(k.reform_item_id)
        out.append({
            "appearance_id": a.id, "kpi_id": k.id, "kpi_key": k.key, "kpi_name": k.name, "name": a.name_as_written,
            "markers": list(a.markers or []), "tier": k.tier, "tier_as_written": a.tier_as_written,
            "parent_id": k.parent_id, "unit": k.unit, "line": a.line_start, "line_end": a.line_end,
            "theme": themes.get(item.theme_id) if item else None,
            "item_number": item.number if item else None, "item_name": item.name if item else None,
            "targets": [{"text": t.text, "value": t.value, "unit": t.unit, "deadline": t.deadline} for t in _on_row(targets.get(k.id, []), a)],
            "observations": [{"text": o.text, "value": o.value, "unit": o.unit, "as_of": o.as_of, "status": o.status,
                              "as_of_precision": o.as_of_precision}
                             for o in _on_row(observations.get(k.id, []), a)],
            "official": [{"scheme": r.scheme, "code": r.code, "explanation": r.explanation} for r in _on_row(official.get(k.id, []), a)],
            "computed": [{"scheme": r.scheme, "code": r.code, "explanation": r.explanation, "as_of": r.as_of}
                         for r in computed.get(k.id, {}).values()],
            "next_measurement": a.next_measurement, "next_measurement_date": a.next_measurement_date,
            "scheduling_notes": [n["text"] for n in notes if a.line_start is not None and
                                 a.line_start <= (n.get("line") or 0) <= (a.line_end or a.line_start)],
        })
    return out


def policy_indicator_rows(session: Session, document_id: int) -> list[dict]:
    """The measurement indicators (測定指標) of one policy evaluation sheet in the sheet's order, each with its
    baseline, yearly targets and actuals and the achievement class (達成区分), all from that document."""
    apps = session.scalars(select(m.KpiAppearance).where(m.KpiAppearance.document_id == document_id)
                           .order_by(m.KpiAppearance.line_start, m.KpiAppearance.id)).all()
    kpi_ids = sorted({a.kpi_id for a in apps})
    kpis = {k.id: k for k in session.scalars(select(m.Kpi).where(m.Kpi.id.in_(kpi_ids)))}

    def by_kpi(model, *order):
        out = defaultdict(list)
        for row in session.scalars(select(model).where(model.document_id == document_id).order_by(*order)):
            out[row.kpi_id].append(row)
        return out

    baselines = by_kpi(m.Baseline, m.Baseline.line_start, m.Baseline.id)
    targets = by_kpi(m.Target, m.Target.id)
    observations = by_kpi(m.Observation, m.Observation.as_of, m.Observation.id)
    ratings = by_kpi(m.Rating, m.Rating.id)
    out = []
    for a in apps:
        k = kpis[a.kpi_id]
        # One canonical KPI can be two rows of the sheet (e.g. the e-Gov count under two goals): each row keeps
        # the figures printed from its own line on.
        mine = [b for b in baselines.get(k.id, []) if b.line_start == a.line_start]
        span = (a.line_start, a.line_end or a.line_start)

        def on_row(rows):
            return [x for x in rows if x.line_start is not None and span[0] <= x.line_start <= span[1]]

        out.append({
            "kpi_id": k.id, "name": k.name, "name_as_written": a.name_as_written, "markers": list(a.markers or []),
            "unit": k.unit, "line": a.line_start,
            "baseline": None if not mine else {"text": mine[0].text, "value": mine[0].value, "as_of": mine[0].as_of},
            "targets": [{"text": t.text, "value": t.value, "deadline": t.deadline, "interim": t.interim}
                        for t in on_row(targets.get(k.id, []))],
            "observations": [{"text": o.text, "value": o.value, "as_of": o.as_of}
                             for o in on_row(observations.get(k.id, []))],
            "ratings": [{"scheme": r.scheme, "code": r.code} for r in on_row(
                [r for r in ratings.get(k.id, []) if r.official])],
        })
    return out


# What a published page can show of one KPI: its own row and the rows that hang from it.
_PER_KPI_TABLES = ("kpis", "kpi_appearances", "baselines", "targets", "observations", "ratings", "kpi_summaries")
# What no public page shows: sign-in state, secrets, security log. Everything else counts as "the rest".
# Tables no public page reads: secrets and sign-ins, the change counter and change tokens replaced by every write,
# and what the cycle keeps from the public (evidence files, local bodies' draft answers: an approved answer is written
# to survey_responses).
_NOT_PUBLISHED_TABLES = ("app_secrets", "security_log", "sign_in_attempts", "web_sessions", "change_counter",
                         "kpi_changes", "document_changes", "report_evidence", "survey_answers", "survey_answer_versions")
# A round's rows are public once it is published: an open round's drafts change no public page.
_PUBLISHED_ROUND_ROWS = {"rounds": "id", "reports": "round_id", "round_values": "round_id", "survey_requests": "round_id"}
_PUBLISHED_REPORT_ROWS = ("report_versions", "report_steps")
# What public pages show of an account (a history names who approved): not its password hash, role or state.
_PUBLISHED_COLUMNS = {"users": ("id", "login", "display_name")}
# The columns of a KPI and its ratings that lists and their filters show of KPIs they do not name (facets, counts).
_SHAPE_COLUMNS = {"kpis": ("id", "tier", "parent_id", "reform_item_id", "organisation_id", "direction", "unit"),
                  "ratings": ("kpi_id", "scheme", "code", "official")}


# The triggers of migration 0015 (three a KPI table) that keep kpi_changes and document_changes.
_TRIGGERS = tuple(f"publish_change_{t}_{e}" for t in _PER_KPI_TABLES for e in ("insert", "update", "delete")) + \
    tuple(f"publish_change_{t}_{e}" for t in _PER_KPI_TABLES if t != "kpi_summaries"
          for e in ("replace", "replace_update"))
# Past this share of KPIs changed, reading every row costs less than picking theirs out.
_WHOLE_READ_SHARE = 0.25


def change_tokens(session: Session) -> dict | None:
    """Each KPI's and each document's token, replaced by every write of their rows ({"kpis": {id: token},
    "documents": {id: token}}); None where no trigger keeps them (PostgreSQL, or a database whose triggers are gone)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None
    found = {name for (name,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'publish\\_change\\_%' ESCAPE '\\'")}
    if not found.issuperset(_TRIGGERS):
        return None
    return {"kpis": dict(conn.exec_driver_sql("SELECT kpi_id, token FROM kpi_changes").all()),
            "documents": dict(conn.exec_driver_sql("SELECT document_id, token FROM document_changes").all())}


def _known(since, tokens: dict | None) -> dict | None:
    """The previous versions to start from (their keys as numbers again: a manifest's JSON gives text), when they are
    whole and carry tokens to compare with; else None (everything is read)."""
    if tokens is None or not isinstance(since, dict):
        return None
    try:
        said = {part: {int(k): v for k, v in since[part].items()}
                for part in ("kpis", "documents", "kpi_shapes")}
        said["tokens"] = {part: {int(k): v for k, v in since["tokens"][part].items()} for part in ("kpis", "documents")}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    # whole and of one read: a digest for no KPI or document of its tokens (an edited manifest) would be kept for ever
    if not (said["kpis"].keys() <= said["tokens"]["kpis"].keys() and said["kpi_shapes"].keys() == said["kpis"].keys()
            and said["documents"].keys() <= said["tokens"]["documents"].keys()) or not all(
            type(v) is str for part in ("kpis", "documents", "kpi_shapes") for v in said[part].values()):
        return None
    return said


def _changed(before: dict, now: dict) -> set[int]:
    return {k for k in before.keys() | now.keys() if before.get(k) != now.get(k)}


def publish_versions(session: Session, since: dict | None = None) -> dict:
    """Digests of the stored data, for `mieruka publish` to know which pages changed since its last run:
    "kpis" (id → digest of the KPI's row and every row of its appearances, baselines, targets, actuals, ratings,
    summary), "documents" (id → digest of those rows read from the document), "shape" (what lists show of KPIs they
    do not name: ids, tiers, parents, items, ministries, rating codes; a digest of each KPI's, "kpi_shapes") and
    "rest" (every other published table, whole), with the change tokens they were read at ("tokens", None without
    them). Given the versions of an earlier read (since) and tokens to compare, only the rows of the KPIs and
    documents whose token changed are read; else every row, in one pass, in primary-key order, as the driver gives
    them (no ORM or SQLAlchemy row objects, no JSON decoded: 100,000 rows at 10,000 KPIs)."""
    import hashlib
    from itertools import groupby
    from operator import itemgetter

    from sqlalchemy import inspect as sa_inspect

    parts: dict = defaultdict(list)
    documents: dict = defaultdict(list)
    shapes: dict = defaultdict(list)
    rest = hashlib.sha256()
    conn = session.connection()
    tokens = change_tokens(session)  # first: the rows read below are those of these tokens (one transaction)
    known = _known(since, tokens)
    kpi_ids = doc_ids = None  # None: every row
    if known is not None:
        kpi_ids = _changed(known["tokens"]["kpis"], tokens["kpis"])
        doc_ids = _changed(known["tokens"]["documents"], tokens["documents"])
        if len(kpi_ids) > _WHOLE_READ_SHARE * max(1, len(tokens["kpis"])):
            known, kpi_ids, doc_ids = None, None, None
    present = set(sa_inspect(conn).get_table_names())
    cursor = conn.connection.dbapi_connection.cursor()

    def rows(stmt) -> list:
        cursor.execute(str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})))
        return cursor.fetchall()

    def digest(h, found: list) -> None:
        h.update(b"".join(map(_row_bytes, found)))

    def encoded(of_kpi: list) -> list[bytes]:
        try:
            return [marshal.dumps(r, 2) for r in of_kpi]
        except ValueError:  # a value marshal does not write (another database's dates): that row by its repr
            return [_row_bytes(r) for r in of_kpi]

    try:
        for table in m.Base.metadata.sorted_tables:
            if table.name in _NOT_PUBLISHED_TABLES or table.name not in present:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            if table.name in _PUBLISHED_ROUND_ROWS or table.name in _PUBLISHED_REPORT_ROWS or \
                    table.name in _PUBLISHED_COLUMNS:
                rest.update(table.name.encode("utf-8"))
                digest(rest, rows(_published_rows(table).order_by(*order)))
            elif table.name in _PER_KPI_TABLES:
                key = table.c.id if table.name == "kpis" else table.c.kpi_id
                at = list(table.columns).index(key)
                doc_at = list(table.columns).index(table.c.document_id) if "document_id" in table.c else None
                shape_at = [list(table.columns).index(table.c[c]) for c in _SHAPE_COLUMNS.get(table.name, ())]
                name = table.name.encode("utf-8")
                whole = select(table).order_by(key, *order)
                if kpi_ids is None:
                    read = rows(whole)
                else:
                    read = rows(whole.where(key.in_(sorted(kpi_ids)))) if kpi_ids else []
                for kpi_id, of_kpi in groupby(read, key=itemgetter(at)):
                    of_kpi = list(of_kpi)
                    shown = encoded(of_kpi)
                    # the KPI's rows; what lists show of them; each row also to the document it was read from
                    parts[kpi_id].append(name + b"[" + b"".join(shown) + b"]")
                    if shape_at:
                        shapes[kpi_id].append(name + b"".join(_row_bytes(tuple(r[i] for i in shape_at)) for r in of_kpi))
                    if doc_at is not None and kpi_ids is None:
                        for r, text in zip(of_kpi, shown):
                            if r[doc_at] is not None:
                                documents[r[doc_at]].append(name + text)
                if doc_at is not None and doc_ids:  # the changed documents' rows, in the order a whole read meets them
                    for r in rows(whole.where(table.c.document_id.in_(sorted(doc_ids)))):
                        documents[r[doc_at]].append(name + _row_bytes(r))
            else:
                rest.update(table.name.encode("utf-8"))
                digest(rest, rows(select(table).order_by(*order)))
    finally:
        cursor.close()

    def hashed(found: dict) -> dict:
        return {k: hashlib.sha256(b"".join(p)).hexdigest()[:16] for k, p in found.items()}

    kpis, docs, kpi_shapes = hashed(parts), hashed(documents), hashed(shapes)
    if known is not None:  # the earlier read's, with the changed KPIs and documents as read now (gone when no row is)
        kpis = {**{k: v for k, v in known["kpis"].items() if k not in kpi_ids}, **kpis}
        kpi_shapes = {**{k: v for k, v in known["kpi_shapes"].items() if k not in kpi_ids}, **kpi_shapes}
        docs = {**{k: v for k, v in known["documents"].items() if k not in doc_ids}, **docs}
    shape = hashlib.sha256("".join(f"{k}:{kpi_shapes[k]};" for k in sorted(kpi_shapes)).encode())
    return {"kpis": kpis, "shape": shape.hexdigest(), "rest": rest.hexdigest(), "documents": docs,
            "kpi_shapes": kpi_shapes, "tokens": tokens}


def _row_bytes(row) -> bytes:
    """A row as bytes for a digest: marshal's (format 2: no references, so the same values give the same bytes; 100,000
    rows in a fifth of the time repr takes, most of it the floats), or its repr when it holds a value marshal does not
    write (a date or Decimal as PostgreSQL's driver gives them). Each is self-delimiting: rows joined stay apart. A row
    gives the same bytes whichever rows are read with it (a KPI's, a document's)."""
    try:
        return marshal.dumps(tuple(row), 2)
    except ValueError:
        return b"r" + repr(tuple(row)).encode("utf-8", "surrogatepass")


class VersionReader:
    """publish_versions of one database, read again only when a write was committed since the last read (a publish
    reads them before and after its crawl; most often nothing was written meanwhile). SQLite sees every writer's
    commits; PostgreSQL those made through mieruka (storage.ChangeWatch): a write made by psql during a publish is
    not seen by its second read, only by the next run's. Given the versions of the previous run (start_from), a read
    on SQLite reads only the rows of the KPIs and documents written since (their change tokens)."""

    def __init__(self, url: str):
        from mieruka.storage.db import ChangeWatch

        self.url, self._watch, self._last, self._since = url, ChangeWatch(url), None, None

    def start_from(self, versions: dict | None) -> None:
        """The versions an earlier read gave (a previous run's, from its manifest): read only what changed since."""
        self._since = versions

    def __call__(self) -> dict:
        from mieruka.storage.db import session_scope

        token = self._watch.token()  # before the read: a commit during it changes the next token
        if token is not None and self._last is not None and self._last[0] == token:
            return self._last[1]
        with session_scope(self.url) as session:
            versions = publish_versions(session, self._last[1] if self._last is not None else self._since)
        self._last = (token, versions)
        return versions

    def close(self) -> None:
        self._watch.close()


def _published_rows(table):
    """What of a cycle table the public pages can show: rows of published rounds, an account's name."""
    from mieruka.storage.cycle_models import Report, Round

    if table.name in _PUBLISHED_COLUMNS:
        return select(*(table.c[c] for c in _PUBLISHED_COLUMNS[table.name]))
    published = select(Round.id).where(Round.published_at.is_not(None))
    if table.name in _PUBLISHED_ROUND_ROWS:
        return select(table).where(table.c[_PUBLISHED_ROUND_ROWS[table.name]].in_(published))
    return select(table).where(table.c.report_id.in_(select(Report.id).where(Report.round_id.in_(published))))
