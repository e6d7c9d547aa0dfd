"""An item Clover's publisher publishes is matched against the key messages like one
published by hand (a real worker on the publish queue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api import builders
from tests.workers import publishing
from tests.workers.conftest import run_worker
from tests.workers.publishing import due_item, item_of, queue_job

# The publishing tests' fixtures: a database of this module's own, its app, empty queues.
app, database, database_url = publishing.app, publishing.database, publishing.database_url
queues, settings = publishing.queues, publishing.settings

SANDBOX = {"provider": "sandbox", "account": "@clover", "credentials": {"access_token": "t"}}


def test_a_published_post_carries_the_message(client, factory, database_url, redis_url, queues):
    org = factory.organisation()
    item, _, campaign = due_item(
        client, org, kind="bluesky", connection=SANDBOX, text="Easy setups for every reseller"
    )
    strategy_id = campaign["strategy_id"]
    builders.created(
        client.post(
            org.url(f"/strategies/{strategy_id}/key-messages"),
            headers=org.headers,
            json={"name": "Easy to set up", "phrases": ["easy setup"]},
        )
    )
    queue_job(queues, org, item)  # only the publish job: history is not re-matched here

    run_worker(database_url, redis_url, "publish")

    assert item_of(client, org, item)["status"] == "published"
    today = datetime.now(UTC).date()
    report = client.get(
        org.url(
            f"/reports/message-pull-through?strategy_id={strategy_id}"
            f"&from={today - timedelta(days=1)}&to={today}"
        ),
        headers=org.headers,
    ).get_json()
    overall = report["messages"][0]["overall"]
    assert (overall["own_posts"], overall["own_posts_carrying"]) == (1, 1)
