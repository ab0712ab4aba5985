"""`mieruka parse TEXT --format json`: one JSON object per cell, with the keys other tools rely on."""
import json

import pytest
from typer.testing import CliRunner

from mieruka.cli import app
from mieruka.cli import core as _core  # noqa: F401

KEYS = {"text", "value", "unit", "approx", "comparator", "as_of", "deadline", "status", "relative"}

CASES = [
    ("2020年度までに 416団体", {"value": 416, "unit": "団体", "comparator": "eq", "deadline": "2021-03-31"}),
    ("301団体 (2017年4月速報値)", {"value": 301, "as_of": "2017-04-01", "status": "preliminary"}),
    ("950団体 (H29.4.1時点)", {"value": 950, "as_of": "2017-04-01"}),
    ("約1,000団体", {"value": 1000, "approx": True}),
    ("1,506,096千件", {"value": 1506096000, "unit": "件"}),
    ("99.99%以上", {"value": 99.99, "unit": "%", "comparator": "ge"}),
    ("32時間以内", {"value": 32, "unit": "時間", "comparator": "le"}),
    ("平成33年度", {"value": None, "deadline": "2022-03-31"}),
    ("0.5億円(▲24%)", {"value": 50_000_000, "unit": "円"}),
    # a month without a day is its first day, as a deadline as well as a point in time
    ("2018年3月までに", {"deadline": "2018-03-01", "as_of": None}),
    ("2018年3月末までに", {"deadline": "2018-03-31"}),
    ("2016年度中", {"deadline": "2017-03-31"}),
    ("2016年度末", {"deadline": "2017-03-31"}),
]


def _run(*args):
    return CliRunner().invoke(app, ["parse", *args])


@pytest.mark.parametrize("text,expected", CASES)
def test_parse_examples(text, expected):
    result = _run(text, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert KEYS <= data.keys()
    assert data["text"] == text
    for key, value in expected.items():
        assert data[key] == value, (key, data[key])


def test_relative_targets():
    for text, factor in (("半減", 0.5), ("3割圧縮", 0.7), ("倍増", 2)):
        data = json.loads(_run(text, "--format", "json").output)
        assert data["value"] is None
        assert data["relative"]["factor"] == factor


def test_unreadable_text_fails_clearly():
    result = _run("あいう", "--format", "json")
    assert result.exit_code == 1
    assert "あいう" in result.output and "error" in result.output
