"""`mieruka evaluate` and `mieruka audit` on a database built row by row; computed ratings sit beside official ones."""
import json
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import app
from mieruka.cli import evaluate as _evaluate  # noqa: F401  (registers the commands)
from mieruka.cli import ingest as _ingest  # noqa: F401  (registers kpis)
from mieruka.evaluate import schemes
from mieruka.storage import models as m
from mieruka.storage.ratings import computed_ratings, policy_result_rows, store_computed


@pytest.fixture
def db(sqlite_url):
    """One KPI as a progress report gives it: 208 ⇒ 416 by FY2020, 301 in April 2017, officially rated B."""
    storage.upgrade(sqlite_url)
    with storage.session_scope(sqlite_url) as s:
        doc = m.Document(file_name="progress.txt", family="reform-schedule", sha256="0" * 64, raw=b"", size_bytes=0)
        s.add(doc)
        s.flush()
        k = m.Kpi(key="窓口業務のアウトソーシング", name="窓口業務のアウトソーシング", tier=1, unit="団体")
        s.add(k)
        s.flush()
        prov = {"document_id": doc.id, "line_start": 12, "line_end": 12, "source_text": "…"}
        s.add_all([
            m.Baseline(kpi_id=k.id, value=208, unit="団体", as_of=date(2014, 10, 1), text="208⇒416",
                       **{**prov, "line_start": 29}),
            m.Target(kpi_id=k.id, value=416, unit="団体", deadline=date(2021, 3, 31), comparator="eq",
                     text="2020年度までに416団体", **prov),
            m.Observation(kpi_id=k.id, value=301, unit="団体", as_of=date(2017, 4, 1), status="preliminary",
                          text="301団体(2017年4月速報値)", **prov),
            m.Rating(kpi_id=k.id, scheme="reform-schedule", code="B", official=True, as_of=date(2017, 4, 1),
                     document_id=doc.id, line_start=12),
            m.PolicyResult(policy="政策8", result="目標達成", **{**prov, "line_start": 54}),
        ])
    return sqlite_url


def _run(*args):
    return CliRunner().invoke(app, list(args))


def test_evaluate_prints_one_row_per_kpi_and_stores_beside_the_official_rating(db):
    out = _run("evaluate", "--scheme", "reform-schedule", "--as-of", "2018-01-01", "--db", db, "--format", "json")
    assert out.exit_code == 0, out.output
    (row,) = json.loads(out.stdout)
    assert list(row) == ["kpi_id", "kpi", "code", "label", "expected", "actual", "actual_as_of", "target", "deadline",
                         "forecast", "explanation"]
    assert (row["code"], row["expected"], row["actual"], row["target"], row["deadline"]) == \
        ("A", 288.03, 301, 416, "2021-03-31")
    assert row["explanation"].startswith("目標416団体(2021-03-31)に対し、計画線上の想定288団体を上回る301団体(2017-04-01)")
    with storage.session_scope(db) as s:
        ratings = s.scalars(select(m.Rating).order_by(m.Rating.id)).all()
        assert [(r.code, r.official) for r in ratings] == [("B", True), ("A", False)]
        assert ratings[1].details["expected"] == pytest.approx(288.027, abs=1e-3)
        assert ratings[1].details["sources"]["baseline"]["line"] == 29
    _run("evaluate", "--scheme", "reform-schedule", "--db", db, "--format", "csv")  # as of today: kept beside
    _run("evaluate", "--scheme", "reform-schedule", "--as-of", "2018-01-01", "--db", db, "--format", "csv")
    with storage.session_scope(db) as s:
        dates = [r["as_of"] for r in computed_ratings(s, "reform-schedule")]
    # one rating per evaluation date: the date asked again is replaced, not added; the other date's stays
    assert sorted(dates) == [date(2018, 1, 1), date.today()]


def test_english_csv_and_the_policy_roll_up(db):
    out = _run("evaluate", "-s", "policy-evaluation", "--lang", "en", "--as-of", "2022-01-01", "--db", db, "-f", "csv",
               "--no-store")
    assert out.exit_code == 0, out.output
    header, line = out.stdout.splitlines()[:2]
    assert header == "kpi_id,kpi,code,label,expected,actual,actual_as_of,target,deadline,forecast,explanation"
    assert line.startswith("1,窓口業務のアウトソーシング,NA,cannot be judged,288.03,301,2017-04-01,416,2021-03-31,449.72,"
                           "\"The deadline of the target of 416 bodies (by 2021-03-31) has passed by 2022-01-01 with no "
                           "actual on or after it")
    # the default date is today: a note says how old the newest actual is
    assert "note: the newest actual is dated 2017-04-01, 4 year(s) before 2022-01-01" in out.stderr
    with storage.session_scope(db) as s:
        assert computed_ratings(s) == []


def test_audit_lists_findings_with_sources(db):
    out = _run("audit", "--db", db, "--as-of", "2018-01-01", "--format", "json")
    assert out.exit_code == 0, out.output
    (finding,) = json.loads(out.stdout)
    assert finding["kind"] == "rating_mismatch" and finding["kpi_id"] == 1
    # a document that prints no title is named by its file, in the sources and in their own column
    assert finding["sources"] == [{"document": "progress.txt", "line": 12, "title": "progress.txt", "date": None},
                                  {"document": "progress.txt", "line": 29, "title": "progress.txt", "date": None}]
    table = _run("audit", "--db", db, "--as-of", "2018-01-01", "--format", "csv")
    assert "progress.txt:12; progress.txt:29,progress.txt:12; progress.txt:29" in table.stdout


def test_bad_options_fail_clearly(db):
    out = _run("evaluate", "--scheme", "nope", "--db", db)
    assert out.exit_code == 1 and "unknown scheme 'nope'" in out.output
    out = _run("evaluate", "--scheme", "reform-schedule", "--as-of", "someday", "--db", db)
    assert out.exit_code == 1 and "cannot read --as-of 'someday'" in out.output
    # the pages' and the API's rule (a 422 there): no 和暦 before 明治元年1月25日, and nothing stored
    for command in ("evaluate", "audit", "kpis"):
        for text in ("1867-12-31", "0001-01-01"):
            early = _run(command, "--scheme", "reform-schedule", "--as-of", text, "--db", db) if command == "evaluate" \
                else _run(command, "--as-of", text, "--db", db)
            assert early.exit_code == 1, (command, text, early.output)
            assert (f"--as-of '{text}': give a date on or after 1868-01-25 (明治元年1月25日), the first day of a "
                    "Japanese era") in " ".join(early.output.split()), early.output
    with storage.session_scope(db) as s:
        assert not s.scalars(select(m.Rating.id).where(m.Rating.as_of < date(1868, 1, 25))).all()
    long = _run("audit", "--as-of", "x" * 5000, "--db", db)
    assert long.exit_code == 1 and f"cannot read --as-of '{'x' * 40}';" in " ".join(long.output.split())
    ok = _run("evaluate", "--scheme", "reform-schedule", "--as-of", "平成30年1月1日", "--db", db, "-f", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)[0]["code"] == "A"


def test_storage_keeps_official_ratings_and_reads_policy_results(db):
    with storage.session_scope(db) as s:
        store_computed(s, "reform-schedule", [{"kpi_id": 1, "code": "A", "as_of": date(2018, 1, 1), "details": {}}])
        store_computed(s, "reform-schedule", [{"kpi_id": 1, "code": "B", "as_of": date(2019, 1, 1), "details": {}}])
        store_computed(s, "municipal-sabc", [{"kpi_id": 1, "code": "A", "as_of": date(2019, 1, 1), "details": {}}])
    with storage.session_scope(db) as s:
        assert [(r["scheme"], r["code"]) for r in computed_ratings(s)] == [("reform-schedule", "B"), ("municipal-sabc", "A")]
        assert s.scalars(select(m.Rating.code).where(m.Rating.official.is_(True))).all() == ["B"]
        (result,) = policy_result_rows(s)
        assert (result["policy"], result["result"], result["source"]["line"]) == ("政策8", "目標達成", 54)


def test_schemes_command_lists_the_shipped_schemes():
    out = _run("schemes", "--format", "json")
    names = [r["name"] for r in json.loads(out.stdout)]
    assert names == ["municipal-sabc", "policy-evaluation", "progress-cagr", "reform-schedule"]


def test_a_scheme_written_by_the_user_rates_through_the_command(db, tmp_path):
    # the shipped progress-cagr file with a stricter "substantial" step: 301 of 208 ⇒ 416 grew at 142 % of the
    # required rate (+15.9 % a year against +11.3 %), which a 150 % threshold no longer calls substantial
    shipped = (schemes.SHIPPED_DIR / "progress-cagr.toml").read_text(encoding="utf-8")
    assert 'code = "substantial"\nmetric = "cagr_ratio"\nmin = 0.95' in shipped
    strict = tmp_path / "strict-cagr.toml"
    strict.write_text(shipped.replace('name = "progress-cagr"', 'name = "strict-cagr"')
                      .replace('code = "substantial"\nmetric = "cagr_ratio"\nmin = 0.95',
                               'code = "substantial"\nmetric = "cagr_ratio"\nmin = 1.5'), encoding="utf-8")
    codes = {}
    for scheme in ("progress-cagr", str(strict)):
        out = _run("evaluate", "--scheme", scheme, "--as-of", "2018-01-01", "--db", db, "--format", "json")
        assert out.exit_code == 0, out.output
        (row,) = json.loads(out.stdout)
        codes[scheme] = row["code"]
    assert codes == {"progress-cagr": "substantial", str(strict): "moderate"}
    with storage.session_scope(db) as s:  # stored under the file's own name, beside the shipped scheme's
        assert [(r["scheme"], r["code"]) for r in computed_ratings(s)] == [("progress-cagr", "substantial"),
                                                                          ("strict-cagr", "moderate")]
    broken = tmp_path / "broken.toml"
    broken.write_text(shipped.replace('metric = "cagr_ratio"\nmin = 0.95', 'metric = "speed"\nmin = 0.95'), encoding="utf-8")
    out = _run("evaluate", "--scheme", str(broken), "--db", db)
    assert out.exit_code == 1 and f"{broken}: rules[5]: unknown metric 'speed'" in out.output
    with storage.session_scope(db) as s:
        assert len(computed_ratings(s)) == 2  # a bad scheme file leaves the stored ratings as they were
