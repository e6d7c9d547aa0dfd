"""Clover as its own OAuth 2 authorization server: clients, codes, tokens, consents.

Secrets, codes and tokens are stored only as SHA-256 hashes (they are random
and long, so a fast hash suffices); the client id is public.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.domain.audit import Audited
from api.domain.base import Base, IdMixin, Timestamped, Versioned, one_of, utcnow
from api.domain.tenancy import TenantOwned

CLIENT_TYPES = ("confidential", "public")
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")


class OAuthClient(IdMixin, Timestamped, Versioned, TenantOwned, Audited, Base):
    """A front end or agency tool, registered by (and owned by) one organisation."""

    __tablename__ = "oauth_clients"
    __audit_type__ = "oauth_client"
    __audit_exclude__ = frozenset({"secret_hash"})
    __table_args__ = (
        UniqueConstraint("organisation_id", "id"),
        one_of("client_type", CLIENT_TYPES),
    )

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))  # None for public clients
    name: Mapped[str] = mapped_column(String(200))
    client_type: Mapped[str] = mapped_column(String(20))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    allowed_scopes: Mapped[list[str]] = mapped_column(JSON)
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    # Browser origins of a public client's front end, allowed by CORS.
    allowed_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    revoked_at: Mapped[datetime | None]


class AuthorizationCode(IdMixin, Base):
    """A single-use code (at most 10 minutes) from the consent page."""

    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(2000))
    organisation_ids: Mapped[list[str]] = mapped_column(JSON)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    nonce: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OAuthToken(IdMixin, Base):
    """An access token and its refresh token; ``family`` ties a rotation chain together."""

    __tablename__ = "oauth_tokens"

    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The organisations this token reaches; per organisation, the scopes granted.
    organisation_scopes: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(String(2000))
    family: Mapped[uuid.UUID] = mapped_column(index=True)
    # The code it was issued from: a code used twice revokes its tokens.
    code_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]  # its refresh token was used (rotated)
    revoked_at: Mapped[datetime | None]


class OAuthGrant(IdMixin, Timestamped, TenantOwned, Audited, Base):
    """A member's consent that a client may act in this organisation with these scopes."""

    __tablename__ = "oauth_grants"
    __audit_type__ = "oauth_grant"
    __table_args__ = (UniqueConstraint("organisation_id", "client_id", "user_id"),)

    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None]
