"""A connection's base URL cannot point the worker (and the channel's token) inside the network."""

import pytest

from api import create_app
from tests.api import builders

TOKEN = "mastodon-token-never-sent-inside"


@pytest.fixture(scope="module")
def strict_client(settings):
    """The API with the production rule for base URLs: public addresses only."""
    return create_app(
        settings.model_copy(update={"connections_allow_private": False})
    ).test_client()


def connect(client, org, channel, base_url):
    return client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=org.headers,
        json={
            "provider": "mastodon",
            "account": "@clover@mastodon.example",
            "base_url": base_url,
            "credentials": {"access_token": TOKEN},
        },
    )


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8102",  # the API's own port
        "http://localhost:6379",  # Redis
        "http://[::1]:5432",  # PostgreSQL
        "http://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "http://10.0.0.7",
        "http://no-such-host.invalid",
    ],
)
def test_private_or_unresolvable_base_urls_are_refused(strict_client, factory, base_url):
    org = factory.organisation()
    channel = builders.channel(strict_client, org, kind="mastodon", name="Fediverse")

    response = connect(strict_client, org, channel, base_url)

    assert response.status_code == 422, response.get_data(as_text=True)
    assert "base_url" in response.get_json()["errors"]
    fetched = strict_client.get(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers
    )
    assert fetched.status_code == 404  # nothing was saved


def test_a_public_base_url_is_accepted(strict_client, factory):
    org = factory.organisation()
    channel = builders.channel(strict_client, org, kind="mastodon", name="Fediverse")

    response = connect(strict_client, org, channel, "https://93.184.215.14")

    assert response.status_code == 200, response.get_data(as_text=True)
