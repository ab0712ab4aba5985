"""What the report page holds beside the report's fields: the progress of the reform item's process steps (its own
form under the report's version) and the evidence files (upload, download as an attachment only, removal). Every
POST checks the session, the CSRF token and the role before anything is written (web/auth.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mieruka.accounts.service import Principal
from mieruka.storage import workflow as store
from mieruka.web import auth
from mieruka.web.guards import RequestRefused, path_id
from mieruka.web.pages import DbSession, Lang, href_for
from mieruka.web.routers.cycle import _refused, _report_or_403, _report_page, read_upload
from mieruka.workflow import evidence, steps
from mieruka.workflow.reports import Conflict, InvalidReport, LostRace, WorkflowError, conflict_after_race

router = APIRouter(include_in_schema=False)
MESSAGES = Path(__file__).resolve().parents[1] / "templates" / "cycle" / "extras_messages.toml"

Editor = Annotated[Principal, Depends(auth.writer("reporter", "secretariat"))]
ReportId = path_id("report")
EvidenceId = path_id("evidence file")


class _Problem:
    """A refusal shown on the report page, naming the file."""

    def __init__(self, name: str, exc: WorkflowError):
        self.name, self.message = name, exc.message

    def text(self, lang: str) -> str:
        return f"{self.name}: {self.message[lang]}"


async def _form(request: Request):
    return await request.form()


@router.post("/reports/{report_id}/steps")
def steps_save(request: Request, report_id: ReportId, session: DbSession, lang: Lang, p: Editor,
               version: Annotated[int, Form(ge=0, le=10**9)], form=Depends(_form)):
    """The progress of the steps: fields step_N (the step as worded) and progress_N, N = 1, 2, …"""
    report = _report_or_403(session, p, report_id)
    typed = {}
    for key, step in form.multi_items():
        if key.startswith("step_") and isinstance(step, str):
            text = form.get("progress_" + key[5:])
            typed[step[:steps.MAX_TEXT + 1]] = text if isinstance(text, str) else None
    try:
        steps.save(session, p, report, typed, version)
    except LostRace as race:
        conflict = conflict_after_race(session, race.report_id, {})
        return _report_page(request, session, lang, p, store.report(session, report_id), conflict=conflict,
                            status=409)
    except Conflict as exc:
        session.rollback()
        return _report_page(request, session, lang, p, store.report(session, report_id), conflict=exc, status=409)
    except InvalidReport as exc:
        session.rollback()
        return _report_page(request, session, lang, p, store.report(session, report_id), problems=exc.problems,
                            status=422)
    except WorkflowError as exc:
        session.rollback()
        _refused(exc, lang)
    return RedirectResponse(href_for(lang)(f"/reports/{report_id}", saved="steps"), status_code=303)


@router.post("/reports/{report_id}/evidence")
async def evidence_upload(request: Request, report_id: ReportId, lang: Lang):
    """One evidence file: signed in (else sign-in), the body refused past the size limit before it is read whole,
    then the CSRF token and the role, then the report's own rules (its editors, while it can be edited)."""
    p, raw, name = await read_upload(request, href_for(lang)(f"/reports/{report_id}"), evidence.max_bytes(),
                                     ("reporter", "secretariat"), "", 1000)
    return await run_in_threadpool(_attach, request, lang, p, report_id, raw, name)


def _attach(request, lang, p, report_id: int, raw: bytes, name: str):
    from mieruka import storage

    with storage.session_scope(request.app.state.db_url, write=True) as session:
        report = _report_or_403(session, p, report_id)
        try:
            done = evidence.attach(session, p, report, raw, name, client=auth.client_of(request))
        except evidence.EvidenceRefused as exc:
            session.rollback()
            return _report_page(request, session, lang, p, store.report(session, report_id),
                                problems=[_Problem(evidence.clean_name(name) if name else "—", exc)], status=exc.status)
        except WorkflowError as exc:
            session.rollback()
            _refused(exc, lang)
        result = "added" if done.new else "same"
    return RedirectResponse(href_for(lang)(f"/reports/{report_id}", evidence=result), status_code=303)


@router.post("/reports/{report_id}/evidence/{evidence_id}/remove")
def evidence_remove(request: Request, report_id: ReportId, evidence_id: EvidenceId, session: DbSession, lang: Lang, p: Editor):
    report = _report_or_403(session, p, report_id)
    try:
        evidence.remove(session, p, report, evidence_id, client=auth.client_of(request))
    except WorkflowError as exc:
        session.rollback()
        _refused(exc, lang)
    return RedirectResponse(href_for(lang)(f"/reports/{report_id}", evidence="removed"), status_code=303)


def _ascii_name(name: str) -> str:
    """The fallback name for clients without filename*: letters, digits, dot, hyphen and underscore only."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in name) or "evidence"


@router.get("/reports/{report_id}/evidence/{evidence_id}")
def evidence_download(request: Request, report_id: ReportId, evidence_id: EvidenceId, session: DbSession,
                      lang: Lang):
    """The file as uploaded, only ever as an attachment, in a type no browser renders as a page. Anonymous
    visitors are told nothing exists (404); a signed-in account that may not see the report gets 403."""
    p = auth.principal_of(request)
    report = store.report(session, report_id) if p is not None else None
    if report is None:
        raise RequestRefused(404, "no_evidence")
    try:
        row = evidence.fetch(session, p, report, evidence_id)
    except WorkflowError as exc:
        _refused(exc, lang)
    return Response(row.raw, media_type=evidence.served_type(row.content_type), headers={
        "Content-Disposition": f"attachment; filename=\"{_ascii_name(row.file_name)}\"; "
                               f"filename*=UTF-8''{quote(row.file_name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store"})
