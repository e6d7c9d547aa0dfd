from api.domain.oauth.models import OAuthGrant
from api.domain.oauth.tokens import find_token
from api.domain.organisations.models import Membership, Organisation
from tests.api.oauth_helpers import consent, register, token
from tests.factories import bearer

SCOPES = ["admin:read", "admin:write", "strategies:read", "strategies:write"]


def agency_client(client, factory, **fields) -> dict:
    agency = factory.organisation("Agency")
    return register(client, agency, allowed_scopes=SCOPES, **fields)


def join(database, org, user_id, role="owner") -> None:
    with database.session() as session:
        session.add(Membership(organisation_id=org.id, user_id=user_id, role=role))
        session.commit()


def test_consents_are_listed_with_client_name_and_member_email(client, factory, database):
    made = agency_client(client, factory)
    customer = factory.organisation("Customer")
    grant_id = consent(database, customer.id, made["client_id"], customer.owner_id, SCOPES)

    listed = client.get(customer.url("/oauth-grants"), headers=customer.headers)
    fetched = client.get(customer.url(f"/oauth-grants/{grant_id}"), headers=customer.headers)

    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert item == fetched.get_json()
    assert item["id"] == str(grant_id)
    assert item["client_id"] == made["client_id"]
    assert item["client_name"] == "Agency dashboard"
    assert item["user_id"] == str(customer.owner_id)
    assert item["user_email"].startswith("owner-")
    assert item["scopes"] == sorted(SCOPES)
    assert item["created_at"] and item["revoked_at"] is None
    other = factory.organisation("Other")
    assert client.get(other.url("/oauth-grants"), headers=other.headers).get_json()["items"] == []


def test_only_owners_and_admins_see_and_revoke_consents(client, factory, database):
    made = agency_client(client, factory)
    customer = factory.organisation("Customer")
    grant_id = consent(database, customer.id, made["client_id"], customer.owner_id, SCOPES)
    admin = bearer(factory.member(customer, "admin"))
    path = customer.url(f"/oauth-grants/{grant_id}")

    for role in ("strategist", "analyst"):
        headers = bearer(factory.member(customer, role))
        assert client.get(customer.url("/oauth-grants"), headers=headers).status_code == 403
        assert client.delete(path, headers=headers).status_code == 403
    assert client.get(customer.url("/oauth-grants"), headers=admin).status_code == 200
    assert client.delete(path, headers=admin).status_code == 204


def test_revoking_a_consent_takes_the_organisation_from_user_tokens_at_once(
    client, factory, database
):
    made = agency_client(client, factory)
    first, second = factory.organisation("First"), factory.organisation("Second")
    user_id = first.owner_id
    join(database, second, user_id, role="admin")
    grant_id = consent(database, first.id, made["client_id"], user_id, SCOPES)
    consent(database, second.id, made["client_id"], user_id, SCOPES)
    access = token(database, made["client_id"], user_id, {first.id: SCOPES, second.id: SCOPES})
    reached = client.get("/v1/organisations", headers=bearer(access)).get_json()["items"]
    assert {o["id"] for o in reached} == {str(first.id), str(second.id)}

    response = client.delete(first.url(f"/oauth-grants/{grant_id}"), headers=first.headers)

    assert response.status_code == 204
    reached = client.get("/v1/organisations", headers=bearer(access)).get_json()["items"]
    assert [o["id"] for o in reached] == [str(second.id)]
    assert client.get(first.url("/strategies"), headers=bearer(access)).status_code == 404
    assert client.get(second.url("/strategies"), headers=bearer(access)).status_code == 200
    with database.session() as session:
        row = find_token(session, access)
        assert list(row.organisation_scopes) == [str(second.id)]
        assert row.revoked_at is None
        assert session.get(OAuthGrant, grant_id).revoked_at is not None
    revoked = client.get(first.url(f"/oauth-grants/{grant_id}"), headers=first.headers)
    assert revoked.get_json()["revoked_at"] is not None
    active = client.get(first.url("/oauth-grants?active=true"), headers=first.headers)
    assert active.get_json()["items"] == []
    assert (
        client.delete(first.url(f"/oauth-grants/{grant_id}"), headers=first.headers).status_code
        == 204
    )


def test_a_token_left_with_no_organisation_is_revoked(client, factory, database):
    made = agency_client(client, factory)
    customer = factory.organisation("Customer")
    grant_id = consent(database, customer.id, made["client_id"], customer.owner_id, SCOPES)
    access = token(database, made["client_id"], customer.owner_id, {customer.id: SCOPES})

    client.delete(customer.url(f"/oauth-grants/{grant_id}"), headers=customer.headers)

    assert client.get("/v1/organisations", headers=bearer(access)).status_code == 401


def test_a_user_token_creates_an_organisation_it_can_use_at_once(client, factory, database):
    made = agency_client(client, factory)
    customer = factory.organisation("Customer")
    consent(database, customer.id, made["client_id"], customer.owner_id, SCOPES)
    access = token(database, made["client_id"], customer.owner_id, {customer.id: SCOPES})

    response = client.post(
        "/v1/organisations",
        headers=bearer(access),
        json={"name": "Spin-off", "timezone": "Europe/Paris", "currency": "EUR"},
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["name"] == "Spin-off" and created["member_count"] == 1
    assert response.headers["Location"].endswith(f"/v1/organisations/{created['id']}")
    new = f"/v1/organisations/{created['id']}"
    assert client.get(new, headers=bearer(access)).status_code == 200
    grants = client.get(f"{new}/oauth-grants", headers=bearer(access)).get_json()["items"]
    assert [(g["client_id"], g["user_id"]) for g in grants] == [
        (made["client_id"], str(customer.owner_id))
    ]
    assert set(grants[0]["scopes"]) == set(SCOPES)  # the owner's scopes the client may have
    members = client.get(f"{new}/members", headers=bearer(access)).get_json()["items"]
    assert [m["role"] for m in members] == ["owner"]
    with database.session() as session:
        row = find_token(session, access)
        assert set(row.organisation_scopes) == {str(customer.id), created["id"]}


def test_organisations_are_created_only_with_user_tokens(client, factory, database):
    org = factory.organisation()
    made = register(client, org, grant_types=["client_credentials"], redirect_uris=[])
    machine = token(database, made["client_id"], None, {org.id: ["admin:write"]})

    with_key = client.post("/v1/organisations", headers=org.headers, json={"name": "Nope"})
    with_machine = client.post("/v1/organisations", headers=bearer(machine), json={"name": "No"})
    anonymous = client.post("/v1/organisations", json={"name": "Nope"})

    assert with_key.status_code == 403
    assert "OAuth access token issued to a user" in with_key.get_json()["detail"]
    assert with_machine.status_code == 403
    assert anonymous.status_code == 401
    with database.session() as session:
        assert (
            session.query(Organisation).filter(Organisation.name.in_(["Nope", "No"])).count() == 0
        )
