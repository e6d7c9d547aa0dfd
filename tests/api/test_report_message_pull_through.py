"""Message pull-through against hand-computed figures: shares, sentiment, trend, answer, CSV."""

from __future__ import annotations

import csv
import io

import pytest

from api.db import database_for
from tests.api import builders
from tests.api.test_key_messages import mention, message, publish
from tests.factories import Factory

EASY = {"name": "Easy to set up", "phrases": ["easy to set up", "easy setup"]}
FAIR = {"name": "Fair price", "phrases": ["fair price"]}
# Our posts: (published at, text) → the messages each carries.
POSTS = [
    ("2026-09-10T09:00:00Z", "Easy setup for everyone"),  # easy (September)
    ("2026-10-05T09:00:00Z", "Easy to set up in minutes"),  # easy
    ("2026-10-12T09:00:00Z", "Our fair prices"),  # fair
    ("2026-10-18T09:00:00Z", "A fair price, always"),  # fair
    ("2026-10-20T09:00:00Z", "Nothing to see"),
    ("2026-10-25T09:00:00Z", "Easy setups, fair price"),  # easy, fair
    ("2026-11-03T09:00:00Z", "Autumn news"),
]
# What people say: (posted at, topic, text, sentiment score).
MENTIONS = [
    ("2026-09-14T09:00:00Z", "company", "so EASY to set up!", 0.5),  # easy
    ("2026-09-15T09:00:00Z", "company", "meh", 0.0),
    ("2026-10-06T09:00:00Z", "company", "Éasy setup indeed", 0.8),  # easy
    ("2026-10-07T09:00:00Z", "company", "easy to set up", 0.4),  # easy
    ("2026-10-08T09:00:00Z", "company", "expensive", -0.5),
    ("2026-10-09T09:00:00Z", "company", "fair prices", 0.2),  # fair
    ("2026-10-10T09:00:00Z", "competitor", "Rival is easy to set up", 0.6),  # easy
    ("2026-10-11T09:00:00Z", "competitor", "rival rocks", 0.1),
    ("2026-10-11T10:00:00Z", "industry", "easy to set up, the whole industry", 0.3),
    ("2026-11-05T09:00:00Z", "company", "easysetup", 0.0),  # not a whole word
    ("2026-11-06T09:00:00Z", "company", "hello", 0.0),
    ("2026-11-07T09:00:00Z", "company", "easy to set up", -0.2),  # easy
    ("2026-11-30T23:30:00-02:00", "company", "easy to set up", 1.0),  # December 1 in UTC
]
WINDOW = "from=2026-10-01&to=2026-11-30"


@pytest.fixture(scope="module")
def said(app, settings):
    """An organisation whose strategy has two messages, our posts and mentions (read only)."""
    client = app.test_client()
    org = Factory(database_for(settings)).organisation("Pull-through")
    strategy = builders.strategy(client, org)
    message(client, org, strategy["id"], FAIR)
    message(client, org, strategy["id"], EASY)
    campaign, channel = builders.running_campaign(client, org)
    for published_at, text in POSTS:
        publish(client, org, campaign, channel, text, published_at)
    for posted_at, topic, text, score in MENTIONS:
        mention(client, org, channel, text, posted_at, topic=topic, sentiment_score=score)
    return org, strategy


def report(client, said, query=WINDOW, headers=None):
    org, strategy = said
    response = client.get(
        org.url(f"/reports/message-pull-through?strategy_id={strategy['id']}&{query}"),
        headers=headers or org.headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def counts(figures) -> tuple:
    return tuple(
        figures[k]
        for k in (
            "own_posts",
            "own_posts_carrying",
            "company_mentions",
            "company_mentions_carrying",
            "competitor_mentions",
            "competitor_mentions_carrying",
        )
    )


def test_how_often_we_say_it_and_others_repeat_it_per_month(client, said):
    easy, fair = report(client, said).get_json()["messages"]

    assert (easy["name"], fair["name"]) == ("Easy to set up", "Fair price")
    october, november = easy["periods"]
    assert (october["period_start"], october["period_end"]) == ("2026-10-01", "2026-10-31")
    assert counts(october) == (5, 2, 4, 2, 2, 1)
    assert october["own_share"] == pytest.approx(0.4)
    assert october["company_share"] == pytest.approx(0.5)
    assert october["company_sentiment"] == pytest.approx(0.6)
    assert october["competitor_share"] == pytest.approx(0.5)
    assert october["competitor_sentiment"] == pytest.approx(0.6)
    assert counts(november) == (1, 0, 3, 1, 0, 0)
    assert november["company_share"] == pytest.approx(1 / 3)
    assert november["company_sentiment"] == pytest.approx(-0.2)
    fair_october = fair["periods"][0]
    assert counts(fair_october) == (5, 3, 4, 1, 2, 0)
    assert fair_october["own_share"] == pytest.approx(0.6)
    assert fair_october["company_share"] == pytest.approx(0.25)
    assert fair_october["competitor_share"] == 0


def test_a_share_over_nothing_is_null_with_a_reason(client, said):
    easy, fair = report(client, said).get_json()["messages"]

    november = easy["periods"][1]
    assert november["competitor_share"] is None
    assert november["competitor_share_reason"] == "no mentions of competitors"
    assert fair["periods"][0]["competitor_sentiment"] is None
    assert (
        fair["periods"][0]["competitor_sentiment_reason"]
        == "no mentions of competitors carry the message"
    )


def test_each_period_is_compared_with_the_one_before(client, said):
    easy, fair = report(client, said).get_json()["messages"]

    october, november = easy["periods"]
    # September, before the window: 1 post of 1 carries it, 1 mention of us of 2.
    assert october["previous_company_share"] == pytest.approx(0.5)
    assert october["company_share_change"] == pytest.approx(0)
    assert october["own_share_change"] == pytest.approx(0.4 - 1.0)
    assert november["previous_company_share"] == pytest.approx(0.5)
    assert november["company_share_change"] == pytest.approx(1 / 3 - 0.5)
    assert november["own_share_change"] == pytest.approx(-0.4)
    assert fair["periods"][0]["company_share_change"] == pytest.approx(0.25)
    trend = easy["company_share_trend"]
    assert trend["change"] == pytest.approx(1 / 3 - 0.5)
    assert trend["periods_used"] == 2


def test_the_whole_window_adds_up_counts_before_dividing(client, said):
    easy = report(client, said).get_json()["messages"][0]

    overall = easy["overall"]
    assert (overall["period_start"], overall["period_end"]) == ("2026-10-01", "2026-11-30")
    assert counts(overall) == (6, 2, 7, 3, 2, 1)
    assert overall["own_share"] == pytest.approx(1 / 3)
    assert overall["company_share"] == pytest.approx(3 / 7)
    assert overall["company_sentiment"] == pytest.approx((0.8 + 0.4 - 0.2) / 3)


def test_the_answer_reads_the_last_period_in_plain_words(client, said):
    easy, fair = report(client, said).get_json()["messages"]

    assert easy["verdict"] == "pulled_through"
    assert easy["answer"] == (
        "Yes: 'Easy to set up' is in 0 % of our posts and in 33 % of what people say "
        "about us, down from 50 % (the month from 2026-11-01 to 2026-11-30)."
    )
    assert fair["verdict"] == "not_pulled_through"
    october = report(client, said, "from=2026-10-01&to=2026-10-31").get_json()["messages"][1]
    assert october["verdict"] == "partly"
    assert october["answer"] == (
        "Partly: 'Fair price' is in 60 % of our posts but in 25 % of what people say "
        "about us, up from 0 % (the month from 2026-10-01 to 2026-10-31)."
    )


def test_weeks_start_on_monday_and_hold_only_the_days_asked_for(client, said):
    easy = report(client, said, "from=2026-10-01&to=2026-10-14&period=week").get_json()["messages"][
        0
    ]

    assert [(p["period_start"], p["period_end"]) for p in easy["periods"]] == [
        ("2026-09-28", "2026-10-04"),
        ("2026-10-05", "2026-10-11"),
        ("2026-10-12", "2026-10-14"),
    ]
    assert counts(easy["periods"][1]) == (1, 1, 4, 2, 2, 1)
    assert counts(easy["periods"][0]) == (0, 0, 0, 0, 0, 0)
    assert easy["periods"][0]["own_share_reason"] == "no posts of ours"


def test_csv_has_a_row_per_message_and_period_then_the_window(client, said):
    response = report(client, said, headers={**said[0].headers, "Accept": "text/csv"})

    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["level"], r["name"], r["period_start"]) for r in rows] == [
        ("period", "Easy to set up", "2026-10-01"),
        ("period", "Easy to set up", "2026-11-01"),
        ("overall", "Easy to set up", "2026-10-01"),
        ("period", "Fair price", "2026-10-01"),
        ("period", "Fair price", "2026-11-01"),
        ("overall", "Fair price", "2026-10-01"),
    ]
    assert float(rows[0]["company_share"]) == pytest.approx(0.5)
    assert rows[1]["competitor_share"] == ""
    assert rows[2]["answer"].startswith("Yes: 'Easy to set up'")


def test_the_query_count_does_not_grow_with_the_messages(client, factory, count_queries):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org)
    message(client, org, strategy["id"], EASY)
    mention(client, org, channel, "easy to set up and a fair price", "2026-10-06T09:00:00Z")
    mine = (org, strategy)
    report(client, mine)  # the key's last use is fresh
    with count_queries() as one:
        report(client, mine)
    message(client, org, strategy["id"], FAIR)
    message(client, org, strategy["id"], {"name": "Third", "phrases": ["third"]})
    with count_queries() as three:
        body = report(client, mine).get_json()

    assert len(body["messages"]) == 3
    assert three.count == one.count


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-10-01&to=2026-11-30&period=day", "period"),
        ("from=2026-11-30&to=2026-10-01", "to"),
        ("to=2026-10-01", "from"),
    ],
)
def test_bad_parameters_are_422(client, said, query, field):
    org, strategy = said
    response = client.get(
        org.url(f"/reports/message-pull-through?strategy_id={strategy['id']}&{query}"),
        headers=org.headers,
    )

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_an_unknown_strategy_is_404_and_no_strategy_422(client, said):
    org, _ = said
    unknown = org.url(
        "/reports/message-pull-through?strategy_id=01a2375d-4f21-721d-aab8-222934870131&" + WINDOW
    )
    assert client.get(unknown, headers=org.headers).status_code == 404
    missing = client.get(org.url(f"/reports/message-pull-through?{WINDOW}"), headers=org.headers)
    assert missing.status_code == 422
