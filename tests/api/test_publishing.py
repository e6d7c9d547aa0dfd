"""Publishing through the API: what an item carries, its limits at approval, and the
publisher's states a person cannot type in. The job itself: tests/workers/test_publish.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import Queue
from rq.registry import ScheduledJobRegistry

from api.domain.publishing.service import PUBLISH_JOB
from tests.api import builders


def connect(client, org, channel, provider="sandbox"):
    response = client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=org.headers,
        json={"provider": provider, "account": "@acme", "credentials": {"access_token": "t"}},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def move(client, org, item, to, **extra):
    return client.post(
        org.url(f"/content-items/{item['id']}/transition"),
        headers=org.headers,
        json={"to": to, **extra},
    )


def walk(client, org, item, *steps):
    for step in steps:
        response = move(client, org, item, step)
        assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def connected_item(client, org, **fields):
    campaign, channel = builders.running_campaign(client, org)
    connect(client, org, channel)
    item = builders.content_item(client, org, campaign["id"], channel["id"], **fields)
    return item, channel


def test_an_item_carries_its_text_and_whether_a_long_one_becomes_a_thread(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    item = builders.content_item(
        client, org, campaign["id"], channel["id"], text="Hello, resellers!"
    )
    changed = client.patch(
        org.url(f"/content-items/{item['id']}"), headers=org.headers, json={"as_thread": True}
    ).get_json()

    assert (item["text"], item["as_thread"]) == ("Hello, resellers!", False)
    assert changed["as_thread"] is True
    assert (item["external_id"], item["publish_error"], item["publish_retryable"]) == (
        None,
        None,
        None,
    )


def test_a_text_is_stored_up_to_ten_thousand_characters(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    response = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"),
        headers=org.headers,
        json={"channel_id": channel["id"], "title": "Long", "text": "x" * 10_001},
    )

    assert response.status_code == 422
    assert "text" in response.get_json()["errors"]


def test_approval_refuses_a_text_over_the_connected_channels_limit_naming_both(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="word " * 120)  # 600 characters, 500 allowed
    walk(client, org, item, "drafting", "in_review")

    response = move(client, org, item, "approved")

    assert response.status_code == 422
    problem = response.get_json()
    assert "Company page (sandbox)" in problem["detail"]
    [message] = problem["errors"]["text"]
    assert "500 characters" in message and "600" in message


def test_a_long_text_that_asks_for_a_thread_is_approved(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="word " * 120, as_thread=True)

    approved = walk(client, org, item, "drafting", "in_review", "approved")

    assert approved["status"] == "approved"


def test_links_count_as_the_network_counts_them(client, factory):
    org = factory.organisation()
    link = "https://example.com/" + "a" * 600
    item, _ = connected_item(client, org, text=f"Read this: {link}.")

    approved = walk(client, org, item, "drafting", "in_review", "approved")

    assert approved["status"] == "approved"  # the link counts 23, not 620


def test_a_channel_that_is_not_connected_has_no_limit_and_keeps_the_manual_path(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"], text="x" * 2000)

    walk(client, org, item, "drafting", "in_review", "approved")
    published = move(client, org, item, "published", published_at="2026-01-05T10:00:00Z")

    assert published.status_code == 200
    assert published.get_json()["status"] == "published"


def test_an_item_on_a_connected_channel_cannot_be_marked_published_by_hand(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="Hi")
    walk(client, org, item, "drafting", "in_review", "approved")

    response = move(client, org, item, "published", published_at="2026-01-05T10:00:00Z")

    assert response.status_code == 409
    assert "Clover publishes it" in response.get_json()["detail"]


def test_the_publishers_states_cannot_be_typed_in(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="Hi")
    walk(client, org, item, "drafting", "in_review", "approved")

    for status in ("publishing", "publish_failed"):
        response = move(client, org, item, status)
        assert response.status_code == 422, status
        assert "to" in response.get_json()["errors"]


def test_changing_the_text_after_approval_needs_a_new_approval(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="Hi")
    approved = walk(client, org, item, "drafting", "in_review", "approved")

    changed = client.patch(
        org.url(f"/content-items/{item['id']}"), headers=org.headers, json={"text": "Hi there"}
    ).get_json()

    assert approved["status"] == "approved"
    assert changed["status"] == "in_review" and changed["approved_at"] is None


def test_scheduling_on_a_connected_channel_queues_the_publish_job_for_its_time(
    client, factory, empty_queues
):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="Hi")
    walk(client, org, item, "drafting", "in_review", "approved")
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)

    scheduled = move(client, org, item, "scheduled", scheduled_at=at.isoformat())

    assert scheduled.status_code == 200
    registry = ScheduledJobRegistry(queue=Queue("publish", connection=empty_queues))
    [job_id] = registry.get_job_ids()
    job = registry.job_class.fetch(job_id, connection=empty_queues)
    assert job.func_name == PUBLISH_JOB
    assert job.args == (str(org.id), item["id"])
    assert registry.get_scheduled_time(job_id) == at


def test_scheduling_on_a_channel_that_is_not_connected_queues_nothing(
    client, factory, empty_queues
):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"], text="Hi")
    walk(client, org, item, "drafting", "in_review", "approved")

    move(client, org, item, "scheduled", scheduled_at="2030-01-01T09:00:00Z")

    registry = ScheduledJobRegistry(queue=Queue("publish", connection=empty_queues))
    assert registry.get_job_ids() == []


def test_a_connection_shows_its_providers_documented_limits_until_the_first_refresh(
    client, factory
):
    org = factory.organisation()
    _, channel = builders.running_campaign(client, org)

    shown = connect(client, org, channel)

    assert shown["limits"]["max_length"] == 500
    assert shown["limits"]["counting"] == "characters"
    assert shown["limits"]["url_length"] == 23
    assert shown["limits_refreshed_at"] is None


def test_an_item_has_no_publish_attempts_before_its_time(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="Hi")

    response = client.get(
        org.url(f"/content-items/{item['id']}/publish-attempts"), headers=org.headers
    )

    assert response.status_code == 200
    assert response.get_json()["items"] == []


def test_an_item_carries_the_organisations_media_in_order(client, factory):
    org = factory.organisation()
    first, second = builders.medium(client, org), builders.medium(client, org, "A teal circle")
    campaign, channel = builders.running_campaign(client, org)

    item = builders.content_item(
        client, org, campaign["id"], channel["id"], media_ids=[second["id"], first["id"]]
    )
    changed = client.patch(
        org.url(f"/content-items/{item['id']}"),
        headers=org.headers,
        json={"media_ids": [first["id"]]},
    ).get_json()

    assert item["media_ids"] == [second["id"], first["id"]]
    assert changed["media_ids"] == [first["id"]]
    shown = client.get(org.url(f"/content-items/{item['id']}"), headers=org.headers).get_json()
    assert shown["media_ids"] == [first["id"]]


def test_another_organisations_medium_is_not_found(client, factory):
    org, other = factory.organisation(), factory.organisation("Other Co")
    theirs = builders.medium(client, other)
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])

    created = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"),
        headers=org.headers,
        json={"channel_id": channel["id"], "title": "Theirs", "media_ids": [theirs["id"]]},
    )
    updated = client.patch(
        org.url(f"/content-items/{item['id']}"),
        headers=org.headers,
        json={"media_ids": [theirs["id"]]},
    )

    assert created.status_code == updated.status_code == 404
    assert theirs["id"] in updated.get_json()["detail"]


def test_a_medium_is_attached_once(client, factory):
    org = factory.organisation()
    medium = builders.medium(client, org)
    campaign, channel = builders.running_campaign(client, org)

    response = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"),
        headers=org.headers,
        json={"channel_id": channel["id"], "title": "Twice", "media_ids": [medium["id"]] * 2},
    )

    assert response.status_code == 422
    assert "media_ids" in response.get_json()["errors"]


def test_changing_the_media_after_approval_needs_a_new_approval(client, factory):
    org = factory.organisation()
    item, _ = connected_item(client, org, text="Hi")
    walk(client, org, item, "drafting", "in_review", "approved")

    changed = client.patch(
        org.url(f"/content-items/{item['id']}"),
        headers=org.headers,
        json={"media_ids": [builders.medium(client, org)["id"]]},
    ).get_json()

    assert changed["status"] == "in_review"


def test_approval_refuses_more_media_than_the_channel_takes(client, factory):
    org = factory.organisation()
    media = [builders.medium(client, org)["id"] for _ in range(5)]
    item, _ = connected_item(client, org, text="Hi", media_ids=media)
    walk(client, org, item, "drafting", "in_review")

    response = move(client, org, item, "approved")

    assert response.status_code == 422
    assert response.get_json()["errors"]["media_ids"] == [
        "Company page (sandbox) allows 4 attachments; this item has 5."
    ]


def test_a_medium_an_item_carries_is_not_deleted(client, factory):
    org = factory.organisation()
    medium = builders.medium(client, org)
    campaign, channel = builders.running_campaign(client, org)
    builders.content_item(client, org, campaign["id"], channel["id"], media_ids=[medium["id"]])

    response = client.delete(org.url(f"/media/{medium['id']}"), headers=org.headers)

    assert response.status_code == 409
    assert client.get(org.url(f"/media/{medium['id']}"), headers=org.headers).status_code == 200
