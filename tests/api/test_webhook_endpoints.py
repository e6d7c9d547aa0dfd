"""Webhook endpoints: https on public addresses, known event types, a secret shown once."""

import pytest

from api import create_app
from api.config import Settings

PUBLIC = "https://93.184.215.14/hooks/clover"  # an address literal: no DNS needed
ENDPOINT = {"url": PUBLIC, "events": ["strategy.activated", "campaign.status_changed"]}


def create(client, org, **fields):
    return client.post(
        org.url("/webhook-endpoints"), headers=org.headers, json={**ENDPOINT, **fields}
    )


def test_a_created_endpoint_shows_its_secret_once(client, factory):
    org = factory.organisation()

    response = create(client, org)

    assert response.status_code == 201, response.get_data(as_text=True)
    made = response.get_json()
    assert made["secret"].startswith("whsec_") and len(made["secret"]) >= 6 + 32
    assert made["events"] == ["campaign.status_changed", "strategy.activated"]
    assert made["enabled"] is True
    again = client.get(response.headers["Location"], headers=org.headers)
    assert again.status_code == 200
    assert "secret" not in again.get_json()
    listed = client.get(org.url("/webhook-endpoints"), headers=org.headers).get_json()["items"]
    assert [e["id"] for e in listed] == [made["id"]] and "secret" not in listed[0]


def test_two_endpoints_get_different_secrets(client, factory):
    org = factory.organisation()

    first, second = create(client, org).get_json(), create(client, org).get_json()

    assert first["secret"] != second["secret"]


def test_an_idempotent_replay_does_not_show_the_secret_again(client, factory):
    org = factory.organisation()
    headers = {**org.headers, "Idempotency-Key": "hook-1"}

    first = client.post(org.url("/webhook-endpoints"), headers=headers, json=ENDPOINT)
    replay = client.post(org.url("/webhook-endpoints"), headers=headers, json=ENDPOINT)

    assert first.get_json()["secret"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["secret"] is None


def test_update_changes_url_events_and_enabled_with_if_match(client, factory):
    org = factory.organisation()
    made = create(client, org)
    url = made.headers["Location"]

    changed = client.patch(
        url,
        headers={**org.headers, "If-Match": made.headers["ETag"]},
        json={"events": ["sync.failed"], "enabled": False, "url": PUBLIC + "/v2"},
    )
    stale = client.patch(
        url, headers={**org.headers, "If-Match": made.headers["ETag"]}, json={"enabled": True}
    )

    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["events"], body["enabled"], body["url"]) == (
        ["sync.failed"],
        False,
        PUBLIC + "/v2",
    )
    assert stale.status_code == 412


def test_delete_removes_the_endpoint(client, factory):
    org = factory.organisation()
    url = create(client, org).headers["Location"]

    assert client.delete(url, headers=org.headers).status_code == 204
    assert client.get(url, headers=org.headers).status_code == 404


def test_the_secret_is_never_in_the_audit_trail(client, factory):
    org = factory.organisation()
    made = create(client, org).get_json()

    trail = client.get(
        org.url("/audit-events?resource_type=webhook_endpoint"), headers=org.headers
    ).get_data(as_text=True)

    assert made["id"] in trail
    assert made["secret"] not in trail and "secret_encrypted" not in trail


def test_plain_http_is_allowed_outside_production_only():
    from api.domain.outbound import UrlPolicy, url_problems

    assert url_problems("http://93.184.215.14/h", UrlPolicy(allow_http=True)) == []
    assert url_problems("http://93.184.215.14/h", UrlPolicy()) == ["Must use https."]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/h",
        "https://localhost:8443/h",
        "https://10.1.2.3/h",
        "https://192.168.0.10/h",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/h",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(client, factory, url):
    org = factory.organisation()

    response = create(client, org, url=url)

    assert response.status_code == 422
    assert "private" in response.get_json()["errors"]["url"][0]


def test_a_host_that_does_not_resolve_is_refused(client, factory):
    org = factory.organisation()

    response = create(client, org, url="https://no-such-host.invalid/h")

    assert response.status_code == 422
    assert "does not resolve" in response.get_json()["errors"]["url"][0]


def test_private_addresses_are_allowed_with_the_setting(database_url, factory):
    app = create_app(
        Settings.build(database_url=database_url, environment="test", webhooks_allow_private=True)
    )
    org = factory.organisation()

    response = create(app.test_client(), org, url="http://127.0.0.1:9/h")

    assert response.status_code == 201


def test_updating_to_a_private_address_is_refused(client, factory):
    org = factory.organisation()
    url = create(client, org).headers["Location"]

    response = client.patch(url, headers=org.headers, json={"url": "https://10.0.0.1/h"})

    assert response.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"url": PUBLIC, "events": ["campaign.deleted"]},
        {"url": PUBLIC, "events": []},
        {"url": "ftp://93.184.215.14/h", "events": ["sync.failed"]},
        {"url": PUBLIC},
        {**ENDPOINT, "secret": "whsec_mine"},
    ],
)
def test_bad_endpoints_are_field_errors(client, factory, body):
    org = factory.organisation()

    response = client.post(org.url("/webhook-endpoints"), headers=org.headers, json=body)

    assert response.status_code == 422


def test_analysts_read_but_do_not_write_webhooks(client, factory):
    org = factory.organisation()
    create(client, org)
    analyst = {"Authorization": f"Bearer {factory.member(org, 'analyst')}"}

    assert client.get(org.url("/webhook-endpoints"), headers=analyst).status_code == 200
    assert create(client, org).status_code == 201
    refused = client.post(org.url("/webhook-endpoints"), headers=analyst, json=ENDPOINT)
    assert refused.status_code == 403
