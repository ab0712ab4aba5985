"""The bulk rater (evaluate.fast, what `mieruka evaluate` and the stored ratings use) gives rate_kpi's result for every
KPI of the seeds under every scheme and date, field by field, explanation included, also after observations that
exercise each branch were added: undated values, repeated values, 見込み (forecast) values, other units, no value;
and the audit's shortcuts (value conflicts, stale actuals) find what the checks one pair at a time find."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from mieruka import storage
from mieruka.cli import load_commands
from mieruka.evaluate import audit
from mieruka.evaluate.fast import rate_chunk
from mieruka.evaluate.rate import rate_kpi
from mieruka.evaluate.schemes import available, load
from mieruka.evaluate.stored import document_dates_of
from mieruka.storage import models as m
from mieruka.storage.load import record_observation
from mieruka.storage.queries import kpi_row_chunks, kpi_rows

WHEN = [date(2016, 3, 31), date(2019, 3, 31), date(2030, 3, 31)]


def _compare(url: str) -> tuple[int, list]:
    differ, n = [], 0
    with storage.session_scope(url) as s:
        dates = document_dates_of(s)
        for name in sorted(available()):
            scheme = load(name)
            for when in WHEN:
                for light in kpi_row_chunks(s, 7, observations=False):
                    assert all(k["observations"] == [] for k in light)
                    full = kpi_rows(s, [k["id"] for k in light])
                    for kpi, got in zip(full, rate_chunk(s, light, scheme, when, dates)):
                        want = rate_kpi(kpi, scheme, when, dates)
                        n += 1
                        a = (want.code, want.rule, want.explanation, want.explanation_en, want.details(), want.row("en"))
                        b = (got.code, got.rule, got.explanation, got.explanation_en, got.details(), got.row("en"))
                        if a != b:
                            differ.append((name, when, kpi["id"], a, b))
    return n, differ


@pytest.fixture
def seeded(db_url, seeds):
    result = CliRunner().invoke(load_commands(), ["ingest", str(seeds), "--db", db_url, "--format", "json"])
    assert result.exit_code == 0, result.stderr[-2000:]
    return db_url


def test_the_bulk_rater_gives_rate_kpis_results_on_the_seeds(seeded):
    n, differ = _compare(seeded)
    with storage.session_scope(seeded) as s:
        kpis = s.scalar(select(m.Kpi.id).order_by(m.Kpi.id.desc()).limit(1))
    assert n == kpis * len(available()) * len(WHEN) and kpis >= 30
    assert differ == []


def test_the_bulk_rater_follows_every_branch_of_build_series(seeded):
    with storage.session_scope(seeded) as s:
        rows = s.execute(select(m.Kpi.id, m.Kpi.unit, m.Observation.document_id).join(
            m.Observation, m.Observation.kpi_id == m.Kpi.id).order_by(m.Kpi.id, m.Observation.id)).all()
        seen, picks = set(), []
        for kpi_id, unit, doc in rows:
            if kpi_id not in seen:
                seen.add(kpi_id)
                picks.append((kpi_id, unit, doc))
        deadlines = dict(s.execute(select(m.Target.kpi_id, m.Target.deadline).where(m.Target.deadline.is_not(None))).all())
        no_baseline = [k for k, _, _ in picks if not s.scalar(select(m.Baseline.id).where(m.Baseline.kpi_id == k).limit(1))]
        for i, (kpi_id, unit, doc) in enumerate(picks[:12]):
            put = lambda value, day, status="final", u=unit: record_observation(  # noqa: E731
                s, kpi_id, doc, value, day, f"{value}", unit=u, status=status)
            put(100.0 + i, None)  # undated: its document's date stands in
            put(50.0, date(2017, 3, 31))
            put(50.0, date(2017, 3, 31))  # the same value again: counted once
            put(51.0, date(2017, 3, 31))  # another value the same day
            put(None, date(2017, 6, 30))  # no value
            put(70.0, date(2018, 3, 31), u="億円" if unit != "億円" else "%")  # another unit than the target's
            put(80.0, date(2029, 3, 31), "forecast")  # a 見込み newer than any actual
            if kpi_id in deadlines:
                put(90.0, deadlines[kpi_id], "forecast")  # a 見込み printed for the deadline
        for kpi_id in no_baseline[:3]:
            doc = next(d for k, _, d in picks if k == kpi_id)
            for year in (2015, 2016, 2017):
                record_observation(s, kpi_id, doc, float(year - 2000), date(year, 3, 31), "x", status="final")
    n, differ = _compare(seeded)
    assert n > 0 and differ == []


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from([1.0, 2.0, 2.0000000001, 1000.0, 1040.0, 0.5, -3.0, 0.0]),
                          st.sampled_from([None, "%", "団体"]), st.sampled_from([None, "final", "preliminary"]),
                          st.sampled_from(["", "約1,000"])), min_size=1, max_size=8))
def test_the_value_conflict_shortcut_finds_the_rows_every_pair_check_finds(rows):
    rows = [{"value": v, "unit": u, "status": s, "text": t} for v, u, s, t in rows]
    pairwise = [r for r in rows if any(audit._values_conflict(r, o) for o in rows if o is not r)]
    assert audit._involved(rows) == pairwise


_rows = st.lists(st.fixed_dictionaries({"as_of": st.sampled_from([date(2017, 3, 31), date(2018, 3, 31), date(2019, 3, 31)]),
                                        "status": st.sampled_from([None, "final", "preliminary"])}), max_size=6)


@settings(max_examples=300)
@given(_rows, _rows, st.sampled_from([None, date(2018, 1, 1), date(2019, 3, 31)]))
def test_the_stale_check_works_out_the_announcing_documents_latest_once(actuals, own, doc_date):
    pairs = lambda rows: [(o["as_of"], o) for o in rows]  # noqa: E731 - the (day, observation) pairs stale() passes
    assert audit._any_newer(pairs(actuals), pairs(own), doc_date) == any(audit._newer(o, own, doc_date) for o in actuals)
