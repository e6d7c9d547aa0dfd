"""Consents: which clients members let act in this organisation, and taking that back.

A grant is one member's consent that one client may act for them in this
organisation. The client may belong to another organisation (an agency), so its
name is read across tenants (``tenancy.across_organisations``): a client's name and
id are public (the consent page shows them to anyone).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from api.domain import tenancy
from api.domain.access import ROLE_SCOPES, Principal
from api.domain.base import utcnow
from api.domain.errors import PermissionDenied
from api.domain.identity.models import User
from api.domain.oauth.models import OAuthClient, OAuthGrant, OAuthToken
from api.domain.oauth.tokens import find_token
from api.domain.organisations.models import Organisation
from api.domain.organisations.service import OrganisationDraft, create_organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork


@dataclass(frozen=True)
class GrantView:
    id: uuid.UUID
    client_id: str
    client_name: str | None
    user_id: uuid.UUID
    user_email: str | None
    scopes: list[str]
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None


def _client_names(session, client_ids: set[str]) -> dict[str, str]:
    if not client_ids:
        return {}
    rows = session.execute(
        tenancy.across_organisations(
            select(OAuthClient.client_id, OAuthClient.name).where(
                OAuthClient.client_id.in_(sorted(client_ids))
            )
        )
    )
    return dict(rows.all())


def _views(session, grants: list[OAuthGrant]) -> list[GrantView]:
    names = _client_names(session, {g.client_id for g in grants})
    user_ids = {g.user_id for g in grants}
    emails = (
        dict(session.execute(select(User.id, User.email).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    return [
        GrantView(
            id=g.id,
            client_id=g.client_id,
            client_name=names.get(g.client_id),
            user_id=g.user_id,
            user_email=emails.get(g.user_id),
            scopes=sorted(g.scopes),
            created_at=g.created_at,
            updated_at=g.updated_at,
            revoked_at=g.revoked_at,
        )
        for g in grants
    ]


def list_grants(
    *, uow: UnitOfWork, page: PageRequest, active: bool | None = None
) -> Page[GrantView]:
    stmt = select(OAuthGrant)
    if active is not None:
        stmt = stmt.where(
            OAuthGrant.revoked_at.is_(None) if active else OAuthGrant.revoked_at.is_not(None)
        )
    found = paginate(uow.session, stmt, OAuthGrant.id, page)
    return Page(_views(uow.session, found.items), found.next_cursor)


def _get(uow: UnitOfWork, id_: uuid.UUID) -> OAuthGrant:
    return tenancy.get(uow.session, OAuthGrant, id_, what="OAuth grant")


def get_grant(*, uow: UnitOfWork, id_: uuid.UUID) -> GrantView:
    return _views(uow.session, [_get(uow, id_)])[0]


def revoke_grant(*, uow: UnitOfWork, id_: uuid.UUID) -> None:
    """Take a consent back: the client's tokens for that member lose this organisation now.

    authenticate_oauth_token already ignores an organisation whose grant is revoked;
    the organisation is also struck from those tokens, so that consenting again later
    never revives an old token (a token left with no organisation is revoked).
    """
    grant = _get(uow, id_)
    if grant.revoked_at is None:
        grant.revoked_at = utcnow()
    org = str(uow.tenant.organisation_id)
    tokens = uow.session.scalars(
        select(OAuthToken).where(
            OAuthToken.client_id == grant.client_id,
            OAuthToken.user_id == grant.user_id,
            OAuthToken.revoked_at.is_(None),
        )
    )
    for token in tokens:
        if org in token.organisation_scopes:
            token.organisation_scopes = {
                k: v for k, v in token.organisation_scopes.items() if k != org
            }
            if not token.organisation_scopes:
                token.revoked_at = utcnow()
    uow.commit()


def create_organisation_for_user(
    *, uow: UnitOfWork, principal: Principal, access_token: str, draft: OrganisationDraft
) -> Organisation:
    """A new organisation owned by the user of an OAuth token, reachable by that token.

    Records the owner's consent for the token's client (the owner scopes the client
    may have) and adds the organisation to the calling token with the token's own
    scopes, so the client can use it at once; refreshed tokens inherit it.
    """
    if principal.kind != "user" or principal.user_id is None or principal.client_id is None:
        raise PermissionDenied(
            "creating an organisation needs an OAuth access token issued to a user "
            "(authorization code flow); an API key or a client-credentials token "
            "belongs to one organisation"
        )
    organisation = create_organisation(uow=uow, draft=draft, owner_id=principal.user_id)
    client_scopes = uow.session.scalar(
        tenancy.across_organisations(
            select(OAuthClient.allowed_scopes).where(OAuthClient.client_id == principal.client_id)
        )
    )
    owner_scopes = ROLE_SCOPES["owner"] & set(client_scopes or ())
    uow.session.add(
        OAuthGrant(
            organisation_id=organisation.id,
            client_id=principal.client_id,
            user_id=principal.user_id,
            scopes=sorted(owner_scopes),
        )
    )
    token = find_token(uow.session, access_token)
    if token is not None:
        token_scopes = sorted(set(token.scope.split()) & owner_scopes)
        token.organisation_scopes = {
            **token.organisation_scopes,
            str(organisation.id): token_scopes,
        }
    uow.commit()
    return organisation
