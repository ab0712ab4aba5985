"""A body's own plan on the web: start one, choose national measures by pillar, effect, ministry and words, type the
body's KPI, enter actuals, download the draft (DOCX, XLSX). Forms post plain fields; no page runs a script.
Anyone may read a plan; only the body's own `local` users, the secretariat and admins may change one (signed in, CSRF)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from mieruka.accounts.service import Principal
from mieruka.plans import draft, editing
from mieruka.plans.inputs import PlanInputError
from mieruka.storage import plans as store
from mieruka.web import auth, kept
from mieruka.web.i18n import translator
from mieruka.web.listings import MeasureFilter
from mieruka.web.pages import DbSession, Lang, href_for, render, templates
from mieruka.web.routers import NavLink
from mieruka.storage.measure_lists import measure_facets
from mieruka.storage.measure_lists import measure_page as measure_rows_page
from mieruka.web.routers.measures import chosen as chosen_facets, hits_of

router = APIRouter(include_in_schema=False)
NAV = [NavLink("/plans", {"ja": "団体の計画", "en": "Local plans"}, 62)]
MESSAGES = Path(__file__).with_name("templates") / "plans" / "messages.toml"
# A plan form holds a few short fields; a bigger body is refused before it is read whole.
MAX_FORM_BYTES = 64 * 1024
FILTERS = ("pillar", "effect", "ministry", "q")
VIA = "web"
templates.env.filters["fiscal_year"] = draft.fiscal_year_label
# who may change a body's plans: its own local users (checked against the body) and these roles for every body
EDITORS = ("local", "secretariat", "admin")
ALL_BODIES = ("secretariat", "admin")


def may_edit(p: Principal | None, code: str) -> bool:
    return p is not None and (p.role in ALL_BODIES or (p.role == "local" and p.local_body == code))


async def _signed_form(request: Request, code: str, lang: str, back: str) -> tuple[Principal, dict[str, str]]:
    """The guard of every plan POST, before anything is looked up or written: a session (else sign-in, then back to
    the page `back`), the session's CSRF token in the form, and a user allowed to edit this body's plans (else 403)."""
    if auth.principal_of(request) is None:
        raise auth.SignInRequired(href_for(lang)(back))
    form = await _form(request)
    p = auth.check_writer(request, form.get("csrf_token"), EDITORS, href_for(lang)(back))
    if not may_edit(p, code):
        raise HTTPException(403, translator(lang)("plans.not_this_body", code=code))
    return p, form


async def _form(request: Request) -> dict[str, str]:
    """The posted fields (application/x-www-form-urlencoded), first value of each; 413 past MAX_FORM_BYTES."""
    declared = request.headers.get("content-length")
    if declared and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise HTTPException(413, f"form: more than {MAX_FORM_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, f"form: more than {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        raise HTTPException(400, "form: not UTF-8 form fields") from None
    return {k: v[0] for k, v in fields.items()}


def _render(request: Request, name: str, context: dict, status_code: int = 200):
    """A page of one body's plans: its forms only for those who may edit them (`editable`), a notice for others."""
    editable = may_edit(auth.principal_of(request), context["body"]["code"])
    return render(request, name, {**context, "editable": editable}, status_code=status_code)


def _body(session, code: str, at: tuple | None = None) -> dict:
    """The body (404 if none), from all bodies read once per state of the data (`at`, web.kept.state)."""
    kept.ensure_registry(session, at)
    body = kept.body(session, code, at)
    if body is None:
        raise HTTPException(404, f"no local body has the code {code}")
    return body


def _plan_of(session, code: str, plan_id: int) -> dict:
    plan = store.plan(session, plan_id)
    if plan is None or plan["body_code"] != code:
        raise HTTPException(404, f"no plan {plan_id} for the body {code}")
    return plan


def _plan_url(lang: str, code: str, plan_id: int, **params) -> str:
    return href_for(lang)(f"/local/{code}/plan/{plan_id}", **params)


# --- lists ----------------------------------------------------------------------------------------

@router.get("/plans")
def plan_list(request: Request, session: DbSession, lang: Lang):
    return render(request, "plans/list.html", {"plans": store.plans(session)})


@router.get("/local/{code}/plan")
def body_plan_list(request: Request, code: str, session: DbSession, lang: Lang):
    at = kept.state(session)
    body = _body(session, code, at)
    plans = store.plans(session, code) if kept.has_plans(session, code, at) else []
    return _render(request, "plans/body.html", {"body": body, "plans": plans, "error": None, "form": {}})


@router.post("/local/{code}/plan")
async def start_plan(request: Request, code: str, session: DbSession, lang: Lang):
    p, form = await _signed_form(request, code, lang, f"/local/{code}/plan")
    body = _body(session, code)
    try:
        plan_id = editing.new_plan(session, code, p.login, VIA, title=form.get("title"))
    except PlanInputError as exc:
        session.rollback()
        return _render(request, "plans/body.html", {"body": body, "plans": store.plans(session, code),
                                                   "error": exc.message(lang), "form": form}, status_code=422)
    return RedirectResponse(_plan_url(lang, code, plan_id), status_code=303)


CATALOGUE_ROWS = 1000


# --- one plan -------------------------------------------------------------------------------------

def _catalogue(session, params) -> tuple[MeasureFilter, list[dict], dict]:
    f = MeasureFilter(**{k: (params.get(k) or "").strip()[:200] or None for k in FILTERS})
    hits = hits_of(session, f)
    # the whole filtered catalogue (82 measures today), counted and faceted in the database as /measures does
    _, rows = measure_rows_page(session, chosen_facets(f), hits, CATALOGUE_ROWS, 0)
    return f, rows, measure_facets(session, chosen_facets(f), hits)


def _plan_page(request, session, body: dict, plan: dict, status_code: int = 200, **extra):
    f, rows, facets = _catalogue(session, request.query_params)
    chosen = {pm["measure_no"] for pm in plan["measures"]}
    return _render(request, "plans/plan.html", {
        "body": body, "plan": plan, "f": f, "results": rows, "facets": facets, "chosen": chosen,
        "changes": store.changes(session, plan["id"]), "error": None, "error_for": None, "form": {}, **extra,
    }, status_code=status_code)


@router.get("/local/{code}/plan/{plan_id}.{fmt}")
def plan_download(code: str, plan_id: int, fmt: str, session: DbSession):
    _plan_of(session, code, plan_id)
    plan, annex = draft.plan_files(session, plan_id)
    if fmt == "docx":
        content = draft.docx_bytes(plan, annex)
        media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    elif fmt == "xlsx":
        content = draft.xlsx_bytes(plan, annex)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise HTTPException(404, f"no download format {fmt!r}; use docx or xlsx")
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{draft.file_name(plan, fmt)}"'})


@router.get("/local/{code}/plan/{plan_id}")
def plan_page(request: Request, code: str, plan_id: int, session: DbSession, lang: Lang):
    body = _body(session, code)
    return _plan_page(request, session, body, _plan_of(session, code, plan_id))


@router.get("/local/{code}/plan/{plan_id}/add")
def add_page(request: Request, code: str, plan_id: int, session: DbSession, lang: Lang, measure: str = ""):
    body = _body(session, code)
    plan = _plan_of(session, code, plan_id)
    try:
        found = editing.find_measure(session, measure)
    except PlanInputError as exc:
        return _plan_page(request, session, body, plan, status_code=422, error=exc.message(lang))
    form = {"measure": str(found["no"]), "kpi": editing.national_kpi(found) or ""}
    return _render(request, "plans/measure_form.html", {"body": body, "plan": plan, "measure": found, "form": form,
                                                       "error": None, "pm": None})


@router.post("/local/{code}/plan/{plan_id}/measures")
async def add_measure(request: Request, code: str, plan_id: int, session: DbSession, lang: Lang):
    p, form = await _signed_form(request, code, lang, f"/local/{code}/plan/{plan_id}")
    body = _body(session, code)
    plan = _plan_of(session, code, plan_id)
    try:
        editing.add_measure(session, plan_id, form, p.login, VIA)
    except PlanInputError as exc:
        session.rollback()
        try:
            found = editing.find_measure(session, form.get("measure"))
        except PlanInputError:
            found = None
        return _render(request, "plans/measure_form.html", {"body": body, "plan": plan, "measure": found,
                                                           "form": form, "error": exc.message(lang),
                                                           "error_field": exc.field, "pm": None}, status_code=422)
    return RedirectResponse(_plan_url(lang, code, plan_id, fragment="chosen"), status_code=303)


def _plan_measure(session, plan: dict, pm_id: int) -> dict:
    pm = next((x for x in plan["measures"] if x["id"] == pm_id), None)
    if pm is None:
        raise HTTPException(404, f"measure {pm_id} is not in plan {plan['id']}")
    return pm


@router.get("/local/{code}/plan/{plan_id}/measures/{pm_id}")
def edit_page(request: Request, code: str, plan_id: int, pm_id: int, session: DbSession, lang: Lang):
    body = _body(session, code)
    plan = _plan_of(session, code, plan_id)
    pm = _plan_measure(session, plan, pm_id)
    form = {"measure": str(pm["measure_no"]), "section": pm["section"] or "", "kpi": pm["kpi"],
            "baseline": pm["baseline_text"] or "", "target": pm["target_text"] or "",
            "deadline": pm["deadline_text"] or "",
            "schedule": "\n".join(f"{s['fiscal_year']}年度: {s['text']}" for s in pm["schedule"])}
    measure = store.catalogue_measure(session, no=pm["measure_no"])
    return _render(request, "plans/measure_form.html", {"body": body, "plan": plan, "measure": measure, "form": form,
                                                       "error": None, "pm": pm})


@router.post("/local/{code}/plan/{plan_id}/measures/{pm_id}")
async def edit_measure(request: Request, code: str, plan_id: int, pm_id: int, session: DbSession, lang: Lang):
    p, form = await _signed_form(request, code, lang, f"/local/{code}/plan/{plan_id}/measures/{pm_id}")
    body = _body(session, code)
    plan = _plan_of(session, code, plan_id)
    pm = _plan_measure(session, plan, pm_id)
    fields = {k: form.get(k, "") for k in ("section", "kpi", "baseline", "target", "deadline", "schedule")}
    try:
        editing.edit_measure(session, pm_id, fields, p.login, VIA)
    except PlanInputError as exc:
        session.rollback()
        measure = store.catalogue_measure(session, no=pm["measure_no"])
        return _render(request, "plans/measure_form.html", {"body": body, "plan": plan, "measure": measure,
                                                           "form": {**form, "measure": str(pm["measure_no"])},
                                                           "error": exc.message(lang), "error_field": exc.field,
                                                           "pm": pm}, status_code=422)
    return RedirectResponse(_plan_url(lang, code, plan_id, fragment="chosen"), status_code=303)


@router.post("/local/{code}/plan/{plan_id}/measures/{pm_id}/remove")
async def remove_measure(request: Request, code: str, plan_id: int, pm_id: int, session: DbSession, lang: Lang):
    p, _ = await _signed_form(request, code, lang, f"/local/{code}/plan/{plan_id}/measures/{pm_id}")
    body = _body(session, code)
    plan = _plan_of(session, code, plan_id)
    _plan_measure(session, plan, pm_id)
    try:
        editing.remove_measure(session, pm_id, p.login, VIA)
    except PlanInputError as exc:
        session.rollback()
        return _plan_page(request, session, body, _plan_of(session, code, plan_id), status_code=422,
                          error=exc.message(lang))
    return RedirectResponse(_plan_url(lang, code, plan_id, fragment="chosen"), status_code=303)


@router.post("/local/{code}/plan/{plan_id}/measures/{pm_id}/actuals")
async def add_actual(request: Request, code: str, plan_id: int, pm_id: int, session: DbSession, lang: Lang):
    p, form = await _signed_form(request, code, lang, f"/local/{code}/plan/{plan_id}")
    body = _body(session, code)
    plan = _plan_of(session, code, plan_id)
    _plan_measure(session, plan, pm_id)
    try:
        editing.record_actual(session, pm_id, form.get("value", ""), form.get("as_of"), p.login, VIA)
    except PlanInputError as exc:
        session.rollback()
        return _plan_page(request, session, body, _plan_of(session, code, plan_id), status_code=422,
                          error=exc.message(lang), error_for=pm_id, form=form)
    return RedirectResponse(_plan_url(lang, code, plan_id, fragment=f"m{pm_id}"), status_code=303)


# --- on the body's page ---------------------------------------------------------------------------

def body_plans(session, code: str, group: list[str] | None = None) -> dict:
    """The body's plans with each KPI's stored rating and the national measure and KPI it feeds, and for each measure
    the other bodies whose plans take it up — all of them, and those of the body's similar group (for /local/{code})."""
    plans = store.plans(session, code)
    uptake = store.measure_uptake(session, sorted({pm["measure_no"] for p in plans for pm in p["measures"]}))
    peers = set(group or ()) - {code}
    others = {}
    for no, rows in uptake.items():
        rows = [r for r in rows if r["body_code"] != code]
        similar = [r for r in rows if r["body_code"] in peers]
        others[no] = {"all": _tally(rows), "similar": _tally(similar) if group else None}
    return {"plans": plans, "others": others}


def _tally(rows: list[dict]) -> dict:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["rating"] or "－"] = counts.get(r["rating"] or "－", 0) + 1
    return {"bodies": len({r["body_code"] for r in rows}), "ratings": dict(sorted(counts.items()))}
