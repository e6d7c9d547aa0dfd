"""Calendar feeds of the plan: secret URLs that calendar apps read without a bearer header.

A feed's token is made and shown once, like an API key's secret, and stored only
as its SHA-256 hash with a short visible prefix. It reads the plan and nothing
else: the feed's own filters, the rolling twelve months from this month.
An unknown, malformed or revoked token, and the token of a feed whose maker has
left, all get the same answer (``NotFound``), so the answer tells nothing about
which tokens exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.domain import audit, tenancy
from api.domain.access import Grant, Principal
from api.domain.base import utcnow
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel
from api.domain.errors import NotFound
from api.domain.identity import secrets
from api.domain.inputs import UNSET, Draft, Unset
from api.domain.organisations.models import Membership, Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.plan import ical
from api.domain.plan.models import PlanFeed
from api.domain.plan.service import PlanFilter, build_plan
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork

# Feed tokens read ``clvfeed_<prefix>_<secret>``: never mistaken for an API key (``clv_``).
FEED_MARKER = "clvfeed"
FEED_MONTHS = 12
# What a feed's token may do: read the plan, in its own organisation only.
FEED_SCOPE = "content:read"
FEED_ROLE = "analyst"
# Refreshing last_used_at on every read would turn each calendar poll into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Records that a feed was read (feed id, its organisation, when) outside the caller's
# transaction; answers whether it did. ``record_plan_feed_use`` in its own unit of work.
RecordUse = Callable[[uuid.UUID, uuid.UUID, datetime], bool]


@dataclass(frozen=True, kw_only=True)
class PlanFeedDraft(Draft):
    name: str
    campaign_id: uuid.UUID | Unset | None = UNSET
    channel_id: uuid.UUID | Unset | None = UNSET
    owner_id: uuid.UUID | Unset | None = UNSET


@dataclass(frozen=True)
class IssuedFeed:
    feed: PlanFeed
    token: str  # shown once, never stored


def create_plan_feed(*, uow: UnitOfWork, draft: PlanFeedDraft) -> IssuedFeed:
    """A feed of the plan, narrowed to what the draft names (each must be the organisation's)."""
    campaign_id = draft.or_("campaign_id", None)
    channel_id = draft.or_("channel_id", None)
    owner_id = draft.or_("owner_id", None)
    if campaign_id is not None:
        tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    if channel_id is not None:
        tenancy.get(uow.session, Channel, channel_id, what="channel")
    if owner_id is not None:
        tenancy.get(uow.session, Resource, owner_id, what="resource")
    token, prefix, digest = secrets.new_token(FEED_MARKER)
    feed = PlanFeed(
        name=draft.name,
        prefix=prefix,
        secret_hash=digest,
        campaign_id=campaign_id,
        channel_id=channel_id,
        owner_id=owner_id,
        created_by_user_id=uow.tenant.principal.user_id,
    )
    uow.session.add(feed)
    uow.commit()
    return IssuedFeed(feed, token)


def list_plan_feeds(*, uow: UnitOfWork, page: PageRequest) -> Page[PlanFeed]:
    return paginate(uow.session, select(PlanFeed), PlanFeed.id, page)


def get_plan_feed(*, uow: UnitOfWork, feed_id: uuid.UUID) -> PlanFeed:
    return tenancy.get(uow.session, PlanFeed, feed_id, what="plan feed")


def revoke_plan_feed(*, uow: UnitOfWork, feed_id: uuid.UUID) -> None:
    feed = get_plan_feed(uow=uow, feed_id=feed_id)
    if feed.revoked_at is None:
        feed.revoked_at = utcnow()
        audit.mark(uow.session, feed, "revoke")
    uow.commit()


def revoke_member_feeds(*, uow: UnitOfWork, user_id: uuid.UUID) -> None:
    """Revoke the feeds a member made, as they leave; the caller commits.

    Reading already refuses them once the membership is gone; revoking them too
    keeps the list honest and leaves one audit event per feed.
    """
    made = uow.session.scalars(
        select(PlanFeed).where(
            PlanFeed.created_by_user_id == user_id, PlanFeed.revoked_at.is_(None)
        )
    ).all()
    now = utcnow()
    for feed in made:
        feed.revoked_at = now
        audit.mark(uow.session, feed, "revoke")


def authenticate_plan_feed(
    session: Session, token: str, *, record_use: RecordUse | None = None
) -> tuple[PlanFeed, Principal]:
    """The feed a token opens and a principal that may only read its plan, or NotFound.

    One statement finds the feed and whether its maker is still a member. Only
    reads ``session`` (the caller's unit of work, not yet scoped); ``record_use``
    writes ``last_used_at`` elsewhere, at most once a minute.
    """
    prefix = secrets.parse_token(token, FEED_MARKER)
    row = None
    if prefix:
        row = session.execute(
            select(PlanFeed, Membership.id)
            .outerjoin(
                Membership,
                and_(
                    Membership.organisation_id == PlanFeed.organisation_id,
                    Membership.user_id == PlanFeed.created_by_user_id,
                ),
            )
            .where(PlanFeed.prefix == prefix)
        ).first()
    if row is None or not _opens(row[0], row[1], token):
        raise NotFound("no calendar feed at this address")
    feed = row[0]
    now = utcnow()
    due = feed.last_used_at is None or now - feed.last_used_at > LAST_USED_RESOLUTION
    if due and record_use is not None and record_use(feed.id, feed.organisation_id, now):
        set_committed_value(feed, "last_used_at", now)
    grant = Grant(feed.organisation_id, FEED_ROLE, frozenset({FEED_SCOPE}))
    principal = Principal(
        kind="plan_feed", grants={feed.organisation_id: grant}, plan_feed_id=feed.id
    )
    return feed, principal


def _opens(feed: PlanFeed, membership_id: uuid.UUID | None, token: str) -> bool:
    """Whether the token is this feed's, and the feed still works (not revoked; its
    maker, if a member made it, still a member)."""
    if not secrets.same_hash(feed.secret_hash, secrets.hash_api_key(token)):
        return False
    if feed.revoked_at is not None:
        return False
    return feed.created_by_user_id is None or membership_id is not None


def record_plan_feed_use(*, uow: UnitOfWork, feed_id: uuid.UUID, at: datetime) -> None:
    """Set a feed's ``last_used_at`` in a unit of work of its own, once a minute at most."""
    uow.session.execute(
        update(PlanFeed)
        .where(
            PlanFeed.id == feed_id,
            or_(PlanFeed.last_used_at.is_(None), PlanFeed.last_used_at < at - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=at)
        .execution_options(synchronize_session=False)
    )
    uow.commit()


def feed_calendar(
    *, uow: UnitOfWork, feed_id: uuid.UUID, item_url: Callable[[uuid.UUID], str] | None = None
) -> bytes:
    """The feed's plan as iCalendar: its filters, twelve months from this month."""
    feed = get_plan_feed(uow=uow, feed_id=feed_id)
    organisation = uow.session.get(Organisation, uow.tenant.organisation_id)
    plan = build_plan(
        uow=uow,
        start=utcnow().date(),
        months=FEED_MONTHS,
        filters=PlanFilter(
            campaign_id=feed.campaign_id, channel_id=feed.channel_id, owner_id=feed.owner_id
        ),
    )
    return ical.plan_calendar(
        name=f"{organisation.name}: {feed.name}",
        timezone=organisation.timezone,
        items=(item for month in plan.months for item in month.items),
        item_url=item_url,
    )
