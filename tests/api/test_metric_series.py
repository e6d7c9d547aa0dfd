"""A metric over time: sums or averages per day, week and month, null where there is no data."""

from tests.api import builders
from tests.api.builders import ingest
from tests.factories import bearer


def p(day, value, metric_key="reach", **fields):
    return {"metric_key": metric_key, "day": day, "value": value, **fields}


def series(client, org, query, headers=None):
    response = client.get(org.url(f"/metric-series?{query}"), headers=headers or org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def values(body) -> list[tuple[str, float | None]]:
    return [(period["period_start"], period["value"]) for period in body["periods"]]


def test_daily_series_sums_each_day_and_shows_empty_days_as_null(client, factory):
    org = factory.organisation()
    channel = builders.channel(client, org)
    ingest(
        client,
        org,
        [
            p("2027-03-01", 10),
            p("2027-03-01", 5, channel_id=channel["id"]),
            p("2027-03-01", 2, source="import"),
            p("2027-03-03", 7),
            p("2027-03-04", 100),  # after the range
            p("2027-03-02", 50, metric_key="clicks"),  # another metric
        ],
    )

    body = series(client, org, "metric=reach&from=2027-03-01&to=2027-03-03")

    assert values(body) == [("2027-03-01", 17), ("2027-03-02", None), ("2027-03-03", 7)]
    assert (body["metric"], body["kind"], body["aggregation"], body["granularity"]) == (
        "reach",
        "count",
        "sum",
        "day",
    )
    assert (body["from"], body["to"]) == ("2027-03-01", "2027-03-03")
    assert body["periods"][0]["period_end"] == "2027-03-01"


def test_weekly_series_buckets_by_iso_week_from_monday(client, factory):
    org = factory.organisation()
    ingest(
        client,
        org,
        [
            p("2026-12-31", 1),  # Thursday of the week of Monday 2026-12-28
            p("2027-01-03", 2),  # Sunday, same week
            p("2027-01-04", 4),  # Monday of the next week
            p("2027-01-10", 8),  # its Sunday
            p("2027-01-20", 16),  # two weeks on, one week empty between
        ],
    )

    body = series(client, org, "metric=reach&granularity=week&from=2026-12-30&to=2027-01-25")

    assert values(body) == [
        ("2026-12-28", 3),
        ("2027-01-04", 12),
        ("2027-01-11", None),
        ("2027-01-18", 16),
        ("2027-01-25", None),
    ]
    assert [w["period_end"] for w in body["periods"][:2]] == ["2027-01-03", "2027-01-10"]


def test_monthly_series_counts_only_days_within_the_range(client, factory):
    org = factory.organisation()
    ingest(
        client,
        org,
        [
            p("2027-01-10", 1),  # before from: not counted
            p("2027-01-20", 2),
            p("2027-01-31", 4),
            p("2027-02-28", 8),
            p("2027-04-01", 16),
            p("2027-04-15", 32),  # after to: not counted
        ],
    )

    body = series(client, org, "metric=reach&granularity=month&from=2027-01-15&to=2027-04-10")

    assert values(body) == [
        ("2027-01-01", 6),
        ("2027-02-01", 8),
        ("2027-03-01", None),
        ("2027-04-01", 16),
    ]
    assert body["periods"][1]["period_end"] == "2027-02-28"


def test_a_level_takes_each_channels_latest_value_in_a_period_not_a_sum(client, factory):
    org = factory.organisation()
    page = builders.channel(client, org, name="Page")["id"]
    feed = builders.channel(client, org, kind="mastodon", name="Feed")["id"]
    ingest(
        client,
        org,
        [
            p("2027-03-01", 1000, "followers", channel_id=page),
            p("2027-03-15", 1100, "followers", channel_id=page),
            p("2027-03-31", 1200, "followers", channel_id=page),
            p("2027-03-01", 400, "followers", channel_id=feed),
            p("2027-03-20", 450, "followers", channel_id=feed),
            p("2027-04-02", 1300, "followers", channel_id=page),
        ],
    )

    body = series(client, org, "metric=followers&granularity=month&from=2027-03-01&to=2027-04-30")

    assert body["aggregation"] == "last"
    assert values(body) == [("2027-03-01", 1200 + 450), ("2027-04-01", 1300)]
    daily = series(client, org, "metric=followers&from=2027-03-01&to=2027-03-01")
    assert values(daily) == [("2027-03-01", 1400)]


def test_ratio_metrics_average_their_points(client, factory):
    org = factory.organisation()
    defined = client.post(
        org.url("/metric-definitions"),
        headers=org.headers,
        json={"key": "engagement_rate", "name": "Engagement rate", "kind": "ratio"},
    )
    assert defined.status_code == 201
    ingest(
        client,
        org,
        [
            p("2027-05-03", 0.2, "engagement_rate"),
            p("2027-05-04", 0.4, "engagement_rate"),
            p("2027-05-05", 0.9, "engagement_rate"),
        ],
    )

    query = "metric=engagement_rate&granularity=week&from=2027-05-03&to=2027-05-09"
    body = series(client, org, query)

    assert body["aggregation"] == "avg"
    assert len(body["periods"]) == 1
    assert abs(body["periods"][0]["value"] - 0.5) < 1e-9


def test_channel_and_campaign_filters_narrow_the_series(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ingest(
        client,
        org,
        [
            p("2027-03-01", 1),
            p("2027-03-01", 2, channel_id=channel["id"]),
            p("2027-03-01", 4, channel_id=channel["id"], campaign_id=campaign["id"]),
        ],
    )
    query = "metric=reach&from=2027-03-01&to=2027-03-01"

    assert values(series(client, org, query)) == [("2027-03-01", 7)]
    assert values(series(client, org, f"{query}&channel_id={channel['id']}")) == [("2027-03-01", 6)]
    assert values(series(client, org, f"{query}&campaign_id={campaign['id']}")) == [
        ("2027-03-01", 4)
    ]


def test_another_organisations_points_are_not_in_the_series(client, factory):
    org, other = factory.organisation("Mine"), factory.organisation("Theirs")
    ingest(client, other, [p("2027-03-01", 99)])

    body = series(client, org, "metric=reach&from=2027-03-01&to=2027-03-01")

    assert values(body) == [("2027-03-01", None)]


def test_an_analyst_reads_series(client, factory):
    org = factory.organisation()
    ingest(client, org, [p("2027-03-01", 3)])
    analyst = bearer(factory.member(org, "analyst"))

    body = series(client, org, "metric=reach&from=2027-03-01&to=2027-03-01", headers=analyst)

    assert values(body) == [("2027-03-01", 3)]


def test_series_query_problems_are_422(client, factory):
    org = factory.organisation()

    def errors(query):
        response = client.get(org.url(f"/metric-series?{query}"), headers=org.headers)
        assert response.status_code == 422, response.get_data(as_text=True)
        return set(response.get_json().get("errors", {}))

    assert errors("from=2027-01-01&to=2027-01-02") == {"metric"}
    assert errors("metric=reach&to=2027-01-02") == {"from"}
    assert errors("metric=reach&from=2027-01-01&to=2027-01-02&granularity=year") == {"granularity"}
    assert errors("metric=reach&from=2027-01-02&to=2027-01-01") == {"to"}
    assert errors("metric=unheard_of&from=2027-01-01&to=2027-01-02") == {"metric"}


def test_a_range_of_more_than_1000_periods_is_refused(client, factory):
    org = factory.organisation()
    url = org.url("/metric-series?metric=reach&from=2024-01-01")

    too_long = client.get(f"{url}&to=2026-09-27", headers=org.headers)  # 1,001 days
    longest = client.get(f"{url}&to=2026-09-26", headers=org.headers)  # 1,000 days
    monthly = client.get(f"{url}&to=2026-09-27&granularity=month", headers=org.headers)

    assert too_long.status_code == 422
    assert longest.status_code == 200 and len(longest.get_json()["periods"]) == 1000
    assert monthly.status_code == 200 and len(monthly.get_json()["periods"]) == 33
