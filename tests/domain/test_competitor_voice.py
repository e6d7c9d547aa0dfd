"""Competitor by competitor share of voice, from a report's totals and per-competitor counts."""

import uuid
from datetime import date

import pytest

from api.domain.reports.competitor_voice import attach
from api.domain.reports.figures import Figure
from api.domain.reports.share_of_voice import summarise

GLOBEX, INITECH = uuid.UUID(int=1), uuid.UUID(int=2)
COMPETITORS = [(GLOBEX, "Globex"), (INITECH, "Initech")]
JAN, FEB, MAR = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)


def report(totals, counts):
    base = summarise(day_from=JAN, day_to=date(2027, 3, 31), granularity="month", sums=totals)
    return attach(base, counts, COMPETITORS)


@pytest.fixture
def voice():
    """January: 1 company, Globex 2, 1 unnamed; February: none; March: 3 company, Globex 1."""
    return report(
        {
            JAN: {"mentions": 1, "competitor_mentions": 3, "sentiment_score_sum": 0.5},
            MAR: {"mentions": 3, "competitor_mentions": 1, "sentiment_score_sum": 0.3},
        },
        {JAN: {GLOBEX: (2.0, 0.8), None: (1.0, -0.5)}, MAR: {GLOBEX: (1.0, -0.2)}},
    )


def test_shares_are_of_the_company_and_all_competitor_mentions(voice):
    january = voice.periods[0]

    globex, initech = january.competitors
    assert (globex.name, globex.share, globex.average_sentiment) == (
        "Globex",
        Figure(0.5),
        Figure(0.4),
    )
    assert initech.share == Figure(0.0)
    assert initech.average_sentiment == Figure(None, "no mentions of it")
    assert january.unnamed_competitors.share == Figure(0.25)
    total = january.voice.company_share.value + sum(c.share.value for c in january.competitors)
    assert total + january.unnamed_competitors.share.value == pytest.approx(1)


def test_a_period_without_mentions_has_no_share_and_breaks_the_change(voice):
    february, march = voice.periods[1], voice.periods[2]

    assert february.competitors[0].share == Figure(None, "no company or competitor mentions")
    assert february.competitors[0].share_change.value is None
    assert march.competitors[0].share_change == Figure(
        None, "no share in this or the previous period"
    )


def test_the_change_is_against_the_previous_period():
    two_months = report(
        {
            JAN: {"mentions": 1, "competitor_mentions": 1},
            FEB: {"mentions": 3, "competitor_mentions": 1},
        },
        {JAN: {GLOBEX: (1.0, 0.0)}, FEB: {GLOBEX: (1.0, 0.0)}},
    )

    assert two_months.periods[0].competitors[0].share_change == Figure(None, "no previous period")
    assert two_months.periods[1].competitors[0].share_change == Figure(0.25 - 0.5)


def test_overall_divides_the_window_sums_and_gives_the_trend(voice):
    globex = voice.overall.competitors[0]

    assert (globex.mentions, globex.sentiment_score_sum) == (3, pytest.approx(0.6))
    assert globex.share == Figure(3 / 8)
    assert globex.share_trend.periods_used == 2
    assert globex.share_trend.change == Figure(0.25 - 0.5)
    assert globex.share_change.value is None
    assert voice.overall.unnamed_competitors.mentions == 1
