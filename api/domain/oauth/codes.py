"""Authorization codes: issued on consent, exchanged once for tokens.

A code lives at most ten minutes and is stored hashed. It is single-use: presenting
it again is refused and revokes every token its first use issued (RFC 9700 §4.2.4).
The exchange is two steps because the authorization server checks the redirect URI
and the PKCE verifier in between: ``redeemable_code`` finds and locks the code,
``consume_code`` marks it used and issues the tokens in the same transaction, so a
failed check leaves the code unused.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from api.domain import audit, tenancy
from api.domain.base import utcnow
from api.domain.errors import RuleViolation
from api.domain.identity.models import User
from api.domain.oauth.consents import Consent, record_consent
from api.domain.oauth.models import AuthorizationCode, OAuthGrant
from api.domain.oauth.tokens import (
    ACCESS_TTL,
    IssuedToken,
    hash_secret,
    issue_token,
    revoke_issued_from_code,
    scope_of,
)
from api.domain.uow import UnitOfWork

log = logging.getLogger("clover.oauth")

CODE_TTL = timedelta(minutes=10)


class ConsentWithdrawn(RuleViolation):
    """The consent a code was issued under has since been revoked (OAuth ``invalid_grant``)."""


def issue_code(
    *,
    uow: UnitOfWork,
    consent: Consent,
    code: str,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    code_challenge_method: str,
    actor: audit.Actor,
) -> AuthorizationCode:
    """Record the consent and the code it yields, in one transaction."""
    uow.act_as(actor)
    record_consent(uow=uow, consent=consent)
    now = utcnow()
    row = AuthorizationCode(
        code_hash=hash_secret(code),
        client_id=consent.client_id,
        user_id=consent.user_id,
        redirect_uri=redirect_uri,
        scope=scope,
        organisation_ids=[str(o) for o in consent.organisation_scopes],
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        created_at=now,
        expires_at=now + CODE_TTL,
    )
    uow.session.add(row)
    uow.commit()
    return row


def redeemable_code(*, uow: UnitOfWork, code: str, client_id: str) -> AuthorizationCode | None:
    """The unused, unexpired code of this client, locked until ``consume_code`` commits.

    A code used before is refused, and what its first use issued is revoked (committed
    at once: the refusal that follows must not undo it).
    """
    row = uow.session.scalar(
        select(AuthorizationCode)
        .where(AuthorizationCode.code_hash == hash_secret(code))
        .with_for_update()  # a concurrent second use waits, then sees used_at
    )
    if row is None or row.client_id != client_id:
        return None
    if row.used_at is not None:
        log.warning("authorization code %s used twice; revoking its tokens", row.id)
        revoke_issued_from_code(uow.session, row.id)
        uow.commit()
        return None
    if row.expires_at <= utcnow():
        return None
    return row


def code_user(*, uow: UnitOfWork, code: AuthorizationCode) -> User | None:
    return uow.session.get(User, code.user_id)


def consume_code(
    *,
    uow: UnitOfWork,
    code: AuthorizationCode,
    client_id: str,
    with_refresh: bool,
    access_ttl: timedelta = ACCESS_TTL,
) -> IssuedToken:
    """Use the code (from ``redeemable_code``) once: tokens for the scopes still consented.

    Per organisation of the code, the code's scopes ∩ the person's consent there now; a
    consent withdrawn meanwhile drops that organisation, and with none left the code
    is refused.
    """
    if code.client_id != client_id or code.used_at is not None:
        raise ConsentWithdrawn("The code is not valid for this client.")
    requested = set(code.scope.split())
    consents = uow.session.scalars(
        tenancy.in_organisations(
            select(OAuthGrant).where(
                OAuthGrant.user_id == code.user_id,
                OAuthGrant.client_id == code.client_id,
                OAuthGrant.revoked_at.is_(None),
            ),
            code.organisation_ids,
        )
    )
    organisation_scopes = {
        str(c.organisation_id): sorted(requested & set(c.scopes)) for c in consents
    }
    organisation_scopes = {org: s for org, s in organisation_scopes.items() if s}
    if not organisation_scopes:
        raise ConsentWithdrawn("The consent behind this code has been withdrawn.")
    code.used_at = utcnow()
    access, refresh, row = issue_token(
        uow.session,
        client_id=code.client_id,
        user_id=code.user_id,
        organisation_scopes=organisation_scopes,
        scope=scope_of(organisation_scopes),
        with_refresh=with_refresh,
        code_id=code.id,
        access_ttl=access_ttl,
    )
    uow.commit()
    return IssuedToken(access, refresh, row)
