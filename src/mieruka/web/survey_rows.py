"""A local body's survey answers as table rows: for the secretariat's survey page and for /my, which the report
pages' router renders (a module of its own so that neither router imports the other both ways)."""
from __future__ import annotations

from mieruka.accounts.service import Principal
from mieruka.storage import survey_rounds as store
from mieruka.storage import workflow as rounds_store
from mieruka.workflow.reports import state_label


def answer_rows(session, found: list, lang: str) -> list[dict]:
    """Answers as table rows: body, survey, round, state, the answer in words."""
    requests = {r.id: r for r in store.requests(session)}
    rounds = {r.id: r for r in rounds_store.all_rounds(session)}
    names = store.body_names(session, sorted({a.body_code for a in found}))
    return [{"id": a.id, "body": names.get(a.body_code, a.body_code), "body_code": a.body_code,
             "initiative": requests[a.request_id].initiative, "as_of": requests[a.request_id].as_of,
             "round": rounds[requests[a.request_id].round_id].name, "state": a.state, "request_id": a.request_id,
             "state_label": state_label(a.state, lang), "adopted": a.adopted, "year_started": a.year_started,
             "return_comment": a.return_comment, "updated_by": a.updated_by, "updated_at": a.updated_at}
            for a in found]


def my_answers(session, p: Principal, lang: str) -> list[dict]:
    """A local reporter's own body's answers in rounds not yet published (for /my)."""
    if p.role != "local" or not p.local_body:
        return []
    live = [r.id for r in rounds_store.all_rounds(session) if r.state != "published"]
    requests = [r.id for r in store.requests(session, round_ids=live)]
    return answer_rows(session, store.answers(session, body_code=p.local_body, request_ids=requests), lang)
