"""Values read once per state of the database (storage.ChangeWatch) rather than once a request: what every local
body's page reads alike — all bodies' facts, the bodies, the surveys, the cases, the KPIs that count bodies — when
`mieruka publish` asks for 7,000 of those pages (a body's page, its plans' page, in two languages).

Shared between the server's threads: a kept value is never changed once kept (a caller that adds to one copies it),
and the dicts that keep them are changed under a lock."""
from __future__ import annotations

import os
import threading

from mieruka.storage import change_token
from mieruka.storage import local_bodies
from mieruka.storage import plans

_kept: dict[str, dict[tuple, object]] = {}  # what → {(database, state, *question): value}
_lock = threading.Lock()


def _forked() -> None:
    """In a process made by os.fork: a lock of the parent's (another thread may have held it) is not this one's."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forked)
# initiative and as_of come from the query string: a few questions of each kind are kept, not one per question asked
_QUESTIONS = {"map": 2 * 48 + 2,  # a map for each prefecture highlighted, in both languages (and none highlighted)
              "kpi_rows": 2}  # every KPI's row of a download: megabytes at national scale
_DEFAULT_QUESTIONS = 8


def state(session) -> tuple | None:
    """The database and the state of its data; None when it cannot be told (nothing is kept then). Read before the
    request reads anything it keeps, so that what is kept is at least as new as the state it is kept under."""
    url = session.get_bind().url.render_as_string(hide_password=False)
    token = change_token(url)
    return None if token is None else (url, token)


def value(at: tuple | None, what: str, question: tuple, make):
    """make(), or what it gave before in the same state of the data (`at`, from state()). Shared: not to be changed."""
    if at is None:
        return make()
    key = (*at, *question)
    with _lock:
        kept = _kept.get(what)
        if kept is not None and key in kept:
            return kept[key]
    made = make()  # outside the lock: two threads may both make it, neither waits for the other's queries
    with _lock:
        kept = _kept.setdefault(what, {})
        for k in [k for k in kept if k[0] == at[0] and k[:2] != at]:  # this database's older states: never asked again
            del kept[k]
        # past the bound, the oldest go first: another database's (a process that read several) before this one's
        # (clearing all made each new question read again what was kept for this state, once another had filled it)
        while len(kept) >= _QUESTIONS.get(what, _DEFAULT_QUESTIONS):
            del kept[next(iter(kept))]
        kept[key] = made
    return made


def per_state(session, what: str, question: tuple, make):
    """make(), read once per state of the data (value() at the session's state): what pages read alike of all KPIs —
    the list's filter menus, the stored evaluation dates, the schemes in use, the reform items — which a publish run
    asks for on each of its hundreds of list pages. For requests that only read (a write of the same request is not
    yet in the state the value would be kept under).

    The state is the one read before the session's first statement (kept in session.info for its later calls): the
    session's snapshot is then at least as new, so a value is never kept under a state newer than the data it was made
    from. A session that has read before its first call here keeps nothing: its snapshot may be older than the state
    read now (a write committed in between would leave the old values kept until the next write)."""
    at = session.info.get("kept_state")
    if at is None:
        if session.in_transaction():
            return make()
        at = session.info["kept_state"] = state(session)
    return value(at, what, question, make)


def ensure_registry(session, at: tuple | None) -> None:
    """local_bodies.ensure_registry (a count of all bodies) once per state of the data."""
    value(at, "registry", (), lambda: local_bodies.ensure_registry(session) or True)


def body(session, code: str, at: tuple | None) -> dict | None:
    """local_bodies.body, from all bodies read once per state of the data."""
    return value(at, "bodies", (), lambda: local_bodies.bodies(session)).get(code)


def has_plans(session, code: str, at: tuple | None) -> bool:
    """Whether the body has a plan: most have none, and that is told without a query of its own."""
    return code in value(at, "planning", (), lambda: plans.bodies_with_plans(session))
