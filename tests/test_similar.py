"""類似団体: population bands and industry classes at their edges, the group of each kind of body,
ranking by cost per resident, and the comparison from imported attributes and a survey (`mieruka similar`)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import municipalities as _commands  # noqa: F401  (registers the commands)
from mieruka.municipalities.importing import import_attributes, import_survey
from mieruka.municipalities.similar import (
    CITY_BANDS,
    TOWN_BANDS,
    Group,
    by_group,
    classify,
    compare,
    group_of,
    industry_class,
    industry_label,
    population_band,
    ranks,
)
from mieruka.storage import local_bodies as store

SURVEYS = Path(__file__).parent / "fixtures" / "surveys"


@pytest.mark.parametrize("population,band", [(1, "Ⅰ"), (49_999, "Ⅰ"), (50_000, "Ⅱ"), (99_999, "Ⅱ"),
                                             (100_000, "Ⅲ"), (149_999, "Ⅲ"), (150_000, "Ⅳ"), (3_700_000, "Ⅳ")])
def test_city_bands(population, band):
    assert population_band(population, CITY_BANDS) == band


@pytest.mark.parametrize("population,band", [(4_999, "Ⅰ"), (5_000, "Ⅱ"), (10_000, "Ⅲ"), (15_000, "Ⅳ"),
                                             (19_999, "Ⅳ"), (20_000, "Ⅴ")])
def test_town_bands(population, band):
    assert population_band(population, TOWN_BANDS) == band


@pytest.mark.parametrize("kind,shares,expected", [
    ("市", (95.0, 65.0), "3"), ("市", (95.0, 64.9), "2"), ("市", (94.9, 55.0), "1"), ("市", (94.9, 54.9), "0"),
    ("町", (80.0, 55.0), "2"), ("村", (80.0, 54.9), "1"), ("町", (79.9, 70.0), "0"),
])
def test_industry_classes_at_their_thresholds(kind, shares, expected):
    assert industry_class(kind, *shares) == expected


def test_groups_of_each_kind():
    assert classify("市", designated_city=True, population=3_700_000) == Group("政令指定都市")
    assert classify("特別区", population=60_000) == Group("特別区")
    assert classify("市", population=386_000, city_class="中核市") == Group("中核市")
    assert classify("町", population=8_700, city_class="中核市") == Group("町村", "Ⅱ")
    assert classify("市", population=None) is None
    ebina = classify("市", population=131_000, industry="3")
    assert (ebina.key, ebina.label) == ("都市 Ⅲ-3", "都市 Ⅲ-3(100,000〜150,000人)")
    assert classify("村", population=3_000).label == "町村 Ⅰ(5,000人未満、産業構造不明)"
    assert classify("市", population=200_000, industry="0").label == "都市 Ⅳ-0(150,000人以上)"


def test_competition_ranking_lowest_first():
    assert ranks({"a": 30.0, "b": 10.0, "c": 10.0, "d": None, "e": 40.0}) == {"a": 3, "b": 1, "c": 1, "d": None, "e": 4}


def _fact(code, population, adopted=None, before=None, after=None, kind="市", industry="3"):
    return {"code": code, "name": f"市{code}", "prefecture": "神奈川県", "kind": kind, "designated_city": False,
            "population": population, "industry": industry, "city_class": None, "adopted": adopted,
            "cost_before": before, "cost_after": after}


def test_compare_ranks_cost_per_resident_within_the_group_only():
    facts = [
        _fact("1", 100_000, True, 300_000_000, 200_000_000),  # adopted: its cost now is 2,000 円 a resident
        _fact("2", 120_000, False, 180_000_000),  # 1,500
        _fact("3", 140_000, True, None, 420_000_000),  # 3,000
        _fact("4", 110_000),  # no answer, no cost
        _fact("5", 60_000, True, 1, 1),  # band Ⅱ: another group
        _fact("6", 130_000, True, 1, 1, industry="2"),  # other industry class: another group
    ]
    result = compare(facts, "1")
    assert result["group"]["key"] == "都市 Ⅲ-3"
    assert [(x["code"], x["rank"], x["cost_per_resident"]) for x in result["members"]] == [
        ("2", 1, 1500.0), ("1", 2, 2000.0), ("3", 3, 3000.0), ("4", None, None)]
    assert result["body"]["rank"] == 2
    assert (result["size"], result["answered"], result["adopted"], result["ranked"]) == (4, 3, 2, 3)
    assert result["adoption_rate"] == 50.0
    assert result["median_cost_per_resident"] == 2000.0
    assert compare(facts, "999") is None


def test_a_body_without_population_has_no_group():
    result = compare([_fact("1", None)], "1")
    assert result["group"] is None and result["members"] == []


def test_similar_bodies_from_attributes_and_survey(db_url):
    storage.upgrade(db_url)
    with storage.session_scope(db_url) as s:
        import_attributes(s, (SURVEYS / "attributes.csv").read_bytes(), "attributes.csv")
        import_survey(s, (SURVEYS / "madoguchi_utf8.csv").read_bytes(), "m.csv", "窓口委託", date(2017, 4, 1))
    with storage.session_scope(db_url) as s:
        facts = store.body_facts(s, "窓口委託")
        assert len(facts) == 1741
        ebina = compare(facts, "142158")
        okazaki = compare(facts, "232025")
        goka = compare(facts, "085421")
    # 座間市 (129,000 people, 98.9 % / 72.5 %) is the only other body in 海老名市's group; its cost before
    # (1.2億円, not adopted) is 930 円 a resident, below 海老名市's 1.583億円 / 131,000 = 1,209 円.
    assert ebina["group"]["key"] == "都市 Ⅲ-3"
    assert [(x["name"], x["rank"], round(x["cost_per_resident"])) for x in ebina["members"]] == [
        ("座間市", 1, 930), ("海老名市", 2, 1209)]
    assert (ebina["adopted"], ebina["answered"], ebina["adoption_rate"]) == (1, 2, 50.0)
    assert okazaki["group"]["key"] == "中核市" and okazaki["size"] == 1
    assert goka["group"]["label"] == "町村 Ⅱ-1(5,000〜10,000人)"
    # the groups classified once for all bodies (what a body's page is given) compare every body as before
    groups = by_group(facts)
    assert sum(len(g) for g in groups.values()) == 1741 and groups[group_of(facts[0])][0] is facts[0]
    assert all(compare(facts, f["code"], groups) == compare(facts, f["code"]) for f in facts)


def test_cli_similar(tmp_path):
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    assert runner.invoke(app, ["survey", "attributes", str(SURVEYS / "attributes.csv"), "--db", db]).exit_code == 0
    assert runner.invoke(app, ["survey", "import", str(SURVEYS / "madoguchi_utf8.csv"), "--initiative", "窓口委託",
                               "--as-of", "2017-04-01", "--db", db]).exit_code == 0
    result = runner.invoke(app, ["similar", "神奈川県海老名市", "--initiative", "窓口委託", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["group"]["key"], data["body"]["rank"], data["ranked"]) == ("都市 Ⅲ-3", 2, 2)
    unknown = runner.invoke(app, ["similar", "夕張市", "--db", db])
    assert unknown.exit_code == 1
    assert "夕張市: no population imported, so its group is unknown" in unknown.stderr
    storage.dispose_engines()


def test_industry_labels_say_what_each_class_means():
    assert industry_label("市", "3") == "3(Ⅱ次・Ⅲ次95%以上、Ⅲ次65%以上)"
    assert industry_label("市", "0") == "0(Ⅱ次・Ⅲ次95%未満、Ⅲ次55%未満)"
    assert industry_label("村", "1") == "1(Ⅱ次・Ⅲ次80%以上、Ⅲ次55%未満)"
