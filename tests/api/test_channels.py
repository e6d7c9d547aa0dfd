from tests.api import builders
from tests.factories import bearer


def test_mode_defaults_by_kind_and_family_is_derived(client, factory):
    org = factory.organisation()

    social = builders.channel(client, org, kind="mastodon", name="Fediverse")
    newsletter = builders.channel(client, org, kind="newsletter", name="Partner letter")
    chatty_email = builders.channel(
        client, org, kind="email", name="Support", mode="conversational"
    )

    assert (social["mode"], social["family"]) == ("conversational", "social")
    assert (newsletter["mode"], newsletter["family"]) == ("push", "traditional")
    assert chatty_email["mode"] == "conversational"
    assert social["purposes"] == ["marketing"] and social["status"] == "active"


def test_purposes_are_from_the_fixed_set_and_not_empty(client, factory):
    org = factory.organisation()

    bad = client.post(
        org.url("/channels"),
        headers=org.headers,
        json={"kind": "x", "name": "X", "purposes": ["fun"]},
    )
    empty = client.post(
        org.url("/channels"), headers=org.headers, json={"kind": "x", "name": "X", "purposes": []}
    )
    ok = builders.channel(client, org, purposes=["loyalty", "customer_service", "loyalty"])

    assert bad.status_code == 422 and empty.status_code == 422
    assert ok["purposes"] == ["customer_service", "loyalty"]


def test_unknown_kind_is_refused(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/channels"), headers=org.headers, json={"kind": "myspace", "name": "M"}
    )

    assert response.status_code == 422
    assert "kind" in response.get_json()["errors"]


def test_list_filters_by_status_and_kind(client, factory):
    org = factory.organisation()
    blog = builders.channel(client, org, kind="blog", name="Blog")
    builders.channel(client, org, kind="linkedin", name="LinkedIn")
    client.patch(org.url(f"/channels/{blog['id']}"), headers=org.headers, json={"status": "paused"})

    def names(query):
        return [
            c["name"]
            for c in client.get(org.url(f"/channels?{query}"), headers=org.headers).get_json()[
                "items"
            ]
        ]

    assert names("status=paused") == ["Blog"]
    assert names("kind=linkedin") == ["LinkedIn"]


def test_an_unused_channel_is_deleted(client, factory):
    org = factory.organisation()
    made = builders.channel(client, org)

    assert client.delete(org.url(f"/channels/{made['id']}"), headers=org.headers).status_code == 204
    assert client.get(org.url(f"/channels/{made['id']}"), headers=org.headers).status_code == 404


def test_a_channel_with_campaigns_is_archived_not_deleted(client, factory):
    org = factory.organisation()
    _, made = builders.running_campaign(client, org)

    refused = client.delete(org.url(f"/channels/{made['id']}"), headers=org.headers)
    archived = client.patch(
        org.url(f"/channels/{made['id']}"), headers=org.headers, json={"status": "archived"}
    )

    assert refused.status_code == 409
    assert "archive" in refused.get_json()["detail"]
    assert archived.get_json()["status"] == "archived"


def test_analyst_cannot_create_channels(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/channels"),
        headers=bearer(factory.member(org, "analyst")),
        json={"kind": "x", "name": "X"},
    )

    assert response.status_code == 403


def test_list_finds_a_channel_by_its_handle_ignoring_case_and_a_leading_at(client, factory):
    org = factory.organisation()
    builders.channel(client, org, name="Company page", handle="@AcmeTools")
    builders.channel(client, org, name="Blog", kind="blog", handle="acme-blog")

    def names(handle):
        response = client.get(
            org.url("/channels"), headers=org.headers, query_string={"handle": handle}
        )
        return [c["name"] for c in response.get_json()["items"]]

    assert names("@AcmeTools") == ["Company page"]
    assert names("acmetools") == ["Company page"]
    assert names("@ACME-BLOG") == ["Blog"]
    assert names("acme") == []


def test_list_finds_a_channel_by_its_exact_name(client, factory):
    org = factory.organisation()
    builders.channel(client, org, name="Company page")
    builders.channel(client, org, name="Company page (NL)")

    def names(name):
        response = client.get(
            org.url("/channels"), headers=org.headers, query_string={"name": name}
        )
        return [c["name"] for c in response.get_json()["items"]]

    assert names("Company page") == ["Company page"]
    assert names("company page") == []


def test_list_by_handle_never_finds_another_organisations_channel(client, factory):
    org, other = factory.organisation(), factory.organisation()
    builders.channel(client, other, handle="@theirs")

    response = client.get(
        org.url("/channels"), headers=org.headers, query_string={"handle": "@theirs"}
    )

    assert response.status_code == 200 and response.get_json()["items"] == []
