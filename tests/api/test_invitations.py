"""Invitations: people join an organisation only by accepting, never by being added."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from api.domain.base import utcnow
from api.domain.invitations.models import Invitation
from api.domain.organisations.models import Organisation
from api.domain.webhooks.models import WebhookEvent
from tests.api import builders, oauth_helpers
from tests.api.builders import PASSWORD, invitation
from tests.factories import bearer, unique_email


def someone(client, name: str = "Nora Newcomer") -> dict:
    """A person with an account (and an organisation of their own): the signup response."""
    body = {
        "email": unique_email("someone"),
        "name": name,
        "password": PASSWORD,
        "organisation_name": "Their Own Shop",
    }
    return builders.created(client.post("/v1/signup", json=body))


def accept(client, token: str, headers: dict):
    return client.post("/v1/invitations/accept", headers=headers, json={"token": token})


def signup_with(client, token: str, email: str, **fields):
    body = {"email": email, "name": "Ivy Invitee", "password": PASSWORD, "invitation_token": token}
    return client.post("/v1/signup", json={**body, **fields})


def expire(database, invitation_id: str) -> None:
    with database.session() as session:
        session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()


def organisation_count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Organisation))


def member_emails(client, org) -> set[str]:
    members = client.get(org.url("/members"), headers=org.headers).get_json()["items"]
    return {m["user"]["email"] for m in members}


# --- creating, listing, revoking ---------------------------------------------------------


def test_an_owner_invites_and_the_token_is_shown_once(client, factory):
    org = factory.organisation()
    email = unique_email("Invitee")

    response = client.post(
        org.url("/invitations"), headers=org.headers, json={"email": email, "role": "strategist"}
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("clvinv_")
    assert body["email"] == email.lower()
    assert body["role"] == "strategist"
    assert body["status"] == "pending"
    assert response.headers["Location"].endswith(f"/invitations/{body['id']}")
    got = client.get(response.headers["Location"], headers=org.headers).get_json()
    assert got["status"] == "pending"
    assert "token" not in got


def test_the_default_expiry_is_seven_days_and_a_request_may_choose_within_bounds(client, factory):
    org = factory.organisation()
    default = invitation(client, org)
    chosen = invitation(client, org, expires_in_days=2)
    too_long = client.post(
        org.url("/invitations"),
        headers=org.headers,
        json={"email": unique_email(), "role": "analyst", "expires_in_days": 31},
    )

    def days(body):
        delta = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(
            body["created_at"]
        )
        return round(delta / timedelta(days=1))

    assert days(default) == 7
    assert days(chosen) == 2
    assert too_long.status_code == 422
    assert "expires_in_days" in too_long.get_json()["errors"]


def test_inviting_an_existing_member_answers_like_any_other_invitation(client, factory):
    """Nothing in the answer tells an admin whether an email has an account or a membership."""
    org = factory.organisation()
    member = builders.invited_member(client, org)
    existing_user = someone(client)

    answers = [
        client.post(
            org.url("/invitations"), headers=org.headers, json={"email": email, "role": "analyst"}
        )
        for email in (member["user"]["email"], existing_user["user"]["email"], unique_email())
    ]

    assert {a.status_code for a in answers} == {201}
    shapes = [
        {k: v for k, v in a.get_json().items() if k not in {"id", "email", "token"}}
        | {"keys": sorted(a.get_json())}
        for a in answers
    ]
    for shape in shapes:
        for moment in ("created_at", "updated_at", "expires_at"):
            shape.pop(moment)
    assert shapes[0] == shapes[1] == shapes[2]


def test_only_owners_and_admins_invite(client, factory):
    org = factory.organisation()
    for role in ("strategist", "contributor", "analyst"):
        response = client.post(
            org.url("/invitations"),
            headers=bearer(factory.member(org, role)),
            json={"email": unique_email(), "role": "analyst"},
        )
        assert response.status_code == 403
    invitation(client, org, headers=bearer(factory.member(org, "admin")))


def test_nobody_invites_above_their_own_role(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/invitations"),
        headers=bearer(factory.member(org, "admin")),
        json={"email": unique_email(), "role": "owner"},
    )

    assert response.status_code == 403
    listed = client.get(org.url("/invitations"), headers=org.headers).get_json()["items"]
    assert listed == []


def test_an_unknown_role_is_a_field_error(client, factory):
    org = factory.organisation()

    response = client.post(
        org.url("/invitations"), headers=org.headers, json={"email": unique_email(), "role": "czar"}
    )

    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]


def test_invitations_are_listed_newest_first_in_cursor_pages_and_filtered_by_status(
    client, factory, database
):
    org = factory.organisation()
    made = [invitation(client, org) for _ in range(3)]
    client.delete(org.url(f"/invitations/{made[0]['id']}"), headers=org.headers)
    expire(database, made[1]["id"])

    first = client.get(org.url("/invitations?limit=2"), headers=org.headers).get_json()
    rest = client.get(
        org.url(f"/invitations?limit=2&cursor={first['next_cursor']}"), headers=org.headers
    ).get_json()

    assert [i["id"] for i in first["items"] + rest["items"]] == [m["id"] for m in reversed(made)]
    assert rest["next_cursor"] is None
    by_status = {
        status: [
            i["id"]
            for i in client.get(
                org.url(f"/invitations?status={status}"), headers=org.headers
            ).get_json()["items"]
        ]
        for status in ("pending", "revoked", "expired", "accepted")
    }
    assert by_status == {
        "pending": [made[2]["id"]],
        "revoked": [made[0]["id"]],
        "expired": [made[1]["id"]],
        "accepted": [],
    }
    bad = client.get(org.url("/invitations?status=lost"), headers=org.headers)
    assert bad.status_code == 422


def test_a_revoked_invitation_shows_as_revoked_and_revoking_again_changes_nothing(client, factory):
    org = factory.organisation()
    made = invitation(client, org)
    url = org.url(f"/invitations/{made['id']}")

    assert client.delete(url, headers=org.headers).status_code == 204
    revoked_at = client.get(url, headers=org.headers).get_json()["revoked_at"]
    assert client.delete(url, headers=org.headers).status_code == 204

    got = client.get(url, headers=org.headers).get_json()
    assert got["status"] == "revoked"
    assert got["revoked_at"] == revoked_at


def test_an_accepted_invitation_cannot_be_revoked(client, factory):
    org = factory.organisation()
    made = invitation(client, org)
    signup_with(client, made["token"], made["email"])

    response = client.delete(org.url(f"/invitations/{made['id']}"), headers=org.headers)

    assert response.status_code == 409
    assert "remove the member" in response.get_json()["detail"]


def test_a_replayed_create_answers_the_invitation_without_its_token(client, factory):
    org = factory.organisation()
    request = {
        "headers": {**org.headers, "Idempotency-Key": "invite-once"},
        "json": {"email": unique_email(), "role": "analyst"},
    }
    first = client.post(org.url("/invitations"), **request)
    replay = client.post(org.url("/invitations"), **request)

    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert replay.get_json()["token"] is None
    listed = client.get(org.url("/invitations"), headers=org.headers).get_json()["items"]
    assert len(listed) == 1


# --- accepting ---------------------------------------------------------------------------


def test_a_signed_in_user_accepts_and_becomes_a_member_with_the_invited_role(client, factory):
    org = factory.organisation()
    person = someone(client)
    made = invitation(client, org, person["user"]["email"], "contributor")
    listed = client.get(org.url("/invitations"), headers=org.headers).get_json()["items"]
    assert [i["id"] for i in listed] == [made["id"]]

    response = accept(client, made["token"], bearer(person["api_key"]["token"]))

    assert response.status_code == 201
    body = response.get_json()
    assert body["organisation_id"] == str(org.id)
    assert body["role"] == "contributor"
    assert body["user"]["email"] == person["user"]["email"]
    assert response.headers["Location"].endswith(f"/organisations/{org.id}/members/{body['id']}")
    assert person["user"]["email"] in member_emails(client, org)
    got = client.get(org.url(f"/invitations/{made['id']}"), headers=org.headers).get_json()
    assert got["status"] == "accepted"
    assert got["accepted_by_user_id"] == person["user"]["id"]


def test_an_oauth_user_token_accepts_too(client, factory, database):
    org = factory.organisation()
    agency = factory.organisation("Agency")
    user_id, email = factory.user("Olga OAuth")
    factory.membership(agency, user_id, "analyst")
    client_id, _ = factory.oauth_client(agency)
    access = oauth_helpers.token(database, client_id, user_id, {agency.id: ["strategies:read"]})
    made = invitation(client, org, email, "analyst")

    response = accept(client, made["token"], bearer(access))

    assert response.status_code == 201
    assert email in member_emails(client, org)


def test_a_client_credentials_token_cannot_accept(client, factory, database):
    org = factory.organisation()
    agency = factory.organisation("Agency")
    client_id, _ = factory.oauth_client(agency)
    access = oauth_helpers.token(database, client_id, None, {agency.id: ["strategies:read"]})
    made = invitation(client, org)

    response = accept(client, made["token"], bearer(access))

    assert response.status_code == 403


def test_accepting_needs_a_bearer_token(client, factory):
    org = factory.organisation()
    made = invitation(client, org)

    assert accept(client, made["token"], {}).status_code == 401


def test_another_user_cannot_accept_and_learns_nothing(client, factory):
    org = factory.organisation()
    made = invitation(client, org)
    intruder = someone(client, "Ian Intruder")

    response = accept(client, made["token"], bearer(intruder["api_key"]["token"]))
    unknown = accept(client, "clvinv_" + "x" * 43, bearer(intruder["api_key"]["token"]))

    assert response.status_code == 404
    assert unknown.status_code == 404
    assert response.get_json()["detail"] == unknown.get_json()["detail"]
    assert made["email"] not in response.get_data(as_text=True)
    assert intruder["user"]["email"] not in member_emails(client, org)
    got = client.get(org.url(f"/invitations/{made['id']}"), headers=org.headers).get_json()
    assert got["status"] == "pending"


def test_accepting_twice_is_a_conflict(client, factory):
    org = factory.organisation()
    person = someone(client)
    made = invitation(client, org, person["user"]["email"])
    headers = bearer(person["api_key"]["token"])
    assert accept(client, made["token"], headers).status_code == 201

    again = accept(client, made["token"], headers)

    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert "already been accepted" in again.get_json()["detail"]


def test_a_member_accepting_another_invitation_is_a_conflict(client, factory):
    org = factory.organisation()
    person = someone(client)
    headers = bearer(person["api_key"]["token"])
    first = invitation(client, org, person["user"]["email"])
    second = invitation(client, org, person["user"]["email"], "admin")
    assert accept(client, first["token"], headers).status_code == 201

    response = accept(client, second["token"], headers)

    assert response.status_code == 409
    assert "already a member" in response.get_json()["detail"]


def test_a_revoked_invitation_cannot_be_accepted(client, factory):
    org = factory.organisation()
    person = someone(client)
    made = invitation(client, org, person["user"]["email"])
    client.delete(org.url(f"/invitations/{made['id']}"), headers=org.headers)

    response = accept(client, made["token"], bearer(person["api_key"]["token"]))

    assert response.status_code == 410
    assert "revoked" in response.get_json()["detail"]
    assert person["user"]["email"] not in member_emails(client, org)


def test_an_expired_invitation_cannot_be_accepted(client, factory, database):
    org = factory.organisation()
    person = someone(client)
    made = invitation(client, org, person["user"]["email"])
    expire(database, made["id"])

    response = accept(client, made["token"], bearer(person["api_key"]["token"]))

    assert response.status_code == 410
    assert "expired" in response.get_json()["detail"]
    assert person["user"]["email"] not in member_emails(client, org)


# --- signing up with an invitation --------------------------------------------------------


def test_signup_with_an_invitation_joins_that_organisation_and_creates_none(
    client, factory, database
):
    org = factory.organisation("Inviting Inc")
    made = invitation(client, org, role="strategist")
    before = organisation_count(database)

    response = signup_with(client, made["token"], made["email"])

    assert response.status_code == 201
    body = response.get_json()
    assert organisation_count(database) == before
    assert body["organisation"]["id"] == str(org.id)
    assert body["organisation"]["name"] == "Inviting Inc"
    assert body["api_key"]["role"] == "strategist"
    me = client.get("/v1/me", headers=bearer(body["api_key"]["token"])).get_json()
    assert [(o["id"], o["role"]) for o in me["organisations"]] == [(str(org.id), "strategist")]
    assert made["email"] in member_emails(client, org)


def test_signup_with_an_invitation_for_another_email_is_refused(client, factory, database):
    org = factory.organisation()
    made = invitation(client, org)
    before = organisation_count(database)
    email = unique_email("other")

    response = signup_with(client, made["token"], email)

    assert response.status_code == 422
    assert "invitation_token" in response.get_json()["errors"]
    assert organisation_count(database) == before
    # Nothing half-written: the email is still free.
    assert someone_with(client, email).status_code == 201


def someone_with(client, email: str):
    body = {"email": email, "name": "N", "password": PASSWORD, "organisation_name": "Own"}
    return client.post("/v1/signup", json=body)


@pytest.mark.parametrize(("spoil", "status"), [("accept", 409), ("revoke", 410), ("expire", 410)])
def test_signup_with_a_spent_invitation_is_refused(client, factory, database, spoil, status):
    org = factory.organisation()
    made = invitation(client, org)
    if spoil == "accept":
        assert signup_with(client, made["token"], made["email"]).status_code == 201
    elif spoil == "revoke":
        client.delete(org.url(f"/invitations/{made['id']}"), headers=org.headers)
    else:
        expire(database, made["id"])

    response = signup_with(client, made["token"], made["email"])

    assert response.status_code == (409 if spoil == "accept" else status)
    assert response.mimetype == "application/problem+json"


def test_signup_with_an_invitation_and_an_organisation_name_is_refused(client, factory):
    org = factory.organisation()
    made = invitation(client, org)

    response = signup_with(client, made["token"], made["email"], organisation_name="Stray")

    assert response.status_code == 422
    assert "organisation_name" in response.get_json()["errors"]


def test_signup_without_an_invitation_needs_an_organisation_name(client):
    response = client.post(
        "/v1/signup", json={"email": unique_email(), "name": "N", "password": PASSWORD}
    )

    assert response.status_code == 422
    assert "organisation_name" in response.get_json()["errors"]


# --- the token stays secret --------------------------------------------------------------


def test_the_token_is_never_in_lists_audit_events_webhook_events_or_logs(
    client, factory, database, caplog
):
    caplog.set_level(logging.DEBUG)
    org = factory.organisation()
    person = someone(client)
    made = invitation(client, org, person["user"]["email"])
    accept(client, made["token"], bearer(person["api_key"]["token"]))
    revoked = invitation(client, org)
    client.delete(org.url(f"/invitations/{revoked['id']}"), headers=org.headers)

    listed = client.get(org.url("/invitations"), headers=org.headers).get_data(as_text=True)
    got = client.get(org.url(f"/invitations/{made['id']}"), headers=org.headers)
    trail = client.get(org.url("/audit-events"), headers=org.headers).get_json()["items"]
    with database.session() as session:
        payloads = [
            e.payload
            for e in session.scalars(
                select(WebhookEvent).where(WebhookEvent.organisation_id == org.id)
            )
        ]

    invitation_events = [e for e in trail if e["resource_type"] == "invitation"]
    assert {e["action"] for e in invitation_events} == {"create", "accept", "revoke"}
    for token in (made["token"], revoked["token"]):
        assert token not in listed
        assert token not in got.get_data(as_text=True)
        assert token not in str(trail)
        assert token not in str(payloads)
        assert token not in caplog.text
    assert not [e for e in invitation_events if "token_hash" in e["changes"]]


def test_creating_an_invitation_announces_member_invited_without_the_token(
    client, factory, database
):
    org = factory.organisation()
    made = invitation(client, org, role="contributor")

    with database.session() as session:
        events = session.scalars(
            select(WebhookEvent).where(
                WebhookEvent.organisation_id == org.id, WebhookEvent.type == "member.invited"
            )
        ).all()

    assert [e.payload for e in events] == [
        {
            "invitation_id": made["id"],
            "email": made["email"],
            "role": "contributor",
            "expires_at": events[0].payload["expires_at"],
            "invited_by_user_id": str(org.owner_id),
            "accept_url_template": None,
        }
    ]
    assert made["token"] not in str(events[0].payload)
