"""Connected channels sync through a real worker; credentials never show."""

import io
import logging

import pytest
from sqlalchemy import select

from api.domain.channels.connections import Connection
from tests.api import builders
from tests.workers.conftest import run_worker

TOKEN = "sandbox-secret-token-7f3a9c"


def connect(client, org, channel, **overrides):
    body = {
        "provider": "sandbox",
        "account": "@clover",
        "credentials": {"access_token": TOKEN, "refresh_token": "refresh-" + TOKEN},
        **overrides,
    }
    return client.put(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers, json=body
    )


def test_credentials_are_encrypted_and_never_returned(client, factory, database):
    org = factory.organisation()
    channel = builders.channel(client, org, kind="mastodon", name="Fediverse")

    response = connect(client, org, channel)
    fetched = client.get(org.url(f"/channels/{channel['id']}/connection"), headers=org.headers)

    assert response.status_code == 200
    assert fetched.get_json()["status"] == "connected"
    for body in (response.get_data(as_text=True), fetched.get_data(as_text=True)):
        assert TOKEN not in body and "credentials" not in body
    with database.session() as session:
        stored = session.scalar(
            select(Connection.credentials).where(Connection.channel_id == channel["id"])
        )
    assert TOKEN not in stored
    trail = client.get(org.url("/audit-events?resource_type=connection"), headers=org.headers)
    assert TOKEN not in trail.get_data(as_text=True)


def test_only_social_channels_connect_and_providers_fit_their_network(client, factory):
    org = factory.organisation()
    blog = builders.channel(client, org, kind="blog", name="Blog")
    linkedin = builders.channel(client, org)

    assert connect(client, org, blog).status_code == 422
    assert (
        connect(
            client, org, linkedin, provider="mastodon", base_url="https://m.example"
        ).status_code
        == 422
    )
    assert connect(client, org, linkedin, provider="mastodon").status_code == 422  # no base URL


def test_a_sync_writes_points_and_mentions_and_moves_the_cursor(
    client,
    factory,
    database_url,
    redis_url,
    empty_queues,
):
    org = factory.organisation()
    channel = builders.channel(client, org, kind="bluesky", name="Bluesky")
    connect(client, org, channel)
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    logging.getLogger("clover").addHandler(handler)
    try:
        accepted = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
        again = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
        run_worker(database_url, redis_url, "sync")
    finally:
        logging.getLogger("clover").removeHandler(handler)

    assert accepted.status_code == again.status_code == 202
    job = client.get(accepted.headers["Location"], headers=org.headers).get_json()
    assert job["status"] == "succeeded", job
    assert job["counts"]["metric_points"] == 6 * 90  # 90 days up to today, 6 metrics
    followers = client.get(
        org.url(f"/metric-points?metric_key=followers&channel_id={channel['id']}&limit=200"),
        headers=org.headers,
    ).get_json()["items"]
    assert len(followers) == 90
    mentions = client.get(
        org.url(f"/mentions?channel_id={channel['id']}&limit=200"), headers=org.headers
    ).get_json()["items"]
    assert len(mentions) == job["counts"]["mentions"] > 0
    connection = client.get(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers
    ).get_json()
    assert connection["last_sync_at"] is not None and connection["last_error"] is None
    assert connection["next_sync_at"] > connection["last_sync_at"]
    assert TOKEN not in records.getvalue() and TOKEN not in str(job)


def test_a_second_sync_only_adds_what_is_new(
    client, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    channel = builders.channel(client, org, kind="x", name="X")
    connect(client, org, channel)
    client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
    run_worker(database_url, redis_url, "sync")

    second = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
    run_worker(database_url, redis_url, "sync")

    job = client.get(second.headers["Location"], headers=org.headers).get_json()
    assert job["status"] == "succeeded"
    assert job["counts"]["metric_points"] == 0  # the cursor is at today already


def test_a_channel_of_another_organisation_cannot_be_connected_or_synced(client, factory):
    org, other = factory.organisation(), factory.organisation()
    channel = builders.channel(client, org, kind="mastodon", name="M")
    connect(client, org, channel)

    assert connect(client, other, channel).status_code == 404
    assert (
        client.post(other.url(f"/channels/{channel['id']}/sync"), headers=other.headers).status_code
        == 404
    )
    assert (
        client.get(
            other.url(f"/channels/{channel['id']}/connection"), headers=other.headers
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["analyst", "contributor"])
def test_roles_without_channels_write_cannot_connect(client, factory, role):
    from tests.factories import bearer

    org = factory.organisation()
    channel = builders.channel(client, org, kind="mastodon", name="M")
    key = bearer(factory.member(org, role))

    response = client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=key,
        json={"provider": "sandbox", "account": "@c", "credentials": {"access_token": "t"}},
    )

    assert response.status_code == 403


def test_after_a_permanent_failure_mid_sync_the_next_sync_starts_fresh():
    """Retrying the page that failed for good would fail again: keep only what marks
    data already taken."""
    from workers.providers.registry import provider

    mid_sync = {"phase": "statuses", "max_id": "109", "mentions_since": "42", "totals": {}}

    assert provider("mastodon").restart(mid_sync) == {"phase": "done", "mentions_since": "42"}
    assert provider("bluesky").restart(mid_sync) == {"mentions_since": "42"}
    assert provider("sandbox").restart({"last_day": "2027-01-01"}) == {"last_day": "2027-01-01"}
