"""The people the reporting cycle's tests start from: the web-test database with 財務省 beside 総務省, the secretariat,
reporters of each ministry and an administrator, the round they report in, and signing in through the pages."""
from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

import webdata
from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import models as m

GOOD = "Kasumigaseki-2019"
ROUND = "2019年度 進捗報告"
# login: (display name, role, organisations)
PEOPLE = {
    "sec": ("事務局 花子", "secretariat", None),
    "rep": ("総務 太郎", "reporter", ["総務省"]),
    "rep2": ("総務 次郎", "reporter", ["総務省"]),
    "mof": ("財務 三郎", "reporter", ["財務省"]),
    "root": ("管理者", "admin", None),
}


def staffed(url: str, logins=("sec", "rep", "mof"), opened: bool = False) -> str:
    """The web-test database at url with the accounts named (password GOOD), and 財務省 when its reporter is one of
    them; opened: the secretariat has opened ROUND (as of 2019-03-31, due 2019-05-31) through the workflow."""
    from mieruka.workflow import rounds

    webdata.build(url)
    with storage.session_scope(url) as s:
        if "mof" in logins:
            s.add(m.Organisation(name="財務省"))
            s.flush()
        for login in logins:
            name, role, organisations = PEOPLE[login]
            service.create_user(s, login, name, GOOD, role, organisations=organisations)
        if opened:
            rounds.open_round(s, who(s, "sec"), ROUND, date(2019, 3, 31), date(2019, 5, 31))
    return url


def who(s, login: str):
    """The principal of the account login, as the workflow takes it."""
    return service.principal(s, service.store.user_by_login(s, login))


def signed_in(app, login: str, password: str = GOOD) -> TestClient:
    """A client signed in through /signin; client.csrf holds the token its forms carry."""
    client = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text).group(1)
    page = client.post("/signin", data={"login": login, "password": password, "csrf_token": token})
    client.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client


EBINA, CHIYODA = "142158", "131016"


def surveyed(url: str) -> tuple[int, int]:
    """The web-test database with the registry, the secretariat, 海老名市's and 千代田区's local accounts, a 総務省
    reporter, the bottom-up KPI of 窓口委託 and ROUND asking every municipality about it (as of 2019-04-01);
    returns (that KPI's id, the survey's id)."""
    from mieruka.storage import local_bodies
    from mieruka.workflow import rounds, surveys

    webdata.build(url)
    with storage.session_scope(url) as s:
        local_bodies.ensure_registry(s)
        service.create_user(s, "sec", "事務局 花子", GOOD, "secretariat")
        service.create_user(s, "ebina", "海老名市 担当", GOOD, "local", local_body=EBINA)
        service.create_user(s, "chiyoda", "千代田区 担当", GOOD, "local", local_body=CHIYODA)
        service.create_user(s, "rep", "総務 太郎", GOOD, "reporter", organisations=["総務省"])
        kpi = local_bodies.define_survey_kpi(s, "窓口委託", "count")["kpi_id"]
        rnd = rounds.open_round(s, who(s, "sec"), ROUND, date(2019, 3, 31), date(2019, 5, 31))
        request = surveys.open_survey(s, who(s, "sec"), rnd.id, "窓口委託", date(2019, 4, 1))
        return kpi, request.id
