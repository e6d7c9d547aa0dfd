"""Key messages through the API: CRUD, matching as texts arrive, re-matching in a worker."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.api import builders
from tests.factories import Factory, bearer
from tests.helpers import embedded_app
from tests.workers.conftest import run_worker

EASY = {"name": "Easy to set up", "phrases": ["easy to set up", "easy setup"]}


def create(client, org, strategy_id, body=None, **fields):
    return client.post(
        org.url(f"/strategies/{strategy_id}/key-messages"),
        headers=org.headers,
        json={**(body or EASY), **fields},
    )


def message(client, org, strategy_id, body=None, **fields) -> dict:
    return builders.created(create(client, org, strategy_id, body, **fields))


def mention(client, org, channel, text, posted_at="2026-10-05T09:00:00Z", **fields) -> dict:
    return builders.created(
        client.post(
            org.url("/mentions"),
            headers=org.headers,
            json={"channel_id": channel["id"], "text": text, "posted_at": posted_at, **fields},
        )
    )


def publish(client, org, campaign, channel, text, published_at="2026-10-05T09:00:00Z") -> dict:
    """A content item of ours with ``text``, moved by hand to published."""
    item = builders.content_item(
        client, org, campaign["id"], channel["id"], title="Post", text=text
    )
    for step in ("drafting", "in_review", "approved"):
        response = client.post(
            org.url(f"/content-items/{item['id']}/transition"),
            headers=org.headers,
            json={"to": step},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    response = client.post(
        org.url(f"/content-items/{item['id']}/transition"),
        headers=org.headers,
        json={"to": "published", "published_at": published_at},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return item


def october(client, org, strategy_id) -> list[dict]:
    """Each message's figures for October 2026 (monthly)."""
    response = client.get(
        org.url(
            f"/reports/message-pull-through?strategy_id={strategy_id}&from=2026-10-01&to=2026-10-31"
        ),
        headers=org.headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["messages"]


@pytest.fixture
def org(factory):
    return factory.organisation()


@pytest.fixture
def strategy(client, org):
    return builders.strategy(client, org)


# CRUD


def test_a_message_is_created_under_its_strategy_with_its_links(client, org, strategy):
    objective = builders.objective(client, org, strategy["id"])
    audience = builders.audience(client, org)

    made = message(
        client,
        org,
        strategy["id"],
        phrases=[" easy to set up ", "easy setup", "easy to set up"],
        objective_ids=[objective["id"]],
        audience_ids=[audience["id"]],
    )

    assert made["strategy_id"] == strategy["id"]
    assert made["phrases"] == ["easy to set up", "easy setup"]  # trimmed, once each
    assert made["objective_ids"] == [objective["id"]]
    assert made["audience_ids"] == [audience["id"]]
    got = client.get(org.url(f"/key-messages/{made['id']}"), headers=org.headers)
    assert got.status_code == 200 and got.get_json() == made
    listed = client.get(org.url(f"/strategies/{strategy['id']}/key-messages"), headers=org.headers)
    assert [m["id"] for m in listed.get_json()["items"]] == [made["id"]]


def test_a_message_is_renamed_relinked_and_deleted(client, org, strategy):
    made = message(client, org, strategy["id"], objective_ids=[])
    objective = builders.objective(client, org, strategy["id"])

    response = client.patch(
        org.url(f"/key-messages/{made['id']}"),
        headers={**org.headers, "If-Match": f'"{made["version"]}"'},
        json={"name": "Set up in minutes", "objective_ids": [objective["id"]]},
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["name"], body["objective_ids"], body["version"]) == (
        "Set up in minutes",
        [objective["id"]],
        made["version"] + 1,
    )
    assert (
        client.delete(org.url(f"/key-messages/{made['id']}"), headers=org.headers).status_code
        == 204
    )
    assert (
        client.get(org.url(f"/key-messages/{made['id']}"), headers=org.headers).status_code == 404
    )


def test_listing_messages_runs_the_same_queries_for_a_bigger_page(
    client, org, strategy, count_queries
):
    objective = builders.objective(client, org, strategy["id"])
    audience = builders.audience(client, org)
    for n in range(4):
        message(
            client,
            org,
            strategy["id"],
            name=f"Message {n}",
            objective_ids=[objective["id"]],
            audience_ids=[audience["id"]],
        )
    url = org.url(f"/strategies/{strategy['id']}/key-messages")
    client.get(url, headers=org.headers)

    counts = []
    for limit in (1, 4):
        with count_queries() as counter:
            items = client.get(f"{url}?limit={limit}", headers=org.headers).get_json()["items"]
        assert len(items) == limit and items[0]["audience_ids"] == [audience["id"]]
        counts.append(counter.count)

    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phrases": ["easy"]}, "name"),
        ({"name": "No phrases"}, "phrases"),
        ({"name": "Empty", "phrases": []}, "phrases"),
        ({"name": "Blank", "phrases": [""]}, "phrases"),
        ({"name": "No words", "phrases": ["!!! 🎉"]}, "phrases"),
        ({"name": "Many", "phrases": [f"phrase {n}" for n in range(51)]}, "phrases"),
        ({"name": "Odd", "phrases": ["x"], "colour": "teal"}, "colour"),
        ({"name": "Bad id", "phrases": ["x"], "objective_ids": ["nope"]}, "objective_ids"),
    ],
)
def test_bad_messages_are_422_with_the_field(client, org, strategy, body, field):
    response = client.post(
        org.url(f"/strategies/{strategy['id']}/key-messages"), headers=org.headers, json=body
    )

    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.get_json()["errors"]


def test_an_objective_of_another_strategy_is_422(client, org, strategy):
    other = builders.strategy(client, org, name="Another")
    objective = builders.objective(client, org, other["id"])

    response = create(client, org, strategy["id"], objective_ids=[objective["id"]])

    assert response.status_code == 422
    assert "objective_ids" in response.get_json()["errors"]


def test_an_archived_strategy_takes_no_messages(client, org, strategy):
    client.post(org.url(f"/strategies/{strategy['id']}/archive"), headers=org.headers)

    assert create(client, org, strategy["id"]).status_code == 409


# Matching as texts arrive


def test_a_mention_is_matched_when_it_arrives(client, org, strategy):
    channel = builders.channel(client, org)
    message(client, org, strategy["id"])
    message(client, org, strategy["id"], {"name": "Fair price", "phrases": ["fair price"]})

    mention(client, org, channel, "So EASY to sét up, and fair prices!")
    mention(client, org, channel, "easysetup is not a word of ours")
    batch = [
        {"text": "An easy setup", "posted_at": "2026-10-06T09:00:00Z"},
        {"text": "Pricey", "posted_at": "2026-10-06T09:00:00Z"},
    ]
    response = client.post(
        org.url("/mentions/batch"),
        headers=org.headers,
        json={"channel_id": channel["id"], "mentions": batch},
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    easy, fair = october(client, org, strategy["id"])
    period = easy["periods"][0]
    assert (period["company_mentions"], period["company_mentions_carrying"]) == (4, 2)
    assert fair["periods"][0]["company_mentions_carrying"] == 1


def test_a_corrected_mention_is_matched_again(client, org, strategy):
    channel = builders.channel(client, org)
    message(client, org, strategy["id"])
    said = mention(client, org, channel, "Hard to install")

    response = client.patch(
        org.url(f"/mentions/{said['id']}"), headers=org.headers, json={"text": "Easy to set up"}
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert october(client, org, strategy["id"])[0]["periods"][0]["company_mentions_carrying"] == 1


def test_a_published_item_is_matched_when_published(client, org, strategy):
    campaign, channel = builders.running_campaign(client, org)
    message(client, org, strategy["id"])
    publish(client, org, campaign, channel, "Easy setups for every reseller")
    draft = builders.content_item(
        client, org, campaign["id"], channel["id"], title="Draft", text="easy to set up"
    )
    assert draft["status"] == "idea"  # not published: not one of our posts

    period = october(client, org, strategy["id"])[0]["periods"][0]
    assert (period["own_posts"], period["own_posts_carrying"], period["own_share"]) == (1, 1, 1)


def test_new_phrases_match_the_next_mention_at_once(client, org, strategy, empty_queues):
    channel = builders.channel(client, org)
    made = message(client, org, strategy["id"], phrases=["easy to set up"])
    mention(client, org, channel, "easy to set up")  # the organisation's matcher is built
    client.patch(
        org.url(f"/key-messages/{made['id']}"), headers=org.headers, json={"phrases": ["no fuss"]}
    )

    mention(client, org, channel, "No fuss at all")

    # No worker ran: the first mention keeps its old link until the job re-links history.
    assert october(client, org, strategy["id"])[0]["periods"][0]["company_mentions_carrying"] == 2


# Re-matching history in a worker


def test_new_phrases_rematch_history_in_a_worker(
    client, org, strategy, database_url, redis_url, empty_queues
):
    campaign, channel = builders.running_campaign(client, org)
    made = message(client, org, strategy["id"], phrases=["easy to set up"])
    for text in ("easy to set up", "quick install", "Quick installs, finally"):
        mention(client, org, channel, text)
    publish(client, org, campaign, channel, "A quick install guide")
    before = october(client, org, strategy["id"])[0]["periods"][0]
    assert (before["company_mentions_carrying"], before["own_posts_carrying"]) == (1, 0)

    response = client.patch(
        org.url(f"/key-messages/{made['id']}"),
        headers=org.headers,
        json={"phrases": ["quick install"]},
    )
    assert response.status_code == 200
    run_worker(database_url, redis_url, "default")

    after = october(client, org, strategy["id"])[0]["periods"][0]
    assert (after["company_mentions_carrying"], after["own_posts_carrying"]) == (2, 1)


def test_a_message_added_later_finds_what_was_said_before(
    client, org, strategy, database_url, redis_url, empty_queues
):
    channel = builders.channel(client, org)
    mention(client, org, channel, "Easy to set up, really")
    mention(client, org, channel, "Something else")

    message(client, org, strategy["id"])
    run_worker(database_url, redis_url, "default")

    period = october(client, org, strategy["id"])[0]["periods"][0]
    assert (period["company_mentions"], period["company_mentions_carrying"]) == (2, 1)


# Tenancy


def test_another_organisations_token_sees_404(client, factory, org, strategy):
    made = message(client, org, strategy["id"])
    other = bearer(factory.organisation("Other").token)

    for method, path, body in [
        ("GET", f"/strategies/{strategy['id']}/key-messages", None),
        ("POST", f"/strategies/{strategy['id']}/key-messages", EASY),
        ("GET", f"/key-messages/{made['id']}", None),
        ("PATCH", f"/key-messages/{made['id']}", {"name": "Taken"}),
        ("DELETE", f"/key-messages/{made['id']}", None),
        (
            "GET",
            f"/reports/message-pull-through?strategy_id={strategy['id']}"
            "&from=2026-10-01&to=2026-10-31",
            None,
        ),
    ]:
        response = client.open(org.url(path), method=method, headers=other, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
    assert (
        client.get(org.url(f"/key-messages/{made['id']}"), headers=org.headers).get_json() == made
    )


def test_another_organisations_ids_under_ones_own_url_are_404(client, factory, org, strategy):
    made = message(client, org, strategy["id"])
    thief = factory.organisation("Thief")

    for method, path, body in [
        ("GET", f"/strategies/{strategy['id']}/key-messages", None),
        ("POST", f"/strategies/{strategy['id']}/key-messages", EASY),
        ("GET", f"/key-messages/{made['id']}", None),
        ("PATCH", f"/key-messages/{made['id']}", {"name": "Taken"}),
        ("DELETE", f"/key-messages/{made['id']}", None),
        (
            "GET",
            f"/reports/message-pull-through?strategy_id={strategy['id']}"
            "&from=2026-10-01&to=2026-10-31",
            None,
        ),
    ]:
        response = client.open(thief.url(path), method=method, headers=thief.headers, json=body)
        assert response.status_code == 404, (method, path, response.status_code)


def test_a_message_cannot_name_another_organisations_objective_or_audience(
    client, factory, org, strategy
):
    thief = factory.organisation("Thief")
    own = builders.strategy(client, thief)
    objective = builders.objective(client, org, strategy["id"])
    audience = builders.audience(client, org)

    for field, ref in (("objective_ids", objective["id"]), ("audience_ids", audience["id"])):
        response = create(client, thief, own["id"], **{field: [ref]})
        assert response.status_code == 404, (field, response.get_data(as_text=True))
    made = message(client, thief, own["id"])
    for field, ref in (("objective_ids", objective["id"]), ("audience_ids", audience["id"])):
        response = client.patch(
            thief.url(f"/key-messages/{made['id']}"), headers=thief.headers, json={field: [ref]}
        )
        assert response.status_code == 404, (field, response.get_data(as_text=True))


def test_mentions_from_a_sync_are_matched(
    client, org, strategy, database_url, redis_url, empty_queues
):
    channel = builders.channel(client, org, kind="bluesky", name="Bluesky")
    connection = {"provider": "sandbox", "account": "@clover", "credentials": {"access_token": "t"}}
    client.put(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers, json=connection
    )
    message(client, org, strategy["id"], {"name": "Pricing", "phrases": ["changed the pricing"]})

    client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
    run_worker(database_url, redis_url, "sync", "default")

    said = client.get(
        org.url("/mentions?topic=company&q=changed%20the%20pricing&limit=200"), headers=org.headers
    ).get_json()["items"]
    today = date.today()
    response = client.get(
        org.url(
            f"/reports/message-pull-through?strategy_id={strategy['id']}"
            f"&from={today - timedelta(days=120)}&to={today}"
        ),
        headers=org.headers,
    )
    assert len(said) > 0
    assert response.get_json()["messages"][0]["overall"]["company_mentions_carrying"] == len(said)


def test_the_embedded_default_matches_rematches_and_reports(tmp_path):
    """SQLite, jobs in-process: the re-matching job runs before the answer."""
    with embedded_app(tmp_path) as app:
        client = app.test_client()
        org = Factory(app.extensions["clover"].database).organisation("Embedded")
        strategy = builders.strategy(client, org)
        campaign, channel = builders.running_campaign(client, org)
        mention(client, org, channel, "Easy to set up!")
        made = message(client, org, strategy["id"])  # matched by the job, in-process
        mention(client, org, channel, "An easy setup", "2026-10-20T09:00:00Z")
        publish(client, org, campaign, channel, "Easy setups", "2026-10-21T09:00:00Z")
        client.patch(
            org.url(f"/key-messages/{made['id']}"),
            headers=org.headers,
            json={"phrases": ["easy to set up"]},
        )

        period = october(client, org, strategy["id"])[0]["periods"][0]

    assert (period["company_mentions"], period["company_mentions_carrying"]) == (2, 1)
    assert (period["own_posts"], period["own_posts_carrying"]) == (1, 0)
