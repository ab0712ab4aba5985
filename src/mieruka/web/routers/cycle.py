"""The pages of the reporting cycle: my reports, the report form (audit findings beside the values), the review
queue, round administration and a KPI's history. Every POST goes through auth.writer (session, CSRF, role)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mieruka.accounts.service import Principal
from mieruka.storage import workflow as store
from mieruka.storage.queries import kpi_rows
from mieruka.web import auth
from mieruka.web.i18n import pick_lang
from mieruka.web.pages import DbSession, Lang, href_for, render
from mieruka.web.refusal import RequestRefused
from mieruka.web.survey_rows import my_answers
from mieruka.workflow import checks, evidence, reports, rounds, steps, workbook
from mieruka.workflow.reports import FIELDS, LABELS, STATUSES, Conflict, InvalidReport, LostRace, WorkflowError

router = APIRouter(include_in_schema=False)
MESSAGES = Path(__file__).resolve().parents[1] / "templates" / "cycle" / "messages.toml"

Staff = Annotated[Principal, Depends(auth.page_for("reporter", "secretariat", "admin", "local"))]
Secretariat = Annotated[Principal, Depends(auth.page_for("secretariat"))]
SecretariatWriter = Annotated[Principal, Depends(auth.writer("secretariat"))]
Text = Annotated[str | None, Form(max_length=reports.MAX_TEXT + 1)]


def _refused(exc: WorkflowError, lang: str):
    raise HTTPException(exc.status, exc.message[lang])


def _labels(lang: str) -> dict[str, str]:
    return {k: v[0] if lang == "ja" else v[1] for k, v in LABELS.items()}


def _rows(session, found: list, lang: str) -> list[dict]:
    names = store.kpi_names(session, [r.kpi_id for r in found]) if found else {}
    orgs = store.organisation_names(session)
    rnds = {r.id: r for r in store.all_rounds(session)}
    return [{"id": r.id, "kpi_id": r.kpi_id, "kpi": names.get(r.kpi_id, ("", None))[0],
             "organisation": orgs.get(r.organisation_id), "round": rnds[r.round_id].name, "state": r.state,
             "state_label": reports.state_label(r.state, lang), "value": r.value, "unit": r.unit, "as_of": r.as_of,
             "proposed_rating": r.proposed_rating, "target_change": r.target_value is not None,
             "target_approved": bool(r.target_approved),
             "updated_by": r.updated_by, "updated_at": r.updated_at, "return_comment": r.return_comment}
            for r in found]


@router.get("/my")
def my_reports(request: Request, session: DbSession, lang: Lang, p: Staff):
    return _my_page(request, session, lang, p)


def _my_page(request, session, lang, p, errors: list[str] | None = None, notice: str | None = None, status=200):
    open_rounds = [r for r in store.all_rounds(session) if r.state in ("open", "closed")]
    mine = []
    if p.role == "reporter":
        mine = store.reports(session, organisation_ids=list(p.organisations))
        mine = [r for r in mine if r.round_id in {x.id for x in open_rounds}]
    orgs = sorted(p.organisations.items(), key=lambda kv: kv[1]) if p.role == "reporter" else []
    answers = my_answers(session, p, lang)
    return render(request, "cycle/my.html", {"p": p, "rounds": open_rounds, "rows": _rows(session, mine, lang),
                                             "orgs": orgs, "workbook_errors": errors or [], "notice": notice,
                                             "survey_answers": answers,
                                             "survey_requests": list(dict.fromkeys(
                                                 (a["request_id"], a["initiative"]) for a in answers))},
                  status_code=status)


@router.get("/my/workbook")
def workbook_download(request: Request, session: DbSession, lang: Lang,
                      p: Annotated[Principal, Depends(auth.page_for("reporter", "secretariat"))],
                      round: Annotated[int, Query(ge=1, le=10**9)], org: Annotated[int | None, Query(ge=1, le=10**9)] = None):
    """A round's report workbook (XLSX) of the reporter's organisations, or of one (?org=), to fill in offline."""
    rnd = store.round_by_id(session, round)
    if rnd is None:
        raise RequestRefused(404, "no_round", id=round)
    try:
        book = workbook.export(session, p, rnd, org, lang)
    except WorkflowError as exc:
        _refused(exc, lang)
    return Response(book.content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=\"report-round{rnd.id}.xlsx\"; "
                                                    f"filename*=UTF-8''{quote(book.file_name)}",
                             "X-Content-Type-Options": "nosniff"})


async def _bounded_form(request: Request, limit: int, file_limit: int | None = None):
    """The multipart form, read only up to limit bytes (413 past it), one file and a few fields; each refusal says in
    the page's language what is wrong with which field (file); file_limit is the file's own limit, as said."""
    from mieruka.web.i18n import translator

    t = translator(pick_lang(request.query_params.get("lang")))
    mb = f"{(file_limit or limit) / 2**20:g}"
    declared = request.headers.get("content-length")
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, t("upload.too_large", mb=mb))
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise HTTPException(400, t("upload.not_multipart"))
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, t("upload.too_large", mb=mb))
    if not _complete_multipart(request.headers.get("content-type", ""), body):
        # the parser takes a body cut short (or empty) for a form without its fields: the CSRF check would then
        # refuse a token it never got to read, blaming the form instead of the transfer
        raise HTTPException(400, t("upload.unreadable"))
    request._body = body  # Starlette's form parser reads the cached body
    try:
        return await request.form(max_files=1, max_fields=5)
    except Exception as exc:
        # Starlette says "Too many files" / "Too many fields" past the limits (as an HTTPException's detail inside an
        # app, a MultiPartException's message outside one), else the body is no multipart form
        said = getattr(exc, "detail", None) or getattr(exc, "message", None) or str(exc)
        key = {"too many files": "upload.too_many_files", "too many fields": "upload.too_many_fields"}.get(
            str(said).split(".")[0].strip().lower(), "upload.unreadable")
        raise HTTPException(400, t(key)) from None


def _complete_multipart(content_type: str, body: bytes) -> bool:
    """Whether body ends its multipart form: the boundary the header names, closed (RFC 2046's --boundary--)."""
    from python_multipart.multipart import parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    return bool(boundary) and b"--" + boundary + b"--" in body


async def read_upload(request: Request, back: str, limit: int, roles: tuple[str, ...], default_name: str,
                      name_limit: int = 200) -> tuple[Principal, bytes, str]:
    """An upload route's form, in the order every upload is checked: signed in (else sign-in, back to back), the
    body bounded by limit + 64 KiB and readable, the CSRF token and one of roles; then the file's bytes and name."""
    if auth.principal_of(request) is None:
        raise auth.SignInRequired(back)
    form = await _bounded_form(request, limit + 64 * 1024, limit)
    token = form.get("csrf_token")
    p = auth.check_writer(request, token if isinstance(token, str) else None, roles, back)
    upload = form.get("file")
    raw = await upload.read() if hasattr(upload, "read") else b""
    name = (getattr(upload, "filename", None) or default_name)[:name_limit]
    await form.close()
    return p, raw, name


@router.post("/my/workbook")
async def workbook_upload(request: Request, lang: Lang):
    """The filled-in workbook back: signed in (else sign-in), the CSRF token, a reporter or the secretariat; then
    every cell read, all rows saved or none, every error named by sheet, row and column in the page's language."""
    p, raw, name = await read_upload(request, href_for(lang)("/my"), workbook.MAX_BYTES, ("reporter", "secretariat"),
                                     "workbook.xlsx")
    return await run_in_threadpool(_import, request, lang, p, raw, name)


def _import(request, lang, p, raw: bytes, name: str):
    from mieruka import storage

    with storage.session_scope(request.app.state.db_url, write=True) as session:
        if not raw:
            return _my_page(request, session, lang, p, [t_file_missing(lang)], status=422)
        try:
            done = workbook.import_workbook(session, p, raw, name, via="web:xlsx")
        except workbook.WorkbookRefused as exc:
            session.rollback()
            return _my_page(request, session, lang, p, [exc.message[lang], *exc.lines(lang)], status=exc.status)
        except LostRace:
            session.rollback()
            text = ("取り込みの間に報告がほかの人に保存されました。何も保存していません。もう一度取り込んでください。"
                    if lang == "ja" else "A report was saved by someone else during the import; "
                                         "nothing was saved. Import again.")
            return _my_page(request, session, lang, p, [text], status=409)
        except WorkflowError as exc:
            session.rollback()
            _refused(exc, lang)
        imported = f"{len(done.saved)},{len(done.submitted)},{done.unchanged}"
    return RedirectResponse(href_for(lang)("/my", imported=imported), status_code=303)


def t_file_missing(lang: str) -> str:
    return "ファイルを選んでください。" if lang == "ja" else "Choose a file."


def _report_or_403(session, p: Principal, report_id: int):
    report = store.report(session, report_id)
    if report is None:
        raise RequestRefused(404, "no_report", id=report_id)
    if not reports.may_view(p, report):
        raise HTTPException(403, "この報告を見る権限がありません / You may not see this report")
    return report


def _report_page(request, session, lang, p, report, *, problems=None, conflict=None, form=None, status=200,
                 notice=None):
    rnd = store.round_by_id(session, report.round_id)
    kpi = kpi_rows(session, [report.kpi_id])[0]
    shown = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in reports.values(report).items()}
    if form:
        shown.update({k: v for k, v in form.items() if k in FIELDS})
    return render(request, "cycle/report.html", {
        "p": p, "report": report, "round": rnd, "kpi": kpi, "shown": shown, "labels": _labels(lang),
        "statuses": {k: v[0 if lang == "ja" else 1] for k, v in STATUSES.items()},
        "codes": _codes(), "state_label": reports.state_label(report.state, lang),
        "findings": checks.findings(session, report, lang, kpi, rnd), "history": _history(session, report, lang),
        "problems": [x.text(lang) for x in problems or []], "conflict": conflict, "notice": notice,
        "editable": _editable(p, report, rnd), "actions": _actions(lang),
        "reviewable": p.role == "secretariat" and report.state == "submitted" and rnd.state != "published",
        "returnable": p.role == "secretariat" and report.state in ("submitted", "approved") and rnd.state != "published",
        "evidence_files": evidence.listed(session, report), "step_rows": steps.for_report(session, report),
        "evidence_limit": evidence.max_bytes(), "evidence_max_files": evidence.MAX_FILES,
    }, status_code=status)


def _conflict_page(request, session, lang, p, report, conflict, form, status=409):
    """The form again with the conflict table, and no more: a 409 is answered while other savers wait, so it leaves
    out the published values, audit findings and history the full page adds (a query each, and the history grows
    with every save), and links to that page instead. Under 50 reporters saving, the full page made the 409s cost
    six times a save."""
    rnd = store.round_by_id(session, report.round_id)
    name, organisation = store.report_names(session, report.kpi_id, report.organisation_id)
    kpi = {"id": report.kpi_id, "name": name, "organisation": organisation}
    shown = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in reports.values(report).items()}
    shown.update({k: v for k, v in (form or {}).items() if k in FIELDS})
    return render(request, "cycle/report.html", {
        "p": p, "report": report, "round": rnd, "kpi": kpi, "shown": shown, "labels": _labels(lang),
        "statuses": {k: v[0 if lang == "ja" else 1] for k, v in STATUSES.items()},
        "codes": _codes(), "state_label": reports.state_label(report.state, lang), "light": True,
        "problems": [], "conflict": conflict, "notice": None, "editable": _editable(p, report, rnd),
        "actions": _actions(lang), "reviewable": False, "returnable": False,
    }, status_code=status)


def _codes() -> list[str]:
    return reports.rating_codes()


def _editable(p: Principal, report, rnd) -> bool:
    return (p.can_edit_org(report.organisation_id) and report.state in reports.EDITABLE.get(p.role, ())
            and (rnd.state == "open" or (rnd.state == "closed" and p.role == "secretariat")))


def _history(session, report, lang) -> list[dict]:
    return [h for h in reports.history(session, report.kpi_id, staff=True) if h["round_id"] == report.round_id]


@router.get("/reports/{report_id}")
def report_page(request: Request, report_id: int, session: DbSession, lang: Lang, p: Staff):
    return _report_page(request, session, lang, p, _report_or_403(session, p, report_id))


def _save_form(form) -> tuple[int, str, dict[str, str]]:
    """The report form's version, action and typed fields, bounded as Form(max_length=...) parameters would be; a
    RequestValidationError (a 422 naming the field) otherwise."""
    errors = []
    raw = form.get("version")
    if not isinstance(raw, str):
        errors.append({"type": "missing", "loc": ("body", "version"), "msg": "Field required"})
        version = 0
    else:
        try:
            version = int(raw.strip())
        except ValueError:
            errors.append({"type": "int_parsing", "loc": ("body", "version"), "input": raw[:40],
                           "msg": "Input should be a valid integer"})
            version = 0
        if not 0 <= version <= 10**9 and not errors:
            errors.append({"type": "less_than_equal" if version > 0 else "greater_than_equal",
                           "loc": ("body", "version"), "input": raw, "ctx": {"le": 10**9} if version > 0 else {"ge": 0},
                           "msg": "out of range"})
    action = form.get("action", "save")
    if not isinstance(action, str) or len(action) > 10:
        errors.append({"type": "string_too_long", "loc": ("body", "action"), "input": str(action)[:40],
                       "ctx": {"max_length": 10}, "msg": "too long"})
    typed = {}
    for name in FIELDS:
        value = form.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > reports.MAX_TEXT + 1:
            errors.append({"type": "string_too_long", "loc": ("body", name), "input": str(value),
                           "ctx": {"max_length": reports.MAX_TEXT + 1}, "msg": "too long"})
            continue
        typed[name] = value
    if errors:
        raise RequestValidationError(errors)
    return version, action, typed


# The save looks its session up itself, in its own transaction: one connection, one worker thread and one
# transaction per save instead of two of each (bench_cycle.py).
auth.looked_up_by_route("POST", r"/reports/[0-9]+")


@router.post("/reports/{report_id}")
async def report_save(request: Request, report_id: int):
    """A report saved (and submitted when action=submit). The route reads its own form and does its database work,
    the session lookup included, in one worker thread and one transaction: as a plain function with fourteen Form
    parameters and a session dependency, FastAPI's per-field form handling and three thread hops cost the server more
    CPU than the save itself (bench_cycle.py). The checks keep their order: a session (else sign-in), the CSRF token,
    the role, then the fields."""
    if not auth.has_session_cookie(request):
        raise auth.SignInRequired("/my")
    try:
        form = await request.form(max_files=0, max_fields=len(FIELDS) + 8)
    except HTTPException:
        await auth.resolve(request)
        raise
    except Exception:
        await auth.resolve(request)
        raise HTTPException(400, "フォームを読み取れません / the form cannot be read") from None
    return await run_in_threadpool(_save, request, report_id, pick_lang(request.query_params.get("lang")), form)


def _save(request, report_id: int, lang: str, form):
    from mieruka import storage

    # as pages.RowWriterSession: a report's own version column guards it, so no turn behind ingests
    with storage.session_scope(request.app.state.db_url, write=True, take_turns=False) as session:
        auth.principal_in(request, session)
        token = form.get("csrf_token")
        p = auth.check_writer(request, token if isinstance(token, str) else None, ("reporter", "secretariat"))
        version, action, typed = _save_form(form)
        report = _report_or_403(session, p, report_id)
        try:
            reports.save(session, p, report, typed, version)
            if action == "submit":
                reports.submit(session, p, report, report.version)
        except LostRace as race:
            conflict = reports.conflict_after_race(session, race.report_id, reports.read_fields(typed)[0])
            report = store.report(session, report_id)
            return _conflict_page(request, session, lang, p, report, conflict, conflict.mine)
        except Conflict as exc:
            # nothing was written, and the report and its round as read are the conflict's: no reload
            return _conflict_page(request, session, lang, p, report, exc, typed)
        except InvalidReport as exc:
            session.rollback()
            report = store.report(session, report_id)
            return _report_page(request, session, lang, p, report, problems=exc.problems, form=typed, status=422)
        except WorkflowError as exc:
            session.rollback()
            _refused(exc, lang)
    return RedirectResponse(href_for(lang)(f"/reports/{report_id}", saved=action), status_code=303)


@router.post("/reports/{report_id}/return")
def report_return(request: Request, report_id: int, session: DbSession, lang: Lang, p: SecretariatWriter,
                  version: Annotated[int, Form(ge=0, le=10**9)], comment: Text = None):
    report = _report_or_403(session, p, report_id)
    return review_step(session, lang, lambda: reports.return_report(session, p, report, comment or "", version),
                       lambda **shown: _report_page(request, session, lang, p, store.report(session, report_id),
                                                    **shown), Conflict, "/review")


@router.post("/reports/{report_id}/approve")
def report_approve(request: Request, report_id: int, session: DbSession, lang: Lang, p: SecretariatWriter,
                   version: Annotated[int, Form(ge=0, le=10**9)],
                   approve_target: Annotated[str | None, Form(max_length=5)] = None):
    report = _report_or_403(session, p, report_id)
    return review_step(session, lang,
                       lambda: reports.approve(session, p, report, version, approve_target=approve_target == "1"),
                       lambda **shown: _report_page(request, session, lang, p, store.report(session, report_id),
                                                    **shown), Conflict, "/review")


def review_step(session, lang: str, act, page, conflict: type[WorkflowError], queue: str):
    """A return or an approval (of a report or a survey answer): an unreadable comment is the page again with the
    problem (422), a version another reviewer moved is the page with both values (409), any other refusal its own
    status; done, back to the review queue. Nothing is kept of a refused step."""
    try:
        act()
    except InvalidReport as exc:
        session.rollback()
        return page(problems=exc.problems, status=422)
    except conflict as exc:
        session.rollback()
        return page(conflict=exc, status=409)
    except WorkflowError as exc:
        session.rollback()
        _refused(exc, lang)
    return RedirectResponse(href_for(lang)(queue), status_code=303)


@router.get("/review")
def review_queue(request: Request, session: DbSession, lang: Lang, p: Secretariat):
    live = {r.id for r in store.all_rounds(session) if r.state != "published"}
    found = [r for r in store.reports(session, states=["submitted", "returned", "approved"]) if r.round_id in live]
    rows = _rows(session, found, lang)
    return render(request, "cycle/review.html", {
        "p": p, "submitted": [r for r in rows if r["state"] == "submitted"],
        "others": [r for r in rows if r["state"] != "submitted"]})


@router.get("/rounds")
def rounds_page(request: Request, session: DbSession, lang: Lang, p: Secretariat, error: str | None = None):
    return _rounds_page(request, session, p)


def _rounds_page(request, session, p, error: str | None = None, status: int = 200, form=None):
    return render(request, "cycle/rounds.html", {
        "p": p, "rounds": [rounds.status(session, r) for r in store.all_rounds(session)], "error": error,
        "form": form or {}, "state_label": lambda state: reports.state_label(state, pick_lang(
            request.query_params.get("lang"))), "round_states": ROUND_STATES}, status_code=status)


ROUND_STATES = {"open": ("受付中", "open"), "closed": ("受付終了", "closed"), "published": ("公表済み", "published")}


def _form_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@router.post("/rounds")
def round_open(request: Request, session: DbSession, lang: Lang, p: SecretariatWriter,
               name: Annotated[str, Form(max_length=300)] = "", as_of: Annotated[str, Form(max_length=40)] = "",
               deadline: Annotated[str, Form(max_length=40)] = ""):
    form = {"name": name, "as_of": as_of, "deadline": deadline}
    when, until = _form_date(as_of), _form_date(deadline)
    bad = [f for f, v in (("as_of", when), ("deadline", until)) if v is None]
    if bad:
        names = {"as_of": ("基準日", "as-of date"), "deadline": ("締切", "deadline")}
        text = "、".join(names[b][0] for b in bad) + "を日付(例: 2019-03-31)で入力してください。" if lang == "ja" else \
            ", ".join(names[b][1] for b in bad) + ": give a date such as 2019-03-31."
        return _rounds_page(request, session, p, text, 422, form)
    try:
        rounds.open_round(session, p, name, when, until)
    except WorkflowError as exc:
        session.rollback()
        return _rounds_page(request, session, p, exc.message[lang], 422, form)
    return RedirectResponse(href_for(lang)("/rounds"), status_code=303)


def _round_action(request, session, lang, p, round_id: int, act):
    rnd = store.round_by_id(session, round_id)
    if rnd is None:
        raise RequestRefused(404, "no_round", id=round_id)
    try:
        act(session, p, rnd)
    except WorkflowError as exc:
        session.rollback()
        return _rounds_page(request, session, p, exc.message[lang], exc.status)
    return RedirectResponse(href_for(lang)("/rounds"), status_code=303)


@router.post("/rounds/{round_id}/close")
def round_close(request: Request, round_id: int, session: DbSession, lang: Lang, p: SecretariatWriter):
    return _round_action(request, session, lang, p, round_id, rounds.close_round)


@router.post("/rounds/{round_id}/publish")
def round_publish(request: Request, round_id: int, session: DbSession, lang: Lang, p: SecretariatWriter):
    return _round_action(request, session, lang, p, round_id, rounds.publish)


@router.post("/kpis/{kpi_id}/owner")
def kpi_owner(request: Request, kpi_id: int, session: DbSession, lang: Lang, p: SecretariatWriter,
              organisation: Annotated[str, Form(max_length=200)] = "", report: Annotated[int, Form(ge=0)] = 0):
    try:
        rounds.assign(session, p, kpi_id, organisation.strip())
    except WorkflowError as exc:
        session.rollback()
        _refused(exc, lang)
    return RedirectResponse(href_for(lang)(f"/reports/{report}" if report else "/review"), status_code=303)


@router.get("/kpis/{kpi_id}/history")
def kpi_history(request: Request, kpi_id: int, session: DbSession, lang: Lang):
    """The chain of every report of this KPI: public for published rounds; the secretariat and the owning
    reporters also see unpublished rounds and each step's values and comments."""
    rows = kpi_rows(session, [kpi_id])
    if not rows:
        raise RequestRefused(404, "no_kpi", id=kpi_id)
    p = auth.principal_of(request)
    owner = store.owners(session).get(kpi_id)
    staff = p is not None and (p.role == "secretariat" or p.can_edit_org(owner))
    chain = reports.history(session, kpi_id, staff=staff)
    return render(request, "cycle/history.html", history_context(rows[0], chain, staff, lang))


def history_context(kpi: dict, chain: list[dict], staff: bool, lang: str) -> dict:
    return {"kpi": kpi, "chain": chain, "staff": staff, "labels": _labels(lang), "actions": _actions(lang)}


ACTIONS = {"open": ("ラウンド開始", "round opened"), "save": ("保存", "saved"), "submit": ("提出", "submitted"),
           "return": ("差戻し", "returned"), "approve": ("承認", "approved"), "publish": ("公表", "published"),
           "attach": ("証拠資料の添付", "evidence attached"), "detach": ("証拠資料の削除", "evidence removed"),
           "correct": ("訂正の開始", "correction opened"), "amend": ("訂正", "amended")}


def _actions(lang: str) -> dict[str, str]:
    return {k: v[0 if lang == "ja" else 1] for k, v in ACTIONS.items()}


def _published_round(session, round_id: int, lang: str):
    rnd = store.round_by_id(session, round_id)
    if rnd is None or rnd.state != "published":  # an unpublished round is nobody's business on this public page
        raise RequestRefused(404, "no_edition", id=round_id)
    return rnd


@router.get("/rounds/{round_id}/changes")
def edition_changes(request: Request, round_id: int, session: DbSession, lang: Lang):
    """A published edition beside what was published before it: which actuals changed, which ratings moved."""
    compared = rounds.changes(session, _published_round(session, round_id, lang))
    moved = {"up": ("上昇", "up"), "down": ("低下", "down"), "new": ("新規", "new"), "same": ("変化なし", "same"),
             "changed": ("変更", "changed")}
    return render(request, "cycle/changes.html", {"c": compared,
                                                   "moved": {k: v[0 if lang == "ja" else 1] for k, v in moved.items()}})


@router.get("/rounds/{round_id}/changes.json")
def edition_changes_json(round_id: int, session: DbSession, lang: Lang):
    """The same comparison as JSON (published editions only)."""
    from fastapi.responses import JSONResponse

    return JSONResponse(rounds.changes(session, _published_round(session, round_id, lang)))
