"""Rounds: opened by the secretariat with a report for every owned KPI, closed, then published once as an edition.
Publishing writes the approved values as observations, targets and official ratings whose document is the round's
snapshot (kept raw, with its sha256, like any ingested document) and links each back to its report (round_values)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from mieruka.accounts import service as accounts
from mieruka.accounts.service import Principal, now
from mieruka.jp.dates import precision_of
from mieruka.jp.eras import ERAS
from mieruka.storage import models as m
from mieruka.storage import workflow as store
from mieruka.storage.cycle_models import Report, ReportVersion, Round, RoundValue
from mieruka.workflow import corrections
from mieruka.workflow import steps as step_progress
from mieruka.workflow.reports import RATING_SCHEME, STATUSES, as_of_refusal, UNSAFE_TEXT, UNSAFE_TEXT_MESSAGE, NotAllowed, WorkflowError

SNAPSHOT_FAMILY = "reporting-round"


def _secretariat(p: Principal) -> None:
    if p.role != "secretariat":
        raise NotAllowed("ラウンドの操作は事務局が行います。", "Only the secretariat manages rounds.")


FIRST_ERA_DAY = min(era[2] for era in ERAS)
MAX_ID = 2**31 - 1  # row ids are INTEGER columns (32-bit on PostgreSQL): a larger number can only be a name


def get(session: Session, ref: str | int) -> Round:
    """A round by id or by name."""
    rnd = store.round_by_id(session, int(ref)) if str(ref).isdigit() and int(ref) <= MAX_ID else None
    rnd = rnd or store.round_by_name(session, str(ref))
    if rnd is None:
        raise WorkflowError(f"ラウンド「{ref}」はありません。", f"There is no round {ref!r}.")
    return rnd


def open_round(session: Session, p: Principal, name: str, as_of: date, deadline: date, via: str = "web") -> Round:
    """A new round with one draft report for every KPI that has an owner."""
    _secretariat(p)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise WorkflowError("ラウンド名を200文字以内で入力してください。", "Give the round a name of at most 200 characters.")
    if UNSAFE_TEXT.search(name):
        raise WorkflowError("ラウンド名: " + UNSAFE_TEXT_MESSAGE[0], "round name: " + UNSAFE_TEXT_MESSAGE[1])
    if store.round_by_name(session, name):
        raise WorkflowError(f"ラウンド「{name}」は既にあります。", f"A round named {name!r} exists already.")
    for label, when in ((("基準日", "as-of date"), as_of), (("締切", "deadline"), deadline)):
        refusal = as_of_refusal(when)
        if refusal:
            raise WorkflowError(f"{label[0]}: {refusal[0]}", f"{label[1]}: {refusal[1]}")
    if deadline < as_of:
        raise WorkflowError("締切は基準日より後にしてください。", "The deadline must not be before the as-of date.")
    rnd = store.add(session, Round(name=name, as_of=as_of, deadline=deadline, state="open", opened_by=p.login,
                                   opened_at=now()))
    for kpi_id, org in sorted(store.owners(session).items()):
        if org is None:
            continue
        report = store.add(session, Report(round_id=rnd.id, kpi_id=kpi_id, organisation_id=org, state="draft"))
        session.add(ReportVersion(report_id=report.id, version=report.version, at=rnd.opened_at, actor=p.login,
                                  via=via, action="open", changes={"state": [None, "draft"]}))
    session.flush()
    accounts.log(session, "round_open", p.login, name, as_of=as_of.isoformat(), deadline=deadline.isoformat())
    return rnd


def assign(session: Session, p: Principal, kpi_id: int, organisation: str, via: str = "web") -> None:
    """The secretariat gives a KPI to an organisation; its reports in open rounds follow (a new one where none)."""
    _secretariat(p)
    org_id = store.organisation_id(session, organisation)
    if org_id is None:
        raise WorkflowError(f"府省庁「{organisation}」はありません。", f"There is no organisation {organisation!r}.")
    if kpi_id not in store.kpi_names(session, [kpi_id]):
        raise WorkflowError(f"KPI {kpi_id} はありません。", f"There is no KPI {kpi_id}.")
    store.assign_owner(session, kpi_id, org_id, p.login, now())
    for rnd in store.all_rounds(session):
        if rnd.state != "open":
            continue
        found = store.reports(session, round_id=rnd.id, kpi_id=kpi_id)
        if found:
            found[0].organisation_id = org_id
        else:
            store.add(session, Report(round_id=rnd.id, kpi_id=kpi_id, organisation_id=org_id, state="draft"))
    accounts.log(session, "kpi_assign", p.login, f"KPI {kpi_id}", organisation=organisation)


def close_round(session: Session, p: Principal, rnd: Round) -> None:
    _secretariat(p)
    if rnd.state != "open":
        raise WorkflowError(f"ラウンド「{rnd.name}」は開いていません。", f"The round {rnd.name!r} is not open.")
    rnd.state, rnd.closed_at = "closed", now()
    accounts.log(session, "round_close", p.login, rnd.name)


@dataclass
class Published:
    round: Round
    reports: int
    observations: int
    targets: int
    ratings: int
    rerated: list[str]


def _snapshot(rnd: Round, approved: list[Report], kpis: dict, orgs: dict,
              steps: dict[int, list[dict]] | None = None) -> tuple[bytes, dict[int, int]]:
    """The edition as a JSON document, one report per line (so each value cites its line), and the line of each."""
    head = {"round": rnd.name, "as_of": rnd.as_of.isoformat(), "published_by": rnd.published_by,
            "published_at": rnd.published_at.isoformat()}
    if rnd.corrects_round_id:
        head["corrects_round_id"] = rnd.corrects_round_id
    lines = [json.dumps(head, ensure_ascii=False)]
    steps = steps or {}
    where = {}
    for r in approved:
        where[r.id] = len(lines) + 1
        lines.append(json.dumps({
            "kpi_id": r.kpi_id, "kpi": kpis[r.kpi_id][0], "organisation": orgs.get(r.organisation_id),
            "actual": r.actual_text, "value": r.value, "unit": r.unit, "as_of": r.as_of and r.as_of.isoformat(),
            "status": r.status, "next_measurement": r.next_measurement, "rating": r.proposed_rating,
            "rating_reason": r.rating_reason,
            "target": None if not r.target_approved else {
                "text": r.target_text, "value": r.target_value, "unit": r.target_unit,
                "deadline": r.target_deadline and r.target_deadline.isoformat(), "reason": r.target_reason},
            "reported_by": r.submitted_by, "submitted_at": r.submitted_at and r.submitted_at.isoformat(),
            "approved_by": r.approved_by, "approved_at": r.approved_at and r.approved_at.isoformat(),
            **({"steps": steps[r.id]} if r.id in steps else {}),
        }, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode(), where


def _cell(r: Report) -> str:
    if r.actual_text:
        return r.actual_text
    status = STATUSES.get(r.status or "", ("", ""))[0]
    return f"{r.value:g}{r.unit or ''} ({r.as_of.isoformat() if r.as_of else ''}{status})"


def _precision(r: Report) -> str | None:
    """How precisely the reporter gave the value's date: as the one cell says it (「330団体 (2018年4月速報値)」 → month),
    a date typed in the date field to the day."""
    if r.as_of is None:
        return None
    return precision_of(r.actual_text, r.as_of) if r.actual_text else "day"


def publish(session: Session, p: Principal, rnd: Round) -> Published:
    """The approved reports become the round's edition: observations, approved target changes and official ratings,
    each citing its line of the snapshot document and linked to its report. A published round never changes."""
    _secretariat(p)
    if rnd.state == "published":
        raise WorkflowError(f"ラウンド「{rnd.name}」は公表済みです。公表した内容は変更できません。",
                            f"The round {rnd.name!r} is published already; a published edition never changes.")
    approved = store.reports(session, round_id=rnd.id, states=["approved"])
    if not approved:
        raise WorkflowError("承認済みの報告がないため、公表できません。", "No report is approved: nothing to publish.")
    at = now()
    rnd.state, rnd.published_by, rnd.published_at = "published", p.login, at
    rnd.closed_at = rnd.closed_at or at
    kpis = store.kpi_names(session, [r.kpi_id for r in approved])
    orgs = store.organisation_names(session)
    progress = step_progress.snapshot_lines(session, approved)
    raw, line_of = _snapshot(rnd, approved, kpis, orgs, progress)
    doc = store.add(session, m.Document(
        file_name=f"round-{rnd.id}.jsonl", family=SNAPSHOT_FAMILY, title=rnd.name, doc_date=rnd.as_of,
        sha256=hashlib.sha256(raw).hexdigest(), encoding="utf-8", media_type="application/jsonl",
        size_bytes=len(raw), raw=raw, text=raw.decode(), ingested_at=at,
        meta={"round_id": rnd.id, **({"corrects_round_id": rnd.corrects_round_id} if rnd.corrects_round_id else {})}))
    edition = store.edition(session, store.plan_named(session, rnd.name).id, rnd.name, at.date())
    rnd.document_id, rnd.edition_id = doc.id, edition.id
    counts = {"observation": 0, "target": 0, "rating": 0}
    for r in approved:
        line = line_of[r.id]
        prov = {"document_id": doc.id, "line_start": line, "line_end": line}
        obs = store.add(session, m.Observation(kpi_id=r.kpi_id, value=r.value, unit=r.unit or kpis[r.kpi_id][1],
                                               as_of=r.as_of, status=r.status, text=_cell(r), source_text=_cell(r),
                                               as_of_precision=_precision(r), **prov))
        session.add(RoundValue(round_id=rnd.id, report_id=r.id, kind="observation", observation_id=obs.id))
        counts["observation"] += 1
        if r.id in progress:
            step_progress.publish(session, r, progress[r.id], prov)
        if r.next_measurement:
            session.add(m.KpiAppearance(kpi_id=r.kpi_id, name_as_written=kpis[r.kpi_id][0],
                                        next_measurement=r.next_measurement, **prov))
        if r.target_approved and r.target_value is not None:
            tgt = store.add(session, m.Target(kpi_id=r.kpi_id, edition_id=edition.id, value=r.target_value,
                                              unit=r.target_unit or r.unit, deadline=r.target_deadline,
                                              comparator="ge", text=r.target_text or f"{r.target_value:g}",
                                              source_text=r.target_reason, **prov))
            session.add(RoundValue(round_id=rnd.id, report_id=r.id, kind="target", target_id=tgt.id))
            counts["target"] += 1
        if r.proposed_rating:
            rating = store.add(session, m.Rating(kpi_id=r.kpi_id, scheme=RATING_SCHEME, code=r.proposed_rating,
                                                 official=True, as_of=r.as_of or rnd.as_of,
                                                 explanation=r.rating_reason, document_id=doc.id, line_start=line,
                                                 line_end=line, source_text=r.proposed_rating))
            session.add(RoundValue(round_id=rnd.id, report_id=r.id, kind="rating", rating_id=rating.id))
            counts["rating"] += 1
        r.state = "published"
        r.updated_by, r.updated_at = p.login, at
        session.flush()
        session.add(ReportVersion(report_id=r.id, version=r.version, at=at, actor=p.login, via="web",
                                  action="publish", changes={"state": ["approved", "published"]}))
    session.flush()
    rerated = rerate(session, rnd.as_of, sorted({r.kpi_id for r in approved}))
    accounts.log(session, "publish", p.login, rnd.name, reports=len(approved), document=doc.file_name,
                 sha256=doc.sha256, **({"corrects_round_id": rnd.corrects_round_id} if rnd.corrects_round_id else {}))
    return Published(rnd, len(approved), counts["observation"], counts["target"], counts["rating"], rerated)


def rerate(session: Session, as_of: date, kpi_ids: list[int]) -> list[str]:
    """The published values in the KPI list rows, and every scheme already rated re-rated as of the round's date
    (stored with their data versions, as mieruka evaluate stores them: only the KPIs the round changed when the ratings
    are kept as of that date already), and the kept audits brought up to date."""
    from mieruka.evaluate.schemes import load
    from mieruka.evaluate.stored import rate_changes, refresh_audits
    from mieruka.storage.ratings import computed_ratings
    from mieruka.storage.summaries import refresh_summaries

    refresh_summaries(session, kpi_ids)
    schemes = sorted({r["scheme"] for r in computed_ratings(session)})
    rated = []
    for name in schemes:
        try:
            scheme = load(name)
        except Exception:  # a scheme given once by --scheme FILE is no longer at hand: keep its ratings
            continue
        rate_changes(session, scheme, as_of)
        rated.append(name)
    refresh_audits(session)
    return rated


def status(session: Session, rnd: Round) -> dict:
    counts = store.state_counts(session, rnd.id)
    return {"id": rnd.id, "name": rnd.name, "state": rnd.state, "as_of": rnd.as_of, "deadline": rnd.deadline,
            "opened_by": rnd.opened_by, "published_by": rnd.published_by, "published_at": rnd.published_at,
            **{s: counts.get(s, 0) for s in ("draft", "submitted", "returned", "approved", "published")}}


def _json_value(v: dict | None) -> dict | None:
    return None if v is None else {**v, "as_of": v["as_of"] and v["as_of"].isoformat()}


def changes(session: Session, rnd: Round) -> dict:
    """A published edition beside what was published before it: per KPI the previous and the new actual, rating
    and target, whether the actual changed and how the rating moved (up, down, new, same), those that moved first."""
    if rnd.state != "published":
        raise WorkflowError(f"ラウンド「{rnd.name}」はまだ公表されていません。", f"The round {rnd.name!r} is not published.")
    from mieruka.evaluate.schemes import load

    order = list(load(RATING_SCHEME).codes)  # best first, as the scheme lists them
    rows = []
    for kpi_id, row in sorted(store.edition_values(session, rnd).items()):
        old, new = row.get("old_rating"), row.get("new_rating")
        if new is None or old == new:
            moved = "same" if new is not None else None
        elif old is None:
            moved = "new"
        elif old in order and new in order:
            moved = "up" if order.index(new) < order.index(old) else "down"
        else:
            moved = "changed"
        old_actual, new_actual = row.get("old_actual"), row.get("new_actual")
        rows.append({
            "kpi_id": kpi_id, "kpi": row["kpi"], "old_actual": _json_value(old_actual),
            "new_actual": _json_value(new_actual),
            "actual_changed": (old_actual or {}).get("value") != (new_actual or {}).get("value")
            or (old_actual or {}).get("as_of") != (new_actual or {}).get("as_of"),
            "old_rating": old, "new_rating": new, "rating_moved": moved,
            "old_target": row.get("old_target"), "new_target": row.get("new_target"),
        })
    rank = {"down": 0, "up": 1, "changed": 2, "new": 3}
    rows.sort(key=lambda r: (rank.get(r["rating_moved"], 9), not r["actual_changed"], r["kpi_id"]))
    previous = store.previous_published_round(session, rnd)
    return {"round": {"id": rnd.id, "name": rnd.name, "as_of": rnd.as_of.isoformat(),
                      "published_at": rnd.published_at.isoformat(), "published_by": rnd.published_by},
            "previous_round": previous and {"id": previous.id, "name": previous.name},
            "kpis": rows, "ratings_moved": sum(r["rating_moved"] in ("up", "down", "changed") for r in rows),
            "actuals_changed": sum(r["actual_changed"] for r in rows), **corrections.lineage(session, rnd)}
