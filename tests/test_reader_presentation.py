"""Tests for the platform presentation reader, on seed 004 and on small slide texts written in its layout.
Covers the front matter, advanced cases with their municipalities and effects, the quoted KPIs and the lecturers."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mieruka.ingest.readers import policy_evaluation, presentation

FIXTURES = Path(__file__).parent / "fixtures" / "presentation"


def _read_fixture(name: str):
    return presentation.read((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def seed(seeds):
    return presentation.read(next(seeds.glob("004_*")).read_text(encoding="utf-8"))


def _case(ex, title):
    return next(c for c in ex.cases if c.title == title)


def _effects(case):
    return [(e.label, e.amount_yen, e.change_percent, e.period_years) for e in case.effects]


# ── seed 004 ─────────────────────────────────────────────────────────────────────────────────


def test_seed_front_matter(seed):
    assert seed.family == "platform-presentation"
    assert seed.title == "公共サービスイノベーション・プラットフォーム in 東北"
    assert seed.doc_date == date(2017, 7, 7)
    assert seed.meta["issuer"] == "内閣府"
    assert seed.meta["subtitle"] == "地方自治体における公共サービスのイノベーションについて"
    assert seed.meta["urls"] == ["http://www.soumu.go.jp/iken/112810.html"]
    assert seed.unplaced == []


def test_seed_cases_municipalities_and_themes(seed):
    assert [(c.title, c.municipalities, c.theme) for c in seed.cases] == [
        ("神奈川県海老名市", ["神奈川県海老名市"], "窓口業務のアウトソーシング"),
        ("愛知県岡崎市・豊橋市", ["愛知県岡崎市", "愛知県豊橋市"], "情報システムの共同化(自治体クラウド)"),
        ("鳥取県北栄町", ["鳥取県北栄町"], "窓口業務の民間委託"),
        ("いばらき自治体クラウド基幹業務運営協議会",
         ["茨城県常陸大宮市", "茨城県那珂市", "茨城県かすみがうら市", "茨城県五霞町"], "自治体クラウド"),
        ("群馬県東部水道企業団", ["群馬県東部水道企業団"], "広域化・共同化"),
        ("鳥取県鳥取市", ["鳥取県鳥取市"], "窓口業務の民間委託"),
        ("埼玉県ふじみ野市", ["埼玉県ふじみ野市"], "窓口業務の民間委託"),
        ("埼玉県日高市", ["埼玉県日高市"], "窓口業務の民間委託"),
        ("埼玉県町村会", ["埼玉県町村会"], "自治体クラウド"),
    ]
    assert [(c.source.line, c.source.line_end) for c in seed.cases[:5]] == [
        (67, 77), (81, 89), (115, 119), (121, 125), (128, 133)]


def test_seed_ebina_effects_per_year(seed):
    case = _case(seed, "神奈川県海老名市")
    assert _effects(case) == [
        ("市民総合窓口", 50_000_000, -24.0, 1.0),
        ("福祉総合窓口", pytest.approx(19_000_000), -20.0, 1.0),
        (None, None, None, None),
    ]
    assert case.effects[2].text == "市民の満足度が向上。"
    assert case.summary.split("\n")[1] == "委託仕様書とマニュアルを作成"


def test_seed_okazaki_toyohashi_effects_over_five_years(seed):
    case = _case(seed, "愛知県岡崎市・豊橋市")
    assert _effects(case) == [
        ("国民健康保険・国民年金システム", pytest.approx(508_000_000), -46.0, 5.0),
        ("税総合システム", pytest.approx(1_097_000_000), -45.0, 5.0),
    ]


def test_seed_arrow_effects(seed):
    hokuei = _case(seed, "鳥取県北栄町")
    assert [e.text for e in hokuei.effects] == ["コスト削減", "住民満足度の向上", "業務の効率化を達成"]
    assert {(e.amount_yen, e.change_percent) for e in hokuei.effects} == {(None, None)}

    ibaraki = _case(seed, "いばらき自治体クラウド基幹業務運営協議会")
    assert _effects(ibaraki)[0] == (None, None, -30.0, None)
    assert ibaraki.effects[1].text.endswith("に利用(五霞町)")

    water = _case(seed, "群馬県東部水道企業団")
    assert [e.text for e in water.effects] == [
        "施設の統廃合により、過度な投資抑制", "費用削減(10年間で総額139億円)", "災害に対するリスクマネジメント強化"]
    assert _effects(water)[1] == (None, 13_900_000_000, None, 10.0)


def test_seed_lecturers_without_a_case_of_their_own(seed):
    lecturers = seed.cases[5:]
    assert {(c.summary, len(c.effects)) for c in lecturers} == {(None, 0)}
    assert [c.source.line for c in lecturers] == [109, 109, 109, 110]
    assert seed.meta["lectures"][1] == {"theme": "自治体クラウド", "bodies": ["茨城県五霞町", "埼玉県町村会"]}


def test_seed_reform_schedule_kpis(seed):
    outsourcing, cloud = seed.kpis
    assert outsourcing.name == "窓口のアウトソーシング導入市町村数"
    assert (outsourcing.baseline.value, outsourcing.baseline.as_of) == (208, date(2015, 3, 31))
    target = outsourcing.targets[0]
    assert (target.value, target.unit, target.deadline, target.interim) == (416, "団体", date(2021, 3, 31), False)
    assert outsourcing.direction == "up"
    assert (outsourcing.source.line, outsourcing.source.line_end) == (93, 95)

    assert cloud.name == "クラウド導入市区町村数"
    assert (cloud.baseline.value, cloud.baseline.as_of) == (550, date(2015, 3, 31))
    target = cloud.targets[0]
    assert (target.value, target.deadline) == (1000, date(2018, 3, 31))
    assert (target.relative_factor, target.relative_kind, target.relative_base_value) == (2.0, "double", 550)


@pytest.mark.parametrize("prefix,expected", [("000", False), ("001", False), ("002", False), ("003", False),
                                             ("004", True)])
def test_matches_only_the_presentation_seed(seeds, prefix, expected):
    text = next(seeds.glob(f"{prefix}_*")).read_text(encoding="utf-8")
    assert presentation.matches(text) is expected


# ── fixtures written in the same layout ──────────────────────────────────────────────────────


def test_fixture_front_matter_and_cases():
    ex = _read_fixture("platform_slides.txt")
    assert (ex.title, ex.doc_date, ex.meta["issuer"]) == (
        "公共サービスイノベーション・プラットフォーム in 九州", date(2018, 2, 9), "内閣府")
    assert [(c.title, c.municipalities, c.theme) for c in ex.cases] == [
        ("静岡県浜松市・磐田市", ["静岡県浜松市", "静岡県磐田市"], "窓口業務のアウトソーシング"),
        ("長野県塩尻市", ["長野県塩尻市"], "窓口業務のアウトソーシング"),
        ("ちば共同クラウド協議会", ["千葉県館山市", "千葉県鴨川市", "千葉県南房総市"], "自治体クラウド"),
        ("埼玉県町村会", ["埼玉県町村会"], "自治体クラウド"),
    ]


def test_fixture_unreadable_amount_keeps_its_text():
    case = _case(_read_fixture("platform_slides.txt"), "静岡県浜松市・磐田市")
    assert _effects(case) == [
        ("総合窓口", pytest.approx(120_000_000), -30.0, 3.0),
        ("証明書窓口", None, None, None),
        (None, None, None, None),
    ]
    assert [e.text for e in case.effects] == [
        "総合窓口:1.2億円(▲30%)コスト削減(3年間)", "証明書窓口:X億円コスト削減", "待ち時間が短くなった。"]
    assert case.summary == "二つの市で窓口の手順をそろえた\n受付を民間に委託"


def test_fixture_case_without_effects():
    case = _case(_read_fixture("platform_slides.txt"), "長野県塩尻市")
    assert case.effects == []
    assert case.summary == "窓口の案内を一本化"
    assert (case.source.line, case.source.line_end) == (31, 33)


def test_fixture_arrow_effects_and_stray_lines():
    ex = _read_fixture("platform_slides.txt")
    cloud = _case(ex, "ちば共同クラウド協議会")
    assert [(e.text, e.change_percent) for e in cloud.effects] == [
        ("約25%のコスト削減", -25.0), ("保守の手間が減った", None)]
    # An arrow outside any case and a transition with no KPI name above it.
    assert [(s.line, s.text) for s in ex.unplaced] == [
        (14, "⇒ 事例の外にある矢印"), (49, "2014年度:550団体⇒2017年度までに倍増(約1,000団体)")]
    assert [(k.name, k.baseline.value, k.targets[0].value) for k in ex.kpis] == [
        ("窓口のアウトソーシング導入市町村数", 208, 416)]
    assert ex.meta["urls"] == ["http://example.go.jp/platform.html"]


def test_fixture_title_only():
    text = (FIXTURES / "title_only.txt").read_text(encoding="utf-8")
    ex = presentation.read(text)
    assert ex.title == "公共サービスイノベーション・プラットフォーム in 北陸"
    assert (ex.cases, ex.kpis, ex.unplaced, ex.doc_date) == ([], [], [], None)
    assert presentation.matches(text)


def test_fixture_matches_this_family_only():
    text = (FIXTURES / "platform_slides.txt").read_text(encoding="utf-8")
    assert presentation.matches(text)
    assert not policy_evaluation.matches(text)


def test_platform_named_in_running_text_is_not_enough():
    text = "改革工程の進捗\n公共サービスイノベーション・プラットフォーム\n会合を開催\n先進事例を収集\n【再掲】\n"
    assert not presentation.matches(text)


# ── damaged slides: the smallest inputs on which tests/test_reader_fuzz.py made the reader fail ──

TITLE = "公共サービスイノベーション・プラットフォーム in 試験\n"


def test_kpi_line_broken_before_its_unit_is_not_a_transition():
    ex = presentation.read(TITLE + "○ 「改革工程表」のKPI\n窓口の委託件数\n団体⇒2020年度:416団体に\n"
                                   "電子申請の件数\n⇒400件\n")
    assert ex.kpis == []
    assert ex.meta["background"] == ["窓口の委託件数", "団体⇒2020年度:416団体に", "電子申請の件数"]
    assert [(s.line, s.text) for s in ex.unplaced] == [(6, "⇒400件")]


def test_impossible_date_line_keeps_its_place_in_the_front_matter():
    ex = presentation.read(TITLE + "\n平成0年7月7日\n\n内閣府\n")
    assert (ex.title, ex.doc_date) == ("公共サービスイノベーション・プラットフォーム in 試験", None)
    assert ex.meta == {"date": "平成0年7月7日", "issuer": "内閣府"}


def test_effect_with_an_impossible_date_keeps_its_text():
    ex = presentation.read(TITLE + "○ 先進的な取組事例\n【静岡県浜松市】\n効果として、\n"
                                   "- ・ 窓口:平成0年度比で1.2億円(▲30%)削減\n")
    [case] = ex.cases
    assert _effects(case) == [("窓口", None, None, None)]
    assert [e.text for e in case.effects] == ["窓口:平成0年度比で1.2億円(▲30%)削減"]
