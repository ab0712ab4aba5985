"""Rating one KPI under each shipped scheme, on hand-made KPI dicts shaped like storage.queries.kpi_rows.
Edge cases: target already met, falling KPIs, relative targets, missing baseline, a single observation, a deadline past."""
from datetime import date

import pytest

from mieruka.evaluate import schemes
from mieruka.evaluate.rate import rate_kpi, roll_up
from mieruka.evaluate.series import document_dates

REFORM = schemes.load("reform-schedule")
POLICY = schemes.load("policy-evaluation")
SABC = schemes.load("municipal-sabc")
CAGR = schemes.load("progress-cagr")


def src(line, doc="progress.txt", doc_id=1):
    return {"document": doc, "document_id": doc_id, "line": line}


def kpi(baseline=None, targets=(), observations=(), unit="団体", direction="up", after_the_fact=False,
        doc_date=None, name="窓口業務のアウトソーシング"):
    return {"id": 7, "name": name, "unit": unit, "direction": direction, "after_the_fact": after_the_fact,
            "baseline": baseline, "baselines": [baseline] if baseline else [], "targets": list(targets),
            "observations": list(observations), "ratings": [], "appearances": [],
            "documents": [{"file_name": "progress.txt", "doc_date": doc_date}]}


def base(value, as_of, unit="団体", line=2):
    return {"value": value, "as_of": as_of, "unit": unit, "text": f"{value}", "source": src(line)}


def goal(value, deadline, unit="団体", line=3, **extra):
    return {"value": value, "unit": unit, "deadline": deadline, "comparator": extra.pop("comparator", "eq"),
            "relative": extra.pop("relative", None), "unset": extra.pop("unset", False),
            "promised_by": extra.pop("promised_by", None), "interim": extra.pop("interim", False),
            "edition": None, "edition_date": extra.pop("edition_date", None), "text": extra.pop("text", f"{value}"),
            "source": src(line)}


def obs(value, as_of, unit="団体", status=None, line=4, text=None):
    return {"value": value, "unit": unit, "as_of": as_of, "status": status, "text": text or f"{value}",
            "source": src(line)}


WINDOW = kpi(base(208, date(2014, 10, 1)), [goal(416, date(2021, 3, 31))],
             [obs(301, date(2017, 4, 1), status="preliminary")])
AS_OF = date(2018, 1, 1)


def test_above_the_planned_path_is_a_with_the_numbers_named():
    r = rate_kpi(WINDOW, REFORM, AS_OF)
    assert r.code == "A" and r.label == "順調（達成を含む）"
    assert r.expected == pytest.approx(208 + 208 * 913 / 2373)
    assert (r.actual, r.actual_as_of, r.target, r.deadline) == (301, date(2017, 4, 1), 416, date(2021, 3, 31))
    assert r.explanation.startswith("目標416団体(2021-03-31)に対し、計画線上の想定288団体を上回る301団体(2017-04-01)で、"
                                    "基準208団体(2014-10-01)からの進捗は計画の116%であるため、A「順調（達成を含む）」")
    # a single observation: the forecast is the line from the baseline, 208 + 93/913 × 2,373 days
    assert r.forecast == pytest.approx(208 + 93 * 2373 / 913)
    assert r.reached_on == date(2020, 5, 4)
    assert "現在のペースでの到達は2020年度" in r.explanation
    row = r.row("en")
    assert row["label"] == "on track or achieved" and row["expected"] == 288.03
    assert row["explanation"].startswith("Against the target of 416 bodies (by 2021-03-31), 301 bodies (2017-04-01) is "
                                         "above the planned 288 bodies; progress from the baseline 208 bodies (2014-10-01) "
                                         "is 116% of plan, so A (on track or achieved; criterion: at or above the planned "
                                         "path (100 % of planned progress or more)). Weighted least squares projects 450 "
                                         "bodies at the deadline (34 bodies beyond the target)")
    # the gap is shown at the precision of the projection beside it: 449.72 − 416 = 33.72 → 34
    assert "予測は期限時点で450団体（目標を34団体上回る）" in r.explanation


def test_past_the_deadline_with_no_actual_since_cannot_be_judged():
    # as of 2025 the 2021-03-31 deadline has passed, and the last actual (2017) cannot say whether 416 was reached
    for scheme, code in ((REFORM, "N"), (POLICY, "NA")):
        r = rate_kpi(WINDOW, scheme, date(2025, 1, 1))
        assert (r.code, r.judged) == (code, False)
        assert r.explanation.startswith("目標416団体(2021-03-31)の期限を過ぎた2025-01-01時点で、期限以降の実績がなく"
                                        "達成したか判断できない（最新の実績301団体(2017-04-01)）ため、")
        assert "予測は期限時点で450団体（目標を34団体上回る）" in r.explanation  # what the trend said
        assert r.explanation_en.startswith("The deadline of the target of 416 bodies (by 2021-03-31) has passed by "
                                           "2025-01-01 with no actual on or after it to show whether the target was met")
    # the deadline passing does not change a scale that compares with the baseline only
    assert rate_kpi(WINDOW, SABC, date(2025, 1, 1)).code == "A"
    assert rate_kpi(WINDOW, CAGR, date(2025, 1, 1)).code == "substantial"


def test_below_the_planned_path_is_b():
    k = kpi(base(185, date(2014, 10, 1)), [goal(370, date(2021, 3, 31))], [obs(215, date(2017, 4, 1))])
    r = rate_kpi(k, REFORM, AS_OF)
    assert r.code == "B"
    assert r.facts.metrics["path_share"] == pytest.approx(30 / (185 * 913 / 2373))
    assert "想定256団体を下回る215団体" in r.explanation and "計画の42%" in r.explanation


def test_target_already_met():
    k = kpi(base(143, date(2014, 10, 1)), [goal(286, date(2021, 3, 31))], [obs(413, date(2017, 4, 1))])
    for scheme, code in ((REFORM, "A"), (POLICY, "イ"), (SABC, "S"), (CAGR, "achieved")):
        r = rate_kpi(k, scheme, AS_OF)
        assert r.code == code
    assert rate_kpi(k, REFORM, AS_OF).explanation == "目標286団体(2021-03-31)を413団体(2017-04-01)で達成しているため、A「順調（達成を含む）」。"


HOURS = kpi(base(40.1, date(2015, 3, 31), "時間"),
            [goal(32, date(2019, 3, 31), "時間", comparator="le")],
            [obs(56.9, date(2017, 3, 31), "時間"), obs(58.7, date(2018, 3, 31), "時間"), obs(60.3, date(2019, 3, 31), "時間")],
            unit="時間")


def test_falling_kpi_that_rose_is_ha_and_b():
    r = rate_kpi(HOURS, POLICY, date(2019, 8, 1))
    assert r.series.direction == -1
    assert r.code == "ハ"
    assert r.facts.metrics["achievement"] == pytest.approx(-20.2 / 8.1)
    assert "基準40.1時間(2015-03-31)から目標までの達成度は-249%" in r.explanation
    assert "現在のペースでは目標に到達しない" in r.explanation
    assert "予測は期限時点" not in r.explanation  # the deadline's own actual (60.3) says what happened
    b = rate_kpi(HOURS, REFORM, date(2019, 8, 1))
    assert b.code == "B" and "期限を過ぎた60.3時間(2019-03-31)でも届いていない" in b.explanation


def test_close_to_the_target_is_ro_at_eighty_percent_of_the_way():
    def at(value):
        k = kpi(base(100, date(2016, 3, 31)), [goal(200, date(2019, 3, 31))], [obs(value, date(2019, 3, 31))])
        return rate_kpi(k, POLICY, date(2019, 8, 1)).code
    assert (at(180), at(179), at(200)) == ("ロ", "ハ", "イ")


def test_target_period_not_over_is_dash_unless_met():
    k = kpi(base(577273, date(2017, 3, 31), "件"), [goal(1154547, date(2022, 3, 31), "件")],
            [obs(800000, date(2019, 3, 31), "件")], unit="件")
    r = rate_kpi(k, POLICY, date(2019, 8, 1))
    assert r.code == "ー" and "期限が2019-08-01時点でまだ来ていない" in r.explanation
    k["observations"].append(obs(1506096, date(2019, 4, 1), "件", line=9))
    assert rate_kpi(k, POLICY, date(2019, 8, 1)).code == "イ"  # met early: achieved before the period ends
    assert rate_kpi(k, POLICY, date(2019, 3, 31)).code == "ー"  # as of a date before that actual


def test_relative_targets_half_and_rank():
    systems = kpi(base(1450, date(2013, 3, 31), "システム"),
                  [goal(None, date(2019, 3, 31), None, relative={"factor": 0.5, "kind": "half",
                                                                  "base_fiscal_year": 2012, "base_value": 1450.0},
                        text="2012年度から2018年度までに半減(2012年度:1450)")],
                  [obs(1117, date(2017, 3, 31), "システム")], unit="システム")
    r = rate_kpi(systems, REFORM, AS_OF)
    # 1,461 of 2,191 days from 1450 towards 725: the plan stands at 966.56
    assert r.target == 725 and r.series.direction == -1
    assert r.expected == pytest.approx(1450 - 725 * 1461 / 2191)
    assert r.code == "B" and "目標725システム(2012年度値1,450システムの0.5倍、2019-03-31)" in r.explanation
    rank = kpi(base(4, date(2015, 3, 31), "位"),
               [goal(None, date(2019, 3, 31), None, comparator="ge", text="平成28年度値以上 【30年度】",
                     relative={"factor": 1.0, "kind": "at_least_base", "base_fiscal_year": 2016, "base_value": None})],
               [obs(16, date(2017, 3, 31), "位"), obs(9, date(2019, 3, 31), "位")], unit="位")
    r = rate_kpi(rank, POLICY, date(2019, 8, 1))
    assert (r.code, r.target) == ("イ", 16)
    assert r.explanation.startswith("目標16位(2016年度値16位以内、2019-03-31)を9位(2019-03-31)で達成している")


def test_cut_by_thirty_percent_and_doubling():
    cost = kpi(base(4000e8, date(2014, 3, 31), "円"),
               [goal(None, date(2022, 3, 31), None, relative={"factor": 0.7, "kind": "cut", "base_fiscal_year": 2013,
                                                             "base_value": 4000e8})],
               [obs(3743e8, date(2016, 3, 31), "円")], unit="円")
    r = rate_kpi(cost, REFORM, AS_OF)
    assert r.target == pytest.approx(2800e8)
    assert r.expected == pytest.approx(4000e8 - 1200e8 * 731 / 2922)
    assert r.code == "B" and "想定3,699.79億円を下回る3,743億円(2016-03-31)" in r.explanation
    cloud = kpi(base(550, date(2015, 3, 31)),
                [goal(None, date(2018, 3, 31), None, relative={"factor": 2.0, "kind": "double",
                                                               "base_fiscal_year": None, "base_value": None})],
                [obs(948, date(2017, 4, 1))])
    r = rate_kpi(cloud, REFORM, AS_OF)
    assert r.target == 1100 and r.expected == pytest.approx(550 + 550 * 732 / 1096) and r.code == "A"


def test_missing_baseline_says_why():
    k = kpi(None, [goal(30, date(2021, 3, 31), "圏域")], [obs(23, date(2017, 10, 1), "圏域")], unit="圏域")
    r = rate_kpi(k, REFORM, AS_OF)
    assert r.code == "N"
    assert r.explanation == ("目標30圏域(2021-03-31)に対し23圏域(2017-10-01)だが、基準値がなく計画線を引けないため、"
                             "N「現時点で判断できない」。")
    assert rate_kpi(k, SABC, AS_OF).explanation.startswith(
        "目標30圏域(2021-03-31)に対し23圏域(2017-10-01)だが、基準値がなく変化を測れないため、－「判定できない」")
    assert "基準値がなく年平均成長率を比べられない" in rate_kpi(k, CAGR, AS_OF).explanation
    at_deadline = {**k, "observations": [obs(23, date(2021, 3, 31), "圏域")]}
    r = rate_kpi(at_deadline, POLICY, date(2022, 1, 1))
    assert r.code == "ハ" and "目標値の77%" in r.explanation  # 23 of 30: under the 90 % stand-in for a baseline
    at_deadline["observations"] = [obs(27, date(2021, 3, 31), "圏域")]
    assert rate_kpi(at_deadline, POLICY, date(2022, 1, 1)).code == "ロ"  # 27 of 30 = 90 %
    k["observations"].insert(0, obs(18, date(2016, 10, 1), "圏域", line=5))
    r = rate_kpi(k, SABC, AS_OF)
    assert r.code == "A" and r.facts.metrics["change"] == pytest.approx(5 / 18)
    assert "基準値の記載がないため最初の実績18圏域(2016-10-01)を基準とした" in r.explanation


def test_deadline_already_past_and_an_undated_actual():
    k = kpi(None, [goal(6, date(2017, 3, 31))], [obs(4, None, text="4団体(各自治体の申入れにより下方修正)")],
            doc_date=date(2017, 10, 1))
    r = rate_kpi(k, REFORM, date(2018, 1, 1))
    assert r.code == "B" and r.actual_as_of == date(2017, 10, 1)
    assert "期限を過ぎた4団体(2017-10-01)でも届いていない" in r.explanation
    assert "実績に時点の記載がないため資料の日付2017-10-01とした" in r.explanation
    # a document with no date of its own is dated by the latest actual it reports, and the sentence says so
    undated = kpi(None, [goal(6, date(2017, 3, 31))], [obs(4, None), obs(23, date(2017, 10, 1), line=9)])
    dates = document_dates([undated])
    assert dates == {1: date(2017, 10, 1)} and dates.inferred == {1}
    undated["observations"].pop()
    r = rate_kpi(undated, REFORM, date(2018, 1, 1), dates)
    assert r.actual_as_of == date(2017, 10, 1)
    assert "実績に時点の記載がなく資料にも日付がないため、資料中で最も新しい実績の時点2017-10-01とした" in r.explanation


def test_target_not_set_after_the_fact_and_no_data():
    unset = kpi(None, [goal(None, None, None, unset=True, promised_by=date(2017, 3, 31), text="検討中(2016度中に設定)")])
    r = rate_kpi(unset, REFORM, AS_OF)
    assert r.code == "F"
    assert r.explanation == ("目標値がまだ設定されていない（設定予定の2017-03-31を過ぎている、「検討中(2016度中に設定)」"
                             "progress.txt 3行）ため、F「目標未設定」。")
    assert rate_kpi(unset, REFORM, date(2017, 1, 1)).explanation.startswith(
        "目標値がまだ設定されていない（2017-03-31までに設定予定、「検討中(2016度中に設定)」")
    assert rate_kpi(unset, SABC, AS_OF).explanation.startswith(
        "目標値がまだ設定されておらず（設定予定の2017-03-31を過ぎている、「検討中(2016度中に設定)」progress.txt 3行）、"
        "2018-01-01時点で実績値もないため、－「判定できない」")
    assert rate_kpi(kpi(None, []), SABC, AS_OF).explanation == \
        "数値で判定できる目標が示されておらず、2018-01-01時点で実績値もないため、－「判定できない」。"
    later = kpi(None, [goal(None, None, None, unset=True, promised_by=date(2017, 3, 31), edition_date=date(2015, 12, 24)),
                       goal(150, date(2019, 3, 31), "件", edition_date=date(2017, 6, 1))])
    assert rate_kpi(later, REFORM, AS_OF).code == "N"  # set since: no data yet
    assert rate_kpi(later, REFORM, date(2016, 1, 1)).code == "F"  # as of early 2016 the target was still to come
    after = kpi(None, [], [], after_the_fact=True, name="歳出効率化の成果(事後的に検証する指標)")
    assert rate_kpi(after, REFORM, AS_OF).explanation == "事後的に検証する指標で、数値による判定の対象ではないため、N「現時点で判断できない」。"
    assert rate_kpi(after, CAGR, AS_OF).code == "na"
    # a target that gives no number is quoted: a share with no base, or words
    share = kpi(None, [goal(None, None, None, text="3割圧縮(目標期限を集中改革期間中に設定)",
                            relative={"factor": 0.7, "kind": "cut", "base_fiscal_year": None, "base_value": None})])
    assert rate_kpi(share, REFORM, AS_OF).explanation == (
        "数値で判定できる目標が示されていない（「3割圧縮(目標期限を集中改革期間中に設定)」progress.txt 3行は基準となる値が"
        "示されていない）ため、N「現時点で判断できない」。")
    words = kpi(None, [goal(None, date(2018, 3, 31), None, text="マイナンバーカードの有効性情報提供等のためのシステムの稼働 【29年度】")])
    assert rate_kpi(words, POLICY, AS_OF).explanation_en == (
        "No numeric target is stated (the target reads \"マイナンバーカードの有効性情報提供等のためのシステムの稼働…\" at "
        "progress.txt line 3), so NA (cannot be judged).")
    nodata = rate_kpi(kpi(None, [goal(150, date(2019, 3, 31), "件")]), REFORM, AS_OF)
    assert nodata.code == "N" and "2018-01-01時点で実績値がない" in nodata.explanation


def test_forecast_values_stand_in_only_when_there_is_no_actual():
    k = kpi(None, [goal(100, date(2020, 3, 31), "%", text="向上")],
            [obs(99.2, date(2017, 3, 31), "%", status="forecast")], unit="%")
    r = rate_kpi(k, REFORM, AS_OF)
    assert r.series.forecasts_only and r.actual == 99.2 and "実績がないため見込み値で判定した" in r.explanation
    k["observations"].append(obs(98.9, date(2015, 3, 31), "%", line=8))
    r = rate_kpi(k, REFORM, AS_OF)
    assert r.actual == 98.9 and not r.series.forecasts_only
    assert "より新しい見込み値99.2%(2017-03-31)は実績ではないため判定に用いていない" in r.explanation


def test_municipal_scale_follows_the_kpi_direction():
    def code(value, direction="up", target=200.0):
        k = kpi(base(100, date(2016, 3, 31)), [goal(target, date(2021, 3, 31))], [obs(value, date(2017, 3, 31))],
                direction=direction)
        return rate_kpi(k, SABC, AS_OF).code
    assert [code(v) for v in (111, 110, 90, 89, 200)] == ["A", "B", "B", "C", "S"]
    assert [code(v, "down", 50.0) for v in (89, 90, 111, 50)] == ["A", "B", "C", "S"]


def test_progress_cagr_steps():
    def at(value):
        k = kpi(base(100, date(2016, 1, 1)), [goal(200, date(2024, 1, 1))], [obs(value, date(2020, 1, 1))])
        return rate_kpi(k, CAGR, date(2021, 1, 1))
    r = at(146.41)
    assert r.code == "substantial" and r.facts.metrics["cagr_ratio"] == pytest.approx(0.1 / (2 ** 0.125 - 1))
    assert "年平均+10.0%で、目標200団体(2024-01-01)に必要な年+9.1%の110%である" in r.explanation
    assert r.expected == pytest.approx(100 * 2 ** 0.5)  # compound path: halfway in time, √2 of the way in value
    assert [at(v).code for v in (120, 100, 90)] == ["moderate", "limited", "deterioration"]


def test_roll_up_of_indicator_grades_into_the_five_steps():
    def grades(*values):
        kpis, results = [], []
        for i, v in enumerate(values):
            k = kpi(base(100, date(2016, 3, 31)), [goal(200, date(2019, 3, 31))], [obs(v, date(2019, 3, 31))])
            k["id"] = i
            k["ratings"] = [{"scheme": "policy-evaluation", "code": "イ", "official": True, "as_of": None,
                             "source": src(10 + i, "sheet.txt", 5)}]
            kpis.append(k)
            results.append(rate_kpi(k, POLICY, date(2019, 8, 1)))
        (group,) = roll_up(results, kpis, POLICY, {5: "政策8"})
        return group
    g = grades(200, 210, 120, 180)
    assert g.group == "政策8" and g.counts == {"イ": 2, "ハ": 1, "ロ": 1, "exceeded": 0}
    assert g.result.result == "相当程度進展あり"
    assert g.explanation == "判定できる4指標のうちイ2件・ハ1件・ロ1件で、イ+ロの割合75%（基準50%以上）のため「相当程度進展あり」。"
    assert grades(200, 210).result.result == "目標達成"
    assert grades(250, 240, 200).result.result == "目標超過達成"
    assert grades(200, 110, 110, 110, 110).result.result == "進展が大きくない"
    assert grades(110, 120).result.result == "目標に向かっていない"
