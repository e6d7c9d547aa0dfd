"""Every model, imported once so that the metadata (and Alembic) sees them all."""

from api.domain.audiences.models import Audience
from api.domain.audit import AuditEvent
from api.domain.base import Base
from api.domain.idempotency import IdempotencyRecord
from api.domain.identity.models import ApiKey, User
from api.domain.organisations.models import Membership, Organisation
from api.domain.readiness.models import ReadinessAssessment
from api.domain.resourcing.models import Resource
from api.domain.strategy.models import Kpi, Objective, Strategy

__all__ = [
    "ApiKey",
    "Audience",
    "AuditEvent",
    "Base",
    "IdempotencyRecord",
    "Kpi",
    "Membership",
    "Objective",
    "Organisation",
    "ReadinessAssessment",
    "Resource",
    "Strategy",
    "User",
]
