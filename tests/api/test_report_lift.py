"""Lift: a metric's daily average in a window against a baseline window, answered in words."""

import pytest

from tests.api import builders
from tests.api.builders import ingest
from tests.factories import Factory, bearer
from tests.helpers import embedded_app

INTERACTIONS = "customer_interactions"


def p(day, value, metric_key=INTERACTIONS, **fields):
    return {"metric_key": metric_key, "day": day, "value": value, **fields}


def lift(client, org, query, headers=None):
    return client.get(org.url(f"/reports/lift?{query}"), headers=headers or org.headers)


def lifted(client, org, query, headers=None) -> dict:
    response = lift(client, org, query, headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


MARCH = "from=2027-03-01&to=2027-03-10"


def test_a_lift_in_customer_interactions_is_answered_yes_with_its_figures(client, factory):
    org = factory.organisation()
    ingest(
        client,
        org,
        [
            # Baseline (the 10 days before 1 March): 100 in all, on two days only.
            p("2027-02-19", 60),
            p("2027-02-28", 40, source="import"),
            # Window: 123 in all.
            p("2027-03-01", 100),
            p("2027-03-10", 23),
            p("2027-03-11", 1000),  # after the window
            p("2027-03-05", 500, metric_key="leads"),  # another metric
        ],
    )

    body = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}")

    # Days without points count as zero: 123 / 10 days against 100 / 10 days.
    assert body["window"] == {
        "from": "2027-03-01",
        "to": "2027-03-10",
        "days": 10,
        "points": 2,
        "days_with_data": 2,
        "total": 123,
        "daily_average": 12.3,
        "daily_average_reason": None,
    }
    assert (body["baseline"]["from"], body["baseline"]["to"]) == ("2027-02-19", "2027-02-28")
    assert (body["baseline"]["total"], body["baseline"]["daily_average"]) == (100, 10)
    assert body["baseline_default"] is True
    assert body["absolute_lift"] == pytest.approx(2.3)
    assert body["relative_lift"] == pytest.approx(0.23)
    assert body["verdict"] == "lift"
    assert body["answer"] == (
        "Yes: customer interactions are up 23 % (12.3 a day from 2027-03-01 to 2027-03-10 "
        "against 10 a day from 2027-02-19 to 2027-02-28)."
    )
    assert (body["metric"], body["metric_name"], body["kind"]) == (
        INTERACTIONS,
        "Customer interactions",
        "count",
    )


def test_a_baseline_window_can_be_given(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("2026-03-01", 31), p("2027-03-01", 20)])

    body = lifted(
        client,
        org,
        f"metric={INTERACTIONS}&{MARCH}&baseline_from=2026-03-01&baseline_to=2026-03-31",
    )

    assert body["baseline_default"] is False
    assert (body["baseline"]["days"], body["baseline"]["daily_average"]) == (31, 1)
    assert (body["window"]["daily_average"], body["absolute_lift"]) == (2, 1)
    assert body["relative_lift"] == 1.0


def test_a_fall_is_no_lift(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("2027-02-25", 50), p("2027-03-02", 40)])

    body = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}")

    assert (body["absolute_lift"], body["relative_lift"]) == (-1, -0.2)
    assert body["verdict"] == "no_lift"
    assert body["answer"].startswith("No lift: customer interactions are down 20 %")


def test_a_zero_baseline_gives_no_relative_lift_and_says_why(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("2027-02-25", 0), p("2027-03-02", 40)])

    body = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}")

    assert (body["absolute_lift"], body["absolute_lift_reason"]) == (4, None)
    assert body["relative_lift"] is None
    assert body["relative_lift_reason"] == "the baseline average is 0"
    assert body["verdict"] == "lift"


def test_without_points_in_a_window_there_is_not_enough_data(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("2027-03-02", 40)])

    body = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}")

    assert body["baseline"]["daily_average"] is None
    assert body["baseline"]["daily_average_reason"] == "no data in the window"
    assert body["absolute_lift"] is None and body["relative_lift"] is None
    assert body["relative_lift_reason"] == "no data in the baseline window"
    assert body["verdict"] == "not_enough_data"
    assert body["answer"].startswith("Not enough data")


def test_a_campaign_or_a_channel_narrows_the_points(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ingest(
        client,
        org,
        [
            p("2027-02-25", 10, campaign_id=campaign["id"]),
            p("2027-03-02", 30, campaign_id=campaign["id"]),
            p("2027-02-25", 50, channel_id=channel["id"]),
            p("2027-03-02", 5, channel_id=channel["id"]),
            p("2027-03-02", 999),
        ],
    )

    of_campaign = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}&campaign_id={campaign['id']}")
    of_channel = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}&channel_id={channel['id']}")

    assert (of_campaign["window"]["total"], of_campaign["baseline"]["total"]) == (30, 10)
    assert of_campaign["campaign_id"] == campaign["id"]
    assert of_campaign["answer"].startswith(
        "Yes: customer interactions for the campaign Spring reseller push are up 200 %"
    )
    assert (of_channel["window"]["total"], of_channel["baseline"]["total"]) == (5, 50)
    assert of_channel["answer"].startswith(
        "No lift: customer interactions on Company page are down 90 %"
    )


def test_any_metric_works_including_the_organisations_own(client, factory):
    org = factory.organisation()
    client.post(
        org.url("/metric-definitions"),
        headers=org.headers,
        json={"key": "demo_requests", "name": "Demo requests", "kind": "count"},
    )
    ingest(
        client, org, [p("2027-02-25", 10, "demo_requests"), p("2027-03-02", 15, "demo_requests")]
    )

    body = lifted(client, org, f"metric=demo_requests&{MARCH}")

    assert body["relative_lift"] == 0.5
    assert body["answer"].startswith("Yes: demo requests are up 50 %")


def test_a_ratio_metric_compares_the_mean_of_its_points(client, factory):
    org = factory.organisation()
    client.post(
        org.url("/metric-definitions"),
        headers=org.headers,
        json={"key": "reply_rate", "name": "Reply rate", "kind": "ratio"},
    )
    ingest(
        client,
        org,
        [
            p("2027-02-25", 0.2, "reply_rate"),
            p("2027-03-02", 0.3, "reply_rate"),
            p("2027-03-03", 0.5, "reply_rate"),
        ],
    )

    body = lifted(client, org, f"metric=reply_rate&{MARCH}")

    assert body["window"]["total"] is None
    assert (body["window"]["daily_average"], body["baseline"]["daily_average"]) == (0.4, 0.2)
    assert body["relative_lift"] == 1.0
    assert "0.4 on average" in body["answer"]


def test_lift_as_csv(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("2027-02-25", 10), p("2027-03-02", 20)])

    response = lift(
        client, org, f"metric={INTERACTIONS}&{MARCH}", {**org.headers, "Accept": "text/csv"}
    )

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, row = response.get_data(as_text=True).splitlines()
    record = dict(zip(header.split(","), row.split(","), strict=False))
    assert record["metric"] == INTERACTIONS
    assert (record["window_daily_average"], record["baseline_daily_average"]) == ("2.0", "1.0")
    assert (record["relative_lift"], record["verdict"]) == ("1.0", "lift")


def test_an_analyst_can_read_the_lift(client, factory):
    org = factory.organisation()
    analyst = bearer(factory.member(org, "analyst"))

    assert lift(client, org, f"metric={INTERACTIONS}&{MARCH}", analyst).status_code == 200


# Bad parameters


def assert_422(response, field):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert field in str(response.get_json()["errors"])


def test_an_unknown_metric_is_refused(client, factory):
    org = factory.organisation()

    assert_422(lift(client, org, f"metric=no_such_metric&{MARCH}"), "metric")


def test_an_inverted_window_is_refused(client, factory):
    org = factory.organisation()

    response = lift(client, org, f"metric={INTERACTIONS}&from=2027-03-10&to=2027-03-01")

    assert_422(response, "to")


def test_an_inverted_baseline_window_is_refused(client, factory):
    org = factory.organisation()
    query = f"metric={INTERACTIONS}&{MARCH}&baseline_from=2027-02-10&baseline_to=2027-02-01"

    assert_422(lift(client, org, query), "baseline_to")


def test_a_window_over_five_years_is_refused(client, factory):
    org = factory.organisation()

    assert_422(lift(client, org, f"metric={INTERACTIONS}&from=2020-01-01&to=2027-01-01"), "to")


def test_a_baseline_over_five_years_is_refused(client, factory):
    org = factory.organisation()
    query = f"metric={INTERACTIONS}&{MARCH}&baseline_from=2019-01-01&baseline_to=2026-12-31"

    assert_422(lift(client, org, query), "baseline_to")


def test_half_a_baseline_window_is_refused(client, factory):
    org = factory.organisation()

    assert_422(
        lift(client, org, f"metric={INTERACTIONS}&{MARCH}&baseline_from=2027-01-01"), "baseline_to"
    )


def test_a_baseline_overlapping_the_window_is_refused(client, factory):
    org = factory.organisation()
    query = f"metric={INTERACTIONS}&{MARCH}&baseline_from=2027-02-20&baseline_to=2027-03-01"

    assert_422(lift(client, org, query), "baseline_to")


def test_a_campaign_and_a_channel_together_are_refused(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    query = f"metric={INTERACTIONS}&{MARCH}&campaign_id={campaign['id']}&channel_id={channel['id']}"

    assert_422(lift(client, org, query), "channel_id")


def test_another_organisations_campaign_or_channel_is_not_found(client, factory):
    theirs = factory.organisation("Theirs")
    campaign, channel = builders.running_campaign(client, theirs)
    org = factory.organisation()

    for query in (f"campaign_id={campaign['id']}", f"channel_id={channel['id']}"):
        response = lift(client, org, f"metric={INTERACTIONS}&{MARCH}&{query}")
        assert response.status_code == 404, query


# The embedded default: the same figures on SQLite (filtered aggregates).


def test_a_level_compares_average_levels_per_channel_never_sums_over_days(client, factory):
    org = factory.organisation()
    page = builders.channel(client, org, name="Page")["id"]
    feed = builders.channel(client, org, kind="mastodon", name="Feed")["id"]
    ingest(
        client,
        org,
        [
            # Baseline (19-28 February): the page measured twice (1000, 1100), the feed once.
            p("2027-02-19", 1000, "followers", channel_id=page),
            p("2027-02-28", 1100, "followers", channel_id=page),
            p("2027-02-20", 400, "followers", channel_id=feed),
            # Window: the page 1200 and 1300, the feed 500.
            p("2027-03-01", 1200, "followers", channel_id=page),
            p("2027-03-10", 1300, "followers", channel_id=page),
            p("2027-03-05", 500, "followers", channel_id=feed),
        ],
    )

    body = lifted(client, org, f"metric=followers&{MARCH}")

    assert body["behaviour"] == "level"
    assert body["baseline"]["daily_average"] == 1050 + 400
    assert body["window"]["daily_average"] == 1250 + 500
    assert body["window"]["total"] is None  # a level does not add up over days
    assert body["absolute_lift"] == 300
    assert body["relative_lift"] == pytest.approx(300 / 1450)
    assert body["answer"].startswith("Yes: followers are up 21 % (1,750 on average")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    with embedded_app(tmp_path_factory.mktemp("lift")) as app:
        yield app, Factory(app.extensions["clover"].database)


def test_on_sqlite_the_lift_is_the_same(embedded):
    app, sqlite_factory = embedded
    client = app.test_client()
    org = sqlite_factory.organisation()
    ingest(client, org, [p("2027-02-19", 60), p("2027-02-28", 40), p("2027-03-01", 123)])

    body = lifted(client, org, f"metric={INTERACTIONS}&{MARCH}")

    assert (body["window"]["daily_average"], body["baseline"]["daily_average"]) == (12.3, 10)
    assert (body["window"]["days_with_data"], body["baseline"]["points"]) == (1, 2)
    assert body["verdict"] == "lift"
