"""Content items: what is made, by whom, for which channel, and its way to publication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select

from api.domain import audit, tenancy
from api.domain.base import check_version, utcnow
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.content_items import rules, steps
from api.domain.content_items.models import (
    PUBLISHER_STATUSES,
    ContentItem,
    ContentItemMedia,
    ContentStatusChange,
)
from api.domain.editing import apply_changes, refuse
from api.domain.errors import Conflict, PermissionDenied, RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.key_messages import matching
from api.domain.media.models import Media
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.publishing import service as publishing
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

FIELDS = (
    "channel_id",
    "owner_id",
    "title",
    "brief",
    "format",
    "effort_hours",
    "due_date",
    "scheduled_at",
    "published_at",
    "published_url",
    "distribution_actions",
    "text",
    "as_thread",
)
APPROVE_SCOPE = "content:approve"


@dataclass(frozen=True, kw_only=True)
class DistributionAction:
    """One step of distributing an item; kept on the item as JSON."""

    action: str
    channel_id: uuid.UUID | None = None
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class ContentItemChanges(Changes):
    channel_id: uuid.UUID | Unset = UNSET
    owner_id: uuid.UUID | Unset | None = UNSET
    title: str | Unset = UNSET
    brief: str | Unset = UNSET
    format: str | Unset = UNSET
    effort_hours: float | Unset = UNSET
    due_date: date | Unset | None = UNSET
    scheduled_at: datetime | Unset | None = UNSET
    published_at: datetime | Unset | None = UNSET
    published_url: str | Unset | None = UNSET
    distribution_actions: list[DistributionAction] | Unset = UNSET
    text: str | Unset = UNSET
    as_thread: bool | Unset = UNSET
    media_ids: list[uuid.UUID] | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class ContentItemDraft(ContentItemChanges, Draft):
    channel_id: uuid.UUID
    title: str
    status: str = "idea"  # one of rules.INITIAL_STATUSES


@dataclass(frozen=True, kw_only=True)
class ContentTransition:
    """A move to status ``to``; a time or URL left None keeps the item's own."""

    to: str
    comment: str = ""
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    published_url: str | None = None


@dataclass(frozen=True)
class ContentFilter:
    campaign_id: uuid.UUID | None = None
    channel_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    series_id: uuid.UUID | None = None
    status: str | None = None
    due_from: date | None = None
    due_to: date | None = None


def get_item(*, uow: UnitOfWork, item_id: uuid.UUID) -> ContentItem:
    return tenancy.get(uow.session, ContentItem, item_id, what="content item")


def _check_references(uow: UnitOfWork, campaign_id: uuid.UUID, fields: ContentItemChanges) -> None:
    """The channel must be one of the campaign's; references of other tenants are 404."""
    if fields.owner_id:
        tenancy.get(uow.session, Resource, fields.owner_id, what="resource")
    for action in fields.or_("distribution_actions", []):
        if action.channel_id is not None:
            tenancy.get(uow.session, Channel, action.channel_id, what="channel")
    if fields.channel_id:
        tenancy.get(uow.session, Channel, fields.channel_id, what="channel")
        linked = uow.session.scalar(
            select(CampaignChannel.channel_id).where(
                CampaignChannel.campaign_id == campaign_id,
                CampaignChannel.channel_id == fields.channel_id,
            )
        )
        if linked is None:
            raise RuleViolation(
                "channel not in campaign",
                errors={"channel_id": ["Must be one of the campaign's channels."]},
            )


def stored(fields: ContentItemChanges) -> dict:
    """The fields sent, as columns: distribution actions are JSON, their channel ids strings
    (media are links, written by ``_attach``)."""
    values = fields.given()
    values.pop("media_ids", None)
    values.pop("status", None)  # a draft's initial status is set by the create
    if "distribution_actions" in values:
        values["distribution_actions"] = [
            {
                "action": a.action,
                "channel_id": str(a.channel_id) if a.channel_id else None,
                "done": a.done,
            }
            for a in values["distribution_actions"]
        ]
    return values


def _attach(uow: UnitOfWork, item: ContentItem, media_ids: list[uuid.UUID]) -> None:
    """Make ``media_ids`` (the organisation's media, another's is a 404) the item's, in order."""
    if len(set(media_ids)) != len(media_ids):
        raise RuleViolation(
            "a medium twice", errors={"media_ids": ["Each medium may be attached once."]}
        )
    for media_id in media_ids:
        tenancy.get(uow.session, Media, media_id, what="media")
    before = item.media_ids
    uow.session.execute(delete(ContentItemMedia).where(ContentItemMedia.content_item_id == item.id))
    uow.session.add_all(
        ContentItemMedia(content_item_id=item.id, media_id=media_id, position=n)
        for n, media_id in enumerate(media_ids)
    )
    audit.note(uow.session, item, {"media_ids": {"before": before, "after": list(media_ids)}})
    uow.flush()
    uow.session.expire(item, ["media_links"])


def _check_dating(
    uow: UnitOfWork,
    campaign_id: uuid.UUID,
    *,
    due_date: date | None = None,
    published_at: datetime | None = None,
) -> None:
    """The due date (when given) within the campaign's dates; no publication in the future."""
    if due_date is None and published_at is None:
        return
    campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    _refuse_dates(campaign, due_date=due_date, published_at=published_at)


def _refuse_dates(
    campaign: Campaign, *, due_date: date | None = None, published_at: datetime | None = None
) -> None:
    refuse(
        rules.dating_errors(
            due_date=due_date,
            published_at=published_at,
            campaign_start=campaign.start_date,
            campaign_end=campaign.end_date,
            now=utcnow(),
        ),
        "the content item's dates do not fit",
    )


def record_step(*, uow: UnitOfWork, item: ContentItem, before: str | None, comment: str) -> None:
    uow.session.add(
        ContentStatusChange(
            content_item_id=item.id,
            from_status=before,
            to_status=item.status,
            actor_user_id=uow.tenant.principal.user_id,
            actor_api_key_id=uow.tenant.principal.api_key_id,
            comment=comment,
        )
    )


def create_item(*, uow: UnitOfWork, campaign_id: uuid.UUID, draft: ContentItemDraft) -> ContentItem:
    campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    if campaign.status in ("completed", "cancelled"):
        raise Conflict(f"the campaign is {campaign.status}; it takes no new content")
    refuse(rules.initial_status_errors(draft.status), "a content item cannot start there")
    _check_references(uow, campaign.id, draft)
    _check_dating(
        uow,
        campaign.id,
        due_date=draft.or_("due_date", None),
        published_at=draft.or_("published_at", None),
    )
    item = ContentItem(
        campaign_id=campaign.id,
        status=draft.status,
        plan_date=rules.plan_date(draft.or_("scheduled_at", None), draft.or_("due_date", None)),
        **stored(draft),
    )
    uow.session.add(item)
    uow.flush()
    if draft.media_ids:
        _attach(uow, item, draft.media_ids)
    record_step(uow=uow, item=item, before=None, comment="created")
    uow.commit()
    return item


def list_items(*, uow: UnitOfWork, filters: ContentFilter, page: PageRequest) -> Page[ContentItem]:
    stmt = select(ContentItem)
    for column, value in (
        (ContentItem.campaign_id, filters.campaign_id),
        (ContentItem.channel_id, filters.channel_id),
        (ContentItem.owner_id, filters.owner_id),
        (ContentItem.series_id, filters.series_id),
        (ContentItem.status, filters.status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.due_from:
        stmt = stmt.where(ContentItem.due_date >= filters.due_from)
    if filters.due_to:
        stmt = stmt.where(ContentItem.due_date <= filters.due_to)
    return paginate(uow.session, stmt, ContentItem.id, page)


def list_campaign_items(
    *, uow: UnitOfWork, campaign_id: uuid.UUID, page: PageRequest
) -> Page[ContentItem]:
    campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    return list_items(uow=uow, filters=ContentFilter(campaign_id=campaign.id), page=page)


def update_item(
    *,
    uow: UnitOfWork,
    item_id: uuid.UUID,
    changes: ContentItemChanges,
    expected_version: int | None,
) -> ContentItem:
    item = get_item(uow=uow, item_id=item_id)
    check_version(item, expected_version)
    if item.status in ("published", "cancelled"):
        raise Conflict(f"a {item.status} content item can no longer change")
    if item.status == "publishing":
        raise Conflict("the content item is being published; it can change once that ends")
    _check_references(uow, item.campaign_id, changes)
    _check_dating(
        uow,
        item.campaign_id,
        due_date=changes.or_("due_date", None),
        published_at=changes.or_("published_at", None),
    )
    current = {field: getattr(item, field) for field in rules.REVIEWED_FIELDS}
    back_to_review = rules.needs_approval_again(item.status, changes.given(), current)
    scheduled_at = item.scheduled_at
    apply_changes(item, stored(changes), FIELDS)
    if changes.sent("media_ids") and changes.media_ids != item.media_ids:
        _attach(uow, item, changes.media_ids)
    item.plan_date = rules.plan_date(item.scheduled_at, item.due_date)
    if item.series_id is not None:
        item.detached = True  # edited by hand: its series no longer changes it
    if back_to_review:
        before, item.status = item.status, "in_review"
        item.approved_by_user_id = item.approved_by_api_key_id = item.approved_at = None
        record_step(uow=uow, item=item, before=before, comment="edited after approval")
    elif item.status == "scheduled" and item.scheduled_at != scheduled_at:
        connection = publishing.connection_of(uow=uow, channel_id=item.channel_id)
        # The job of the old time finds it not due.
        publishing.schedule(uow=uow, item=item, connection=connection)
    uow.commit()
    return item


def check_role(*, uow: UnitOfWork, to: str) -> None:
    """Approving is governance: refuse it (403) to a grant without content:approve."""
    if to == "approved" and not uow.tenant.grant.allows(APPROVE_SCOPE):
        raise PermissionDenied(
            "approving content is governance: it needs the content:approve scope "
            "(owners, admins and strategists)"
        )


def move_item(
    *,
    uow: UnitOfWork,
    item_id: uuid.UUID,
    transition: ContentTransition,
    expected_version: int | None = None,
) -> ContentItem:
    item = get_item(uow=uow, item_id=item_id)
    check_version(item, expected_version)
    dated = [item] if transition.published_at else []
    context = steps.context_for(uow=uow, to=transition.to, items=[item], dated=dated)
    step(uow=uow, item=item, transition=transition, context=context)
    uow.commit()
    return item


def step(
    *,
    uow: UnitOfWork,
    item: ContentItem,
    transition: ContentTransition,
    context: steps.StepContext,
) -> None:
    """Move ``item`` as ``transition`` says, with every rule of the flow; the caller commits.

    The rules read what they need besides the item from ``context`` (``steps.context_for``),
    so moving many items reads it once for all."""
    to = transition.to
    if to in PUBLISHER_STATUSES:
        raise Conflict(f"only Clover's publisher moves a content item to {to}")
    if not rules.may_move(item.status, to):
        raise Conflict(f"a content item cannot move from {item.status} to {to}")
    if to == "published":
        publishing.refuse_manual_publication(connection=context.connection_for(item))
    if transition.published_at is not None:
        _refuse_dates(context.campaign(item), published_at=transition.published_at)
    check_role(uow=uow, to=to)
    item.scheduled_at = transition.scheduled_at or item.scheduled_at
    item.published_at = transition.published_at or item.published_at
    item.published_url = transition.published_url or item.published_url
    refuse(
        rules.missing_for(to, scheduled_at=item.scheduled_at, published_at=item.published_at),
        f"the item cannot be {to} yet",
    )
    if to == "approved":
        publishing.check_fits(
            item=item,
            connection=context.connection_for(item),
            channel=context.channel(item),
            media=context.media_of(item),
        )
    before, item.status = item.status, to
    if to == "approved":
        item.approved_by_user_id = uow.tenant.principal.user_id
        item.approved_by_api_key_id = uow.tenant.principal.api_key_id
        item.approved_at = utcnow()
    if before == "publish_failed":
        item.publish_error = item.publish_retryable = None
    if to == "scheduled":
        publishing.schedule(uow=uow, item=item, connection=context.connection_for(item))
    item.plan_date = rules.plan_date(item.scheduled_at, item.due_date)
    audit.mark(uow.session, item, f"move_to_{to}")
    record_step(uow=uow, item=item, before=before, comment=transition.comment)
    if to == "published":
        uow.flush()
        matching.link_items(uow=uow, items=[item])
    if to in ("approved", "published"):
        events.emit(
            uow=uow, type="content_item.status_changed", payload=item.status_changed(before, to)
        )


def history(*, uow: UnitOfWork, item_id: uuid.UUID, page: PageRequest) -> Page[ContentStatusChange]:
    item = get_item(uow=uow, item_id=item_id)
    stmt = select(ContentStatusChange).where(ContentStatusChange.content_item_id == item.id)
    return paginate(uow.session, stmt, ContentStatusChange.id, page)


def delete_item(*, uow: UnitOfWork, item_id: uuid.UUID) -> None:
    item = get_item(uow=uow, item_id=item_id)
    if item.status == "published":
        raise Conflict("a published content item is kept; it cannot be deleted")
    if item.status == "publishing":
        raise Conflict("the content item is being published; it can be deleted once that ends")
    if item.series_id is not None:  # its series would plan the occurrence again
        raise Conflict("an item of a content series is cancelled, not deleted")
    uow.session.delete(item)
    uow.commit()
