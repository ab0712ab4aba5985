"""Users, roles, sign-in with lock-out, server-side sessions and the security log.
Callers pass an open SQLAlchemy session; nothing here commits (the caller's transaction does, or rolls back)."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from mieruka.accounts import passwords
from mieruka.storage import accounts as store
from mieruka.storage.cycle_models import ROLES

SESSION_LIFETIME = timedelta(hours=8)
LOCK_WINDOW = timedelta(minutes=15)
LOCK_AFTER_LOGIN = 5     # failures for one login within LOCK_WINDOW lock that login for LOCK_WINDOW
LOCK_AFTER_CLIENT = 20   # failures from one address (an office shares one behind its proxy) lock that address
LOGIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,79}$")
ROLE_NAMES = {"admin": ("管理者", "administrator"), "secretariat": ("事務局", "secretariat"),
              "reporter": ("府省庁の報告者", "ministry reporter"), "local": ("地方公共団体の報告者", "local-body reporter")}


class AccountError(ValueError):
    """Refused: .message in each language, .field the form field it concerns."""

    def __init__(self, ja: str, en: str, field: str | None = None):
        super().__init__(en)
        self.message = {"ja": ja, "en": en}
        self.field = field


class SignInRefused(AccountError):
    pass


@dataclass
class Principal:
    """Who a request acts for."""

    user_id: int
    login: str
    name: str
    role: str
    organisations: dict[int, str] = field(default_factory=dict)
    local_body: str | None = None
    csrf: str = ""

    def can_edit_org(self, organisation_id: int | None) -> bool:
        if self.role == "secretariat":
            return True
        return self.role == "reporter" and organisation_id in self.organisations


def now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)  # SQLite hands back naive datetimes


def log(session: Session, event: str, actor: str | None, subject: str | None = None, client: str | None = None,
        **details) -> None:
    store.add_event(session, event=event, actor=actor, subject=subject, client=client, details=details or None,
                    at=now())


def _check_role(session: Session, role: str, organisations: list[str], local_body: str | None) -> list[int]:
    if role not in ROLES:
        raise AccountError(f"役割「{role}」はありません。{', '.join(ROLES)} のいずれかを指定してください。",
                           f"There is no role {role!r}; use one of {', '.join(ROLES)}.", "role")
    org_ids: list[int] = []
    if role == "reporter":
        if not organisations:
            raise AccountError("府省庁の報告者には、報告する府省庁を1つ以上指定してください。",
                               "A reporter needs at least one organisation.", "organisations")
        found = store.organisation_ids(session, organisations)
        unknown = [n for n, i in found.items() if i is None]
        if unknown:
            raise AccountError(f"府省庁「{'、'.join(unknown)}」はデータベースにありません。",
                               f"Organisation {', '.join(unknown)} is not in the database.", "organisations")
        org_ids = [i for i in found.values() if i is not None]
    elif organisations:
        raise AccountError("府省庁を指定できるのは府省庁の報告者だけです。",
                           "Only a reporter has organisations.", "organisations")
    if role == "local":
        if not local_body or not store.local_body_exists(session, local_body):
            raise AccountError(f"地方公共団体コード「{local_body or ''}」が見つかりません(6桁の団体コードを指定)。",
                               f"Local-body code {local_body or ''!r} not found (give the 6-digit JIS code).",
                               "local_body")
    elif local_body:
        raise AccountError("地方公共団体を指定できるのは地方公共団体の報告者だけです。",
                           "Only a local reporter has a local body.", "local_body")
    return org_ids


def create_user(session: Session, login: str, display_name: str, password: str, role: str, *,
                organisations: list[str] | None = None, local_body: str | None = None,
                actor: str = "cli", client: str | None = None) -> Principal:
    login = (login or "").strip()
    display_name = (display_name or "").strip() or login
    if not LOGIN_RE.match(login):
        raise AccountError("ログイン名は2〜80文字の英数字と . _ @ - で、英数字で始めてください。",
                           "A login is 2-80 letters, digits and . _ @ -, starting with a letter or digit.", "login")
    if len(display_name) > 200:
        raise AccountError("表示名は200文字以内にしてください。", "A display name has at most 200 characters.",
                           "display_name")
    if store.user_by_login(session, login) is not None:
        raise AccountError(f"ログイン名「{login}」は使われています。", f"The login {login!r} is taken.", "login")
    org_ids = _check_role(session, role, organisations or [], local_body)
    try:
        passwords.check(password, login)
    except passwords.WeakPassword as exc:
        raise AccountError(exc.message["ja"], exc.message["en"], "password") from None
    user = store.add_user(session, login=login, display_name=display_name, role=role, local_body_code=local_body,
                          password_hash=passwords.hash_password(password), active=True, created_by=actor,
                          created_at=now())
    store.set_user_organisations(session, user.id, org_ids)
    log(session, "user_add", actor, login, client, role=role, organisations=organisations or [],
        local_body=local_body)
    return principal(session, user)


def principal(session: Session, user, csrf: str = "") -> Principal:
    return Principal(user.id, user.login, user.display_name, user.role,
                     dict(store.user_organisations(session, user.id)), user.local_body_code, csrf)


def _user(session: Session, login: str):
    user = store.user_by_login(session, login)
    if user is None:
        raise AccountError(f"ログイン名「{login}」の利用者はいません。", f"No user has the login {login!r}.", "login")
    return user


def set_role(session: Session, login: str, role: str, *, organisations: list[str] | None = None,
             local_body: str | None = None, actor: str = "cli", client: str | None = None) -> Principal:
    user = _user(session, login)
    org_ids = _check_role(session, role, organisations or [], local_body)
    before = principal(session, user)
    user.role, user.local_body_code = role, local_body
    store.set_user_organisations(session, user.id, org_ids)
    store.delete_web_sessions(session, user_id=user.id)  # a new role starts from a fresh sign-in
    log(session, "role_change", actor, login, client,
        old={"role": before.role, "organisations": sorted(before.organisations.values()),
             "local_body": before.local_body},
        new={"role": role, "organisations": sorted(organisations or []), "local_body": local_body})
    return principal(session, user)


def set_active(session: Session, login: str, active: bool, *, actor: str = "cli", client: str | None = None) -> None:
    user = _user(session, login)
    user.active = active
    if not active:
        store.delete_web_sessions(session, user_id=user.id)
    log(session, "user_enable" if active else "user_disable", actor, login, client)


def list_users(session: Session) -> list[dict]:
    return [{"login": u.login, "name": u.display_name, "role": u.role, "active": u.active,
             "organisations": "、".join(n for _, n in store.user_organisations(session, u.id)),
             "local_body": u.local_body_code, "created_at": u.created_at, "created_by": u.created_by}
            for u in store.all_users(session)]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, login: str, password: str, client: str) -> tuple[Principal, str]:
    """The principal and a new session token; SignInRefused (one message for a wrong login or password) otherwise.
    Counts failures per login and per client: LOCK_AFTER_LOGIN / LOCK_AFTER_CLIENT within LOCK_WINDOW lock out."""
    at = now()
    login = (login or "").strip()[:80]
    since = at - LOCK_WINDOW
    by_login = store.failures_since(session, since, login=login)
    by_client = store.failures_since(session, since, client=client)
    if by_login >= LOCK_AFTER_LOGIN or by_client >= LOCK_AFTER_CLIENT:
        log(session, "sign_in_locked", None, login, client)
        minutes = int(LOCK_WINDOW.total_seconds() // 60)
        raise SignInRefused(f"サインインの失敗が続いたため、{minutes}分間サインインできません。",
                            f"Too many failed sign-ins: try again in {minutes} minutes.")
    user = store.user_by_login(session, login)
    ok = passwords.verify(password, user.password_hash if user else passwords.DUMMY_HASH) and user is not None
    ok = ok and user.active
    store.add_attempt(session, login, client, ok, at)
    if not ok:
        log(session, "sign_in_failed", None, login, client)
        if by_login + 1 >= LOCK_AFTER_LOGIN or by_client + 1 >= LOCK_AFTER_CLIENT:
            log(session, "lockout", None, login, client,
                by="login" if by_login + 1 >= LOCK_AFTER_LOGIN else "client")
        raise SignInRefused("ログイン名またはパスワードが違います(無効にされた利用者もサインインできません)。",
                            "Wrong login or password (a disabled account cannot sign in either).")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    store.delete_web_sessions(session, expired_before=at)
    store.add_web_session(session, token_hash=_hash(token), user_id=user.id, csrf_token=csrf, created_at=at,
                          expires_at=at + SESSION_LIFETIME, client=client[:64])
    log(session, "sign_in", login, login, client)
    return principal(session, user, csrf), token


def session_principal(session: Session, token: str | None) -> Principal | None:
    """Who holds this session token, while the session lasts and the account is active."""
    if not token:
        return None
    rows = store.session_holder(session, _hash(token))
    if not rows:
        return None
    expires, csrf, user_id, login, name, role, local_body, active = rows[0][:8]
    if _aware(expires) <= now() or not active:
        return None
    return Principal(user_id, login, name, role, {r[8]: r[9] for r in rows if r[8] is not None}, local_body, csrf)


def sign_out(session: Session, token: str | None, client: str | None = None) -> None:
    if not token:
        return
    p = session_principal(session, token)
    store.delete_web_sessions(session, token_hash=_hash(token))
    if p:
        log(session, "sign_out", p.login, p.login, client)


def events(session: Session, limit: int | None = None, event: str | None = None) -> list[dict]:
    return [{"at": e.at, "event": e.event, "actor": e.actor, "subject": e.subject, "client": e.client,
             "details": e.details} for e in store.events(session, limit, event)]


def cookie_secret(session: Session) -> str:
    return store.secret(session, "session-cookie", lambda: secrets.token_urlsafe(48))


def has_cookie_secret(session: Session) -> bool:
    return store.has_secret(session, "session-cookie")


def demo_admin(session: Session) -> tuple[str, str] | None:
    """For `mieruka demo`: an admin account `admin` with a random password, returned once to be printed; None when
    an admin exists already (its password is never shown again; there is no default password)."""
    if any(u.role == "admin" for u in store.all_users(session)):
        return None
    while True:
        password = secrets.token_urlsafe(15)
        try:
            passwords.check(password, "admin")
            break
        except passwords.WeakPassword:
            continue
    create_user(session, "admin", "管理者 (demo)", password, "admin", actor="demo")
    return "admin", password
