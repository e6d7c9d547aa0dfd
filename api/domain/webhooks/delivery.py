"""Fan-out of outbox events into deliveries, and one attempt at a delivery.

The HTTP call is passed in (``send``), so the rules here are tested without a
network: 2xx is delivered; anything else is retried after the next delay of
``schedule``, then failed; an endpoint whose deliveries fail ``disable_after``
times in a row is disabled (an audited change).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import MultiFernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.domain import audit
from api.domain.base import utcnow
from api.domain.outbound import AddressRefused, Destination, UrlPolicy, destination
from api.domain.uow import UnitOfWork
from api.domain.webhooks import signing
from api.domain.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

# Delays before the 2nd, 3rd… attempt: about 18 hours in all, then the delivery fails.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
FAN_OUT_BATCH = 500

# send(url, headers, body, where) -> (status code or None, error or None); ``where`` holds
# the addresses checked for the URL's host, the only ones the send may connect to.
Send = Callable[[str, dict[str, str], bytes, Destination], tuple[int | None, str | None]]


def fan_out(*, uow: UnitOfWork) -> list[uuid.UUID]:
    """Turn the organisation's new events into pending deliveries; returns their ids."""
    session = uow.session
    created: list[uuid.UUID] = []
    while True:
        events = list(
            session.scalars(
                select(WebhookEvent)
                .where(WebhookEvent.dispatched_at.is_(None))
                .order_by(WebhookEvent.id)
                .limit(FAN_OUT_BATCH)
                .with_for_update(skip_locked=True)  # two dispatchers never fan out one event
            )
        )
        if not events:
            return created
        endpoints = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled)))
        now = utcnow()
        deliveries = [
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=event.id,
                event_type=event.type,
                next_attempt_at=now,
            )
            for event in events
            for endpoint in endpoints
            if event.type in endpoint.events
        ]
        session.add_all(deliveries)
        for event in events:
            event.dispatched_at = now
        uow.commit()
        created += [d.id for d in deliveries]


def message(event: WebhookEvent) -> bytes:
    body = {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.payload}
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Outcome:
    status: str
    next_attempt_at: datetime | None


def attempt(
    *,
    uow: UnitOfWork,
    delivery_id: uuid.UUID,
    send: Send,
    cipher: MultiFernet,
    policy: UrlPolicy,
    disable_after: int,
    schedule: Sequence[timedelta] = RETRY_SCHEDULE,
) -> Outcome | None:
    """Send a pending delivery that is due; None when there is nothing to do now."""
    session = uow.session
    delivery = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .with_for_update(skip_locked=True)  # another worker is sending it right now
    )
    now = utcnow()
    if delivery is None or delivery.status != "pending":
        return None
    if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
        return None  # not due: an early or duplicate job
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    event = session.get(WebhookEvent, delivery.event_id)
    if not endpoint.enabled:
        return _settle(uow, delivery, "failed", None, "the endpoint is disabled", now)
    try:
        # Again (a name can resolve elsewhere now), and once: the send connects only to
        # the addresses checked here, so a second answer of the name is never used.
        where = destination(endpoint.url, policy)
    except AddressRefused as refused:
        code, error = None, str(refused)
    else:
        secret = cipher.decrypt(endpoint.secret_encrypted).decode()
        body = message(event)
        headers = signing.headers(secret, str(event.id), int(now.timestamp()), body)
        code, error = send(endpoint.url, headers, body, where)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = code
    if code is not None and 200 <= code < 300:
        _count_failures(session, endpoint, reset=True, disable_after=disable_after)
        return _settle(uow, delivery, "succeeded", code, None, now)
    if delivery.attempts <= len(schedule):
        delivery.next_attempt_at = now + schedule[delivery.attempts - 1]
        return _settle(uow, delivery, "pending", code, error, now)
    _count_failures(session, endpoint, reset=False, disable_after=disable_after)
    return _settle(uow, delivery, "failed", code, error, now)


def _settle(uow, delivery, status, code, error, now) -> Outcome:
    delivery.status = status
    delivery.last_status_code = code
    delivery.last_error = error[:500] if error else None
    if status != "pending":
        delivery.next_attempt_at = None
    uow.commit()
    return Outcome(status, delivery.next_attempt_at)


def _count_failures(
    session: Session, endpoint: WebhookEndpoint, *, reset: bool, disable_after: int
) -> None:
    # Serialise outcomes per endpoint; the counter is bookkeeping (no new version, not
    # audited), while disabling is a change the organisation sees in its trail.
    session.refresh(endpoint, with_for_update=True)
    failures = 0 if reset else endpoint.consecutive_failures + 1
    if failures == endpoint.consecutive_failures:
        return
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id)
        .values(consecutive_failures=failures)
        .execution_options(synchronize_session=False)
    )
    if failures >= disable_after and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = f"{failures} consecutive deliveries failed"
        audit.mark(session, endpoint, "disable")


@dataclass(frozen=True)
class LostWork:
    organisations: list[uuid.UUID]  # with events nobody fanned out
    deliveries: list[tuple[uuid.UUID, uuid.UUID]]  # (organisation, delivery) overdue


def lost_work(session: Session, *, older_than: timedelta, limit: int = 1000) -> LostWork:
    """Work whose job was lost (a crash between commit and enqueue, a flushed queue)."""
    cutoff = utcnow() - older_than
    organisations = session.scalars(
        select(WebhookEvent.organisation_id)
        .where(WebhookEvent.dispatched_at.is_(None), WebhookEvent.created_at <= cutoff)
        .distinct()
        .limit(limit)
    )
    overdue = session.execute(
        select(WebhookDelivery.organisation_id, WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= cutoff)
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
    )
    return LostWork(list(organisations), [tuple(row) for row in overdue])
