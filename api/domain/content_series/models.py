from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, DateTime, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of
from api.domain.content_items.models import FORMATS
from api.domain.tenancy import TenantOwned, tenant_fk

# The statuses a series' items may start in: before review, so that nothing is approved
# or scheduled without a person looking at it.
INITIAL_STATUSES = ("idea", "drafting", "in_review")


class ContentSeries(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    """Content that recurs: an iCalendar RRULE that generates ordinary content items."""

    __tablename__ = "content_series"
    __audit_type__ = "content_series"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("channel_id", "channels"),
        tenant_fk("owner_id", "resources"),
        one_of("format", FORMATS),
        one_of("initial_status", INITIAL_STATUSES),
        CheckConstraint("effort_hours >= 0", name="effort_hours"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # "{date}" in it becomes each occurrence's local date.
    title: Mapped[str] = mapped_column(String(300))
    brief: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20), default="post")
    effort_hours: Mapped[float] = mapped_column(Numeric(8, 2, asdecimal=False), default=0)
    # The RRULE (RFC 5545) without its DTSTART, which is ``starts_at``.
    rule: Mapped[str] = mapped_column(String(500))
    # A wall-clock time in the organisation's time zone, as DTSTART: 10:00 stays 10:00
    # across a change of daylight saving time.
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    # The last local day an occurrence may fall on, besides the rule's own COUNT or UNTIL.
    ends_on: Mapped[date | None]
    initial_status: Mapped[str] = mapped_column(String(20), default="idea")
