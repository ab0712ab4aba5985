"""Every state-changing route × every role, no session, and a forged CSRF token: the answer, and a database left
exactly as it was wherever the request is refused. The table of routes must name every POST route of the app."""
from __future__ import annotations

import io
import shutil
from datetime import date

import openpyxl
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

import webdata
from mieruka import storage
from mieruka.accounts import service
from mieruka.bodies import registry
from mieruka.plans import editing
from mieruka.storage import local_bodies
from mieruka.storage import plans as plan_store
from mieruka.storage import models as m
from mieruka.web import create_app
from mieruka.workflow import evidence, reports, rounds, survey_workbook, surveys, workbook

GOOD = "Kasumigaseki-2019"
# 海老名市's answers to the two surveys of round 1: 窓口委託 (submitted) and 電子申請 (a draft)
_EBINA = [b.code for b in registry.municipalities()].index("142158") + 1
EBINA_SUBMITTED, EBINA_DRAFT = _EBINA, _EBINA + len(registry.municipalities())
ROLES = ("admin", "secretariat", "reporter", "other_reporter", "local", "ebina_local")
LOGINS = dict(zip(ROLES, ("root", "sec", "rep", "mof", "chiyoda", "ebina")))
PLAN_EDITORS = {"admin", "secretariat", "ebina_local"}  # "local" is 千代田区's user: another body's plans are not its own

# route → (path, form, roles allowed). Report 1 is submitted, report 2 a draft (with evidence file 1), report 3
# approved, in round 1 (open); round 2 is published (report 5 approved and published).
# Plan 1 is 海老名市's (142158) with measures 1 (plan measure 1, no actual yet) and 2 (plan measure 2).
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
    "/rounds/corrections": ("/rounds/corrections", {"round": "2", "note": "KPI 1 の実績値の訂正"}, {"secretariat"}),
    "/my/workbook": ("/my/workbook", {}, {"secretariat", "reporter"}),  # uploads WORKBOOK: report 2's value 999
    "/reports/{report_id}/steps": ("/reports/2/steps", {"version": "1", "step_1": "業務改革モデルプロジェクト",
                                                         "progress_1": "モデル事業を3団体で実施した。"},
                                   {"secretariat", "reporter"}),
    "/reports/{report_id}/evidence": ("/reports/2/evidence", {}, {"secretariat", "reporter"}),  # uploads WORKBOOK
    "/reports/{report_id}/evidence/{evidence_id}/remove": ("/reports/2/evidence/1/remove", {},
                                                           {"secretariat", "reporter"}),
    "/rounds/{round_id}/surveys": ("/rounds/1/surveys", {"initiative": "窓口業務の民間委託", "as_of": "2019-04-01"},
                                   {"secretariat"}),
    # "local" is 千代田区's user: 海老名市's answer is not its own
    "/surveys/answers/{answer_id}": (f"/surveys/answers/{EBINA_DRAFT}", {"version": "1", "adopted": "○"},
                                     {"secretariat", "ebina_local"}),
    "/surveys/answers/{answer_id}/return": (f"/surveys/answers/{EBINA_SUBMITTED}/return",
                                            {"version": "3", "comment": "要確認"}, {"secretariat"}),
    "/surveys/answers/{answer_id}/approve": (f"/surveys/answers/{EBINA_SUBMITTED}/approve", {"version": "3"},
                                             {"secretariat"}),
    # uploads SURVEY_WORKBOOK: 海老名市's draft answer to 電子申請, ○; 千代田区's user may not answer for it
    "/surveys/workbook": ("/surveys/workbook", {}, {"secretariat", "ebina_local"}),
    "/local/{code}/plan": ("/local/142158/plan", {"title": "海老名市DX推進計画"}, PLAN_EDITORS),
    "/local/{code}/plan/{plan_id}/measures": (
        "/local/142158/plan/1/measures", {"measure": "3", "section": "危機管理課", "kpi": "避難所情報を共有した施設数",
                                          "baseline": "2023年度 10施設", "target": "2027年度までに 40施設"}, PLAN_EDITORS),
    "/local/{code}/plan/{plan_id}/measures/{pm_id}": (
        "/local/142158/plan/1/measures/1", {"section": "DX推進課", "kpi": "電子調達の利用件数", "baseline": "2023年度 40件",
                                            "target": "2027年度までに 100件", "deadline": "", "schedule": ""}, PLAN_EDITORS),
    "/local/{code}/plan/{plan_id}/measures/{pm_id}/remove": ("/local/142158/plan/1/measures/2/remove", {}, PLAN_EDITORS),
    "/local/{code}/plan/{plan_id}/measures/{pm_id}/actuals": (
        "/local/142158/plan/1/measures/1/actuals", {"value": "43件", "as_of": "2025-03-31"}, PLAN_EDITORS),
}
WORKBOOK: list[bytes] = []  # the report workbook of 総務省, filled in: made with the template database
SURVEY_WORKBOOK: list[bytes] = []  # 海老名市's survey workbook of 電子申請, filled in
UPLOADS = {"/my/workbook": WORKBOOK, "/reports/{report_id}/evidence": WORKBOOK, "/surveys/workbook": SURVEY_WORKBOOK}
SIGN_IN = "/signin"  # before any session: its own CSRF cookie, tested in test_web_accounts.py


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database with the sample KPIs, one account per role with an open session, round 1 in every state, and
    海老名市's plan 1 with two measures."""
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
        local_bodies.ensure_registry(s)  # every body, as the plan pages would on their first request
        service.create_user(s, "chiyoda", "千代田区", GOOD, "local", local_body="131016")
        service.create_user(s, "ebina", "海老名市", GOOD, "local", local_body="142158")
        for role, login in LOGINS.items():
            tokens[role] = service.sign_in(s, login, GOOD, "testclient")[1]
        secret = service.cookie_secret(s)
        sec, rep = (service.principal(s, service.store.user_by_login(s, x)) for x in ("sec", "rep"))
        rnd = rounds.open_round(s, sec, "2019年度 進捗報告", date(2019, 3, 31), date(2019, 5, 31))
        one, _, three = reports.store.reports(s, round_id=rnd.id)[:3]
        for r in (one, three):
            reports.save(s, rep, r, {"actual_text": "330団体 (2018年4月速報値)"}, 1)
            reports.submit(s, rep, r, 2)
        reports.approve(s, sec, three, 3)
        evidence.attach(s, rep, reports.store.report(s, 2), b"%PDF-1.4\n%%EOF\n", "根拠.pdf")
        earlier = rounds.open_round(s, sec, "2018年度 進捗報告", date(2018, 3, 31), date(2018, 5, 31))
        five = reports.store.reports(s, round_id=earlier.id)[0]
        reports.save(s, rep, five, {"actual_text": "300団体 (2017年4月速報値)"}, 1)
        reports.submit(s, rep, five, 2)
        reports.approve(s, sec, five, 3)
        rounds.publish(s, sec, earlier)
        assert (earlier.id, five.id, five.state) == (2, 5, "published")
        assert (one.id, one.version, three.state) == (1, 3, "approved")
        ebina = service.principal(s, service.store.user_by_login(s, "ebina"))
        asked = [surveys.open_survey(s, sec, rnd.id, name, date(2019, 4, 1)) for name in ("窓口委託", "電子申請")]
        submitted = surveys.store.answer(s, EBINA_SUBMITTED)
        assert (submitted.request_id, submitted.body_code) == (asked[0].id, "142158")
        assert surveys.store.answer(s, EBINA_DRAFT).body_code == "142158"
        surveys.save(s, ebina, submitted, {"adopted": "○"}, 1)
        surveys.submit(s, ebina, submitted, 2)
        plan = editing.new_plan(s, "142158", "ebina", "cli")
        for no, kpi, baseline, target in ((1, "電子調達の利用件数", "2023年度 40件", "2027年度までに 100件"),
                                          (2, "情報システム整備計画を策定した課の数", "2023年度 2課", "2027年度までに 10課")):
            editing.add_measure(s, plan, {"measure": str(no), "kpi": kpi, "baseline": baseline, "target": target},
                                "ebina", "cli")
        assert plan == 1 and [x["id"] for x in plan_store.plan(s, 1)["measures"]] == [1, 2]
        book = openpyxl.load_workbook(io.BytesIO(workbook.export(s, rep, rnd).content))
        assert book[workbook.SHEET]["A3"].value == 2
        book[workbook.SHEET]["J3"] = 999
        out = io.BytesIO()
        book.save(out)
        WORKBOOK.append(out.getvalue())
        book = openpyxl.load_workbook(io.BytesIO(survey_workbook.export(s, ebina, asked[1]).content))
        assert book[survey_workbook.SHEET]["A2"].value == EBINA_DRAFT
        book[survey_workbook.SHEET]["F2"] = "○"
        out = io.BytesIO()
        book.save(out)
        SURVEY_WORKBOOK.append(out.getvalue())
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
    files = {"file": ("houkoku.xlsx", UPLOADS[route][0], "application/octet-stream")} if route in UPLOADS else None
    answer = client.post(path, data=data, files=files, follow_redirects=False)
    if who in allowed:
        assert answer.status_code == 303, answer.text[:500]
        assert snapshot(url) != before
        if route.startswith("/local/"):  # the plan's log names the signed-in user, not a name typed in the form
            with storage.session_scope(url) as s:
                last = max((c for p in plan_store.plans(s) for c in plan_store.changes(s, p["id"])),
                           key=lambda c: c["id"])
            assert last["actor"] == LOGINS[who] and last["via"] == "web"
        return
    if who == "anonymous":
        assert answer.status_code == 303 and answer.headers["location"].startswith("/signin?next=")
    else:
        assert answer.status_code == 403, answer.text[:300]
    assert snapshot(url) == before
