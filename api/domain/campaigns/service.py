"""Campaigns: plan-do-check-act cycles serving a strategy's objectives."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from api.domain import audit, tenancy
from api.domain.audiences.models import Audience
from api.domain.base import check_version, utcnow
from api.domain.campaigns import rules
from api.domain.campaigns.models import (
    Campaign,
    CampaignAudience,
    CampaignChannel,
    CampaignObjective,
)
from api.domain.campaigns.reviews import review_exists
from api.domain.channels.models import Channel
from api.domain.editing import apply_changes, refuse
from api.domain.errors import Conflict, NotFound, RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.organisations.models import Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

FIELDS = ("name", "description", "start_date", "end_date", "budget_amount", "budget_currency")
LINKS = {
    # request field → (link model, its id column name, referenced model, noun)
    "objective_ids": (CampaignObjective, "objective_id", Objective, "objective"),
    "channel_ids": (CampaignChannel, "channel_id", Channel, "channel"),
    "audience_ids": (CampaignAudience, "audience_id", Audience, "audience"),
}
WITH_LINKS = [
    selectinload(Campaign.objective_links),
    selectinload(Campaign.channel_links),
    selectinload(Campaign.audience_links),
]


@dataclass(frozen=True, kw_only=True)
class CampaignChanges(Changes):
    name: str | Unset = UNSET
    description: str | Unset = UNSET
    start_date: date | Unset = UNSET
    end_date: date | Unset = UNSET
    budget_amount: Decimal | Unset | None = UNSET
    budget_currency: str | Unset = UNSET
    utm_campaign: str | Unset = UNSET
    # Each list sent replaces the campaign's current links of that kind.
    objective_ids: list[uuid.UUID] | Unset = UNSET
    channel_ids: list[uuid.UUID] | Unset = UNSET
    audience_ids: list[uuid.UUID] | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class CampaignDraft(CampaignChanges, Draft):
    strategy_id: uuid.UUID
    name: str
    start_date: date
    end_date: date


@dataclass(frozen=True)
class CampaignFilter:
    strategy_id: uuid.UUID | None = None
    status: str | None = None
    utm_campaign: str | None = None


def get_campaign(*, uow: UnitOfWork, campaign_id: uuid.UUID, fresh: bool = False) -> Campaign:
    return tenancy.get(
        uow.session, Campaign, campaign_id, what="campaign", options=WITH_LINKS, fresh=fresh
    )


def list_campaigns(
    *, uow: UnitOfWork, filters: CampaignFilter, page: PageRequest
) -> Page[Campaign]:
    stmt = select(Campaign).options(*WITH_LINKS)
    if filters.strategy_id:
        stmt = stmt.where(Campaign.strategy_id == filters.strategy_id)
    if filters.status:
        stmt = stmt.where(Campaign.status == filters.status)
    if filters.utm_campaign is not None:
        stmt = stmt.where(Campaign.utm_campaign == filters.utm_campaign)
    return paginate(uow.session, stmt, Campaign.id, page)


def _strategy_for(uow: UnitOfWork, strategy_id: uuid.UUID) -> Strategy:
    strategy = tenancy.get(uow.session, Strategy, strategy_id, what="strategy")
    if strategy.status == "archived":
        raise RuleViolation(
            "archived strategy", errors={"strategy_id": ["The strategy is archived."]}
        )
    return strategy


def _split(fields: CampaignChanges) -> tuple[dict, dict[str, list[uuid.UUID]]]:
    """The campaign's own fields sent, and apart from them the lists of linked ids sent."""
    given = fields.given()
    return given, {field: given.pop(field) for field in LINKS if field in given}


def _check_links(uow: UnitOfWork, strategy: Strategy, links: Mapping[str, list[uuid.UUID]]) -> None:
    """Every linked id exists in this organisation (else 404); objectives are the strategy's.

    One query per kind of link, whatever the number of ids.
    """
    for field, (_, _, model, noun) in LINKS.items():
        wanted = set(links.get(field, ()))
        if not wanted:
            continue
        owner = model.strategy_id if model is Objective else model.id
        found = dict(uow.session.execute(select(model.id, owner).where(model.id.in_(wanted))).all())
        missing = sorted(wanted - found.keys(), key=str)
        if missing:
            raise NotFound(f"{noun} {missing[0]} not found")
        if model is Objective:
            foreign = sorted((ref for ref, sid in found.items() if sid != strategy.id), key=str)
            if foreign:
                raise RuleViolation(
                    "objective of another strategy",
                    errors={
                        "objective_ids": [
                            f"Objective {ref} is not of this campaign's strategy."
                            for ref in foreign
                        ]
                    },
                )


def _write_links(uow: UnitOfWork, campaign: Campaign, links: Mapping[str, list[uuid.UUID]]) -> dict:
    """Replace the links of the kinds in ``links``; the changes, for the audit trail."""
    changed = {}
    for field, (link, column, _, _) in LINKS.items():
        if field not in links:
            continue
        before = getattr(campaign, field)
        after = sorted(dict.fromkeys(links[field]))
        if before == after:
            continue
        uow.session.execute(delete(link).where(link.campaign_id == campaign.id))
        uow.session.add_all(link(campaign_id=campaign.id, **{column: ref}) for ref in after)
        changed[field] = {"before": before, "after": after}
    return changed


def _unique_utm(uow: UnitOfWork, code: str, campaign_id: uuid.UUID | None = None) -> bool:
    clash = uow.session.scalar(
        select(Campaign.id).where(Campaign.utm_campaign == code, Campaign.id != campaign_id)
    )
    return clash is None


def create_campaign(*, uow: UnitOfWork, draft: CampaignDraft) -> Campaign:
    strategy = _strategy_for(uow, draft.strategy_id)
    refuse(
        rules.check_dates(
            draft.start_date, draft.end_date, strategy.period_start, strategy.period_end
        ),
        "campaign dates do not fit",
    )
    fields, links = _split(draft)
    _check_links(uow, strategy, links)
    if draft.utm_campaign:
        if not _unique_utm(uow, draft.utm_campaign):
            raise Conflict(f"UTM campaign code {draft.utm_campaign!r} is already used")
    else:
        code = rules.utm_code(draft.name)
        fields["utm_campaign"] = (
            code if _unique_utm(uow, code) else f"{code}_{secrets.token_hex(2)}"
        )
    if not draft.budget_currency:
        fields["budget_currency"] = uow.session.get(
            Organisation, uow.tenant.organisation_id
        ).currency
    campaign = Campaign(status="planned", pdca_cycle=1, pdca_phase="plan", **fields)
    uow.session.add(campaign)
    audit.note(
        uow.session,
        campaign,
        {f: {"before": None, "after": sorted(set(links.get(f, ())))} for f in LINKS},
    )
    uow.flush()
    uow.session.add_all(
        link(campaign_id=campaign.id, **{column: ref})
        for field, (link, column, _, _) in LINKS.items()
        for ref in dict.fromkeys(links.get(field, ()))
    )
    uow.commit()
    return get_campaign(uow=uow, campaign_id=campaign.id, fresh=True)


def update_campaign(
    *,
    uow: UnitOfWork,
    campaign_id: uuid.UUID,
    changes: CampaignChanges,
    expected_version: int | None,
) -> Campaign:
    campaign = get_campaign(uow=uow, campaign_id=campaign_id)
    check_version(campaign, expected_version)
    if campaign.status in ("completed", "cancelled"):
        raise Conflict(f"campaign is {campaign.status}; it can no longer change")
    strategy = _strategy_for(uow, campaign.strategy_id)
    refuse(
        rules.check_dates(
            changes.or_("start_date", campaign.start_date),
            changes.or_("end_date", campaign.end_date),
            strategy.period_start,
            strategy.period_end,
        ),
        "campaign dates do not fit",
    )
    fields, links = _split(changes)
    _check_links(uow, strategy, links)
    if changes.utm_campaign and not _unique_utm(uow, changes.utm_campaign, campaign.id):
        raise Conflict(f"UTM campaign code {changes.utm_campaign!r} is already used")
    apply_changes(campaign, fields, (*FIELDS, "utm_campaign"))
    linked = _write_links(uow, campaign, links)
    if linked:
        # Links live in their own tables; the campaign is still a new version.
        campaign.updated_at = utcnow()
        audit.note(uow.session, campaign, linked)
    uow.commit()
    return get_campaign(uow=uow, campaign_id=campaign.id, fresh=True)


def delete_campaign(*, uow: UnitOfWork, campaign_id: uuid.UUID) -> None:
    campaign = get_campaign(uow=uow, campaign_id=campaign_id)
    if campaign.status != "planned":
        raise Conflict(
            f"only planned campaigns can be deleted; this one is {campaign.status}; "
            "cancel it instead"
        )
    uow.session.delete(campaign)
    uow.commit()


def change_status(
    *, uow: UnitOfWork, campaign_id: uuid.UUID, action: str, expected_version: int | None = None
) -> Campaign:
    campaign = get_campaign(uow=uow, campaign_id=campaign_id)
    check_version(campaign, expected_version)
    target = rules.transition(campaign.status, action)
    if target is None:
        wanted = rules.TRANSITIONS[action][1]
        raise Conflict(f"a {campaign.status} campaign cannot become {wanted} (action {action!r})")
    before, campaign.status = campaign.status, target
    audit.mark(uow.session, campaign, action)
    events.emit(
        uow=uow,
        type="campaign.status_changed",
        payload={"campaign_id": campaign.id, "name": campaign.name, "from": before, "to": target},
    )
    uow.commit()
    return campaign


def advance_phase(
    *, uow: UnitOfWork, campaign_id: uuid.UUID, expected_version: int | None = None
) -> Campaign:
    campaign = get_campaign(uow=uow, campaign_id=campaign_id)
    check_version(campaign, expected_version)
    if campaign.status in ("completed", "cancelled"):
        raise Conflict(f"a {campaign.status} campaign has no cycle to advance")
    if campaign.pdca_phase == "check" and not review_exists(uow=uow, campaign=campaign):
        raise Conflict(
            f"cycle {campaign.pdca_cycle} needs a review before leaving check: "
            f"POST …/campaigns/{campaign.id}/reviews"
        )
    campaign.pdca_cycle, campaign.pdca_phase = rules.next_phase(
        campaign.pdca_cycle, campaign.pdca_phase
    )
    audit.mark(uow.session, campaign, "advance")
    uow.commit()
    return campaign
