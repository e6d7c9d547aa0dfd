"""Reviews close the check phase of a PDCA cycle; together they are the organisation's learnings."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import exists, select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.campaigns.models import Campaign, CampaignChannel, CampaignObjective, Review
from api.domain.editing import apply_changes
from api.domain.errors import Conflict, RuleViolation
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.kpis.models import Kpi
from api.domain.kpis.values import latest_values
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.reports.causal_lift import causal_lift_report
from api.domain.uow import UnitOfWork

FIELDS = ("what_worked", "what_did_not_work", "actions", "quick_win")


@dataclass(frozen=True, kw_only=True)
class ReviewChanges(Changes):
    what_worked: str | Unset = UNSET
    what_did_not_work: str | Unset = UNSET
    actions: list[str] | Unset = UNSET
    quick_win: bool | Unset = UNSET


@dataclass(frozen=True)
class CausalLiftRequest:
    """A causal-lift snapshot asked for with the review; the window defaults to the campaign's."""

    metric: str
    day_from: date | None = None
    day_to: date | None = None
    pre_from: date | None = None
    pre_to: date | None = None
    controls: list[str] | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewDraft(ReviewChanges, Draft):
    """No finding is required: an empty review still closes the cycle's check phase."""

    causal_lift: CausalLiftRequest | Unset | None = UNSET


def review_exists(*, uow: UnitOfWork, campaign: Campaign) -> bool:
    return tenancy.any_row(
        uow.session,
        select(Review.id).where(
            Review.campaign_id == campaign.id, Review.cycle == campaign.pdca_cycle
        ),
    )


def kpi_snapshot(*, uow: UnitOfWork, campaign: Campaign) -> list[dict]:
    """The latest KPI values of the objectives the campaign serves, as plain data.

    Each entry: kpi_id, kpi_name, objective_id, period_start, actual, target,
    attainment, status (null fields for a KPI without values yet).
    """
    kpis = list(
        uow.session.scalars(
            select(Kpi)
            .join(CampaignObjective, CampaignObjective.objective_id == Kpi.objective_id)
            .where(CampaignObjective.campaign_id == campaign.id)
            .order_by(Kpi.id)
        )
    )
    latest = latest_values(uow=uow, kpi_ids=[kpi.id for kpi in kpis], count=1)
    snapshot = []
    for kpi in kpis:
        value = latest[kpi.id][0] if latest[kpi.id] else None
        snapshot.append(
            {
                "kpi_id": str(kpi.id),
                "kpi_name": kpi.name,
                "objective_id": str(kpi.objective_id),
                "period_start": value.period_start.isoformat() if value else None,
                "actual": value.actual if value else None,
                "target": value.target if value else float(kpi.target),
                "attainment": value.attainment if value else None,
                "status": value.status if value else "no_data",
            }
        )
    return snapshot


def causal_snapshot(*, uow: UnitOfWork, campaign: Campaign, asked: CausalLiftRequest) -> dict:
    """The causal-lift report of the campaign's window (or the one asked for), as plain data.

    Its figures and answer without the daily series (they are the report's to give).
    """
    try:
        report = causal_lift_report(
            uow=uow,
            metric=asked.metric,
            day_from=asked.day_from or campaign.start_date,
            day_to=asked.day_to or campaign.end_date,
            pre_from=asked.pre_from,
            pre_to=asked.pre_to,
            campaign_id=campaign.id,
            controls=asked.controls,
        )
    except RuleViolation as error:
        # The report's field errors, nested under the review's `causal_lift` as
        # marshmallow nests a field's errors.
        raise RuleViolation(error.detail, errors={"causal_lift": error.errors}) from None
    data = asdict(report)
    data.pop("days")
    return _plain(data)


def _plain(value):
    """JSON-ready: figures as their value and reason, dates and ids as text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


def create_review(*, uow: UnitOfWork, campaign_id: uuid.UUID, draft: ReviewDraft) -> Review:
    campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    if campaign.pdca_phase != "check":
        raise Conflict(
            f"a review closes the check phase; the campaign is in {campaign.pdca_phase} "
            f"of cycle {campaign.pdca_cycle}"
        )
    if review_exists(uow=uow, campaign=campaign):
        raise Conflict(f"cycle {campaign.pdca_cycle} already has a review; update it instead")
    fields = draft.given()
    asked = fields.pop("causal_lift", None)
    review = Review(
        campaign_id=campaign.id,
        cycle=campaign.pdca_cycle,
        kpi_snapshot=kpi_snapshot(uow=uow, campaign=campaign),
        causal_lift_snapshot=(
            None if asked is None else causal_snapshot(uow=uow, campaign=campaign, asked=asked)
        ),
        **fields,
    )
    uow.session.add(review)
    uow.commit()
    return review


def list_reviews(*, uow: UnitOfWork, campaign_id: uuid.UUID, page: PageRequest) -> Page[Review]:
    campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
    return paginate(
        uow.session, select(Review).where(Review.campaign_id == campaign.id), Review.id, page
    )


def get_review(*, uow: UnitOfWork, review_id: uuid.UUID) -> Review:
    return tenancy.get(uow.session, Review, review_id, what="review")


def update_review(
    *,
    uow: UnitOfWork,
    review_id: uuid.UUID,
    changes: ReviewChanges,
    expected_version: int | None,
) -> Review:
    review = get_review(uow=uow, review_id=review_id)
    check_version(review, expected_version)
    apply_changes(review, changes.given(), FIELDS)
    uow.commit()
    return review


@dataclass(frozen=True)
class Learning:
    review: Review
    campaign_name: str


@dataclass(frozen=True)
class LearningFilter:
    channel_id: uuid.UUID | None = None
    objective_id: uuid.UUID | None = None
    quick_win: bool | None = None


def list_learnings(
    *, uow: UnitOfWork, filters: LearningFilter, page: PageRequest
) -> Page[Learning]:
    """Every review of the organisation, with its campaign's name: what works and what doesn't."""
    stmt = select(Review)
    if filters.channel_id:
        stmt = stmt.where(
            exists().where(
                CampaignChannel.campaign_id == Review.campaign_id,
                CampaignChannel.channel_id == filters.channel_id,
            )
        )
    if filters.objective_id:
        stmt = stmt.where(
            exists().where(
                CampaignObjective.campaign_id == Review.campaign_id,
                CampaignObjective.objective_id == filters.objective_id,
            )
        )
    if filters.quick_win is not None:
        stmt = stmt.where(Review.quick_win == filters.quick_win)
    page_ = paginate(uow.session, stmt, Review.id, page, newest_first=True)
    names = dict(
        uow.session.execute(
            select(Campaign.id, Campaign.name).where(
                Campaign.id.in_({r.campaign_id for r in page_.items})
            )
        ).all()
    )
    return Page([Learning(r, names[r.campaign_id]) for r in page_.items], page_.next_cursor)
