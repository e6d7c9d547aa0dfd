"""A webhook delivery resolves its endpoint's host once and sends only to what it checked."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from api import create_app
from api.crypto import cipher_for
from api.domain.access import system_tenant
from api.domain.outbound import UrlPolicy
from api.domain.webhooks import delivery
from api.domain.webhooks.models import WebhookDelivery
from tests.workers.test_egress import CountingResolver, RebindingResolver
from tests.workers.test_webhooks import Receiver, activate, endpoint
from workers import webhooks as webhook_jobs


@pytest.fixture
def api(settings):
    """The API allowed to register a loopback endpoint (the receiver of these tests)."""
    return create_app(settings.model_copy(update={"webhooks_allow_private": True})).test_client()


@pytest.fixture
def server():
    receiver = Receiver((204,))
    yield receiver
    receiver.close()


def pending(api, factory, org, url) -> uuid.UUID:
    """One pending delivery of a strategy's activation to ``url``, not attempted yet."""
    endpoint(api, org, url)
    activate(api, org)
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        [made] = delivery.fan_out(uow=uow)
    return made


def attempt(factory, settings, org, delivery_id, policy: UrlPolicy):
    """The worker's attempt at the delivery, under ``policy`` and its resolver."""
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        return delivery.attempt(
            uow=uow,
            delivery_id=delivery_id,
            send=webhook_jobs.sender(policy, timeout_seconds=1),
            cipher=cipher_for(settings),
            policy=policy,
            disable_after=20,
        )


def recorded(factory, org, delivery_id) -> WebhookDelivery:
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        return uow.session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))


def test_a_name_rebound_to_loopback_after_the_check_never_reaches_it(
    api, factory, settings, server, empty_queues
):
    org = factory.organisation()
    made = pending(api, factory, org, f"http://localhost:{server.server.server_port}/hook")
    resolver = RebindingResolver()  # public for the check, loopback if asked again

    outcome = attempt(factory, settings, org, made, UrlPolicy(allow_http=True, resolve=resolver))

    assert outcome is not None
    assert resolver.asked == ["localhost"]  # once: the send used the checked address
    assert server.requests == []


def test_a_name_that_resolves_to_loopback_is_refused_before_sending(
    api, factory, settings, server, empty_queues
):
    org = factory.organisation()
    made = pending(api, factory, org, f"http://localhost:{server.server.server_port}/hook")

    outcome = attempt(factory, settings, org, made, UrlPolicy(allow_http=True))

    assert outcome.status == "pending"
    assert server.requests == []
    assert "private, loopback" in recorded(factory, org, made).last_error


def test_a_delivery_to_an_allowed_loopback_receiver_resolves_once_and_arrives(
    api, factory, settings, server, empty_queues
):
    org = factory.organisation()
    made = pending(api, factory, org, f"http://localhost:{server.server.server_port}/hook")
    resolver = CountingResolver()
    policy = UrlPolicy(allow_http=True, allow_private=True, resolve=resolver)

    outcome = attempt(factory, settings, org, made, policy)

    assert outcome.status == "succeeded"
    assert resolver.asked == ["localhost"]
    [(headers, _body)] = server.requests
    assert headers["Host"] == f"localhost:{server.server.server_port}"
