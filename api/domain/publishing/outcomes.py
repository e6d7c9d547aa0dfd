"""How a publish attempt ends, or waits: each step in the job's own unit of work.

Every ending is a step of the item's history with the actor "publisher" and a
webhook event (``content_item.published`` / ``content_item.publish_failed``): no
failure is silent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from api.domain import tenancy
from api.domain.channels import sync as connections
from api.domain.content_items.models import PUBLISHER, ContentItem, ContentStatusChange
from api.domain.key_messages import matching
from api.domain.publishing.models import PublishAttempt
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

REAUTH = "the network refused the channel's credentials; reconnect the channel, then reschedule"


def maybe_sent(reason: str, resumed: bool) -> str:
    if not resumed:
        return reason
    return (
        f"{reason}. An earlier try's answer was lost, so the post may exist: "
        "check the channel before rescheduling"
    )


def step(*, uow: UnitOfWork, item: ContentItem, before: str, comment: str) -> None:
    uow.session.add(
        ContentStatusChange(
            content_item_id=item.id,
            from_status=before,
            to_status=item.status,
            actor=PUBLISHER,
            comment=comment,
        )
    )


def _item(uow: UnitOfWork, item_id: uuid.UUID) -> ContentItem:
    return tenancy.get(uow.session, ContentItem, item_id, what="content item", fresh=True)


def _attempt(uow: UnitOfWork, attempt_id: uuid.UUID) -> PublishAttempt:
    return tenancy.get(uow.session, PublishAttempt, attempt_id, what="publish attempt", fresh=True)


def sent(
    *,
    uow: UnitOfWork,
    attempt_id: uuid.UUID,
    external_id: str,
    url: str | None,
    published_at: datetime,
    now: datetime,
) -> None:
    """The network has the post: the item is published (again is nothing)."""
    attempt = _attempt(uow, attempt_id)
    if attempt.outcome != "unknown":
        return
    item = _item(uow, attempt.content_item_id)
    attempt.outcome, attempt.finished_at = "sent", now
    attempt.external_id, attempt.url, attempt.next_try_at = external_id, url, None
    before = item.status
    item.status, item.external_id = "published", external_id
    item.published_url, item.published_at = url, published_at
    item.publish_error = item.publish_retryable = None
    step(uow=uow, item=item, before=before, comment=f"published on the network as {external_id}")
    uow.flush()
    matching.link_items(uow=uow, items=[item])
    payload = {
        "content_item_id": item.id,
        "campaign_id": item.campaign_id,
        "channel_id": item.channel_id,
        "title": item.title,
        "external_id": external_id,
        "url": url,
        "published_at": published_at,
    }
    events.emit(uow=uow, type="content_item.published", payload=payload)
    moved = item.status_changed(before, "published")
    events.emit(uow=uow, type="content_item.status_changed", payload=moved)
    uow.commit()


def failed(
    *, uow: UnitOfWork, attempt_id: uuid.UUID, reason: str, retryable: bool, now: datetime
) -> None:
    """The attempt failed for good: the item shows why, and whether a retry can help."""
    attempt = _attempt(uow, attempt_id)
    if attempt.outcome != "unknown":
        return
    fail(
        uow=uow,
        item=_item(uow, attempt.content_item_id),
        attempt=attempt,
        reason=reason,
        retryable=retryable,
        now=now,
    )
    uow.commit()


def fail(
    *,
    uow: UnitOfWork,
    item: ContentItem,
    attempt: PublishAttempt,
    reason: str,
    retryable: bool,
    now: datetime | None = None,
) -> None:
    attempt.outcome, attempt.reason = "failed", reason
    attempt.finished_at, attempt.next_try_at = now or attempt.last_try_at, None
    before = item.status
    item.status, item.publish_error, item.publish_retryable = "publish_failed", reason, retryable
    step(uow=uow, item=item, before=before, comment=reason)
    events.emit(
        uow=uow,
        type="content_item.publish_failed",
        payload={
            "content_item_id": item.id,
            "campaign_id": item.campaign_id,
            "channel_id": item.channel_id,
            "title": item.title,
            "reason": reason,
            "retryable": retryable,
        },
    )


def tries_of(*, uow: UnitOfWork, attempt_id: uuid.UUID) -> int:
    return _attempt(uow, attempt_id).tries


def defer(*, uow: UnitOfWork, attempt_id: uuid.UUID, until: datetime, reason: str) -> None:
    """The try did not get through (429, a 5xx): the next one is due at ``until``."""
    attempt = _attempt(uow, attempt_id)
    if attempt.outcome != "unknown":
        return
    attempt.next_try_at, attempt.reason = until, reason
    uow.commit()


def refuse_connection(*, uow: UnitOfWork, channel_id: uuid.UUID, error: str) -> None:
    """A 401: the connection needs reauthorisation; the channel's due items fail as they come."""
    connection = connections.get_connection(uow=uow, channel_id=channel_id)
    connection.status, connection.last_error, connection.next_sync_at = "needs_reauth", error, None
    uow.commit()
