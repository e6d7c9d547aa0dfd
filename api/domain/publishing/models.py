"""A publish attempt: one effort to put a content item on its network, and how it ended.

An attempt may take several tries (a 429 waits for Retry-After, a 5xx retries with
backoff, a lost answer is looked up first); they all send the attempt's ``key``, so
the network makes one post however many tries it took.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.base import Base, IdMixin, one_of, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

# unknown: under way, or its answer was lost (looked up before any retry).
ATTEMPT_OUTCOMES = ("unknown", "sent", "failed")


class PublishAttempt(IdMixin, TenantOwned, Base):
    __tablename__ = "publish_attempts"
    __table_args__ = (
        UniqueConstraint("content_item_id", "number"),
        UniqueConstraint("key"),
        tenant_fk("content_item_id", "content_items", ondelete="CASCADE"),
        one_of("outcome", ATTEMPT_OUTCOMES),
        # The sweep looks for attempts whose worker went silent, in every organisation.
        Index("ix_publish_attempts_open", "last_try_at", postgresql_where="outcome = 'unknown'"),
    )

    content_item_id: Mapped[uuid.UUID] = mapped_column(index=True)
    number: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10), default="unknown")
    tries: Mapped[int] = mapped_column(default=1)
    external_id: Mapped[str | None] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2000))
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the current try began; a try silent for the sweep's grace lost its worker.
    last_try_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a deferred try (429, backoff) is due; None while a try is under way.
    next_try_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
