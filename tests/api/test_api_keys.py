import uuid
from datetime import UTC, datetime, timedelta

from tests.factories import bearer


def create_key(client, org, headers=None, **body):
    return client.post(
        org.url("/api-keys"), headers=headers or org.headers, json={"name": "CI key", **body}
    )


def test_created_key_is_shown_once_and_works(client, factory):
    org = factory.organisation()

    created = create_key(client, org, role="analyst")

    assert created.status_code == 201
    key = created.get_json()
    assert key["token"].startswith(f"clv_{key['prefix']}_")
    assert client.get("/v1/me", headers=bearer(key["token"])).status_code == 200
    listed = client.get(org.url("/api-keys"), headers=org.headers).get_data(as_text=True)
    fetched = client.get(org.url(f"/api-keys/{key['id']}"), headers=org.headers).get_json()
    assert key["token"] not in listed
    assert "token" not in fetched and "secret_hash" not in fetched
    assert fetched["prefix"] == key["prefix"]


def test_revoked_key_stops_working_at_once(client, factory):
    org = factory.organisation()
    key = create_key(client, org).get_json()

    assert client.delete(org.url(f"/api-keys/{key['id']}"), headers=org.headers).status_code == 204

    response = client.get("/v1/me", headers=bearer(key["token"]))
    assert response.status_code == 401
    assert "revoked" in response.get_json()["detail"]


def test_expired_key_is_refused(client, factory, database):
    from api.domain.identity.models import ApiKey

    org = factory.organisation()
    key = create_key(
        client, org, expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
    ).get_json()
    with database.session() as session:
        session.get(ApiKey, key["id"]).expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.commit()

    response = client.get("/v1/me", headers=bearer(key["token"]))

    assert response.status_code == 401
    assert "expired" in response.get_json()["detail"]


def test_expiry_in_the_past_is_refused(client, factory):
    org = factory.organisation()

    response = create_key(client, org, expires_at="2001-01-01T00:00:00Z")

    assert response.status_code == 422
    assert "expires_at" in response.get_json()["errors"]


def test_key_scopes_limit_what_it_may_do(client, factory):
    org = factory.organisation()
    read_only = create_key(client, org, scopes=["admin:read"]).get_json()["token"]

    assert client.get(org.url("/members"), headers=bearer(read_only)).status_code == 200
    response = client.patch(org.url(), headers=bearer(read_only), json={"name": "Nope"})
    assert response.status_code == 403


def test_a_key_cannot_outrank_its_creator(client, factory):
    org = factory.organisation()
    admin = bearer(factory.member(org, "admin"))

    assert create_key(client, org, headers=admin, role="owner").status_code == 403
    assert create_key(client, org, headers=admin, role="admin").status_code == 201


def test_only_owners_and_admins_manage_keys(client, factory):
    org = factory.organisation()
    strategist = bearer(factory.member(org, "strategist"))

    assert client.get(org.url("/api-keys"), headers=strategist).status_code == 403
    assert create_key(client, org, headers=strategist).status_code == 403


def test_last_used_is_recorded(client, factory):
    org = factory.organisation()
    key = create_key(client, org).get_json()
    assert key["last_used_at"] is None

    client.get("/v1/me", headers=bearer(key["token"]))

    fetched = client.get(org.url(f"/api-keys/{key['id']}"), headers=org.headers).get_json()
    assert fetched["last_used_at"] is not None


def test_unknown_scope_is_a_field_error(client, factory):
    org = factory.organisation()

    response = create_key(client, org, scopes=["everything:all"])

    assert response.status_code == 422
    assert "scopes" in response.get_json()["errors"]


# Personal and organisation keys


def user_id_of(client, token):
    return client.get("/v1/me", headers=bearer(token)).get_json()["user"]["id"]


def membership_id_of(client, org, token):
    """The membership of the member a personal key acts for (added by the factory)."""
    user_id = user_id_of(client, token)
    members = client.get(org.url("/members?limit=200"), headers=org.headers).get_json()["items"]
    return next(m["id"] for m in members if m["user"]["id"] == user_id)


def remove(client, org, membership_id, headers=None):
    return client.delete(org.url(f"/members/{membership_id}"), headers=headers or org.headers)


def test_keys_are_personal_by_default(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")

    key = create_key(client, org, headers=bearer(admin), role="admin").get_json()

    assert key["kind"] == "personal"
    assert key["created_by_user_id"] == user_id_of(client, admin)
    me = client.get("/v1/me", headers=bearer(key["token"])).get_json()
    assert me["user"]["id"] == key["created_by_user_id"]
    assert me["api_key"]["kind"] == "personal"


def test_a_leavers_personal_key_stops_working(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")
    membership_id = membership_id_of(client, org, admin)
    key = create_key(client, org, headers=bearer(admin), role="admin").get_json()["token"]

    assert remove(client, org, membership_id).status_code == 204

    assert client.get(org.url("/members"), headers=bearer(key)).status_code == 401
    assert client.get("/v1/me", headers=bearer(key)).status_code == 401
    assert remove(client, org, membership_id, headers=bearer(admin)).status_code == 401


def test_a_removed_owners_personal_key_stops_working(client, factory):
    org = factory.organisation()
    second_owner = factory.member(org, "owner")
    assert client.get("/v1/me", headers=bearer(second_owner)).get_json()["organisations"][0][
        "role"
    ] == ("owner")

    assert remove(client, org, membership_id_of(client, org, second_owner)).status_code == 204

    response = client.get("/v1/me", headers=bearer(second_owner))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_personal_key_dies_with_the_membership_even_unrevoked(client, factory, database):
    """No cache: authentication looks at the membership as it is now."""
    from sqlalchemy import delete

    from api.domain.organisations.models import Membership

    org = factory.organisation()
    admin = factory.member(org, "admin")
    user_id = user_id_of(client, admin)
    with database.session() as session:  # gone by another path than DELETE …/members
        session.execute(delete(Membership).where(Membership.user_id == user_id))
        session.commit()

    response = client.get("/v1/me", headers=bearer(admin))

    assert response.status_code == 401
    assert "left the organisation" in response.get_json()["detail"]


def test_a_demoted_members_admin_key_acts_with_their_new_role(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")
    membership_id = membership_id_of(client, org, admin)
    key = bearer(create_key(client, org, headers=bearer(admin), role="admin").get_json()["token"])

    demoted = client.patch(
        org.url(f"/members/{membership_id}"), headers=org.headers, json={"role": "contributor"}
    )

    assert demoted.status_code == 200
    assert client.get(org.url("/members"), headers=key).status_code == 403
    assert create_key(client, org, headers=key).status_code == 403
    assert client.get(org.url("/strategies"), headers=key).status_code == 200
    [reachable] = client.get("/v1/me", headers=key).get_json()["organisations"]
    assert reachable["role"] == "contributor"
    assert "admin:read" not in reachable["scopes"] and "content:write" in reachable["scopes"]


def test_a_promoted_member_keeps_their_keys_own_role(client, factory):
    org = factory.organisation()
    contributor = factory.member(org, "contributor")

    client.patch(
        org.url(f"/members/{membership_id_of(client, org, contributor)}"),
        headers=org.headers,
        json={"role": "admin"},
    )

    [reachable] = client.get("/v1/me", headers=bearer(contributor)).get_json()["organisations"]
    assert reachable["role"] == "contributor"
    assert client.get(org.url("/members"), headers=bearer(contributor)).status_code == 403


def test_an_organisation_key_survives_its_creators_removal(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")
    admin_id = user_id_of(client, admin)
    made = create_key(client, org, headers=bearer(admin), kind="organisation", role="admin")
    assert made.status_code == 201
    key = made.get_json()
    assert (key["kind"], key["created_by_user_id"]) == ("organisation", admin_id)

    assert remove(client, org, membership_id_of(client, org, admin)).status_code == 204

    assert client.get(org.url("/members"), headers=bearer(key["token"])).status_code == 200
    me = client.get("/v1/me", headers=bearer(key["token"])).get_json()
    assert me["user"] is None
    assert me["api_key"]["kind"] == "organisation"
    assert me["api_key"]["created_by_user_id"] == admin_id
    assert me["organisations"][0]["role"] == "admin"
    fetched = client.get(org.url(f"/api-keys/{key['id']}"), headers=org.headers).get_json()
    assert fetched["revoked_at"] is None and fetched["last_used_at"] is not None


def test_removing_a_member_revokes_their_personal_keys_with_an_audit_event(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")
    personal = create_key(client, org, headers=bearer(admin)).get_json()
    organisation = create_key(client, org, headers=bearer(admin), kind="organisation").get_json()
    factory_key = client.get("/v1/me", headers=bearer(admin)).get_json()["api_key"]["id"]

    remove(client, org, membership_id_of(client, org, admin))

    keys = {k["id"]: k for k in client.get(org.url("/api-keys"), headers=org.headers).json["items"]}
    assert keys[personal["id"]]["revoked_at"] is not None
    assert keys[factory_key]["revoked_at"] is not None
    assert keys[organisation["id"]]["revoked_at"] is None
    trail = client.get(
        org.url("/audit-events?resource_type=api_key&limit=200"), headers=org.headers
    ).get_json()["items"]
    revoked = {e["resource_id"] for e in trail if e["action"] == "revoke"}
    assert revoked == {personal["id"], factory_key}


def test_only_owners_and_admins_create_organisation_keys(client, factory):
    org = factory.organisation()
    strategist = bearer(factory.member(org, "strategist"))

    assert create_key(client, org, headers=strategist, kind="organisation").status_code == 403
    assert create_key(client, org, kind="organisation").status_code == 201


def test_a_caller_that_is_not_a_member_creates_only_organisation_keys(client, factory):
    org = factory.organisation()
    server = bearer(create_key(client, org, kind="organisation").get_json()["token"])

    refused = create_key(client, org, headers=server)
    made = create_key(client, org, headers=server, kind="organisation", role="analyst")

    assert refused.status_code == 422
    assert "kind" in refused.get_json()["errors"]
    assert made.status_code == 201
    assert made.get_json()["created_by_user_id"] is None


def test_scopes_the_keys_role_cannot_use_are_refused_by_name(client, factory):
    org = factory.organisation()

    response = create_key(
        client, org, role="contributor", scopes=["content:approve", "admin:write", "content:write"]
    )

    assert response.status_code == 422
    [message] = response.get_json()["errors"]["scopes"]
    assert "admin:write" in message and "content:approve" in message
    assert "content:write" not in message


def test_scopes_beyond_the_creators_own_grant_stay_forbidden(client, factory):
    org = factory.organisation()
    limited = bearer(factory.member(org, "admin", scopes=["admin:read", "admin:write"]))

    response = create_key(client, org, headers=limited, role="analyst", scopes=["reports:read"])

    assert response.status_code == 403


def test_authenticating_a_personal_key_is_one_statement(
    factory, count_queries, database_url, redis_url
):
    """The member's current role comes with the key, in the same statement, and no more
    statements than an organisation key, which has no member to look at. (With rate limits
    off no principal is kept, so every request reads its key: tests/api/test_kept_principals.py.)"""
    from api import create_app
    from api.config import Settings

    settings = Settings.build(
        database_url=database_url, redis_url=redis_url, environment="test", rate_limits="off"
    )
    client = create_app(settings).test_client()
    org = factory.organisation()
    personal = bearer(factory.member(org, "admin"))
    organisation = bearer(create_key(client, org, kind="organisation").get_json()["token"])
    counted = []
    for headers in (personal, organisation):
        client.get(org.url("/strategies"), headers=headers)  # last_used_at is now fresh
        with count_queries() as counter:
            assert client.get(org.url("/strategies"), headers=headers).status_code == 200
        counted.append(counter)

    [lookup] = [s for s in counted[0].statements if "api_keys" in s]
    assert "JOIN memberships" in lookup
    assert counted[0].count == counted[1].count


# Rotation


def rotate(client, org, key_id, headers=None):
    return client.post(org.url(f"/api-keys/{key_id}/rotate"), headers=headers or org.headers)


def test_rotating_a_key_replaces_its_secret_at_once(client, factory):
    org = factory.organisation()
    key = create_key(client, org, kind="organisation").get_json()

    response = rotate(client, org, key["id"])

    assert response.status_code == 200
    rotated = response.get_json()
    assert rotated["id"] == key["id"] and rotated["prefix"] != key["prefix"]
    assert rotated["token"].startswith(f"clv_{rotated['prefix']}_")
    assert client.get("/v1/me", headers=bearer(key["token"])).status_code == 401
    assert client.get("/v1/me", headers=bearer(rotated["token"])).status_code == 200
    fetched = client.get(org.url(f"/api-keys/{key['id']}"), headers=org.headers)
    assert "token" not in fetched.get_json()
    assert rotated["token"] not in fetched.get_data(as_text=True)


def test_rotation_is_audited_without_the_secret(client, factory):
    org = factory.organisation()
    key = create_key(client, org, kind="organisation").get_json()

    rotated = rotate(client, org, key["id"]).get_json()

    trail = client.get(
        org.url(f"/audit-events?resource_id={key['id']}"), headers=org.headers
    ).get_json()["items"]
    assert trail[0]["action"] == "rotate"
    assert trail[0]["changes"]["prefix"] == {"before": key["prefix"], "after": rotated["prefix"]}
    assert "secret_hash" not in trail[0]["changes"]


def test_a_personal_key_is_rotated_only_by_its_member(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")
    key = create_key(client, org, headers=bearer(admin)).get_json()

    assert rotate(client, org, key["id"]).status_code == 403  # the owner revokes it instead
    assert rotate(client, org, key["id"], headers=bearer(admin)).status_code == 200


def test_a_revoked_key_cannot_be_rotated(client, factory):
    org = factory.organisation()
    key = create_key(client, org, kind="organisation").get_json()
    client.delete(org.url(f"/api-keys/{key['id']}"), headers=org.headers)

    response = rotate(client, org, key["id"])

    assert response.status_code == 409
    assert client.get("/v1/me", headers=bearer(key["token"])).status_code == 401


def test_only_owners_and_admins_rotate_keys(client, factory):
    org = factory.organisation()
    key = create_key(client, org, kind="organisation").get_json()
    strategist = bearer(factory.member(org, "strategist"))

    assert rotate(client, org, key["id"], headers=strategist).status_code == 403


def test_leaving_one_organisation_keeps_ones_keys_in_another(client, factory):
    from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
    from api.domain.identity import service

    first, second = factory.organisation("First"), factory.organisation("Second")
    admin = factory.member(first, "admin")
    user_id = uuid.UUID(user_id_of(client, admin))
    factory.membership(second, user_id, "admin")
    with factory.uow() as uow:  # the same person's key in the second organisation
        grant = Grant(second.id, "admin", ROLE_SCOPES["admin"])
        uow.open_for(Tenant(second.id, Principal("api_key", {second.id: grant}, user_id), grant))
        elsewhere = service.create_api_key(
            uow=uow, draft=service.ApiKeyDraft(name="Second key")
        ).token

    remove(client, first, membership_id_of(client, first, admin))

    assert client.get("/v1/me", headers=bearer(admin)).status_code == 401
    assert client.get(second.url("/members"), headers=bearer(elsewhere)).status_code == 200
