from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

# The events an endpoint can subscribe to (the README describes their payloads).
EVENT_TYPES = (
    "campaign.status_changed",
    "content_item.status_changed",
    "content_item.published",
    "content_item.publish_failed",
    "kpi.status_changed",
    "kpi.forecast_changed",
    "strategy.activated",
    "sync.completed",
    "sync.failed",
    "import.completed",
    "import.failed",
    "member.invited",
)
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class WebhookEndpoint(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "webhook_endpoints"
    __audit_type__ = "webhook_endpoint"
    __audit_exclude__ = frozenset({"secret_encrypted", "consecutive_failures"})
    __table_args__ = (UniqueConstraint("organisation_id", "id"),)

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(Text, default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Encrypted with api.crypto.cipher_for: the secret is needed to sign each delivery.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))


class WebhookEvent(IdMixin, TenantOwned, Base):
    """The outbox: written in the transaction of the change it describes."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        # The sweep looks for events nobody has fanned out yet.
        Index(
            "ix_webhook_events_undispatched", "created_at", postgresql_where="dispatched_at IS NULL"
        ),
    )

    type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]


class WebhookDelivery(IdMixin, TenantOwned, Base):
    """One event sent to one endpoint: its attempts and outcome."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("endpoint_id", "event_id"),
        tenant_fk("endpoint_id", "webhook_endpoints", ondelete="CASCADE"),
        tenant_fk("event_id", "webhook_events", ondelete="CASCADE"),
        one_of("status", DELIVERY_STATUSES),
        Index(
            "ix_webhook_deliveries_due", "next_attempt_at", postgresql_where="status = 'pending'"
        ),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(index=True)
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
