"""OAuth tokens: issuing (hashed at rest), rotation families, revocation, lookups for
introspection, and resolving a bearer token into a principal exactly like an API key.

The use cases here (``issue_client_token``, ``revoke_token``) own their transaction;
the authorization server's adapters (``api.oauth``) only call them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.domain import tenancy
from api.domain.access import Grant, Principal
from api.domain.base import new_id, utcnow
from api.domain.errors import RuleViolation, Unauthenticated
from api.domain.identity.models import User
from api.domain.oauth.models import OAuthGrant, OAuthToken
from api.domain.organisations.models import Membership
from api.domain.uow import UnitOfWork

ACCESS_PREFIX, REFRESH_PREFIX = "clvat_", "clvrt_"
ACCESS_TTL = timedelta(hours=1)
REFRESH_TTL = timedelta(days=30)
# A machine client acts in the organisation that owns it; its scopes are the limit.
CLIENT_ROLE = "admin"


class ScopeNotAllowed(RuleViolation):
    """None of the scopes asked for may be granted (OAuth ``invalid_scope``)."""


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    refresh_token: str | None  # shown once, never stored
    row: OAuthToken


@dataclass(frozen=True)
class FoundToken:
    row: OAuthToken
    kind: str  # "access_token" or "refresh_token": which of the pair was presented


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    client_id: str,
    user_id: uuid.UUID | None,
    organisation_scopes: dict[str, list[str]],
    scope: str,
    with_refresh: bool,
    family: uuid.UUID | None = None,
    code_id: uuid.UUID | None = None,
    access_ttl: timedelta = ACCESS_TTL,
) -> tuple[str, str | None, OAuthToken]:
    """(access token, refresh token or None, row). The caller commits."""
    access = new_secret(ACCESS_PREFIX)
    refresh = new_secret(REFRESH_PREFIX) if with_refresh else None
    now = utcnow()
    row = OAuthToken(
        access_token_hash=hash_secret(access),
        refresh_token_hash=hash_secret(refresh) if refresh else None,
        client_id=client_id,
        user_id=user_id,
        organisation_scopes=organisation_scopes,
        scope=scope,
        family=family or new_id(),
        code_id=code_id,
        issued_at=now,
        expires_at=now + access_ttl,
        refresh_expires_at=now + REFRESH_TTL if refresh else None,
    )
    session.add(row)
    return access, refresh, row


def revoke_family(session: Session, family: uuid.UUID) -> None:
    """Revoke every token of a rotation chain (a reused refresh token, a revoked grant)."""
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.family == family, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_issued_from_code(session: Session, code_id: uuid.UUID) -> None:
    """A code used twice: revoke what the first use issued (RFC 9700)."""
    families = session.scalars(select(OAuthToken.family).where(OAuthToken.code_id == code_id))
    for family in set(families):
        revoke_family(session, family)


def scope_of(organisation_scopes: dict[str, list[str]]) -> str:
    """A token's ``scope``: every scope it holds in any organisation."""
    return " ".join(sorted({s for scopes in organisation_scopes.values() for s in scopes}))


def issue_client_token(
    *,
    uow: UnitOfWork,
    client_id: str,
    organisation_id: uuid.UUID,
    allowed_scopes: frozenset[str],
    requested_scopes: set[str],
    access_ttl: timedelta = ACCESS_TTL,
) -> IssuedToken:
    """Client credentials: a token in the client's own organisation, no refresh token.

    The requested scopes (all allowed ones when none are asked for) ∩ the allowed ones.
    """
    granted = sorted((requested_scopes or set(allowed_scopes)) & allowed_scopes)
    if not granted:
        raise ScopeNotAllowed("None of the requested scopes is allowed for this client.")
    access, _, row = issue_token(
        uow.session,
        client_id=client_id,
        user_id=None,
        organisation_scopes={str(organisation_id): granted},
        scope=" ".join(granted),
        with_refresh=False,
        access_ttl=access_ttl,
    )
    uow.commit()
    return IssuedToken(access, None, row)


def lookup_token(*, uow: UnitOfWork, token: str, hint: str | None = None) -> FoundToken | None:
    """The token row an access or refresh token names (for revocation and introspection)."""
    digest = hash_secret(token)
    kinds = ["access_token", "refresh_token"]
    if hint == "refresh_token":
        kinds.reverse()
    for kind in kinds:
        column = (
            OAuthToken.access_token_hash
            if kind == "access_token"
            else OAuthToken.refresh_token_hash
        )
        row = uow.session.scalar(select(OAuthToken).where(column == digest))
        if row is not None:
            return FoundToken(row, kind)
    return None


def revoke_token(*, uow: UnitOfWork, token: OAuthToken) -> None:
    """Either token of a pair revokes its whole rotation family (RFC 7009)."""
    revoke_family(uow.session, token.family)
    uow.commit()


def token_user(*, uow: UnitOfWork, token: OAuthToken) -> User | None:
    """The person a token acts for (None for a machine client's token)."""
    return uow.session.get(User, token.user_id) if token.user_id else None


def find_token(session: Session, access_token: str) -> OAuthToken | None:
    return session.scalar(
        select(OAuthToken).where(OAuthToken.access_token_hash == hash_secret(access_token))
    )


def is_refreshable(token: OAuthToken, now: datetime | None = None) -> bool:
    """Its refresh token is live: not revoked, not yet rotated, not expired."""
    now = now or utcnow()
    return (
        token.revoked_at is None
        and token.refreshed_at is None
        and token.refresh_expires_at is not None
        and token.refresh_expires_at > now
    )


def is_active(token: OAuthToken, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return token.revoked_at is None and token.expires_at > now


def authenticate_oauth_token(session: Session, access_token: str) -> Principal:
    """Resolve an OAuth access token into a principal, or raise Unauthenticated.

    A user token reaches each organisation it was granted while the user is still a
    member there (with the role they have now) and the consent is not revoked; a
    machine client's token reaches the organisation that owns the client.
    """
    token = find_token(session, access_token)
    if token is None:
        raise Unauthenticated("the bearer token is not valid")
    if token.revoked_at is not None:
        raise Unauthenticated("the access token has been revoked")
    if token.expires_at <= utcnow():
        raise Unauthenticated("the access token has expired")
    wanted = {
        uuid.UUID(org): frozenset(scopes) for org, scopes in token.organisation_scopes.items()
    }
    grants: dict[uuid.UUID, Grant] = {}
    if token.user_id is None:
        for org, scopes in wanted.items():
            grants[org] = Grant(org, CLIENT_ROLE, scopes)
    else:
        roles = dict(
            session.execute(
                tenancy.in_organisations(
                    select(Membership.organisation_id, Membership.role).where(
                        Membership.user_id == token.user_id
                    ),
                    wanted,
                )
            ).all()
        )
        consented = set(
            session.scalars(
                tenancy.in_organisations(
                    select(OAuthGrant.organisation_id).where(
                        OAuthGrant.user_id == token.user_id,
                        OAuthGrant.client_id == token.client_id,
                        OAuthGrant.revoked_at.is_(None),
                    ),
                    wanted,
                )
            )
        )
        for org, scopes in wanted.items():
            if org in roles and org in consented:
                grants[org] = Grant(org, roles[org], scopes)
    return Principal(
        kind="user" if token.user_id else "client",
        grants=grants,
        user_id=token.user_id,
        client_id=token.client_id,
    )
