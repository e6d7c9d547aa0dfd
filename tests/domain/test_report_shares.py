"""Formulas of the channel and share-of-voice reports, on hand-computed data, and their sums."""

import math
import uuid
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.channels.models import SOCIAL_KINDS, default_mode
from api.domain.reports import shares
from api.domain.reports.channels import ChannelSums, compare
from api.domain.reports.figures import Figure
from api.domain.reports.share_of_voice import summarise

# Rates and shares


def test_engagement_rate_is_engagements_per_reach():
    assert shares.engagement_rate(engagements=30, reach=1200) == Figure(0.025)


def test_engagement_rate_without_reach_is_null_with_a_reason():
    assert shares.engagement_rate(engagements=30, reach=0) == Figure(
        None, "no reach or impressions in the window"
    )


def test_cost_per_lead():
    assert shares.cost_per_lead(cost=600, leads=8) == Figure(75)
    assert shares.cost_per_lead(cost=600, leads=0).reason == "no leads in the window"
    assert shares.cost_per_lead(cost=None, leads=8).value is None


def test_a_free_channel_has_a_cost_per_lead_of_zero():
    assert shares.cost_per_lead(cost=0, leads=4) == Figure(0)


def test_shares_of_total_add_up_to_one():
    parts = shares.shares_of_total({"a": 1, "b": 3}, what="leads")

    assert parts == {"a": Figure(0.25), "b": Figure(0.75)}


def test_shares_of_nothing_are_null():
    assert shares.shares_of_total({"a": 0}, what="leads") == {
        "a": Figure(None, "no leads in the window")
    }


def test_company_share_and_average_sentiment():
    assert shares.company_share(company=3, competitor=1) == Figure(0.75)
    assert shares.company_share(company=0, competitor=0).value is None
    assert shares.average_sentiment(score_sum=-1.5, mentions=3) == Figure(-0.5)
    assert shares.average_sentiment(score_sum=0, mentions=0).reason == "no company mentions"


# Budgets


def test_a_budget_is_spread_over_its_days_and_split_across_its_channels():
    # 3,650 over 365 days, 31 of them in the window, on two channels.
    part = shares.budget_share(
        budget=3650,
        channels=2,
        start=date(2027, 1, 1),
        end=date(2027, 12, 31),
        window_start=date(2027, 3, 1),
        window_end=date(2027, 3, 31),
    )

    assert part == pytest.approx(155)


def test_a_campaign_inside_the_window_counts_its_whole_budget():
    part = shares.budget_share(
        budget=900,
        channels=3,
        start=date(2027, 3, 5),
        end=date(2027, 3, 9),
        window_start=date(2027, 1, 1),
        window_end=date(2027, 12, 31),
    )

    assert part == pytest.approx(300)


def test_a_campaign_outside_the_window_costs_nothing_in_it():
    part = shares.budget_share(
        budget=900,
        channels=1,
        start=date(2027, 5, 1),
        end=date(2027, 5, 9),
        window_start=date(2027, 3, 1),
        window_end=date(2027, 3, 31),
    )

    assert part == 0


# Trends


def test_the_trend_is_the_least_squares_slope_per_period():
    trend = shares.trend([1.0, 2.0, 4.0])

    # x = 0, 1, 2; mean x 1, mean y 7/3; slope = (−1·−4/3 + 1·5/3) / 2 = 1.5
    assert trend.slope == Figure(1.5)
    assert trend.change == Figure(3.0)
    assert trend.periods_used == 3


def test_periods_without_a_value_keep_their_place_in_the_trend():
    trend = shares.trend([0.4, None, None, -0.2])

    assert trend.slope.value == pytest.approx(-0.2)
    assert trend.change.value == pytest.approx(-0.6)


def test_one_period_has_no_trend():
    trend = shares.trend([None, 0.3])

    assert trend.slope == Figure(None, "fewer than two periods with a value")
    assert trend.periods_used == 1


@given(st.floats(-1, 1), st.floats(-1, 1), st.integers(2, 12))
def test_a_straight_line_has_its_own_slope(intercept, slope, periods):
    values = [intercept + slope * x for x in range(periods)]

    assert shares.trend(values).slope.value == pytest.approx(slope, abs=1e-9)


# Channel rows, groups and totals

KINDS = st.sampled_from(["linkedin", "x", "mastodon", "email", "newsletter", "press", "event"])
AMOUNTS = st.floats(0, 1e6, allow_nan=False).map(lambda v: round(v, 2))


@st.composite
def channel_sums(draw) -> ChannelSums:
    kind = draw(KINDS)
    return ChannelSums(
        channel_id=uuid.uuid4(),
        name=kind,
        kind=kind,
        mode=draw(st.sampled_from(["push", "conversational", default_mode(kind)])),
        reach=draw(AMOUNTS),
        engagements=draw(AMOUNTS),
        leads=draw(AMOUNTS),
        cost=draw(st.none() | AMOUNTS),
    )


def test_groups_and_total_add_up_hand_made_channels():
    channels = [
        ChannelSums(uuid.uuid4(), "LinkedIn", "linkedin", "conversational", 1000, 50, 5, 155),
        ChannelSums(uuid.uuid4(), "Email", "email", "push", 500, 0, 15, 155),
        ChannelSums(uuid.uuid4(), "Press", "press", "push", 0, 0, 0, None),
    ]

    compared = compare(channels)

    push, conversational = compared.by_mode
    assert (push.group, push.channels, push.figures.cost) == ("push", 2, 155)
    assert push.figures.cost_per_lead == Figure(Decimal(155) / 15)
    assert conversational.figures.engagement_share == Figure(1.0)
    assert compared.total.figures.engagement_rate == Figure(50 / 1500)
    assert compared.total.figures.cost_per_lead == Figure(310 / 20)
    assert [row.figures.lead_share for row in compared.rows] == [
        Figure(0.25),
        Figure(0.75),
        Figure(0.0),
    ]


def _sums(rows, attribute):
    return sum(getattr(row.figures, attribute) for row in rows)


@given(st.lists(channel_sums(), max_size=12))
def test_the_total_and_every_grouping_equal_the_sum_of_the_channel_rows(channels):
    compared = compare(channels)
    total = compared.total.figures

    for attribute in ("reach", "engagements", "leads"):
        assert getattr(total, attribute) == pytest.approx(_sums(compared.rows, attribute))
        for groups in (compared.by_mode, compared.by_family):
            assert getattr(total, attribute) == pytest.approx(_sums(groups, attribute))
    costs = [row.figures.cost for row in compared.rows if row.figures.cost is not None]
    assert total.cost == (pytest.approx(sum(costs)) if costs else None)
    assert compared.total.channels == len(channels) == sum(g.channels for g in compared.by_mode)
    assert sum(g.channels for g in compared.by_family) == len(channels)
    social = next(g for g in compared.by_family if g.group == "social")
    assert social.channels == sum(1 for c in channels if c.kind in SOCIAL_KINDS)


@given(st.lists(channel_sums(), min_size=1, max_size=12))
def test_shares_of_total_add_up_to_one_when_there_is_a_total(channels):
    compared = compare(channels)

    for attribute, total in (
        ("engagement_share", compared.total.figures.engagements),
        ("lead_share", compared.total.figures.leads),
    ):
        parts = [getattr(row.figures, attribute).value for row in compared.rows]
        if total:
            assert math.fsum(parts) == pytest.approx(1.0)
        else:
            assert parts == [None] * len(channels)


# Share of voice periods and overall

COUNTS = st.integers(0, 50).map(float)


@st.composite
def period_sums(draw) -> dict:
    company = draw(COUNTS)
    return {
        "mentions": company,
        "competitor_mentions": draw(COUNTS),
        "industry_mentions": draw(COUNTS),
        "sentiment_score_sum": draw(st.floats(-1, 1)) * company,
    }


@given(st.lists(period_sums(), min_size=1, max_size=6))
def test_overall_mentions_are_the_sum_of_the_periods(monthly):
    starts = [date(2027, month, 1) for month in range(1, len(monthly) + 1)]

    report = summarise(
        day_from=starts[0],
        day_to=date(2027, len(monthly), 28),
        granularity="month",
        sums=dict(zip(starts, monthly, strict=True)),
    )

    overall = report.overall.voice
    for key, attribute in (
        ("mentions", "company_mentions"),
        ("competitor_mentions", "competitor_mentions"),
        ("industry_mentions", "industry_mentions"),
    ):
        total = sum(m[key] for m in monthly)
        periods = [getattr(p.voice, attribute) or 0.0 for p in report.periods]
        assert (getattr(overall, attribute) or 0.0) == pytest.approx(total) == sum(periods)
    company = sum(m["mentions"] for m in monthly)
    score_sum = math.fsum(m["sentiment_score_sum"] for m in monthly)
    if company:
        assert overall.average_sentiment.value == pytest.approx(score_sum / company)
    else:
        assert overall.average_sentiment.value is None


def test_summarise_lists_every_period_and_divides_the_window_sums():
    report = summarise(
        day_from=date(2027, 1, 1),
        day_to=date(2027, 3, 31),
        granularity="month",
        sums={
            date(2027, 1, 1): {"mentions": 2, "competitor_mentions": 2, "sentiment_score_sum": 0.8},
            date(2027, 3, 1): {"mentions": 1, "sentiment_score_sum": -0.2},
        },
    )

    assert [p.period_start for p in report.periods] == [
        date(2027, 1, 1),
        date(2027, 2, 1),
        date(2027, 3, 1),
    ]
    assert report.periods[1].voice.company_mentions is None
    assert report.overall.voice.company_share == Figure(0.6)
    assert report.overall.voice.average_sentiment.value == pytest.approx(0.2)
    assert report.sentiment_trend.change.value == pytest.approx(-0.6)
