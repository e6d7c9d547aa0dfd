"""A channel's connection to its network: provider, account, encrypted credentials, sync state."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.tenancy import TenantOwned, tenant_fk

PROVIDERS = ("sandbox", "mastodon", "bluesky")
CONNECTION_STATUSES = ("connected", "needs_reauth", "failing")


class Connection(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "connections"
    __audit_type__ = "connection"
    # Credentials never reach the audit trail, encrypted or not; nor does sync bookkeeping.
    __audit_exclude__ = frozenset(
        {
            "credentials",
            "cursor",
            "last_sync_at",
            "last_error",
            "next_sync_at",
            "limits",
            "limits_refreshed_at",
        }
    )
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("channel_id"),
        tenant_fk("channel_id", "channels", ondelete="CASCADE"),
        one_of("provider", PROVIDERS),
        one_of("status", CONNECTION_STATUSES),
    )

    channel_id: Mapped[uuid.UUID]
    provider: Mapped[str] = mapped_column(String(20))
    account: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str | None] = mapped_column(String(500))
    # Fernet tokens (MultiFernet: the newest key encrypts, any configured key decrypts).
    credentials: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="connected")
    cursor: Mapped[dict | None] = mapped_column(JSON)
    last_sync_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    next_sync_at: Mapped[datetime | None]
    # What one post may carry, as the network last reported it (api.domain.publishing.limits
    # has each provider's documented defaults until the first refresh).
    limits: Mapped[dict | None] = mapped_column(JSON)
    limits_refreshed_at: Mapped[datetime | None]
