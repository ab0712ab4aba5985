"""Tests for mieruka.jp.parse / parse_all / parse_transition on KPI cells as documents write them.
Each case pins exact values: base units, dates, status, relative targets and unset targets."""
from __future__ import annotations

import json
from datetime import date

import pytest

from mieruka.jp import Parsed, ParseError, Relative, parse, parse_all, parse_transition


def test_deadline_with_count():
    p = parse("2020年度までに 416団体")
    assert (p.value, p.unit, p.comparator, p.deadline) == (416, "団体", "eq", date(2021, 3, 31))
    assert p.fiscal_year == 2020 and p.as_of is None and not p.approx and not p.unset


def test_preliminary_actual():
    p = parse("301団体 (2017年4月速報値)")
    assert (p.value, p.unit, p.as_of, p.status) == (301, "団体", date(2017, 4, 1), "preliminary")
    assert p.deadline is None


def test_wareki_dotted_as_of():
    p = parse("950団体 (H29.4.1時点)")
    assert (p.value, p.as_of) == (950, date(2017, 4, 1))


def test_approx():
    p = parse("約1,000団体")
    assert (p.value, p.unit, p.approx, p.comparator) == (1000, "団体", True, "eq")


def test_thousands_of_cases():
    p = parse("1,506,096千件")
    assert (p.value, p.unit, p.unit_as_written) == (1506096000, "件", "千件")


def test_at_least_percent():
    p = parse("99.99%以上")
    assert (p.value, p.unit, p.comparator, p.direction_hint) == (99.99, "%", "ge", "up")


def test_within_hours():
    p = parse("32時間以内")
    assert (p.value, p.unit, p.comparator, p.direction_hint) == (32, "時間", "le", "down")


@pytest.mark.parametrize(
    ("text", "factor", "kind", "direction"),
    [
        ("半減", 0.5, "half", "down"),
        ("3割圧縮", 0.7, "cut", "down"),
        ("３割削減", 0.7, "cut", "down"),
        ("6割減", 0.4, "cut", "down"),
        ("倍増", 2.0, "double", "up"),
        ("2倍", 2.0, "multiple", "up"),
        ("約30%削減", 0.7, "cut", "down"),
        ("2割増", 1.2, "multiple", "up"),
    ],
)
def test_relative_words(text, factor, kind, direction):
    p = parse(text)
    assert p.value is None and p.comparator is None
    assert isinstance(p.relative, Relative)
    assert p.relative.factor == pytest.approx(factor)
    assert p.relative.kind == kind
    assert p.direction_hint == direction


def test_cut_and_half_mark_reduction():
    assert parse("半減").reduction and parse("3割圧縮").reduction
    assert not parse("倍増").reduction


def test_lone_era_fiscal_year_is_deadline():
    p = parse("平成33年度")
    assert (p.fiscal_year, p.deadline, p.as_of, p.value) == (2021, date(2022, 3, 31), None, None)


def test_half_with_base():
    p = parse("2012年度から2018年度までに半減(2012年度:1450)")
    assert p.relative == Relative(0.5, "half", 2012, 1450.0, None, "半減")
    assert p.deadline == date(2019, 3, 31)
    assert p.value is None and p.fiscal_year == 2018


def test_cut_with_base_in_oku_yen():
    p = parse("2013年度から2021年度めどに3割圧縮(2013年度:4000億円)")
    r = p.relative
    assert r.factor == pytest.approx(0.7) and r.kind == "cut"
    assert (r.base_fiscal_year, r.base_value, r.base_unit) == (2013, 4e11, "円")
    assert p.deadline == date(2022, 3, 31)


def test_value_with_multiple_of_base_and_bare_heisei_year():
    p = parse("1,154,547千件 (平成28年度実績値比2倍) 【33年度】")
    assert p.value == 1154547000 and p.unit == "件"
    assert p.deadline == date(2022, 3, 31) and p.fiscal_year == 2021
    assert (p.relative.factor, p.relative.kind, p.relative.base_fiscal_year) == (2.0, "multiple", 2016)


def test_at_least_base_value():
    p = parse("平成26年度値以上")
    assert p.comparator == "ge"
    assert (p.relative.kind, p.relative.factor, p.relative.base_fiscal_year) == ("at_least_base", 1.0, 2014)
    assert p.deadline is None and p.direction_hint == "up"


def test_at_least_base_with_deadline():
    p = parse("平成28年度値以上 【30年度】")
    assert p.relative.base_fiscal_year == 2016 and p.deadline == date(2019, 3, 31)


def test_forecast_full_width():
    p = parse("２０１６年度（見込み）：99.2％【現年分】", role="actual")
    assert (p.value, p.unit, p.status, p.fiscal_year, p.as_of) == (99.2, "%", "forecast", 2016, date(2017, 3, 31))


def test_pdf_line_join_space():
    p = parse("2017年度まで に約1000団体")
    assert (p.value, p.approx, p.deadline) == (1000, True, date(2018, 3, 31))


def test_unset_with_typo_year():
    p = parse("検討中 (2016度中に設 定)")
    assert p.unset and p.promised_by == date(2017, 3, 31)
    assert p.value is None and p.deadline is None


def test_unset_reiwa():
    p = parse("未設定(令和元年度中に検討)")
    assert p.unset and p.promised_by == date(2020, 3, 31)


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("【目標は2016年度中に設定】", date(2017, 3, 31)),
        ("【2015年度に目標圏域数を設定】", date(2016, 3, 31)),
        ("2018年度までに目標期限を設定予定", date(2019, 3, 31)),
        ("港湾関係者数(令和元年度までに設定予定)", date(2020, 3, 31)),
        ("未設定(令和3年度の全市町村整備後に設定予定)", None),
        ("未設定(制度の検討状況を踏まえ設定)", None),
        ("検討中", None),
    ],
)
def test_unset_forms(text, promised):
    p = parse(text)
    assert p.unset
    assert p.promised_by == promised
    assert p.deadline is None


def test_relative_with_unset_deadline():
    p = parse("３割圧縮（目標期限を集中改革期間中に設定）")
    assert p.unset and p.relative.factor == pytest.approx(0.7)
    assert p.promised_by == date(2019, 3, 31)  # 集中改革期間 = FY2016–FY2018
    assert p.deadline is None


def test_period_role():
    assert parse("6団体 (2016年度)", role="target").deadline == date(2017, 3, 31)
    assert parse("6団体 (2016年度)", role="target").as_of is None
    assert parse("6団体 (2016年度)", role="actual").as_of == date(2017, 3, 31)
    assert parse("6団体 (2016年度)", role="actual").deadline is None
    assert parse("6団体 (2016年度)").deadline == date(2017, 3, 31)


def test_explicit_role_words_beat_role():
    assert parse("150件 (2018年度まで)", role="actual").deadline == date(2019, 3, 31)
    assert parse("301団体 (2017年4月速報値)", role="target").as_of == date(2017, 4, 1)


def test_status_word_sends_lone_period_to_as_of():
    p = parse("2016年度見込み")
    assert p.as_of == date(2017, 3, 31) and p.deadline is None and p.status == "forecast"


def test_genzai():
    p = parse("23圏域 (2017年10月1日現在)")
    assert (p.value, p.unit, p.as_of) == (23, "圏域", date(2017, 10, 1))


def test_triangle_change():
    p = parse("0.5億円(▲24%)")
    assert (p.value, p.unit, p.unit_as_written) == (50_000_000, "円", "億円")
    assert p.change_percent == -24.0 and p.reduction


def test_triangle_alone_and_percent_decrease():
    p = parse("▲24%")
    assert p.value == -24 and p.change_percent == -24 and p.reduction
    assert parse("(62%減)").change_percent == -62


def test_rank_with_bracketed_heisei_year():
    p = parse("4位 【26年度】")
    assert (p.value, p.unit, p.direction_hint, p.fiscal_year) == (4, "位", "down", 2014)


def test_rank_comparators_read_as_better_rank():
    assert parse("3位以上").comparator == "le"
    assert parse("10位以内").comparator == "le"


def test_main_value_first_of_several():
    p = parse("2016年度中に 300団体(実施 団体の人口 6000万人)")
    assert (p.value, p.unit, p.deadline) == (300, "団体", date(2017, 3, 31))


def test_note_with_two_dates_does_not_crash():
    p = parse("2017年4月確報値は、2018年3月頃に公表。")
    assert p.value is None and p.status == "final"


@pytest.mark.parametrize("text", ["あいう", "", "   ", "-", "－", "N", None, "向上"])
def test_garbage_raises(text):
    with pytest.raises(ParseError) as err:
        parse(text)
    assert isinstance(err.value, ValueError)
    assert err.value.text == text
    assert repr(text) in str(err.value)
    assert err.value.reason


def test_bad_role():
    with pytest.raises(ValueError):
        parse("416団体", role="goal")


def test_reduction_amount_against_base_year():
    p = parse("2013年度と比べて257億円の削減(2015年度)", role="actual")
    assert (p.value, p.unit, p.as_of, p.fiscal_year) == (257e8, "円", date(2016, 3, 31), 2015)
    assert p.reduction and p.direction_hint == "down"


def test_bare_number_with_year_end():
    p = parse("1117 (2016年度末)", role="actual")
    assert (p.value, p.unit, p.as_of) == (1117, None, date(2017, 3, 31))


def test_double_with_base_pair_and_approx_target():
    p = parse("2014年度：550団体 目標：2017年度までに倍増(約1,000団体)を図る")
    assert (p.value, p.approx, p.deadline) == (1000, True, date(2018, 3, 31))
    assert (p.relative.kind, p.relative.base_fiscal_year, p.relative.base_value, p.relative.base_unit) == (
        "double", 2014, 550, "団体")


def test_cut_with_base_year_after():
    p = parse("令和5年度を目途に3割削減(平成27年度比。ただし、新規業務への対応やセキュリティ対策に要する経費等の影響を除く。)")
    assert p.deadline == date(2024, 3, 31) and p.relative.base_fiscal_year == 2015
    assert p.relative.factor == pytest.approx(0.7)


def test_multiple_with_base_and_calendar_year_deadline():
    p = parse("令和2年に、テレワーク導入企業を平成24年度比で3倍、テレワーカーの割合を平成28年度比で倍増")
    assert (p.relative.factor, p.relative.base_fiscal_year) == (3.0, 2012)
    assert p.deadline == date(2020, 12, 31)


def test_forecast_with_both_dates():
    p = parse("2021年度までに約29%の削減見込み(2016年度末時点)")
    assert p.deadline == date(2022, 3, 31) and p.as_of == date(2017, 3, 31)
    assert p.status == "forecast" and p.relative.factor == pytest.approx(0.71) and p.approx


def test_ge_count_with_deadline():
    p = parse("G空間情報センターの平均月間ページビュー数(令和元年度までに平均月間ページビュー数9万5千件以上)")
    assert (p.value, p.unit, p.comparator, p.deadline) == (95000, "件", "ge", date(2020, 3, 31))


def test_fiscal_year_start():
    p = parse("Lアラートの導入都道府県数(令和元年度当初47都道府県)", role="actual")
    assert (p.value, p.unit, p.as_of) == (47, "都道府県", date(2019, 4, 1))


def test_html_cell():
    p = parse("<p>2020年度までに140圏域</p>")
    assert (p.value, p.unit, p.deadline) == (140, "圏域", date(2021, 3, 31))


def test_numeric_input():
    assert parse(416).value == 416
    assert parse(99.5).value == 99.5


def test_to_dict_is_json_ready():
    d = parse("2012年度から2018年度までに半減(2012年度:1450)").to_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert d["deadline"] == "2019-03-31" and d["as_of"] is None
    assert d["relative"] == {"factor": 0.5, "kind": "half", "base_fiscal_year": 2012, "base_value": 1450.0,
                             "base_unit": None, "text": "半減"}
    assert set(d) == {f for f in Parsed.__dataclass_fields__}
    assert parse("416団体").to_dict()["relative"] is None


# parse_all ---------------------------------------------------------------------------------------

def test_parse_all_shares_date():
    items = parse_all("430団体、約7,693万人 (2017年8月31日時点)")
    assert [(p.value, p.unit, p.approx) for p in items] == [(430, "団体", False), (76_930_000, "人", True)]
    assert all(p.as_of == date(2017, 8, 31) for p in items)


def test_parse_all_each_value_its_own_annotation():
    items = parse_all("430団体、約7,693万人 (2017年8月31日時 点) 508団体、約8,540万人 (2017年度未見込み)")
    assert [p.value for p in items] == [430, 76_930_000, 508, 85_400_000]
    assert [p.as_of for p in items] == [date(2017, 8, 31)] * 2 + [date(2018, 3, 31)] * 2
    assert [p.status for p in items] == [None, None, "forecast", "forecast"]


def test_parse_all_leading_periods():
    items = parse_all("Lアラートの導入都道府県数(令和元年度当初47都道府県) Lアラート高度化システムの導入都道府県数(令和2年度末15都道府県)",
                      role="target")
    assert [(p.value, p.deadline) for p in items] == [(47, date(2019, 4, 1)), (15, date(2021, 3, 31))]


def test_parse_all_without_quantity():
    items = parse_all("半減")
    assert len(items) == 1 and items[0].relative.factor == 0.5
    with pytest.raises(ParseError):
        parse_all("あいう")


def test_parse_all_keeps_base_out():
    items = parse_all("2012年度から2018年度までに半減(2012年度:1450)")
    assert len(items) == 1 and items[0].value is None and items[0].relative.base_value == 1450


# parse_transition --------------------------------------------------------------------------------

def test_transition_bracketed():
    base, target = parse_transition("【208⇒416】")
    assert (base.value, target.value) == (208, 416)


def test_transition_with_years():
    base, target = parse_transition("2014年度:208団体⇒2020年度:416団体に")
    assert (base.value, base.unit, base.as_of, base.fiscal_year) == (208, "団体", date(2015, 3, 31), 2014)
    assert (target.value, target.unit, target.deadline, target.fiscal_year) == (416, "団体", date(2021, 3, 31), 2020)


def test_transition_plain_arrow():
    base, target = parse_transition("208→416")
    assert (base.value, target.value) == (208, 416)


def test_transition_first_of_several():
    base, target = parse_transition("(1)窓口業務のアウトソーシング【208⇒416】 総合窓口の導入【185⇒370】")
    assert (base.value, target.value) == (208, 416)


def test_transition_of_periods():
    base, target = parse_transition("(いずれも2014年10月現在⇒2020年度)")
    assert base.as_of == date(2014, 10, 1) and target.deadline == date(2021, 3, 31)


def test_transition_fills_relative_base():
    base, target = parse_transition("2014年度:550団体⇒2017年度までに倍増(約1,000団体)")
    assert target.relative.base_value == 550 and target.relative.base_fiscal_year == 2014
    assert target.value == 1000 and target.approx


@pytest.mark.parametrize("text", ["416団体", "", None, "2020年度までに"])
def test_transition_none_without_arrow(text):
    assert parse_transition(text) is None


def test_transition_unreadable_side_raises():
    with pytest.raises(ParseError):
        parse_transition("あいう⇒416")


@pytest.mark.parametrize(
    ("text", "value", "approx", "comparator"),
    [
        ("概ね100件", 100, True, "eq"),
        ("おおむね100件", 100, True, "eq"),
        ("100件程度", 100, True, "eq"),
        ("100件〜程度", 100, True, "eq"),
        ("約30%程度", 30, True, "eq"),
        ("1,000団体超", 1000, False, "ge"),
        ("1,000団体を超える", 1000, False, "ge"),
        ("0.2%以下", 0.2, False, "le"),
        ("10件未満", 10, False, "le"),
        ("約1,000人以上", 1000, True, "ge"),
    ],
)
def test_approx_and_comparators(text, value, approx, comparator):
    p = parse(text)
    assert (p.value, p.approx, p.comparator) == (value, approx, comparator)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("215団体 (2017年4月速報)", "preliminary"),
        ("215団体 (2017年4月確報値)", "final"),
        ("215団体 (2017年4月確定値)", "final"),
        ("215団体 (2017年度見込)", "forecast"),
        ("215団体 (2017年度推計)", "forecast"),
        ("215団体 (2017年4月1日時点)", None),
    ],
)
def test_status_words(text, status):
    p = parse(text)
    assert p.status == status and p.as_of is not None
