from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain import money
from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned, tenant_fk

CAMPAIGN_STATUSES = ("planned", "active", "completed", "cancelled")
PDCA_PHASES = ("plan", "do", "check", "act")


class Campaign(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "campaigns"
    __audit_type__ = "campaign"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("organisation_id", "utm_campaign"),
        tenant_fk("strategy_id", "strategies"),
        one_of("status", CAMPAIGN_STATUSES),
        one_of("pdca_phase", PDCA_PHASES),
        CheckConstraint("end_date >= start_date", name="dates"),
        CheckConstraint("pdca_cycle >= 1", name="pdca_cycle"),
        CheckConstraint("budget_amount IS NULL OR budget_amount >= 0", name="budget_amount"),
    )

    strategy_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    start_date: Mapped[date]
    end_date: Mapped[date]
    budget_amount: Mapped[Decimal | None] = mapped_column(money.AMOUNT)
    budget_currency: Mapped[str] = mapped_column(String(3))
    utm_campaign: Mapped[str] = mapped_column(String(100))
    pdca_cycle: Mapped[int] = mapped_column(default=1)
    pdca_phase: Mapped[str] = mapped_column(String(10), default="plan")
    # Links live in tables with composite foreign keys, so the database itself refuses
    # an objective, channel or audience of another organisation. Read-only here: the
    # use cases write the link rows.
    objective_links: Mapped[list[CampaignObjective]] = relationship(lazy="raise", viewonly=True)
    channel_links: Mapped[list[CampaignChannel]] = relationship(lazy="raise", viewonly=True)
    audience_links: Mapped[list[CampaignAudience]] = relationship(lazy="raise", viewonly=True)

    @property
    def objective_ids(self) -> list[uuid.UUID]:
        return sorted(link.objective_id for link in self.objective_links)

    @property
    def channel_ids(self) -> list[uuid.UUID]:
        return sorted(link.channel_id for link in self.channel_links)

    @property
    def audience_ids(self) -> list[uuid.UUID]:
        return sorted(link.audience_id for link in self.audience_links)


class CampaignLink(TenantOwned):
    """A campaign's link to one objective, channel or audience of the same organisation."""

    campaign_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class CampaignObjective(CampaignLink, Base):
    __tablename__ = "campaign_objectives"
    __table_args__ = (
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("objective_id", "objectives", ondelete="CASCADE"),
    )

    objective_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class CampaignChannel(CampaignLink, Base):
    __tablename__ = "campaign_channels"
    __table_args__ = (
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("channel_id", "channels"),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class CampaignAudience(CampaignLink, Base):
    __tablename__ = "campaign_audiences"
    __table_args__ = (
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("audience_id", "audiences", ondelete="CASCADE"),
    )

    audience_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class Review(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    """Closes the check phase of one PDCA cycle: what worked, what didn't, what next."""

    __tablename__ = "reviews"
    __audit_type__ = "review"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("campaign_id", "cycle"),
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(index=True)
    cycle: Mapped[int]
    what_worked: Mapped[str] = mapped_column(Text, default="")
    what_did_not_work: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    quick_win: Mapped[bool] = mapped_column(default=False)
    kpi_snapshot: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # The causal-lift report of the cycle's window, when the review asked for one.
    causal_lift_snapshot: Mapped[dict | None] = mapped_column(JSON)
