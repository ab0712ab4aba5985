"""Tests for mieruka.jp text clean-up: NFKC folding, PDF line joins and 【再掲】-style markers.
Names written differently in different documents must come out identical."""
from __future__ import annotations

import pytest

from mieruka.jp import normalise_text, strip_markers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("２０１７年４月１日", "2017年4月1日"),
        ("ＫＰＩ　目標値", "KPI 目標値"),  # Latin words keep their space
        ("目標値　（達成時期）", "目標値(達成時期)"),
        ("９９．２％", "99.2%"),
        ("（見込み）：", "(見込み):"),
        ("▲24%", "▲24%"),
        ("△3", "△3"),
        ("2016～2018年度", "2016〜2018年度"),
        ("－", "-"),
        ("設 定", "設定"),
        ("公共サービスイノベーション・プラットフォーム in 東北", "公共サービスイノベーション・プラットフォーム in 東北"),
        ("  a \n\t b  ", "a b"),
        ("平成 28 年 10 月 21 日", "平成28年10月21日"),
        ("2017年度まで\nに約1000団体", "2017年度までに約1000団体"),
        ("①窓口", "①窓口"),
        ("", ""),
    ],
)
def test_normalise_text(raw, expected):
    assert normalise_text(raw) == expected


def test_normalise_text_none_is_empty():
    assert normalise_text(None) == ""


def test_normalise_text_keeps_dakuten_composition():
    assert normalise_text("か\u3099") == "が"


@pytest.mark.parametrize(
    ("raw", "clean", "markers"),
    [
        ("①窓口業務のアウトソーシング【再掲】", "窓口業務のアウトソーシング", ["再掲"]),
        ("- 1 窓口業務のアウトソーシング", "窓口業務のアウトソーシング", []),
        ("- 2 総合窓口の導入", "総合窓口の導入", []),
        ("②総合窓口の導入【再掲】", "総合窓口の導入", ["再掲"]),
        ("④クラウド導入市区町村数【再掲】", "クラウド導入市区町村数", ["再掲"]),
        ("⑤地方公共団体の情報システム運用\nコスト【再掲】", "地方公共団体の情報システム運用コスト", ["再掲"]),
        ("社会人口増減など(事後的に検証する指標)[再掲]", "社会人口増減など(事後的に検証する指標)", ["再掲"]),
        ("歳出効率化の成果 (再掲)", "歳出効率化の成果", ["再掲"]),
        ("（再掲）歳出効率化の成果", "歳出効率化の成果", ["再掲"]),
        ("電子政府の総合窓口(e-Gov)へのアクセス件数 <アウトプット指標>",
         "電子政府の総合窓口(e-Gov)へのアクセス件数", ["アウトプット指標"]),
        ("クラウド導入市区町村数 ＜アウトカム指標＞【再掲】", "クラウド導入市区町村数", ["アウトカム指標", "再掲"]),
        ("(1)窓口業務のアウトソーシング", "窓口業務のアウトソーシング", []),
        ("・各種証明書のコンビニ交付の利用件数", "各種証明書のコンビニ交付の利用件数", []),
        ("庶務業務の集約化", "庶務業務の集約化", []),
        ("4K・8Kの視聴世帯の増加", "4K・8Kの視聴世帯の増加", []),
    ],
)
def test_strip_markers(raw, clean, markers):
    assert strip_markers(raw) == (clean, markers)


def test_strip_markers_same_name_from_two_documents():
    a, _ = strip_markers("①窓口業務のアウトソーシング【再掲】")
    b, _ = strip_markers("- 1 窓口業務のアウトソーシング")
    c, _ = strip_markers("第一階層 - 1 窓口業務のアウトソーシング".split(" ", 1)[1])
    assert a == b == c == "窓口業務のアウトソーシング"


def test_strip_markers_full_width_and_entities():
    assert strip_markers("ＩＴ化・ＢＰＲに取り組んだ自治体数　【再掲】") == ("IT化・BPRに取り組んだ自治体数", ["再掲"])
    assert strip_markers("&lt;オンライン&gt;手続") == ("<オンライン>手続", [])


def test_strip_markers_empty():
    assert strip_markers("") == ("", [])
