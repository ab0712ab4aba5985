"""Weighted least-squares forecast: recent points weigh more; one observation draws the line from the baseline."""
from datetime import date, timedelta

import pytest

from mieruka.evaluate.forecast import fit, forecast, weight

L = date(2024, 1, 1)  # 2016-01-01, 2020-01-01 and 2024-01-01 are 8, 4 and 0 years (of 365.25 days) before
POINTS = [(date(2016, 1, 1), 0.0), (date(2020, 1, 1), 10.0), (L, 10.0)]


def test_weights_halve_every_half_life():
    assert weight(L.toordinal(), L.toordinal(), 4) == 1
    assert weight(date(2020, 1, 1).toordinal(), L.toordinal(), 4) == pytest.approx(0.5)
    assert weight(date(2016, 1, 1).toordinal(), L.toordinal(), 4) == pytest.approx(0.25)


def test_weighted_slope_leans_on_recent_points():
    # weights 1/4, 1/2, 1 at x = -8, -4, 0 years: mean x = -16/7, mean y = 60/7, slope 25/26 a year
    # (unweighted least squares would give 1.25 a year)
    line = fit([d.toordinal() for d, _ in POINTS], [v for _, v in POINTS], 4.0)
    assert line.slope == pytest.approx(25 / 26)
    assert line.mean_years == pytest.approx(-16 / 7) and line.mean_value == pytest.approx(60 / 7)
    fc = forecast(POINTS, 12.0, date(2028, 1, 1), 1, 4.0)
    assert fc.value == pytest.approx(190 / 13)  # 60/7 + 25/26 × (4 + 16/7)
    assert fc.gap == pytest.approx(12 - 190 / 13)
    # 12 is reached 1.28 years after the last point: 468 days → 2025-04-13
    assert fc.reached_on == L + timedelta(days=468) == date(2025, 4, 13)
    assert not fc.already_met


def test_one_observation_draws_the_line_from_the_baseline():
    fc = forecast([(date(2020, 4, 1), 100.0), (date(2021, 4, 1), 150.0)], 200.0, date(2022, 4, 1), 1, 2.0)
    assert fc.value == pytest.approx(200.0) and fc.gap == pytest.approx(0.0, abs=1e-9)
    assert fc.reached_on == date(2022, 4, 1) and fc.points == 2


def test_falling_kpi_moving_the_wrong_way_never_reaches_its_target():
    fc = forecast([(date(2015, 3, 31), 40.1), (date(2017, 3, 31), 56.9), (date(2019, 3, 31), 60.3)], 32.0,
                  date(2019, 3, 31), -1, 2.0)
    assert fc.slope_per_year > 0 and fc.gap > 28 and fc.reached_on is None


def test_a_target_already_met_reports_when():
    fc = forecast([(date(2015, 3, 31), 550.0), (date(2018, 4, 1), 1067.0)], 1000.0, date(2018, 3, 31), 1, 2.0,
                  met_on=date(2018, 4, 1))
    assert fc.already_met and fc.reached_on == date(2018, 4, 1)


def test_no_forecast_from_a_single_point_or_a_single_date():
    assert forecast([(L, 5.0)], 10.0, date(2030, 1, 1), 1, 2.0) is None
    assert fit([L.toordinal(), L.toordinal()], [1.0, 2.0], 2.0) is None
