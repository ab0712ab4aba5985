"""Tests for the policy evaluation sheet reader, on seed 002 and on small sheets written in its layout.
Covers the budget table, every measurement indicator with its actuals and grade, the overall result and legends."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mieruka.records.canonical import kpi_key
from mieruka.ingest.readers import policy_evaluation, presentation

FIXTURES = Path(__file__).parent / "fixtures" / "policy_evaluation"
POLICY = "政策8:電子政府・電子自治体の推進"


def _read_fixture(name: str):
    return policy_evaluation.read((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def seed(seeds):
    return policy_evaluation.read(next(seeds.glob("002_*")).read_text(encoding="utf-8"))


def _kpi(ex, name):
    return next(k for k in ex.kpis if k.name == name)


def _values(records):
    return [(r.value, r.as_of) for r in records]


# ── seed 002 ─────────────────────────────────────────────────────────────────────────────────


def test_seed_head(seed):
    assert seed.family == "policy-evaluation"
    assert seed.title == "主要な政策に係る評価書(平成30年度実施政策)"
    assert seed.meta["evaluation_id"] == "(総務省31-⑧)"
    assert seed.meta["organisation"] == "総務省"
    assert seed.meta["policy"] == POLICY
    assert seed.meta["field"] == "電子政府・電子自治体"
    assert seed.meta["evaluated"] == "令和元年8月"
    assert seed.doc_date == date(2019, 8, 1)
    assert seed.unplaced == []


def test_seed_budget_in_yen_per_fiscal_year(seed):
    got = {(b.fiscal_year, b.category): b.amount_yen for b in seed.budgets}
    m = 1_000_000
    assert got == {
        (2016, "当初予算"): 37_790 * m, (2017, "当初予算"): 46_550 * m,
        (2018, "当初予算"): 55_662 * m, (2019, "当初予算"): 76_461 * m,
        (2016, "補正予算"): 14_438 * m, (2017, "補正予算"): 11_362 * m, (2018, "補正予算"): 1_971 * m,
        (2016, "繰越し等"): 40_262 * m, (2017, "繰越し等"): 5_761 * m, (2018, "繰越し等"): 7_704 * m,
        (2016, "合計"): 92_490 * m, (2017, "合計"): 63_673 * m, (2018, "合計"): 65_336 * m,
        (2016, "執行額"): 77_120 * m, (2017, "執行額"): 56_335 * m, (2018, "執行額"): 59_666 * m,
    }
    first = seed.budgets[0]
    assert (first.text, first.source.line, first.policy) == ("37,790", 11, POLICY)
    executed = [b for b in seed.budgets if b.category == "執行額"]
    assert [(b.source.line, b.text) for b in executed] == [(15, "77,120"), (15, "56,335"), (15, "59,666")]


def test_seed_indicator_names_numbers_and_grades(seed):
    assert [k.name for k in seed.kpis] == [
        "国際連合「電子政府ランキング」における行政オンラインサービスの充実度ランキング",
        "電子政府の総合窓口(e-Gov)へのアクセス件数",
        "電子政府の総合窓口(e-Gov)へのアクセス件数",
        "情報システム統一研修(集合研修)の定員",
        "電子決裁に要する期間",
        "クラウド導入市区町村数",
        "地方行政統計等における基礎データベースの作成及びその活用",
        "災害時等における情報通信メディアの活用・災害時等に活用する情報通信メディアの降雨減衰等による年間の不稼働率",
        "電子行政サービスの改善方策に関する調査研究及び情報提供",
        "番号制度の基盤となる個人番号付番等システムの構築",
        "特定個人情報の情報連携基盤となる情報提供ネットワークシステムの稼働率",
    ]
    assert [[r.code for r in k.ratings] for k in seed.kpis] == [
        ["イ"], ["イ"], ["イ"], ["イ"], ["ハ"], ["イ"], ["イ"], ["イ"], ["イ"], ["イ"], ["イ"]]
    assert {r.scheme for k in seed.kpis for r in k.ratings} == {"policy-evaluation"}
    numbers = [i["number"] for g in seed.meta["goals"] for i in g["indicators"]]
    assert numbers == ["1", "2", "③", "4", "⑤", "6", "7", "8", "9", "10"]
    assert [len(g["indicators"]) for g in seed.meta["goals"]] == [4, 4, 2]
    assert [k.source.line for k in seed.kpis] == [32, 34, 36, 38, 40, 43, 45, 46, 47, 49, 51]
    assert {k.organisation for k in seed.kpis} == {"総務省"}


def test_seed_un_ranking_improves_downward(seed):
    kpi = seed.kpis[0]
    assert kpi.direction == "down"
    assert (kpi.baseline.value, kpi.baseline.unit, kpi.baseline.as_of) == (4.0, "位", date(2015, 3, 31))
    assert [(t.text, t.interim, t.deadline, t.comparator, t.relative_kind, t.relative_base_year)
            for t in kpi.targets] == [
        ("平成26年度値以上", True, date(2017, 3, 31), "le", "at_least_base", 2014),
        ("平成28年度値以上", True, date(2019, 3, 31), "le", "at_least_base", 2016),
        ("平成28年度値以上 【30年度】", False, date(2019, 3, 31), "le", "at_least_base", 2016),
    ]
    assert _values(kpi.observations) == [(16.0, date(2017, 3, 31)), (9.0, date(2019, 3, 31))]
    assert (kpi.source.line, kpi.source.line_end) == (32, 33)


def test_seed_egov_access_and_its_second_target(seed):
    """Indicator 2 has a second target row (FY2021: twice the FY2016 actual): the same KPI, appearing twice."""
    kpi, sub = seed.kpis[1], seed.kpis[2]
    assert kpi.markers == ["アウトプット指標"]
    assert (kpi.unit, kpi.direction) == ("件", "up")
    assert (kpi.baseline.value, kpi.baseline.as_of) == (412_533_000, date(2016, 3, 31))
    assert [(t.value, t.comparator, t.deadline, t.interim) for t in kpi.targets] == [
        (441_754_000, "ge", date(2017, 3, 31), True),
        (485_929_000, "ge", date(2018, 3, 31), True),
        (534_521_000, "ge", date(2019, 3, 31), False),
    ]
    assert _values(kpi.observations) == [(577_273_000, date(2017, 3, 31)), (821_737_000, date(2018, 3, 31))]

    assert (sub.name, sub.parent, sub.markers) == (kpi.name, None, ["アウトプット指標"])
    assert kpi_key(sub.name) == kpi_key(kpi.name) == kpi_key("電子政府の総合窓口(e-Gov)へのアクセス件数")
    assert (sub.baseline.value, sub.baseline.as_of) == (577_273_000, date(2017, 3, 31))
    final = sub.targets[-1]
    assert (final.value, final.deadline, final.interim) == (1_154_547_000, date(2022, 3, 31), False)
    assert (final.relative_factor, final.relative_kind, final.relative_base_year) == (2.0, "multiple", 2016)
    assert _values(sub.observations) == [(1_506_096_000, date(2019, 3, 31))]
    assert [r.code for r in sub.ratings] == ["イ"]
    assert (sub.source.line, sub.source.line_end) == (36, 37)


def test_seed_training_places_is_a_major_indicator(seed):
    kpi = seed.kpis[3]
    assert kpi.markers == ["主要"]
    assert (kpi.baseline.value, kpi.baseline.as_of) == (920, date(2016, 3, 31))
    assert [(t.value, t.interim) for t in kpi.targets] == [(1000, True), (1100, True), (1600, True), (1600, False)]
    assert _values(kpi.observations) == [
        (1104, date(2017, 3, 31)), (1688, date(2018, 3, 31)), (1688, date(2019, 3, 31))]
    assert kpi.policy_text.startswith("政府におけるIT人材")


def test_seed_decision_hours_should_fall(seed):
    kpi = seed.kpis[4]
    assert (kpi.unit, kpi.direction) == ("時間", "down")
    assert kpi.baseline.value == pytest.approx(40.1)
    assert [(t.value, t.comparator) for t in kpi.targets] == [(38, "le"), (35, "le"), (32, "le"), (32, "le")]
    assert [o.value for o in kpi.observations] == pytest.approx([56.9, 58.7, 60.3])
    assert [r.code for r in kpi.ratings] == ["ハ"]


def test_seed_cloud_municipalities_dated_by_their_own_text(seed):
    kpi = seed.kpis[5]
    assert kpi.name == "クラウド導入市区町村数"
    assert kpi.markers == ["主要", "アウトカム指標", "AP改革項目関連:地方行政改革・分野横断的な取組⑮", "APのKPI"]
    assert kpi_key(kpi.name) == kpi_key("クラウド導入団体数")
    assert (kpi.baseline.value, kpi.baseline.as_of) == (550, date(2015, 3, 31))
    assert [(t.value, t.deadline, t.interim) for t in kpi.targets] == [
        (1000, date(2017, 3, 31), True), (1000, date(2018, 3, 31), False)]
    assert _values(kpi.observations) == [
        (842, date(2016, 4, 1)), (950, date(2017, 4, 1)), (1067, date(2018, 4, 1))]
    assert kpi.observations[0].text == "842団体 (H28.4.1時点)"
    assert kpi.direction == "up"


def test_seed_narrative_indicators_keep_their_text(seed):
    database, satellite, research, numbering = seed.kpis[6:10]
    assert [t.value for t in database.targets] == [None, None, None, None]
    assert database.targets[0].text.endswith("統計処理等を実施")
    assert database.observations[0].text.startswith("「地方公共団体における行政情報化")
    assert [o.as_of for o in database.observations] == [date(2017, 3, 31), date(2018, 3, 31), date(2019, 3, 31)]

    # The sheet lost this indicator's final-target cell: only the yearly targets remain.
    assert [(t.value, t.comparator, t.interim) for t in satellite.targets] == [(0.2, "le", True)] * 3
    assert [(o.value, o.unit) for o in satellite.observations] == [(0.0, "%")] * 3
    assert satellite.direction == "down"

    final = research.targets[-1]
    assert (final.interim, final.deadline) == (False, date(2019, 3, 31))
    assert final.text.endswith("【30年度】")
    assert research.observations[-1].text.startswith("地方公共団体の非識別加工情報")

    assert [o.as_of for o in numbering.observations] == [date(2017, 3, 31), date(2017, 12, 1)]
    assert numbering.observations[1].text == "平成29年12月にシステムの構築が完了"
    assert (numbering.targets[-1].deadline, numbering.targets[-1].value) == (date(2018, 3, 31), None)


def test_seed_availability_rate(seed):
    kpi = seed.kpis[10]
    assert kpi.baseline.value is None
    assert kpi.baseline.as_of == date(2017, 3, 31)
    assert [(t.value, t.comparator, t.deadline, t.interim) for t in kpi.targets] == [
        (99.99, "ge", date(2018, 3, 31), True), (99.99, "ge", date(2019, 3, 31), True),
        (99.99, "ge", date(2019, 3, 31), False)]
    assert _values(kpi.observations) == [(100.0, date(2018, 3, 31)), (100.0, date(2019, 3, 31))]


def test_seed_overall_result(seed):
    assert [(r.policy, r.result, r.source.line) for r in seed.results] == [(POLICY, "相当程度進展あり", 54)]
    assert seed.meta["result_explanation"].startswith("測定指標1〜4について")


def test_seed_legends(seed):
    assert sorted(k for k in seed.legends if k.startswith("※")) == ["※1", "※2", "※3", "※4", "※5"]
    assert seed.legends["※4"] == "測定指標における目標の達成状況を示している。"
    assert seed.legends["イ"] == "目標達成"
    assert seed.legends["ロ"] == "目標未達成であるが目標(値)に近い実績を示した"
    assert seed.legends["ハ"] == "目標未達成であり目標(値)に近い実績を示していない"
    assert seed.legends["ー"] == "目標期間が終了していない"
    assert "一" not in seed.legends


def test_seed_cabinet_policies_and_sections(seed):
    policies = seed.meta["cabinet_policies"]
    assert [(p["name"], p["date_iso"]) for p in policies][2:4] == [
        ("「日本再興戦略」改訂2015", "2015-06-30"), ("経済・財政再生アクション・プログラム", "2015-12-24")]
    assert len(policies) == 7
    assert list(seed.meta["sections"])[:2] == ["政策の概要", "基本目標【達成すべき目標】"]


@pytest.mark.parametrize("prefix,expected", [("000", False), ("001", False), ("002", True), ("003", False),
                                             ("004", False)])
def test_matches_only_the_evaluation_seed(seeds, prefix, expected):
    text = next(seeds.glob(f"{prefix}_*")).read_text(encoding="utf-8")
    assert policy_evaluation.matches(text) is expected


# ── fixtures written in the same layout ──────────────────────────────────────────────────────


def test_fixture_budget_realigns_the_executed_row():
    ex = _read_fixture("heisei_sheet.txt")
    assert [(b.fiscal_year, b.category, b.amount_yen) for b in ex.budgets] == [
        (2016, "当初予算", 1.2e9), (2017, "当初予算", 1.35e9), (2018, "当初予算", 1.5e9),
        (2016, "補正予算", 3e8),
        (2016, "合計", 1.5e9), (2017, "合計", 1.35e9),
        (2016, "執行額", 1.41e9), (2017, "執行額", 1.29e9),
    ]
    assert ex.meta["budget_unit"] == "百万円"
    assert ex.meta["notes"] == ["(注)数字は四捨五入した。"]


def test_fixture_indicators_follow_the_header_year_columns():
    ex = _read_fixture("heisei_sheet.txt")
    wait = ex.kpis[0]
    assert (wait.name, wait.unit, wait.direction) == ("窓口の待ち時間", "分", "down")
    assert [(t.value, t.deadline, t.interim) for t in wait.targets] == [
        (20, date(2018, 3, 31), True), (15, date(2019, 3, 31), True), (15, date(2019, 3, 31), False)]
    assert _values(wait.observations) == [(18, date(2018, 3, 31)), (16, date(2019, 3, 31))]
    assert [r.code for r in wait.ratings] == ["ロ"]


def test_fixture_shifted_actuals_sub_indicator_and_kanji_dash_grade():
    ex = _read_fixture("heisei_sheet.txt")
    main, sub = ex.kpis[1], ex.kpis[2]
    assert main.name == "民間委託を導入した市町村数"
    assert main.markers == ["主要", "アウトカム指標", "AP改革項目関連:窓口業務"]
    assert _values(main.observations) == [(301, date(2017, 4, 1)), (350, date(2018, 4, 1))]
    assert [r.code for r in main.ratings] == ["ー"]
    assert (sub.name, sub.parent, sub.markers) == (main.name, None, main.markers)
    assert (sub.baseline.value, sub.baseline.as_of) == (301, date(2018, 3, 31))
    assert [(t.value, t.relative_factor, t.deadline) for t in sub.targets] == [(452, 1.5, date(2021, 3, 31))]
    assert _values(sub.observations) == [(360, date(2019, 3, 31))]
    assert [r.code for r in sub.ratings] == ["ー"]


def test_fixture_indicator_without_actual_row_keeps_its_targets():
    ex = _read_fixture("heisei_sheet.txt")
    training = ex.kpis[3]
    assert training.name == "研修の受講者数"
    assert training.observations == []
    assert [(t.value, t.interim) for t in training.targets] == [(600, True), (700, True), (700, False)]
    assert (training.source.line, training.source.line_end) == (24, None)


def test_fixture_merged_narrative_cells_split_into_target_and_result():
    ex = _read_fixture("heisei_sheet.txt")
    guide = ex.kpis[4]
    assert [(t.text, t.interim) for t in guide.targets] == [
        ("手引きを作成する", True), ("手引きを配布する", True), ("手引きを配布する 【30年度】", False)]
    assert [(o.text, o.value, o.as_of) for o in guide.observations] == [
        ("手引きの素案をまとめた", None, date(2018, 3, 31)),
        ("全市町村に手引きを送付した", None, date(2019, 3, 31))]


def test_fixture_result_legends_and_foot():
    ex = _read_fixture("heisei_sheet.txt")
    assert [(r.policy, r.result) for r in ex.results] == [("政策7:窓口の効率化", "相当程度進展あり")]
    assert {k: ex.legends[k] for k in policy_evaluation.GRADES} == {
        "イ": "目標達成", "ロ": "目標に近い", "ハ": "目標から遠い", "ー": "期間中"}
    assert ex.legends["※5"] == "表中の「AP」とは行動計画を指す。"
    assert ex.meta["department"] == "自治行政局 行政課"
    assert ex.doc_date == date(2018, 8, 1)
    assert ex.meta["sections"]["政策の分析"] == "評価結果\n委託の拡大が進んだ。\n(次の年度の考え方)"
    assert ex.unplaced == []


def test_fixture_reiwa_years_thousand_yen_and_stray_row():
    ex = _read_fixture("reiwa_sheet.txt")
    assert [(b.fiscal_year, b.category, b.amount_yen) for b in ex.budgets] == [
        (2019, "当初予算", 5_000_000), (2020, "当初予算", 6_000_000), (2019, "執行額", 4_800_000)]
    kpi = ex.kpis[0]
    assert (kpi.baseline.value, kpi.baseline.as_of) == (1000, date(2020, 3, 31))
    assert [(t.deadline, t.interim) for t in kpi.targets] == [(date(2021, 3, 31), True), (date(2021, 3, 31), False)]
    assert _values(kpi.observations) == [(1250, date(2021, 3, 31))]
    days = ex.kpis[1]
    assert (days.name, days.unit, days.direction, days.policy_text) == ("処理にかかる日数", "日", "down", "申請様式の統一")
    assert [(t.value, t.deadline, t.interim) for t in days.targets] == [
        (8, date(2021, 3, 31), True), (7, date(2022, 3, 31), False)]
    assert (days.ratings, days.observations) == ([], [])
    assert [(s.line, s.text) for s in ex.unplaced] == [(9, "\t\t\t\t\t99件\t\t")]
    assert [r.result for r in ex.results] == ["目標超過達成"]
    assert ex.legends == {}


def test_fixture_title_only():
    ex = _read_fixture("title_only.txt")
    assert ex.title == "主要な政策に係る評価書(平成30年度実施政策)"
    assert ex.counts() == {"items": 0, "steps": 0, "schedules": 0, "kpis": 0, "targets": 0, "observations": 0,
                           "ratings": 0, "measures": 0, "cases": 0, "budgets": 0, "unplaced": 0}
    assert ex.doc_date is None


@pytest.mark.parametrize("name", ["heisei_sheet.txt", "reiwa_sheet.txt", "title_only.txt"])
def test_fixtures_match_this_family_only(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert policy_evaluation.matches(text)
    assert not presentation.matches(text)


# ── damaged sheets: the smallest inputs on which tests/test_reader_fuzz.py made the reader fail ──

HEAD = "主要な政策に係る評価書(令和2年度実施政策)\n"


def test_unknown_marked_section_in_a_cell_is_text():
    ex = policy_evaluation.read(HEAD + "政策の概要\t窓口を<![<p>減らす\n")
    assert ex.meta["sections"] == {"政策の概要": "窓口を<![ 減らす"}
    assert ex.unplaced == []


def test_impossible_years_in_budget_headings_and_dates():
    ex = policy_evaluation.read(
        HEAD + "政策評価実施時期\t平成0年8月\n"
        "政策の予算額・執行額等 (千円)\t区 分\t\t0年度\t元年度\t2年度\t9999年度\n"
        "\t予算の状況\t当初予算(a)\t4,000\t5,000\t6,000\t7,000\n"
        "執行額\t\t3,900\t4,900\n")
    assert (ex.doc_date, ex.meta["evaluated"]) == (None, "平成0年8月")
    # The typo'd columns keep their places: their values are set aside, the others keep their years.
    assert [(b.fiscal_year, b.category, b.amount_yen) for b in ex.budgets] == [
        (2019, "当初予算", 5_000_000), (2020, "当初予算", 6_000_000), (2019, "執行額", 4_900_000)]
    assert [(s.line, s.text) for s in ex.unplaced] == [(4, "4,000"), (4, "7,000"), (5, "3,900")]


def test_impossible_years_in_indicator_headings_and_cells():
    ex = policy_evaluation.read(
        HEAD + "施策目標\t施策手段\t測定指標\t基準(値) 【年度】\t年度ごとの目標(値)\t\t目標(値) 【年度】\t達成\n"
        "\t\t\t\t0年度\t2年度\t\t\n"
        "申請を広げる\t様式の統一\t1\t電子申請の件数\t1,000件 【元年度】\t1,050件\t平成0年度の1割増\t"
        "1,100件以上 【9999年度】\tイ\n"
        "\t\t\t\t\t900件\t1,020件\n")
    [kpi] = ex.kpis
    assert (kpi.baseline.value, kpi.baseline.as_of) == (1000, date(2020, 3, 31))
    assert [(t.text, t.value, t.deadline, t.interim) for t in kpi.targets] == [
        ("平成0年度の1割増", None, date(2021, 3, 31), True), ("1,100件以上 【9999年度】", 1100, None, False)]
    assert _values(kpi.observations) == [(1020, date(2021, 3, 31))]
    assert [r.code for r in kpi.ratings] == ["イ"]
    assert [(s.line, s.text) for s in ex.unplaced] == [(4, "1,050件"), (5, "900件")]
