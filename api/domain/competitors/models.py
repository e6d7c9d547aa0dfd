"""Competitors: who else people talk about, and how Clover recognises a mention of them."""

from __future__ import annotations

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned
from api.domain.tenancy import TenantOwned


class Competitor(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    __tablename__ = "competitors"
    __audit_type__ = "competitor"
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        UniqueConstraint("organisation_id", "name"),
    )

    name: Mapped[str] = mapped_column(String(200))
    # Accounts of the competitor on the networks ("@globex"): a mention by one of them is theirs.
    handles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Phrases that name the competitor or its products in a mention's text.
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
