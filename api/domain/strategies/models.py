from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    CheckConstraint,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned, tenant_fk

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
AGGREGATIONS = ("sum", "avg", "last", "ratio")
KPI_PERIODS = ("week", "month", "quarter")
DIRECTIONS = ("increase", "decrease")

# Figures such as targets are exchanged as JSON numbers.
Figure = Numeric(18, 4, asdecimal=False)


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


class Kpi(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "kpis"
    __audit_type__ = "kpi"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        tenant_fk("objective_id", "objectives", ondelete="CASCADE"),
        tenant_fk("channel_id", "channels"),
        tenant_fk("campaign_id", "campaigns"),
        one_of("aggregation", AGGREGATIONS),
        one_of("period", KPI_PERIODS),
        one_of("direction", DIRECTIONS),
        CheckConstraint(
            "aggregation <> 'ratio' OR (numerator_key IS NOT NULL AND denominator_key IS NOT NULL)",
            name="ratio_keys",
        ),
    )

    objective_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    metric_key: Mapped[str | None] = mapped_column(String(64))
    aggregation: Mapped[str] = mapped_column(String(10), default="sum")
    numerator_key: Mapped[str | None] = mapped_column(String(64))
    denominator_key: Mapped[str | None] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(10), default="month")
    target: Mapped[float] = mapped_column(Figure)
    baseline: Mapped[float | None] = mapped_column(Figure)
    direction: Mapped[str] = mapped_column(String(10), default="increase")
    # Optional filters: measure only this channel's or campaign's data.
    channel_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
