from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of, utcnow
from api.domain.tenancy import TenantOwned, tenant_fk

FORMATS = ("post", "article", "video", "image", "newsletter", "press_release", "event", "email")
CONTENT_STATUSES = (
    "idea",
    "drafting",
    "in_review",
    "approved",
    "scheduled",
    "publishing",
    "published",
    "publish_failed",
    "cancelled",
)
# Only Clover's publisher moves an item to these: a person cannot type them in.
PUBLISHER_STATUSES = ("publishing", "publish_failed")
MANUAL_STATUSES = tuple(s for s in CONTENT_STATUSES if s not in PUBLISHER_STATUSES)
# Who made a step of the history when it was neither a person nor a key.
PUBLISHER = "publisher"


class ContentItem(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "content_items"
    __audit_type__ = "content_item"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("channel_id", "channels"),
        tenant_fk("owner_id", "resources"),
        tenant_fk("series_id", "content_series"),
        # One item per occurrence of a series.
        UniqueConstraint("organisation_id", "series_id", "occurrence_at"),
        one_of("format", FORMATS),
        one_of("status", CONTENT_STATUSES),
        CheckConstraint("effort_hours >= 0", name="effort_hours"),
        # The plan reads items by organisation and day.
        Index("ix_content_items_plan", "organisation_id", "plan_date"),
        # The publishing sweep looks for scheduled items that are due, in every organisation.
        Index("ix_content_items_due", "scheduled_at", postgresql_where="status = 'scheduled'"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(300))
    brief: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20), default="post")
    effort_hours: Mapped[float] = mapped_column(Numeric(8, 2, asdecimal=False), default=0)
    due_date: Mapped[date | None]
    scheduled_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_url: Mapped[str | None] = mapped_column(String(2000))
    distribution_actions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    # What goes out on the channel; the network's own limit is checked separately.
    text: Mapped[str] = mapped_column(Text, default="")
    # A text over the channel's limit goes out as a thread only when the item asks for it.
    as_thread: Mapped[bool] = mapped_column(Boolean, default=False)
    # The network's id of the post (Mastodon: the status id; Bluesky: the at:// URI).
    external_id: Mapped[str | None] = mapped_column(String(500))
    # Why the last publication failed, and whether trying again can help.
    publish_error: Mapped[str | None] = mapped_column(Text)
    publish_retryable: Mapped[bool | None] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default="idea")
    approved_by_user_id: Mapped[uuid.UUID | None]
    approved_by_api_key_id: Mapped[uuid.UUID | None]
    approved_at: Mapped[datetime | None]
    # The series that generated the item, at which of its occurrences (a UTC instant);
    # ``detached`` once someone edited the item itself, so the series leaves it alone.
    series_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    occurrence_at: Mapped[datetime | None]
    detached: Mapped[bool] = mapped_column(Boolean, default=False)
    # The day the item sits on in the plan: its scheduled day (UTC), else its due date.
    plan_date: Mapped[date | None]
    # Its media, in order, live in a link table with composite foreign keys, so the
    # database refuses another organisation's medium. Read-only here: the use cases
    # write the link rows.
    media_links: Mapped[list[ContentItemMedia]] = relationship(
        lazy="selectin", viewonly=True, order_by="ContentItemMedia.position"
    )

    @property
    def media_ids(self) -> list[uuid.UUID]:
        return [link.media_id for link in self.media_links]

    def status_changed(self, before: str | None, to: str) -> dict:
        """The payload of a ``content_item.status_changed`` event, whoever moved the item."""
        return {
            "content_item_id": self.id,
            "campaign_id": self.campaign_id,
            "title": self.title,
            "from": before,
            "to": to,
        }


class ContentItemMedia(TenantOwned, Base):
    """One medium a content item carries, at its place in the item's order."""

    __tablename__ = "content_item_media"
    __table_args__ = (
        tenant_fk("content_item_id", "content_items", ondelete="CASCADE"),
        # A medium in use is not deleted (409): what an approved item carries stays put.
        tenant_fk("media_id", "media"),
        UniqueConstraint("content_item_id", "position"),
    )

    content_item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    media_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    position: Mapped[int]


class ContentStatusChange(IdMixin, TenantOwned, Base):
    """One step in a content item's history."""

    __tablename__ = "content_status_changes"
    __table_args__ = (tenant_fk("content_item_id", "content_items", ondelete="CASCADE"),)

    content_item_id: Mapped[uuid.UUID] = mapped_column(index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    # "publisher" for the steps Clover's publisher made; None for a person's or key's.
    actor: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
