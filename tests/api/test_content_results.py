"""What a content item did: its results, its headline in the plan, and how a post's own
synced points stand beside its channel's totals in KPIs and reports (counted once)."""

import pytest

from tests.api import builders
from tests.api.builders import ingest

WINDOW = "from=2025-03-01&to=2025-03-31"


def results(client, org, item, headers=None):
    return client.get(
        org.url(f"/content-items/{item['id']}/results"), headers=headers or org.headers
    )


def posted(client, org, title="Spring post", due_date="2025-03-09"):
    """An item marked published by hand on a channel that is not connected; (item, campaign,
    channel)."""
    strategy = builders.strategy(
        client, org, period_start="2025-01-01", period_end="2025-12-31", name=title
    )
    channel = builders.channel(client, org, name=f"{title} page")
    campaign = builders.campaign(
        client,
        org,
        strategy["id"],
        name=title,
        start_date="2025-03-01",
        end_date="2025-05-31",
        channel_ids=[channel["id"]],
    )
    item = builders.content_item(
        client, org, campaign["id"], channel["id"], title=title, due_date=due_date
    )
    for step, extra in (
        ("drafting", {}),
        ("in_review", {}),
        ("approved", {}),
        (
            "published",
            {
                "published_at": "2025-03-09T10:00:00Z",
                "published_url": "https://www.linkedin.com/posts/acme-1",
            },
        ),
    ):
        moved = client.post(
            org.url(f"/content-items/{item['id']}/transition"),
            headers=org.headers,
            json={"to": step, **extra},
        )
        assert moved.status_code == 200, moved.get_data(as_text=True)
    return item, campaign, channel


def post_points(item, campaign, channel, *values_by_day, key="engagements", source="sync"):
    return [
        {
            "metric_key": key,
            "day": day,
            "value": value,
            "channel_id": channel["id"],
            "campaign_id": campaign["id"],
            "content_item_id": item["id"],
            "source": source,
        }
        for day, value in values_by_day
    ]


def channel_points(channel, *values_by_day, key="engagements"):
    return [
        {
            "metric_key": key,
            "day": day,
            "value": value,
            "channel_id": channel["id"],
            "source": "sync",
        }
        for day, value in values_by_day
    ]


# -- the results ----------------------------------------------------------------------------------


def test_results_sum_a_posts_days_beside_its_publication_and_campaign(client, factory):
    org = factory.organisation()
    item, campaign, channel = posted(client, org)
    ingest(
        client,
        org,
        post_points(item, campaign, channel, ("2025-03-10", 6), ("2025-03-11", 4))
        + post_points(item, campaign, channel, ("2025-03-10", 2), key="shares")
        # A client's own figure for the item counts too.
        + post_points(item, campaign, channel, ("2025-03-11", 3), key="clicks", source="api"),
    )

    response = results(client, org, item)

    assert response.status_code == 200
    body = response.get_json()
    assert body["totals"] == {"clicks": 3.0, "engagements": 10.0, "shares": 2.0}
    assert body["series"] == [
        {"day": "2025-03-10", "values": {"engagements": 6.0, "shares": 2.0}},
        {"day": "2025-03-11", "values": {"clicks": 3.0, "engagements": 4.0}},
    ]
    assert body["as_of"] == "2025-03-11"
    assert body["publication"] == {
        "network": None,  # marked published by hand
        "external_id": None,
        "url": "https://www.linkedin.com/posts/acme-1",
        "published_at": "2025-03-09T10:00:00+00:00",
    }
    assert body["campaign"] == {"id": campaign["id"], "name": campaign["name"]}
    assert (body["content_item_id"], body["channel_id"]) == (item["id"], channel["id"])


def test_an_item_not_published_has_no_publication_and_no_figures(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])

    body = results(client, org, item).get_json()

    assert (body["publication"], body["totals"], body["series"], body["as_of"]) == (
        None,
        {},
        [],
        None,
    )
    assert body["status"] == "idea"


def test_another_organisations_item_is_404_and_so_is_an_unknown_one(client, factory):
    org, other = factory.organisation(), factory.organisation()
    item, campaign, channel = posted(client, org)
    ingest(client, org, post_points(item, campaign, channel, ("2025-03-10", 6)))

    theirs = results(client, other, item)
    unknown = client.get(
        other.url("/content-items/00000000-0000-4000-8000-000000000000/results"),
        headers=other.headers,
    )
    across = client.get(org.url(f"/content-items/{item['id']}/results"), headers=other.headers)

    assert theirs.status_code == unknown.status_code == 404
    assert across.status_code == 404  # another organisation's URL with one's own key
    assert theirs.headers["Content-Type"] == "application/problem+json"
    assert "Spring post" not in theirs.get_data(as_text=True)


def test_a_level_takes_its_latest_day_and_a_ratio_its_mean(client, factory):
    org = factory.organisation()
    item, campaign, channel = posted(client, org)
    builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": "watch_share", "name": "Watch share", "kind": "ratio"},
        )
    )
    builders.created(
        client.post(
            org.url("/metric-definitions"),
            headers=org.headers,
            json={"key": "saved_by", "name": "Saved by", "behaviour": "level"},
        )
    )
    ingest(
        client,
        org,
        post_points(
            item, campaign, channel, ("2025-03-10", 0.2), ("2025-03-11", 0.6), key="watch_share"
        )
        + post_points(
            item, campaign, channel, ("2025-03-10", 5), ("2025-03-11", 7), key="saved_by"
        ),
    )

    totals = results(client, org, item).get_json()["totals"]

    assert totals == {"saved_by": 7.0, "watch_share": pytest.approx(0.4)}


# -- the plan -------------------------------------------------------------------------------------


def test_the_plan_shows_each_items_engagements_and_null_without_them(client, factory):
    org = factory.organisation()
    item, campaign, channel = posted(client, org)
    quiet = builders.content_item(
        client, org, campaign["id"], channel["id"], title="Quiet", due_date="2025-03-20"
    )
    ingest(client, org, post_points(item, campaign, channel, ("2025-03-10", 6), ("2025-03-11", 4)))

    plan = client.get(org.url("/plan?start=2025-03&months=1"), headers=org.headers).get_json()

    shown = {i["id"]: i["engagements"] for i in plan["months"][0]["items"]}
    assert shown == {item["id"]: 10.0, quiet["id"]: None}


def test_the_plans_query_count_stays_the_same_with_more_results(client, factory, count_queries):
    org = factory.organisation()
    item, campaign, channel = posted(client, org)
    ingest(client, org, post_points(item, campaign, channel, ("2025-03-10", 6)))
    url = org.url("/plan?start=2025-03&months=3")
    client.get(url, headers=org.headers)
    with count_queries() as few:
        client.get(url, headers=org.headers)

    for n in range(6):
        more = builders.content_item(
            client, org, campaign["id"], channel["id"], title=f"P{n}", due_date="2025-04-02"
        )
        ingest(client, org, post_points(more, campaign, channel, ("2025-04-03", n + 1)))
    with count_queries() as many:
        body = client.get(url, headers=org.headers).get_json()

    engagements = [i["engagements"] for m in body["months"] for i in m["items"]]
    assert sorted(engagements) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0]
    assert many.count == few.count


# -- counted once ---------------------------------------------------------------------------------


@pytest.fixture
def counted_world(client, factory):
    """A channel whose synced total (10) holds its post's synced engagements (6 + 4)."""
    org = factory.organisation()
    item, campaign, channel = posted(client, org)
    ingest(
        client,
        org,
        channel_points(channel, ("2025-03-10", 10))
        + post_points(item, campaign, channel, ("2025-03-10", 6), ("2025-03-11", 4)),
    )
    return org, campaign, channel


def test_the_channel_comparison_counts_the_channels_total_once(client, counted_world):
    org, _, channel = counted_world

    body = client.get(org.url(f"/reports/channels?{WINDOW}"), headers=org.headers).get_json()

    [row] = [r for r in body["channels"] if r["channel_id"] == channel["id"]]
    assert row["engagements"] == 10


def test_a_series_counts_the_channel_total_and_one_of_a_campaign_its_posts(client, counted_world):
    org, campaign, channel = counted_world
    query = "metric=engagements&from=2025-03-10&to=2025-03-11&granularity=day"

    def values(extra=""):
        body = client.get(org.url(f"/metric-series?{query}{extra}"), headers=org.headers)
        return [p["value"] for p in body.get_json()["periods"]]

    assert values() == [10, None]
    assert values(f"&channel_id={channel['id']}") == [10, None]
    assert values(f"&campaign_id={campaign['id']}") == [6, 4]


def test_roi_counts_a_campaigns_posts(client, counted_world):
    org, campaign, _ = counted_world

    body = client.get(
        org.url(f"/reports/roi?{WINDOW}&campaign_id={campaign['id']}"), headers=org.headers
    ).get_json()

    [row] = body["campaigns"]
    assert row["engagements"] == 10


def test_a_clients_own_points_of_an_item_still_count_everywhere(client, factory):
    org = factory.organisation()
    item, campaign, channel = posted(client, org)
    ingest(client, org, post_points(item, campaign, channel, ("2025-03-10", 7), source="import"))

    body = client.get(
        org.url("/metric-series?metric=engagements&from=2025-03-10&to=2025-03-10"),
        headers=org.headers,
    ).get_json()

    assert [p["value"] for p in body["periods"]] == [7]
