"""Batches of content items: created together or moved together, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import Queue
from rq.registry import ScheduledJobRegistry

from tests.api import builders
from tests.api.test_publishing import connect
from tests.factories import bearer


def create_batch(client, org, campaign, items, headers=None):
    return client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items/batch"),
        headers=headers or org.headers,
        json={"items": items},
    )


def move_batch(client, org, to, items, headers=None):
    return client.post(
        org.url("/content-items/transitions"),
        headers=headers or org.headers,
        json={"to": to, "items": [{"id": item["id"]} for item in items]},
    )


def campaign_items(client, org, campaign) -> list[dict]:
    response = client.get(
        org.url(f"/campaigns/{campaign['id']}/content-items?limit=100"), headers=org.headers
    )
    return response.get_json()["items"]


def posts(channel, count):
    return [{"channel_id": channel["id"], "title": f"Post {n}"} for n in range(count)]


def made(client, org, campaign, channel, count) -> list[dict]:
    response = create_batch(client, org, campaign, posts(channel, count))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["items"]


def history(client, org, item) -> list[dict]:
    url = org.url(f"/content-items/{item['id']}/history")
    return client.get(url, headers=org.headers).get_json()["items"]


def test_a_batch_creates_its_items_in_order_as_ideas(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    items = made(client, org, campaign, channel, 3)

    assert [i["title"] for i in items] == ["Post 0", "Post 1", "Post 2"]
    assert {i["status"] for i in items} == {"idea"}
    assert len(campaign_items(client, org, campaign)) == 3


def test_each_created_item_has_one_history_row_and_one_audit_event(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    items = made(client, org, campaign, channel, 2)

    for item in items:
        assert [h["to_status"] for h in history(client, org, item)] == ["idea"]
        events = client.get(
            org.url(f"/audit-events?resource_id={item['id']}"), headers=org.headers
        ).get_json()["items"]
        assert [e["action"] for e in events] == ["create"]


def test_one_bad_item_refuses_the_batch_naming_its_index(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    elsewhere = builders.channel(client, org, kind="blog", name="Blog")
    items = posts(channel, 3)
    items[1]["channel_id"] = elsewhere["id"]

    response = create_batch(client, org, campaign, items)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["items.1.channel_id"]
    assert campaign_items(client, org, campaign) == []


def test_an_invalid_field_is_named_by_the_items_index(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = posts(channel, 3)
    items[2]["title"] = ""

    response = create_batch(client, org, campaign, items)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["items.2.title"]
    assert campaign_items(client, org, campaign) == []


def test_a_due_date_outside_the_campaign_is_named_by_index(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = posts(channel, 2)
    items[0]["due_date"] = "2030-01-01"

    response = create_batch(client, org, campaign, items)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["items.0.due_date"]


def test_500_items_are_one_batch(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    assert len(made(client, org, campaign, channel, 500)) == 500


def test_more_than_500_items_is_422(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    response = create_batch(client, org, campaign, posts(channel, 501))

    assert response.status_code == 422
    assert "items" in response.get_json()["errors"]
    assert campaign_items(client, org, campaign) == []


def test_another_organisations_campaign_is_404(client, factory):
    org, other = factory.organisation(), factory.organisation("Other")
    campaign, channel = builders.running_campaign(client, other)

    response = create_batch(client, org, campaign, posts(channel, 1))

    assert response.status_code == 404


def test_another_organisations_channel_owner_or_medium_is_refused_and_nothing_written(
    client, factory
):
    org, other = factory.organisation(), factory.organisation("Other")
    campaign, channel = builders.running_campaign(client, org)
    _, foreign_channel = builders.running_campaign(client, other)
    foreign_owner = builders.resource(client, other)
    foreign_medium = builders.medium(client, other)
    items = posts(channel, 4)
    items[1]["channel_id"] = foreign_channel["id"]
    items[2]["owner_id"] = foreign_owner["id"]
    items[3]["media_ids"] = [foreign_medium["id"]]

    response = create_batch(client, org, campaign, items)

    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "items.1.channel_id": ["Not found."],
        "items.2.owner_id": ["Not found."],
        "items.3.media_ids": ["Not found."],
    }
    assert campaign_items(client, org, campaign) == []


def test_the_query_count_does_not_grow_with_the_batch(client, factory, count_queries):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    owner = builders.resource(client, org)
    medium = builders.medium(client, org)

    def batch(count):
        return [
            {
                "channel_id": channel["id"],
                "title": f"Post {n}",
                "owner_id": owner["id"],
                "media_ids": [medium["id"]],
                "distribution_actions": [{"action": "Share", "channel_id": channel["id"]}],
            }
            for n in range(count)
        ]

    counts = []
    for count in (1, 10):
        with count_queries() as counter:
            response = create_batch(client, org, campaign, batch(count))
        assert response.status_code == 201, response.get_data(as_text=True)
        counts.append(counter.count)

    assert counts[0] == counts[1]


def test_a_batch_transition_moves_every_item_with_its_history(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = made(client, org, campaign, channel, 3)

    for step in ("drafting", "in_review", "approved"):
        response = move_batch(client, org, step, items)
        assert response.status_code == 200, response.get_data(as_text=True)

    assert {i["status"] for i in response.get_json()["items"]} == {"approved"}
    for item in items:
        steps = [h["to_status"] for h in history(client, org, item)]
        assert steps == ["idea", "drafting", "in_review", "approved"]
        events = client.get(
            org.url(f"/audit-events?resource_id={item['id']}"), headers=org.headers
        ).get_json()["items"]
        assert [e["action"] for e in events].count("move_to_approved") == 1


def test_a_contributor_approving_a_batch_is_403_and_nothing_moves(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = made(client, org, campaign, channel, 2)
    move_batch(client, org, "drafting", items)
    move_batch(client, org, "in_review", items)
    contributor = bearer(factory.member(org, "contributor"))

    response = move_batch(client, org, "approved", items, headers=contributor)

    assert response.status_code == 403
    assert {i["status"] for i in campaign_items(client, org, campaign)} == {"in_review"}


def test_one_item_in_a_wrong_state_refuses_the_batch_by_index(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = made(client, org, campaign, channel, 3)
    move_batch(client, org, "drafting", items[:1] + items[2:])

    response = move_batch(client, org, "in_review", items)

    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["items.1"]
    assert "idea" in errors["items.1"][0]
    statuses = [i["status"] for i in sorted(campaign_items(client, org, campaign), key=title)]
    assert statuses == ["drafting", "idea", "drafting"]
    assert len(history(client, org, items[0])) == 2


def title(item):
    return item["title"]


def test_another_organisations_item_in_a_batch_transition_is_refused(client, factory):
    org, other = factory.organisation(), factory.organisation("Other")
    campaign, channel = builders.running_campaign(client, org)
    theirs_campaign, theirs_channel = builders.running_campaign(client, other)
    mine = made(client, org, campaign, channel, 1)
    theirs = made(client, other, theirs_campaign, theirs_channel, 1)

    response = move_batch(client, org, "drafting", mine + theirs)

    assert response.status_code == 422
    assert response.get_json()["errors"] == {"items.1.id": ["Not found."]}
    assert campaign_items(client, org, campaign)[0]["status"] == "idea"
    assert campaign_items(client, other, theirs_campaign)[0]["status"] == "idea"


def test_approving_a_batch_checks_the_connected_channels_limits(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    connect(client, org, channel)
    items = [
        {"channel_id": channel["id"], "title": "Short", "text": "Hi"},
        {"channel_id": channel["id"], "title": "Long", "text": "word " * 120},
    ]
    made_items = create_batch(client, org, campaign, items).get_json()["items"]
    move_batch(client, org, "drafting", made_items)
    move_batch(client, org, "in_review", made_items)

    response = move_batch(client, org, "approved", made_items)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["items.1.text"]
    assert {i["status"] for i in campaign_items(client, org, campaign)} == {"in_review"}


def test_scheduling_a_batch_queues_each_items_publish_job(client, factory, empty_queues):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    connect(client, org, channel)
    items = made(client, org, campaign, channel, 2)
    for step in ("drafting", "in_review", "approved"):
        move_batch(client, org, step, items)
    at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)

    response = client.post(
        org.url("/content-items/transitions"),
        headers=org.headers,
        json={
            "to": "scheduled",
            "items": [{"id": i["id"], "scheduled_at": at.isoformat()} for i in items],
        },
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    registry = ScheduledJobRegistry(queue=Queue("publish", connection=empty_queues))
    jobs = [registry.job_class.fetch(j, connection=empty_queues) for j in registry.get_job_ids()]
    assert sorted(job.args[1] for job in jobs) == sorted(i["id"] for i in items)


def test_a_batch_create_honours_the_idempotency_key(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    headers = {**org.headers, "Idempotency-Key": "plan-2027"}

    first = create_batch(client, org, campaign, posts(channel, 2), headers=headers)
    again = create_batch(client, org, campaign, posts(channel, 2), headers=headers)

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert len(campaign_items(client, org, campaign)) == 2


def test_a_single_create_may_start_in_drafting_or_in_review(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    for status in ("drafting", "in_review"):
        item = builders.content_item(client, org, campaign["id"], channel["id"], status=status)

        assert item["status"] == status
        [first] = history(client, org, item)
        assert (first["from_status"], first["to_status"]) == (None, status)


def test_a_single_create_without_a_status_is_an_idea(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    item = builders.content_item(client, org, campaign["id"], channel["id"])

    assert item["status"] == "idea"


def test_a_single_create_in_a_later_status_is_422_naming_it(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)

    for status in ("approved", "scheduled", "published", "publishing", "nonsense"):
        response = client.post(
            org.url(f"/campaigns/{campaign['id']}/content-items"),
            headers=org.headers,
            json={"channel_id": channel["id"], "title": "Too soon", "status": status},
        )

        assert response.status_code == 422, status
        assert list(response.get_json()["errors"]) == ["status"]
    assert campaign_items(client, org, campaign) == []


def test_a_batch_creates_each_item_in_its_initial_status_with_one_step_and_event(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = posts(channel, 3)
    items[1]["status"] = "drafting"
    items[2]["status"] = "in_review"

    response = create_batch(client, org, campaign, items)

    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()["items"]
    assert [i["status"] for i in created] == ["idea", "drafting", "in_review"]
    for item in created:
        steps = [(h["from_status"], h["to_status"]) for h in history(client, org, item)]
        assert steps == [(None, item["status"])]
        events = client.get(
            org.url(f"/audit-events?resource_id={item['id']}"), headers=org.headers
        ).get_json()["items"]
        assert [e["action"] for e in events] == ["create"]


def test_a_batch_item_in_a_later_status_is_refused_by_index(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    items = posts(channel, 3)
    items[0]["status"] = "in_review"
    items[2]["status"] = "approved"

    response = create_batch(client, org, campaign, items)

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["items.2.status"]
    assert campaign_items(client, org, campaign) == []


def test_an_item_created_in_review_is_approved_without_the_earlier_steps(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    ready = [{**post, "status": "in_review"} for post in posts(channel, 2)]
    items = create_batch(client, org, campaign, ready).get_json()["items"]

    response = move_batch(client, org, "approved", items)

    assert response.status_code == 200, response.get_data(as_text=True)
    for item in items:
        steps = [h["to_status"] for h in history(client, org, item)]
        assert steps == ["in_review", "approved"]
