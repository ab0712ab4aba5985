"""The secretariat's correction of a published edition: a new round that starts from what the edition published,
changed on the usual report pages, approved and published as a new edition naming the one it corrects."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from mieruka.accounts.service import Principal
from mieruka.storage import workflow as store
from mieruka.web import auth
from mieruka.web.pages import DbSession, Lang, href_for
from mieruka.web.routers.cycle import _rounds_page
from mieruka.workflow import corrections
from mieruka.workflow.reports import MAX_TEXT, WorkflowError

router = APIRouter(include_in_schema=False)

SecretariatWriter = Annotated[Principal, Depends(auth.writer("secretariat"))]


@router.post("/rounds/corrections")
def correction_open(request: Request, session: DbSession, lang: Lang, p: SecretariatWriter,
                    round: Annotated[int, Form(ge=0, le=10**9)] = 0,
                    note: Annotated[str, Form(max_length=MAX_TEXT + 1)] = "",
                    name: Annotated[str, Form(max_length=300)] = ""):
    corrected = store.round_by_id(session, round)
    if corrected is None:
        text = "訂正する版を選んでください。" if lang == "ja" else "Choose the edition to correct."
        return _rounds_page(request, session, p, text, 422, {"note": note, "correct_name": name})
    try:
        rnd = corrections.open_correction(session, p, corrected, note, name)
    except WorkflowError as exc:
        session.rollback()
        return _rounds_page(request, session, p, exc.message[lang], exc.status if exc.status != 409 else 422,
                            {"note": note, "correct_name": name})
    return RedirectResponse(href_for(lang)("/review", correction=str(rnd.id)), status_code=303)
