"""Channels: where the organisation pushes messages or holds conversations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.campaigns.models import CampaignChannel
from api.domain.channels.models import HANDLE_KEY, Channel, default_mode, handle_key
from api.domain.content_items.models import ContentItem
from api.domain.editing import apply_changes
from api.domain.errors import Conflict
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.mentions.models import Mention
from api.domain.metrics.models import MetricPoint
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

FIELDS = ("kind", "mode", "purposes", "name", "handle", "url", "status")


@dataclass(frozen=True, kw_only=True)
class ChannelChanges(Changes):
    name: str | Unset = UNSET
    mode: str | Unset = UNSET
    purposes: list[str] | Unset = UNSET
    handle: str | Unset | None = UNSET
    url: str | Unset | None = UNSET
    status: str | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class ChannelDraft(ChannelChanges, Draft):
    kind: str
    name: str


def _purposes(purposes: list[str]) -> list[str]:
    return sorted(set(purposes))


def create_channel(*, uow: UnitOfWork, draft: ChannelDraft) -> Channel:
    values = draft.given()
    values["mode"] = draft.mode or default_mode(draft.kind)
    values["purposes"] = _purposes(draft.or_("purposes", ["marketing"]))
    channel = Channel(**values)
    uow.session.add(channel)
    uow.commit()
    return channel


def list_channels(
    *,
    uow: UnitOfWork,
    page: PageRequest,
    status: str | None = None,
    kind: str | None = None,
    handle: str | None = None,
    name: str | None = None,
) -> Page[Channel]:
    stmt = select(Channel)
    if status:
        stmt = stmt.where(Channel.status == status)
    if kind:
        stmt = stmt.where(Channel.kind == kind)
    if handle is not None:
        stmt = stmt.where(handle_key(handle) == HANDLE_KEY)
    if name is not None:
        stmt = stmt.where(Channel.name == name)
    return paginate(uow.session, stmt, Channel.id, page)


def get_channel(*, uow: UnitOfWork, channel_id: uuid.UUID) -> Channel:
    return tenancy.get(uow.session, Channel, channel_id, what="channel")


def update_channel(
    *,
    uow: UnitOfWork,
    channel_id: uuid.UUID,
    changes: ChannelChanges,
    expected_version: int | None,
) -> Channel:
    channel = get_channel(uow=uow, channel_id=channel_id)
    check_version(channel, expected_version)
    given = changes.given()
    if "purposes" in given:
        given["purposes"] = _purposes(given["purposes"])
    apply_changes(channel, given, FIELDS)
    uow.commit()
    return channel


def delete_channel(*, uow: UnitOfWork, channel_id: uuid.UUID) -> None:
    """Only a channel nothing refers to is deleted; one with campaigns or data is archived."""
    channel = get_channel(uow=uow, channel_id=channel_id)
    in_use = any(
        tenancy.any_row(uow.session, select(model.id).where(model.channel_id == channel.id))
        for model in (ContentItem, MetricPoint, Mention)
    ) or tenancy.any_row(
        uow.session,
        select(CampaignChannel.campaign_id).where(CampaignChannel.channel_id == channel.id),
    )
    if in_use:
        raise Conflict(
            "the channel has campaigns, content or data; archive it instead (PATCH status=archived)"
        )
    uow.session.delete(channel)
    uow.commit()
