from tests.api import builders
from tests.factories import bearer


def join(client, org, role="contributor") -> dict:
    """Someone who accepted an invitation to ``org`` (at signup): their membership."""
    joined = builders.invited_member(client, org, role)
    member_id = builders.member_id(client, org, joined["user"]["id"])
    return client.get(org.url(f"/members/{member_id}"), headers=org.headers).get_json()


def owner_membership(client, org):
    members = client.get(org.url("/members"), headers=org.headers).get_json()["items"]
    return next(m for m in members if m["role"] == "owner")


def test_nobody_is_added_without_an_invitation(client, factory):
    """Adding an existing user without their consent is gone: people accept invitations."""
    org = factory.organisation()
    _, email = factory.user()

    response = client.post(
        org.url("/members"), headers=org.headers, json={"email": email, "role": "analyst"}
    )

    assert response.status_code == 405
    members = client.get(org.url("/members"), headers=org.headers).get_json()["items"]
    assert email not in {m["user"]["email"] for m in members}


def test_an_invited_member_is_listed_with_the_invited_role(client, factory):
    org = factory.organisation()

    member = join(client, org, "strategist")

    assert member["role"] == "strategist"
    listed = client.get(org.url("/members"), headers=org.headers).get_json()["items"]
    assert member["user"]["email"] in {m["user"]["email"] for m in listed}


def test_only_owners_and_admins_manage_members(client, factory):
    org = factory.organisation()
    member = join(client, org, "analyst")
    url = org.url(f"/members/{member['id']}")
    for role in ("strategist", "contributor", "analyst"):
        headers = bearer(factory.member(org, role))
        assert client.patch(url, headers=headers, json={"role": "contributor"}).status_code == 403
        assert client.delete(url, headers=headers).status_code == 403
    admin = bearer(factory.member(org, "admin"))
    assert client.patch(url, headers=admin, json={"role": "contributor"}).status_code == 200


def test_admin_cannot_grant_the_owner_role(client, factory):
    org = factory.organisation()
    member = join(client, org)

    response = client.patch(
        org.url(f"/members/{member['id']}"),
        headers=bearer(factory.member(org, "admin")),
        json={"role": "owner"},
    )

    assert response.status_code == 403


def test_role_change_is_saved(client, factory):
    org = factory.organisation()
    member = join(client, org, "analyst")

    response = client.patch(
        org.url(f"/members/{member['id']}"), headers=org.headers, json={"role": "admin"}
    )

    assert response.status_code == 200
    assert (
        client.get(org.url(f"/members/{member['id']}"), headers=org.headers).get_json()["role"]
        == "admin"
    )


def test_the_last_owner_cannot_be_demoted_or_removed(client, factory):
    org = factory.organisation()
    owner = owner_membership(client, org)

    demote = client.patch(
        org.url(f"/members/{owner['id']}"), headers=org.headers, json={"role": "admin"}
    )
    remove = client.delete(org.url(f"/members/{owner['id']}"), headers=org.headers)

    assert demote.status_code == 409
    assert remove.status_code == 409
    assert owner_membership(client, org)["role"] == "owner"


def test_an_owner_can_step_down_once_another_owner_exists(client, factory):
    org = factory.organisation()
    other_owner = join(client, org, "owner")
    owner = next(
        m
        for m in client.get(org.url("/members"), headers=org.headers).get_json()["items"]
        if m["id"] != other_owner["id"]
    )

    response = client.patch(
        org.url(f"/members/{owner['id']}"), headers=org.headers, json={"role": "admin"}
    )

    assert response.status_code == 200


def test_removed_member_is_gone(client, factory):
    org = factory.organisation()
    member = join(client, org)

    assert (
        client.delete(org.url(f"/members/{member['id']}"), headers=org.headers).status_code == 204
    )

    assert client.get(org.url(f"/members/{member['id']}"), headers=org.headers).status_code == 404


def test_unknown_role_is_a_field_error(client, factory):
    org = factory.organisation()
    member = join(client, org)

    response = client.patch(
        org.url(f"/members/{member['id']}"), headers=org.headers, json={"role": "emperor"}
    )

    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]


def test_a_member_joining_keeps_the_organisations_etag(client, factory):
    """The member count is derived; it must not invalidate a client's If-Match on settings."""
    org = factory.organisation()
    etag = client.get(org.url(), headers=org.headers).headers["ETag"]
    builders.invited_member(client, org)

    response = client.patch(
        org.url(), headers={**org.headers, "If-Match": etag}, json={"name": "Kept"}
    )

    assert response.status_code == 200
