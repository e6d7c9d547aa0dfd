"""OAuth clients, consents and tokens for API tests (tokens issued directly, as the
authorization server would)."""

from __future__ import annotations

import uuid

from api.domain.oauth.models import OAuthGrant
from api.domain.oauth.tokens import issue_token
from tests.api import builders

WEB_APP = {
    "name": "Agency dashboard",
    "client_type": "confidential",
    "redirect_uris": ["https://agency.example.test/callback"],
    "allowed_scopes": ["admin:read", "strategies:read", "strategies:write"],
}


def register(client, org, headers=None, **fields) -> dict:
    return builders.created(
        client.post(
            org.url("/oauth-clients"), headers=headers or org.headers, json={**WEB_APP, **fields}
        )
    )


def consent(database, organisation_id, client_id: str, user_id: uuid.UUID, scopes) -> uuid.UUID:
    with database.session() as session:
        grant = OAuthGrant(
            organisation_id=organisation_id, client_id=client_id, user_id=user_id, scopes=scopes
        )
        session.add(grant)
        session.commit()
        return grant.id


def token(database, client_id: str, user_id, organisation_scopes: dict) -> str:
    """An access token as the token endpoint would issue it (user_id None: client credentials)."""
    scopes = sorted({s for granted in organisation_scopes.values() for s in granted})
    with database.session() as session:
        access, _, _ = issue_token(
            session,
            client_id=client_id,
            user_id=user_id,
            organisation_scopes={str(org): list(s) for org, s in organisation_scopes.items()},
            scope=" ".join(scopes),
            with_refresh=user_id is not None,
        )
        session.commit()
    return access
