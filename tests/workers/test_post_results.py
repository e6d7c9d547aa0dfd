"""Results back into the plan, end to end: a real `clover worker` publishes a content item
on the fake Mastodon, the fake Bluesky or the sandbox, the sync reads what the post did,
and the API shows it (points with the item's id, its results, the plan, KPIs).

The module runs on a database of its own, like the publishing faults: a burst worker on
the publish queue sweeps every organisation's due items.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.domain.metrics.models import MetricPoint
from tests.api import builders
from tests.fakes import bluesky
from tests.workers.conftest import run_worker
from tests.workers.publishing import (  # noqa: F401  (the module's fixtures)
    app,
    database,
    database_url,
    due_item,
    item_of,
    mastodon,
    mastodon_connection,
    move,
    pds,
    queue_job,
    queues,
    settings,
)
from workers.providers.sandbox import Sandbox


def uuid_of(body: dict) -> uuid.UUID:
    return uuid.UUID(body["id"])


def today() -> str:
    return datetime.now(UTC).date().isoformat()


# -- publishing an item through the worker --------------------------------------------------------


def bluesky_connection(server) -> dict:
    host, port = server.server_address[:2]
    return {
        "provider": "bluesky",
        "account": bluesky.HANDLE,
        "base_url": f"http://{host}:{port}",
        "credentials": {"access_token": bluesky.TOKEN, "refresh_token": bluesky.REFRESH},
    }


SANDBOX = {"provider": "sandbox", "account": "@clover", "credentials": {"access_token": "t"}}


def published(client, org, queues, database_url, redis_url, *, kind: str, connection: dict):
    """A content item a real worker published on a newly connected channel:
    (item, channel, campaign), as the API shows them."""
    item, channel, campaign = due_item(client, org, kind=kind, connection=connection)
    queue_job(queues, org, item)
    run_worker(database_url, redis_url, "publish")
    shown = item_of(client, org, item)
    assert shown["status"] == "published", shown
    return shown, channel, campaign


def sync(client, org, channel, database_url, redis_url) -> dict:
    """A requested sync, run by a real worker: its job as the API shows it afterwards."""
    accepted = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    run_worker(database_url, redis_url, "sync")
    return client.get(accepted.headers["Location"], headers=org.headers).get_json()


def results_of(client, org, item) -> dict:
    response = client.get(org.url(f"/content-items/{item['id']}/results"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def post_points(database, item) -> list[tuple]:
    with database.session() as session:
        return sorted(
            session.execute(
                select(
                    MetricPoint.metric_key,
                    MetricPoint.day,
                    MetricPoint.value,
                    MetricPoint.source,
                    MetricPoint.channel_id,
                    MetricPoint.campaign_id,
                ).where(MetricPoint.content_item_id == item["id"])
            ).all()
        )


def channel_total(database, channel, key: str) -> float:
    """The channel's own synced points of ``key`` (no content item), summed."""
    with database.session() as session:
        values = session.scalars(
            select(MetricPoint.value).where(
                MetricPoint.channel_id == channel["id"],
                MetricPoint.metric_key == key,
                MetricPoint.content_item_id.is_(None),
                MetricPoint.source == "sync",
            )
        ).all()
    return sum(values)


# -- Mastodon -------------------------------------------------------------------------------------


def test_a_published_posts_metrics_arrive_as_points_with_its_id_after_a_sync(
    client, factory, queues, mastodon, database, database_url, redis_url
):
    org = factory.organisation()
    item, channel, campaign = published(
        client,
        org,
        queues,
        database_url,
        redis_url,
        kind="mastodon",
        connection=mastodon_connection(mastodon),
    )
    [status] = mastodon.made
    status.update(favourites_count=5, reblogs_count=2, replies_count=1)

    job = sync(client, org, channel, database_url, redis_url)

    assert job["status"] == "succeeded", job
    assert job["counts"]["posts"] == 1
    day = datetime.now(UTC).date()
    assert post_points(database, item) == [
        ("comments", day, 1.0, "sync", uuid_of(channel), uuid_of(campaign)),
        ("engagements", day, 8.0, "sync", uuid_of(channel), uuid_of(campaign)),
        ("shares", day, 2.0, "sync", uuid_of(channel), uuid_of(campaign)),
    ]
    assert mastodon.requests_to(f"/api/v1/statuses/{status['id']}") == [{}]


def test_the_results_show_the_latest_totals_the_series_the_publication_and_the_campaign(
    client, factory, queues, mastodon, database, database_url, redis_url
):
    org = factory.organisation()
    item, channel, campaign = published(
        client,
        org,
        queues,
        database_url,
        redis_url,
        kind="mastodon",
        connection=mastodon_connection(mastodon),
    )
    [status] = mastodon.made
    status.update(favourites_count=5, reblogs_count=2, replies_count=1)
    sync(client, org, channel, database_url, redis_url)
    status.update(favourites_count=9)  # four more favourites the same day

    again = sync(client, org, channel, database_url, redis_url)
    results = results_of(client, org, item)

    assert again["status"] == "succeeded", again
    # The day's point is replaced by the new total, never added to.
    assert [(k, v) for k, _, v, *_ in post_points(database, item)] == [
        ("comments", 1.0),
        ("engagements", 12.0),
        ("shares", 2.0),
    ]
    assert results["totals"] == {"comments": 1.0, "engagements": 12.0, "shares": 2.0}
    assert results["series"] == [
        {"day": today(), "values": {"comments": 1.0, "engagements": 12.0, "shares": 2.0}}
    ]
    assert results["as_of"] == today()
    assert results["publication"] == {
        "network": "mastodon",
        "external_id": status["id"],
        "url": status["url"],
        "published_at": item["published_at"],
    }
    assert results["campaign"] == {"id": campaign["id"], "name": campaign["name"]}
    assert (results["content_item_id"], results["status"]) == (item["id"], "published")


def test_the_plan_shows_the_posts_engagements(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item, channel, _ = published(
        client,
        org,
        queues,
        database_url,
        redis_url,
        kind="mastodon",
        connection=mastodon_connection(mastodon),
    )
    mastodon.made[0].update(favourites_count=3, reblogs_count=1, replies_count=0)
    sync(client, org, channel, database_url, redis_url)

    month = datetime.now(UTC).strftime("%Y-%m")
    plan = client.get(org.url(f"/plan?start={month}&months=1"), headers=org.headers).get_json()

    [shown] = [i for m in plan["months"] for i in m["items"] if i["id"] == item["id"]]
    assert shown["engagements"] == 4.0


def test_a_failed_status_lookup_keeps_the_channels_data_and_reports_the_error(
    client, factory, queues, mastodon, database, database_url, redis_url
):
    org = factory.organisation()
    item, channel, _ = published(
        client,
        org,
        queues,
        database_url,
        redis_url,
        kind="mastodon",
        connection=mastodon_connection(mastodon),
    )
    [status] = mastodon.made
    status.update(favourites_count=5, reblogs_count=2, replies_count=1)
    mastodon.fail(f"/api/v1/statuses/{status['id']}", 503)

    job = sync(client, org, channel, database_url, redis_url)
    connection = client.get(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers
    ).get_json()

    assert job["status"] == "failed"
    assert job["error"].startswith("the posts' metrics were not read: ")
    assert "503" in job["error"]
    assert (connection["status"], connection["last_error"]) == ("failing", job["error"])
    # The channel's own data, committed before the per-post step, is all there.
    assert channel_total(database, channel, "followers") == 1234
    assert channel_total(database, channel, "engagements") == 8  # today's status, by its day
    assert job["counts"]["pages"] >= 3 and job["counts"]["metric_points"] > 0
    assert post_points(database, item) == []

    healed = sync(client, org, channel, database_url, redis_url)

    assert healed["status"] == "succeeded", healed
    assert results_of(client, org, item)["totals"]["engagements"] == 8.0
    connection = client.get(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers
    ).get_json()
    assert (connection["status"], connection["last_error"]) == ("connected", None)


def test_a_channel_kpi_counts_the_post_once_and_a_campaign_kpi_counts_its_post(
    client, factory, queues, mastodon, database, database_url, redis_url
):
    org = factory.organisation()
    item, channel, campaign = published(
        client,
        org,
        queues,
        database_url,
        redis_url,
        kind="mastodon",
        connection=mastodon_connection(mastodon),
    )
    mastodon.made[0].update(favourites_count=5, reblogs_count=2, replies_count=1)
    now = datetime.now(UTC).date()
    strategy = builders.strategy(
        client,
        org,
        name="This year",
        period_start=(now - timedelta(days=60)).isoformat(),
        period_end=(now + timedelta(days=300)).isoformat(),
    )
    objective = builders.objective(client, org, strategy["id"])

    def engagements_kpi(**filters) -> dict:
        return builders.kpi(
            client,
            org,
            objective["id"],
            name=f"Engagements {sorted(filters)}",
            metric_key="engagements",
            aggregation="sum",
            period="month",
            target=100,
            baseline=0,
            **filters,
        )

    of_channel = engagements_kpi(channel_id=channel["id"])
    of_organisation = engagements_kpi()
    of_campaign = engagements_kpi(campaign_id=campaign["id"])
    sync(client, org, channel, database_url, redis_url)
    assert client.post(org.url("/rollups"), headers=org.headers).status_code == 202
    run_worker(database_url, redis_url, "rollups")

    def actual(kpi) -> float | None:
        start = now.replace(day=1).isoformat()
        values = client.get(
            org.url(f"/kpis/{kpi['id']}/values?from={start}&to={start}"), headers=org.headers
        ).get_json()["items"]
        return values[0]["actual"]

    # The channel's own total holds today's status: 8, not 8 + the post's own 8.
    assert channel_total(database, channel, "engagements") == 8
    assert results_of(client, org, item)["totals"]["engagements"] == 8.0
    assert actual(of_channel) == 8.0
    assert actual(of_organisation) == 8.0
    assert actual(of_campaign) == 8.0  # the campaign's post: the channel totals have no campaign


# -- Bluesky and the sandbox ----------------------------------------------------------------------


def test_a_bluesky_posts_counts_arrive_after_a_sync(
    client, factory, queues, pds, database, database_url, redis_url
):
    org = factory.organisation()
    item, channel, _ = published(
        client,
        org,
        queues,
        database_url,
        redis_url,
        kind="bluesky",
        connection=bluesky_connection(pds),
    )
    pds.fake.counts[item["external_id"]] = {
        "likeCount": 6,
        "repostCount": 2,
        "replyCount": 3,
        "quoteCount": 1,
    }

    job = sync(client, org, channel, database_url, redis_url)
    results = results_of(client, org, item)

    assert job["status"] == "succeeded", job
    assert pds.fake.calls("app.bsky.feed.getPosts") == [{"uris": [item["external_id"]]}]
    assert results["totals"] == {"comments": 3.0, "engagements": 12.0, "shares": 3.0}
    assert results["publication"]["network"] == "bluesky"
    assert results["publication"]["external_id"].startswith(f"at://{bluesky.DID}/")


def test_a_sandbox_posts_totals_arrive_after_a_sync(
    client, factory, queues, database, database_url, redis_url
):
    org = factory.organisation()
    item, channel, _ = published(
        client, org, queues, database_url, redis_url, kind="x", connection=SANDBOX
    )

    job = sync(client, org, channel, database_url, redis_url)
    results = results_of(client, org, item)

    assert job["status"] == "succeeded", job
    [expected] = Sandbox().post_metrics(None, [item["external_id"]])
    assert results["totals"] == {key: float(v) for key, v in sorted(expected.values.items())}
    assert set(results["totals"]) == {"comments", "engagements", "impressions", "shares"}
    assert results["publication"]["network"] == "sandbox"
