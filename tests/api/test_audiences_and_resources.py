import pytest

from tests.api import builders
from tests.factories import bearer


def test_audience_round_trip(client, factory):
    org = factory.organisation()

    made = builders.audience(client, org, characteristics=["B2B", " B2B ", "DIY"])

    fetched = client.get(org.url(f"/audiences/{made['id']}"), headers=org.headers).get_json()
    assert fetched["channel_preferences"] == {"linkedin": 0.8, "email": 0.6}
    assert fetched["characteristics"] == ["B2B", "DIY"]
    assert fetched["value_tier"] == "strategic"


def test_channel_weights_must_be_between_zero_and_one(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"),
        headers=org.headers,
        json={"name": "X", "channel_preferences": {"linkedin": 1.5}},
    )

    assert response.status_code == 422
    assert "channel_preferences" in response.get_json()["errors"]


def test_unknown_channel_kind_is_refused(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/audiences"),
        headers=org.headers,
        json={"name": "X", "channel_preferences": {"myspace": 0.5}},
    )

    assert response.status_code == 422


@pytest.mark.parametrize("tag", [" ", "\t "])
def test_a_blank_tag_is_refused_on_create_and_update(client, factory, tag):
    org = factory.organisation()
    made = builders.audience(client, org)

    created = client.post(
        org.url("/audiences"), headers=org.headers, json={"name": "X", "characteristics": [tag]}
    )
    updated = client.patch(
        org.url(f"/audiences/{made['id']}"), headers=org.headers, json={"characteristics": [tag]}
    )

    # Stored trimmed, it would come back as "", which the schema says a tag is not.
    for response in (created, updated):
        assert response.status_code == 422
        assert "characteristics" in response.get_json()["errors"]


def test_audience_update_and_delete(client, factory):
    org = factory.organisation()
    made = builders.audience(client, org)
    url = org.url(f"/audiences/{made['id']}")

    updated = client.patch(
        url, headers={**org.headers, "If-Match": '"1"'}, json={"value_tier": "high"}
    )

    assert updated.status_code == 200 and updated.get_json()["value_tier"] == "high"
    assert client.delete(url, headers=org.headers).status_code == 204
    assert client.get(url, headers=org.headers).status_code == 404


def test_resource_with_capacity_and_cost(client, factory):
    org = factory.organisation()

    made = builders.resource(client, org)

    assert (made["weekly_capacity_hours"], made["hourly_cost"], made["kind"]) == (
        32.0,
        "55.00",
        "team",
    )


def test_capacity_beyond_a_week_is_refused(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/resources"),
        headers=org.headers,
        json={"name": "Superhuman", "weekly_capacity_hours": 200},
    )

    assert response.status_code == 422
    assert "weekly_capacity_hours" in response.get_json()["errors"]


def test_a_resource_links_to_a_member_of_the_same_organisation(client, factory):
    org = factory.organisation()
    member_id = client.get(org.url("/members"), headers=org.headers).get_json()["items"][0]["id"]

    made = builders.resource(client, org, name="Olive", kind="person", member_id=member_id)

    assert made["member_id"] == member_id


def test_a_member_of_another_organisation_cannot_be_linked(client, factory):
    org, other = factory.organisation(), factory.organisation()
    their_member = client.get(other.url("/members"), headers=other.headers).get_json()["items"][0][
        "id"
    ]

    response = client.post(
        org.url("/resources"),
        headers=org.headers,
        json={"name": "Spy", "weekly_capacity_hours": 10, "member_id": their_member},
    )

    assert response.status_code == 404
    assert client.get(org.url("/resources"), headers=org.headers).get_json()["items"] == []


def test_removing_a_member_keeps_their_resource_unlinked(client, factory):
    org = factory.organisation()
    joined = builders.invited_member(client, org, "contributor")
    member_id = builders.member_id(client, org, joined["user"]["id"])
    made = builders.resource(client, org, member_id=member_id)

    assert client.delete(org.url(f"/members/{member_id}"), headers=org.headers).status_code == 204

    assert (
        client.get(org.url(f"/resources/{made['id']}"), headers=org.headers).get_json()["member_id"]
        is None
    )


def test_contributor_reads_audiences_but_cannot_change_them(client, factory):
    org = factory.organisation()
    made = builders.audience(client, org)
    contributor = bearer(factory.member(org, "contributor"))

    assert client.get(org.url("/audiences"), headers=contributor).status_code == 200
    assert (
        client.patch(
            org.url(f"/audiences/{made['id']}"), headers=contributor, json={"name": "X"}
        ).status_code
        == 403
    )
