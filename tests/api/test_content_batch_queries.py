"""A batch transition runs as many SQL statements for 50 items as for 5 (no query per item)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api import builders
from tests.api.test_content_batches import create_batch
from tests.api.test_publishing import connect

SIZES = (5, 50)


@pytest.fixture
def planned(client, factory):
    """Items ready for review on two channels of one campaign, one of them connected,
    each with a text and a medium (what approval checks against the channel's limits)."""
    org = factory.organisation()
    connected, plain = builders.channel(client, org), builders.channel(client, org, name="Blog")
    connect(client, org, connected)
    strategy = builders.strategy(client, org)
    campaign = builders.campaign(
        client, org, strategy["id"], channel_ids=[connected["id"], plain["id"]]
    )
    medium = builders.medium(client, org)

    def items(count: int) -> list[dict]:
        drafts = [
            {
                "channel_id": (connected if n % 2 else plain)["id"],
                "title": f"Post {n}",
                "text": f"Post number {n} of the plan",
                "media_ids": [medium["id"]],
                "status": "in_review",
            }
            for n in range(count)
        ]
        response = create_batch(client, org, campaign, drafts)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["items"]

    return org, items


def move(client, org, to, items, **extra):
    response = client.post(
        org.url("/content-items/transitions"),
        headers=org.headers,
        json={"to": to, "items": [{"id": item["id"], **extra} for item in items]},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {i["status"] for i in response.get_json()["items"]} == {to}


ITEM_UPDATE = "UPDATE content_items SET"


def test_approving_and_scheduling_a_batch_read_as_many_times_for_50_items_as_for_5(
    client, planned, count_queries
):
    """Everything the rules read (campaigns, connections, channels, media) and the history
    and audit rows take as many statements for 50 items as for 5. Each item's own UPDATE
    is a statement of its own: it checks and bumps that item's version (SQLAlchemy's
    version counter writes versioned rows one by one), so that count is the batch's size."""
    org, items = planned
    at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    batches = {size: items(size) for size in SIZES}

    others: dict[str, list[int]] = {"approved": [], "scheduled": []}
    for size in SIZES:
        for to, extra in (("approved", {}), ("scheduled", {"scheduled_at": at})):
            with count_queries() as counter:
                move(client, org, to, batches[size], **extra)
            updates = [s for s in counter.statements if s.startswith(ITEM_UPDATE)]
            assert len(updates) == size
            others[to].append(counter.count - len(updates))

    assert others["approved"][0] == others["approved"][1], others
    assert others["scheduled"][0] == others["scheduled"][1], others
