"""Share of voice and sentiment from mentions: per period, overall, trends, CSV, bad parameters."""

import csv
import io

import pytest

from tests.api import builders
from tests.factories import bearer

WINDOW = "from=2027-01-01&to=2027-03-31"


def mention(client, org, channel, posted_at, topic="company", score=0.0):
    builders.created(
        client.post(
            org.url("/mentions"),
            headers=org.headers,
            json={
                "channel_id": channel["id"],
                "text": "Acme again",
                "posted_at": posted_at,
                "topic": topic,
                "sentiment_score": score,
            },
        )
    )


def report(client, org, query=WINDOW, headers=None):
    response = client.get(
        org.url(f"/reports/share-of-voice?{query}"), headers=headers or org.headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def counts(period) -> tuple:
    return (
        period["company_mentions"],
        period["competitor_mentions"],
        period["industry_mentions"],
    )


@pytest.fixture
def org_with_mentions(client, factory):
    """January: 2 company (0.5, 0.3), 2 competitor, 1 industry; February: none;
    March: 1 company (-0.2) on another channel; one more on April 1 in UTC."""
    org = factory.organisation()
    linkedin = builders.channel(client, org)
    x = builders.channel(client, org, kind="x", name="X")
    mention(client, org, linkedin, "2027-01-04T09:00:00Z", score=0.5)
    mention(client, org, linkedin, "2027-01-20T09:00:00Z", score=0.3)
    mention(client, org, linkedin, "2027-01-05T09:00:00Z", topic="competitor", score=0.9)
    mention(client, org, x, "2027-01-31T22:00:00Z", topic="competitor", score=-0.9)
    mention(client, org, x, "2027-01-06T09:00:00Z", topic="industry", score=0.1)
    mention(client, org, x, "2027-03-15T09:00:00Z", score=-0.2)
    mention(client, org, x, "2027-03-31T23:30:00-02:00", score=1.0)  # April 1, 01:30 UTC
    return org


def test_monthly_mentions_share_and_sentiment(client, org_with_mentions):
    body = report(client, org_with_mentions)

    january, _, march = body["periods"]
    assert (january["period_start"], january["period_end"]) == ("2027-01-01", "2027-01-31")
    assert counts(january) == (2, 2, 1)
    assert january["company_share"] == pytest.approx(0.5)
    assert january["average_sentiment"] == pytest.approx(0.4)
    assert january["sentiment_score_sum"] == pytest.approx(0.8)
    assert counts(march) == (1, 0, 0)
    assert march["company_share"] == 1
    assert march["average_sentiment"] == pytest.approx(-0.2)


def test_a_period_without_mentions_is_null_with_reasons(client, org_with_mentions):
    february = report(client, org_with_mentions)["periods"][1]

    assert counts(february) == (None, None, None)
    assert february["sentiment_score_sum"] is None
    assert february["company_share"] is None and february["average_sentiment"] is None
    assert february["company_share_reason"] == "no mentions"


def test_overall_divides_the_sums_never_averaging_averages(client, org_with_mentions):
    overall = report(client, org_with_mentions)["overall"]

    assert (overall["period_start"], overall["period_end"]) == ("2027-01-01", "2027-03-31")
    assert counts(overall) == (3, 2, 1)
    assert overall["company_share"] == pytest.approx(0.6)
    # (0.5 + 0.3 - 0.2) / 3, not the mean of January's 0.4 and March's -0.2.
    assert overall["average_sentiment"] == pytest.approx(0.2)


def test_trends_over_the_periods_with_a_value(client, org_with_mentions):
    body = report(client, org_with_mentions)

    # Averages 0.4 (x=0) and -0.2 (x=2): February keeps its place.
    assert body["sentiment_trend"]["slope"] == pytest.approx(-0.3)
    assert body["sentiment_trend"]["change"] == pytest.approx(-0.6)
    assert body["sentiment_trend"]["periods_used"] == 2
    assert body["share_trend"]["slope"] == pytest.approx(0.25)
    assert body["share_trend"]["change"] == pytest.approx(0.5)


def test_weekly_periods_start_on_monday_and_keep_to_the_range(client, org_with_mentions):
    body = report(client, org_with_mentions, "from=2027-01-01&to=2027-01-10&granularity=week")

    assert [(p["period_start"], p["period_end"]) for p in body["periods"]] == [
        ("2026-12-28", "2027-01-03"),
        ("2027-01-04", "2027-01-10"),
    ]
    assert counts(body["periods"][0]) == (None, None, None)
    assert counts(body["periods"][1]) == (1, 1, 1)
    assert body["sentiment_trend"]["slope_reason"] == "fewer than two periods with a value"
    assert body["inputs"] == {
        "source": "derived",
        "metric_keys": [
            "mentions",
            "sentiment_score_sum",
            "competitor_mentions",
            "industry_mentions",
        ],
    }


def test_a_mention_moved_to_another_topic_moves_in_the_report(client, org_with_mentions):
    org = org_with_mentions
    listed = client.get(org.url("/mentions?topic=industry"), headers=org.headers).get_json()
    industry = listed["items"][0]
    response = client.patch(
        org.url(f"/mentions/{industry['id']}"), headers=org.headers, json={"topic": "competitor"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    january = report(client, org)["periods"][0]

    assert counts(january) == (2, 3, 0)
    assert january["company_share"] == pytest.approx(0.4)


def test_mention_points_sent_by_clients_are_not_counted(client, factory):
    org = factory.organisation()
    channel = builders.channel(client, org)
    response = client.post(
        org.url("/metric-points/batch?atomic=true"),
        headers=org.headers,
        json={"points": [{"metric_key": "mentions", "day": "2027-01-04", "value": 50}]},
    )
    assert response.status_code == 200
    mention(client, org, channel, "2027-01-04T09:00:00Z", score=0.5)

    january = report(client, org)["periods"][0]

    assert counts(january) == (1, 0, 0)


def test_only_industry_mentions_give_no_share_and_no_sentiment(client, factory):
    org = factory.organisation()
    mention(client, org, builders.channel(client, org), "2027-01-04T09:00:00Z", topic="industry")

    january = report(client, org)["periods"][0]

    assert counts(january) == (0, 0, 1)
    assert january["company_share_reason"] == "no company or competitor mentions"
    assert january["average_sentiment_reason"] == "no company mentions"


def test_csv_has_a_row_per_period_and_the_overall_figures(client, org_with_mentions):
    org = org_with_mentions

    response = client.get(
        org.url(f"/reports/share-of-voice?{WINDOW}"), headers={**org.headers, "Accept": "text/csv"}
    )

    assert response.status_code == 200 and response.mimetype == "text/csv"
    every_row = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    rows = [r for r in every_row if r["level"] in ("period", "overall")]
    assert [(r["level"], r["period_start"]) for r in rows] == [
        ("period", "2027-01-01"),
        ("period", "2027-02-01"),
        ("period", "2027-03-01"),
        ("overall", "2027-01-01"),
    ]
    # No competitors defined: each totals row is followed by the unnamed competitors' row.
    assert [r["level"] for r in every_row[:2]] == ["period", "period unnamed_competitors"]
    assert rows[1]["company_mentions"] == "" and rows[1]["company_share_reason"] == "no mentions"
    assert float(rows[3]["company_share"]) == pytest.approx(0.6)


def test_an_analyst_can_read_the_report(client, factory, org_with_mentions):
    analyst = bearer(factory.member(org_with_mentions, "analyst"))

    body = report(client, org_with_mentions, headers=analyst)

    assert counts(body["overall"]) == (3, 2, 1)


def test_another_organisations_mentions_are_not_counted(client, factory, org_with_mentions):
    other = factory.organisation("Other")

    body = report(client, other)

    assert all(counts(p) == (None, None, None) for p in body["periods"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2027-03-31&to=2027-03-01", "to"),
        ("from=2020-01-01&to=2025-12-31", "to"),
        ("to=2027-03-31", "from"),
        (f"{WINDOW}&granularity=day", "granularity"),
        (f"{WINDOW}&granularity=year", "granularity"),
    ],
)
def test_bad_parameters_are_422(client, factory, query, field):
    org = factory.organisation()

    response = client.get(org.url(f"/reports/share-of-voice?{query}"), headers=org.headers)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]
