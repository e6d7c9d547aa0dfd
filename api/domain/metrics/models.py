"""Numbers in: metric points, and the metric keys an organisation defines."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

# A metric's kind and behaviour (see ``definitions``), and the funnel stage it counts in.
KINDS = ("count", "currency", "ratio")
BEHAVIOURS = ("flow", "level")
FUNNEL_STAGES = ("awareness", "engagement", "lead", "customer", "advocacy")
# derived: computed by Clover itself from other data (e.g. mention counts).
SOURCES = ("sync", "import", "api", "derived")


class OrganisationMetric(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    """A metric key an organisation defines beside the built-in catalogue."""

    __tablename__ = "metric_definitions"
    __audit_type__ = "metric_definition"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        one_of("kind", KINDS),
        one_of("behaviour", BEHAVIOURS),
    )

    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(10), default="count")
    funnel_stage: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    # flow or level; None for ratio metrics (averaged, neither summed nor latest).
    behaviour: Mapped[str | None] = mapped_column(String(10))
    # The key (built-in or the organisation's) whose count includes this one's.
    part_of: Mapped[str | None] = mapped_column(String(64))


class MetricPoint(IdMixin, TenantOwned, Base):
    """A number for one metric on one day, optionally of a channel, campaign or content item.

    Its identity is (organisation, metric, day, channel, campaign, content item,
    source); re-sending a point replaces its value. ``dimensions`` spells the
    optional parts of that identity in one non-null column, so one unique index
    (the same on PostgreSQL and SQLite) enforces it.
    """

    __tablename__ = "metric_points"
    __table_args__ = (
        # Covering on PostgreSQL: the rollups' and reports' grouped queries read a key's
        # points from the index alone (index-only scans), not from most of the heap.
        UniqueConstraint(
            "organisation_id",
            "metric_key",
            "day",
            "source",
            "dimensions",
            postgresql_include=["value", "channel_id", "campaign_id", "content_item_id"],
        ),
        # The rollup finds what changed since it last ran.
        Index("ix_metric_points_updated", "organisation_id", "updated_at"),
        tenant_fk("channel_id", "channels"),
        tenant_fk("campaign_id", "campaigns"),
        tenant_fk("content_item_id", "content_items"),
        one_of("source", SOURCES),
        Index("ix_metric_points_day", "organisation_id", "day"),
        # Most points name no campaign and no content item; every query on these (and the
        # foreign keys' checks when one is deleted) looks for a non-null id (migration 0026).
        *(
            Index(
                f"ix_metric_points_{column}",
                column,
                postgresql_where=text(f"{column} IS NOT NULL"),
                sqlite_where=text(f"{column} IS NOT NULL"),
            )
            for column in ("campaign_id", "content_item_id")
        ),
    )

    # Not indexed alone: it leads the day and the unique indexes, which serve it, and every
    # ingested point would be written into one more index (migration 0026).
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    metric_key: Mapped[str] = mapped_column(String(64))
    day: Mapped[date]
    value: Mapped[float] = mapped_column(Float)
    channel_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    campaign_id: Mapped[uuid.UUID | None]
    content_item_id: Mapped[uuid.UUID | None]
    source: Mapped[str] = mapped_column(String(10), default="api")
    dimensions: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def dimensions_of(
    channel_id: uuid.UUID | None, campaign_id: uuid.UUID | None, content_item_id: uuid.UUID | None
) -> str:
    return "|".join(
        str(part) if part else "" for part in (channel_id, campaign_id, content_item_id)
    )
