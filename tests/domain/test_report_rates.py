"""The lift and funnel formulas on hand-computed figures; funnels add up to their parts."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.reports import rates
from api.domain.reports.funnel import StageMetrics, funnel_of, funnels_by
from api.domain.reports.lift import WindowFigures, answer, verdict_of

# Daily averages


def test_a_count_metrics_daily_average_counts_days_without_points_as_zero():
    # 3 points adding up to 60 in a 30-day window: 2 a day, not 20.
    figure = rates.daily_average(total=60, days=30, points=3, kind="count", mean=20)

    assert figure == rates.Figure(2.0)


def test_a_levels_daily_average_is_its_average_level_not_its_total_over_days():
    # Followers measured on 3 of 30 days, 60 in all: the level is 20, not 2 a day.
    figure = rates.daily_average(
        total=60, days=30, points=3, kind="count", mean=20, behaviour="level", level=20
    )

    assert figure == rates.Figure(20.0)


def test_a_ratio_metrics_daily_average_is_the_mean_of_its_points():
    figure = rates.daily_average(total=0.9, days=30, points=3, kind="ratio", mean=0.3)

    assert figure == rates.Figure(0.3)


def test_a_window_without_points_has_no_daily_average():
    figure = rates.daily_average(total=0, days=30, points=0, kind="count", mean=None)

    assert figure.value is None
    assert figure.reason == "no data in the window"


# Lift


def test_lift_is_the_difference_and_its_share_of_the_baseline():
    change = rates.lift(current=rates.Figure(12.3), baseline=rates.Figure(10.0))

    assert change.absolute.value == pytest.approx(2.3)
    assert change.relative.value == pytest.approx(0.23)


def test_a_fall_is_a_negative_lift():
    change = rates.lift(current=rates.Figure(6.0), baseline=rates.Figure(8.0))

    assert (change.absolute.value, change.relative.value) == (-2.0, -0.25)


def test_relative_lift_against_a_zero_baseline_is_null_with_a_reason():
    change = rates.lift(current=rates.Figure(5.0), baseline=rates.Figure(0.0))

    assert change.absolute.value == 5.0
    assert change.relative == rates.Figure(None, "the baseline average is 0")


def test_relative_lift_against_a_negative_baseline_keeps_the_direction():
    # A sentiment average from -0.5 to -0.25 is an improvement: +50 %.
    change = rates.lift(current=rates.Figure(-0.25), baseline=rates.Figure(-0.5))

    assert change.relative.value == 0.5


def test_no_lift_is_given_when_a_window_has_no_data():
    change = rates.lift(current=rates.Figure(5.0), baseline=rates.Figure(None, "no data"))

    assert change.absolute == rates.Figure(None, "no data in the baseline window")
    assert change.relative.value is None


# The answer in words


def _window(start, end, average, points=10):
    days = (end - start).days + 1
    return WindowFigures(
        start=start,
        end=end,
        days=days,
        points=points,
        days_with_data=points,
        total=None if average is None else average * days,
        daily_average=rates.Figure(average, None if average is not None else "no data"),
    )


CURRENT = (date(2027, 3, 1), date(2027, 3, 31))
BASELINE = (date(2027, 1, 29), date(2027, 2, 28))


def _answer(now, before, name="Customer interactions", kind="count", scope=""):
    current, baseline = _window(*CURRENT, now), _window(*BASELINE, before)
    change = rates.lift(current=current.daily_average, baseline=baseline.daily_average)
    said = answer(
        name=name, kind=kind, current=current, baseline=baseline, change=change, scope=scope
    )
    return verdict_of(change), said


def test_a_lift_is_answered_yes_with_the_percentage_and_both_averages():
    assert _answer(12.3, 10.0) == (
        "lift",
        "Yes: customer interactions are up 23 % (12.3 a day from 2027-03-01 to 2027-03-31 "
        "against 10 a day from 2027-01-29 to 2027-02-28).",
    )


def test_a_fall_is_answered_no_lift():
    verdict, said = _answer(7.5, 10.0, name="Revenue", scope=" on Company page")

    assert verdict == "no_lift"
    assert said.startswith("No lift: revenue on Company page is down 25 % (7.5 a day")


def test_an_unchanged_average_is_no_lift():
    verdict, said = _answer(10.0, 10.0)

    assert verdict == "no_lift"
    assert said.startswith("No lift: customer interactions are unchanged (10 a day")


def test_a_rise_from_zero_is_a_lift_without_a_percentage():
    verdict, said = _answer(4.0, 0.0)

    assert verdict == "lift"
    assert said.startswith("Yes: customer interactions are up from 0 (4 a day")


def test_a_window_without_data_is_answered_not_enough_data():
    verdict, said = _answer(4.0, None)

    assert verdict == "not_enough_data"
    assert said == (
        "Not enough data: nothing recorded for customer interactions from 2027-01-29 "
        "to 2027-02-28 (the baseline window)."
    )


def test_a_ratio_is_compared_on_average_not_per_day():
    _, said = _answer(0.06, 0.05, name="NPS", kind="ratio")

    assert said == (
        "Yes: NPS is up 20 % (0.06 on average from 2027-03-01 to 2027-03-31 "
        "against 0.05 on average from 2027-01-29 to 2027-02-28)."
    )


# Conversion rates


def test_a_conversion_rate_is_the_next_stage_over_this_one():
    assert rates.conversion_rate(from_total=400, to_total=10, from_stage="lead").value == 0.025


def test_a_conversion_rate_from_an_empty_stage_is_null_with_a_reason():
    rate = rates.conversion_rate(from_total=0, to_total=3, from_stage="lead")

    assert rate == rates.Figure(None, "the lead stage total is 0")


# The funnel

STAGES = [
    StageMetrics("awareness", ["impressions", "reach"]),
    StageMetrics("engagement", ["clicks", "customer_interactions"]),
    StageMetrics("lead", ["leads"]),
]


def test_a_stage_adds_up_its_metrics_and_converts_into_the_next():
    # These stages name no parts: every metric counts.
    funnel = funnel_of(STAGES, [{"impressions": 900, "reach": 100, "clicks": 40, "leads": 2}])

    assert [(s.stage, s.total) for s in funnel.stages] == [
        ("awareness", 1000),
        ("engagement", 40),
        ("lead", 2),
    ]
    assert [m.key for m in funnel.stages[1].metrics] == ["clicks"]
    assert [(c.from_stage, c.to_stage, c.rate.value) for c in funnel.conversions] == [
        ("awareness", "engagement", 0.04),
        ("engagement", "lead", 0.05),
    ]


KEYS = [key for s in STAGES for key in s.metric_keys]
GROUPED_SUMS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", None]),
        st.sampled_from(KEYS),
        st.integers(min_value=0, max_value=10**9).map(float),
    ),
    max_size=40,
)


def cells_of(groups) -> dict:
    """(channel, metric key, total) rows as cells of one campaign (None)."""
    cells: dict = {}
    for group, key, total in groups:
        cell = cells.setdefault((group, None), {})
        cell[key] = cell.get(key, 0.0) + total
    return cells


@given(GROUPED_SUMS)
def test_each_stage_total_is_the_sum_of_its_metrics(groups):
    for funnel in funnels_by(STAGES, cells_of(groups), 0).values():
        for stage in funnel.stages:
            assert stage.total == sum(m.counted for m in stage.metrics)
            assert stage.total == sum(m.total for m in stage.metrics)  # no parts here


@given(GROUPED_SUMS)
def test_the_whole_funnel_is_the_sum_of_its_groups(groups):
    cells = cells_of(groups)
    parts = funnels_by(STAGES, cells, 0)

    whole = funnel_of(STAGES, cells.values())

    for i, stage in enumerate(whole.stages):
        assert stage.total == sum(part.stages[i].total for part in parts.values())
    assert sum(s.total for s in whole.stages) == sum(total for _, _, total in groups)
