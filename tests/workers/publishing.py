"""What the publishing tests share: a module of tests on a database of its own (a burst
worker on the publish queue sweeps every organisation's due items), the fake networks,
and the steps of an item towards publication.

A test module takes the fixtures by importing them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue, Retry

from api import create_app
from api.config import Settings
from api.db import database_for
from api.domain.publishing.service import PUBLISH_JOB
from tests.api import builders
from tests.fakes import bluesky
from tests.fakes.mastodon import TOKEN, FakeMastodon
from tests.helpers import empty_rq


@pytest.fixture(scope="module")
def database_url(fresh_database) -> str:
    return fresh_database()


@pytest.fixture(scope="module")
def settings(database_url, redis_url, media_dir) -> Settings:
    return Settings.build(
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        connections_allow_private=True,  # the fake networks are on loopback
        media_dir=str(media_dir),
    )


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="module")
def database(settings):
    database = database_for(settings)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def queues(empty_queues):
    yield empty_queues
    empty_rq(empty_queues)


@pytest.fixture
def mastodon():
    server = FakeMastodon()
    yield server
    server.close()


@pytest.fixture
def pds():
    server = bluesky.serve()
    yield server
    server.shutdown()
    server.server_close()


def mastodon_connection(server, token: str = TOKEN) -> dict:
    """The body that connects a channel to the fake Mastodon."""
    return {
        "provider": "mastodon",
        "account": "@clover@mastodon.example",
        "base_url": server.url,
        "credentials": {"access_token": token},
    }


def move(client, org, item, to, **extra):
    return client.post(
        org.url(f"/content-items/{item['id']}/transition"),
        headers=org.headers,
        json={"to": to, **extra},
    )


def item_of(client, org, item) -> dict:
    return client.get(org.url(f"/content-items/{item['id']}"), headers=org.headers).get_json()


def due_item(
    client, org, *, kind: str, connection: dict, text="Spring is here, resellers!", **fields
) -> tuple[dict, dict, dict]:
    """An approved item on a newly connected channel, scheduled a moment ago:
    (item, channel, campaign), as the API shows them."""
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org, kind=kind, name=f"Our {kind}")
    campaign = builders.campaign(client, org, strategy["id"], channel_ids=[channel["id"]])
    connected = client.put(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers, json=connection
    )
    assert connected.status_code == 200, connected.get_data(as_text=True)
    item = builders.content_item(client, org, campaign["id"], channel["id"], text=text, **fields)
    for step in ("drafting", "in_review", "approved"):
        assert move(client, org, item, step).status_code == 200
    at = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    assert move(client, org, item, "scheduled", scheduled_at=at).status_code == 200
    return item, channel, campaign


def queue_job(queues, org, item, retries: int = 1) -> None:
    """The item's job as scheduling queues it, with RQ's backoff shortened to 1 s."""
    empty_rq(queues)  # the job scheduling queued, with the production backoff
    Queue("publish", connection=queues).enqueue(
        PUBLISH_JOB, str(org.id), item["id"], retry=Retry(max=retries, interval=[1])
    )
