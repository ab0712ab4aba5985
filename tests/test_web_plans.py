"""Plan pages through TestClient: start a plan for 海老名市, filter the catalogue, add measures, bad input answered in
the page's language naming the field with the plan unchanged, actuals rated and shown on /local/142158, downloads."""
from __future__ import annotations

import io
import re

import plandata
import pytest
import webdata
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from mieruka import storage
from mieruka.storage import plans as store
from mieruka.web import create_app


@pytest.fixture
def site(tmp_path):
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    plandata.build(url, tmp_path)
    yield url, TestClient(create_app(url))
    storage.dispose_engines()


def _start(client) -> str:
    r = client.post("/local/142158/plan", data={"title": "", "actor": "山田"}, follow_redirects=False)
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


def test_start_plan_without_actor_is_refused(site):
    url, client = site
    r = client.post("/local/142158/plan", data={"title": "x", "actor": ""})
    assert r.status_code == 422
    assert "入力者: 記録する入力者名（200字以内）が必要です" in r.text
    r = client.post("/local/142158/plan?lang=en", data={"title": "x", "actor": ""})
    assert "actor: a name of who is writing (≤ 200 characters) is required" in r.text
    with storage.session_scope(url) as s:
        assert store.plans(s) == []


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
        r = client.post(plan + "/measures", data={**plandata.form(choice), "actor": "山田"}, follow_redirects=False)
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
    assert [r[1:4] for r in log[1:]][0] == ["山田", "web", "施策の追加"]
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
    data = {**plandata.form(plandata.CHOICES[0]), "actor": "山田", **change}
    r = client.post(plan + "/measures" + ("?lang=en" if lang == "en" else ""), data=data)
    assert r.status_code == 422
    assert message in r.text
    assert f'<html lang="{lang}">' in r.text
    # what was typed is kept in the form
    assert 'value="山田"' in r.text and "本市のオープンデータ公開数" in r.text
    assert _plan(url)["measures"] == []


def test_actuals_rate_and_show_on_the_body_page(site):
    url, client = site
    plan = _start(client)
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0]), "actor": "山田"})
    pm_id = _plan(url)["measures"][0]["id"]
    bad = client.post(f"{plan}/measures/{pm_id}/actuals", data={"value": "43%", "as_of": "2025-03-31", "actor": "山田"})
    assert bad.status_code == 422 and "実績値: 単位「%」がKPIの単位「件」と異なります" in bad.text
    assert _plan(url)["measures"][0]["actuals"] == []
    for value, as_of in (("43件", "2025-03-31"), ("52件", "令和7年度末")):
        r = client.post(f"{plan}/measures/{pm_id}/actuals", data={"value": value, "as_of": as_of, "actor": "山田"},
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
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0]), "actor": "山田"})
    pm_id = _plan(url)["measures"][0]["id"]
    form = client.get(f"{plan}/measures/{pm_id}").text
    assert 'value="2023年度 40件"' in form
    data = {**plandata.form(plandata.CHOICES[0]), "section": "DX推進課", "actor": "佐藤"}
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
    big = client.post(plan + "/measures", content=b"a=" + b"x" * 70000,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert _plan(url)["measures"] == []


def test_body_page_counts_other_bodies_with_the_same_measure(site):
    url, client = site
    plan = _start(client)
    client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0]), "actor": "山田"})
    zama = client.post("/local/142166/plan", data={"actor": "座間"}, follow_redirects=False).headers["location"]
    client.post(zama + "/measures", data={**plandata.form(plandata.CHOICES[0]), "actor": "座間"})
    zama_pm = _plan(url)["measures"][0]["id"] + 1
    client.post(f"{zama}/measures/{zama_pm}/actuals", data={"value": "41件", "as_of": "2025-03-31", "actor": "座間"})
    row = webdata.parse_html(client.get("/local/142158").text).tables["plan-kpis-1"][1]
    # no population imported: no similar group, so only the national count
    assert row[6] == "全国: 1団体（B 1）"
    other = webdata.parse_html(client.get("/local/142166?lang=en").text).tables["plan-kpis-2"][1]
    assert other[6] == "All: 1 bodies（－ 1）"


def test_similar_bodies_with_the_same_measure(site):
    from pathlib import Path

    from mieruka.municipalities.importing import import_attributes

    url, client = site
    attributes = Path(__file__).with_name("fixtures") / "surveys" / "attributes.csv"
    with storage.session_scope(url) as s:
        import_attributes(s, attributes.read_bytes(), "attributes.csv")
    for code, actor in (("142158", "山田"), ("142166", "座間"), ("142182", "綾瀬")):
        plan = client.post(f"/local/{code}/plan", data={"actor": actor}, follow_redirects=False).headers["location"]
        client.post(plan + "/measures", data={**plandata.form(plandata.CHOICES[0]), "actor": actor})
    # 海老名市 and 座間市 are both 都市 Ⅲ-3 (100,000–150,000 people, Ⅱ次+Ⅲ次 ≥ 95 %, Ⅲ次 ≥ 65 %); 綾瀬市 is not
    row = webdata.parse_html(client.get("/local/142158").text).tables["plan-kpis-1"][1]
    assert row[6] == "全国: 2団体（－ 2） 類似団体: 1団体（－ 1）"


def test_remove_measure_unless_it_has_actuals(site):
    url, client = site
    plan = _start(client)
    for choice in plandata.CHOICES[:2]:
        client.post(plan + "/measures", data={**plandata.form(choice), "actor": "山田"})
    first, second = (m["id"] for m in _plan(url)["measures"])
    client.post(f"{plan}/measures/{first}/actuals", data={"value": "43件", "as_of": "2025-03-31", "actor": "山田"})
    assert 'id="remove-form"' not in client.get(f"{plan}/measures/{first}").text
    refused = client.post(f"{plan}/measures/{first}/remove", data={"actor": "山田"})
    assert refused.status_code == 422
    assert "施策番号: 施策15のKPIには実績が1件あるため、計画から外せません" in refused.text
    assert 'id="remove-form"' in client.get(f"{plan}/measures/{second}").text
    done = client.post(f"{plan}/measures/{second}/remove", data={"actor": "佐藤"}, follow_redirects=False)
    assert done.status_code == 303
    assert [m["measure_no"] for m in _plan(url)["measures"]] == [15]
    with storage.session_scope(url) as s:
        last = store.changes(s, 1)[-1]
    assert (last["action"], last["actor"], last["new"]) == ("remove", "佐藤", None)
    assert (last["old"]["measure_no"], last["old"]["kpi"], last["old"]["target_text"]) == (12, _NATIONAL_12, "150件")


_NATIONAL_12 = ("各府省庁における棚卸リストの更新・公開(令和元年中に官民データに関する相談窓口ウ…／"
                "各府省庁における公開要望を踏まえて各府省庁が公開したオープンデータ数")
