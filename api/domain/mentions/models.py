"""What people say about the company, its competitors and its industry."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned, tenant_fk

TOPICS = ("company", "competitor", "industry")
SENTIMENT_LABELS = ("positive", "neutral", "negative")
# How a mention came to name its competitor: the caller said so, or Clover matched it.
COMPETITOR_SOURCES = ("given", "matched")


class Mention(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "mentions"
    __audit_type__ = "mention"
    __table_args__ = (
        # Rows referring to a mention (its key messages) use composite keys.
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("organisation_id", "channel_id", "external_id"),
        tenant_fk("channel_id", "channels"),
        tenant_fk("competitor_id", "competitors"),
        one_of("competitor_source", COMPETITOR_SOURCES),
        CheckConstraint(
            "(competitor_id IS NULL) = (competitor_source IS NULL)", name="competitor_source_set"
        ),
        Index("ix_mentions_competitor", "organisation_id", "competitor_id"),
        one_of("topic", TOPICS),
        one_of("sentiment_label", SENTIMENT_LABELS),
        Index("ix_mentions_posted", "organisation_id", "posted_at"),
    )

    channel_id: Mapped[uuid.UUID] = mapped_column(index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))
    posted_at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(String(12), default="company")
    sentiment_score: Mapped[float] = mapped_column(Float)
    sentiment_label: Mapped[str] = mapped_column(String(10))
    competitor_id: Mapped[uuid.UUID | None]
    competitor_source: Mapped[str | None] = mapped_column(String(8))
