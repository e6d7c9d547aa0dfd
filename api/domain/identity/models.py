from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.access import KEY_KINDS, ROLES
from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, one_of
from api.domain.tenancy import TenantOwned


class User(IdMixin, Timestamped, Base):
    """A person. Belongs to organisations through memberships."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None for users created by the CLI who have not set a password yet.
    password_hash: Mapped[str | None] = mapped_column(String(255))


class ApiKey(IdMixin, Timestamped, TenantOwned, Audited, Base):
    """An organisation-bound bearer token; only a hash of the secret is stored.

    A personal key acts for ``created_by_user_id`` and only while that user is a
    member (capped by their current role); an organisation key acts as the
    organisation itself and outlives whoever made it.
    """

    __tablename__ = "api_keys"
    __audit_type__ = "api_key"
    __audit_exclude__ = frozenset({"secret_hash", "last_used_at"})
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("role", ROLES),
        one_of("kind", KEY_KINDS),
    )

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="personal")
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
