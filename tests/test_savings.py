"""The savings calculator: cut in 円 and %, per year and per resident; costs implied by an advanced case;
`mieruka savings` with amounts as written and with --case; advanced cases linked to their local bodies."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import municipalities as _commands  # noqa: F401  (registers the commands)
from mieruka.municipalities.savings import (SavingsError, calculate, from_case, round_significant, scaled,
                                            significant_digits, supported_digits)
from mieruka.storage import local_bodies as store
from mieruka.storage import models as m
from mieruka.storage.load import add_document


def test_cut_percent_per_year_and_per_resident():
    s = calculate(before=1_104_347_826, after=596_347_826, years=5, population=386_000)
    assert s.cut == 508_000_000
    assert s.cut_percent == pytest.approx(46.0, abs=1e-6)
    assert s.cut_per_year == 101_600_000
    assert s.cut_per_resident == pytest.approx(1316.06, abs=0.01)
    assert s.cut_per_resident_per_year == pytest.approx(263.21, abs=0.01)


def test_without_population_there_is_no_per_resident_figure():
    s = calculate(100, 75)
    assert (s.cut, s.cut_percent, s.cut_per_year, s.cut_per_resident) == (25, 25.0, 25, None)


def test_ebina_case_implies_its_costs():
    # 0.5億円 (▲24%) over one year: 0.5億 is 24 % of the cost before.
    s = from_case(50_000_000, -24.0, 1.0)
    assert s.before == pytest.approx(208_333_333.33, abs=0.01)
    assert s.after == pytest.approx(158_333_333.33, abs=0.01)
    assert (s.cut, s.years) == (pytest.approx(50_000_000), 1.0)
    assert s.cut_percent == pytest.approx(24.0)


def test_a_cost_rise_is_a_negative_cut():
    s = calculate(100_000, 120_000)
    assert (s.cut, s.cut_percent) == (-20_000, -20.0)


@pytest.mark.parametrize("args,message,key,fields", [
    ((0, 10), "cost before must be more than 0 円, got 0", "before", {"value": "0"}),
    ((100, -1), "cost after cannot be negative, got -1", "after", {"value": "-1"}),
    ((100, 50, 0), "years must be more than 0, got 0", "years", {"value": "0"}),
    ((100, 50, 1, 0), "population must be more than 0, got 0", "population", {"value": "0"}),
])
def test_inputs_that_make_no_sense(args, message, key, fields):
    with pytest.raises(SavingsError, match=message) as caught:
        calculate(*args)
    assert (caught.value.key, caught.value.fields) == (key, fields)  # what a page says in its own language


def test_a_case_scaled_by_population_or_applied_to_ones_own_cost():
    ebina = from_case(50_000_000, -24.0, 1.0)
    half = scaled(ebina, "population", population=65_500, case_population=131_000)
    assert (half.before, half.after, half.cut, half.population) == (
        pytest.approx(104_166_666.67, abs=0.01), pytest.approx(79_166_666.67, abs=0.01), pytest.approx(25_000_000), 65_500)
    own = scaled(ebina, "cost", before=300_000_000)
    assert (own.after, own.cut, own.cut_percent) == (pytest.approx(228_000_000), pytest.approx(72_000_000), pytest.approx(24.0))
    with pytest.raises(SavingsError) as missing:
        scaled(ebina, "population", population=65_500)
    assert missing.value.key == "need_populations"
    with pytest.raises(SavingsError) as no_cost:
        scaled(ebina, "cost")
    assert no_cost.value.key == "need_before"


def test_money_is_rounded_to_the_figures_its_inputs_hold():
    assert [significant_digits(v) for v in (208_333_000, 50_000_000, 24, 208_300_000, 131_000, 0.25)] == [6, 1, 2, 4, 3, 2]
    assert supported_digits(50_000_000, -24.0) == 2  # 0.5億円 at ▲24%: never fewer than two figures
    assert supported_digits(1_097_000_000, 603_350_000, None) == 4  # an input not given does not count
    assert supported_digits() == 2
    assert round_significant(208_333_333.3, 2) == 210_000_000
    assert round_significant(493_649_000, 4) == 493_600_000
    assert round_significant(-102_650_000, 3) == -103_000_000
    assert round_significant(None, 2) is None and round_significant(0, 2) == 0


def test_case_without_a_usable_percentage():
    with pytest.raises(SavingsError, match="a cut of 0 % cannot give the cost before"):
        from_case(1_000, 0)


def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_cli_reads_amounts_as_written():
    result = _run("savings", "--before", "2.083億円", "--after", "1.583億円", "--population", "131000", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cut"] == pytest.approx(50_000_000)
    assert data["cut_percent"] == pytest.approx(24.0, abs=0.01)
    assert data["cut_per_resident"] == pytest.approx(381.68, abs=0.01)
    bad = _run("savings", "--before", "2.083億人", "--after", "1")
    assert bad.exit_code == 1 and "--before: cannot read '2.083億人' as an amount of money" in bad.stderr
    assert "give --before and --after, or --case" in _run("savings", "--before", "1").stderr


def _case_db(url: str) -> None:
    storage.upgrade(url)
    with storage.session_scope(url) as s:
        doc = add_document(s, file_name="cases.md", family="platform-presentation", sha256="1" * 64, raw=b"x")
        case = m.AdvancedCase(title="神奈川県海老名市", theme="窓口業務のアウトソーシング", municipalities=["神奈川県海老名市"],
                              document_id=doc.id, line_start=3)
        case.effects.append(m.CaseEffect(position=0, label="市民総合窓口", amount_yen=50_000_000, change_percent=-24.0,
                                         period_years=1.0, text="市民総合窓口 0.5億円 ▲24% 1年"))
        s.add(case)
        s.add(m.AdvancedCase(title="二つの市", municipalities=["愛知県岡崎市・豊橋市", "府中市"], document_id=doc.id))
        store.sync_registry(s)
        s.get(m.LocalBody, "142158").population = 131_000


def test_cli_prefills_from_a_case_and_the_linked_body_population(tmp_path):
    db = str(tmp_path / "case.db")
    _case_db(db)
    with storage.session_scope(db) as s:
        assert store.link_cases(s) == [{"case_id": 2, "name": "府中市", "error":
                                        "府中市 is ambiguous: 東京都府中市 (132063), 広島県府中市 (342084); give the prefecture"}]
        assert [c["body_codes"] for c in store.find_cases(s, "市")] == [["142158"], ["232025", "232017"]]
    data = json.loads(_run("savings", "--case", "海老名市", "--db", db, "--format", "json").stdout)
    assert data["before"] == pytest.approx(208_333_333.33, abs=0.01)
    assert data["after"] == pytest.approx(158_333_333.33, abs=0.01)
    assert (data["years"], data["population"]) == (1.0, 131_000)
    assert data["cut_per_resident"] == pytest.approx(381.68, abs=0.01)
    assert data["case"] == "神奈川県海老名市: 市民総合窓口 0.5億円 ▲24% 1年"
    overridden = json.loads(_run("savings", "--case", "海老名市", "--after", "1億円", "--db", db, "--format", "json").stdout)
    assert overridden["cut"] == pytest.approx(108_333_333.33, abs=0.01)
    missing = _run("savings", "--case", "夕張市", "--db", db)
    assert missing.exit_code == 1
    assert "no advanced case of '夕張市' states a saving with its percentage (no case mentions it" in missing.stderr
    storage.dispose_engines()


def test_seed_cases_link_to_their_bodies(seeds, sqlite_url):
    from mieruka.loading.documents import ingest_paths

    storage.upgrade(sqlite_url)
    ingest_paths([next(seeds.glob("004_*"))], sqlite_url, None)
    with storage.session_scope(sqlite_url) as s:
        unresolved = store.link_cases(s)
        linked = {tuple(c["municipalities"]): c["body_codes"] for c in store.find_cases(s, "")}
        assert store.cases_of_body(s, "085421")[0]["municipalities"][-1] == "茨城県五霞町"
    assert linked[("神奈川県海老名市",)] == ["142158"]
    assert linked[("愛知県岡崎市", "愛知県豊橋市")] == ["232025", "232017"]
    assert linked[("鳥取県北栄町",)] == ["313726"]
    assert linked[("埼玉県日高市",)] == ["112429"]
    # A water-supply union (企業団) and an association of towns are not local bodies of the registry.
    assert sorted(u["name"] for u in unresolved) == ["埼玉県町村会", "群馬県東部水道企業団"]


def test_a_joint_case_is_per_resident_of_all_its_bodies(tmp_path):
    # 岡崎市 and 豊橋市 share one system: its 5.08億円 over 5 years serves the residents of both.
    db = str(tmp_path / "joint.db")
    _case_db(db)
    with storage.session_scope(db) as s:
        joint = s.get(m.AdvancedCase, 2)
        joint.effects.append(m.CaseEffect(position=0, label="国保", amount_yen=508_000_000, change_percent=-46.0,
                                          period_years=5.0, text="国保 5.08億円 ▲46% 5年"))
        s.get(m.LocalBody, "232025").population = 381_051
        store.link_cases(s)
        assert store.population_of(s, ["232025", "232017"]) is None  # 豊橋市 not imported yet
        s.get(m.LocalBody, "232017").population = 374_765
        assert store.population_of(s, ["232025", "232017"]) == 755_816
    data = json.loads(_run("savings", "--case", "岡崎市", "--db", db, "--format", "json").stdout)
    assert (data["years"], data["population"]) == (5.0, 755_816)
    assert data["cut_per_resident"] == pytest.approx(672.12, abs=0.01)
    assert data["cut_per_resident_per_year"] == pytest.approx(134.42, abs=0.01)
    storage.dispose_engines()
