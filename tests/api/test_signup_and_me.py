from tests.factories import bearer, unique_email


def signup(client, **overrides):
    body = {
        "email": unique_email("signup"),
        "name": "Sam Signup",
        "password": "correct horse battery",
        "organisation_name": "Signup Coffee Roasters",
        **overrides,
    }
    return client.post("/v1/signup", json=body)


def test_signup_creates_user_organisation_and_a_working_owner_key(client):
    response = signup(client)

    assert response.status_code == 201
    body = response.get_json()
    token = body["api_key"]["token"]
    assert token.startswith("clv_")
    assert body["api_key"]["role"] == "owner"
    assert body["organisation"]["slug"].startswith("signup-coffee-roasters")
    assert response.headers["Location"] == f"/v1/organisations/{body['organisation']['id']}"
    me = client.get("/v1/me", headers=bearer(token)).get_json()
    assert me["user"]["email"] == body["user"]["email"]
    assert me["organisations"][0]["id"] == body["organisation"]["id"]


def test_signup_never_returns_the_password_or_its_hash(client):
    body = signup(client).get_data(as_text=True)

    assert "correct horse battery" not in body
    assert "argon2" not in body


def test_signup_with_a_registered_email_is_a_conflict(client):
    email = unique_email("twice")
    assert signup(client, email=email).status_code == 201

    response = signup(client, email=email.upper())

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"


def test_signup_refuses_a_short_password(client):
    response = signup(client, password="too-short")

    assert response.status_code == 422
    assert "password" in response.get_json()["errors"]


def test_me_lists_role_and_effective_scopes(client, factory):
    org = factory.organisation()
    analyst_key = factory.member(org, "analyst")

    me = client.get("/v1/me", headers=bearer(analyst_key)).get_json()

    [reachable] = me["organisations"]
    assert reachable["role"] == "analyst"
    assert "reports:read" in reachable["scopes"]
    assert not [s for s in reachable["scopes"] if s.endswith(":write")]


def test_me_without_a_token_is_401_with_a_bearer_challenge(client):
    response = client.get("/v1/me")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["status"] == 401


def test_me_says_whom_a_key_acts_for(client, factory):
    org = factory.organisation()
    server = client.post(
        org.url("/api-keys"), headers=org.headers, json={"name": "Server", "kind": "organisation"}
    ).get_json()

    personal = client.get("/v1/me", headers=org.headers).get_json()
    organisation = client.get("/v1/me", headers=bearer(server["token"])).get_json()

    assert (personal["api_key"]["kind"], personal["user"]["id"]) == ("personal", str(org.owner_id))
    assert (organisation["api_key"]["kind"], organisation["user"]) == ("organisation", None)
    assert organisation["api_key"]["created_by_user_id"] == str(org.owner_id)
