"""Forecasts of KPI attainment: where each KPI's open period is projected to end."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.base import Base, IdMixin, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

METHODS = ("local_trend_weekly", "mean_rate", "random_walk", "constant", "observed")


class KpiForecast(IdMixin, TenantOwned, Base):
    """The latest forecast of one KPI's open period, written by the rollups.

    Figures are null when there is no forecast; ``reason`` then says why.
    """

    __tablename__ = "kpi_forecasts"
    __table_args__ = (
        UniqueConstraint("organisation_id", "kpi_id", "period_start"),
        tenant_fk("kpi_id", "kpis", ondelete="CASCADE"),
    )

    kpi_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    as_of: Mapped[date]  # the last day observed; the days after it are forecast
    target: Mapped[float] = mapped_column(Float)
    projected: Mapped[float | None] = mapped_column(Float)
    lower80: Mapped[float | None] = mapped_column(Float)
    upper80: Mapped[float | None] = mapped_column(Float)
    lower95: Mapped[float | None] = mapped_column(Float)
    upper95: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str | None] = mapped_column(String(30))
    history_days: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
