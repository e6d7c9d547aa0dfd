"""Readiness assessments over time, and the organisation's current readiness."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import utcnow
from api.domain.editing import refuse
from api.domain.inputs import UNSET, Draft, Unset
from api.domain.organisations.models import Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.readiness import rules
from api.domain.readiness.models import LEAVES, ReadinessAssessment
from api.domain.uow import UnitOfWork


def scores_of(assessment: ReadinessAssessment) -> dict[str, int]:
    return {leaf: getattr(assessment, leaf) for leaf in LEAVES}


def _today(uow: UnitOfWork) -> date:
    """Today in the organisation's time zone."""
    organisation = uow.session.get(Organisation, uow.tenant.organisation_id)
    return utcnow().astimezone(ZoneInfo(organisation.timezone)).date()


@dataclass(frozen=True, kw_only=True)
class AssessmentDraft(Draft):
    culture: int
    leadership: int
    governance: int
    technology: int
    assessed_on: date | Unset | None = UNSET  # not sent, or None: today
    culture_notes: str | Unset = UNSET
    leadership_notes: str | Unset = UNSET
    governance_notes: str | Unset = UNSET
    technology_notes: str | Unset = UNSET


def create_assessment(*, uow: UnitOfWork, draft: AssessmentDraft) -> ReadinessAssessment:
    today = _today(uow)
    assessed_on = draft.assessed_on or today
    values = {**draft.given(), "assessed_on": assessed_on}
    refuse(
        {**rules.check_scores(values), **rules.check_assessed_on(assessed_on, today=today)},
        "the assessment is not valid",
    )
    assessment = ReadinessAssessment(**values)
    uow.session.add(assessment)
    uow.commit()
    return assessment


def _newest_first():
    return select(ReadinessAssessment).order_by(
        ReadinessAssessment.assessed_on.desc(), ReadinessAssessment.id.desc()
    )


def list_assessments(*, uow: UnitOfWork, page: PageRequest) -> Page[ReadinessAssessment]:
    """Newest first (by creation)."""
    stmt = select(ReadinessAssessment)
    return paginate(uow.session, stmt, ReadinessAssessment.id, page, newest_first=True)


def get_assessment(*, uow: UnitOfWork, assessment_id: uuid.UUID):
    return tenancy.get(uow.session, ReadinessAssessment, assessment_id, what="assessment")


@dataclass(frozen=True)
class CurrentReadiness:
    latest: ReadinessAssessment | None
    previous: ReadinessAssessment | None

    @property
    def scores(self) -> dict[str, int] | None:
        return scores_of(self.latest) if self.latest else None

    @property
    def overall(self) -> float | None:
        return rules.overall(self.scores) if self.latest else None

    @property
    def weakest_leaf(self) -> str | None:
        return rules.weakest(self.scores) if self.latest else None

    @property
    def change(self) -> dict | None:
        if self.latest is None or self.previous is None:
            return None
        return rules.change(self.scores, scores_of(self.previous))


def current_readiness(*, uow: UnitOfWork) -> CurrentReadiness:
    """The latest assessment (by date) and the one before it."""
    latest_two = list(uow.session.scalars(_newest_first().limit(2)))
    latest_two += [None] * (2 - len(latest_two))
    return CurrentReadiness(*latest_two)
