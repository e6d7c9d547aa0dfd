"""The pure rules of the message pull-through report: shares, verdicts and the answer."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from api.domain.reports.message_pull_through import Counts, pull, summarise, verdict_of

OCTOBER, NOVEMBER, DECEMBER = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)


def counts(posts=10, ours=4, us=10, theirs_of_us=2, competitors=0, theirs=0, **more) -> Counts:
    return Counts(
        own_posts=posts,
        own_posts_carrying=ours,
        company_mentions=us,
        company_mentions_carrying=theirs_of_us,
        competitor_mentions=competitors,
        competitor_mentions_carrying=theirs,
        **more,
    )


def last_of(by_start: dict) -> dict:
    return summarise(
        key_message_id=uuid.uuid4(),
        name="Easy to set up",
        starts=[OCTOBER, NOVEMBER, DECEMBER],
        last_day=date(2026, 12, 31),
        period="month",
        counts=by_start,
    )


def test_shares_are_ratios_of_counts_and_sentiment_is_over_those_carrying_it():
    figures = pull(counts(company_score_sum=1.0, competitors=4, theirs=1))

    assert figures.own_share.value == pytest.approx(0.4)
    assert figures.company_share.value == pytest.approx(0.2)
    assert figures.company_sentiment.value == pytest.approx(0.5)
    assert figures.competitor_share.value == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("ours", "theirs_of_us", "us", "verdict"),
    [
        (4, 2, 10, "pulled_through"),  # 20 % of what people say, half of our 40 %
        (4, 1, 10, "partly"),
        (4, 0, 10, "not_pulled_through"),
        (0, 1, 10, "pulled_through"),  # people say it without us
        (4, 0, 0, "not_enough_data"),  # nobody mentioned us
    ],
)
def test_the_verdict_weighs_what_people_repeat_against_what_we_say(ours, theirs_of_us, us, verdict):
    assert verdict_of(pull(counts(ours=ours, theirs_of_us=theirs_of_us, us=us))) == verdict


def test_the_answer_says_when_competitors_carry_it_more():
    message = last_of(
        {
            NOVEMBER: counts(us=10, theirs_of_us=1),
            DECEMBER: counts(ours=4, us=10, theirs_of_us=1, competitors=10, theirs=3),
        }
    )

    assert message.verdict == "partly"
    assert message.answer == (
        "Partly: 'Easy to set up' is in 40 % of our posts but in 10 % of what people say "
        "about us (the month from 2026-12-01 to 2026-12-31); competitors' mentions carry "
        "it more (30 %)."
    )


def test_without_mentions_of_us_there_is_not_enough_data():
    message = last_of({DECEMBER: counts(us=0, theirs_of_us=0)})

    assert message.verdict == "not_enough_data"
    assert message.answer == (
        "Not enough data: nobody mentioned us in the month from 2026-12-01 to 2026-12-31."
    )


def test_without_posts_of_ours_the_answer_says_so():
    message = last_of({DECEMBER: counts(posts=0, ours=0, us=10, theirs_of_us=3)})

    assert message.answer == (
        "Yes: 'Easy to set up' is in none of our posts (we published none) and in 30 % of "
        "what people say about us (the month from 2026-12-01 to 2026-12-31)."
    )
