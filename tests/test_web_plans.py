"""Plan pages through TestClient, signed in as 海老名市's own user: start a plan, filter the catalogue, add measures, bad
input answered in the page's language naming the field with the plan unchanged, actuals rated and shown on /local/142158,
downloads; and who may change a plan (the body's local users, the secretariat, admins) while anyone may read it."""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import plandata
import pytest
import webdata
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from mieruka import storage
from mieruka.accounts import service
from mieruka.storage import local_bodies
from mieruka.storage import plans as store
from mieruka.web import create_app

GOOD = "Kasumigaseki-2019"
# login → (role, local body): 海老名市's and 座間市's own users, and the secretariat
USERS = {"ebina": ("local", "142158"), "zama": ("local", "142166"), "sec": ("secretariat", None)}


class Signed:
    """A browser signed in as one user: post() sends the session's CSRF token with every form."""

    def __init__(self, app, login: str):
        self.client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get("/signin").text).group(1)
        page = self.client.post("/signin", data={"login": login, "password": GOOD, "csrf_token": token})
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

    def get(self, *args, **kwargs):
        return self.client.get(*args, **kwargs)

    def post(self, path, data=None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def users(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    plandata.build(url, tmp_path)
    with storage.session_scope(url) as s:
        local_bodies.ensure_registry(s)
        for login, (role, body) in USERS.items():
            service.create_user(s, login, login, GOOD, role, local_body=body)
    app = create_app(url)
    yield url, app, {login: Signed(app, login) for login in USERS}
    storage.dispose_engines()


@pytest.fixture
def site(users):
    url, _, signed = users
    return url, signed["ebina"]


def _start(client, code: str = "142158") -> str:
    r = client.post(f"/local/{code}/plan", data={"title": ""}, follow_redirects=False)
    assert r.status_code == 303
    return r.headers["location"]


def _plan(url):
    with storage.session_scope(url) as s:
        return store.plans(s, "142158")[0]


def test_start_plan_and_list(site):
    url, client = site
    assert _start(client) == "/local/142158/plan/1"
    p = webdata.parse_html(client.get("/plans").text)
    assert p.tables["plan-list"][1][:3] == ["神奈川県海老名市", "海老名市官民データ活用推進計画", "0"]
    en = client.get("/local/142158/plan?lang=en")
    assert "Plans of 神奈川県海老名市" in en.text and '<html lang="en">' in en.text


def test_bad_title_is_refused_naming_the_field(site):
    url, client = site
    r = client.post("/local/142158/plan", data={"title": "計" * 2001})
    assert r.status_code == 422
    assert "計画名: 2000字以内で入力してください（2001字）" in r.text
    assert 'name="csrf_token"' in r.text  # the form is shown again, ready to send
    r = client.post("/local/142158/plan?lang=en", data={"title": "計" * 2001})
    assert "title: at most 2000 characters (2001 given)" in r.text
    with storage.session_scope(url) as s:
        assert store.plans(s) == []


def test_the_log_names_who_was_signed_in(users):
    url, _, signed = users
    plan = _start(signed["ebina"])
    assert signed["sec"].post(plan + "/measures", data=plandata.form(plandata.CHOICES[0]),
                              follow_redirects=False).status_code == 303
    with storage.session_scope(url) as s:
        log = store.changes(s, 1)
        assert [(c["action"], c["actor"], c["via"]) for c in log] == [("create", "ebina", "web"), ("add", "sec", "web")]
        assert store.plan(s, 1)["updated_by"] == "sec"
    # a name typed into the form is not taken for the signed-in user
    r = signed["ebina"].post(plan + "/measures/1/actuals", data={"value": "43件", "as_of": "2025-03-31", "actor": "山田"},
                             follow_redirects=False)
    assert r.status_code == 303
    with storage.session_scope(url) as s:
        assert store.changes(s, 1)[-1]["actor"] == "ebina"


def test_who_may_change_a_plan(users):
    url, app, signed = users
    plan = _start(signed["ebina"])
    signed["ebina"].post(plan + "/measures", data=plandata.form(plandata.CHOICES[0]))
    with storage.session_scope(url) as s:
        before = (store.plans(s), store.changes(s, 1))
    writes = [("/local/142158/plan", {"title": "x"}), (plan + "/measures", plandata.form(plandata.CHOICES[1])),
              (plan + "/measures/1", plandata.form(plandata.CHOICES[0])), (plan + "/measures/1/remove", {}),
              (plan + "/measures/1/actuals", {"value": "43件", "as_of": "2025-03-31"})]
    anonymous = TestClient(app)
    for path, data in writes:
        # no session: to the sign-in page, coming back to the plan's page
        r = anonymous.post(path, data={**data, "csrf_token": "x"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=%2Flocal%2F142158%2Fplan")
        # 座間市's user: another body's plan
        r = signed["zama"].post(path, data=data)
        assert r.status_code == 403
        assert "団体コード142158の計画を編集できるのは、この団体の担当者、事務局と管理者だけです。" in r.text
        # 海老名市's own user with a token that is not the session's
        r = signed["ebina"].client.post(path, data={**data, "csrf_token": "forged"})
        assert r.status_code == 403
    en = signed["zama"].post(writes[0][0] + "?lang=en", data=writes[0][1])
    assert "Only the users of body 142158, the secretariat and administrators may change its plans." in en.text
    with storage.session_scope(url) as s:
        assert (store.plans(s), store.changes(s, 1)) == before
    # …but 座間市's user may start 座間市's own plan
    assert _start(signed["zama"], "142166") == "/local/142166/plan/2"


def test_forms_show_only_to_those_who_may_edit(users):
    url, app, signed = users
    plan = _start(signed["ebina"])
    signed["ebina"].post(plan + "/measures", data=plandata.form(plandata.CHOICES[0]))
    pages = ["/local/142158/plan", plan, plan + "/add?measure=32", plan + "/measures/1"]
    anonymous = TestClient(app)
    for page in pages:
        for who, client in (("ebina", signed["ebina"]), ("sec", signed["sec"])):
            text = client.get(page).text
            assert f'name="csrf_token" value="{client.csrf}"' in text and 'method="post" action="/local/' in text, (who, page)
            assert 'id="who-may-edit"' not in text
        read = anonymous.get(page)
        assert read.status_code == 200  # anyone may read a plan
        assert 'method="post" action="/local/' not in read.text and 'name="actor"' not in read.text
        notice = webdata.parse_html(read.text)
        assert "この団体の計画を作成・編集できるのは、神奈川県海老名市の担当者" in read.text
        assert ("a", {"href": f"/signin?next={quote(page.split('?')[0], safe='')}", "id": "plan-sign-in"}) \
            in notice.elements
        other = signed["zama"].get(page).text
        assert 'method="post" action="/local/' not in other
        assert "サインイン中の「zama」には、この団体の計画を編集する権限がありません。" in other
    en = anonymous.get(plan + "?lang=en").text
    assert "may be started and changed only by 神奈川県海老名市&#39;s own users" in en and "Sign in to edit" in en
    assert "/signin?next=%2Flocal%2F142158%2Fplan%2F1&amp;lang=en" in en
    # the plan itself is the same for every reader
    rows = webdata.parse_html(anonymous.get(plan).text).tables["chosen-table"]
    assert [r[:4] for r in rows[1:]] == [["15", "地方公共団体が保有するデータのオープンデータ化の推進", "情報政策課",
                                          "本市のオープンデータ公開数"]]


def test_catalogue_filters_on_the_plan_page(site):
    url, client = site
    plan = _start(client)
    all_rows = webdata.parse_html(client.get(plan).text).tables["catalogue-table"]
    assert len(all_rows) == 83
    pillar = webdata.parse_html(client.get(plan, params={"pillar": "個人番号カードの普及及び活用"}).text)
    assert [r[0] for r in pillar.tables["catalogue-table"][1:]] == ["30", "32"]
    words = webdata.parse_html(client.get(plan, params={"q": "コンビニ交付"}).text)
    assert [r[0] for r in words.tables["catalogue-table"][1:]] == ["32"]
    ministry = webdata.parse_html(client.get(plan, params={"ministry": "金融庁", "pillar": "手続における情報通信の技術の利用等"}).text)
    assert [r[0] for r in ministry.tables["catalogue-table"][1:]] == ["4", "6", "7"]


def test_add_page_starts_from_the_national_kpi(site):
    url, client = site
    plan = _start(client)
    r = client.get(plan + "/add", params={"measure": "32"})
    assert r.status_code == 200
    assert re.search(r'<textarea id="kpi" name="kpi"[^>]*>コンビニ交付サービス導入市町村の人口／コンビニ交付サービスによる各種証明書の交付通数</textarea>', r.text)


def test_add_measures_and_download(site):
    url, client = site
    plan = _start(client)
    for choice in plandata.CHOICES:
        r = client.post(plan + "/measures", data={**plandata.form(choice)}, follow_redirects=False)
        assert r.status_code == 303, r.text[:300]
    p = webdata.parse_html(client.get(plan).text)
    rows = p.tables["chosen-table"]
    assert [r[0] for r in rows[1:]] == ["15", "12", "32", "3", "10"]
    assert rows[1][2:7] == ["情報政策課", "本市のオープンデータ公開数", "2023年度 40件", "2027年度までに 100件", "2028-03-31（令和10年3月31日）"]
    assert rows[1][7] == "2024年度（令和6年度）: 推奨データセットの公開2025年度（令和7年度）: 公開データの拡充2026年度（令和8年度）: 利用者との意見交換"
    docx = client.get(plan + ".docx")
    assert docx.status_code == 200 and docx.headers["content-disposition"] == 'attachment; filename="plan-142158-1.docx"'
    table = Document(io.BytesIO(docx.content)).tables[0]
    assert [r.cells[0].text for r in table.rows[1:]] == ["15", "12", "32", "3", "10"]
    xlsx = load_workbook(io.BytesIO(client.get(plan + ".xlsx").content)).active
    assert [r[0] for r in xlsx.iter_rows(min_row=3, values_only=True)] == [15, 12, 32, 3, 10]
    assert client.get(plan + ".pdf").status_code == 404
    log = webdata.parse_html(client.get(plan).text).tables["change-log"]
    assert [r[1:4] for r in log[1:]][0] == ["ebina", "web", "施策の追加"]
    assert len(log) == 1 + 6


@pytest.mark.parametrize("lang, change, message", [
    ("ja", {"measure": "99"}, "施策番号: 国の施策一覧に「99」の施策はありません"),
    ("en", {"measure": "99"}, "measure number: the national catalogue has no measure &#39;99&#39;"),
    ("ja", {"target": "増やす"}, "目標値: 「増やす」から数値を読み取れません"),
    ("en", {"target": "増やす"}, "target: cannot read a number from &#39;増やす&#39;"),
    ("ja", {"deadline": "令和4年度"}, "目標年度: 目標年度（2023-03-31）が基準値の時点（2024-03-31）より前です"),
    ("en", {"deadline": "令和4年度"}, "deadline: the deadline (2023-03-31) is not after the baseline&#39;s date (2024-03-31)"),
])
def test_bad_measure_input(site, lang, change, message):
    url, client = site
    plan = _start(client)
    data = {**plandata.form(plandata.CHOICES[0]), **change}
    r = client.post(plan + "/measures" + ("?lang=en" if lang == "en" else ""), data=data)
    assert r.status_code == 422
    assert message in r.text
    assert f'<html lang="{lang}">' in r.text
    # what was typed is kept in the form
    assert 'value="情報政策課"' in r.text and "本市のオープンデータ公開数" in r.text
    assert _plan(url)["measures"] == []


def test_actuals_rate_and_show_on_the_body_page(site):
    url, client = site
    plan = _start(client)
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0])})
    pm_id = _plan(url)["measures"][0]["id"]
    bad = client.post(f"{plan}/measures/{pm_id}/actuals", data={"value": "43%", "as_of": "2025-03-31"})
    assert bad.status_code == 422 and "実績値: 単位「%」がKPIの単位「件」と異なります" in bad.text
    assert _plan(url)["measures"][0]["actuals"] == []
    for value, as_of in (("43件", "2025-03-31"), ("52件", "令和7年度末")):
        r = client.post(f"{plan}/measures/{pm_id}/actuals", data={"value": value, "as_of": as_of},
                        follow_redirects=False)
        assert r.status_code == 303
    row = webdata.parse_html(client.get(plan).text).tables["chosen-table"][1]
    assert row[9].startswith("A 基準値より改善（10%超）")
    body = webdata.parse_html(client.get("/local/142158").text)
    kpis = body.tables["plan-kpis-1"]
    assert kpis[1][:5] == ["本市のオープンデータ公開数", "2023年度 40件", "2027年度までに 100件",
                           "52件（2026-03-31（令和8年3月31日））", "A 基準値より改善（10%超）"]
    assert kpis[1][5].startswith("15. 地方公共団体が保有するデータのオープンデータ化の推")
    assert "国のKPI: 地方公共団体向け研修開催回数" in kpis[1][5]
    en = client.get("/local/142158?lang=en").text
    assert "better than baseline (by more than 10 %)" in en


def test_edit_measure(site):
    url, client = site
    plan = _start(client)
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0])})
    pm_id = _plan(url)["measures"][0]["id"]
    form = client.get(f"{plan}/measures/{pm_id}").text
    assert 'value="2023年度 40件"' in form
    data = {**plandata.form(plandata.CHOICES[0]), "section": "DX推進課"}
    r = client.post(f"{plan}/measures/{pm_id}", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert _plan(url)["measures"][0]["section"] == "DX推進課"
    bad = client.post(f"{plan}/measures/{pm_id}", data={**data, "schedule": "いつか: 何か"})
    assert bad.status_code == 422 and "スケジュール: 1行目「いつか: 何か」" in bad.text
    assert _plan(url)["measures"][0]["schedule"][0]["fiscal_year"] == 2024


def test_wrong_plan_ids_and_oversized_forms(site):
    url, client = site
    plan = _start(client)
    assert client.get("/local/142166/plan/1").status_code == 404  # the plan is 海老名市's, not 座間市's
    assert client.get("/local/999999/plan").status_code == 404
    assert client.get(plan + "/measures/99").status_code == 404
    assert client.get("/local/142158/plan/99999999999999999999").status_code == 404
    assert client.get("/local/142158/plan/99999999999999999999.docx").status_code == 404
    assert client.get(plan + "/measures/99999999999999999999").status_code == 404
    assert client.get(plan + "/add", params={"measure": "0"}).status_code == 422
    assert client.get(plan + "/add", params={"measure": "x"}).status_code == 422
    big = client.client.post(plan + "/measures", content=b"a=" + b"x" * 70000,
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert _plan(url)["measures"] == []


def test_body_page_counts_other_bodies_with_the_same_measure(users):
    url, _, signed = users
    client, other = signed["ebina"], signed["zama"]
    plan = _start(client)
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0])})
    zama = _start(other, "142166")
    other.post(zama + "/measures", data=plandata.form(plandata.CHOICES[0]))
    zama_pm = _plan(url)["measures"][0]["id"] + 1
    other.post(f"{zama}/measures/{zama_pm}/actuals", data={"value": "41件", "as_of": "2025-03-31"})
    row = webdata.parse_html(client.get("/local/142158").text).tables["plan-kpis-1"][1]
    # no population imported: no similar group, so only the national count
    assert row[6] == "全国: 1団体（B 1）"
    other = webdata.parse_html(client.get("/local/142166?lang=en").text).tables["plan-kpis-2"][1]
    assert other[6] == "All: 1 bodies (－ 1)"


def test_an_english_plan_page_punctuates_in_english(users):
    """The plan pages' own words in English punctuation: the body's code, an actual's date and the other bodies' tally
    in ( ), not （）; the ministries joined by 、 are the catalogue's data, marked lang="ja"."""
    from test_one_language import japanese_punctuation

    url, _, signed = users
    client, other = signed["ebina"], signed["zama"]
    plan = _start(client)
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0])})
    pm_id = _plan(url)["measures"][0]["id"]
    client.post(f"{plan}/measures/{pm_id}/actuals", data={"value": "43件", "as_of": "2025-03-31"})
    zama = _start(other, "142166")
    other.post(zama + "/measures", data=plandata.form(plandata.CHOICES[0]))
    found = {}
    for path in (plan, f"{plan}/measures/{pm_id}", f"{plan}/add", "/local/142158", "/local/142166",
                 "/local/142158/plan", "/plans"):
        r = client.get(path, params={"lang": "en", **({"measure": "32"} if path.endswith("/add") else {})})
        assert r.status_code == 200, path
        found[path] = japanese_punctuation(r.text)
    assert found == {path: [] for path in found}
    page = client.get(plan, params={"lang": "en"}).text
    assert '<span lang="ja" translate="no">神奈川県海老名市</span> (142158)' in page
    assert "<li>43件 (2025-03-31（令和7年3月31日）)</li>" in page


def test_similar_bodies_with_the_same_measure(users):
    from pathlib import Path

    from mieruka.municipalities.importing import import_attributes

    url, _, signed = users
    client = signed["sec"]  # the secretariat may write any body's plan
    attributes = Path(__file__).with_name("fixtures") / "surveys" / "attributes.csv"
    with storage.session_scope(url) as s:
        import_attributes(s, attributes.read_bytes(), "attributes.csv")
    for code in ("142158", "142166", "142182"):
        plan = _start(client, code)
        client.post(plan + "/measures", data=plandata.form(plandata.CHOICES[0]))
    # 海老名市 and 座間市 are both 都市 Ⅲ-3 (100,000–150,000 people, Ⅱ次+Ⅲ次 ≥ 95 %, Ⅲ次 ≥ 65 %); 綾瀬市 is not
    row = webdata.parse_html(client.get("/local/142158").text).tables["plan-kpis-1"][1]
    assert row[6] == "全国: 2団体（－ 2） 類似団体: 1団体（－ 1）"


def test_remove_measure_unless_it_has_actuals(users):
    url, _, signed = users
    client = signed["ebina"]
    plan = _start(client)
    for choice in plandata.CHOICES[:2]:
        client.post(plan + "/measures", data={**plandata.form(choice)})
    first, second = (m["id"] for m in _plan(url)["measures"])
    client.post(f"{plan}/measures/{first}/actuals", data={"value": "43件", "as_of": "2025-03-31"})
    assert 'id="remove-form"' not in client.get(f"{plan}/measures/{first}").text
    refused = client.post(f"{plan}/measures/{first}/remove")
    assert refused.status_code == 422
    assert "施策番号: 施策15のKPIには実績が1件あるため、計画から外せません" in refused.text
    assert 'id="remove-form"' in client.get(f"{plan}/measures/{second}").text
    done = signed["sec"].post(f"{plan}/measures/{second}/remove", follow_redirects=False)
    assert done.status_code == 303
    assert [m["measure_no"] for m in _plan(url)["measures"]] == [15]
    with storage.session_scope(url) as s:
        last = store.changes(s, 1)[-1]
    assert (last["action"], last["actor"], last["new"]) == ("remove", "sec", None)
    assert (last["old"]["measure_no"], last["old"]["kpi"], last["old"]["target_text"]) == (12, _NATIONAL_12, "150件")


_NATIONAL_12 = ("各府省庁における棚卸リストの更新・公開(令和元年中に官民データに関する相談窓口ウ…／"
                "各府省庁における公開要望を踏まえて各府省庁が公開したオープンデータ数")
