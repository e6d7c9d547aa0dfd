from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.access import ROLES
from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, one_of, utcnow
from api.domain.tenancy import TenantOwned

STATUSES = ("pending", "accepted", "revoked", "expired")


class Invitation(IdMixin, Timestamped, TenantOwned, Audited, Base):
    """An offer of membership to an email; only a hash of its one-time token is stored."""

    __tablename__ = "invitations"
    __audit_type__ = "invitation"
    __audit_exclude__ = frozenset({"token_hash"})
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("role", ROLES),
    )

    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None]
    accepted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None]

    @property
    def status(self) -> str:
        return self.status_at(utcnow())

    def status_at(self, now: datetime) -> str:
        """Derived, never stored: an invitation expires by the clock alone."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"
