from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.access import ROLES
from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.identity.models import User
from api.domain.tenancy import TenantOwned


class Organisation(IdMixin, Timestamped, Versioned, Audited, Base):
    """The tenant."""

    __tablename__ = "organisations"
    __audit_type__ = "organisation"
    __audit_exclude__ = frozenset({"member_count"})
    __table_args__ = (
        CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fiscal_year_start_month"),
    )

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    # Kept up to date by a background job after membership changes.
    member_count: Mapped[int] = mapped_column(default=0)


class Membership(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "memberships"
    __audit_type__ = "member"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        UniqueConstraint("organisation_id", "id"),
        one_of("role", ROLES),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(lazy="raise")
