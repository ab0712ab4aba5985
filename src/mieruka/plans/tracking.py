"""A plan KPI as the rater sees every KPI (the dict shape of storage.queries.kpi_rows), and its rating under the
plan's scheme, computed when its numbers change and kept beside it."""
from __future__ import annotations

from mieruka.evaluate.rate import rate_kpi
from mieruka.evaluate.schemes import load
from mieruka.storage import plans as store


def kpi_dict(pm: dict) -> dict:
    """One plan measure's KPI in the shape of storage.queries.kpi_rows, so evaluate rates it like a national one."""
    baseline = None if pm["baseline_value"] is None else {
        "value": pm["baseline_value"], "unit": pm["unit"], "as_of": pm["baseline_as_of"],
        "text": pm["baseline_text"] or "", "source": None}
    targets = [] if pm["target_value"] is None else [{
        "value": pm["target_value"], "unit": pm["unit"], "deadline": pm["deadline"], "comparator": None,
        "relative": None, "unset": False, "promised_by": None, "interim": False, "edition": None,
        "edition_date": None, "text": pm["target_text"] or "", "source": None}]
    return {
        "id": pm["id"], "key": f"plan-measure-{pm['id']}", "name": pm["kpi"], "tier": None, "reform_item": None,
        "reform_item_id": None, "reform_item_number": None, "organisation": None, "parent_id": None,
        "unit": pm["unit"], "direction": pm["direction"], "after_the_fact": False,
        "baseline": baseline, "baselines": [baseline] if baseline else [], "targets": targets,
        "observations": [{"value": a["value"], "unit": a["unit"], "as_of": a["as_of"], "status": None,
                          "text": a["text"], "source": None} for a in pm["actuals"]],
        "ratings": [], "appearances": [], "documents": [],
    }


def rate(pm: dict, scheme_name: str):
    """The KPI rated as of its newest actual (so the result does not drift with the calendar); None with no actual."""
    if not pm["actuals"]:
        return None
    as_of = max(a["as_of"] for a in pm["actuals"])
    return rate_kpi(kpi_dict(pm), load(scheme_name), as_of)


def refresh_rating(session, plan_measure_id: int, scheme_name: str) -> dict | None:
    """Rate one plan KPI again and store the result; returns what was stored."""
    pm = store.plan_measure(session, plan_measure_id)
    result = rate(pm, scheme_name)
    if result is None:
        store.store_rating(session, plan_measure_id, None, None, None)
        return None
    details = {"label": result.label, "label_en": result.label_en, "explanation": result.explanation,
               "explanation_en": result.explanation_en, "scheme": scheme_name, "actual": result.actual,
               "actual_as_of": result.actual_as_of.isoformat() if result.actual_as_of else None,
               "target": result.target, "expected": result.expected}
    store.store_rating(session, plan_measure_id, result.code, result.as_of, details)
    return {"code": result.code, "as_of": result.as_of, **details}
