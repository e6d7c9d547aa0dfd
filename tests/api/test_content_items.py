from tests.api import builders
from tests.factories import bearer


def move(client, org, item, to, headers=None, **extra):
    return client.post(
        org.url(f"/content-items/{item['id']}/transition"),
        headers=headers or org.headers,
        json={"to": to, **extra},
    )


def walk(client, org, item, *steps):
    for step in steps:
        response = move(client, org, item, step)
        assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_new_item_is_an_idea_on_one_of_the_campaigns_channels(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    owner = builders.resource(client, org)

    item = builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        owner_id=owner["id"],
        format="article",
        effort_hours=6,
        due_date="2027-03-15",
        distribution_actions=[
            {"action": "Share in partner newsletter", "channel_id": channel["id"]}
        ],
    )

    assert item["status"] == "idea"
    assert item["plan_date"] == "2027-03-15"
    assert item["distribution_actions"] == [
        {"action": "Share in partner newsletter", "channel_id": channel["id"], "done": False}
    ]


def test_the_channel_must_be_one_of_the_campaigns(client, factory):
    org = factory.organisation()
    campaign, _ = builders.running_campaign(client, org)
    elsewhere = builders.channel(client, org, kind="blog", name="Blog")

    response = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"),
        headers=org.headers,
        json={"channel_id": elsewhere["id"], "title": "Off-channel"},
    )

    assert response.status_code == 422
    assert "channel_id" in response.get_json()["errors"]


def test_the_flow_to_publication_keeps_history(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])

    walk(client, org, item, "drafting", "in_review", "approved")
    scheduled = move(client, org, item, "scheduled", scheduled_at="2027-04-02T09:00:00Z").get_json()
    published = move(
        client,
        org,
        item,
        "published",
        published_at="2026-11-02T09:00:05Z",
        published_url="https://www.linkedin.com/posts/acme-1",
        comment="Live",
    ).get_json()

    assert scheduled["plan_date"] == "2027-04-02"
    assert published["status"] == "published"
    history = client.get(
        org.url(f"/content-items/{item['id']}/history"), headers=org.headers
    ).get_json()["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "idea"),
        ("idea", "drafting"),
        ("drafting", "in_review"),
        ("in_review", "approved"),
        ("approved", "scheduled"),
        ("scheduled", "published"),
    ]
    assert history[-1]["comment"] == "Live"
    assert history[-1]["actor_api_key_id"]


def test_skipping_steps_is_409_naming_both_states(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])

    response = move(client, org, item, "published", published_at="2027-04-02T09:00:00Z")

    assert response.status_code == 409
    detail = response.get_json()["detail"]
    assert "idea" in detail and "published" in detail


def test_only_roles_with_content_approve_approve(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    walk(client, org, item, "drafting", "in_review")
    contributor = bearer(factory.member(org, "contributor"))
    strategist = factory.member(org, "strategist")

    refused = move(client, org, item, "approved", headers=contributor)
    approved = move(client, org, item, "approved", headers=bearer(strategist))

    assert refused.status_code == 403
    assert approved.status_code == 200
    body = approved.get_json()
    strategist_key = client.get("/v1/me", headers=bearer(strategist)).get_json()["api_key"]["id"]
    assert body["approved_by_api_key_id"] == strategist_key
    assert body["approved_at"] is not None


def test_contributors_move_their_drafts_to_review(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    contributor = bearer(factory.member(org, "contributor"))

    assert move(client, org, item, "drafting", headers=contributor).status_code == 200
    assert move(client, org, item, "in_review", headers=contributor).status_code == 200


def test_editing_an_approved_items_title_sends_it_back_to_review(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    walk(client, org, item, "drafting", "in_review", "approved")

    hours = client.patch(
        org.url(f"/content-items/{item['id']}"), headers=org.headers, json={"effort_hours": 3}
    )
    title = client.patch(
        org.url(f"/content-items/{item['id']}"), headers=org.headers, json={"title": "New angle"}
    )

    assert hours.get_json()["status"] == "approved"
    assert title.get_json()["status"] == "in_review"
    assert title.get_json()["approved_at"] is None


def test_publishing_needs_a_published_time(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    walk(client, org, item, "drafting", "in_review", "approved")

    response = move(client, org, item, "published")

    assert response.status_code == 422
    assert "published_at" in response.get_json()["errors"]


def test_organisation_wide_list_filters(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    owner = builders.resource(client, org)
    builders.content_item(
        client,
        org,
        campaign["id"],
        channel["id"],
        title="Mine",
        owner_id=owner["id"],
        due_date="2027-03-10",
    )
    other = builders.content_item(
        client, org, campaign["id"], channel["id"], title="Unowned", due_date="2027-05-10"
    )
    move(client, org, other, "drafting")

    def titles(query):
        return [
            i["title"]
            for i in client.get(org.url(f"/content-items?{query}"), headers=org.headers).get_json()[
                "items"
            ]
        ]

    assert titles(f"owner_id={owner['id']}") == ["Mine"]
    assert titles("status=drafting") == ["Unowned"]
    assert titles("due_from=2027-04-01") == ["Unowned"]
    assert titles(f"campaign_id={campaign['id']}") == ["Mine", "Unowned"]


def test_an_owner_of_another_organisation_is_404(client, factory):
    org, other = factory.organisation(), factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    their_resource = builders.resource(client, other)

    response = client.post(
        org.url(f"/campaigns/{campaign['id']}/content-items"),
        headers=org.headers,
        json={"channel_id": channel["id"], "title": "X", "owner_id": their_resource["id"]},
    )

    assert response.status_code == 404


def test_published_items_are_kept(client, factory):
    org = factory.organisation()
    campaign, channel = builders.running_campaign(client, org)
    item = builders.content_item(client, org, campaign["id"], channel["id"])
    walk(client, org, item, "drafting", "in_review", "approved")
    move(client, org, item, "published", published_at="2026-11-02T09:00:00Z")

    assert (
        client.delete(org.url(f"/content-items/{item['id']}"), headers=org.headers).status_code
        == 409
    )
    assert (
        client.patch(
            org.url(f"/content-items/{item['id']}"), headers=org.headers, json={"title": "X"}
        ).status_code
        == 409
    )
