"""Tests for Japanese quantities: multipliers, counters, comma grouping and yen formatting.
Property tests check that full-width and comma-grouped digits read the same as plain ones."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mieruka.jp import format_yen, parse, parse_all

_FULL = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5.08e8, "5.08億円"), (77120e6, "771.2億円"), (2.7e8, "2.7億円"), (1.5e12, "1.5兆円"),
        (950000, "95万円"), (1234, "1,234円"), (0, "0円"), (4e11, "4,000億円"), (1.097e9, "10.97億円"),
        (1e8, "1億円"), (9.999999e11, "1兆円"), (-5e7, "▲5,000万円"), (12.4, "12円"), (1e4, "1万円"),
    ],
)
def test_format_yen(value, text):
    assert format_yen(value) == text


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf")])
def test_format_yen_rejects(bad):
    with pytest.raises(ValueError):
        format_yen(bad)


@pytest.mark.parametrize(
    ("text", "value", "unit", "written"),
    [
        ("1,506,096千件", 1506096000, "件", "千件"),
        ("412,533千件 【27年度】", 412533000, "件", "千件"),
        ("0.5億円", 5e7, "円", "億円"),
        ("4000億円", 4e11, "円", "億円"),
        ("37,790百万円", 37790e6, "円", "百万円"),
        ("6,821千円", 6821000, "円", "千円"),
        ("95万円", 950000, "円", "万円"),
        ("1.5兆円", 1.5e12, "円", "兆円"),
        ("約7,693万人", 76930000, "人", "万人"),
        ("9万5千件以上", 95000, "件", "件"),
        ("1万2345人", 12345, "人", "人"),
        ("一万件程度", 10000, "件", "万件"),
        ("3割", 30, "%", "割"),
        ("99.2％", 99.2, "%", "%"),
        ("1,002名", 1002, "人", "名"),
        ("約3万箇所", 30000, "箇所", "万箇所"),
        ("4か所", 4, "箇所", "か所"),
        ("2,000社", 2000, "社", "社"),
        ("894システム", 894, "システム", "システム"),
        ("40.1時間", 40.1, "時間", "時間"),
        ("20都道府県", 20, "都道府県", "都道府県"),
        ("1117", 1117, None, None),
        ("人口20万以上", 200000, None, "万"),
        ("34回", 34, "回", "回"),
        ("4セット", 4, "セット", "セット"),
    ],
)
def test_quantities(text, value, unit, written):
    p = parse(text)
    assert p.value == pytest.approx(value)
    assert p.unit == unit
    assert p.unit_as_written == written


@pytest.mark.parametrize("text", ["第3章", "※4 測定指標", "4K・8K", "5G"])
def test_labels_are_not_quantities(text):
    assert all(p.value is None for p in _safe_all(text))


def _safe_all(text):
    try:
        return parse_all(text)
    except ValueError:
        return []


@given(st.integers(min_value=0, max_value=10**12))
def test_comma_grouped_numbers(n):
    assert parse(f"{n:,}件").value == n
    assert parse(f"{n:,}").value == n
    assert parse(f"{n}").value == n


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=99))
def test_full_width_digits_read_the_same(whole, frac):
    half = f"{whole:,}.{frac:02d}"
    assert parse(half.translate(_FULL) + "件").value == parse(half + "件").value
    assert parse(half + "％").value == pytest.approx(float(half.replace(",", "")))


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["千", "万", "百万", "億", "兆"]))
def test_multipliers(n, mult):
    scale = {"千": 1e3, "万": 1e4, "百万": 1e6, "億": 1e8, "兆": 1e12}[mult]
    p = parse(f"{n:,}{mult}円")
    assert p.value == pytest.approx(n * scale)
    assert p.unit == "円" and p.unit_as_written == f"{mult}円"


@given(st.floats(min_value=1, max_value=1e15, allow_nan=False, allow_infinity=False))
def test_format_yen_reads_back_close(v):
    back = parse(format_yen(v)).value
    # Two decimals of the largest unit: within 0.5 % for amounts shown in 万/億/兆.
    assert math.isclose(back, v, rel_tol=5e-3, abs_tol=0.5)
