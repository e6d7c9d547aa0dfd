"""What the rules of a transition read besides the items themselves, read once for all.

A transition's rules look at an item's campaign (its dates, when a published time is
given), its channel's connection (no manual publication, the publish job on
scheduling) and, at approval on a connected channel, the channel and the item's media
(the network's limits). ``context_for`` reads these for every item of a move in a
fixed number of statements, one per kind, and only the kinds the step needs; a single
transition is a move of one, so both take the same rules over the same context.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from api.domain.campaigns.models import Campaign
from api.domain.channels.connections import Connection
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem
from api.domain.publishing import service as publishing
from api.domain.publishing.limits import MediaFacts
from api.domain.uow import UnitOfWork

# The steps whose rules depend on whether the item's channel is connected.
CONNECTED_RULES = ("approved", "scheduled", "published")


@dataclass(frozen=True, kw_only=True)
class StepContext:
    campaigns: Mapping[uuid.UUID, Campaign] = field(default_factory=dict)
    # By channel id; a channel without a connection is absent.
    connections: Mapping[uuid.UUID, Connection] = field(default_factory=dict)
    # The connected channels, read when approving (their name is in the limits' messages).
    channels: Mapping[uuid.UUID, Channel] = field(default_factory=dict)
    # By item id, in each item's order; read when approving on a connected channel.
    media: Mapping[uuid.UUID, list[MediaFacts]] = field(default_factory=dict)

    def connection_for(self, item: ContentItem) -> Connection | None:
        return self.connections.get(item.channel_id)

    def campaign(self, item: ContentItem) -> Campaign:
        return self.campaigns[item.campaign_id]

    def channel(self, item: ContentItem) -> Channel | None:
        return self.channels.get(item.channel_id)

    def media_of(self, item: ContentItem) -> list[MediaFacts]:
        return list(self.media.get(item.id, ()))


def _by_id(uow: UnitOfWork, model, ids: set[uuid.UUID]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in uow.session.scalars(select(model).where(model.id.in_(ids)))}


def context_for(
    *, uow: UnitOfWork, to: str, items: Sequence[ContentItem], dated: Sequence[ContentItem] = ()
) -> StepContext:
    """What moving ``items`` to ``to`` reads; ``dated`` are those given a published time
    (their campaign's dates are checked)."""
    connections: dict[uuid.UUID, Connection] = {}
    if to in CONNECTED_RULES:
        connections = publishing.connections_of(
            uow=uow, channel_ids={item.channel_id for item in items}
        )
    channels: dict[uuid.UUID, Channel] = {}
    media: dict[uuid.UUID, list[MediaFacts]] = {}
    if to == "approved" and connections:
        channels = _by_id(uow, Channel, set(connections))
        media = publishing.media_facts_of(
            uow=uow, item_ids={item.id for item in items if item.channel_id in connections}
        )
    return StepContext(
        campaigns=_by_id(uow, Campaign, {item.campaign_id for item in dated}),
        connections=connections,
        channels=channels,
        media=media,
    )
