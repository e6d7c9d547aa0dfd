"""KPIs measuring objectives, and what the rollups make of them: values by period."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

if TYPE_CHECKING:
    from api.domain.forecasts.models import KpiForecast

AGGREGATIONS = ("sum", "avg", "last", "ratio")
KPI_PERIODS = ("week", "month", "quarter")
DIRECTIONS = ("increase", "decrease")
KPI_STATUSES = ("on_track", "at_risk", "off_track", "no_data")

# Figures such as targets are exchanged as JSON numbers.
Figure = Numeric(18, 4, asdecimal=False)


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
        CheckConstraint(
            "forecast_alert_probability IS NULL OR "
            "(forecast_alert_probability >= 0 AND forecast_alert_probability <= 1)",
            name="forecast_alert_probability",
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
    # Early warning: kpi.forecast_changed fires when the forecast's probability of
    # reaching the target crosses this (either way) between two forecasts.
    forecast_alert_probability: Mapped[float | None] = mapped_column(Float)


class KpiValue(IdMixin, TenantOwned, Base):
    """A KPI's value for one period, against its (pro-rated) target."""

    __tablename__ = "kpi_values"
    __table_args__ = (
        UniqueConstraint("kpi_id", "period_start"),
        tenant_fk("kpi_id", "kpis", ondelete="CASCADE"),
        one_of("status", KPI_STATUSES),
    )

    kpi_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    actual: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    attainment: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(10))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The open period's forecast (the rollups keep none for periods that have ended).
    forecast: Mapped[KpiForecast | None] = relationship(
        primaryjoin="and_(KpiValue.kpi_id == foreign(KpiForecast.kpi_id), "
        "KpiValue.period_start == foreign(KpiForecast.period_start))",
        viewonly=True,
        uselist=False,
        lazy="selectin",
    )


class RollupState(TenantOwned, Base):
    """How far an organisation's KPI values are up to date with its metric points."""

    __tablename__ = "rollup_states"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # Points changed after this moment are not yet in the KPI values.
    rolled_up_at: Mapped[datetime]


class KpiStatusChange(IdMixin, TenantOwned, Base):
    """A KPI period moved from one status to another (feeds webhooks later)."""

    __tablename__ = "kpi_status_changes"
    __table_args__ = (tenant_fk("kpi_id", "kpis", ondelete="CASCADE"),)

    kpi_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period_start: Mapped[date]
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
