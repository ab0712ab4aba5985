"""The whole chain on the five seeds — ingest, kpis, evaluate, audit — gives the same answers on PostgreSQL as on
SQLite, so that an office can move its database without its figures moving."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def _cli(*args):
    result = CliRunner().invoke(load_commands(), list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _chain(url):
    """What a user sees of the seeds on the database at url, minus the ids and dates each run assigns."""
    _cli("ingest", str(SEEDS), "--db", url, "--format", "json")
    kpis = json.loads(_cli("kpis", "--db", url, "--format", "json"))
    rated = json.loads(_cli("evaluate", "--scheme", "reform-schedule", "--as-of", "2018-06-01", "--db", url,
                            "--format", "json"))
    findings = json.loads(_cli("audit", "--as-of", "2018-06-01", "--db", url, "--format", "json"))
    storage.dispose_engines()
    return {
        "kpis": sorted((k["name"], k["tier"], k["unit"], len(k["targets"]), len(k["observations"]),
                        sorted(r["code"] for r in k["ratings"] if r["official"])) for k in kpis),
        "rated": sorted((r["kpi"], r["code"], r["actual"], r["target"], r["explanation"]) for r in rated),
        "findings": sorted((f["kind"], f["kpi"], f["message"]) for f in findings),
    }


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory):
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return _chain(f"sqlite:///{tmp_path_factory.mktemp('parity') / 'sqlite.db'}")


def test_seeds_give_the_same_answers_on_each_backend(db_url, on_sqlite):
    here = _chain(db_url)
    outsourcing = next(k for k in here["kpis"] if k[0] == "窓口業務のアウトソーシング")
    assert outsourcing[1:3] == (1, "団体") and outsourcing[5] == ["A", "B"]
    codes = {r[0]: r[1] for r in here["rated"]}
    assert codes["窓口業務のアウトソーシング"] == "A" and codes["庶務業務の集約化"] == "A"
    assert {"rating_mismatch", "rating_conflict", "value_conflict", "stale"} <= {f[0] for f in here["findings"]}
    assert here == on_sqlite
