"""Key messages a strategy wants out, and where they were found (mentions, own posts)."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned
from api.domain.tenancy import TenantOwned, tenant_fk


class KeyMessage(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "key_messages"
    __audit_type__ = "key_message"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        tenant_fk("strategy_id", "strategies", ondelete="CASCADE"),
    )

    strategy_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The phrases and variants that carry the message, matched whole-word and
    # tolerant of case, accents and inflection (api/domain/phrases.py).
    phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # As a campaign's: link tables with composite keys, so the database refuses an
    # objective or audience of another organisation. Written by the use cases.
    objective_links: Mapped[list[KeyMessageObjective]] = relationship(lazy="raise", viewonly=True)
    audience_links: Mapped[list[KeyMessageAudience]] = relationship(lazy="raise", viewonly=True)

    @property
    def objective_ids(self) -> list[uuid.UUID]:
        return sorted(link.objective_id for link in self.objective_links)

    @property
    def audience_ids(self) -> list[uuid.UUID]:
        return sorted(link.audience_id for link in self.audience_links)


class KeyMessageLink(TenantOwned):
    """A key message's link to a row of the same organisation (composite keys)."""

    # Indexed on its own: re-matching a message deletes and rewrites its links.
    key_message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class KeyMessageObjective(KeyMessageLink, Base):
    __tablename__ = "key_message_objectives"
    __table_args__ = (
        tenant_fk("key_message_id", "key_messages", ondelete="CASCADE"),
        tenant_fk("objective_id", "objectives", ondelete="CASCADE"),
    )

    objective_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class KeyMessageAudience(KeyMessageLink, Base):
    __tablename__ = "key_message_audiences"
    __table_args__ = (
        tenant_fk("key_message_id", "key_messages", ondelete="CASCADE"),
        tenant_fk("audience_id", "audiences", ondelete="CASCADE"),
    )

    audience_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class MentionMessage(KeyMessageLink, Base):
    """A mention carries the key message (one of its phrases was found in the text)."""

    __tablename__ = "mention_messages"
    __table_args__ = (
        tenant_fk("key_message_id", "key_messages", ondelete="CASCADE"),
        tenant_fk("mention_id", "mentions", ondelete="CASCADE"),
    )

    mention_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)


class ContentMessage(KeyMessageLink, Base):
    """A content item of Clover's own carries the key message."""

    __tablename__ = "content_messages"
    __table_args__ = (
        tenant_fk("key_message_id", "key_messages", ondelete="CASCADE"),
        tenant_fk("content_item_id", "content_items", ondelete="CASCADE"),
    )

    content_item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
