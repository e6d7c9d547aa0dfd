"""The rolling content plan: months of content items, counts and the team's wiggle room.

One bounded set of queries, whatever the number of items: the items of the
window (each with its headline result, its engagements so far, in the same query),
counts per month by channel and by status, effort per month by owner, and the
resources.
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from api.domain.bounds import MAX_DAY, MAX_MONTH, MIN_DAY, MONTHS
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.periods import add_months, month_start
from api.domain.resources.models import Resource
from api.domain.results import service as results
from api.domain.uow import UnitOfWork

MAX_MONTHS = 24


def check_plan_range(*, start: date, months: int) -> None:
    """A plan's months lie within the product's range (its last one by MAX_MONTH)."""
    if not MIN_DAY <= start <= MAX_DAY:
        raise RuleViolation(
            "plan start out of range", errors={"start": [f"Must be from {MONTHS}."]}
        )
    if add_months(start, months - 1) > MAX_DAY:
        raise RuleViolation(
            "plan ends after the last month",
            errors={"months": [f"The plan's last month must be {MAX_MONTH} or earlier."]},
        )


def weeks_in(month: date) -> float:
    return calendar.monthrange(month.year, month.month)[1] / 7


@dataclass(frozen=True)
class PlanFilter:
    campaign_id: uuid.UUID | None = None
    channel_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None


@dataclass
class ResourceLoad:
    resource_id: uuid.UUID
    name: str
    planned_hours: float
    capacity_hours: float

    @property
    def over_capacity(self) -> bool:
        return self.planned_hours > self.capacity_hours


@dataclass
class PlanMonth:
    month: date
    items: list[dict] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    capacity: list[ResourceLoad] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    start: date
    months: list[PlanMonth]


def _filtered(stmt, filters: PlanFilter, start: date, end: date):
    stmt = stmt.where(ContentItem.plan_date >= start, ContentItem.plan_date < end)
    if filters.campaign_id:
        stmt = stmt.where(ContentItem.campaign_id == filters.campaign_id)
    if filters.channel_id:
        stmt = stmt.where(ContentItem.channel_id == filters.channel_id)
    if filters.owner_id:
        stmt = stmt.where(ContentItem.owner_id == filters.owner_id)
    return stmt


# What the CSV export adds to each item (texts are long: the JSON plan leaves them out).
EXPORT_COLUMNS = (
    ContentItem.text,
    ContentItem.brief,
    Campaign.utm_campaign,
    Channel.handle.label("channel_handle"),
)


def build_plan(
    *, uow: UnitOfWork, start: date, months: int, filters: PlanFilter, for_export: bool = False
) -> Plan:
    """The plan; ``for_export`` also selects each item's texts, its campaign's UTM code and
    its channel's handle, in the same query."""
    start = start.replace(day=1)
    check_plan_range(start=start, months=months)
    end = add_months(start, months)
    session = uow.session
    plan = {add_months(start, n): PlanMonth(add_months(start, n)) for n in range(months)}
    month = month_start(ContentItem.plan_date)

    items = session.execute(
        _filtered(
            select(
                ContentItem.id,
                ContentItem.title,
                ContentItem.status,
                ContentItem.format,
                ContentItem.due_date,
                ContentItem.scheduled_at,
                ContentItem.plan_date,
                ContentItem.effort_hours,
                ContentItem.version,
                ContentItem.updated_at,
                Campaign.id.label("campaign_id"),
                Campaign.name.label("campaign_name"),
                Channel.id.label("channel_id"),
                Channel.name.label("channel_name"),
                Channel.kind.label("channel_kind"),
                Resource.id.label("owner_id"),
                Resource.name.label("owner_name"),
                results.headline(ContentItem.id).label("engagements"),
                *(EXPORT_COLUMNS if for_export else ()),
            )
            .join(Campaign, Campaign.id == ContentItem.campaign_id)
            .join(Channel, Channel.id == ContentItem.channel_id)
            .outerjoin(Resource, Resource.id == ContentItem.owner_id),
            filters,
            start,
            end,
        ).order_by(ContentItem.plan_date, ContentItem.id)
    ).mappings()
    for row in items:
        plan[row["plan_date"].replace(day=1)].items.append(row)

    for column, target in (
        (ContentItem.channel_id, "by_channel"),
        (ContentItem.status, "by_status"),
    ):
        counts = session.execute(
            _filtered(select(month, column, func.count()), filters, start, end).group_by(
                month, column
            )
        )
        for month_day, key, count in counts:
            getattr(plan[month_day], target)[str(key)] = count

    effort = defaultdict(float)
    rows = session.execute(
        _filtered(
            select(month, ContentItem.owner_id, func.sum(ContentItem.effort_hours)),
            filters,
            start,
            end,
        )
        # A cancelled item is work nobody will do: it frees its owner's time.
        .where(ContentItem.owner_id.is_not(None), ContentItem.status != "cancelled")
        .group_by(month, ContentItem.owner_id)
    )
    for month_day, owner_id, hours in rows:
        effort[(month_day, owner_id)] = float(hours or 0)
    resources = select(Resource.id, Resource.name, Resource.weekly_capacity_hours).order_by(
        Resource.id
    )
    if filters.owner_id:
        resources = resources.where(Resource.id == filters.owner_id)
    for resource_id, name, weekly in session.execute(resources):
        for month_day, plan_month in plan.items():
            plan_month.capacity.append(
                ResourceLoad(
                    resource_id,
                    name,
                    round(effort[(month_day, resource_id)], 2),
                    round(float(weekly) * weeks_in(month_day), 2),
                )
            )
    return Plan(start, list(plan.values()))
