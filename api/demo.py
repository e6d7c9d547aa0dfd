"""The demo organisation that `make run` seeds: a strategy with KPIs, sandbox channels
with about 90 days of history, and KPI values rolled up from them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant, system_tenant
from api.domain.audiences.service import AudienceDraft, create_audience
from api.domain.base import utcnow
from api.domain.campaigns.service import CampaignDraft, change_status, create_campaign
from api.domain.channels import sync
from api.domain.channels.service import ChannelDraft, create_channel
from api.domain.content_items.service import (
    ContentItemDraft,
    ContentTransition,
    create_item,
    move_item,
)
from api.domain.identity import service as identity
from api.domain.identity.models import User
from api.domain.kpis import service as kpis
from api.domain.kpis.service import KpiDraft
from api.domain.organisations.models import Membership, Organisation
from api.domain.organisations.service import OrganisationChanges
from api.domain.outbound import UrlPolicy
from api.domain.resources.service import ResourceDraft, create_resource
from api.domain.signup import SignupDraft, signup
from api.domain.strategies import objectives
from api.domain.strategies import service as strategies
from api.domain.strategies.objectives import ObjectiveDraft
from api.domain.strategies.service import StrategyDraft
from api.domain.uow import UnitOfWork

DEMO_EMAIL = "demo@clover.local"
DEMO_ORGANISATION = "Clover Demo"
# The demo's first post goes out this long after seeding: soon enough to watch it happen.
FIRST_POST_AFTER = timedelta(minutes=2)


def seed_demo(uow: UnitOfWork, *, cipher=None):
    """(organisation, issued key, created?). Safe to run again: it then issues a new key.

    With a ``cipher``, a new demo organisation also gets its strategy and synced
    sandbox channels (the syncs run as jobs: in-process in the embedded default).
    """
    user = uow.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is None:
        result = signup(
            uow=uow,
            draft=SignupDraft(
                email=DEMO_EMAIL,
                name="Demo Owner",
                password=None,
                organisation_name=DEMO_ORGANISATION,
                organisation_settings=OrganisationChanges(
                    timezone="Europe/Amsterdam", currency="EUR"
                ),
            ),
        )
        if cipher is not None:
            seed_story(uow, result.organisation.id, cipher=cipher)
        return result.organisation, result.issued, True
    organisation = uow.session.scalar(
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id, Membership.role == "owner")
        .order_by(Organisation.id)
    )
    grant = Grant(organisation.id, "owner", ROLE_SCOPES["owner"])
    uow.open_for(
        Tenant(organisation.id, Principal("cli", {organisation.id: grant}, user.id), grant)
    )
    issued = identity.create_api_key(uow=uow, draft=identity.ApiKeyDraft(name="Demo key"))
    return organisation, issued, False


def seed_story(uow: UnitOfWork, organisation_id, *, cipher) -> None:
    """A year-long strategy that started 90 days ago, its KPIs, two synced channels, and a
    campaign whose first post Clover publishes to the sandbox a couple of minutes on."""
    uow.open_for(system_tenant(organisation_id))
    today = utcnow().date()
    start = date(today.year, today.month, 1) - timedelta(days=90)
    start = start.replace(day=1)
    create_audience(
        uow=uow,
        draft=AudienceDraft(
            name="Resellers",
            kind="partners",
            value_tier="strategic",
            channel_preferences={"linkedin": 0.8, "mastodon": 0.3},
        ),
    )
    create_resource(
        uow=uow, draft=ResourceDraft(name="Community team", kind="team", weekly_capacity_hours=30)
    )
    strategy = strategies.create_strategy(
        uow=uow,
        draft=StrategyDraft(
            name="Grow the partner community",
            period_start=start,
            period_end=start.replace(year=start.year + 1) - timedelta(days=1),
            business_context="Resellers hear about us through peers; be where they talk.",
        ),
    )
    awareness = objectives.create_objective(
        uow=uow,
        strategy_id=strategy.id,
        draft=ObjectiveDraft(title="Be known by resellers", business_outcome="awareness"),
    )
    kpis.create_kpi(
        uow=uow,
        objective_id=awareness.id,
        draft=KpiDraft(name="Followers", metric_key="followers", aggregation="last", target=6000),
    )
    engagement = objectives.create_objective(
        uow=uow,
        strategy_id=strategy.id,
        draft=ObjectiveDraft(title="Start conversations", business_outcome="customer_service"),
    )
    kpis.create_kpi(
        uow=uow,
        objective_id=engagement.id,
        draft=KpiDraft(name="Engagements per month", metric_key="engagements", target=3000),
    )
    kpis.create_kpi(
        uow=uow,
        objective_id=engagement.id,
        draft=KpiDraft(
            name="Average sentiment",
            aggregation="ratio",
            numerator_key="sentiment_score_sum",
            denominator_key="mentions",
            target=0.3,
        ),
    )
    strategies.activate_strategy(uow=uow, strategy_id=strategy.id)
    channels = []
    for kind, name, handle in (
        ("linkedin", "LinkedIn company page", "@clover-demo"),
        ("mastodon", "Mastodon", "@clover@social.example"),
    ):
        channel = create_channel(uow=uow, draft=ChannelDraft(kind=kind, name=name, handle=handle))
        sync.connect(
            uow=uow,
            channel_id=channel.id,
            draft=sync.ConnectionDraft(
                provider="sandbox",
                account=handle,
                credentials=sync.ConnectionCredentials(access_token="demo"),
            ),
            cipher=cipher,
            policy=UrlPolicy(),
        )
        sync.request_sync(uow=uow, channel_id=channel.id)
        channels.append(channel.id)
    _first_post(uow, strategy.id, channels[-1], today)


def _first_post(uow: UnitOfWork, strategy_id, channel_id, today: date) -> None:
    """An approved post on the Mastodon (sandbox) channel, scheduled for a moment from now."""
    campaign = create_campaign(
        uow=uow,
        draft=CampaignDraft(
            strategy_id=strategy_id,
            name="Partner spotlight",
            start_date=today,
            end_date=today + timedelta(days=60),
            channel_ids=[channel_id],
        ),
    )
    change_status(uow=uow, campaign_id=campaign.id, action="start")
    item = create_item(
        uow=uow,
        campaign_id=campaign.id,
        draft=ContentItemDraft(
            channel_id=channel_id,
            title="Welcome our newest reseller",
            text="Meet the resellers who bring Clover to your town: https://clover.example/partners",
        ),
    )
    for step in ("drafting", "in_review", "approved"):
        move_item(uow=uow, item_id=item.id, transition=ContentTransition(to=step))
    move_item(
        uow=uow,
        item_id=item.id,
        transition=ContentTransition(to="scheduled", scheduled_at=utcnow() + FIRST_POST_AFTER),
    )
