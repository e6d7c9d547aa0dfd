from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped
from api.domain.tenancy import TenantOwned, tenant_fk


class PlanFeed(IdMixin, Timestamped, TenantOwned, Audited, Base):
    """A calendar feed of the plan, read with a secret token in its URL.

    Calendar apps cannot send a bearer header, so the URL is the credential: only
    the token's hash and a short visible prefix are stored. A feed reads only the
    plan (its optional campaign, channel or owner narrow it), and stops working when
    it is revoked or when the member who made it leaves the organisation.
    """

    __tablename__ = "plan_feeds"
    __audit_type__ = "plan_feed"
    __audit_exclude__ = frozenset({"secret_hash", "last_used_at"})
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        # A feed of a campaign, channel or owner goes with it.
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("channel_id", "channels", ondelete="CASCADE"),
        tenant_fk("owner_id", "resources", ondelete="CASCADE"),
    )

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    campaign_id: Mapped[uuid.UUID | None]
    channel_id: Mapped[uuid.UUID | None]
    owner_id: Mapped[uuid.UUID | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
