"""When a forecast's probability of reaching the target crosses the KPI's alert probability."""

from api.domain.forecasts.service import crossed


def test_falling_below_the_threshold_is_a_crossing():
    assert crossed(0.7, 0.4, 0.5)


def test_rising_to_the_threshold_is_a_crossing():
    assert crossed(0.4, 0.5, 0.5)


def test_staying_on_one_side_is_no_crossing():
    assert not crossed(0.9, 0.6, 0.5) and not crossed(0.1, 0.3, 0.5)


def test_a_first_forecast_or_no_forecast_crosses_nothing():
    assert not crossed(None, 0.1, 0.5) and not crossed(0.9, None, 0.5)


def test_a_kpi_without_a_threshold_never_alerts():
    assert not crossed(0.9, 0.1, None)
