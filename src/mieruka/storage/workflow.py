"""Queries of the reporting cycle: rounds, reports, their versions, KPI ownership and what a published round wrote.
mieruka.workflow holds the rules (who may do what, in which state); this module only reads and writes rows."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mieruka.storage import models as m
from mieruka.storage.cycle_models import KpiOwner, Report, ReportVersion, Round, RoundValue, User


def round_by_id(session: Session, round_id: int) -> Round | None:
    return session.get(Round, round_id)


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


def organisation_id(session: Session, name: str) -> int | None:
    return session.scalar(select(m.Organisation.id).where(m.Organisation.name == name))


def reports(session: Session, round_id: int | None = None, organisation_ids: list[int] | None = None,
            states: list[str] | None = None, kpi_id: int | None = None,
            report_ids: list[int] | None = None) -> list[Report]:
    q = select(Report).order_by(Report.round_id, Report.kpi_id)
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
