"""Rating schemes are data: the shipped files load, user files are found by path or folder, bad files say what is wrong."""
from pathlib import Path

import pytest

from mieruka.evaluate import schemes
from mieruka.evaluate.schemes import SchemeError

MINIMAL = """
name = "two-step"
[title]
ja = "二段階"
en = "Two steps"
[codes.OK]
ja = "達成"
en = "met"
top = true
[codes.NG]
ja = "未達"
en = "not met"
[[rules]]
code = "OK"
when = ["target_met"]
[[rules]]
code = "NG"
"""


def test_shipped_schemes_declare_their_codes_and_labels():
    found = schemes.available()
    assert {"reform-schedule", "policy-evaluation", "municipal-sabc", "progress-cagr"} <= set(found)
    rs = schemes.load("reform-schedule")
    assert list(rs.codes) == ["A", "B", "N", "F"]
    assert rs.codes["A"].ja == "順調（達成を含む）" and rs.codes["A"].top
    assert rs.codes["N"].judged is False
    assert rs.official == "reform-schedule" and rs.path == "linear"
    pe = schemes.load("policy-evaluation")
    assert list(pe.codes) == ["イ", "ロ", "ハ", "ー", "NA"]
    assert [r.result for r in pe.rollup.results] == ["目標超過達成", "目標達成", "相当程度進展あり", "進展が大きくない",
                                                      "目標に向かっていない"]
    close = next(r for r in pe.rules if r.code == "ロ" and r.metric == "achievement")
    assert close.min == 0.8
    assert schemes.load("progress-cagr").path == "compound"
    assert schemes.load("municipal-sabc").missing_baseline == "first_observation"


def test_rules_take_the_first_match_and_bounds_are_inclusive():
    sabc = schemes.load("municipal-sabc")
    flags = dict.fromkeys(schemes.FLAGS, False)
    metrics = dict.fromkeys(schemes.METRICS)
    assert sabc.assign(flags, {**metrics, "change": 0.10})[1] == "B"
    assert sabc.assign(flags, {**metrics, "change": 0.1000001})[1] == "A"
    assert sabc.assign(flags, {**metrics, "change": -0.10})[1] == "B"
    assert sabc.assign(flags, {**metrics, "change": -0.11})[1] == "C"
    assert sabc.assign(flags, metrics)[1] == "－"
    assert sabc.assign({**flags, "target_met": True}, {**metrics, "change": -0.5})[1] == "S"


def test_a_scheme_file_given_by_path_toml_or_yaml(tmp_path):
    toml = tmp_path / "two.toml"
    toml.write_text(MINIMAL, encoding="utf-8")
    s = schemes.load(str(toml))
    assert s.name == "two-step" and s.title_en == "Two steps" and s.top_codes == {"OK"}
    yaml_file = tmp_path / "three.yaml"
    yaml_file.write_text(
        "name: yes-no\ncodes:\n  Y: {ja: はい, en: yes}\n  N: {ja: いいえ, en: no, judged: false}\n"
        "rules:\n  - {code: Y, metric: attainment, min: 1.0}\n  - {code: N}\n", encoding="utf-8")
    y = schemes.load(yaml_file)
    assert y.name == "yes-no" and y.rules[0].metric == "attainment" and y.codes["N"].judged is False


def test_a_folder_in_mieruka_schemes_dir_adds_and_overrides_schemes(tmp_path, monkeypatch):
    (tmp_path / "two-step.toml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "reform-schedule.toml").write_text(MINIMAL.replace('"two-step"', '"reform-schedule"'), encoding="utf-8")
    monkeypatch.setenv("MIERUKA_SCHEMES_DIR", str(tmp_path))
    assert schemes.load("two-step").codes["NG"].en == "not met"
    assert list(schemes.load("reform-schedule").codes) == ["OK", "NG"]
    assert schemes.available()["municipal-sabc"].parent == schemes.SHIPPED_DIR


@pytest.mark.parametrize("change,message", [
    ('when = ["target_met"]', None),
    ('when = ["target_reached"]', "unknown condition 'target_reached'"),
    ('metric = "speed"', "unknown metric 'speed'"),
    ('min = 1', "min/max need a metric"),
    ('colour = "red"', "unknown keys colour"),
])
def test_a_bad_rule_names_the_file_and_the_key(tmp_path, change, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace('when = ["target_met"]', change), encoding="utf-8")
    if message is None:
        assert schemes.load(bad).rules[0].when == ("target_met",)
        return
    with pytest.raises(SchemeError) as exc:
        schemes.load(bad)
    assert str(bad) in str(exc.value) and "rules[1]" in str(exc.value) and message in str(exc.value)


def test_other_bad_files(tmp_path):
    undeclared = tmp_path / "u.toml"
    undeclared.write_text(MINIMAL.replace('code = "NG"', 'code = "XX"'), encoding="utf-8")
    with pytest.raises(SchemeError, match="code 'XX' is not declared"):
        schemes.load(undeclared)
    open_end = tmp_path / "o.toml"
    open_end.write_text(MINIMAL.replace('code = "NG"', 'code = "NG"\nwhen = ["no_target"]'), encoding="utf-8")
    with pytest.raises(SchemeError, match="last rule must have no condition"):
        schemes.load(open_end)
    broken = tmp_path / "b.toml"
    broken.write_text("name = [", encoding="utf-8")
    with pytest.raises(SchemeError, match="cannot read the scheme file"):
        schemes.load(broken)
    with pytest.raises(SchemeError, match="unknown scheme 'nope'; available: .*reform-schedule"):
        schemes.load("nope")
    with pytest.raises(SchemeError, match="scheme file not found"):
        schemes.load(str(Path(tmp_path, "missing.toml")))
