"""Who a request acts for, and the guards of every state-changing route: a session, the CSRF token, the role.
The session cookie holds a random token signed with itsdangerous; the server keeps the session (web_sessions)."""
from __future__ import annotations

import os
import re
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mieruka import storage
from mieruka.accounts import service
from mieruka.accounts.service import Principal

SESSION_COOKIE = "mieruka_session"
SIGNIN_CSRF_COOKIE = "mieruka_signin"  # the CSRF token of the sign-in form, before any session exists


class SignInRequired(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


def https() -> bool:
    return os.environ.get("MIERUKA_HTTPS") == "1"


def _serializer(app: FastAPI, salt: str) -> URLSafeSerializer:
    key = getattr(app.state, "cookie_key", None)
    if key is None:
        key = os.environ.get("MIERUKA_SECRET_KEY")
        if not key:
            with storage.session_scope(app.state.db_url) as session:
                key = service.cookie_secret(session)
        app.state.cookie_key = key
    return URLSafeSerializer(key, salt=salt)


def unsign(app: FastAPI, value: str | None, salt: str = "session") -> str | None:
    if not value or len(value) > 400:
        return None
    try:
        return _serializer(app, salt).loads(value)
    except BadSignature:
        return None


def set_cookie(response, app: FastAPI, name: str, value: str, salt: str, max_age: int | None = None) -> None:
    response.set_cookie(name, _serializer(app, salt).dumps(value), httponly=True, samesite="lax", secure=https(),
                        max_age=max_age, path="/")


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def session_token(request: Request) -> str | None:
    return unsign(request.app, request.cookies.get(SESSION_COOKIE))


def _lookup(db_url: str, token: str) -> Principal | None:
    with storage.session_scope(db_url) as session:
        return service.session_principal(session, token)


# Routes that look the session up themselves, in the transaction their work opens anyway (web/routers/cycle.py's
# report save: fifty reporters saving back to back): (method, path pattern).
_LOOKED_UP_BY_ROUTE: list[tuple[str, re.Pattern]] = []


def looked_up_by_route(method: str, path: str) -> None:
    """Leave the session lookup of requests to `path` (a regular expression) to the route: it calls principal_in()
    in its own transaction, before anything else it reads or writes."""
    _LOOKED_UP_BY_ROUTE.append((method, re.compile(path)))


def _deferred(scope: Scope) -> bool:
    return any(scope["method"] == method and pattern.fullmatch(scope["path"])
               for method, pattern in _LOOKED_UP_BY_ROUTE)


def has_session_cookie(request: Request) -> bool:
    """The request carries a validly signed session cookie (whether its session still lasts is not asked)."""
    return bool(getattr(request.state, "session_token", None))


def principal_in(request: Request, session) -> Principal | None:
    """For a route of looked_up_by_route: who the request acts for, read in the route's own transaction, and kept as
    request.state.principal for what follows (its page, its error page)."""
    p = service.session_principal(session, getattr(request.state, "session_token", None))
    request.state.principal = p
    return p


async def resolve(request: Request) -> Principal | None:
    """For a route of looked_up_by_route that answers before its transaction (an unreadable form): the lookup the
    middleware left out, so that the page it answers names the account."""
    token = getattr(request.state, "session_token", None)
    if token and principal_of(request) is None:
        request.state.principal = await run_in_threadpool(_lookup, request.app.state.db_url, token)
    return principal_of(request)


class PrincipalMiddleware:
    """Sets request.state.principal from the session cookie; a visitor without the cookie costs no query.
    Pages seen signed in are never cached (they may show unpublished values). A plain ASGI middleware: Starlette's
    BaseHTTPMiddleware ran every request in a task of its own and passed each chunk of a body through a stream."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = session_token(request) if SESSION_COOKIE in request.cookies else None
        request.state.session_token = token
        deferred = bool(token) and _deferred(scope)
        if deferred:
            principal = None  # the route looks it up (principal_in); its answer is private all the same
        else:
            principal = await run_in_threadpool(_lookup, request.app.state.db_url, token) if token else None
        request.state.principal = principal
        if principal is None and not deferred:
            await self.app(scope, receive, send)
            return

        async def private(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, private)


def install(app: FastAPI) -> None:
    app.add_middleware(PrincipalMiddleware)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired):
        lang = request.query_params.get("lang")
        target = f"/signin?next={quote(exc.next_url, safe='')}" + ("&lang=en" if lang == "en" else "")
        return RedirectResponse(target, status_code=303)


def principal_of(request: Request) -> Principal | None:
    return getattr(request.state, "principal", None)


def _next_url(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def page_for(*roles: str):
    """A dependency for a page (GET) only some roles see: no session → sign-in, another role → 403."""

    async def guard(request: Request) -> Principal:  # async: no I/O, so no hop to a worker thread
        p = principal_of(request)
        if p is None:
            raise SignInRequired(_next_url(request))
        if roles and p.role not in roles:
            raise HTTPException(403, "この操作の権限がありません / You are not allowed to do this")
        return p

    return guard


def _csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(str(expected), str(given))


def writer(*roles: str):
    """The dependency of every state-changing route: a session (else redirect to sign-in), the session's CSRF token
    in the form field csrf_token (else 403), and one of roles (else 403). Runs before anything is read or written."""

    async def guard(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Principal:
        return check_writer(request, csrf_token, roles)  # async: no I/O, so no hop to a worker thread

    return guard


def check_writer(request: Request, csrf_token: str | None, roles: tuple[str, ...], next_url: str = "/my") -> Principal:
    """What writer() checks, for a route that reads its own form (a bounded body): a session (else sign-in, then
    next_url), the CSRF token (else 403), one of roles (else 403)."""
    p = principal_of(request)
    if p is None:
        raise SignInRequired(next_url)
    if not _csrf_ok(p.csrf, csrf_token):
        raise HTTPException(403, "フォームの確認用トークンが正しくありません。ページを読み込み直してください。"
                                 " / The form's CSRF token is wrong; reload the page.")
    if roles and p.role not in roles:
        raise HTTPException(403, "この操作の権限がありません / You are not allowed to do this")
    return p


def signin_csrf(request: Request) -> str:
    """The CSRF token of the sign-in form: kept in a signed cookie, sent back in the form."""
    return unsign(request.app, request.cookies.get(SIGNIN_CSRF_COOKIE), "signin") or secrets.token_urlsafe(32)


def check_signin_csrf(request: Request, csrf_token: str | None) -> None:
    if not _csrf_ok(unsign(request.app, request.cookies.get(SIGNIN_CSRF_COOKIE), "signin"), csrf_token):
        raise HTTPException(403, "フォームの確認用トークンが正しくありません。ページを読み込み直してください。"
                                 " / The form's CSRF token is wrong; reload the page.")


CurrentUser = Annotated[Principal | None, Depends(principal_of)]
