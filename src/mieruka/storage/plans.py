"""Local bodies' own plans in the database: plans, the national measures they take up, KPI actuals, ratings and the
log of every write (who, when, through what, old → new). Callers pass values already read and checked (mieruka.plans)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mieruka.storage import models as m

# The fields of a plan measure a planner types; a change to any of them is logged old → new.
MEASURE_FIELDS = ("section", "kpi", "national_kpi", "baseline_text", "baseline_value", "baseline_as_of", "target_text",
                  "target_value", "unit", "deadline_text", "deadline", "direction", "schedule")


# Ids come from URLs and the shell; one past a 64-bit integer would make the database driver raise instead of find nothing.
_MAX_ID = 2**63 - 1


def _id_ok(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= _MAX_ID


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _plain(value):
    """A value as the change log keeps it (JSON): dates as ISO strings."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _log(session: Session, plan_id: int, action: str, actor: str, via: str, old: dict | None, new: dict | None,
         plan_measure_id: int | None = None, at: datetime | None = None) -> None:
    session.add(m.LocalPlanChange(
        plan_id=plan_id, plan_measure_id=plan_measure_id, action=action, actor=actor, via=via, at=at or _now(),
        old=None if old is None else {k: _plain(v) for k, v in old.items()},
        new=None if new is None else {k: _plain(v) for k, v in new.items()}))


def _touch(plan: m.LocalPlan, actor: str, at: datetime) -> None:
    plan.updated_at = at
    plan.updated_by = actor


# --- catalogue --------------------------------------------------------------------------------------

def catalogue_measure(session: Session, no: int | None = None, code: str | None = None) -> dict | None:
    """The national measure with this number (1–82 in the 2019 catalogue) or code ("01-11"), newest document first."""
    if no is not None and not _id_ok(no):
        return None
    q = select(m.Measure).options(selectinload(m.Measure.ministries).selectinload(m.MeasureMinistry.organisation))
    q = q.where(m.Measure.no == no) if no is not None else q.where(m.Measure.code == code)
    found = session.scalars(q.order_by(m.Measure.document_id.desc(), m.Measure.id.desc()).limit(1)).first()
    if found is None:
        return None
    return {"id": found.id, "no": found.no, "code": found.code, "name": found.name, "pillar": found.pillar,
            "kpi_progress": found.kpi_progress, "kpi_effect": found.kpi_effect, "urls": found.urls or [],
            "ministries": [mm.organisation.name for mm in found.ministries]}


def catalogue_urls(session: Session, numbers: list[int]) -> dict[int, dict]:
    """Pillar, ministries and URLs of the catalogue's measures by number (for a plan's annex), in one query."""
    if not numbers:
        return {}
    rows = session.scalars(select(m.Measure).options(
        selectinload(m.Measure.ministries).selectinload(m.MeasureMinistry.organisation))
        .where(m.Measure.no.in_(numbers)).order_by(m.Measure.document_id, m.Measure.id)).all()
    return {x.no: {"pillar": x.pillar, "urls": x.urls or [], "code": x.code,
                   "ministries": [mm.organisation.name for mm in x.ministries]} for x in rows}


# --- reading ----------------------------------------------------------------------------------------

def _actual_dict(a: m.LocalPlanActual) -> dict:
    return {"id": a.id, "text": a.text, "value": a.value, "unit": a.unit, "as_of": a.as_of,
            "entered_at": a.entered_at, "entered_by": a.entered_by}


def _measure_dict(pm: m.LocalPlanMeasure, actuals: list[m.LocalPlanActual]) -> dict:
    out = {"id": pm.id, "plan_id": pm.plan_id, "position": pm.position, "measure_id": pm.measure_id,
           "measure_no": pm.measure_no, "measure_code": pm.measure_code, "measure_name": pm.measure_name,
           **{f: getattr(pm, f) for f in MEASURE_FIELDS},
           "rating": None if pm.rating_code is None else {
               "code": pm.rating_code, "as_of": pm.rating_as_of, **(pm.rating_details or {})},
           "created_at": pm.created_at, "created_by": pm.created_by,
           "updated_at": pm.updated_at, "updated_by": pm.updated_by}
    out["schedule"] = list(pm.schedule or [])
    out["actuals"] = [_actual_dict(a) for a in sorted(actuals, key=lambda a: (a.as_of, a.id))]
    return out


def _plan_dicts(session: Session, plans: list[m.LocalPlan]) -> list[dict]:
    ids = [p.id for p in plans]
    if not ids:
        return []
    measures = session.scalars(select(m.LocalPlanMeasure).where(m.LocalPlanMeasure.plan_id.in_(ids))
                               .order_by(m.LocalPlanMeasure.position, m.LocalPlanMeasure.id)).all()
    actuals: dict[int, list] = {}
    if measures:
        for a in session.scalars(select(m.LocalPlanActual).where(
                m.LocalPlanActual.plan_measure_id.in_([x.id for x in measures]))):
            actuals.setdefault(a.plan_measure_id, []).append(a)
    bodies = {b.code: b for b in session.scalars(select(m.LocalBody).where(
        m.LocalBody.code.in_({p.body_code for p in plans})))}
    out = []
    for p in plans:
        body = bodies.get(p.body_code)
        out.append({"id": p.id, "body_code": p.body_code, "body_name": body.name if body else None,
                    "prefecture": body.prefecture if body else None, "title": p.title, "scheme": p.scheme,
                    "created_at": p.created_at, "created_by": p.created_by,
                    "updated_at": p.updated_at, "updated_by": p.updated_by,
                    "measures": [_measure_dict(x, actuals.get(x.id, [])) for x in measures if x.plan_id == p.id]})
    return out


def plan(session: Session, plan_id: int) -> dict | None:
    if not _id_ok(plan_id):
        return None
    found = session.get(m.LocalPlan, plan_id)
    return _plan_dicts(session, [found])[0] if found else None


def plans(session: Session, body_code: str | None = None) -> list[dict]:
    """Every plan (of one body when given), oldest first, each with its measures and their actuals."""
    q = select(m.LocalPlan).order_by(m.LocalPlan.id)
    if body_code is not None:
        q = q.where(m.LocalPlan.body_code == body_code)
    return _plan_dicts(session, list(session.scalars(q)))


def bodies_with_plans(session: Session) -> set[str]:
    """The codes of the bodies that have at least one plan."""
    return set(session.scalars(select(m.LocalPlan.body_code).distinct()))


def plan_measure(session: Session, plan_measure_id: int) -> dict | None:
    if not _id_ok(plan_measure_id):
        return None
    pm = session.get(m.LocalPlanMeasure, plan_measure_id)
    if pm is None:
        return None
    actuals = session.scalars(select(m.LocalPlanActual).where(m.LocalPlanActual.plan_measure_id == pm.id)).all()
    return _measure_dict(pm, list(actuals))


def measure_uptake(session: Session, numbers: list[int]) -> dict[int, list[dict]]:
    """For each national measure number, every plan KPI built on it: body code and stored rating (one query)."""
    if not numbers:
        return {}
    rows = session.execute(select(m.LocalPlanMeasure.measure_no, m.LocalPlan.body_code, m.LocalPlanMeasure.rating_code)
                           .join(m.LocalPlan, m.LocalPlan.id == m.LocalPlanMeasure.plan_id)
                           .where(m.LocalPlanMeasure.measure_no.in_(numbers))
                           .order_by(m.LocalPlanMeasure.measure_no, m.LocalPlan.body_code)).all()
    out: dict[int, list[dict]] = {}
    for no, code, rating in rows:
        out.setdefault(no, []).append({"body_code": code, "rating": rating})
    return out


def changes(session: Session, plan_id: int) -> list[dict]:
    rows = session.scalars(select(m.LocalPlanChange).where(m.LocalPlanChange.plan_id == plan_id)
                           .order_by(m.LocalPlanChange.id)).all()
    return [{"id": c.id, "plan_measure_id": c.plan_measure_id, "action": c.action, "actor": c.actor, "via": c.via,
             "at": c.at, "old": c.old, "new": c.new} for c in rows]


# --- writing ----------------------------------------------------------------------------------------

def create_plan(session: Session, body_code: str, title: str, scheme: str, actor: str, via: str) -> int:
    at = _now()
    p = m.LocalPlan(body_code=body_code, title=title, scheme=scheme, created_at=at, created_by=actor,
                    updated_at=at, updated_by=actor)
    session.add(p)
    session.flush()
    _log(session, p.id, "create", actor, via, None, {"body_code": body_code, "title": title, "scheme": scheme}, at=at)
    session.flush()
    return p.id


def add_measure(session: Session, plan_id: int, measure: dict, fields: dict, actor: str, via: str) -> int:
    """Take up a catalogue measure (as catalogue_measure gives it) with the planner's fields."""
    at = _now()
    p = session.get(m.LocalPlan, plan_id)
    position = (session.scalar(select(func.max(m.LocalPlanMeasure.position))
                               .where(m.LocalPlanMeasure.plan_id == plan_id)) or 0) + 1
    pm = m.LocalPlanMeasure(plan_id=plan_id, position=position, measure_id=measure["id"], measure_no=measure["no"],
                            measure_code=measure["code"], measure_name=measure["name"],
                            **{f: fields.get(f) for f in MEASURE_FIELDS if f != "direction"},
                            direction=fields.get("direction") or "up",
                            created_at=at, created_by=actor, updated_at=at, updated_by=actor)
    session.add(pm)
    session.flush()
    _touch(p, actor, at)
    _log(session, plan_id, "add", actor, via, None,
         {"measure_no": measure["no"], **{f: fields.get(f) for f in MEASURE_FIELDS}}, plan_measure_id=pm.id, at=at)
    session.flush()
    return pm.id


def measure_in_plan(session: Session, plan_id: int, measure_no: int) -> int | None:
    if not (_id_ok(plan_id) and _id_ok(measure_no)):
        return None
    return session.scalar(select(m.LocalPlanMeasure.id).where(m.LocalPlanMeasure.plan_id == plan_id,
                                                              m.LocalPlanMeasure.measure_no == measure_no))


def update_measure(session: Session, plan_measure_id: int, fields: dict, actor: str, via: str) -> dict:
    """Change the planner's fields; logs only what differs and returns {field: (old, new)}."""
    pm = session.get(m.LocalPlanMeasure, plan_measure_id)
    diff = {f: (getattr(pm, f), fields[f]) for f in MEASURE_FIELDS if f in fields and getattr(pm, f) != fields[f]}
    if not diff:
        return {}
    at = _now()
    for f, (_, new) in diff.items():
        setattr(pm, f, new)
    pm.updated_at, pm.updated_by = at, actor
    _touch(session.get(m.LocalPlan, pm.plan_id), actor, at)
    _log(session, pm.plan_id, "update", actor, via, {f: o for f, (o, _) in diff.items()},
         {f: n for f, (_, n) in diff.items()}, plan_measure_id=pm.id, at=at)
    session.flush()
    return diff


def remove_measure(session: Session, plan_measure_id: int, actor: str, via: str) -> None:
    """Take a measure out of its plan; what it held is kept in the log of changes (old)."""
    pm = session.get(m.LocalPlanMeasure, plan_measure_id)
    at = _now()
    old = {"measure_no": pm.measure_no, **{f: getattr(pm, f) for f in MEASURE_FIELDS}}
    plan_id = pm.plan_id
    session.delete(pm)
    _touch(session.get(m.LocalPlan, plan_id), actor, at)
    _log(session, plan_id, "remove", actor, via, old, None, plan_measure_id=plan_measure_id, at=at)
    session.flush()


def add_actual(session: Session, plan_measure_id: int, text: str, value: float, unit: str | None, as_of: date,
               actor: str, via: str) -> int:
    at = _now()
    pm = session.get(m.LocalPlanMeasure, plan_measure_id)
    a = m.LocalPlanActual(plan_measure_id=plan_measure_id, text=text, value=value, unit=unit, as_of=as_of,
                          entered_at=at, entered_by=actor)
    session.add(a)
    session.flush()
    _touch(session.get(m.LocalPlan, pm.plan_id), actor, at)
    _log(session, pm.plan_id, "actual", actor, via, None,
         {"text": text, "value": value, "unit": unit, "as_of": as_of}, plan_measure_id=pm.id, at=at)
    session.flush()
    return a.id


def store_rating(session: Session, plan_measure_id: int, code: str | None, as_of: date | None,
                 details: dict | None) -> None:
    """The rating computed when the KPI's numbers last changed, so that pages read it instead of recomputing."""
    pm = session.get(m.LocalPlanMeasure, plan_measure_id)
    pm.rating_code, pm.rating_as_of, pm.rating_details = code, as_of, details
    session.flush()
