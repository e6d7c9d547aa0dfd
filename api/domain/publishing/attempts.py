"""The publish job's steps, each in the job's own unit of work (``workers.publish``).

Exactly once: an item is claimed by a conditional UPDATE (``scheduled`` →
``publishing`` where it is still scheduled and due, so of two workers one wins), and
its attempt, with the key the network dedupes on, is committed before the network
is called. A try whose answer was lost (a timeout after sending, a worker killed
mid-call) leaves the attempt ``unknown``: the next try, queued by RQ's retry, by
Retry-After or by the sweep after ``GRACE``, looks the post up before sending it
again under the same key. Tries of one attempt are fenced the same way: a try
begins only by a conditional UPDATE of the attempt's try count.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from api.domain import tenancy
from api.domain.channels import sync as connections
from api.domain.channels.connections import Connection
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem
from api.domain.publishing import limits, outcomes
from api.domain.publishing.models import PublishAttempt
from api.domain.publishing.service import attachments, media_facts
from api.domain.uow import UnitOfWork

# A try silent this long lost its worker: the sweep lets another try look the post up.
GRACE = timedelta(minutes=2)
# API hosts' and workers' clocks differ a little: a time this close counts as come.
EARLY = timedelta(seconds=5)
# An attempt whose tries were lost this many times fails (a post that kills its worker
# must not loop for ever).
MAX_TRIES = 8


def attempt_key(item_id: uuid.UUID, number: int) -> str:
    """Stable for the item and attempt: the Idempotency-Key or the record key it derives."""
    return hashlib.sha256(f"{item_id}:{number}".encode()).hexdigest()


@dataclass(frozen=True)
class Target:
    """Where the item goes, read before a try (to refresh the channel's limits first)."""

    channel_id: uuid.UUID
    provider: str
    # Account, base URL and credentials: kept out of repr, so no log line shows a token.
    connection: connections.SyncTarget = field(repr=False)
    limits: limits.ChannelLimits
    posts: int  # how many posts it takes (a thread takes several)


@dataclass(frozen=True)
class Attachment:
    """A medium to send with the post: where media storage keeps it, and what it is."""

    storage_key: str
    mime_type: str
    alt_text: str
    size_bytes: int


@dataclass(frozen=True)
class Begun:
    """A try that has begun: send (or, when ``resumed``, look up first) this post."""

    item_id: uuid.UUID
    attempt_id: uuid.UUID
    key: str
    text: str
    as_thread: bool
    resumed: bool
    tries: int
    media: tuple[Attachment, ...]


def _item(uow: UnitOfWork, item_id: uuid.UUID) -> ContentItem:
    return tenancy.get(uow.session, ContentItem, item_id, what="content item", fresh=True)


def _found(uow: UnitOfWork, item_id: uuid.UUID) -> ContentItem | None:
    """The item, or None when it was deleted since its job was queued."""
    return uow.session.get(ContentItem, item_id, populate_existing=True)


def _open_attempt(uow: UnitOfWork, item_id: uuid.UUID) -> PublishAttempt | None:
    return uow.session.scalar(
        select(PublishAttempt)
        .where(PublishAttempt.content_item_id == item_id, PublishAttempt.outcome == "unknown")
        .order_by(PublishAttempt.number.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def _try_due(attempt: PublishAttempt, now: datetime, grace: timedelta) -> bool:
    if attempt.next_try_at is not None:
        return attempt.next_try_at <= now + EARLY
    return attempt.last_try_at <= now - grace


def _due(uow: UnitOfWork, item: ContentItem, now: datetime, grace: timedelta) -> bool:
    if item.status == "scheduled":
        return item.scheduled_at is not None and item.scheduled_at <= now + EARLY
    if item.status == "publishing":
        attempt = _open_attempt(uow, item.id)
        return attempt is not None and _try_due(attempt, now, grace)
    return False


def target(
    *, uow: UnitOfWork, item_id: uuid.UUID, now: datetime, grace: timedelta, cipher
) -> Target | None:
    """Where to publish the item, or None when there is nothing to do now: not due,
    unscheduled, cancelled, published, under way elsewhere, or no longer connected."""
    item = _found(uow, item_id)
    if item is None or not _due(uow, item, now, grace):
        return None
    connection = uow.session.scalar(
        select(Connection).where(Connection.channel_id == item.channel_id)
    )
    if connection is None and item.status == "publishing":
        reason = outcomes.maybe_sent("the channel was disconnected while publishing", True)
        outcomes.fail(
            uow=uow,
            item=item,
            attempt=_open_attempt(uow, item.id),
            reason=reason,
            retryable=True,
            now=now,
        )
        uow.commit()
        return None
    if connection is None:
        return None  # disconnected since: the item is a person's to publish again
    found = connections.sync_target(uow=uow, channel_id=item.channel_id, cipher=cipher)
    channel_limits = limits.limits_of(connection.provider, connection.limits)
    return Target(
        item.channel_id,
        found.provider,
        found,
        channel_limits,
        limits.posts_needed(item.text, channel_limits) if item.as_thread else 1,
    )


def store_limits(*, uow: UnitOfWork, channel_id: uuid.UUID, reported: dict, now: datetime) -> None:
    """Keep the limits the network reported on the connection (they apply from now on)."""
    connection = connections.get_connection(uow=uow, channel_id=channel_id)
    if connection.limits != reported:
        connection.limits = reported
    connection.limits_refreshed_at = now
    uow.commit()


def begin(*, uow: UnitOfWork, item_id: uuid.UUID, now: datetime, grace: timedelta) -> Begun | None:
    """Claim the item (a new attempt) or the next try of its open attempt, and commit.

    None when another worker won, or when the item failed here without a word to
    the network: its channel needs reauthorisation, or it no longer fits the
    channel's limits (checked again before sending), or its tries ran out.
    """
    item = _item(uow, item_id)
    attempt = _open_attempt(uow, item.id) if item.status == "publishing" else None
    if attempt is None:
        attempt = _claim(uow, item, now)
        resumed = False
    else:
        if not _try_due(attempt, now, grace) or not _next_try(uow, attempt, now):
            return None
        resumed = True
    if attempt is None:
        return None
    problem = _refusal(uow, item, attempt, resumed)
    if problem is not None:
        reason, retryable = problem
        outcomes.fail(uow=uow, item=item, attempt=attempt, reason=reason, retryable=retryable)
        uow.commit()
        return None
    uow.commit()
    media = tuple(
        Attachment(m.storage_key, m.mime_type, m.alt_text, m.size_bytes)
        for m in attachments(uow=uow, item=item)
    )
    return Begun(
        item.id, attempt.id, attempt.key, item.text, item.as_thread, resumed, attempt.tries, media
    )


def _claim(uow: UnitOfWork, item: ContentItem, now: datetime) -> PublishAttempt | None:
    claimed = uow.session.execute(
        update(ContentItem)
        .where(
            ContentItem.id == item.id,
            ContentItem.status == "scheduled",
            ContentItem.scheduled_at <= now + EARLY,
        )
        .values(status="publishing", version=ContentItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        uow.rollback()
        return None
    uow.session.refresh(item)
    number = 1 + (
        uow.session.scalar(
            select(PublishAttempt.number)
            .where(PublishAttempt.content_item_id == item.id)
            .order_by(PublishAttempt.number.desc())
            .limit(1)
        )
        or 0
    )
    connection = uow.session.scalar(
        select(Connection).where(Connection.channel_id == item.channel_id)
    )
    attempt = PublishAttempt(
        content_item_id=item.id,
        number=number,
        key=attempt_key(item.id, number),
        provider=connection.provider,
        outcome="unknown",
        tries=1,
        started_at=now,
        last_try_at=now,
    )
    uow.session.add(attempt)
    item.publish_error = item.publish_retryable = None
    outcomes.step(uow=uow, item=item, before="scheduled", comment=f"publishing (attempt {number})")
    uow.flush()
    return attempt


def _next_try(uow: UnitOfWork, attempt: PublishAttempt, now: datetime) -> bool:
    """Take the attempt's next try (of two workers, one does)."""
    taken = uow.session.execute(
        update(PublishAttempt)
        .where(PublishAttempt.id == attempt.id, PublishAttempt.tries == attempt.tries)
        .values(tries=attempt.tries + 1, last_try_at=now, next_try_at=None)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        uow.rollback()
        return False
    uow.session.refresh(attempt)
    return True


def _refusal(
    uow: UnitOfWork, item: ContentItem, attempt: PublishAttempt, resumed: bool
) -> tuple[str, bool] | None:
    """Why the try must not reach the network, and whether trying again can help."""
    connection = uow.session.scalar(
        select(Connection).where(Connection.channel_id == item.channel_id)
    )
    if connection.status == "needs_reauth":
        return outcomes.maybe_sent(outcomes.REAUTH, resumed), True
    if attempt.tries > MAX_TRIES:
        reason = f"publishing stopped unexpectedly {MAX_TRIES} times; it was logged"
        return outcomes.maybe_sent(reason, True), True
    if resumed:
        return None  # checked when the attempt began
    channel = tenancy.get(uow.session, Channel, item.channel_id, what="channel")
    broken = limits.violations(
        text=item.text,
        as_thread=item.as_thread,
        media=media_facts(uow=uow, item=item),
        limits=limits.limits_of(connection.provider, connection.limits),
        channel=f"{channel.name} ({connection.provider})",
    )
    if broken:
        found = "; ".join(message for messages in broken.values() for message in messages)
        return f"the item no longer fits the channel: {found}", False
    return None


def due_work(
    session: Session, *, now: datetime, late: timedelta, grace: timedelta
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(organisation, item) of every item a publish job should look at now, in every
    organisation (an unscoped session): scheduled items on connected channels due
    for ``late`` (their own job is lost), and open attempts whose next try is as
    late or whose try went silent for ``grace`` (its worker is gone)."""
    scheduled = (
        select(ContentItem.organisation_id, ContentItem.id)
        .join(Connection, Connection.channel_id == ContentItem.channel_id)
        .where(ContentItem.status == "scheduled", ContentItem.scheduled_at <= now - late)
    )
    stuck = select(PublishAttempt.organisation_id, PublishAttempt.content_item_id).where(
        PublishAttempt.outcome == "unknown",
        or_(
            PublishAttempt.next_try_at <= now - late,
            and_(PublishAttempt.next_try_at.is_(None), PublishAttempt.last_try_at <= now - grace),
        ),
    )
    # Read across organisations on purpose, and said so: the sweep is Clover's own work.
    everyone = tenancy.across_organisations
    rows = {*session.execute(everyone(scheduled)).all(), *session.execute(everyone(stuck)).all()}
    return sorted((organisation, item) for organisation, item in rows)
