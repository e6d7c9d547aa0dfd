from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain import money
from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned, tenant_fk

RESOURCE_KINDS = ("person", "team")
KNOWN_ROLES = (
    "content_creator",
    "community_manager",
    "customer_service",
    "sales",
    "leadership",
)


class Resource(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    """A person or team who creates content or talks to customers."""

    __tablename__ = "resources"
    __audit_type__ = "resource"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        # A linked member must be of the same organisation; the database refuses otherwise.
        tenant_fk("member_id", "memberships"),
        one_of("kind", RESOURCE_KINDS),
        CheckConstraint(
            "weekly_capacity_hours >= 0 AND weekly_capacity_hours <= 168", name="capacity"
        ),
        CheckConstraint("hourly_cost IS NULL OR hourly_cost >= 0", name="hourly_cost"),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="person")
    role: Mapped[str] = mapped_column(String(100), default="")
    known_role: Mapped[str | None] = mapped_column(String(30))
    weekly_capacity_hours: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False))
    hourly_cost: Mapped[Decimal | None] = mapped_column(money.AMOUNT)
    member_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
