from tests.factories import bearer


def add(client, org, email, role="contributor", headers=None):
    return client.post(
        org.url("/members"), headers=headers or org.headers, json={"email": email, "role": role}
    )


def owner_membership(client, org):
    members = client.get(org.url("/members"), headers=org.headers).get_json()["items"]
    return next(m for m in members if m["role"] == "owner")


def test_owner_adds_an_existing_user_with_a_role(client, factory):
    org = factory.organisation()
    _, email = factory.user("Casey Contributor")

    response = add(client, org, email, "strategist")

    assert response.status_code == 201
    body = response.get_json()
    assert body["role"] == "strategist"
    assert body["user"]["email"] == email
    assert response.headers["Location"].endswith(f"/members/{body['id']}")
    listed = client.get(org.url("/members"), headers=org.headers).get_json()["items"]
    assert {m["user"]["email"] for m in listed} >= {email}


def test_adding_an_unknown_email_is_a_field_error(client, factory):
    org = factory.organisation()

    response = add(client, org, "nobody@example.test")

    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]


def test_adding_a_member_twice_is_a_conflict(client, factory):
    org = factory.organisation()
    _, email = factory.user()
    assert add(client, org, email).status_code == 201

    assert add(client, org, email).status_code == 409


def test_only_owners_and_admins_manage_members(client, factory):
    org = factory.organisation()
    _, email = factory.user()
    for role in ("strategist", "contributor", "analyst"):
        assert add(client, org, email, headers=bearer(factory.member(org, role))).status_code == 403
    assert add(client, org, email, headers=bearer(factory.member(org, "admin"))).status_code == 201


def test_admin_cannot_grant_the_owner_role(client, factory):
    org = factory.organisation()
    _, email = factory.user()

    response = add(client, org, email, "owner", headers=bearer(factory.member(org, "admin")))

    assert response.status_code == 403


def test_role_change_is_saved(client, factory):
    org = factory.organisation()
    _, email = factory.user()
    member = add(client, org, email, "analyst").get_json()

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
    _, email = factory.user()
    add(client, org, email, "owner")
    owner = next(
        m
        for m in client.get(org.url("/members"), headers=org.headers).get_json()["items"]
        if m["user"]["email"] != email
    )

    response = client.patch(
        org.url(f"/members/{owner['id']}"), headers=org.headers, json={"role": "admin"}
    )

    assert response.status_code == 200


def test_removed_member_is_gone(client, factory):
    org = factory.organisation()
    _, email = factory.user()
    member = add(client, org, email).get_json()

    assert (
        client.delete(org.url(f"/members/{member['id']}"), headers=org.headers).status_code == 204
    )

    assert client.get(org.url(f"/members/{member['id']}"), headers=org.headers).status_code == 404


def test_unknown_role_is_a_field_error(client, factory):
    org = factory.organisation()
    _, email = factory.user()

    response = add(client, org, email, "emperor")

    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]


def test_adding_a_member_keeps_the_organisations_etag(client, factory):
    """The member count is derived; it must not invalidate a client's If-Match on settings."""
    org = factory.organisation()
    etag = client.get(org.url(), headers=org.headers).headers["ETag"]
    _, email = factory.user()
    add(client, org, email)

    response = client.patch(
        org.url(), headers={**org.headers, "If-Match": etag}, json={"name": "Kept"}
    )

    assert response.status_code == 200
