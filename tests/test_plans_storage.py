"""A body's plan in storage: creating it, taking up measures with typed KPIs, bad input leaving it unchanged,
edits logged old → new, actuals rated under municipal-sabc and kept beside the KPI."""
from __future__ import annotations

from datetime import date

import pytest
import plandata
from sqlalchemy import func, select

from mieruka import storage
from mieruka.plans import editing
from mieruka.plans.inputs import PlanInputError
from mieruka.storage import models as m
from mieruka.storage import plans as store


@pytest.fixture
def plan_db(db_url, tmp_path):
    plandata.build(db_url, tmp_path)
    with storage.session_scope(db_url) as s:
        plan_id = editing.new_plan(s, plandata.EBINA, "tester", "test")
    return db_url, plan_id


def _counts(s):
    return tuple(s.scalar(select(func.count()).select_from(t)) for t in
                 (m.LocalPlan, m.LocalPlanMeasure, m.LocalPlanActual, m.LocalPlanChange))


def test_new_plan_defaults(plan_db):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        p = store.plan(s, plan_id)
        assert (p["body_code"], p["body_name"], p["title"], p["scheme"], p["created_by"]) == \
            ("142158", "海老名市", "海老名市官民データ活用推進計画", "municipal-sabc", "tester")
        assert [(c["action"], c["actor"], c["via"], c["new"]) for c in store.changes(s, plan_id)] == [
            ("create", "tester", "test", {"body_code": "142158", "title": "海老名市官民データ活用推進計画",
                                          "scheme": "municipal-sabc"})]


def test_add_measures_reads_what_was_typed(plan_db):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        for choice in plandata.CHOICES:
            editing.add_measure(s, plan_id, plandata.form(choice), "tester", "test")
    with storage.session_scope(url) as s:
        p = store.plan(s, plan_id)
    assert [x["measure_no"] for x in p["measures"]] == [15, 12, 32, 3, 10]
    first = p["measures"][0]
    assert first["measure_code"] == "02-05"
    assert first["measure_name"].startswith("地方公共団体が保有するデータのオープンデータ化の推")
    assert (first["section"], first["kpi"], first["baseline_value"], first["baseline_as_of"], first["target_value"],
            first["unit"], first["deadline"], first["direction"]) == \
        ("情報政策課", "本市のオープンデータ公開数", 40.0, date(2024, 3, 31), 100.0, "件", date(2028, 3, 31), "up")
    assert first["schedule"] == [{"fiscal_year": 2024, "text": "推奨データセットの公開"},
                                 {"fiscal_year": 2025, "text": "公開データの拡充"},
                                 {"fiscal_year": 2026, "text": "利用者との意見交換"}]
    # no KPI typed: the measure's national KPI statements stand in, and the deadline typed apart wins
    second = p["measures"][1]
    assert second["kpi"] == second["national_kpi"] == (
        "各府省庁における棚卸リストの更新・公開(令和元年中に官民データに関する相談窓口ウ…／"
        "各府省庁における公開要望を踏まえて各府省庁が公開したオープンデータ数")
    assert second["deadline"] == date(2028, 3, 31) and second["target_value"] == 150.0


@pytest.mark.parametrize("change, field, ja", [
    ({"measure": "999"}, "measure", "施策番号: 国の施策一覧に「999」の施策はありません"),
    ({"measure": "abc"}, "measure", "施策番号: 「abc」は施策番号（1〜82の番号、または01-11の形の施策コード）ではありません"),
    ({"target": "たくさん"}, "target", "目標値: 「たくさん」から数値を読み取れません（例: 2023年度 45%、令和9年度までに100件）"),
    ({"deadline": "2022年度"}, "deadline", "目標年度: 目標年度（2023-03-31）が基準値の時点（2024-03-31）より前です"),
    ({"target": "2027年度 60%"}, "target", "目標値: 目標値の単位「%」が基準値の単位「件」と異なります"),
    ({"schedule": "令和6年度: 公開\nそのうち: 拡充"}, "schedule",
     "スケジュール: 2行目「そのうち: 拡充」は「年度: 取組」の形ではありません（例: 令和7年度: 計画策定）"),
])
def test_bad_input_names_the_field_and_leaves_the_plan(plan_db, change, field, ja):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        before = _counts(s)
        with pytest.raises(PlanInputError) as caught:
            editing.add_measure(s, plan_id, {**plandata.form(plandata.CHOICES[0]), **change}, "tester", "test")
        assert caught.value.field == field
        assert caught.value.message("ja") == ja
        assert _counts(s) == before == (1, 0, 0, 1)


def test_english_message_names_the_field(plan_db):
    url, plan_id = plan_db
    with storage.session_scope(url) as s, pytest.raises(PlanInputError) as caught:
        editing.add_measure(s, plan_id, {**plandata.form(plandata.CHOICES[0]), "measure": "83"}, "t", "test")
    assert caught.value.message("en") == "measure number: the national catalogue has no measure '83'"


def test_same_measure_twice_is_refused(plan_db):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        editing.add_measure(s, plan_id, plandata.form(plandata.CHOICES[0]), "tester", "test")
        with pytest.raises(PlanInputError, match="measure 15 is already in this plan"):
            editing.add_measure(s, plan_id, plandata.form(plandata.CHOICES[0]), "tester", "test")


def test_edit_logs_old_and_new(plan_db):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        pm_id = editing.add_measure(s, plan_id, plandata.form(plandata.CHOICES[0]), "tester", "test")
    with storage.session_scope(url) as s:
        diff = editing.edit_measure(s, pm_id, {"section": "DX推進課", "target": "2027年度までに 120件"}, "editor", "web")
        assert set(diff) == {"section", "target_text", "target_value"}
        assert editing.edit_measure(s, pm_id, {"section": "DX推進課"}, "editor", "web") == {}
    with storage.session_scope(url) as s:
        last = store.changes(s, plan_id)[-1]
        assert (last["action"], last["actor"], last["via"], last["plan_measure_id"]) == ("update", "editor", "web", pm_id)
        assert last["old"] == {"section": "情報政策課", "target_text": "2027年度までに 100件", "target_value": 100.0}
        assert last["new"] == {"section": "DX推進課", "target_text": "2027年度までに 120件", "target_value": 120.0}
        assert store.plan(s, plan_id)["updated_by"] == "editor"


def test_two_actuals_rate_the_kpi(plan_db):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        pm_id = editing.add_measure(s, plan_id, plandata.form(plandata.CHOICES[0]), "tester", "test")
    with storage.session_scope(url) as s:
        first = editing.record_actual(s, pm_id, "43件", "2025-03-31", "tester", "test")
        assert (first["code"], first["as_of"], first["actual"]) == ("B", date(2025, 3, 31), 43.0)
        second = editing.record_actual(s, pm_id, "2025年度 52件", None, "tester", "test")
        assert (second["code"], second["as_of"], second["actual"]) == ("A", date(2026, 3, 31), 52.0)
        assert second["label"] == "基準値より改善（10%超）"
    with storage.session_scope(url) as s:
        pm = store.plan_measure(s, pm_id)
        assert [(a["value"], a["as_of"], a["entered_by"]) for a in pm["actuals"]] == \
            [(43.0, date(2025, 3, 31), "tester"), (52.0, date(2026, 3, 31), "tester")]
        assert (pm["rating"]["code"], pm["rating"]["as_of"]) == ("A", date(2026, 3, 31))
        # the target reached: S
        editing.record_actual(s, pm_id, "101件", "2027-03-31", "tester", "test")
        assert store.plan_measure(s, pm_id)["rating"]["code"] == "S"


@pytest.mark.parametrize("value, as_of, message", [
    ("52%", "2025-03-31", "実績値: 単位「%」がKPIの単位「件」と異なります"),
    ("52件", None, "実績の時点: 実績の時点を入力してください（例: 2024-03-31、令和5年度末）"),
    ("52件", "いつか", "実績の時点: 「いつか」を日付として読み取れません（例: 2024-03-31、令和5年度末）"),
    ("52件", "2020-03-31", "実績の時点: 実績の時点（2020-03-31）が基準値の時点より前です"),
    ("", "2025-03-31", "実績値: 入力してください"),
])
def test_bad_actual_is_refused(plan_db, value, as_of, message):
    url, plan_id = plan_db
    with storage.session_scope(url) as s:
        pm_id = editing.add_measure(s, plan_id, plandata.form(plandata.CHOICES[0]), "tester", "test")
        before = _counts(s)
        with pytest.raises(PlanInputError) as caught:
            editing.record_actual(s, pm_id, value, as_of, "tester", "test")
        assert caught.value.message("ja") == message
        assert _counts(s) == before


def test_unknown_body_and_scheme(plan_db):
    url, _ = plan_db
    with storage.session_scope(url) as s:
        with pytest.raises(PlanInputError, match="no local body has the code '999999'"):
            editing.new_plan(s, "999999", "t", "test")
        with pytest.raises(PlanInputError, match="unknown scheme 'nope'"):
            editing.new_plan(s, "142158", "t", "test", scheme="nope")
