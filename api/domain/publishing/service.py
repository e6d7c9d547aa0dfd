"""Publishing as content items see it: which items Clover publishes, whether they fit, when.

An item whose channel has a connection (sandbox, Mastodon, Bluesky) is published by
Clover at its scheduled time: approving it checks the channel's limits, scheduling
it queues the publish job for that time, and a person can no longer type in
``published``. Items on other channels (press, events, email…) keep the manual path.
The job's own steps are in ``attempts``.
"""

from __future__ import annotations

import uuid

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


def check_fits(*, uow: UnitOfWork, item: ContentItem) -> None:
    """Refuse (422, naming the channel and the limit) an item its connected channel cannot take."""
    connection = connection_of(uow=uow, channel_id=item.channel_id)
    if connection is None:
        return
    channel = tenancy.get(uow.session, Channel, item.channel_id, what="channel")
    name = f"{channel.name} ({connection.provider})"
    refuse(
        limits.violations(
            text=item.text,
            as_thread=item.as_thread,
            media=media_facts(uow=uow, item=item),
            limits=limits.limits_of(connection.provider, connection.limits),
            channel=name,
        ),
        f"the content item does not fit the channel {name}",
    )


def refuse_manual_publication(*, uow: UnitOfWork, item: ContentItem) -> None:
    if connection_of(uow=uow, channel_id=item.channel_id) is not None:
        raise Conflict(
            "the item's channel is connected: Clover publishes it at its scheduled time "
            "(schedule it), so it cannot be marked published by hand"
        )


def schedule(*, uow: UnitOfWork, item: ContentItem) -> None:
    """Queue the publish job for the item's time, after commit (its channel is connected).

    The job re-reads the item and does nothing unless it is still scheduled and due,
    so an item unscheduled, cancelled or moved to another time is not published by an
    old job; a lost job is made up by the sweep.
    """
    if item.scheduled_at is None or connection_of(uow=uow, channel_id=item.channel_id) is None:
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
