"""Every state-changing route × every role, no session, and a forged CSRF token: the answer, and a database left
exactly as it was wherever the request is refused. The table of routes must name every POST route of the app."""
from __future__ import annotations

import shutil
from datetime import date

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

import webdata
from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import models as m
from mieruka.web import create_app
from mieruka.workflow import reports, rounds

GOOD = "Kasumigaseki-2019"
ROLES = ("admin", "secretariat", "reporter", "other_reporter", "local")

# route → (path, form, roles allowed). Report 1 is submitted, report 2 a draft, report 3 approved, in round 1 (open).
ROUTES = {
    "/signout": ("/signout", {}, set(ROLES)),
    "/admin/users": ("/admin/users", {"login": "newbie", "password": GOOD, "role": "secretariat"}, {"admin"}),
    "/admin/users/{login}/role": ("/admin/users/rep/role", {"role": "secretariat"}, {"admin"}),
    "/admin/users/{login}/active": ("/admin/users/rep/active", {"active": "0"}, {"admin"}),
    "/reports/{report_id}": ("/reports/2", {"version": "1", "value": "999"}, {"secretariat", "reporter"}),
    "/reports/{report_id}/return": ("/reports/1/return", {"version": "3", "comment": "要確認"}, {"secretariat"}),
    "/reports/{report_id}/approve": ("/reports/1/approve", {"version": "3"}, {"secretariat"}),
    "/rounds": ("/rounds", {"name": "2020年度 進捗報告", "as_of": "2020-03-31", "deadline": "2020-05-31"},
                {"secretariat"}),
    "/rounds/{round_id}/close": ("/rounds/1/close", {}, {"secretariat"}),
    "/rounds/{round_id}/publish": ("/rounds/1/publish", {}, {"secretariat"}),
    "/kpis/{kpi_id}/owner": ("/kpis/1/owner", {"organisation": "財務省"}, {"secretariat"}),
}
SIGN_IN = "/signin"  # before any session: its own CSRF cookie, tested in test_web_accounts.py


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database with the sample KPIs, one account per role with an open session, and round 1 in every state."""
    path = tmp_path_factory.mktemp("authz") / "template.db"
    url = f"sqlite:///{path}"
    webdata.build(url)
    tokens = {}
    with storage.session_scope(url) as s:
        s.add(m.Organisation(name="財務省"))
        s.flush()
        service.create_user(s, "root", "管理者", GOOD, "admin")
        service.create_user(s, "sec", "事務局", GOOD, "secretariat")
        service.create_user(s, "rep", "総務", GOOD, "reporter", organisations=["総務省"])
        service.create_user(s, "mof", "財務", GOOD, "reporter", organisations=["財務省"])
        s.add(m.LocalBody(code="131016", prefecture_code="13", prefecture="東京都", name="千代田区", kind="特別区"))
        s.flush()
        service.create_user(s, "chiyoda", "千代田区", GOOD, "local", local_body="131016")
        for role, login in zip(ROLES, ("root", "sec", "rep", "mof", "chiyoda")):
            tokens[role] = service.sign_in(s, login, GOOD, "testclient")[1]
        secret = service.cookie_secret(s)
        sec, rep = (service.principal(s, service.store.user_by_login(s, x)) for x in ("sec", "rep"))
        rnd = rounds.open_round(s, sec, "2019年度 進捗報告", date(2019, 3, 31), date(2019, 5, 31))
        one, _, three = reports.store.reports(s, round_id=rnd.id)[:3]
        for r in (one, three):
            reports.save(s, rep, r, {"actual_text": "330団体 (2018年4月速報値)"}, 1)
            reports.submit(s, rep, r, 2)
        reports.approve(s, sec, three, 3)
        assert (one.id, one.version, three.state) == (1, 3, "approved")
    storage.dispose_engines()
    cookies = {role: URLSafeSerializer(secret, salt="session").dumps(t) for role, t in tokens.items()}
    return path, cookies, tokens


def snapshot(url: str) -> dict:
    with storage.session_scope(url) as s:
        return {t.name: [tuple(row) for row in s.execute(select(t).order_by(*t.primary_key.columns)).all()]
                for t in m.Base.metadata.sorted_tables}


@pytest.fixture
def site(template, tmp_path):
    path, cookies, tokens = template
    copy = tmp_path / "site.db"
    shutil.copy(path, copy)
    url = f"sqlite:///{copy}"
    app = create_app(url)
    yield app, url, cookies, tokens
    storage.dispose_engines()


def csrf_of(url: str, token: str) -> str:
    with storage.session_scope(url) as s:
        return service.session_principal(s, token).csrf


def test_the_table_names_every_post_route():
    app = create_app("sqlite://")
    from hostile import get_routes

    posted = {r.path for r in get_routes(app, "POST")}
    assert posted == set(ROUTES) | {SIGN_IN}


CASES = [(route, who) for route in ROUTES for who in (*ROLES, "anonymous", "forged_csrf")]


@pytest.mark.parametrize("route, who", CASES, ids=[f"{r}-{w}" for r, w in CASES])
def test_every_route_and_role(site, route, who):
    app, url, cookies, tokens = site
    path, form, allowed = ROUTES[route]
    client = TestClient(app)
    data = dict(form)
    if who == "anonymous":
        data["csrf_token"] = "anything"
    else:
        role = "secretariat" if who == "forged_csrf" else who
        client.cookies.set("mieruka_session", cookies[role])
        data["csrf_token"] = "forged" if who == "forged_csrf" else csrf_of(url, tokens[role])
    before = snapshot(url)
    answer = client.post(path, data=data, follow_redirects=False)
    if who in allowed:
        assert answer.status_code == 303, answer.text[:500]
        assert snapshot(url) != before
        return
    if who == "anonymous":
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin?next=")
    else:
        assert answer.status_code == 403, answer.text[:300]
    assert snapshot(url) == before
