from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned, tenant_fk

if TYPE_CHECKING:
    from api.domain.kpis.models import Kpi

STRATEGY_STATUSES = ("draft", "active", "archived")
BUSINESS_OUTCOMES = (
    "awareness",
    "lead_generation",
    "customer_service",
    "loyalty",
    "churn_reduction",
    "thought_leadership",
    "sales",
)


class Strategy(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "strategies"
    __audit_type__ = "strategy"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("status", STRATEGY_STATUSES),
        CheckConstraint("period_end >= period_start", name="period"),
    )

    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    business_context: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")

    objectives: Mapped[list[Objective]] = relationship(
        lazy="raise", viewonly=True, order_by="Objective.id"
    )


class Objective(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "objectives"
    __audit_type__ = "objective"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        tenant_fk("strategy_id", "strategies", ondelete="CASCADE"),
        one_of("business_outcome", BUSINESS_OUTCOMES),
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority"),
    )

    strategy_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    business_outcome: Mapped[str] = mapped_column(String(30))
    priority: Mapped[int] = mapped_column(default=3)
    description: Mapped[str] = mapped_column(Text, default="")

    kpis: Mapped[list[Kpi]] = relationship(lazy="raise", viewonly=True, order_by="Kpi.id")
