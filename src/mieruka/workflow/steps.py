"""The progress a report gives for each process step (改革工程) of its KPI's reform item: typed by the reporter,
seen by the reviewer, saved under the report's optimistic lock as a version of the report, and published with the
round as process steps that cite the round's snapshot (so the item page shows them beside the documents' own)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from mieruka.accounts.service import Principal
from mieruka.storage import models as m
from mieruka.storage import report_extras as store
from mieruka.storage.cycle_models import Report
from mieruka.storage.report_extra_models import ReportStep
from mieruka.workflow.reports import (FORMULA_START, MAX_TEXT, Conflict, InvalidReport, _check_edit, _record,
                                      values)

MAX_STEPS = 200  # a form or a call names at most this many steps


class StepProblem:
    """A step whose text cannot be taken, named by the step, in the page's language."""

    field = "steps"

    def __init__(self, step: str, ja: str, en: str):
        self.step, self.ja, self.en = step, ja, en

    def text(self, lang: str) -> str:
        return f"工程「{self.step[:60]}」: {self.ja}" if lang == "ja" else f"step {self.step[:60]!r}: {self.en}"


def for_report(session: Session, report: Report) -> list[dict]:
    """The steps a report can speak of (its KPI's reform item's, as the documents word them) with the progress the
    report gives for each; a step the report speaks of that the documents no longer list comes last."""
    return for_reports(session, [report])[report.id]


def for_reports(session: Session, reports: list[Report]) -> dict[int, list[dict]]:
    """for_report of many reports in three queries: report id -> its steps."""
    saved_rows = store.report_steps(session, [r.id for r in reports])
    listed = store.items_steps(session, [r.kpi_id for r in reports])
    out = {}
    for report in reports:
        saved = {row.step: row for row in saved_rows.get(report.id, [])}
        steps = list(listed.get(report.kpi_id, []))
        steps += [s for s in saved if s not in steps]
        out[report.id] = [{"position": i, "step": s, "progress": saved[s].progress if s in saved else None}
                          for i, s in enumerate(steps, 1)]
    return out


def read(typed: dict[str, str | None], known: list[str]) -> tuple[dict[str, str | None], list[StepProblem]]:
    """{step: progress or None} from {step: text}; each step must be one of known."""
    out, problems = {}, []
    if len(typed) > MAX_STEPS:
        return {}, [StepProblem("", f"工程は{MAX_STEPS}件までです。", f"at most {MAX_STEPS} steps.")]
    for step, text in typed.items():
        if step not in known:
            problems.append(StepProblem(step, "このKPIの改革項目の工程ではありません。",
                                        "is not a process step of this KPI's reform item."))
            continue
        text = (text or "").strip()
        if len(text) > MAX_TEXT:
            problems.append(StepProblem(step, f"{MAX_TEXT}文字以内にしてください。", f"at most {MAX_TEXT} characters."))
        elif text.startswith(FORMULA_START):
            # the text reaches CSV and XLSX downloads, where such a cell would run as a formula
            problems.append(StepProblem(step, "先頭に = + - @ は使えません(減少は ▲ で書けます)。",
                                        "may not begin with = + - or @ (write a decrease as ▲)."))
        else:
            out[step] = text or None
    return out, problems


def save(session: Session, p: Principal, report: Report, typed: dict[str, str | None], expected_version: int,
         via: str = "web") -> dict:
    """Store the progress of the steps typed ({step: text}); returns {step: (old, new)}. The report's version
    moves (one version row, action save), so two editors of one report meet the usual conflict."""
    _check_edit(session, p, report)
    known = [row["step"] for row in for_report(session, report)]
    progress, problems = read(typed, known)
    if problems:
        raise InvalidReport(problems)
    if report.version != expected_version:
        raise Conflict(report, {}, values(report), report.updated_by, report.updated_at)
    changes = write(session, report, progress, known)
    if changes:
        _record(session, report, p.login, via, "save", changes)
    return changes


def write(session: Session, report: Report, progress: dict[str, str | None], known: list[str]) -> dict:
    """Store progress already read ({step: text}) without recording it; returns {step: (old, new)} of what changed
    (the caller records those as one version of the report)."""
    rows = {row.step: row for row in store.report_steps(session, [report.id]).get(report.id, [])}
    changes = {}
    for step, text in progress.items():
        row = rows.get(step)
        old = row.progress if row else None
        if old == text:
            continue
        changes[step] = (old, text)
        if row is None:
            store.add_step(session, ReportStep(report_id=report.id, position=known.index(step) + 1, step=step,
                                               progress=text))
        else:
            row.progress = text
    return changes


def snapshot_lines(session: Session, reports: list[Report]) -> dict[int, list[dict]]:
    """What the round's snapshot says of each report's steps: [{step, progress}] of those with progress."""
    found = store.report_steps(session, [r.id for r in reports])
    return {rid: [{"step": row.step, "progress": row.progress} for row in rows if row.progress]
            for rid, rows in found.items() if any(row.progress for row in rows)}


def publish(session: Session, report: Report, steps: list[dict], provenance: dict) -> int:
    """The report's step progress as process steps of its KPI's reform item, citing the snapshot's line."""
    item = store.reform_item_of(session, report.kpi_id)
    if item is None:
        return 0
    for s in steps:
        session.add(m.ProcessStep(reform_item_id=item, step=s["step"], progress=s["progress"],
                                  source_text=s["progress"], **provenance))
    return len(steps)
