from api import create_app
from api.domain.oauth.models import OAuthClient, OAuthToken
from api.domain.oauth.tokens import hash_secret
from api.http import cors
from tests.api.oauth_helpers import WEB_APP, consent, register, token
from tests.factories import bearer


def post(client, org, headers=None, **fields):
    return client.post(
        org.url("/oauth-clients"), headers=headers or org.headers, json={**WEB_APP, **fields}
    )


def test_a_confidential_client_gets_a_secret_shown_once_and_stored_hashed(
    client, factory, database
):
    org = factory.organisation()

    created = register(client, org)

    assert created["client_id"].startswith("clvc_")
    assert created["client_secret"].startswith("clvcs_")
    assert created["grant_types"] == ["authorization_code", "refresh_token"]
    fetched = client.get(org.url(f"/oauth-clients/{created['id']}"), headers=org.headers)
    listed = client.get(org.url("/oauth-clients"), headers=org.headers)
    assert fetched.status_code == 200 and fetched.headers["ETag"] == '"1"'
    assert "client_secret" not in fetched.get_json() and "secret_hash" not in fetched.get_json()
    assert created["client_secret"] not in listed.get_data(as_text=True)
    assert [c["id"] for c in listed.get_json()["items"]] == [created["id"]]
    with database.session() as session:
        row = session.get(OAuthClient, created["id"])
        assert row.secret_hash == hash_secret(created["client_secret"])
        assert created["client_secret"] not in str(vars(row))


def test_a_public_client_has_no_secret(client, factory, database):
    org = factory.organisation()

    created = register(
        client,
        org,
        client_type="public",
        redirect_uris=["http://localhost:5173/callback", "http://127.0.0.1/cb"],
        allowed_origins=["http://localhost:5173", "https://spa.example.test"],
    )

    assert created["client_secret"] is None
    assert created["allowed_origins"] == ["http://localhost:5173", "https://spa.example.test"]
    with database.session() as session:
        assert session.get(OAuthClient, created["id"]).secret_hash is None


def test_only_owners_and_admins_manage_clients(client, factory):
    org = factory.organisation()
    admin = bearer(factory.member(org, "admin"))
    made = register(client, org, headers=admin)

    for role in ("strategist", "contributor", "analyst"):
        headers = bearer(factory.member(org, role))
        assert post(client, org, headers).status_code == 403, role
        assert client.get(org.url("/oauth-clients"), headers=headers).status_code == 403, role
        path = org.url(f"/oauth-clients/{made['id']}")
        assert client.delete(path, headers=headers).status_code == 403, role


def test_a_client_cannot_have_scopes_its_creator_lacks(client, factory):
    org = factory.organisation()
    limited = bearer(factory.member(org, "admin", scopes=["admin:read", "admin:write"]))

    response = post(client, org, limited, allowed_scopes=["admin:read", "content:write"])

    assert response.status_code == 403
    assert "content:write" in response.get_json()["detail"]


def test_redirect_uri_rules(client, factory):
    org = factory.organisation()
    refused = [
        "http://agency.example.test/callback",  # http off loopback
        "https://agency.example.test/callback#top",  # fragment
        "https://*.example.test/callback",  # wildcard
        "/callback",  # relative
        "agency.example.test/callback",
        "ftp://agency.example.test/callback",
        "https://user:pw@agency.example.test/callback",
        "com.example.app:/callback",
    ]
    for uri in refused:
        response = post(client, org, redirect_uris=[uri])
        assert response.status_code == 422, uri
        assert "redirect_uris" in response.get_json()["errors"], uri
    accepted = [
        "https://agency.example.test/callback?tenant=1",
        "http://localhost:8080/callback",
        "http://127.0.0.1/cb",
    ]
    assert post(client, org, redirect_uris=accepted).status_code == 201


def test_the_authorization_code_grant_needs_a_redirect_uri(client, factory):
    org = factory.organisation()

    response = post(client, org, redirect_uris=[])

    assert response.status_code == 422
    assert "redirect_uris" in response.get_json()["errors"]


def test_a_public_client_cannot_use_client_credentials(client, factory):
    org = factory.organisation()

    response = post(client, org, client_type="public", grant_types=["client_credentials"])
    machine = post(client, org, grant_types=["client_credentials"], redirect_uris=[])

    assert response.status_code == 422
    assert "confidential" in response.get_json()["errors"]["grant_types"][0]
    assert machine.status_code == 201
    assert machine.get_json()["grant_types"] == ["client_credentials"]


def test_other_client_rules(client, factory):
    org = factory.organisation()
    cases = {
        "allowed_scopes": {"allowed_scopes": ["admin:fly"]},
        "grant_types": {"grant_types": ["password"]},
        "allowed_origins": {"allowed_origins": ["https://app.example.test"]},  # confidential
    }
    for field, body in cases.items():
        response = post(client, org, **body)
        assert response.status_code == 422, field
        assert field in response.get_json()["errors"], field
    for origin in ("https://app.example.test/", "https://*.example.test", "http://app.test"):
        response = post(client, org, client_type="public", allowed_origins=[origin])
        assert response.status_code == 422, origin
    refresh_only = post(client, org, grant_types=["refresh_token", "client_credentials"])
    assert refresh_only.status_code == 422


def test_update_is_versioned_and_checked(client, factory):
    org = factory.organisation()
    made = register(client, org)
    path = org.url(f"/oauth-clients/{made['id']}")

    updated = client.patch(
        path,
        headers={**org.headers, "If-Match": '"1"'},
        json={"name": "Renamed", "redirect_uris": ["https://agency.example.test/new"]},
    )
    stale = client.patch(path, headers={**org.headers, "If-Match": '"1"'}, json={"name": "Old"})
    bad = client.patch(path, headers=org.headers, json={"redirect_uris": ["http://x.test/cb"]})
    not_updatable = client.patch(path, headers=org.headers, json={"client_type": "public"})

    assert updated.status_code == 200
    assert updated.get_json()["name"] == "Renamed"
    assert updated.get_json()["redirect_uris"] == ["https://agency.example.test/new"]
    assert updated.headers["ETag"] == '"2"'
    assert stale.status_code == 412
    assert bad.status_code == 422
    assert not_updatable.status_code == 422


def test_revoking_a_client_revokes_all_its_tokens_at_once(client, factory, database):
    agency = factory.organisation("Agency")
    customer = factory.organisation("Customer")
    made = register(client, agency, grant_types=["authorization_code", "client_credentials"])
    machine = token(database, made["client_id"], None, {agency.id: ["admin:read"]})
    consent(database, customer.id, made["client_id"], customer.owner_id, ["strategies:read"])
    for_user = token(
        database, made["client_id"], customer.owner_id, {customer.id: ["strategies:read"]}
    )
    assert client.get(agency.url(), headers=bearer(machine)).status_code == 200
    assert client.get(customer.url("/strategies"), headers=bearer(for_user)).status_code == 200

    path = agency.url(f"/oauth-clients/{made['id']}")
    assert client.delete(path, headers=agency.headers).status_code == 204

    for access in (machine, for_user):
        response = client.get("/v1/organisations", headers=bearer(access))
        assert response.status_code == 401
        assert "revoked" in response.get_json()["detail"]
    assert client.get(path, headers=agency.headers).get_json()["revoked_at"] is not None
    assert client.patch(path, headers=agency.headers, json={"name": "Back"}).status_code == 409
    assert client.delete(path, headers=agency.headers).status_code == 204
    with database.session() as session:
        tokens = session.query(OAuthToken).filter_by(client_id=made["client_id"]).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)


def test_cors_answers_registered_origins_of_active_public_clients(settings, factory):
    app = create_app(settings)
    cors.init_app(app)  # create_app does this once it is wired in; calling it twice is fine
    cors.init_app(app)
    http = app.test_client()
    org = factory.organisation()
    origin = "https://spa-cors.example.test"
    made = register(http, org, client_type="public", allowed_origins=[origin])

    allowed = http.get("/v1/organisations", headers={**org.headers, "Origin": origin})
    refused = http.get(
        "/v1/organisations", headers={**org.headers, "Origin": "https://evil.example.test"}
    )
    preflight = http.options(
        "/v1/organisations",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Origin" in allowed.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]

    http.delete(org.url(f"/oauth-clients/{made['id']}"), headers=org.headers)
    after = http.get("/healthz", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in after.headers


def test_the_origin_set_is_cached():
    loads = []

    def load():
        loads.append(1)
        return frozenset({"https://a.test"})

    cache = cors.OriginCache(load, ttl=30)

    assert cache.get() == cache.get() == {"https://a.test"}
    assert len(loads) == 1
    cache.forget()
    cache.get()
    assert len(loads) == 2
