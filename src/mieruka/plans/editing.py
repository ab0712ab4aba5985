"""Every change to a plan goes through here: read and check the input (inputs), write it (storage.plans) with who and
through what, and re-rate a KPI whose numbers changed. Bad input raises PlanInputError before anything is written."""
from __future__ import annotations

from sqlalchemy.orm import Session

from mieruka.evaluate.schemes import available
from mieruka.plans import inputs
from mieruka.plans.inputs import PlanInputError
from mieruka.plans.tracking import refresh_rating
from mieruka.storage import local_bodies
from mieruka.storage import plans as store

DEFAULT_SCHEME = "municipal-sabc"
DEFAULT_TITLE = "官民データ活用推進計画"
_RATED_FIELDS = {"baseline_value", "baseline_as_of", "target_value", "unit", "deadline", "direction"}


def _actor(actor: str | None) -> str:
    a = (actor or "").strip()
    if not a or len(a) > 200:
        raise PlanInputError("actor", "記録する入力者名（200字以内）が必要です", "a name of who is writing (≤ 200 characters) is required")
    return a


def new_plan(session: Session, body_code: str, actor: str, via: str, title: str | None = None,
             scheme: str | None = None) -> int:
    local_bodies.ensure_registry(session)
    code = (body_code or "").strip()
    body = local_bodies.body(session, code) if code else None
    if body is None:
        raise PlanInputError("body", f"団体コード「{body_code}」の団体はありません（6桁、例: 142158）",
                             f"no local body has the code {body_code!r} (6 digits, e.g. 142158)")
    scheme = (scheme or DEFAULT_SCHEME).strip()
    if scheme not in available():
        raise PlanInputError("scheme", f"評価方式「{scheme}」はありません（{', '.join(sorted(available()))}）",
                             f"unknown scheme {scheme!r}; use one of {', '.join(sorted(available()))}")
    title = inputs.text(title, "title") or f"{body['name']}{DEFAULT_TITLE}"
    return store.create_plan(session, code, title, scheme, _actor(actor), via)


def _plan(session: Session, plan_id: int) -> dict:
    found = store.plan(session, plan_id)
    if found is None:
        raise PlanInputError("plan", f"計画 {plan_id} はありません", f"no plan {plan_id}")
    return found


def find_measure(session: Session, ref) -> dict:
    no, code = inputs.measure_ref(ref)
    measure = store.catalogue_measure(session, no=no, code=code)
    if measure is None:
        raise PlanInputError("measure", f"国の施策一覧に「{ref}」の施策はありません",
                             f"the national catalogue has no measure {ref!r}")
    return measure


def national_kpi(measure: dict) -> str | None:
    """The measure's KPI statements as the catalogue gives them: the progress KPI, then the effect KPI."""
    parts = [p for p in (measure.get("kpi_progress"), measure.get("kpi_effect")) if p and p.strip()]
    return "／".join(p.strip() for p in parts) or None


def add_measure(session: Session, plan_id: int, form: dict, actor: str, via: str) -> int:
    """Take up the measure form["measure"] with the planner's fields; the KPI starts from the national one."""
    plan = _plan(session, plan_id)
    measure = find_measure(session, form.get("measure"))
    if store.measure_in_plan(session, plan_id, measure["no"]):
        raise PlanInputError("measure", f"施策{measure['no']}はこの計画にすでにあります（編集してください）",
                             f"measure {measure['no']} is already in this plan (edit it instead)")
    fields = inputs.measure_fields(form, national_kpi(measure))
    return store.add_measure(session, plan["id"], measure, fields, _actor(actor), via)


def edit_measure(session: Session, plan_measure_id: int, form: dict, actor: str, via: str) -> dict:
    """Change a chosen measure's fields (each given one; an absent key keeps its value); re-rate when numbers moved."""
    pm = store.plan_measure(session, plan_measure_id)
    if pm is None:
        raise PlanInputError("measure", f"計画の施策 {plan_measure_id} はありません", f"no plan measure {plan_measure_id}")
    merged = {"section": pm["section"], "kpi": pm["kpi"], "baseline": pm["baseline_text"], "target": pm["target_text"],
              "deadline": pm["deadline_text"], "schedule": pm["schedule"]}
    merged.update({k: v for k, v in form.items() if k in merged and v is not None})
    fields = inputs.measure_fields(merged, pm["national_kpi"])
    diff = store.update_measure(session, plan_measure_id, fields, _actor(actor), via)
    if set(diff) & _RATED_FIELDS:
        refresh_rating(session, plan_measure_id, _plan(session, pm["plan_id"])["scheme"])
    return diff


def remove_measure(session: Session, plan_measure_id: int, actor: str, via: str) -> None:
    """Take a chosen measure out of the plan, unless actuals were entered for its KPI (those are never dropped)."""
    pm = store.plan_measure(session, plan_measure_id)
    if pm is None:
        raise PlanInputError("measure", f"計画の施策 {plan_measure_id} はありません", f"no plan measure {plan_measure_id}")
    if pm["actuals"]:
        raise PlanInputError("measure", f"施策{pm['measure_no']}のKPIには実績が{len(pm['actuals'])}件あるため、計画から外せません",
                             f"measure {pm['measure_no']} has {len(pm['actuals'])} actual(s) entered, so it stays in the plan")
    store.remove_measure(session, plan_measure_id, _actor(actor), via)


def record_actual(session: Session, plan_measure_id: int, value: str, as_of: str | None, actor: str,
                  via: str) -> dict | None:
    """Enter one actual of a plan KPI and rate the KPI again; returns the stored rating."""
    pm = store.plan_measure(session, plan_measure_id)
    if pm is None:
        raise PlanInputError("measure", f"計画の施策 {plan_measure_id} はありません", f"no plan measure {plan_measure_id}")
    typed, reading = inputs.actual(value, as_of, pm["unit"])
    if pm["baseline_as_of"] and reading.day < pm["baseline_as_of"]:
        raise PlanInputError("as_of", f"実績の時点（{reading.day.isoformat()}）が基準値の時点より前です",
                             f"the actual's date ({reading.day.isoformat()}) is before the baseline's")
    store.add_actual(session, plan_measure_id, typed, reading.value, reading.unit, reading.day, _actor(actor), via)
    return refresh_rating(session, plan_measure_id, _plan(session, pm["plan_id"])["scheme"])
