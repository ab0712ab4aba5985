"""Queries of what a report holds beside its fields: its evidence files and its process steps' progress, and the
process steps of a KPI's reform item a report can speak of. The rules are in mieruka.workflow (evidence, steps)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from mieruka.storage import models as m
from mieruka.storage.report_extra_models import ReportEvidence, ReportStep


def evidence_list(session: Session, report_id: int) -> list[ReportEvidence]:
    """The files of a report without their bytes, oldest first."""
    return list(session.scalars(select(ReportEvidence).options(defer(ReportEvidence.raw))
                                .where(ReportEvidence.report_id == report_id).order_by(ReportEvidence.id)))


def evidence_count(session: Session, report_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ReportEvidence)
                          .where(ReportEvidence.report_id == report_id)) or 0


def evidence(session: Session, report_id: int, evidence_id: int) -> ReportEvidence | None:
    row = session.get(ReportEvidence, evidence_id)
    return row if row is not None and row.report_id == report_id else None


def evidence_by_digest(session: Session, report_id: int, sha256: str) -> ReportEvidence | None:
    return session.scalar(select(ReportEvidence).options(defer(ReportEvidence.raw))
                          .where(ReportEvidence.report_id == report_id, ReportEvidence.sha256 == sha256))


def add_evidence(session: Session, row: ReportEvidence) -> ReportEvidence:
    session.add(row)
    session.flush()
    return row


def remove_evidence(session: Session, row: ReportEvidence) -> None:
    session.delete(row)
    session.flush()


def item_steps(session: Session, kpi_id: int) -> list[str]:
    """The process steps of the KPI's reform item as the documents word them, each once, in the order the newest
    document that lists them gives (documents before rounds: a round's own progress rows repeat the steps)."""
    return items_steps(session, [kpi_id]).get(kpi_id, [])


def items_steps(session: Session, kpi_ids: list[int]) -> dict[int, list[str]]:
    """item_steps of many KPIs in two queries (a workbook holds a round's every report)."""
    items = dict(session.execute(select(m.Kpi.id, m.Kpi.reform_item_id).where(
        m.Kpi.id.in_(sorted(set(kpi_ids))), m.Kpi.reform_item_id.is_not(None))).all()) if kpi_ids else {}
    if not items:
        return {}
    P, D = m.ProcessStep, m.Document
    by_item: dict[int, list[str]] = {}
    for item, step in session.execute(
            select(P.reform_item_id, P.step).join(D, D.id == P.document_id)
            .where(P.reform_item_id.in_(sorted(set(items.values()))))
            .order_by(P.reform_item_id, (D.family == "reporting-round"), P.document_id.desc(), P.line_start, P.id)):
        if step:
            by_item.setdefault(item, []).append(step)
    ordered = {item: list(dict.fromkeys(steps)) for item, steps in by_item.items()}
    return {kpi: ordered.get(item, []) for kpi, item in items.items()}


def evidence_lists(session: Session, report_ids: list[int]) -> dict[int, list[ReportEvidence]]:
    """The files of many reports without their bytes, each report's oldest first."""
    out: dict[int, list[ReportEvidence]] = {}
    if report_ids:
        for row in session.scalars(select(ReportEvidence).options(defer(ReportEvidence.raw))
                                   .where(ReportEvidence.report_id.in_(sorted(set(report_ids))))
                                   .order_by(ReportEvidence.report_id, ReportEvidence.id)):
            out.setdefault(row.report_id, []).append(row)
    return out


def report_steps(session: Session, report_ids: list[int]) -> dict[int, list[ReportStep]]:
    out: dict[int, list[ReportStep]] = {}
    if not report_ids:
        return out
    for row in session.scalars(select(ReportStep).where(ReportStep.report_id.in_(sorted(set(report_ids))))
                               .order_by(ReportStep.report_id, ReportStep.position, ReportStep.id)):
        out.setdefault(row.report_id, []).append(row)
    return out


def add_step(session: Session, row: ReportStep) -> ReportStep:
    session.add(row)
    return row


def reform_item_of(session: Session, kpi_id: int) -> int | None:
    return session.scalar(select(m.Kpi.reform_item_id).where(m.Kpi.id == kpi_id))
