"""Publishing faults end to end: real `clover worker` processes, real Redis, and the fake
Mastodon (and Bluesky) of tests/fakes on loopback, counting the posts they made.

Keeping it fast: the item's job is queued here with RQ's backoff shortened (one or two
retries after 1 s) instead of the production 10 s, 60 s, 300 s; it is still retried by
RQ, only sooner. Items are due a few seconds ago, not a minute: the sweep a burst worker
arms at start leaves them to their own job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.crypto import cipher_for
from api.domain.channels.connections import Connection
from api.domain.webhooks.models import WebhookEvent
from tests.api import builders
from tests.fakes import bluesky
from tests.fakes.mastodon import TOKEN
from tests.workers import publishing
from tests.workers.conftest import ROOT, run_worker, worker_env
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
from workers import runtime
from workers.publish import sweep_publishing

STATUSES = "/api/v1/statuses"


def due_item(
    client, org, mastodon, *, text="Spring is here, resellers!", token=TOKEN, **fields
) -> dict:
    """An approved item on a channel connected to the fake Mastodon, due a moment ago."""
    connection = mastodon_connection(mastodon, token)
    item, channel, _ = publishing.due_item(
        client, org, kind="mastodon", connection=connection, text=text, **fields
    )
    return {**item, "channel_id": channel["id"]}


def attempts_of(client, org, item) -> list[dict]:
    url = org.url(f"/content-items/{item['id']}/publish-attempts")
    return client.get(url, headers=org.headers).get_json()["items"]


def events_of(database, org) -> list[WebhookEvent]:
    with database.session() as session:
        return list(
            session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.organisation_id == org.id)
                .order_by(WebhookEvent.id)
            )
        )


def test_on_time_the_post_is_made_once_with_the_attempts_key(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon)
    queue_job(queues, org, item)

    run_worker(database_url, redis_url, "publish")

    published = item_of(client, org, item)
    [made] = mastodon.made
    assert published["status"] == "published"
    assert (published["external_id"], published["published_url"]) == (made["id"], made["url"])
    [attempt] = attempts_of(client, org, item)
    [(_, headers, _)] = [w for w in mastodon.writes if w[0] == STATUSES]
    assert headers["Idempotency-Key"] == attempt["key"]
    connection = client.get(
        org.url(f"/channels/{item['channel_id']}/connection"), headers=org.headers
    ).get_json()
    assert connection["limits_refreshed_at"] is not None  # from the instance's /api/v2/instance


def test_an_items_media_go_out_with_their_alt_text(
    client, factory, queues, mastodon, settings, database_url, redis_url
):
    org = factory.organisation()
    medium = builders.medium(client, org, alt_text="Our newest reseller, Van Dijk Tools")
    item = due_item(client, org, mastodon, media_ids=[medium["id"]])
    mastodon.media_polls = 1  # processed asynchronously: 206 once, then ready
    queue_job(queues, org, item)

    run_worker(database_url, redis_url, "publish", media_dir=settings.media_dir)

    assert item_of(client, org, item)["status"] == "published"
    [made] = mastodon.made
    [attachment] = made["media_attachments"]
    assert attachment["description"] == "Our newest reseller, Van Dijk Tools"


def test_a_429_waits_for_retry_after_then_publishes_once(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon)
    queue_job(queues, org, item)
    mastodon.fail(STATUSES, 429, headers={"Retry-After": "1"}, body={"error": "Too many requests"})

    run_worker(database_url, redis_url, "publish")
    waiting = item_of(client, org, item)
    [deferred] = attempts_of(client, org, item)
    time.sleep(1.5)
    run_worker(database_url, redis_url, "publish")

    assert waiting["status"] == "publishing"
    assert deferred["next_try_at"] is not None and "rate limited" in deferred["reason"]
    assert item_of(client, org, item)["status"] == "published"
    assert len(mastodon.made) == 1
    [attempt] = attempts_of(client, org, item)
    assert (attempt["outcome"], attempt["tries"]) == ("sent", 2)


def test_a_5xx_is_retried_with_backoff_then_publishes_once(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon)
    queue_job(queues, org, item)
    mastodon.fail(STATUSES, 503)

    run_worker(database_url, redis_url, "publish")
    time.sleep(1.5)
    run_worker(database_url, redis_url, "publish")

    assert item_of(client, org, item)["status"] == "published"
    assert len(mastodon.made) == 1
    assert [a["tries"] for a in attempts_of(client, org, item)] == [2]


def test_a_5xx_for_good_fails_loudly_with_a_reason(
    client, factory, queues, mastodon, database, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon)
    queue_job(queues, org, item)
    for _ in range(10):
        mastodon.fail(STATUSES, 503)

    run_worker(database_url, redis_url, "publish")
    time.sleep(1.5)
    run_worker(database_url, redis_url, "publish")

    failed = item_of(client, org, item)
    assert failed["status"] == "publish_failed"
    assert failed["publish_error"].startswith("the network kept failing")
    assert failed["publish_retryable"] is True
    assert mastodon.made == []
    [event] = [e for e in events_of(database, org) if e.type == "content_item.publish_failed"]
    assert event.payload["content_item_id"] == item["id"]
    assert event.payload["reason"] == failed["publish_error"]


def test_a_401_marks_the_connection_needs_reauth_and_fails_the_item(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon, token="revoked-token")
    queue_job(queues, org, item)

    run_worker(database_url, redis_url, "publish")

    failed = item_of(client, org, item)
    connection = client.get(
        org.url(f"/channels/{item['channel_id']}/connection"), headers=org.headers
    ).get_json()
    assert connection["status"] == "needs_reauth"
    assert failed["status"] == "publish_failed"
    assert "reconnect the channel" in failed["publish_error"]
    assert mastodon.made == []


def test_a_timeout_after_the_instance_made_the_post_is_reconciled_into_one_post(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon)
    queue_job(queues, org, item)
    mastodon.hang(STATUSES)  # makes the status, then never answers

    run_worker(database_url, redis_url, "publish")
    unknown = attempts_of(client, org, item)
    time.sleep(1.5)
    run_worker(database_url, redis_url, "publish")

    assert [a["outcome"] for a in unknown] == ["unknown"]
    assert item_of(client, org, item)["status"] == "published"
    assert len(mastodon.made) == 1
    assert item_of(client, org, item)["external_id"] == mastodon.made[0]["id"]


def test_a_worker_killed_mid_publish_leaves_one_post_after_the_rerun(
    client, factory, queues, mastodon, settings, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon)
    queue_job(queues, org, item)
    mastodon.hang(STATUSES)
    worker = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "worker", "--burst", "--queue", "publish"],
        cwd=ROOT,
        env=worker_env(database_url, redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its work horse is in its process group
    )
    deadline = time.monotonic() + 60
    while not mastodon.made and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse, mid-request
    worker.wait(timeout=10)
    stuck = item_of(client, org, item)

    with runtime.using(settings):
        assert sweep_publishing(reschedule=False, older_than_seconds=0) == 1
    run_worker(database_url, redis_url, "publish")

    assert len(mastodon.made) == 1  # made before the kill
    assert stuck["status"] == "publishing"
    assert item_of(client, org, item)["status"] == "published"
    [attempt] = attempts_of(client, org, item)
    assert (attempt["outcome"], attempt["tries"]) == ("sent", 2)
    assert len([w for w in mastodon.writes if w[0] == STATUSES]) == 1  # found, not sent again


def test_a_text_over_the_limit_is_refused_at_approval_and_nothing_is_sent(
    client, factory, mastodon
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org, kind="mastodon", name="Fediverse")
    campaign = builders.campaign(client, org, strategy["id"], channel_ids=[channel["id"]])
    client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=org.headers,
        json={
            "provider": "mastodon",
            "account": "@clover@mastodon.example",
            "base_url": mastodon.url,
            "credentials": {"access_token": TOKEN},
        },
    )
    item = builders.content_item(client, org, campaign["id"], channel["id"], text="x" * 501)
    move(client, org, item, "drafting")
    move(client, org, item, "in_review")

    refused = move(client, org, item, "approved")

    assert refused.status_code == 422
    assert "Fediverse (mastodon)" in refused.get_json()["detail"]
    assert item_of(client, org, item)["status"] == "in_review"
    assert mastodon.writes == []


def test_limits_the_instance_reports_are_checked_again_before_sending(
    client, factory, queues, mastodon, database_url, redis_url
):
    org = factory.organisation()
    item = due_item(client, org, mastodon, text="x" * 200)  # fits the default 500
    mastodon.instance["configuration"]["statuses"]["max_characters"] = 100
    queue_job(queues, org, item)

    run_worker(database_url, redis_url, "publish")

    failed = item_of(client, org, item)
    assert failed["status"] == "publish_failed"
    assert "100 characters" in failed["publish_error"]
    assert failed["publish_retryable"] is False
    assert [w for w in mastodon.writes if w[0] == STATUSES] == []


def test_bluesky_gets_one_record_and_its_refreshed_session_is_stored_encrypted(
    client, factory, queues, settings, database, database_url, redis_url
):
    pds = bluesky.serve()
    try:
        org = factory.organisation()
        strategy = builders.strategy(client, org)
        channel = builders.channel(client, org, kind="bluesky", name="Bluesky")
        campaign = builders.campaign(client, org, strategy["id"], channel_ids=[channel["id"]])
        connected = client.put(
            org.url(f"/channels/{channel['id']}/connection"),
            headers=org.headers,
            json={
                "provider": "bluesky",
                "account": bluesky.HANDLE,
                "base_url": f"http://127.0.0.1:{pds.server_address[1]}",
                "credentials": {"access_token": bluesky.APP_PASSWORD},
            },
        )
        assert connected.status_code == 200, connected.get_data(as_text=True)
        item = builders.content_item(
            client, org, campaign["id"], channel["id"], text="Hello from Clover"
        )
        for step in ("drafting", "in_review", "approved"):
            move(client, org, item, step)
        at = datetime.now(UTC) - timedelta(seconds=5)
        move(client, org, item, "scheduled", scheduled_at=at.isoformat())
        queue_job(queues, org, item)

        run_worker(database_url, redis_url, "publish")

        published = item_of(client, org, item)
        [record] = pds.fake.post_records()
        assert published["status"] == "published"
        assert published["external_id"] == record["uri"]
        with database.session() as session:
            stored = session.scalars(
                select(Connection.credentials).where(Connection.channel_id == channel["id"])
            ).one()
        assert bluesky.APP_PASSWORD not in stored  # encrypted, and no longer the app password
        credentials = cipher_for(settings).decrypt(stored.encode()).decode()
        assert bluesky.APP_PASSWORD not in credentials
        assert any(token in credentials for token in pds.fake.access)
    finally:
        pds.shutdown()
        pds.server_close()
