"""Canonical keys: one KPI under the different wordings documents give it."""
from mieruka.records.canonical import is_after_the_fact, key_for, kpi_key


def test_numbering_markers_and_width_are_ignored():
    same = ["- 1 窓口業務のアウトソーシング", "①窓口業務のアウトソーシング【再掲】", "窓口業務の アウトソーシング",
            "窓口のアウトソーシング導入市町村数"]
    assert {kpi_key(n) for n in same} == {"窓口業務のアウトソーシング"}


def test_circled_numbers_are_dropped_before_width_folding():
    assert kpi_key("④クラウド導入市区町村数【再掲】") == kpi_key("クラウド導入市区町村数") == "クラウド導入市区町村数"


def test_quotes_and_after_the_fact_note():
    assert kpi_key("「連携中枢都市圏」の形成数") == "連携中枢都市圏の形成数"
    assert kpi_key("歳出効率化の成果(事後的に検証する指標)") == "歳出効率化の成果"
    assert is_after_the_fact("歳出効率化の成果（事後的に検証する指標）")
    assert not is_after_the_fact("庶務業務の集約化")


def test_theme_aliases():
    assert key_for("theme", "地方交付税をはじめとした地方の財政に係る制度改革") == \
        key_for("theme", "地方交付税をはじめとした地方の財政に係る制度の改革")


def test_distinct_kpis_stay_distinct():
    assert kpi_key("市町村数") != kpi_key("市区町村数")


def test_an_alias_gives_the_canonical_wording():
    from mieruka.records.canonical import alias_of

    assert alias_of("kpi", "左記の取組促進策等に沿ってIT化・BPRに取り組んだ自治体数") == "IT化・BPRに取り組んだ自治体数"
    assert alias_of("kpi", "庶務業務の集約化") is None


def test_schedule_wording_of_the_group_kpi_is_its_status_row():
    assert kpi_key("・以下の汎用性のある先進的改革に取り組む市町村数") == \
        kpi_key("窓口業務のアウトソーシングなど汎用性のある先進的な改革に取り組む市町村数")
