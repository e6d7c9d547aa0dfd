"""Every model, imported once so that the metadata (and Alembic) sees them all."""

from api.domain.base import Base
from api.domain.idempotency import IdempotencyRecord
from api.domain.identity.models import ApiKey, User
from api.domain.organisations.models import Membership, Organisation

__all__ = ["ApiKey", "Base", "IdempotencyRecord", "Membership", "Organisation", "User"]
