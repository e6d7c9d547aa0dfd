"""Forecasts are calibrated, follow a step change, and forecast each kind of KPI as what it is.

Simulated series with known futures, seeded (the same numbers on every run):
``SERIES`` series of 8 weeks of history (a linear trend, a weekly season, normal
noise), each a month KPI observed up to day 10 with 21 days to forecast. Their 80 %
intervals must contain the true outcome in 80 % of the series give or take
``TOLERANCE`` (about 2.3 standard errors of a share measured on 40 series:
sqrt(0.8 × 0.2 / 40) = 0.063); their 95 % intervals in 95 % with the same tolerance,
capped at 100 %.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from api.domain.forecasts import projection
from api.domain.forecasts.projection import Period, project

SERIES = 40
TOLERANCE = 0.14
HISTORY = 56
FIRST = date(2026, 1, 1)


def _series(k: int, days: int):
    rng = np.random.default_rng(1000 + k)
    t = np.arange(days)
    level = rng.uniform(20, 80)
    slope = rng.uniform(-0.1, 0.3)
    season = rng.uniform(0, 0.3) * level * np.sin(2 * np.pi * (t + rng.integers(7)) / 7)
    noise = rng.normal(0, rng.uniform(0.05, 0.2) * level, days)
    return np.clip(level + slope * t + season + noise, 0, None)


def _history(values) -> dict:
    return {FIRST + timedelta(days=i): float(v) for i, v in enumerate(values)}


@pytest.fixture(scope="module")
def calibration():
    """Share of series whose 80 % and 95 % intervals hold the true sum of the period."""
    observed, remaining = 10, 21
    inside80 = inside95 = 0
    methods = set()
    for k in range(SERIES):
        values = _series(k, HISTORY + remaining)
        as_of = FIRST + timedelta(days=HISTORY - 1)
        period = Period(
            as_of - timedelta(days=observed - 1), as_of + timedelta(days=remaining), as_of
        )
        truth = float(values[HISTORY - observed :].sum())
        result = project(
            aggregation="sum",
            history=_history(values[:HISTORY]),
            period=period,
            target=0.0,
            direction="increase",
            seed=k,
        )
        methods.add(result.method)
        inside80 += result.lower80 <= truth <= result.upper80
        inside95 += result.lower95 <= truth <= result.upper95
    return inside80 / SERIES, inside95 / SERIES, methods


def test_the_80_percent_interval_holds_the_outcome_about_80_percent_of_the_time(calibration):
    share80, _, methods = calibration
    assert methods == {"local_trend_weekly"}
    assert 0.80 - TOLERANCE <= share80 <= 0.80 + TOLERANCE


def test_the_95_percent_interval_holds_the_outcome_about_95_percent_of_the_time(calibration):
    _, share95, _ = calibration
    assert 0.95 - TOLERANCE <= share95 <= 1.0


FOLLOWS_WITHIN = 10  # days after a step change, the forecast daily rate is the new one


def test_a_step_change_is_followed_within_ten_days():
    rng = np.random.default_rng(7)
    before = np.full(60, 10.0) + rng.normal(0, 1, 60)
    after = np.full(FOLLOWS_WITHIN, 20.0) + rng.normal(0, 1, FOLLOWS_WITHIN)
    history = _history(np.r_[before, after])
    as_of = FIRST + timedelta(days=len(history) - 1)
    result = project(
        aggregation="sum",
        history=history,
        period=Period(as_of + timedelta(days=1), as_of + timedelta(days=20), as_of),
        target=0.0,
        direction="increase",
        seed=1,
    )
    # The period is the 20 days ahead (none observed): its sum over 20 is the daily rate.
    assert result.projected / 20 == pytest.approx(20.0, rel=0.15)


def _month(as_of: date) -> Period:
    return Period(as_of.replace(day=1), date(as_of.year, as_of.month, 31), as_of)


def test_a_level_is_forecast_as_its_value_on_the_last_day_not_a_sum():
    # Followers growing by 10 a day: 1,000 on 1 January, 1,300 on 31 January.
    history = _history([1000 + 10 * i + (i % 3) for i in range(15)])
    result = project(
        aggregation="last",
        history=history,
        period=_month(date(2026, 1, 15)),
        target=1250,
        direction="increase",
        seed=3,
    )
    assert result.method == "random_walk"
    assert 1100 <= result.lower80 <= result.projected <= result.upper80 <= 1400


def test_a_ratio_is_the_ratio_of_the_two_projected_sums():
    rng = np.random.default_rng(5)
    clicks = _history(100 + rng.normal(0, 10, 40))
    conversions = _history(5 + rng.normal(0, 1, 40))
    result = project(
        aggregation="ratio",
        history=conversions,
        denominator=clicks,
        period=Period(date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 9)),
        target=0.06,
        direction="increase",
        seed=4,
    )
    assert result.method == "local_trend_weekly"
    assert result.lower80 <= 0.05 <= result.upper80
    assert result.probability < 0.2  # 6 % is well above the 5 % rate


def test_an_average_is_the_mean_per_day_over_the_period():
    history = _history([40 + (i % 2) for i in range(14)])
    result = project(
        aggregation="avg",
        history=history,
        period=_month(date(2026, 1, 14)),
        target=40,
        direction="increase",
        seed=2,
    )
    assert result.method == "mean_rate"
    assert result.projected == pytest.approx(40.5, abs=0.5)


def test_a_short_history_falls_back_to_the_mean_daily_rate_and_says_so():
    history = _history([10, 12, 9, 11, 10, 13, 8, 10, 11, 12])
    result = project(
        aggregation="sum",
        history=history,
        period=_month(date(2026, 1, 10)),
        target=300,
        direction="increase",
        seed=9,
    )
    assert (result.method, result.history_days) == ("mean_rate", 10)
    # 106 so far and 21 days at about 10.6: about 329.
    assert result.projected == pytest.approx(329, rel=0.05)
    assert 0.5 < result.probability < 1.0


def test_below_seven_days_there_is_no_forecast_only_the_reason():
    result = project(
        aggregation="sum",
        history=_history([10, 12, 9]),
        period=_month(date(2026, 1, 3)),
        target=300,
        direction="increase",
        seed=9,
    )
    assert result.projected is None and result.probability is None
    assert result.reason == "only 3 day(s) of history; a forecast needs at least 7"
    assert projection.answer(result, target=300, what="leads").startswith("no forecast: only 3")


def test_a_decrease_kpi_reaches_its_target_by_staying_below_it():
    history = _history([10.0 + (i % 2) for i in range(14)])  # about 10.5 a day
    period = _month(date(2026, 1, 14))
    common = dict(aggregation="sum", history=history, period=period, seed=1)
    up = project(target=300, direction="increase", **common)
    down = project(target=300, direction="decrease", **common)
    assert up.probability > 0.95 and down.probability < 0.05


def test_the_same_history_gives_the_same_forecast():
    history = _history(_series(3, 40))
    period = Period(date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 9))
    first, second = (
        project(
            aggregation="sum",
            history=history,
            period=period,
            target=1,
            direction="increase",
            seed=5,
        )
        for _ in range(2)
    )
    assert first == second


def test_the_answer_says_it_in_plain_words():
    result = projection.Projection(
        method="local_trend_weekly",
        history_days=60,
        projected=1340,
        lower80=1180,
        upper80=1510,
        lower95=1100,
        upper95=1600,
        probability=0.22,
    )
    assert projection.answer(result, target=1500, what="leads") == (
        "projected 1,340 leads (80 % interval 1,180–1,510) against a target of 1,500: "
        "22 % chance of making it"
    )
