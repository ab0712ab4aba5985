"""The planned path and the measures of progress, with expectations worked out by hand.
Relative targets (半減, 3割圧縮, 倍増, 平成26年度値以上) resolve against their base; deadlines fall on 31 March."""
from datetime import date

import pytest

from mieruka.evaluate import path as p
from mieruka.evaluate.series import Point, resolve_target
from mieruka.jp import parse

START, MID, END = date(2020, 4, 1), date(2021, 4, 1), date(2022, 4, 1)  # 365 + 365 days


def test_linear_path_is_halfway_at_half_time():
    assert p.planned_value(100, START, 200, END, MID) == 150
    assert p.planned_value(40, START, 32, END, MID) == 36  # a falling KPI (hours)


def test_compound_path_grows_by_a_constant_rate():
    assert p.planned_value(100, START, 200, END, MID, "compound") == pytest.approx(141.4213562)
    # compound growth needs positive values; otherwise the line stands in
    assert p.planned_value(0, START, 200, END, MID, "compound") == 100


def test_path_holds_at_its_ends():
    assert p.planned_value(100, START, 200, END, date(2019, 1, 1)) == 100
    assert p.planned_value(100, START, 200, END, date(2030, 1, 1)) == 200
    assert p.share_of_period(10, 10, 10) == 1.0  # a deadline on the start day is due at once


def test_the_issue_example_window_outsourcing():
    # 208 (2014-10-01) → 416 by FY2020 (2021-03-31); 913 of 2,373 days have passed on 2017-04-01
    expected = p.planned_value(208, date(2014, 10, 1), 416, date(2021, 3, 31), date(2017, 4, 1))
    assert expected == pytest.approx(208 + 208 * 913 / 2373) == pytest.approx(288.027)
    assert p.path_share(301, 208, expected) == pytest.approx(93 / 80.027, rel=1e-4)


def test_measures_of_progress():
    assert p.path_share(160, 100, 150) == pytest.approx(1.2)
    assert p.path_share(160, 100, 100) is None
    assert p.achievement(160, 100, 200) == pytest.approx(0.6)
    assert p.achievement(60.3, 40.1, 32) == pytest.approx(-20.2 / 8.1)  # hours rose instead of falling
    assert p.achievement(5, 5, 5) is None
    assert p.attainment(40, 32, -1) == pytest.approx(0.8)
    assert p.attainment(160, 200, 1) == pytest.approx(0.8)
    assert p.attainment(0, 200, 1) is None
    assert p.change(110, 100, 1) == pytest.approx(0.1)
    assert p.change(36, 40, -1) == pytest.approx(0.1)  # falling 10 % is a 10 % improvement
    assert p.change(5, 0, 1) is None
    assert p.reaches(9, 16, -1) and not p.reaches(17, 16, -1) and p.reaches(16, 16, 1)


def test_cagr_ratio_compares_actual_and_required_growth():
    b, a, t = date(2016, 1, 1).toordinal(), date(2020, 1, 1).toordinal(), date(2024, 1, 1).toordinal()  # 4 and 8 years
    required = 2 ** (1 / 8) - 1  # doubling in 8 years
    assert p.cagr_ratio(146.41, a, 100, b, 200, t) == pytest.approx(0.1 / required)  # 10 % a year
    assert p.cagr_ratio(100, a, 100, b, 200, t) == 0
    assert p.cagr_ratio(90, a, 100, b, 200, t) < 0
    assert p.cagr_ratio(-1, a, 100, b, 200, t) is None
    assert p.cagr_ratio(150, b, 100, b, 200, t) is None
    # a sevenfold rise needed within one day overflows: the required rate is infinite, the ratio 0 (as numpy gives)
    assert p.cagr_ratio(1.0, b + 1, 1.0, b, 7.0, b + 1) == 0.0
    assert p.annual_growth(7.0, 1 / 365.25) == float("inf")


def _target(text: str) -> dict:
    parsed = parse(text, role="target")
    rel = parsed.relative
    return {"value": parsed.value, "unit": parsed.unit, "deadline": parsed.deadline, "comparator": parsed.comparator,
            "relative": None if rel is None else {"factor": rel.factor, "kind": rel.kind,
                                                  "base_fiscal_year": rel.base_fiscal_year, "base_value": rel.base_value},
            "unset": parsed.unset, "text": text, "source": None}


def test_relative_targets_resolve_against_their_base():
    half = resolve_target(_target("2012年度から2018年度までに半減(2012年度:1450)"), [], None, {})
    assert (half.value, half.deadline, half.relative_factor) == (725, date(2019, 3, 31), 0.5)
    cut = resolve_target(_target("2013年度から2021年度めどに3割圧縮(2013年度:4000億円)"), [], None, {})
    assert cut.value == pytest.approx(2800e8) and cut.deadline == date(2022, 3, 31)
    baseline = Point(550, date(2015, 3, 31))
    double = resolve_target(_target("2017年度までに倍増"), [baseline], baseline, {})
    assert (double.value, double.deadline, double.relative_base) == (1100, date(2018, 3, 31), 550)
    ranks = [Point(4, date(2015, 3, 31)), Point(16, date(2017, 3, 31))]
    at_least = resolve_target(_target("平成26年度値以上"), ranks, ranks[0], {})
    assert (at_least.value, at_least.relative_base_label) == (4, "2014年度")
    fy2016 = resolve_target(_target("平成28年度値以上"), ranks, ranks[0], {})
    assert fy2016.value == 16


def test_explicit_value_wins_over_the_relative_wording():
    both = resolve_target(_target("2017年度までに倍増(約1,000団体)"), [Point(550, date(2015, 3, 31))], None, {})
    assert (both.value, both.approx) == (1000, True)


def test_direction_only_and_unresolvable_targets():
    rise = resolve_target({"text": "向上(2015年度中に標準的な徴収率を設定)", "unset": True}, [], None, {})
    assert rise.improve_only and rise.value is None
    assert resolve_target({"text": "住民サービスの向上を推進", "unset": False}, [], None, {}) is None
    no_base = {"text": "3割圧縮", "relative": {"factor": 0.7, "kind": "cut", "base_fiscal_year": None, "base_value": None}}
    assert resolve_target(no_base, [], None, {}) is None
