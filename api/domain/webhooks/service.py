"""Webhook endpoints (the secret is shown once), their delivery log, and redelivery."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cryptography.fernet import MultiFernet
from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version, utcnow
from api.domain.editing import apply_changes, refuse
from api.domain.errors import Conflict, NotFound
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.outbound import UrlPolicy, url_problems
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork
from api.domain.webhooks import signing
from api.domain.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint

FIELDS = ("url", "description", "events", "enabled")
DELIVER_JOB = "workers.webhooks.deliver"


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointChanges(Changes):
    url: str | Unset = UNSET
    description: str | Unset = UNSET
    events: list[str] | Unset = UNSET
    enabled: bool | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointDraft(WebhookEndpointChanges, Draft):
    url: str
    events: list[str]


def _checked(fields: WebhookEndpointChanges, policy: UrlPolicy) -> dict:
    """The fields sent, checked (422 otherwise) and normalised."""
    errors: dict[str, list[str]] = {}
    if fields.sent("url") and (problems := url_problems(fields.url, policy)):
        errors["url"] = problems
    if fields.sent("events"):
        unknown = [e for e in fields.events if e not in EVENT_TYPES]
        if unknown:
            errors["events"] = [f"Unknown event type {e!r}." for e in unknown]
        elif not fields.events:
            errors["events"] = ["Subscribe to at least one event type."]
    refuse(errors, "invalid webhook endpoint")
    given = fields.given()
    if "events" in given:
        given["events"] = sorted(set(given["events"]))
    return given


def create_endpoint(
    *, uow: UnitOfWork, draft: WebhookEndpointDraft, policy: UrlPolicy, cipher: MultiFernet
) -> IssuedEndpoint:
    values = _checked(draft, policy)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(**values, secret_encrypted=cipher.encrypt(secret.encode()))
    uow.session.add(endpoint)
    uow.commit()
    return IssuedEndpoint(endpoint, secret)


def list_endpoints(*, uow: UnitOfWork, page: PageRequest) -> Page[WebhookEndpoint]:
    return paginate(uow.session, select(WebhookEndpoint), WebhookEndpoint.id, page)


def get_endpoint(*, uow: UnitOfWork, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    return tenancy.get(uow.session, WebhookEndpoint, endpoint_id, what="webhook endpoint")


def update_endpoint(
    *,
    uow: UnitOfWork,
    endpoint_id: uuid.UUID,
    changes: WebhookEndpointChanges,
    expected_version: int | None,
    policy: UrlPolicy,
) -> WebhookEndpoint:
    endpoint = get_endpoint(uow=uow, endpoint_id=endpoint_id)
    check_version(endpoint, expected_version)
    apply_changes(endpoint, _checked(changes, policy), FIELDS)
    if changes.enabled:  # re-enabled by hand: a fresh start
        endpoint.consecutive_failures = 0
        endpoint.disabled_reason = None
    uow.commit()
    return endpoint


def delete_endpoint(*, uow: UnitOfWork, endpoint_id: uuid.UUID) -> None:
    uow.session.delete(get_endpoint(uow=uow, endpoint_id=endpoint_id))
    uow.commit()


def list_deliveries(
    *, uow: UnitOfWork, endpoint_id: uuid.UUID, page: PageRequest
) -> Page[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    get_endpoint(uow=uow, endpoint_id=endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return paginate(uow.session, stmt, WebhookDelivery.id, page, newest_first=True)


def get_delivery(
    *, uow: UnitOfWork, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    delivery = tenancy.get(uow.session, WebhookDelivery, delivery_id, what="webhook delivery")
    if delivery.endpoint_id != endpoint_id:
        raise NotFound(f"webhook delivery {delivery_id} not found")
    return delivery


def redeliver(
    *, uow: UnitOfWork, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """Send a delivery again (with the same webhook-id, so receivers can deduplicate)."""
    endpoint = get_endpoint(uow=uow, endpoint_id=endpoint_id)
    delivery = get_delivery(uow=uow, endpoint_id=endpoint_id, delivery_id=delivery_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled; enable it before redelivering")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    uow.after_commit("webhooks", DELIVER_JOB, str(uow.tenant.organisation_id), str(delivery.id))
    uow.commit()
    return delivery
