"""The row each KPI shows in a list, kept in kpi_summaries when its data is written, and the SQL the lists run over it:
filters, sorting, paging and counts in the database, so a list costs what its page holds, not what the database holds."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Iterable, Iterator

from sqlalchemy import Date, Integer, String, and_, bindparam, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from mieruka.jp import normalise_text
from mieruka.storage import models as m
from mieruka.storage.superseded import superseded_ids, superseded_observation_ids

_CHUNK = 500


def fold(text: str | None) -> str:
    """NFKC and case-folded, as the lists compare text (全角 Ｋ and k match)."""
    return normalise_text(text or "").casefold()


def _first_per_kpi(session: Session, stmt, order) -> dict[int, tuple]:
    """The first row per kpi_id of stmt (whose first column is kpi_id) in the given order, by a window function."""
    rn = func.row_number().over(partition_by=stmt.selected_columns[0], order_by=order).label("rn")
    sub = stmt.add_columns(rn).subquery()
    cols = [c for c in sub.c if c.name != "rn"]
    return {row[0]: row for row in session.execute(select(*cols).where(sub.c.rn == 1))}


def _summaries(session: Session, ids: list[int]) -> list[dict]:
    O, B, T, A, E = m.Observation, m.Baseline, m.Target, m.KpiAppearance, m.Edition
    # The same choices as web.listings: the first baseline; the latest actual with a value (ties: the last stored);
    # the final (non-interim) target of the newest edition; the latest announced next measurement.
    # a printed 見込み is a forecast of a later date: the latest only when the KPI has no actual
    latest = _first_per_kpi(session, select(O.kpi_id, O.value, O.unit, O.as_of, O.status, O.text, O.as_of_precision)
                            .where(O.kpi_id.in_(ids), O.id.not_in(superseded_observation_ids())),
                            [O.value.is_(None), func.coalesce(O.status, "") == "forecast", O.as_of.is_(None),
                             O.as_of.desc(), O.id.desc()])
    base = _first_per_kpi(session, select(B.kpi_id, B.value, B.unit, B.as_of, B.text, B.as_of_precision)
                          .where(B.kpi_id.in_(ids)), [B.id])
    target = _first_per_kpi(session, select(T.kpi_id, T.value, T.deadline, T.unset, T.text, T.deadline_precision)
                            .outerjoin(E, E.id == T.edition_id)
                            .where(T.kpi_id.in_(ids), T.id.not_in(superseded_ids("target"))),
                            [T.interim, E.published.is_(None), E.published.desc(), T.id.desc()])
    said = or_(and_(A.next_measurement.is_not(None), A.next_measurement != ""), A.next_measurement_date.is_not(None))
    nxt = _first_per_kpi(session, select(A.kpi_id, A.next_measurement, A.next_measurement_date)
                         .where(A.kpi_id.in_(ids), said),
                         [A.next_measurement_date.is_(None), A.next_measurement_date.desc(), A.id.desc()])
    # each wording once, in the order it first appeared: a KPI every edition repeats is not searched N times over
    names = defaultdict(list)
    for kpi_id, name in session.execute(select(A.kpi_id, A.name_as_written).where(A.kpi_id.in_(ids))
                                        .group_by(A.kpi_id, A.name_as_written).order_by(func.min(A.id))):
        names[kpi_id].append(name)
    kpis = session.execute(select(m.Kpi.id, m.Kpi.name, m.ReformItem.name, m.Organisation.name)
                           .outerjoin(m.ReformItem, m.ReformItem.id == m.Kpi.reform_item_id)
                           .outerjoin(m.Organisation, m.Organisation.id == m.Kpi.organisation_id)
                           .where(m.Kpi.id.in_(ids)))
    out = []
    for kpi_id, name, item, org in kpis:
        o, b, t, n = latest.get(kpi_id), base.get(kpi_id), target.get(kpi_id), nxt.get(kpi_id)
        out.append({
            "kpi_id": kpi_id, "name_folded": fold(name),
            "search_text": fold(" ".join([name, item or "", org or "", *names.get(kpi_id, [])])),
            "baseline_value": b[1] if b else None, "baseline_unit": b[2] if b else None,
            "baseline_as_of": b[3] if b else None, "baseline_text": b[4] if b else None,
            "latest_value": o[1] if o else None, "latest_unit": o[2] if o else None, "latest_as_of": o[3] if o else None,
            "latest_status": o[4] if o else None, "latest_text": o[5] if o else None,
            "target_value": t[1] if t else None, "target_deadline": t[2] if t else None,
            "target_unset": t[3] if t else None, "target_text": t[4] if t else None,
            "next_measurement": n[1] if n else None, "next_measurement_date": n[2] if n else None,
            "baseline_as_of_precision": b[5] if b else None, "latest_as_of_precision": o[6] if o else None,
            "target_deadline_precision": t[5] if t else None,
        })
    return out


def data_version(session: Session) -> int:
    """The newest version any KPI's data has: it grows with every write of KPI data."""
    return session.scalar(select(func.coalesce(func.max(m.KpiSummary.version), 0)))


def refresh_summaries(session: Session, kpi_ids: Iterable[int] | None = None) -> int:
    """Recompute the list rows of these KPIs (every KPI when None) and give them a new data version; returns it.
    Every write of a KPI's baselines, targets, observations, ratings or appearances calls this for that KPI."""
    session.flush()
    ids = sorted(set(kpi_ids)) if kpi_ids is not None else list(session.scalars(select(m.Kpi.id).order_by(m.Kpi.id)))
    version = data_version(session) + 1
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        rows = _summaries(session, chunk)
        session.execute(delete(m.KpiSummary).where(m.KpiSummary.kpi_id.in_(chunk)))
        if rows:
            session.execute(insert(m.KpiSummary), [{**r, "version": version} for r in rows])
    return version


def summaries_missing(session: Session) -> bool:
    """Whether some KPI has no list row (ensure_summaries would write)."""
    return session.scalar(select(m.Kpi.id).outerjoin(m.KpiSummary, m.KpiSummary.kpi_id == m.Kpi.id)
                          .where(m.KpiSummary.kpi_id.is_(None)).limit(1)) is not None


def ensure_summaries(session: Session) -> int:
    """List rows for the KPIs that have none (a database written before they were kept); returns how many."""
    missing = list(session.scalars(select(m.Kpi.id).outerjoin(m.KpiSummary, m.KpiSummary.kpi_id == m.Kpi.id)
                                   .where(m.KpiSummary.kpi_id.is_(None))))
    if missing:
        refresh_summaries(session, missing)
    return len(missing)


def kpi_versions(session: Session, kpi_ids: list[int] | None = None) -> dict[int, int]:
    q = select(m.KpiSummary.kpi_id, m.KpiSummary.version)
    if kpi_ids is not None:
        q = q.where(m.KpiSummary.kpi_id.in_(kpi_ids))
    return dict(session.execute(q).all())


# --- the KPI list ---------------------------------------------------------------------------------------------------

RATING_BASES = ("official", "computed")


@dataclass
class KpiQuery:
    """One filter of the KPI list, for the page, the API, the downloads and the CLI. basis names the rating filtered,
    sorted on and shown as "rating": "official" (what the documents published), "computed" (mieruka's recomputation)
    or None (the published rating, else the computed one). With as_of, a published rating counts when dated by then
    and a computed one when it was made as of that very date (ratings are stored, never computed here)."""

    scheme: str = "reform-schedule"
    item: int | None = None
    ministry: str | None = None
    tier: int | None = None
    rating: str | None = None
    q: str | None = None
    sort: str = "id"
    desc: bool = False
    parent: int | None = None
    ids: list[int] | None = None
    basis: str | None = None
    as_of: date | None = None


SUMMARY_FIELDS = ["baseline_value", "baseline_unit", "baseline_as_of", "baseline_text", "latest_value", "latest_unit",
                  "latest_as_of", "latest_status", "latest_text", "target_value", "target_deadline", "target_unset",
                  "target_text", "next_measurement", "next_measurement_date", "baseline_as_of_precision",
                  "latest_as_of_precision", "target_deadline_precision"]


def _rating_code(scheme, official: bool, as_of=None):
    """The code of the latest rating of the KPI under scheme (ties: the last stored), computed or official: a lookup
    per KPI row through ix_ratings_kpi_id_scheme_official, evaluated only for the rows a query returns. With as_of
    (a value or a bound parameter), an official rating counts when dated by then (or undated), a computed one when it
    was made as of that date."""
    R = aliased(m.Rating)
    where = [R.kpi_id == m.Kpi.id, R.scheme == scheme, R.official == official]
    if as_of is not None:
        where.append(or_(R.as_of.is_(None), R.as_of <= as_of) if official else R.as_of == as_of)
    q = select(R.code).where(*where).order_by(R.as_of.is_(None), R.as_of.desc(), R.id.desc()).limit(1)
    return q.correlate(m.Kpi).scalar_subquery()


def _shown(basis: str | None, rc, ro):
    """The rating a row shows under basis, and which one it is ("official" or "computed")."""
    if basis == "official":
        return ro, case((ro.is_not(None), "official"), else_=None)
    if basis == "computed":
        return rc, case((rc.is_not(None), "computed"), else_=None)
    return func.coalesce(ro, rc), case((ro.is_not(None), "official"), (rc.is_not(None), "computed"), else_=None)


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ordered(expr, dialect: str):
    """Text compared by code point, as Python compares it (PostgreSQL would otherwise use the locale's collation)."""
    return expr.collate("C") if dialect == "postgresql" else expr


@lru_cache(maxsize=256)
def _statements(dialect: str, sort: str, desc: bool, filters: tuple[str, ...], terms: int, limited: bool,
                basis: str | None = None, dated: bool = False):
    """The count and the page statements for one shape of filter, built once: the values are bound parameters.
    Building SQLAlchemy constructs costs more than running these queries, so a request only binds values."""
    K, S, RI, O = m.Kpi, m.KpiSummary, m.ReformItem, m.Organisation
    scheme = bindparam("scheme", type_=String)
    as_of = bindparam("as_of", type_=Date) if dated else None
    rc, ro = _rating_code(scheme, False, as_of), _rating_code(scheme, True, as_of)
    shown, _ = _shown(basis, rc, ro)
    cols = [K.id, K.name, K.tier, K.reform_item_id, RI.number.label("reform_item_number"), RI.name.label("reform_item"),
            O.name.label("ministry"), K.organisation_inferred.label("ministry_inferred"), K.unit, K.direction,
            K.after_the_fact, K.parent_id, *(getattr(S, c) for c in SUMMARY_FIELDS), rc.label("rating_computed"),
            ro.label("rating_official")]
    # the shown rating and its basis are made from these two in _row: in SQL each would run both lookups again per
    # row (SQLite does not share a subquery between columns), three times the lookups of a 2,000-row download
    q = (select(*cols).select_from(K)
         .outerjoin(S, S.kpi_id == K.id).outerjoin(RI, RI.id == K.reform_item_id).outerjoin(O, O.id == K.organisation_id))
    conditions = {"item": lambda: K.reform_item_id == bindparam("item"), "ministry": lambda: O.name == bindparam("ministry"),
                  "tier": lambda: K.tier == bindparam("tier"), "rating": lambda: shown == bindparam("rating"),
                  "parent": lambda: K.parent_id == bindparam("parent"),
                  "ids": lambda: K.id.in_(bindparam("ids", expanding=True))}
    for name in filters:
        q = q.where(conditions[name]())
    for i in range(terms):
        q = q.where(S.search_text.like(bindparam(f"q{i}", type_=String), escape="\\"))
    keys = {"id": K.id, "name": _ordered(func.coalesce(S.name_folded, K.name), dialect), "item": K.reform_item_id,
            "ministry": _ordered(O.name, dialect), "tier": K.tier, "rating": _ordered(shown, dialect),
            "latest": S.latest_as_of, "deadline": S.target_deadline}
    key = keys.get(sort, K.id)
    if sort == "id":
        order = [K.id.desc() if desc else K.id]
    else:
        # None last (first when descending), equal keys in id order: Python's stable sort, which the lists used to do.
        nulls = case((key.is_(None), 1), else_=0)
        order = [nulls.desc(), key.desc()] if desc else [nulls, key]
        order.append(K.id.desc() if desc and sort == "item" else K.id)
    count = q.with_only_columns(func.count(), maintain_column_froms=True)
    page = q.order_by(*order)
    if limited:
        page = page.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))
    return count, page


def _bound(session: Session, f: KpiQuery, limited: bool):
    values = {"item": f.item, "ministry": f.ministry or None, "tier": f.tier, "rating": f.rating or None,
              "parent": f.parent, "ids": f.ids}
    filters = tuple(k for k, v in values.items() if v is not None)
    terms = [fold(t) for t in (f.q or "").split() if t]
    params = {"scheme": f.scheme, **{k: values[k] for k in filters},
              **{f"q{i}": f"%{_like_escape(t)}%" for i, t in enumerate(terms)}}
    if f.as_of is not None:
        params["as_of"] = f.as_of
    stmts = _statements(session.get_bind().dialect.name, f.sort if f.sort in KPI_SORT_KEYS else "id", bool(f.desc),
                        filters, len(terms), limited, f.basis if f.basis in RATING_BASES else None, f.as_of is not None)
    return stmts, params


KPI_SORT_KEYS = ("id", "name", "item", "ministry", "tier", "rating", "latest", "deadline")


def _row(r, f: KpiQuery) -> dict:
    *values, computed, official = r  # the statement's last two columns (_statements)
    row = dict(zip(r._fields, values))
    basis = f.basis if f.basis in RATING_BASES else None
    if basis == "computed" or (basis is None and official is None):
        shown, which = computed, "computed" if computed is not None else None
    else:
        shown, which = official, "official" if official is not None else None
    # the columns in the order the lists always had them
    row.update(rating=shown, rating_basis=which, rating_computed=computed, rating_official=official,
               scheme=f.scheme, evaluation_date=f.as_of)
    return row


def kpi_count(session: Session, f: KpiQuery) -> int:
    (count, _), params = _bound(session, f, False)
    return session.scalar(count, params)


def kpi_page(session: Session, f: KpiQuery, limit: int | None, offset: int = 0) -> list[dict]:
    """The rows passing the filter from offset in order (limit of them; all when limit is None)."""
    (_, page), params = _bound(session, f, limit is not None)
    if limit is not None:
        params = {**params, "limit": limit, "offset": offset}
    rows = session.execute(page, params)
    return [_row(r, f) for r in rows] if limit is not None or not offset else [_row(r, f) for r in rows][offset:]


def iter_kpi_rows(session: Session, f: KpiQuery, batch: int = 500) -> Iterator[dict]:
    """Every row passing the filter in order, fetched batch by batch (for downloads)."""
    (_, page), params = _bound(session, f, False)
    # Core rows on the session's connection: the ORM's result machinery cost as much as the query
    result = session.connection().execution_options(yield_per=batch).execute(page, params)
    for rows in result.partitions():
        for r in rows:
            yield _row(r, f)


def kpi_choices(session: Session, scheme: str, basis: str | None = None, as_of: date | None = None) -> dict[str, list]:
    """What the list's filter menus offer: the ministries, tiers and shown rating codes among all KPIs."""
    K, O = m.Kpi, m.Organisation
    shown, _ = _shown(basis if basis in RATING_BASES else None, _rating_code(scheme, False, as_of),
                      _rating_code(scheme, True, as_of))
    codes = session.scalars(select(shown).select_from(K).distinct())
    return {
        "ministries": sorted(n for n in session.scalars(select(O.name).join(K, K.organisation_id == O.id).distinct()) if n),
        "tiers": sorted(t for t in session.scalars(select(K.tier).distinct()) if t is not None),
        "ratings": sorted(c for c in codes if c),
    }


def kpi_rating_counts(session: Session, scheme: str, as_of: date | None = None, basis: str | None = None) -> list[dict]:
    """How many KPIs have each (reform item, ministry, shown, computed, official) combination: what the overview counts.
    As of a date: the published ratings dated by then, the computed ones made as of that date (see KpiQuery)."""
    K, RI, O = m.Kpi, m.ReformItem, m.Organisation
    per_kpi = (select(K.reform_item_id.label("item_id"), RI.number.label("number"), RI.name.label("item"),
                      O.name.label("ministry"), _rating_code(scheme, False, as_of).label("rc"),
                      _rating_code(scheme, True, as_of).label("ro"))
               .select_from(K).outerjoin(RI, RI.id == K.reform_item_id).outerjoin(O, O.id == K.organisation_id)
               .subquery())
    c = per_kpi.c
    shown, _ = _shown(basis if basis in RATING_BASES else None, c.rc, c.ro)
    q = (select(c.item_id, c.number, c.item, c.ministry, shown, c.rc, c.ro, func.count())
         .group_by(c.item_id, c.number, c.item, c.ministry, shown, c.rc, c.ro))
    return [{"reform_item_id": a, "reform_item_number": b, "reform_item": c, "ministry": d, "rating": e,
             "rating_computed": f, "rating_official": g, "n": n} for a, b, c, d, e, f, g, n in session.execute(q)]


def kpi_names(session: Session, ids: list[int]) -> dict[int, str]:
    return dict(session.execute(select(m.Kpi.id, m.Kpi.name).where(m.Kpi.id.in_(ids))).all()) if ids else {}


def kpi_children(session: Session, kpi_id: int) -> list[dict]:
    return kpi_children_of(session, [kpi_id])[kpi_id]


def kpi_children_of(session: Session, kpi_ids: list[int]) -> dict[int, list[dict]]:
    """Each KPI's children ({"id", "name"} in id order), for many KPIs in one query."""
    out: dict[int, list[dict]] = {k: [] for k in kpi_ids}
    if kpi_ids:
        for i, n, parent in session.execute(select(m.Kpi.id, m.Kpi.name, m.Kpi.parent_id)
                                            .where(m.Kpi.parent_id.in_(sorted(set(kpi_ids)))).order_by(m.Kpi.id)):
            out[parent].append({"id": i, "name": n})
    return out


def newest_actual(session: Session):
    """The date of the newest actual in the database (a printed 見込み forecasts a later date: not an actual)."""
    return session.scalar(select(func.max(m.Observation.as_of)).where(m.Observation.status.is_distinct_from("forecast")))


def published_schemes(session: Session) -> list[str]:
    """The schemes some document published ratings under (the overview heads with those)."""
    return list(session.scalars(select(m.Rating.scheme).where(m.Rating.official.is_(True)).distinct()
                                .order_by(m.Rating.scheme)))
