"""Corrections: nothing published is edited in place. The secretariat opens a correction of a published round: a new
round (closed to reporters) whose reports start as copies of what the round published, submitted; it changes the
values that were wrong, approves them and publishes the correction as a new edition that names the one it corrects.
The corrected edition, its snapshot and its values stay as they were, readable and comparable."""
from __future__ import annotations

from sqlalchemy.orm import Session

from mieruka.accounts import service as accounts
from mieruka.accounts.service import Principal, now
from mieruka.storage import report_extras as extras
from mieruka.storage import workflow as store
from mieruka.storage.cycle_models import Report, ReportVersion, Round
from mieruka.storage.report_extra_models import ReportStep
from mieruka.workflow.reports import FIELDS, MAX_TEXT, UNSAFE_TEXT, UNSAFE_TEXT_MESSAGE, NotAllowed, WorkflowError

_COPIED = (*FIELDS, "target_approved")
# the refusal of an unapproved target change is labelled "target change" (target_text's label) and names in it the
# fields that changed, target_text among them by what it is
_TARGET_NAMES = {"target_text": ("目標値(1セルの記載)", "target as one cell")}


def open_correction(session: Session, p: Principal, corrected: Round, note: str, name: str | None = None,
                    via: str = "web") -> Round:
    """A correction round of a published round, with a submitted copy of each report that round published."""
    if p.role != "secretariat":
        raise NotAllowed("訂正は事務局が行います。", "Only the secretariat opens a correction.")
    if corrected.state != "published":
        raise WorkflowError(f"ラウンド「{corrected.name}」はまだ公表されていません。訂正は公表した版に対して行います。",
                            f"The round {corrected.name!r} is not published; only a published edition is corrected.")
    later = store.corrections_of(session, corrected.id)
    if later and later[-1].state != "published":
        raise WorkflowError(f"訂正「{later[-1].name}」がまだ公表されていません。その訂正で値を直してください。",
                            f"The correction {later[-1].name!r} is not published yet: fix the values in it.")
    if later:
        last = later[-1]
        raise WorkflowError(f"ラウンド「{corrected.name}」には訂正「{last.name}」があります。その訂正を訂正してください。",
                            f"The round {corrected.name!r} has the correction {last.name!r}: correct that one instead.")
    note = (note or "").strip()
    if not note or len(note) > MAX_TEXT:
        raise WorkflowError(f"何を訂正するかを{MAX_TEXT}文字以内で書いてください。",
                            f"Say what the correction corrects, in at most {MAX_TEXT} characters.")
    if UNSAFE_TEXT.search(note):
        raise WorkflowError("訂正の内容: " + UNSAFE_TEXT_MESSAGE[0], "what it corrects: " + UNSAFE_TEXT_MESSAGE[1])
    name = (name or "").strip() or _next_name(session, corrected)
    if UNSAFE_TEXT.search(name):
        raise WorkflowError("ラウンド名: " + UNSAFE_TEXT_MESSAGE[0], "round name: " + UNSAFE_TEXT_MESSAGE[1])
    if len(name) > 200:
        raise WorkflowError("ラウンド名を200文字以内で入力してください。", "Give the round a name of at most 200 characters.")
    if store.round_by_name(session, name):
        raise WorkflowError(f"ラウンド「{name}」は既にあります。", f"A round named {name!r} exists already.")
    at = now()
    rnd = store.add(session, Round(name=name, as_of=corrected.as_of, deadline=corrected.deadline, state="closed",
                                   opened_by=p.login, opened_at=at, closed_at=at, corrects_round_id=corrected.id,
                                   correction_note=note))
    published = store.reports(session, round_id=corrected.id, states=["published"])
    progress = extras.report_steps(session, [r.id for r in published])
    for old in published:
        copy = store.add(session, Report(round_id=rnd.id, kpi_id=old.kpi_id, organisation_id=old.organisation_id,
                                         state="submitted", submitted_by=p.login, submitted_at=at,
                                         **{f: getattr(old, f) for f in _COPIED}))
        for row in progress.get(old.id, []):
            extras.add_step(session, ReportStep(report_id=copy.id, position=row.position, step=row.step,
                                                progress=row.progress))
        session.add(ReportVersion(report_id=copy.id, version=copy.version, at=at, actor=p.login, via=via,
                                  action="correct", changes={"state": [None, "submitted"]},
                                  comment=f"{corrected.name}: {note}"))
    session.flush()
    accounts.log(session, "correction_open", p.login, name, corrects=corrected.name, note=note,
                 reports=len(published))
    return rnd


def _next_name(session: Session, corrected: Round) -> str:
    n = 1
    while store.round_by_name(session, f"{corrected.name}(訂正{n})"):
        n += 1
    return f"{corrected.name}(訂正{n})"


def amend(session: Session, p: Principal, rnd: Round, kpi_id: int, form: dict, approve_target: bool = False,
          via: str = "cli") -> tuple[Report, dict]:
    """Change a correction's report of one KPI (fields as the report form reads them) and approve it: what the
    correction will publish for that KPI. One amendment is one version: the report's history shows the change once,
    not as a return, a resubmission, a save and an approval the secretariat never made one by one. Returns the report
    and what changed ({field: (old, new)}); an amendment that changes nothing (the values it holds, approved already)
    adds no version and returns {}.

    An amendment approves the report, so a target change it brings (any target field: text, value, unit, deadline,
    reason) must be approved with it (approve_target): otherwise it would either keep an approval given to another
    target or be left unapproved and unpublished, while the amendment said "approved". It is refused instead, naming
    the fields that changed, nothing kept."""
    from mieruka.workflow import reports

    if p.role != "secretariat":
        raise NotAllowed("訂正は事務局が行います。", "Only the secretariat amends a correction.")
    if rnd.corrects_round_id is None:
        raise WorkflowError(f"ラウンド「{rnd.name}」は訂正ではありません。", f"The round {rnd.name!r} is not a correction.")
    if rnd.state == "published":
        raise WorkflowError(f"訂正「{rnd.name}」は公表済みです。", f"The correction {rnd.name!r} is published already.")
    found = store.reports(session, round_id=rnd.id, kpi_id=kpi_id)
    if not found:
        raise WorkflowError(f"訂正「{rnd.name}」に KPI {kpi_id} の報告はありません。",
                            f"The correction {rnd.name!r} has no report of KPI {kpi_id}.")
    report = found[0]
    fields, problems = reports.read_fields(form)
    if problems:
        raise reports.InvalidReport(problems)
    differs = {f for f, v in fields.items() if getattr(report, f) != v}
    new_target = fields["target_value"] if "target_value" in differs else report.target_value
    target_changed = [f for f in FIELDS if f in differs and f.startswith("target_")]
    if target_changed and not approve_target:
        # every target field is published with the target (a unit or reason changed under the old approval would
        # publish "500 %"), so any of them changed needs the target approved again, not just its value or deadline
        names = [_TARGET_NAMES.get(f) or reports.LABELS[f] for f in target_changed]
        ja = "・".join(n[0] for n in names)
        en = ", ".join(n[1] for n in names[:-1]) + (" and " if len(names) > 1 else "") + names[-1][1]
        raise reports.InvalidReport([reports.FieldProblem(
            "target_text",
            f"{ja}が変わります。訂正は報告を承認するので、目標の変更も承認するなら --approve-target を付けてください"
            "(変更しないなら目標の項目を外してください)。",
            f"{en} changed; an amendment approves the report, so give --approve-target to approve the target change "
            "too (or leave the target fields out).")])
    was_target = report.target_approved
    # an unchanged target keeps the approval the corrected edition published with it
    target = None if new_target is None else True if approve_target else was_target
    if not differs and report.state == "approved" and target == was_target:
        return report, {}  # the same values, approved already: not a new version of the report
    changes = reports.moved(report, "approved", approved_by=p.login, approved_at=now(), return_comment=None)
    changes.update(reports._changed(report, fields))
    report.target_approved = target
    changes["target_approved"] = (was_target, target)
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    reports._record(session, report, p.login, via, "amend", changes)
    return report, changes


def lineage(session: Session, rnd: Round) -> dict:
    """The edition this round corrects and the corrections of this round, as {id, name, published_at}."""
    def brief(r: Round | None):
        return None if r is None else {"id": r.id, "name": r.name, "state": r.state,
                                       "published_at": r.published_at and r.published_at.isoformat()}

    corrected = store.round_by_id(session, rnd.corrects_round_id) if rnd.corrects_round_id else None
    return {"corrects": brief(corrected), "correction_note": rnd.correction_note,
            "corrected_by": [brief(r) for r in store.corrections_of(session, rnd.id)]}
