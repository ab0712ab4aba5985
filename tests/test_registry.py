"""Tests for the local-body registry (codes, counts, kinds) and for resolving names as documents write them.
The seed test checks every municipality the platform presentation (seed 004) names."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mieruka.bodies.names import AmbiguousName, UnknownName, resolve, resolve_many, split_names
from mieruka.bodies.registry import (
    LocalBodyInfo,
    all_bodies,
    by_code,
    check_digit,
    municipalities,
    prefectures,
)

DESIGNATED_CITIES = {
    "札幌市", "仙台市", "さいたま市", "千葉市", "横浜市", "川崎市", "相模原市", "新潟市", "静岡市", "浜松市",
    "名古屋市", "京都市", "大阪市", "堺市", "神戸市", "岡山市", "広島市", "北九州市", "福岡市", "熊本市",
}


# --- registry ---------------------------------------------------------------------------------

def test_counts_match_the_denominator_the_documents_use():
    assert len(prefectures()) == 47
    assert len(municipalities()) == 1741
    assert len(all_bodies()) == 1788


def test_counts_by_kind():
    assert Counter(body.kind for body in all_bodies()) == {
        "都道府県": 47, "市": 792, "町": 743, "村": 183, "特別区": 23,
    }


def test_special_wards_are_the_23_wards_of_tokyo():
    wards = [body for body in municipalities() if body.kind == "特別区"]
    assert {body.prefecture for body in wards} == {"東京都"}
    assert (wards[0].name, wards[0].code) == ("千代田区", "131016")
    assert (wards[-1].name, wards[-1].code) == ("江戸川区", "131237")


def test_designated_cities_are_the_twenty_and_their_wards_are_not_listed():
    designated = [body for body in all_bodies() if body.designated_city]
    assert {body.name for body in designated} == DESIGNATED_CITIES
    assert {body.kind for body in designated} == {"市"}
    assert not [body for body in municipalities() if body.name.endswith("区") and body.prefecture != "東京都"]


def test_municipalities_per_prefecture():
    per_prefecture = Counter(body.prefecture for body in municipalities())
    assert per_prefecture["北海道"] == 179
    assert per_prefecture["東京都"] == 62
    assert per_prefecture["鳥取県"] == 19
    assert per_prefecture["富山県"] == 15


@pytest.mark.parametrize("code5, digit", [
    ("01100", 2),  # 札幌市
    ("13101", 6),  # 千代田区
    ("14215", 8),  # 海老名市
    ("13000", 1),  # 東京都
    ("47000", 7),  # 沖縄県
    ("08542", 1),  # 五霞町
    ("11100", 7),  # さいたま市
])
def test_check_digit(code5, digit):
    assert check_digit(code5) == digit


@pytest.mark.parametrize("bad", ["1421", "142158", "14a15", "１４２１５", ""])
def test_check_digit_wants_five_ascii_digits(bad):
    with pytest.raises(ValueError, match="5 digits"):
        check_digit(bad)


def test_every_code_carries_its_check_digit_and_its_prefecture():
    for body in all_bodies():
        assert int(body.code[5]) == check_digit(body.code[:5]), body
        assert body.prefecture_code == body.code[:2], body
        assert (body.code[2:5] == "000") == (body.kind == "都道府県"), body
    assert len({body.code for body in all_bodies()}) == 1788


@pytest.mark.parametrize("code, prefecture, name, kind, kana, designated", [
    ("010006", "北海道", "北海道", "都道府県", "ホッカイドウ", False),
    ("130001", "東京都", "東京都", "都道府県", "トウキョウト", False),
    ("310000", "鳥取県", "鳥取県", "都道府県", "トットリケン", False),
    ("011002", "北海道", "札幌市", "市", "サッポロシ", True),
    ("131016", "東京都", "千代田区", "特別区", "チヨダク", False),
    ("142158", "神奈川県", "海老名市", "市", "エビナシ", False),
    ("141305", "神奈川県", "川崎市", "市", "カワサキシ", True),
    ("232025", "愛知県", "岡崎市", "市", "オカザキシ", False),
    ("232017", "愛知県", "豊橋市", "市", "トヨハシシ", False),
    ("313726", "鳥取県", "北栄町", "町", "ホクエイチョウ", False),
    ("085421", "茨城県", "五霞町", "町", "ゴカマチ", False),
    ("111007", "埼玉県", "さいたま市", "市", "サイタマシ", True),
    ("134023", "東京都", "青ヶ島村", "村", "アオガシマムラ", False),
    ("402311", "福岡県", "那珂川市", "市", "ナカガワシ", False),
    ("473821", "沖縄県", "与那国町", "町", "ヨナグニチョウ", False),
])
def test_known_bodies(code, prefecture, name, kind, kana, designated):
    assert by_code(code) == LocalBodyInfo(
        code=code, prefecture_code=code[:2], prefecture=prefecture, name=name, kana=kana, kind=kind,
        designated_city=designated,
    )


def test_by_code_accepts_codes_with_and_without_check_digit():
    assert by_code("14215").name == "海老名市"
    assert by_code("142158").name == "海老名市"
    assert by_code("１４２１５８").name == "海老名市"
    assert by_code("13000").name == "東京都"


def test_by_code_gives_none_for_codes_that_name_nothing():
    assert by_code("142159") is None  # wrong check digit
    assert by_code("99999") is None
    assert by_code("011011") is None  # 札幌市中央区: a ward, not a local body


@pytest.mark.parametrize("bad", ["14", "1421580", "海老名市"])
def test_by_code_rejects_text_that_is_not_a_code(bad):
    with pytest.raises(ValueError, match="5 or 6 digits"):
        by_code(bad)


def test_all_bodies_is_in_code_order_and_a_fresh_list():
    bodies = all_bodies()
    assert [b.code for b in bodies[:2]] == ["010006", "011002"]
    assert bodies[-1].code == "473821"
    bodies.clear()
    assert len(all_bodies()) == 1788


def test_full_name():
    assert by_code("142158").full_name == "神奈川県海老名市"
    assert by_code("130001").full_name == "東京都"


# --- resolving names ----------------------------------------------------------------------------

@pytest.mark.parametrize("written, code", [
    ("神奈川県海老名市", "142158"),
    ("海老名市", "142158"),
    ("神奈川県 海老名市", "142158"),
    ("神奈川県　海老名市", "142158"),
    (" 海老名市　", "142158"),
    ("五霞町", "085421"),
    ("茨城県五霞町", "085421"),
    ("茨城県猿島郡五霞町", "085421"),
    ("さいたま市", "111007"),
    ("鳥取県", "310000"),
    ("北海道", "010006"),
    ("京都府", "260002"),
    ("京都市", "261009"),
    ("京都府京都市", "261009"),
    ("大阪府大阪市", "271004"),
    ("大阪狭山市", "272311"),
    ("北海道北斗市", "012360"),
    ("東京都千代田区", "131016"),
    ("郡山市", "072036"),
    ("奈良県大和郡山市", "292036"),
    ("龍ヶ崎市", "082082"),  # officially 龍ケ崎市
    ("茅ケ崎市", "142077"),  # officially 茅ヶ崎市
    ("富谷町", "042161"),  # 宮城県富谷市 since 2016
    ("福岡県那珂川町", "402311"),  # 那珂川市 since 2018
    ("栃木県那珂川町", "094111"),
    ("府中町", "343021"),
])
def test_resolve(written, code):
    assert resolve(written).code == code


@pytest.mark.parametrize("prefecture, code", [
    ("東京都", "132063"), ("東京", "132063"), ("13", "132063"), ("広島県", "342084"), ("広島", "342084"),
])
def test_resolve_with_a_prefecture_settles_a_shared_name(prefecture, code):
    assert resolve("府中市", prefecture=prefecture).code == code


def test_ambiguous_name_asks_for_the_prefecture():
    with pytest.raises(AmbiguousName) as caught:
        resolve("府中市")
    assert str(caught.value) == "府中市 is ambiguous: 東京都府中市 (132063), 広島県府中市 (342084); give the prefecture"
    assert caught.value.name == "府中市"
    assert [body.code for body in caught.value.candidates] == ["132063", "342084"]
    assert isinstance(caught.value, LookupError)


@pytest.mark.parametrize("name, codes", [
    ("伊達市", ["012335", "072133"]),
    ("池田町", ["016446", "183822", "204811", "214043"]),  # 北海道, 福井県, 長野県, 岐阜県
    ("那珂川町", ["094111", "402311"]),  # a town today and a former town name
])
def test_other_ambiguous_names(name, codes):
    with pytest.raises(AmbiguousName) as caught:
        resolve(name)
    assert [body.code for body in caught.value.candidates] == codes


def test_unknown_name_suggests_close_names():
    with pytest.raises(UnknownName) as caught:
        resolve("海老名")
    assert str(caught.value) == (
        "海老名 is neither a prefecture nor one of the 1,741 municipalities; did you mean 海老名市?"
    )
    assert isinstance(caught.value, LookupError)


def test_unknown_name_that_is_no_body():
    with pytest.raises(UnknownName, match="^埼玉県町村会 is neither a prefecture nor one of the 1,741"):
        resolve("埼玉県町村会")


def test_ward_of_a_designated_city_points_to_its_city():
    with pytest.raises(UnknownName) as caught:
        resolve("札幌市中央区")
    assert str(caught.value) == "札幌市中央区: 中央区 is a ward (行政区) of 北海道札幌市 (011002), not a municipality; use 札幌市"


def test_name_outside_the_given_prefecture():
    with pytest.raises(UnknownName) as caught:
        resolve("海老名市", prefecture="東京都")
    assert str(caught.value) == "海老名市: there is no 海老名市 in 東京都 (only 神奈川県海老名市 (142158))"


def test_written_prefecture_must_agree_with_the_given_one():
    with pytest.raises(UnknownName, match="^東京都府中市 names 東京都, not 広島県$"):
        resolve("東京都府中市", prefecture="広島県")


@pytest.mark.parametrize("name, prefecture, message", [
    ("府中市", "ムー県", "^unknown prefecture: ムー県$"),
    ("　", None, "^an empty name names no local body$"),
])
def test_other_unknown_names(name, prefecture, message):
    with pytest.raises(UnknownName, match=message):
        resolve(name, prefecture=prefecture)


@pytest.mark.parametrize("text, names", [
    ("岡崎市・豊橋市", ["岡崎市", "豊橋市"]),
    ("愛知県岡崎市・豊橋市", ["愛知県岡崎市", "愛知県豊橋市"]),
    ("【愛知県岡崎市・豊橋市】", ["愛知県岡崎市", "愛知県豊橋市"]),
    ("常陸大宮市、那珂市、かすみがうら市、五霞町", ["常陸大宮市", "那珂市", "かすみがうら市", "五霞町"]),
    ("（鳥取県北栄町・鳥取市）", ["鳥取県北栄町", "鳥取県鳥取市"]),
    ("鳥取県北栄町・鳥取市・埼玉県ふじみ野市・日高市",
     ["鳥取県北栄町", "鳥取県鳥取市", "埼玉県ふじみ野市", "埼玉県日高市"]),
    ("鳥取県倉吉市（平成 28 年 10 月 21 日）及び埼玉県さいたま市", ["鳥取県倉吉市", "埼玉県さいたま市"]),
    ("神奈川県 海老名市", ["神奈川県海老名市"]),
    ("愛知県・岐阜県", ["愛知県", "岐阜県"]),
    ("東京都杉並区, 中野区", ["東京都杉並区", "東京都中野区"]),
    ("", []),
])
def test_split_names(text, names):
    assert split_names(text) == names


def test_resolve_many():
    assert [b.code for b in resolve_many("常陸大宮市、那珂市、かすみがうら市、五霞町")] == [
        "082252", "082261", "082309", "085421",
    ]
    assert [b.code for b in resolve_many("埼玉県ふじみ野市・日高市")] == ["112453", "112429"]
    assert [b.code for b in resolve_many("府中市・府中町", prefecture="広島県")] == ["342084", "343021"]


def test_resolve_many_fails_on_the_first_name_it_cannot_resolve():
    with pytest.raises(UnknownName, match="^埼玉県町村会 "):
        resolve_many("茨城県五霞町・埼玉県町村会")


SEED_004_BODIES = {
    "神奈川県海老名市": "142158",
    "愛知県岡崎市・豊橋市": "232025 232017",
    "鳥取県北栄町・鳥取市": "313726 312011",
    "埼玉県ふじみ野市・日高市": "112453 112429",
    "茨城県五霞町": "085421",
    "常陸大宮市、那珂市、かすみがうら市、五霞町": "082252 082261 082309 085421",
    "鳥取県倉吉市": "312037",
    "埼玉県さいたま市": "111007",
}


def test_every_body_seed_004_names_resolves(seeds):
    text = next(seeds.glob("004_*")).read_text(encoding="utf-8")
    for written, codes in SEED_004_BODIES.items():
        assert written in text, written
        assert [body.code for body in resolve_many(written)] == codes.split(), written


# --- properties ---------------------------------------------------------------------------------

@given(st.sampled_from(municipalities()), st.sampled_from(["", " ", "　"]))
def test_every_municipality_resolves_from_prefecture_and_name(body, space):
    assert resolve(body.prefecture + space + body.name) == body
    assert resolve(body.name, prefecture=body.prefecture) == body


@given(st.sampled_from(municipalities()))
def test_a_bare_name_resolves_or_lists_its_body_among_the_candidates(body):
    try:
        assert resolve(body.name) == body
    except AmbiguousName as ambiguous:
        assert body in ambiguous.candidates
        assert len(ambiguous.candidates) > 1


@given(st.sampled_from(prefectures()))
def test_every_prefecture_resolves_from_its_name(body):
    assert resolve(body.name) == body


@given(st.lists(st.sampled_from(municipalities()), min_size=1, max_size=5))
def test_split_names_carries_the_first_prefecture_over(bodies):
    prefecture = bodies[0].prefecture
    text = prefecture + "・".join(body.name for body in bodies)
    assert split_names(text) == [prefecture + body.name for body in bodies]
