"""Sign-in, sign-out and the administrator's accounts page. Every POST checks a CSRF token (web/auth.py);
the session lives on the server and sign-out deletes it there."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from mieruka.accounts import passwords, service
from mieruka.accounts.service import AccountError, Principal
from mieruka.storage import accounts as account_store
from mieruka.web import auth
from mieruka.web.pages import DbSession, Lang, href_for, render

router = APIRouter(include_in_schema=False)
MESSAGES = Path(__file__).resolve().parents[1] / "templates" / "cycle" / "messages.toml"
install = auth.install


def _safe_next(value: str | None) -> str:
    """Only a path on this site: never an absolute or scheme-relative URL (an open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/my"
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else "/my"


@router.get("/signin")
def signin_page(request: Request, lang: Lang, next: str | None = None):
    token = auth.signin_csrf(request)
    response = render(request, "cycle/signin.html", {"next": _safe_next(next), "csrf": token, "error": None,
                                                     "rule": passwords.RULE[lang]})
    auth.set_cookie(response, request.app, auth.SIGNIN_CSRF_COOKIE, token, "signin", max_age=3600)
    return response


@router.post("/signin")
def signin(request: Request, session: DbSession, lang: Lang, login: Annotated[str, Form(max_length=200)] = "",
           password: Annotated[str, Form(max_length=1000)] = "", csrf_token: Annotated[str, Form()] = "",
           next: Annotated[str, Form(max_length=500)] = "/my"):
    auth.check_signin_csrf(request, csrf_token)
    service.sign_out(session, auth.session_token(request), auth.client_of(request))  # never two sessions in one browser
    try:
        principal, token = service.sign_in(session, login, password, auth.client_of(request))
    except service.SignInRefused as exc:
        session.commit()  # the failed attempt and its log entry are kept: they drive the lock-out
        return render(request, "cycle/signin.html", {"next": _safe_next(next), "csrf": csrf_token,
                                                     "error": exc.message[lang], "login": login,
                                                     "rule": passwords.RULE[lang]}, status_code=401)
    target = _safe_next(next)
    if lang == "en" and "lang=" not in target:
        target += ("&" if "?" in target else "?") + "lang=en"
    response = RedirectResponse(target, status_code=303)
    auth.set_cookie(response, request.app, auth.SESSION_COOKIE, token, "session",
                    max_age=int(service.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(auth.SIGNIN_CSRF_COOKIE, path="/")
    return response


@router.post("/signout")
def signout(request: Request, session: DbSession, lang: Lang, p: Annotated[Principal, Depends(auth.writer())]):
    service.sign_out(session, auth.session_token(request), auth.client_of(request))
    response = RedirectResponse(href_for(lang)("/"), status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    return response


# --- the administrator's accounts page ----------------------------------------------------------

def _users_page(request, session, lang, p, error: str | None = None, done: str | None = None, form=None,
                status: int = 200):
    return render(request, "cycle/users.html", {
        "users": service.list_users(session), "organisations": account_store.organisation_names(session),
        "roles": service.ROLE_NAMES, "error": error, "done": done, "form": form or {},
        "rule": passwords.RULE[lang]}, status_code=status)


@router.get("/admin/users")
def users_page(request: Request, session: DbSession, lang: Lang,
               p: Annotated[Principal, Depends(auth.page_for("admin"))], done: str | None = None):
    return _users_page(request, session, lang, p, done=done[:80] if done else None)


def _orgs(text: str) -> list[str]:
    return [x.strip() for x in text.replace("、", ",").split(",") if x.strip()]


@router.post("/admin/users")
def users_add(request: Request, session: DbSession, lang: Lang, p: Annotated[Principal, Depends(auth.writer("admin"))],
              login: Annotated[str, Form(max_length=200)] = "", display_name: Annotated[str, Form(max_length=400)] = "",
              password: Annotated[str, Form(max_length=1000)] = "", role: Annotated[str, Form(max_length=40)] = "",
              organisations: Annotated[str, Form(max_length=2000)] = "",
              local_body: Annotated[str, Form(max_length=20)] = ""):
    try:
        created = service.create_user(session, login, display_name, password, role, organisations=_orgs(organisations),
                                      local_body=local_body.strip() or None, actor=p.login,
                                      client=auth.client_of(request))
    except AccountError as exc:
        session.rollback()
        form = {"login": login, "display_name": display_name, "role": role, "organisations": organisations,
                "local_body": local_body}
        return _users_page(request, session, lang, p, error=f"{exc.field}: {exc.message[lang]}", form=form,
                           status=422)
    return RedirectResponse(href_for(lang)("/admin/users", done=created.login), status_code=303)


@router.post("/admin/users/{login}/role")
def users_role(request: Request, login: str, session: DbSession, lang: Lang,
               p: Annotated[Principal, Depends(auth.writer("admin"))], role: Annotated[str, Form(max_length=40)] = "",
               organisations: Annotated[str, Form(max_length=2000)] = "",
               local_body: Annotated[str, Form(max_length=20)] = ""):
    try:
        service.set_role(session, login, role, organisations=_orgs(organisations),
                         local_body=local_body.strip() or None, actor=p.login, client=auth.client_of(request))
    except AccountError as exc:
        session.rollback()
        return _users_page(request, session, lang, p, error=f"{exc.field}: {exc.message[lang]}", status=422)
    return RedirectResponse(href_for(lang)("/admin/users", done=login), status_code=303)


@router.post("/admin/users/{login}/active")
def users_active(request: Request, login: str, session: DbSession, lang: Lang,
                 p: Annotated[Principal, Depends(auth.writer("admin"))],
                 active: Annotated[str, Form(max_length=5)] = "0"):
    if login == p.login and active != "1":
        return _users_page(request, session, lang, p, status=422,
                           error={"ja": "自分のアカウントは無効にできません。",
                                  "en": "You cannot disable your own account."}[lang])
    try:
        service.set_active(session, login, active == "1", actor=p.login, client=auth.client_of(request))
    except AccountError as exc:
        session.rollback()
        return _users_page(request, session, lang, p, error=exc.message[lang], status=404)
    return RedirectResponse(href_for(lang)("/admin/users", done=login), status_code=303)
