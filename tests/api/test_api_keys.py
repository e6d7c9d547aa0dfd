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
