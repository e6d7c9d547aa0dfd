"""Refresh tokens: rotated on every use, with reuse detection.

Each refresh issues a new pair in the same family and retires the old refresh
token. Presenting a retired refresh token again means it leaked (or the client
raced itself): the whole family is revoked. As with codes the exchange is two steps
around the authorization server's checks: ``redeemable_refresh_token`` finds and
locks, ``rotate_refresh_token`` issues and retires in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select

from api.domain.base import utcnow
from api.domain.identity.models import User
from api.domain.oauth.models import OAuthToken
from api.domain.oauth.tokens import (
    ACCESS_TTL,
    IssuedToken,
    ScopeNotAllowed,
    hash_secret,
    is_refreshable,
    issue_token,
    revoke_family,
    scope_of,
)
from api.domain.uow import UnitOfWork

log = logging.getLogger("clover.oauth")


def redeemable_refresh_token(
    *, uow: UnitOfWork, refresh_token: str, client_id: str
) -> OAuthToken | None:
    """The live refresh token of this client, locked until ``rotate_refresh_token`` commits.

    One already rotated revokes its family (committed at once) and is refused.
    """
    row = uow.session.scalar(
        select(OAuthToken)
        .where(OAuthToken.refresh_token_hash == hash_secret(refresh_token))
        .with_for_update()  # a concurrent second use waits, then sees refreshed_at
    )
    if row is None or row.client_id != client_id:
        return None
    if row.refreshed_at is not None:
        log.warning("rotated refresh token of family %s used again; revoking it", row.family)
        revoke_family(uow.session, row.family)
        uow.commit()
        return None
    if not is_refreshable(row):
        return None
    return row


def refresh_user(*, uow: UnitOfWork, token: OAuthToken) -> User | None:
    """The person a refresh token acts for; a machine client's token has nobody."""
    return uow.session.get(User, token.user_id) if token.user_id is not None else None


def rotate_refresh_token(
    *,
    uow: UnitOfWork,
    token: OAuthToken,
    scopes: Iterable[str],
    access_ttl: timedelta = ACCESS_TTL,
) -> IssuedToken:
    """A new pair in the same family, for ``scopes`` ∩ what the old one held; retires the old."""
    wanted = set(scopes)
    organisation_scopes = {
        org: sorted(set(granted) & wanted) for org, granted in token.organisation_scopes.items()
    }
    organisation_scopes = {org: s for org, s in organisation_scopes.items() if s}
    if not organisation_scopes:
        raise ScopeNotAllowed("None of the requested scopes is held by the refresh token.")
    access, refresh, row = issue_token(
        uow.session,
        client_id=token.client_id,
        user_id=token.user_id,
        organisation_scopes=organisation_scopes,
        scope=scope_of(organisation_scopes),
        with_refresh=True,
        family=token.family,
        code_id=token.code_id,
        access_ttl=access_ttl,
    )
    token.refreshed_at = utcnow()
    uow.commit()
    return IssuedToken(access, refresh, row)
