from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from api.domain import idempotency
from api.http.idempotency import fingerprint
from tests.factories import bearer


def post_key(client, org, key, name="Deploy key"):
    return client.post(
        org.url("/api-keys"), headers={**org.headers, "Idempotency-Key": key}, json={"name": name}
    )


def key_count(client, org):
    return len(client.get(org.url("/api-keys?limit=200"), headers=org.headers).get_json()["items"])


def test_same_key_and_body_replays_the_first_response(client, factory):
    org = factory.organisation()
    first = post_key(client, org, "k-1")

    again = post_key(client, org, "k-1")

    assert again.status_code == first.status_code == 201
    # The same key, minus its secret: shown once, never stored for replays.
    assert again.get_json() == {**first.get_json(), "token": None}
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert key_count(client, org) == 2  # the signup key and one new key


def test_same_key_with_another_body_is_422(client, factory):
    org = factory.organisation()
    post_key(client, org, "k-2", name="One")

    response = post_key(client, org, "k-2", name="Two")

    assert response.status_code == 422
    assert response.get_json()["type"].endswith("idempotency-key-reused")
    assert key_count(client, org) == 2


def test_keys_are_scoped_to_the_caller(client, factory):
    org = factory.organisation()
    admin = factory.member(org, "admin")
    post_key(client, org, "shared")

    response = client.post(
        org.url("/api-keys"),
        headers={**bearer(admin), "Idempotency-Key": "shared"},
        json={"name": "Deploy key"},
    )

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers


def test_a_failed_request_runs_again_on_retry_with_the_same_key(client, factory):
    org = factory.organisation()
    definition = {"key": "retried_metric", "name": "Retried"}
    taken = client.post(org.url("/metric-definitions"), headers=org.headers, json=definition)
    request = {"headers": {**org.headers, "Idempotency-Key": "retry-me"}, "json": definition}
    assert client.post(org.url("/metric-definitions"), **request).status_code == 409
    client.delete(taken.headers["Location"], headers=org.headers)

    retry = client.post(org.url("/metric-definitions"), **request)

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers


def test_same_key_while_the_first_is_still_running_is_409(client, factory, database, settings):
    org = factory.organisation()
    body = b'{"name": "Deploy key"}'
    path = org.url("/api-keys")
    caller = client.get("/v1/me", headers=org.headers).get_json()["api_key"]["id"]
    with database.session() as session:  # a first request that has not finished yet
        idempotency.begin(
            session,
            caller=f"api_key:{caller}",
            key="slow",
            fingerprint=fingerprint("POST", path, body),
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )

    response = client.post(
        path,
        headers={**org.headers, "Idempotency-Key": "slow", "Content-Type": "application/json"},
        data=body,
    )

    assert response.status_code == 409
    assert key_count(client, org) == 1


def test_a_created_secret_is_not_kept_for_replays(client, factory, database):
    from sqlalchemy import select

    from api.domain.idempotency import IdempotencyRecord

    org = factory.organisation()
    token = post_key(client, org, "secret-once").get_json()["token"]

    with database.session() as session:
        stored = session.scalars(
            select(IdempotencyRecord.response_body).where(IdempotencyRecord.key == "secret-once")
        ).all()
    assert stored and all(token not in body for body in stored)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api-keys", {"name": "Deploy key"}),
        ("/webhook-endpoints", {"url": "https://93.184.215.14/hooks", "events": ["sync.failed"]}),
        (
            "/oauth-clients",
            {
                "name": "Back office",
                "client_type": "confidential",
                "grant_types": ["client_credentials"],
                "allowed_scopes": ["strategies:read"],
            },
        ),
    ],
)
def test_a_replay_without_its_secret_matches_the_documented_schema(client, factory, path, body):
    org = factory.organisation()
    headers = {**org.headers, "Idempotency-Key": f"replay{path}"}
    client.post(org.url(path), headers=headers, json=body)

    replay = client.post(org.url(path), headers=headers, json=body)

    assert replay.headers["Idempotent-Replayed"] == "true"
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"]["/v1/organisations/{organisation_id}" + path]["post"]
    documented = operation["responses"]["201"]["content"]["application/json"]["schema"]
    # The spec's components beside the $ref, so "#/components/…" resolves.
    Draft202012Validator({**documented, "components": spec["components"]}).validate(
        replay.get_json()
    )
