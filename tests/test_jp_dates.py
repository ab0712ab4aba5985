"""Tests for mieruka.jp eras, fiscal years and date reading.
Includes property tests: era ↔ Western round trips and fiscal-year identities."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mieruka.jp import (
    era_to_western,
    fiscal_year_end,
    fiscal_year_of,
    format_date_ja,
    format_wareki,
    parse_date,
    western_to_era,
)


@pytest.mark.parametrize(
    ("era", "year", "western"),
    [
        ("平成", 29, 2017), ("平成", 1, 1989), ("平成", 33, 2021), ("H", 28, 2016), ("h", 30, 2018),
        ("令和", 1, 2019), ("令和", 5, 2023), ("R", 2, 2020), ("昭和", 64, 1989), ("S", 50, 1975),
        ("大正", 1, 1912), ("T", 15, 1926), ("明治", 1, 1868), ("M", 45, 1912), ("令和", "元", 2019),
        ("Ｈ", 29, 2017),
    ],
)
def test_era_to_western(era, year, western):
    assert era_to_western(era, year) == western


@pytest.mark.parametrize(("era", "year"), [("天保", 3), ("X", 1), ("平成", 0), ("令和", -1)])
def test_era_to_western_rejects(era, year):
    with pytest.raises(ValueError):
        era_to_western(era, year)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2019, 5, 1), ("令和", 1)), (date(2019, 4, 30), ("平成", 31)), (date(1989, 1, 8), ("平成", 1)),
        (date(1989, 1, 7), ("昭和", 64)), (date(1926, 12, 25), ("昭和", 1)), (date(1926, 12, 24), ("大正", 15)),
        (date(1912, 7, 30), ("大正", 1)), (date(1912, 7, 29), ("明治", 45)), (date(2017, 4, 1), ("平成", 29)),
        (datetime(2020, 1, 1, 12, 0), ("令和", 2)),
    ],
)
def test_western_to_era(d, expected):
    assert western_to_era(d) == expected


def test_western_to_era_before_meiji():
    with pytest.raises(ValueError):
        western_to_era(date(1850, 1, 1))


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2019, 5, 1), "令和元年5月1日"), (date(2017, 4, 1), "平成29年4月1日"),
        (date(2020, 12, 31), "令和2年12月31日"), (date(1989, 1, 7), "昭和64年1月7日"),
    ],
)
def test_format_wareki(d, text):
    assert format_wareki(d) == text


def test_format_date_ja():
    assert format_date_ja(date(2017, 4, 1)) == "2017-04-01（平成29年4月1日）"
    assert format_date_ja(date(2019, 5, 1)) == "2019-05-01（令和元年5月1日）"


@pytest.mark.parametrize(
    ("fy", "end"), [(2016, date(2017, 3, 31)), (2020, date(2021, 3, 31)), (1999, date(2000, 3, 31))]
)
def test_fiscal_year_end(fy, end):
    assert fiscal_year_end(fy) == end


@pytest.mark.parametrize(
    ("d", "fy"),
    [(date(2017, 4, 1), 2017), (date(2017, 3, 31), 2016), (date(2017, 1, 1), 2016), (date(2016, 12, 31), 2016)],
)
def test_fiscal_year_of(d, fy):
    assert fiscal_year_of(d) == fy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017年4月1日", date(2017, 4, 1)),
        ("2017年4月", date(2017, 4, 1)),
        ("H29.4.1", date(2017, 4, 1)),
        ("(H30.4.1時点)", date(2018, 4, 1)),
        ("平成29年4月1日", date(2017, 4, 1)),
        ("令和元年7月", date(2019, 7, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("2017/4/1", date(2017, 4, 1)),
        ("2017-04-01", date(2017, 4, 1)),
        ("2016年度末", date(2017, 3, 31)),
        ("2016年度", date(2017, 3, 31)),
        ("２０１７年４月１日", date(2017, 4, 1)),
        ("2018年3月頃", date(2018, 3, 1)),
        ("2017年4月確報値は、2018年3月頃に公表。", date(2017, 4, 1)),
        ("平成 28 年 10 月 21 日", date(2016, 10, 21)),
        ("平成33年度", date(2022, 3, 31)),
        ("【33年度】", date(2022, 3, 31)),
        ("2016度中に設定", date(2017, 3, 31)),
        ("令和元年度当初", date(2019, 4, 1)),
        ("2018年3月末", date(2018, 3, 31)),
        ("(2017年10月1日現在)", date(2017, 10, 1)),
        ("令和2年に", date(2020, 12, 31)),
        ("2014・2015年度", date(2016, 3, 31)),
        ("集中改革期間中に", date(2019, 3, 31)),
        ("(2017年度未見込み)", date(2018, 3, 31)),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", None, "あいう", "416団体", "2017年13月", "2017年2月30日", "99.99%以上", "4K・8K"])
def test_parse_date_none(text):
    assert parse_date(text) is None


def test_parse_date_passes_dates_through():
    assert parse_date(date(2017, 4, 1)) == date(2017, 4, 1)
    assert parse_date(datetime(2017, 4, 1, 9)) == date(2017, 4, 1)


_HEISEI_ON = st.dates(min_value=date(1989, 1, 8), max_value=date(2040, 12, 31))


@given(_HEISEI_ON)
def test_era_round_trip(d):
    era, year = western_to_era(d)
    assert era in ("平成", "令和")
    assert era_to_western(era, year) == d.year


@given(_HEISEI_ON)
def test_wareki_round_trip(d):
    assert parse_date(format_wareki(d)) == d


@given(st.dates(min_value=date(1868, 1, 25), max_value=date(2100, 12, 31)))
def test_all_eras_round_trip(d):
    assert parse_date(format_wareki(d)) == d
    assert parse_date(format_date_ja(d)) == d


@given(st.integers(min_value=1900, max_value=2200))
def test_fiscal_year_identity(fy):
    assert fiscal_year_of(fiscal_year_end(fy)) == fy
    assert fiscal_year_of(date(fy, 4, 1)) == fy
    assert parse_date(f"{fy}年度末") == fiscal_year_end(fy)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_fiscal_year_of_contains(d):
    fy = fiscal_year_of(d)
    assert date(fy, 4, 1) <= d <= fiscal_year_end(fy)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)))
def test_western_forms_agree(d):
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    forms = [f"{d.year}年{d.month}月{d.day}日", f"{d.year}/{d.month}/{d.day}", d.isoformat(),
             f"{d.year}年{d.month}月{d.day}日".translate(full_width)]
    assert {parse_date(f) for f in forms} == {d}


def test_every_day_from_heisei_to_2040_round_trips():
    d, step = date(1989, 1, 8), timedelta(days=1)
    while d <= date(2040, 12, 31):
        era, year = western_to_era(d)
        assert era_to_western(era, year) == d.year
        assert parse_date(format_wareki(d)) == d, d
        d += step


@pytest.mark.parametrize("text", ["慶応3年度", "文久2年度までに", "元治元年度末"])
def test_a_year_of_an_era_mieruka_does_not_know_is_not_read_as_heisei(text):
    # 「慶応3年度」 read as 平成3年度 (1992-03-31) before: an unknown era names the year, so no date is given
    assert parse_date(text) is None


def test_a_bare_year_after_a_known_era_still_follows_it():
    assert parse_date("【33年度】") == date(2022, 3, 31)
    from mieruka.jp.dates import find_periods

    assert [p.point() for p in find_periods("平成30年度～33年度")] == [date(2019, 3, 31), date(2022, 3, 31)]
