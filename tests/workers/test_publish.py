"""The publish job through real `clover worker` processes and real Redis, on the sandbox.

The module runs on a database of its own: the sweep looks at every tenant's items,
so a shared database would have it publish other tests' items.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from sqlalchemy import select

from api import create_app
from api.config import Settings
from api.db import database_for
from api.domain.publishing.service import PUBLISH_JOB
from api.domain.webhooks.models import WebhookEvent
from tests.api import builders
from tests.helpers import empty_rq
from tests.workers.conftest import ROOT, run_worker, worker_env
from workers import runtime
from workers.publish import sweep_publishing


@pytest.fixture(scope="module")
def database_url(fresh_database) -> str:
    return fresh_database()


@pytest.fixture(scope="module")
def settings(database_url, redis_url) -> Settings:
    return Settings.build(database_url=database_url, redis_url=redis_url, environment="test")


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="module")
def database(settings):
    database = database_for(settings)
    yield database
    database.dispose()  # before the session drops the module's database


@pytest.fixture(autouse=True)
def queues(empty_queues):
    yield empty_queues
    empty_rq(empty_queues)


def scheduled_item(client, org, at: datetime, text: str = "Spring is here, resellers!") -> dict:
    """An approved item on a sandbox-connected channel, scheduled for ``at``."""
    campaign, channel = builders.running_campaign(client, org)
    connected = client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=org.headers,
        json={"provider": "sandbox", "account": "@acme", "credentials": {"access_token": "t"}},
    )
    assert connected.status_code == 200
    item = builders.content_item(client, org, campaign["id"], channel["id"], text=text)
    for step in ("drafting", "in_review", "approved"):
        move(client, org, item, step)
    return move(client, org, item, "scheduled", scheduled_at=at.isoformat())


def move(client, org, item, to, **extra) -> dict:
    response = client.post(
        org.url(f"/content-items/{item['id']}/transition"),
        headers=org.headers,
        json={"to": to, **extra},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def item_of(client, org, item) -> dict:
    return client.get(org.url(f"/content-items/{item['id']}"), headers=org.headers).get_json()


def attempts_of(client, org, item) -> list[dict]:
    url = org.url(f"/content-items/{item['id']}/publish-attempts")
    return client.get(url, headers=org.headers).get_json()["items"]


def history_of(client, org, item) -> list[tuple]:
    url = org.url(f"/content-items/{item['id']}/history?limit=100")
    steps = client.get(url, headers=org.headers).get_json()["items"]
    return [(s["from_status"], s["to_status"], s["actor"]) for s in steps]


def until(when: datetime) -> None:
    time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 0.2)


def soon(seconds: float = 1) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_scheduled_item_is_published_at_its_time_not_before(
    client, factory, database, database_url, redis_url
):
    org = factory.organisation()
    at = soon(10)  # a worker takes a few seconds to start
    item = scheduled_item(client, org, at)

    run_worker(database_url, redis_url, "publish")
    before = item_of(client, org, item)
    until(at)
    run_worker(database_url, redis_url, "publish")
    after = item_of(client, org, item)

    assert before["status"] == "scheduled"
    assert after["status"] == "published"
    assert after["external_id"].startswith("sandbox-")
    [attempt] = attempts_of(client, org, item)
    key = hashlib.sha256(f"{item['id']}:1".encode()).hexdigest()
    assert (attempt["number"], attempt["key"], attempt["outcome"]) == (1, key, "sent")
    assert attempt["external_id"] == after["external_id"]
    assert history_of(client, org, item)[-2:] == [
        ("scheduled", "publishing", "publisher"),
        ("publishing", "published", "publisher"),
    ]
    with database.session() as session:
        types = session.scalars(
            select(WebhookEvent.type).where(WebhookEvent.organisation_id == org.id)
        ).all()
    assert "content_item.published" in types


def test_an_item_cancelled_before_its_time_is_not_sent(client, factory, database_url, redis_url):
    org = factory.organisation()
    at = soon()
    item = scheduled_item(client, org, at)

    move(client, org, item, "cancelled")
    until(at)
    run_worker(database_url, redis_url, "publish")

    assert item_of(client, org, item)["status"] == "cancelled"
    assert attempts_of(client, org, item) == []


def test_an_item_unscheduled_before_its_time_is_not_sent(client, factory, database_url, redis_url):
    org = factory.organisation()
    at = soon()
    item = scheduled_item(client, org, at)

    move(client, org, item, "approved")
    until(at)
    run_worker(database_url, redis_url, "publish")

    assert item_of(client, org, item)["status"] == "approved"
    assert attempts_of(client, org, item) == []


def test_the_sweep_publishes_a_due_item_whose_job_was_lost(
    client, factory, settings, queues, database_url, redis_url
):
    org = factory.organisation()
    item = scheduled_item(client, org, datetime.now(UTC) - timedelta(minutes=5))
    empty_rq(queues)  # Redis lost the item's job

    with runtime.using(settings):
        assert sweep_publishing(reschedule=False) >= 1
    run_worker(database_url, redis_url, "publish")

    assert item_of(client, org, item)["status"] == "published"
    assert len(attempts_of(client, org, item)) == 1


def test_two_workers_racing_for_the_same_due_items_publish_each_once(
    client, factory, queues, database_url, redis_url
):
    org = factory.organisation()
    past = datetime.now(UTC) - timedelta(minutes=1)
    items = [scheduled_item(client, org, past, text=f"Post {n}") for n in range(6)]
    empty_rq(queues)
    queue = Queue("publish", connection=queues)
    for _ in range(3):  # every item's job three times over: two workers take them at once
        for item in items:
            queue.enqueue(PUBLISH_JOB, str(org.id), item["id"])

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "worker", "--burst", "--queue", "publish"],
            cwd=ROOT,
            env=worker_env(database_url, redis_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=120)
        assert worker.returncode == 0, errors[-2000:]

    for item in items:
        assert item_of(client, org, item)["status"] == "published"
        assert [a["outcome"] for a in attempts_of(client, org, item)] == ["sent"]
        published = [s for s in history_of(client, org, item) if s[1] == "published"]
        assert len(published) == 1
