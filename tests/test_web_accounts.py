"""Sign-in pages: cookie flags, CSRF on the sign-in form, no open redirect, sign-out ends the server session,
user text renders inert, and every public page still answers without a session."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import models as m
from mieruka.web import create_app

GOOD = "Kasumigaseki-2019"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def site(sqlite_url):
    app = create_app(sqlite_url)
    with storage.session_scope(sqlite_url) as s:
        s.add(m.Organisation(name="総務省"))
        s.flush()
        service.create_user(s, "root", "<script>alert(1)</script>", GOOD, "admin")
    return app, sqlite_url


def sign_in(client: TestClient, login: str = "root", password: str = GOOD, next: str = "/my"):
    token = csrf_of(client.get("/signin").text)
    return client.post("/signin", data={"login": login, "password": password, "csrf_token": token, "next": next},
                       follow_redirects=False)


def test_session_cookie_flags(site, monkeypatch):
    app, _ = site
    answer = sign_in(TestClient(app))
    assert answer.status_code == 303 and answer.headers["location"] == "/my"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("mieruka_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    monkeypatch.setenv("MIERUKA_HTTPS", "1")
    assert "Secure" in sign_in(TestClient(app, base_url="https://testserver")).headers["set-cookie"]


def test_sign_in_form_needs_its_csrf_token(site):
    app, url = site
    client = TestClient(app)
    client.get("/signin")
    forged = client.post("/signin", data={"login": "root", "password": GOOD, "csrf_token": "forged"})
    assert forged.status_code == 403 and "mieruka_session" not in forged.headers.get("set-cookie", "")
    with storage.session_scope(url) as s:
        assert [e["event"] for e in service.events(s)] == ["user_add"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_no_open_redirect_after_sign_in(site, next_url):
    assert sign_in(TestClient(site[0]), next=next_url).headers["location"] == "/my"


def test_wrong_password_is_a_401_page_in_the_page_language(site):
    client = TestClient(site[0])
    token = csrf_of(client.get("/signin?lang=en").text)
    answer = client.post("/signin?lang=en", data={"login": "root", "password": "Wrong-password-1", "csrf_token": token})
    assert answer.status_code == 401 and "Wrong login or password" in answer.text


def test_sign_out_deletes_the_server_session(site):
    app, url = site
    client = TestClient(app)
    sign_in(client)
    stolen = client.cookies.get("mieruka_session")
    page = client.get("/admin/users")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert(1)" not in page.text
    assert client.post("/signout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code == 303
    replay = TestClient(app, cookies={"mieruka_session": stolen})
    answer = replay.get("/admin/users", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=%2Fadmin%2Fusers"
    with storage.session_scope(url) as s:
        assert [e["event"] for e in service.events(s)] == ["user_add", "sign_in", "sign_out"]


def test_public_pages_need_no_session(site):
    client = TestClient(site[0])
    for path in ("/", "/kpis", "/items", "/measures", "/cases", "/documents", "/api/kpis"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "cache-control" not in answer.headers or answer.headers["cache-control"] != "no-store"
    assert "サインイン" in client.get("/").text
