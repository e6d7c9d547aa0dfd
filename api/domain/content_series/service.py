"""Content series: content that recurs, generating ordinary content items.

A series' items are its *untouched* occurrences while nobody has edited them
(``detached``) and they are still in the series' initial status. Editing the series
changes only its untouched future items: their fields follow, occurrences the rule no
longer gives are cancelled (the normal transition, in their history), new ones are
created. Deleting the series cancels its untouched future items; every item is kept
with its history, no longer linked to a series (``series_id`` null).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version, utcnow
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.content_items import rules as item_rules
from api.domain.content_items import steps
from api.domain.content_items.models import ContentItem
from api.domain.content_items.service import ContentTransition, record_step, step
from api.domain.content_series import rules
from api.domain.content_series.models import ContentSeries
from api.domain.editing import apply_changes
from api.domain.errors import Conflict, RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.organisations.models import Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork

FIELDS = (
    "channel_id",
    "owner_id",
    "title",
    "brief",
    "text",
    "format",
    "effort_hours",
    "rule",
    "starts_at",
    "ends_on",
)
# What a series' untouched items take from it when it changes.
ITEM_FIELDS = ("channel_id", "owner_id", "brief", "text", "format", "effort_hours")


@dataclass(frozen=True, kw_only=True)
class ContentSeriesChanges(Changes):
    channel_id: uuid.UUID | Unset = UNSET
    owner_id: uuid.UUID | Unset | None = UNSET
    title: str | Unset = UNSET
    brief: str | Unset = UNSET
    text: str | Unset = UNSET
    format: str | Unset = UNSET
    effort_hours: float | Unset = UNSET
    rule: str | Unset = UNSET
    starts_at: datetime | Unset = UNSET
    ends_on: date | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class ContentSeriesDraft(ContentSeriesChanges, Draft):
    campaign_id: uuid.UUID
    channel_id: uuid.UUID
    title: str
    rule: str
    starts_at: datetime
    initial_status: str | Unset = UNSET


@dataclass(frozen=True)
class SeriesFilter:
    campaign_id: uuid.UUID | None = None


def _zone(uow: UnitOfWork) -> str:
    return uow.session.get(Organisation, uow.tenant.organisation_id).timezone


def _check_references(uow: UnitOfWork, campaign_id: uuid.UUID, fields: ContentSeriesChanges):
    """As a content item's: another organisation's channel or owner is a 404."""
    if fields.owner_id:
        tenancy.get(uow.session, Resource, fields.owner_id, what="resource")
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


def _occurrences(uow: UnitOfWork, series: ContentSeries) -> list[datetime]:
    return rules.occurrences(
        series.rule, starts_at=series.starts_at, zone=_zone(uow), ends_on=series.ends_on
    )


def _follow(item: ContentItem, series: ContentSeries, zone: str) -> None:
    """Give an untouched item the series' current fields."""
    for name in ITEM_FIELDS:
        setattr(item, name, getattr(series, name))
    item.title = rules.title_for(series.title, item.occurrence_at, zone)


def _generate(uow: UnitOfWork, series: ContentSeries, occurrences: list[datetime]) -> None:
    """One content item per occurrence, each with its history row (and audit event)."""
    zone = _zone(uow)
    items = []
    for occurrence in occurrences:
        item = ContentItem(
            campaign_id=series.campaign_id,
            series_id=series.id,
            occurrence_at=occurrence,
            status=series.initial_status,
            scheduled_at=occurrence,
            plan_date=item_rules.plan_date(occurrence, None),
            distribution_actions=[],
        )
        _follow(item, series, zone)
        items.append(item)
    uow.session.add_all(items)
    uow.flush()
    for item in items:
        record_step(uow=uow, item=item, before=None, comment="created by its series")


def create_series(*, uow: UnitOfWork, draft: ContentSeriesDraft) -> ContentSeries:
    campaign = tenancy.get(uow.session, Campaign, draft.campaign_id, what="campaign")
    if campaign.status in ("completed", "cancelled"):
        raise Conflict(f"the campaign is {campaign.status}; it takes no new content")
    _check_references(uow, campaign.id, draft)
    series = ContentSeries(**draft.given())
    occurrences = rules.occurrences(
        draft.rule, starts_at=draft.starts_at, zone=_zone(uow), ends_on=draft.or_("ends_on", None)
    )
    uow.session.add(series)
    uow.flush()
    _generate(uow, series, occurrences)
    uow.commit()
    return series


def list_series(
    *, uow: UnitOfWork, page: PageRequest, campaign_id: uuid.UUID | None = None
) -> Page[ContentSeries]:
    stmt = select(ContentSeries)
    if campaign_id is not None:
        stmt = stmt.where(ContentSeries.campaign_id == campaign_id)
    return paginate(uow.session, stmt, ContentSeries.id, page)


def get_series(*, uow: UnitOfWork, series_id: uuid.UUID) -> ContentSeries:
    return tenancy.get(uow.session, ContentSeries, series_id, what="content series")


def _items(uow: UnitOfWork, series: ContentSeries) -> list[ContentItem]:
    stmt = select(ContentItem).where(ContentItem.series_id == series.id)
    return list(uow.session.scalars(stmt.order_by(ContentItem.occurrence_at)))


def _owned(item: ContentItem, series: ContentSeries, now: datetime) -> bool:
    """Whether the series may still change ``item``: untouched, and not yet due."""
    return item.occurrence_at > now and rules.untouched(
        detached=item.detached, status=item.status, initial_status=series.initial_status
    )


def _cancel(uow: UnitOfWork, item: ContentItem, why: str) -> None:
    context = steps.context_for(uow=uow, to="cancelled", items=[item])
    step(
        uow=uow,
        item=item,
        transition=ContentTransition(to="cancelled", comment=why),
        context=context,
    )


def update_series(
    *,
    uow: UnitOfWork,
    series_id: uuid.UUID,
    changes: ContentSeriesChanges,
    expected_version: int | None,
) -> ContentSeries:
    series = get_series(uow=uow, series_id=series_id)
    check_version(series, expected_version)
    _check_references(uow, series.campaign_id, changes)
    apply_changes(series, changes.given(), FIELDS)
    wanted = _occurrences(uow, series)
    zone, now = _zone(uow), utcnow()
    items = _items(uow, series)
    keep = set(wanted)
    for item in items:
        if not _owned(item, series, now):
            continue
        if item.occurrence_at in keep:
            _follow(item, series, zone)
        else:
            _cancel(uow, item, "no longer an occurrence of its series")
    # An occurrence that has an item, whatever became of it, is not made again.
    held = {item.occurrence_at for item in items}
    new = [o for o in wanted if o > now and o not in held]
    if new:
        campaign = tenancy.get(uow.session, Campaign, series.campaign_id, what="campaign")
        if campaign.status in ("completed", "cancelled"):
            raise Conflict(f"the campaign is {campaign.status}; it takes no new content")
    _generate(uow, series, new)
    uow.commit()
    return series


def delete_series(*, uow: UnitOfWork, series_id: uuid.UUID) -> None:
    series = get_series(uow=uow, series_id=series_id)
    now = utcnow()
    for item in _items(uow, series):
        if _owned(item, series, now):
            _cancel(uow, item, "its series was deleted")
        item.series_id = None
    uow.flush()
    uow.session.delete(series)
    uow.commit()
