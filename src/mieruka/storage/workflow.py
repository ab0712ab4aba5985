"""Queries of the reporting cycle: rounds, reports, their versions, KPI ownership and what a published round wrote.
mieruka.workflow holds the rules (who may do what, in which state); this module only reads and writes rows."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm import Session

from mieruka.storage import models as m
from mieruka.storage.cycle_models import KpiOwner, Report, ReportVersion, Round, RoundValue, User


def round_by_id(session: Session, round_id: int) -> Round | None:
    return session.get(Round, round_id)


def round_kept_open(session: Session, round_id: int) -> Round | None:
    """The round, with a shared lock on its row until the transaction ends (PostgreSQL; SQLite's writer already
    holds the whole database): a save that found the round open cannot commit after it was closed or published,
    as closing and publishing update the row and so wait for the saves that read it."""
    return session.scalar(_ROUND_KEPT_OPEN, {"round_id": round_id})


# built once (a statement object keeps its cache key): every report save asks
_ROUND_KEPT_OPEN = (select(Round).where(Round.id == bindparam("round_id")).with_for_update(read=True)
                    .execution_options(populate_existing=True))


def round_by_name(session: Session, name: str) -> Round | None:
    return session.scalar(select(Round).where(Round.name == name))


def all_rounds(session: Session) -> list[Round]:
    return list(session.scalars(select(Round).order_by(Round.id.desc())))


def add(session: Session, row):
    session.add(row)
    session.flush()
    return row


def owners(session: Session) -> dict[int, int | None]:
    """Each KPI's owning organisation: the secretariat's assignment, else the KPI's own ministry, else the
    organisation most KPIs of its reform item name (the item's lead ministry, as the data shows it)."""
    kpis = session.execute(select(m.Kpi.id, m.Kpi.organisation_id, m.Kpi.reform_item_id)).all()
    by_item: dict[int, Counter] = {}
    for _, org, item in kpis:
        if org is not None and item is not None:
            by_item.setdefault(item, Counter())[org] += 1
    lead = {}
    for item, counts in by_item.items():
        ranked = counts.most_common(2)
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            lead[item] = ranked[0][0]
    assigned = dict(session.execute(select(KpiOwner.kpi_id, KpiOwner.organisation_id)).all())
    return {k: assigned.get(k, org if org is not None else lead.get(item)) for k, org, item in kpis}


def assigned_owner(session: Session, kpi_id: int) -> dict | None:
    """The secretariat's assignment of one KPI ({"organisation", "assigned_by", "assigned_at"}), or None."""
    return assigned_owners(session, [kpi_id]).get(kpi_id)


def assigned_owners(session: Session, kpi_ids: list[int]) -> dict[int, dict]:
    """assigned_owner of many KPIs in one query: KPI id → its assignment (KPIs without one left out)."""
    if not kpi_ids:
        return {}
    return {k: {"organisation": org, "assigned_by": by, "assigned_at": at} for k, org, by, at in session.execute(
        select(KpiOwner.kpi_id, m.Organisation.name, KpiOwner.assigned_by, KpiOwner.assigned_at)
        .join(m.Organisation, m.Organisation.id == KpiOwner.organisation_id)
        .where(KpiOwner.kpi_id.in_(sorted(set(kpi_ids)))))}


def assign_owner(session: Session, kpi_id: int, organisation_id: int, actor: str, at: datetime) -> None:
    row = session.get(KpiOwner, kpi_id)
    if row is None:
        session.add(KpiOwner(kpi_id=kpi_id, organisation_id=organisation_id, assigned_by=actor, assigned_at=at))
    else:
        row.organisation_id, row.assigned_by, row.assigned_at = organisation_id, actor, at
    session.flush()


def kpi_names(session: Session, ids: list[int] | None = None) -> dict[int, tuple[str, str | None]]:
    q = select(m.Kpi.id, m.Kpi.name, m.Kpi.unit)
    if ids is not None:
        q = q.where(m.Kpi.id.in_(ids))
    return {r[0]: (r[1], r[2]) for r in session.execute(q)}


def organisation_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(m.Organisation.id, m.Organisation.name)).all())


def report_names(session: Session, kpi_id: int, organisation_id: int | None) -> tuple[str, str | None]:
    """A report's KPI name and its organisation's name, in one query (a conflict's answer names both)."""
    org = select(m.Organisation.name).where(m.Organisation.id == organisation_id).scalar_subquery()
    row = session.execute(select(m.Kpi.name, org).where(m.Kpi.id == kpi_id)).first()
    return (row[0], row[1]) if row else ("", None)


def organisation_name(session: Session, organisation_id: int | None) -> str | None:
    return session.scalar(select(m.Organisation.name).where(m.Organisation.id == organisation_id)) \
        if organisation_id is not None else None


def organisation_id(session: Session, name: str) -> int | None:
    return session.scalar(select(m.Organisation.id).where(m.Organisation.name == name))


def reports(session: Session, round_id: int | None = None, organisation_ids: list[int] | None = None,
            states: list[str] | None = None, kpi_id: int | None = None,
            report_ids: list[int] | None = None, kpi_ids: list[int] | None = None) -> list[Report]:
    q = select(Report).order_by(Report.round_id, Report.kpi_id)
    if kpi_ids is not None:
        q = q.where(Report.kpi_id.in_(sorted(set(kpi_ids))))
    if report_ids is not None:
        q = q.where(Report.id.in_(sorted(set(report_ids))))
    if round_id is not None:
        q = q.where(Report.round_id == round_id)
    if organisation_ids is not None:
        q = q.where(Report.organisation_id.in_(organisation_ids))
    if states:
        q = q.where(Report.state.in_(states))
    if kpi_id is not None:
        q = q.where(Report.kpi_id == kpi_id)
    return list(session.scalars(q))


def report(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def state_counts(session: Session, round_id: int) -> dict[str, int]:
    return dict(session.execute(select(Report.state, func.count()).where(Report.round_id == round_id)
                                .group_by(Report.state)).all())


def versions(session: Session, report_ids: list[int]) -> list[ReportVersion]:
    if not report_ids:
        return []
    return list(session.scalars(select(ReportVersion).where(ReportVersion.report_id.in_(report_ids))
                                .order_by(ReportVersion.at, ReportVersion.id)))


def display_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(User.login, User.display_name)).all())


def plan_named(session: Session, name: str) -> m.Plan:
    plan = session.scalar(select(m.Plan).where(m.Plan.name == name))
    return plan or add(session, m.Plan(name=name))


def edition(session: Session, plan_id: int, name: str, published: date) -> m.Edition:
    return add(session, m.Edition(plan_id=plan_id, name=name, published=published))


def round_values(session: Session, round_id: int) -> list[RoundValue]:
    return list(session.scalars(select(RoundValue).where(RoundValue.round_id == round_id).order_by(RoundValue.id)))


def last_published(session: Session, kpi_ids: list[int], chunk: int = 500) -> dict[int, dict]:
    """Each KPI's latest published actual (its text as printed), official reform-schedule rating and target text."""
    out: dict[int, dict] = {}
    ids = sorted(set(kpi_ids))
    O, R, T = m.Observation, m.Rating, m.Target
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        for kpi_id, text, value, unit, _ in session.execute(
                select(O.kpi_id, O.text, O.value, O.unit, O.as_of).where(O.kpi_id.in_(part))
                .order_by(O.kpi_id, O.as_of.is_(None).desc(), O.as_of, O.id)):
            out.setdefault(kpi_id, {})["actual"] = text or (f"{value:g}{unit or ''}" if value is not None else None)
        for kpi_id, code in session.execute(
                select(R.kpi_id, R.code).where(R.kpi_id.in_(part), R.official.is_(True), R.scheme == "reform-schedule")
                .order_by(R.kpi_id, R.as_of.is_(None).desc(), R.as_of, R.id)):
            out.setdefault(kpi_id, {})["rating"] = code
        for kpi_id, text in session.execute(select(T.kpi_id, T.text).where(T.kpi_id.in_(part)).order_by(T.kpi_id, T.id)):
            out.setdefault(kpi_id, {})["target"] = text
    return out


def update_reports(session: Session, changes: list[tuple[Report, dict]]) -> int:
    """Many reports at once, each only where it still has the version it was read at (the optimistic lock): one
    executemany UPDATE per set of columns instead of one statement per report, as the ORM does for versioned rows.
    Each dict holds the new column values, `version` included. The objects take the new values as their loaded
    state. Returns how many rows were updated; fewer than len(changes) means another transaction got in between."""
    groups: dict[tuple, list[tuple[Report, dict]]] = {}
    for report, values in changes:
        groups.setdefault(tuple(sorted(values)), []).append((report, values))
    table = Report.__table__
    done = 0
    for columns, items in groups.items():
        stmt = (update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_old"))
                .values({c: bindparam(c) for c in columns}))
        result = session.connection().execute(stmt, [{"_id": r.id, "_old": r.version, **v} for r, v in items])
        done += result.rowcount
    for report, values in changes:
        for column, value in values.items():
            set_committed_value(report, column, value)
    return done


def edition_values(session: Session, rnd: Round) -> dict[int, dict]:
    """For each KPI a published round reported: what the round published (actual, official rating, target) and
    what was published before it (the latest of each from documents and rounds added before the round was)."""
    O, R, T, D = m.Observation, m.Rating, m.Target, m.Document
    links = round_values(session, rnd.id)
    reports_by_id = {r.id: r for r in reports(session, round_id=rnd.id, states=["published"])}
    out: dict[int, dict] = {r.kpi_id: {"kpi_id": r.kpi_id} for r in reports_by_id.values()}
    for link in links:
        kpi = reports_by_id[link.report_id].kpi_id
        if link.observation_id:
            o = session.get(O, link.observation_id)
            out[kpi]["new_actual"] = {"value": o.value, "unit": o.unit, "as_of": o.as_of, "text": o.text}
        elif link.rating_id:
            out[kpi]["new_rating"] = session.get(R, link.rating_id).code
        elif link.target_id:
            out[kpi]["new_target"] = session.get(T, link.target_id).text
    ids = sorted(out)
    before = select(D.id).where(D.ingested_at < rnd.published_at, D.id != rnd.document_id)
    corrected = session.get(Round, rnd.corrects_round_id) if rnd.corrects_round_id else None
    if corrected is not None:  # a correction beside what the edition it corrects published
        before = select(D.id).where(D.id == corrected.document_id)
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for kpi, value, unit, as_of, text in session.execute(
                select(O.kpi_id, O.value, O.unit, O.as_of, O.text).where(O.kpi_id.in_(part), O.document_id.in_(before))
                .order_by(O.kpi_id, O.as_of.is_(None).desc(), O.as_of, O.id)):
            out[kpi]["old_actual"] = {"value": value, "unit": unit, "as_of": as_of, "text": text}
        for kpi, code in session.execute(
                select(R.kpi_id, R.code).where(R.kpi_id.in_(part), R.official.is_(True), R.scheme == "reform-schedule",
                                               R.document_id.in_(before))
                .order_by(R.kpi_id, R.as_of.is_(None).desc(), R.as_of, R.id)):
            out[kpi]["old_rating"] = code
        for kpi, text in session.execute(select(T.kpi_id, T.text).where(T.kpi_id.in_(part), T.document_id.in_(before))
                                         .order_by(T.kpi_id, T.id)):
            out[kpi]["old_target"] = text
    names = kpi_names(session, ids)
    for kpi, row in out.items():
        row["kpi"] = names.get(kpi, ("", None))[0]
    return out


def corrections_of(session: Session, round_id: int) -> list[Round]:
    """The rounds that correct this one, oldest first."""
    return list(session.scalars(select(Round).where(Round.corrects_round_id == round_id).order_by(Round.id)))


def previous_published_round(session: Session, rnd: Round) -> Round | None:
    if rnd.corrects_round_id:  # a correction is compared with the edition it corrects
        return session.get(Round, rnd.corrects_round_id)
    return session.scalar(select(Round).where(Round.state == "published", Round.published_at < rnd.published_at)
                          .order_by(Round.published_at.desc()).limit(1))
