"""Publishing as content items see it: which items Clover publishes, whether they fit, when.

An item whose channel has a connection (sandbox, Mastodon, Bluesky) is published by
Clover at its scheduled time: approving it checks the channel's limits, scheduling
it queues the publish job for that time, and a person can no longer type in
``published``. Items on other channels (press, events, email…) keep the manual path.
The job's own steps are in ``attempts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from api.domain import tenancy
from api.domain.channels.connections import Connection
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem, ContentItemMedia
from api.domain.editing import refuse
from api.domain.errors import Conflict
from api.domain.media.models import Media
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.publishing import limits
from api.domain.publishing.models import PublishAttempt
from api.domain.uow import UnitOfWork

PUBLISH_JOB = "workers.publish.publish_item"


def connection_of(*, uow: UnitOfWork, channel_id: uuid.UUID) -> Connection | None:
    return uow.session.scalar(select(Connection).where(Connection.channel_id == channel_id))


def connections_of(
    *, uow: UnitOfWork, channel_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Connection]:
    """The connections of those of ``channel_ids`` that have one, by channel, in one query."""
    ids = set(channel_ids)
    if not ids:
        return {}
    found = uow.session.scalars(select(Connection).where(Connection.channel_id.in_(ids)))
    return {connection.channel_id: connection for connection in found}


def attachments(*, uow: UnitOfWork, item: ContentItem) -> list[Media]:
    """The item's media, in its order."""
    return list(
        uow.session.scalars(
            select(Media)
            .join(ContentItemMedia, ContentItemMedia.media_id == Media.id)
            .where(ContentItemMedia.content_item_id == item.id)
            .order_by(ContentItemMedia.position)
        )
    )


def media_facts(*, uow: UnitOfWork, item: ContentItem) -> list[limits.MediaFacts]:
    """The item's media, as the limits need them."""
    return [
        limits.MediaFacts(media.mime_type, media.size_bytes)
        for media in attachments(uow=uow, item=item)
    ]


def media_facts_of(
    *, uow: UnitOfWork, item_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[limits.MediaFacts]]:
    """The media of each of ``item_ids`` that has any, in its order, in one query."""
    ids = set(item_ids)
    facts: dict[uuid.UUID, list[limits.MediaFacts]] = {}
    if not ids:
        return facts
    rows = uow.session.execute(
        select(ContentItemMedia.content_item_id, Media.mime_type, Media.size_bytes)
        .join(Media, ContentItemMedia.media_id == Media.id)
        .where(ContentItemMedia.content_item_id.in_(ids))
        .order_by(ContentItemMedia.content_item_id, ContentItemMedia.position)
    )
    for item_id, mime_type, size_bytes in rows:
        facts.setdefault(item_id, []).append(limits.MediaFacts(mime_type, size_bytes))
    return facts


def check_fits(
    *,
    item: ContentItem,
    connection: Connection | None,
    channel: Channel | None,
    media: list[limits.MediaFacts],
) -> None:
    """Refuse (422, naming the channel and the limit) an item its connected channel cannot
    take; ``channel`` and ``media`` are the item's, read by the caller (for many items at
    once)."""
    if connection is None or channel is None:
        return
    name = f"{channel.name} ({connection.provider})"
    refuse(
        limits.violations(
            text=item.text,
            as_thread=item.as_thread,
            media=media,
            limits=limits.limits_of(connection.provider, connection.limits),
            channel=name,
        ),
        f"the content item does not fit the channel {name}",
    )


def refuse_manual_publication(*, connection: Connection | None) -> None:
    """``connection`` is the item's channel's, if it has one."""
    if connection is not None:
        raise Conflict(
            "the item's channel is connected: Clover publishes it at its scheduled time "
            "(schedule it), so it cannot be marked published by hand"
        )


def schedule(*, uow: UnitOfWork, item: ContentItem, connection: Connection | None) -> None:
    """Queue the publish job for the item's time, after commit, if its channel is connected
    (``connection``, the channel's, if it has one).

    The job re-reads the item and does nothing unless it is still scheduled and due,
    so an item unscheduled, cancelled or moved to another time is not published by an
    old job; a lost job is made up by the sweep.
    """
    if item.scheduled_at is None or connection is None:
        return
    uow.after_commit(
        "publish",
        PUBLISH_JOB,
        str(uow.tenant.organisation_id),
        str(item.id),
        at=item.scheduled_at,
    )


def list_attempts(
    *, uow: UnitOfWork, item_id: uuid.UUID, page: PageRequest
) -> Page[PublishAttempt]:
    item = tenancy.get(uow.session, ContentItem, item_id, what="content item")
    stmt = select(PublishAttempt).where(PublishAttempt.content_item_id == item.id)
    return paginate(uow.session, stmt, PublishAttempt.id, page)
