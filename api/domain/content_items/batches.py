"""Many content items at once: created together, or moved through one transition together.

A batch is all or nothing: every item meets the rules of one at a time, or nothing
is written and the problem names each failing item by its index (``items.17.channel_id``).
A reference the organisation cannot see (another organisation's channel, owner or
medium, or none at all) is such a per-item error ("Not found."), never a 404 of the
whole batch, so that a client learns which item to fix and nothing about other tenants.
References are checked with one query per kind for the whole batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from api.domain import audit, tenancy
from api.domain.base import utcnow
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.content_items import rules, steps
from api.domain.content_items.models import ContentItem, ContentItemMedia
from api.domain.content_items.service import (
    ContentItemDraft,
    ContentTransition,
    check_role,
    record_step,
    step,
    stored,
)
from api.domain.errors import Conflict, DomainError, NotFound, RuleViolation
from api.domain.inputs import Draft
from api.domain.media.models import Media
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork

MAX_ITEMS = 500
NOT_FOUND = ["Not found."]


@dataclass(frozen=True, kw_only=True)
class ContentItemBatchDraft(Draft):
    items: list[ContentItemDraft]


@dataclass(frozen=True, kw_only=True)
class BatchStep:
    """One item of a batch transition, with the times or URL it needs for that step."""

    id: uuid.UUID
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    published_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ContentBatchTransition:
    to: str
    comment: str = ""
    items: list[BatchStep]


def _visible(uow: UnitOfWork, model, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``ids`` the organisation holds, in one query."""
    if not ids:
        return set()
    return set(uow.session.scalars(select(model.id).where(model.id.in_(ids))))


def item_errors(
    draft: ContentItemDraft,
    *,
    campaign: Campaign,
    channels: set[uuid.UUID],
    linked: set[uuid.UUID],
    owners: set[uuid.UUID],
    media: set[uuid.UUID],
    now: datetime,
) -> dict[str, list[str]]:
    """What keeps ``draft`` from being created in ``campaign``: the single create's rules."""
    errors = rules.initial_status_errors(draft.status)
    if draft.channel_id not in channels:
        errors["channel_id"] = NOT_FOUND
    elif draft.channel_id not in linked:
        errors["channel_id"] = ["Must be one of the campaign's channels."]
    if draft.owner_id and draft.owner_id not in owners:
        errors["owner_id"] = NOT_FOUND
    for n, action in enumerate(draft.or_("distribution_actions", [])):
        if action.channel_id is not None and action.channel_id not in channels:
            errors[f"distribution_actions.{n}.channel_id"] = NOT_FOUND
    media_ids = draft.or_("media_ids", [])
    if len(set(media_ids)) != len(media_ids):
        errors["media_ids"] = ["Each medium may be attached once."]
    elif any(media_id not in media for media_id in media_ids):
        errors["media_ids"] = NOT_FOUND
    errors.update(
        rules.dating_errors(
            due_date=draft.or_("due_date", None),
            published_at=draft.or_("published_at", None),
            campaign_start=campaign.start_date,
            campaign_end=campaign.end_date,
            now=now,
        )
    )
    return errors


def _refuse(errors: dict[int, dict[str, list[str]]], detail: str) -> None:
    if errors:
        raise RuleViolation(
            detail,
            errors={
                f"items.{n}.{field}" if field else f"items.{n}": messages
                for n, fields in sorted(errors.items())
                for field, messages in fields.items()
            },
        )


def create_items(
    *, uow: UnitOfWork, campaign_id: uuid.UUID, batch: ContentItemBatchDraft
) -> list[ContentItem]:
    """Create every item of ``batch`` in the campaign, each in its initial status (an idea
    unless it says otherwise), or none of them."""
    campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    if campaign.status in ("completed", "cancelled"):
        raise Conflict(f"the campaign is {campaign.status}; it takes no new content")
    drafts = batch.items
    channel_ids = {d.channel_id for d in drafts} | {
        a.channel_id for d in drafts for a in d.or_("distribution_actions", []) if a.channel_id
    }
    linked = set(
        uow.session.scalars(
            select(CampaignChannel.channel_id).where(
                CampaignChannel.campaign_id == campaign.id,
                CampaignChannel.channel_id.in_(channel_ids),
            )
        )
    )
    known = {
        "channels": _visible(uow, Channel, channel_ids),
        "owners": _visible(uow, Resource, {d.owner_id for d in drafts if d.owner_id}),
        "media": _visible(uow, Media, {m for d in drafts for m in d.or_("media_ids", [])}),
    }
    now = utcnow()
    errors = {
        n: found
        for n, draft in enumerate(drafts)
        if (found := item_errors(draft, campaign=campaign, linked=linked, now=now, **known))
    }
    _refuse(errors, "some content items of the batch break a rule; nothing was created")
    items = [
        ContentItem(
            campaign_id=campaign.id,
            status=d.status,
            plan_date=rules.plan_date(d.or_("scheduled_at", None), d.or_("due_date", None)),
            **stored(d),
        )
        for d in drafts
    ]
    for item, draft in zip(items, drafts, strict=True):
        if draft.media_ids:
            audit.note(uow.session, item, {"media_ids": {"before": [], "after": draft.media_ids}})
    uow.session.add_all(items)
    uow.flush()
    uow.session.add_all(
        ContentItemMedia(content_item_id=item.id, media_id=media_id, position=n)
        for item, draft in zip(items, drafts, strict=True)
        for n, media_id in enumerate(draft.or_("media_ids", []))
    )
    for item in items:
        record_step(uow=uow, item=item, before=None, comment="created")
    uow.commit()
    # Read back together, so that their media links load in one query rather than one each.
    read = _load(uow, [item.id for item in items], fresh=True)
    return [read[item.id] for item in items]


def _load(
    uow: UnitOfWork, ids: Iterable[uuid.UUID], *, fresh: bool = False
) -> dict[uuid.UUID, ContentItem]:
    stmt = select(ContentItem).where(ContentItem.id.in_(set(ids)))
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return {item.id: item for item in uow.session.scalars(stmt)}


def move_items(*, uow: UnitOfWork, batch: ContentBatchTransition) -> list[ContentItem]:
    """Move every item of ``batch`` through one transition, by the rules of one at a time,
    or move none."""
    check_role(uow=uow, to=batch.to)  # the whole batch is refused, before any item
    ids = [s.id for s in batch.items]
    if len(set(ids)) != len(ids):
        raise RuleViolation(
            "an item twice in the batch", errors={"items": ["Each item may be moved once."]}
        )
    found = _load(uow, ids)
    context = steps.context_for(
        uow=uow,
        to=batch.to,
        items=list(found.values()),
        dated=[found[s.id] for s in batch.items if s.published_at and s.id in found],
    )
    errors: dict[int, dict[str, list[str]]] = {}
    for n, item_step in enumerate(batch.items):
        item = found.get(item_step.id)
        if item is None:
            errors[n] = {"id": NOT_FOUND}
            continue
        transition = ContentTransition(
            to=batch.to,
            comment=batch.comment,
            scheduled_at=item_step.scheduled_at,
            published_at=item_step.published_at,
            published_url=item_step.published_url,
        )
        try:
            step(uow=uow, item=item, transition=transition, context=context)
        except (Conflict, RuleViolation, NotFound) as error:
            errors[n] = _messages(error)
    # Leaving without commit rolls back the items already moved; their jobs are not queued.
    _refuse(errors, "some content items of the batch cannot make this step; none was moved")
    uow.commit()
    return [found[i] for i in ids]


def _messages(error: DomainError) -> dict[str, list[str]]:
    """The error of one item: its fields' messages, else the detail on the item itself."""
    if error.errors:
        return {field: list(messages) for field, messages in error.errors.items()}
    return {"": [error.detail]}
