"""Queries of accounts, sessions, sign-in attempts and the security log (mieruka.accounts holds the rules).
Nothing here decides who may do what; it reads and writes the rows it is told to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from mieruka.storage import models as m
from mieruka.storage.cycle_models import (
    AppSecret,
    SecurityEvent,
    SignInAttempt,
    User,
    UserOrganisation,
    WebSession,
)


def user_by_login(session: Session, login: str) -> User | None:
    return session.scalar(select(User).where(User.login == login))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def add_user(session: Session, **fields) -> User:
    user = User(**fields)
    session.add(user)
    session.flush()
    return user


def organisation_ids(session: Session, names: list[str]) -> dict[str, int | None]:
    found = dict(session.execute(select(m.Organisation.name, m.Organisation.id)
                                 .where(m.Organisation.name.in_(names))).all())
    return {n: found.get(n) for n in names}


def organisation_names(session: Session) -> list[str]:
    return list(session.scalars(select(m.Organisation.name).order_by(m.Organisation.name)))


def set_user_organisations(session: Session, user_id: int, org_ids: list[int]) -> None:
    session.execute(delete(UserOrganisation).where(UserOrganisation.user_id == user_id))
    for org_id in dict.fromkeys(org_ids):
        session.add(UserOrganisation(user_id=user_id, organisation_id=org_id))
    session.flush()


def user_organisations(session: Session, user_id: int) -> list[tuple[int, str]]:
    rows = session.execute(select(m.Organisation.id, m.Organisation.name)
                           .join(UserOrganisation, UserOrganisation.organisation_id == m.Organisation.id)
                           .where(UserOrganisation.user_id == user_id).order_by(m.Organisation.name)).all()
    return [(r[0], r[1]) for r in rows]


def local_body_exists(session: Session, code: str) -> bool:
    return session.get(m.LocalBody, code) is not None


def add_web_session(session: Session, **fields) -> WebSession:
    row = WebSession(**fields)
    session.add(row)
    session.flush()
    return row


def web_session(session: Session, token_hash: str) -> WebSession | None:
    return session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))


def _session_holder_query():
    O = m.Organisation
    return (select(WebSession.expires_at, WebSession.csrf_token, User.id, User.login, User.display_name, User.role,
                   User.local_body_code, User.active, O.id, O.name)
            .join(User, User.id == WebSession.user_id)
            .outerjoin(UserOrganisation, UserOrganisation.user_id == User.id)
            .outerjoin(O, O.id == UserOrganisation.organisation_id)
            .where(WebSession.token_hash == bindparam("token_hash")).order_by(O.name))


# built once: a statement object keeps its cache key, which SQLAlchemy otherwise derives again on every request
_SESSION_HOLDER = _session_holder_query()


def session_holder(session: Session, token_hash: str) -> list[tuple]:
    """Who holds a session, in one query (every request of a signed-in user asks): one row per organisation of the
    user (or one row with None), each (expires_at, csrf_token, user_id, login, display_name, role, local_body_code,
    active, organisation_id, organisation_name)."""
    return [tuple(r) for r in session.execute(_SESSION_HOLDER, {"token_hash": token_hash}).all()]


def delete_web_sessions(session: Session, *, token_hash: str | None = None, user_id: int | None = None,
                        expired_before: datetime | None = None) -> int:
    stmt = delete(WebSession)
    if token_hash is not None:
        stmt = stmt.where(WebSession.token_hash == token_hash)
    if user_id is not None:
        stmt = stmt.where(WebSession.user_id == user_id)
    if expired_before is not None:
        stmt = stmt.where(WebSession.expires_at < expired_before)
    return session.execute(stmt).rowcount


def add_attempt(session: Session, login: str, client: str, ok: bool, at: datetime) -> None:
    session.add(SignInAttempt(login=login[:80], client=client[:64], ok=ok, at=at))
    session.flush()


def failures_since(session: Session, since: datetime, *, login: str | None = None, client: str | None = None) -> int:
    """Failed attempts after `since` and after the last success for the same login (or client)."""
    cond = [SignInAttempt.at >= since]
    if login is not None:
        cond.append(SignInAttempt.login == login)
    if client is not None:
        cond.append(SignInAttempt.client == client)
    last_ok = session.scalar(select(func.max(SignInAttempt.at)).where(*cond, SignInAttempt.ok.is_(True)))
    q = select(func.count()).select_from(SignInAttempt).where(*cond, SignInAttempt.ok.is_(False))
    if last_ok is not None:
        q = q.where(SignInAttempt.at > last_ok)
    return session.scalar(q) or 0


def last_failure(session: Session, *, login: str | None = None, client: str | None = None) -> datetime | None:
    cond = [SignInAttempt.ok.is_(False)]
    if login is not None:
        cond.append(SignInAttempt.login == login)
    if client is not None:
        cond.append(SignInAttempt.client == client)
    return session.scalar(select(func.max(SignInAttempt.at)).where(*cond))


def add_event(session: Session, **fields) -> None:
    session.add(SecurityEvent(**fields))
    session.flush()


def events(session: Session, limit: int | None = None, event: str | None = None) -> list[SecurityEvent]:
    q = select(SecurityEvent).order_by(SecurityEvent.id.desc())
    if event:
        q = q.where(SecurityEvent.event == event)
    if limit:
        q = q.limit(limit)
    return list(reversed(session.scalars(q).all()))


def has_secret(session: Session, name: str) -> bool:
    return session.get(AppSecret, name) is not None


def secret(session: Session, name: str, make) -> str:
    """The stored secret called name, made by make() and kept the first time it is asked for."""
    row = session.get(AppSecret, name)
    if row is None:
        row = AppSecret(name=name, value=make())
        session.add(row)
        session.flush()
    return row.value
