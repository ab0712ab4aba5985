"""The vectorised rater gives the codes rate.py gives, KPI by KPI, on random series (hypothesis)."""
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mieruka.evaluate import schemes
from mieruka.evaluate.bulk import from_series, rate_arrays
from mieruka.evaluate.rate import rate_series
from mieruka.evaluate.series import build_series, with_missing_baseline

AS_OF = date(2025, 1, 1)
SCHEMES = [schemes.load(n) for n in sorted(schemes.available())]
SRC = {"document": "x.txt", "document_id": 1, "line": 1}
days = st.integers(0, 16 * 365).map(lambda n: date(2012, 1, 1) + timedelta(days=n))
# small integers make ties (actual = target, actual = baseline, deadline = baseline date) likely
values = st.one_of(st.integers(-20, 400).map(float), st.floats(0.01, 1e6, allow_nan=False, allow_infinity=False))


@st.composite
def kpis(draw):
    baseline = None
    if draw(st.booleans()):
        baseline = {"value": draw(values), "as_of": draw(st.one_of(st.none(), days)), "unit": None, "text": "",
                    "source": SRC}
    kind = draw(st.sampled_from(["value", "value", "relative", "unset", "improve", "none"]))
    target = {"value": None, "unit": None, "deadline": draw(st.one_of(st.none(), days)), "comparator": None,
              "relative": None, "unset": False, "promised_by": None, "interim": False, "edition": None,
              "edition_date": None, "text": "", "source": SRC}
    if kind == "value":
        target["value"] = draw(values)
    elif kind == "relative":
        target["relative"] = {"factor": draw(st.sampled_from([0.5, 0.7, 1.0, 2.0])), "kind": "x",
                              "base_fiscal_year": None, "base_value": draw(st.one_of(st.none(), values))}
    elif kind == "unset":
        target.update(unset=True, text="検討中", promised_by=draw(days))
    elif kind == "improve":
        target["text"] = draw(st.sampled_from(["向上", "削減"]))
    observations = [{"value": draw(values), "unit": None, "as_of": d, "text": "", "source": SRC,
                     "status": draw(st.sampled_from([None, None, None, "forecast"]))}
                    for d in draw(st.lists(days, max_size=6, unique=True))]
    return {"id": 1, "name": "k", "unit": None, "direction": draw(st.sampled_from(["up", "down"])),
            "after_the_fact": draw(st.sampled_from([False] * 9 + [True])), "baseline": baseline,
            "baselines": [baseline] if baseline else [], "targets": [] if kind == "none" else [target],
            "observations": observations, "ratings": [], "appearances": [], "documents": []}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(kpis(), min_size=1, max_size=25))
def test_bulk_and_per_kpi_give_the_same_codes(rows):
    raw = [build_series(k, AS_OF, {}, "cannot_judge") for k in rows]
    arrays = from_series(raw)
    for scheme in SCHEMES:
        one_by_one = [rate_series(with_missing_baseline(s, scheme.missing_baseline), scheme) for s in raw]
        bulk = rate_arrays(arrays, scheme)
        assert list(bulk.codes) == [r.code for r in one_by_one], scheme.name
        assert list(bulk.rules) == [r.rule for r in one_by_one]
        for name in bulk.metrics:
            expected = [np.nan if r.facts.metrics[name] is None else r.facts.metrics[name] for r in one_by_one]
            np.testing.assert_allclose(bulk.metrics[name], expected, rtol=1e-12, equal_nan=True)
        forecasts = [np.nan if r.forecast is None else r.forecast for r in one_by_one]
        np.testing.assert_allclose(bulk.forecast, forecasts, rtol=1e-9, atol=1e-6, equal_nan=True)


def test_bulk_on_a_handful_of_known_series():
    window = {"id": 1, "name": "窓口", "unit": "団体", "direction": "up", "after_the_fact": False,
              "baseline": {"value": 208, "as_of": date(2014, 10, 1), "unit": "団体", "text": "", "source": SRC},
              "targets": [{"value": 416, "unit": "団体", "deadline": date(2021, 3, 31), "text": "", "source": SRC}],
              "observations": [{"value": 301, "unit": "団体", "as_of": date(2017, 4, 1), "text": "", "source": SRC}],
              "ratings": [], "appearances": [], "documents": []}
    unset = {**window, "baseline": None, "observations": [],
             "targets": [{"value": None, "unset": True, "promised_by": date(2017, 3, 31), "text": "検討中", "source": SRC}]}
    reform = schemes.load("reform-schedule")
    result = rate_arrays(from_series([build_series(k, date(2018, 1, 1), {}) for k in (window, unset)]), reform)
    assert list(result.codes) == ["A", "F"]
    # by 2025 the deadline has passed with no actual since: N, as rate.py says
    assert list(rate_arrays(from_series([build_series(k, AS_OF, {}) for k in (window, unset)]), reform).codes) == \
        ["N", "F"]
    assert result.expected[0] == pytest.approx(208 + 208 * 913 / 2373)
    assert result.forecast[0] == pytest.approx(208 + 93 * 2373 / 913)
    assert np.isnan(result.expected[1]) and np.isnan(result.forecast[1])
