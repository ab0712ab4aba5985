"""Invisible characters that would split identity: a zero-width space, a bidirectional override or a control character
inside a name makes no second KPI, reform item or initiative, and no page or CLI table shows one."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mieruka.cli import load_commands
from mieruka.records.canonical import canonical_name, item_key, kpi_key

FIXTURES = Path(__file__).parent / "fixtures"
ZWSP, RLO, ZWJ, BOM, LRI, PDI, WJ = "\u200b", "\u202e", "\u200d", "\ufeff", "\u2066", "\u2069", "\u2060"
INVISIBLE = (ZWSP, RLO, ZWJ, BOM, LRI, PDI, WJ, "\u200e", "\u00ad")


def cli(*args):
    return CliRunner().invoke(load_commands(), [str(a) for a in args])


def _kpis(db) -> list[dict]:
    result = cli("kpis", "--db", db, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("mark", INVISIBLE + ("\x07", "\x1b"))
def test_a_key_ignores_an_invisible_character(mark):
    assert kpi_key(f"窓口業務の{mark}アウトソーシング") == kpi_key("窓口業務のアウトソーシング")
    assert item_key(f"{mark}窓口業務の民間委託の推進") == item_key("窓口業務の民間委託の推進")


@pytest.mark.parametrize("mark", INVISIBLE)
def test_an_organisation_is_stored_without_invisible_characters(mark):
    assert canonical_name("organisation", f"総務{mark}省") == "総務省"


def test_a_document_writing_names_with_invisible_characters_adds_no_kpi(tmp_path):
    db = f"sqlite:///{tmp_path / 'z.db'}"
    plain = (FIXTURES / "reform_schedule" / "tabbed.txt").read_text(encoding="utf-8")
    first = tmp_path / "plain.txt"
    first.write_text(plain, encoding="utf-8")
    assert cli("ingest", first, "--db", db, "--format", "csv").exit_code == 0
    before = _kpis(db)

    second = tmp_path / "invisible.txt"
    second.write_text(plain.replace("窓口業務のアウトソーシング", f"窓口業務の{ZWSP}アウト{RLO}ソーシング")
                      .replace("総合窓口の導入", f"総合{BOM}窓口{ZWJ}の導入")
                      .replace("窓口業務の民間委託の推進", f"窓口業務の{LRI}民間委託{PDI}の推進"), encoding="utf-8")
    loaded = cli("ingest", second, "--db", db, "--format", "json")
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout)[0]["status"] == "loaded"
    after = _kpis(db)
    assert [(k["id"], k["name"], k["reform_item"]) for k in after] == [(k["id"], k["name"], k["reform_item"])
                                                                        for k in before]
    assert {k["id"]: k["documents"] for k in after}[2] == ["plain.txt", "invisible.txt"]


def test_pages_and_tables_show_no_bidirectional_override(tmp_path):
    from mieruka.web import create_app

    db = f"sqlite:///{tmp_path / 'r.db'}"
    doc = tmp_path / "rlo.txt"
    doc.write_text((FIXTURES / "reform_schedule" / "tabbed.txt").read_text(encoding="utf-8")
                   .replace("窓口業務のアウトソーシング", f"窓口業務の{RLO}アウトソーシング"), encoding="utf-8")
    assert cli("ingest", doc, "--db", db, "--format", "csv").exit_code == 0
    client = TestClient(create_app(db))
    for path in ("/kpis", "/kpis/2", "/kpis?lang=en", "/documents"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not any(mark in page.text for mark in INVISIBLE), path
        assert path == "/documents" or "窓口業務のアウトソーシング" in page.text, path
    table = cli("kpis", "--db", db)
    assert table.exit_code == 0 and RLO not in table.stdout and "窓口業務のアウトソーシング" in table.stdout


def test_an_initiative_with_a_zero_width_space_is_the_same_initiative(tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    survey = FIXTURES / "surveys" / "madoguchi_utf8.csv"
    first = cli("survey", "import", survey, "--initiative", "窓口委託", "--as-of", "2017-04-01", "--db", db,
                "--format", "json")
    assert first.exit_code == 0, first.output
    again = cli("survey", "import", survey, "--initiative", f"窓口{ZWSP}委託", "--as-of", "2017-04-01", "--db", db,
                "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["status"] == "unchanged"
    listed = json.loads(cli("survey", "list", "--db", db, "--format", "json").stdout)
    assert [i["initiative"] for i in listed] == ["窓口委託"]
