"""Pages of the surveys asked within a round: the secretariat opens one and reviews the answers, a local body's
reporter answers for that body only. Every POST goes through auth.writer (session, CSRF, role)."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mieruka.accounts.service import Principal
from mieruka.storage import survey_rounds as store
from mieruka.storage import workflow as rounds_store
from mieruka.web import auth
from mieruka.web.pages import DbSession, Lang, RowWriterSession, href_for, render
from mieruka.web.guards import RequestRefused, path_id
from mieruka.web.survey_rows import answer_rows
from mieruka.web.routers.cycle import _my_page, _refused, read_upload, review_step, t_file_missing
from mieruka.workflow import survey_workbook, surveys, workbook
from mieruka.workflow.reports import InvalidReport, WorkflowError, state_label

router = APIRouter(include_in_schema=False)
MESSAGES = Path(__file__).resolve().parents[1] / "templates" / "cycle" / "survey_messages.toml"

Viewer = Annotated[Principal, Depends(auth.page_for("local", "secretariat"))]
Secretariat = Annotated[Principal, Depends(auth.page_for("secretariat"))]
Answerer = Annotated[Principal, Depends(auth.writer("local", "secretariat"))]
SecretariatWriter = Annotated[Principal, Depends(auth.writer("secretariat"))]
Short = Annotated[str | None, Form(max_length=101)]


def _labels(lang: str) -> dict[str, str]:
    return {k: v[0 if lang == "ja" else 1] for k, v in surveys.LABELS.items()}


def _answer_or_refused(session, p: Principal, answer_id: int):
    answer = store.answer(session, answer_id)
    if answer is None:
        raise RequestRefused(404, "no_answer", id=answer_id)
    if not surveys.may_view(p, answer):
        raise HTTPException(403, "この回答を見る権限がありません / You may not see this answer")
    return answer


def _answer_page(request, session, lang, p, answer, *, problems=None, conflict=None, form=None, status=200):
    req = store.request_by_id(session, answer.request_id)
    rnd = rounds_store.round_by_id(session, req.round_id)
    shown = surveys.values(answer)
    shown["adopted"] = {True: "○", False: "×", None: ""}[shown["adopted"]]
    for k in ("cost_before", "cost_after"):
        if isinstance(shown[k], float) and shown[k].is_integer():
            shown[k] = int(shown[k])
    if form:
        shown.update({k: v for k, v in form.items() if k in surveys.FIELDS})
    editable = p.role in surveys.EDITABLE and answer.state in surveys.EDITABLE[p.role] and (
        rnd.state == "open" or (rnd.state == "closed" and p.role == "secretariat"))
    live = rnd.state != "published" and p.role == "secretariat"
    return render(request, "cycle/survey_answer.html", {
        "p": p, "answer": answer, "survey": req, "round": rnd, "shown": shown, "labels": _labels(lang),
        "body": store.body_names(session, [answer.body_code]).get(answer.body_code, answer.body_code),
        "state_label": state_label(answer.state, lang), "editable": editable,
        "submittable": editable and answer.state in ("draft", "returned") and rnd.state == "open",
        "approvable": live and answer.state == "submitted",
        "returnable": live and answer.state in ("submitted", "approved"),
        "problems": [x.text(lang) for x in problems or []], "conflict": conflict,
        "history": surveys.history(session, answer)}, status_code=status)


@router.get("/surveys/{request_id}/workbook")
def workbook_download(request: Request, request_id: path_id("survey"), session: DbSession, lang: Lang, p: Viewer):
    """The survey's answers as an XLSX to fill in offline: the local account's own body's, or every body's."""
    req = store.request_by_id(session, request_id)
    if req is None:
        raise RequestRefused(404, "no_survey", id=request_id)
    try:
        book = survey_workbook.export(session, p, req, lang)
    except WorkflowError as exc:
        _refused(exc, lang)
    return Response(book.content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=\"survey-{req.id}.xlsx\"; "
                                                    f"filename*=UTF-8''{quote(book.file_name)}",
                             "X-Content-Type-Options": "nosniff"})


@router.post("/surveys/workbook")
async def workbook_upload(request: Request, lang: Lang):
    """The filled-in survey workbook back: signed in (else sign-in), the CSRF token, a local account or the
    secretariat; every cell read, all rows saved or none, every error named by sheet, row and column."""
    p, raw, name = await read_upload(request, href_for(lang)("/my"), workbook.MAX_BYTES, ("local", "secretariat"),
                                     "survey.xlsx")
    return await run_in_threadpool(_import, request, lang, p, raw, name)


def _import(request, lang, p, raw: bytes, name: str):
    from mieruka import storage
    with storage.session_scope(request.app.state.db_url, write=True) as session:
        if not raw:
            return _my_page(request, session, lang, p, [t_file_missing(lang)], status=422)
        try:
            done = survey_workbook.import_workbook(session, p, raw, name, via="web:xlsx")
        except workbook.WorkbookRefused as exc:
            session.rollback()
            return _my_page(request, session, lang, p, [exc.message[lang], *exc.lines(lang)], status=exc.status)
        except (surveys.AnswerLostRace, surveys.AnswerConflict):
            session.rollback()
            text = ("取り込みの間に回答がほかの人に保存されました。何も保存していません。もう一度取り込んでください。"
                    if lang == "ja" else "An answer was saved by someone else during the import; "
                                         "nothing was saved. Import again.")
            return _my_page(request, session, lang, p, [text], status=409)
        except WorkflowError as exc:
            session.rollback()
            _refused(exc, lang)
        imported = f"{len(done.saved)},{len(done.submitted)},{done.unchanged}"
    return RedirectResponse(href_for(lang)("/my", imported=imported), status_code=303)


@router.get("/surveys")
def surveys_page(request: Request, session: DbSession, lang: Lang, p: Secretariat):
    """The secretariat's view: each round's surveys with their answers by state, the submitted ones to review."""
    rounds = [r for r in rounds_store.all_rounds(session)]
    requests = store.requests(session)
    counts = {}
    for a in store.answers(session, states=["submitted", "returned", "approved"]):
        counts.setdefault(a.request_id, {}).setdefault(a.state, 0)
        counts[a.request_id][a.state] += 1
    submitted = answer_rows(session, store.answers(session, states=["submitted"]), lang)
    return render(request, "cycle/surveys.html", {
        "p": p, "rounds": rounds, "open_rounds": [r for r in rounds if r.state == "open"],
        "round_names": {r.id: r.name for r in rounds}, "requests": requests, "counts": counts,
        "submitted": submitted, "error": None, "form": {},
        "live_requests": [(r.id, r.initiative) for r in requests
                          if r.round_id in {x.id for x in rounds if x.state != "published"}]})


@router.post("/rounds/{round_id}/surveys")
def survey_open(request: Request, round_id: int, session: DbSession, lang: Lang, p: SecretariatWriter,
                initiative: Annotated[str, Form(max_length=300)] = "", as_of: Annotated[str, Form(max_length=40)] = ""):
    try:
        when = date.fromisoformat(as_of.strip())
    except ValueError:
        when = None
    try:
        if when is None:
            raise InvalidReport([surveys.Problem("as_of", "日付(例: 2019-04-01)で入力してください。",
                                                 "give a date such as 2019-04-01.")])
        surveys.open_survey(session, p, round_id, initiative, when)
    except InvalidReport as exc:
        session.rollback()
        raise HTTPException(422, " ".join(x.text(lang) for x in exc.problems)) from None
    except WorkflowError as exc:
        session.rollback()
        _refused(exc, lang)
    return RedirectResponse(href_for(lang)("/surveys"), status_code=303)


@router.get("/surveys/answers/{answer_id}")
def answer_page(request: Request, answer_id: int, session: DbSession, lang: Lang, p: Viewer):
    return _answer_page(request, session, lang, p, _answer_or_refused(session, p, answer_id))


@router.post("/surveys/answers/{answer_id}")
def answer_save(request: Request, answer_id: int, session: RowWriterSession, lang: Lang, p: Answerer,
                version: Annotated[int, Form(ge=0, le=10**9)], action: Annotated[str, Form(max_length=10)] = "save",
                adopted: Short = None, year_started: Short = None, cost_before: Short = None,
                cost_after: Short = None, population: Short = None):
    answer = _answer_or_refused(session, p, answer_id)
    typed = {k: v for k, v in dict(adopted=adopted, year_started=year_started, cost_before=cost_before,
                                   cost_after=cost_after, population=population).items() if v is not None}
    try:
        surveys.save(session, p, answer, typed, version)
        if action == "submit":
            surveys.submit(session, p, answer, answer.version)
    except surveys.AnswerLostRace:
        session.rollback()
        answer = store.answer(session, answer_id)
        session.refresh(answer)
        return _answer_page(request, session, lang, p, answer, conflict=surveys.AnswerConflict(
            answer, surveys.read_fields(typed)[0]), form=typed, status=409)
    except surveys.AnswerConflict as exc:
        session.rollback()
        return _answer_page(request, session, lang, p, store.answer(session, answer_id), conflict=exc, form=typed,
                            status=409)
    except InvalidReport as exc:
        session.rollback()
        return _answer_page(request, session, lang, p, store.answer(session, answer_id), problems=exc.problems,
                            form=typed, status=422)
    except WorkflowError as exc:
        session.rollback()
        _refused(exc, lang)
    return RedirectResponse(href_for(lang)(f"/surveys/answers/{answer_id}", saved=action), status_code=303)


@router.post("/surveys/answers/{answer_id}/return")
def answer_return(request: Request, answer_id: int, session: DbSession, lang: Lang, p: SecretariatWriter,
                  version: Annotated[int, Form(ge=0, le=10**9)],
                  comment: Annotated[str | None, Form(max_length=surveys.MAX_TEXT + 1)] = None):
    answer = _answer_or_refused(session, p, answer_id)
    return review_step(session, lang, lambda: surveys.return_answer(session, p, answer, comment or "", version),
                       lambda **shown: _answer_page(request, session, lang, p, store.answer(session, answer_id),
                                                    **shown), surveys.AnswerConflict, "/surveys")


@router.post("/surveys/answers/{answer_id}/approve")
def answer_approve(request: Request, answer_id: int, session: DbSession, lang: Lang, p: SecretariatWriter,
                   version: Annotated[int, Form(ge=0, le=10**9)]):
    answer = _answer_or_refused(session, p, answer_id)
    return review_step(session, lang, lambda: surveys.approve(session, p, answer, version),
                       lambda **shown: _answer_page(request, session, lang, p, store.answer(session, answer_id),
                                                    **shown), surveys.AnswerConflict, "/surveys")
