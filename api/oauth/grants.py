"""Grants and token endpoints, bound to Clover's models.

* Authorization code: PKCE with S256 only, required at the authorization endpoint
  (Authlib's ``CodeChallenge`` alone checks only at the token endpoint and allows
  ``plain``). A code is single-use: presenting it again revokes what it issued.
* Refresh token: rotated on every use; presenting an already rotated refresh token
  revokes its whole family (reuse detection).
* Client credentials: confidential clients only, acting in the organisation that
  owns the client, with the requested scopes ∩ the client's allowed scopes.
* Revocation (RFC 7009) revokes the token's family; introspection (RFC 7662) answers
  the token's own client only.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import select

from api.domain.base import utcnow
from api.domain.identity.models import User
from api.domain.oauth.models import AuthorizationCode, OAuthGrant, OAuthToken
from api.domain.oauth.tokens import (
    hash_secret,
    issue_token,
    revoke_family,
    revoke_issued_from_code,
)
from api.http.context import uow as _uow
from api.oauth.server import access_ttl as _ttl

log = logging.getLogger("clover.oauth")

CODE_TTL = timedelta(minutes=10)
# Public clients authenticate with their client_id alone ("none"); PKCE / rotation protect them.
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def _bearer(access: str, refresh: str | None, row: OAuthToken) -> dict:
    token = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int((row.expires_at - row.issued_at).total_seconds()),
        "scope": row.scope,
    }
    if refresh:
        token["refresh_token"] = refresh
    return token


def _scope_of(organisation_scopes: dict[str, list[str]]) -> str:
    return " ".join(sorted({s for scopes in organisation_scopes.values() for s in scopes}))


# --- authorization code + PKCE ------------------------------------------------------------


class S256CodeChallenge(CodeChallenge):
    """PKCE, S256 only, required at both endpoints."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class Code:
    """An ``AuthorizationCode`` row as Authlib's ``AuthorizationCodeMixin``."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code: str, request) -> None:
        now = utcnow()
        data = request.payload.data
        _uow().session.add(
            AuthorizationCode(
                code_hash=hash_secret(code),
                client_id=request.client.get_client_id(),
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                organisation_ids=[str(o) for o in request.organisation_ids],
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
        _uow().flush()

    def query_authorization_code(self, code: str, client) -> Code | None:
        session = _uow().session
        row = session.scalar(
            select(AuthorizationCode)
            .where(AuthorizationCode.code_hash == hash_secret(code))
            .with_for_update()  # a concurrent second use waits, then sees used_at
        )
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            # RFC 9700 §4.2.4: deny, and revoke what the first use issued.
            log.warning("authorization code %s used twice; revoking its tokens", row.id)
            revoke_issued_from_code(session, row.id)
            _uow().commit()
            return None
        if row.expires_at <= utcnow():
            return None
        row.used_at = utcnow()  # committed only with the tokens
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        # Kept (marked used) so that a second use can be detected.
        pass

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return _uow().session.get(User, authorization_code.row.user_id)

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ) -> dict:
        code = self.request.authorization_code.row
        requested = set(scope_to_list(code.scope) or ())
        consents = _uow().session.scalars(
            select(OAuthGrant).where(
                OAuthGrant.user_id == code.user_id,
                OAuthGrant.client_id == code.client_id,
                OAuthGrant.organisation_id.in_(code.organisation_ids),
                OAuthGrant.revoked_at.is_(None),
            )
        )
        organisation_scopes = {
            str(c.organisation_id): sorted(requested & set(c.scopes)) for c in consents
        }
        organisation_scopes = {org: s for org, s in organisation_scopes.items() if s}
        if not organisation_scopes:
            raise InvalidGrantError("The consent behind this code has been withdrawn.")
        access, refresh, row = issue_token(
            _uow().session,
            client_id=code.client_id,
            user_id=code.user_id,
            organisation_scopes=organisation_scopes,
            scope=_scope_of(organisation_scopes),
            with_refresh=include_refresh_token,
            code_id=code.id,
            access_ttl=_ttl(),
        )
        return _bearer(access, refresh, row)


# --- refresh token with rotation and reuse detection --------------------------------------


class StoredToken:
    """An ``OAuthToken`` row as Authlib's ``TokenMixin``, found by its access or refresh token."""

    def __init__(self, row: OAuthToken, kind: str) -> None:
        self.row = row
        self.kind = kind  # "access_token" or "refresh_token"

    def check_client(self, client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_at(self):
        if self.kind == "refresh_token":
            return self.row.refresh_expires_at
        return self.row.expires_at

    def is_expired(self) -> bool:
        expires_at = self.get_expires_at()
        return expires_at is None or expires_at <= utcnow()

    def is_revoked(self) -> bool:
        if self.row.revoked_at is not None:
            return True
        return self.kind == "refresh_token" and self.row.refreshed_at is not None


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredToken | None:
        session = _uow().session
        row = session.scalar(
            select(OAuthToken)
            .where(OAuthToken.refresh_token_hash == hash_secret(refresh_token))
            .with_for_update()  # a concurrent second use waits, then sees refreshed_at
        )
        if row is None or row.client_id != self.request.client.get_client_id():
            return None
        if row.refreshed_at is not None:
            log.warning("rotated refresh token of family %s used again; revoking it", row.family)
            revoke_family(session, row.family)
            _uow().commit()
            return None
        token = StoredToken(row, "refresh_token")
        if token.is_revoked() or token.is_expired():
            return None
        return token

    def authenticate_user(self, refresh_token: StoredToken) -> User | None:
        if refresh_token.row.user_id is None:
            return None
        return _uow().session.get(User, refresh_token.row.user_id)

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ) -> dict:
        old = self.request.refresh_token.row
        wanted = set(scope_to_list(scope) or ())
        organisation_scopes = {
            org: sorted(set(scopes) & wanted) for org, scopes in old.organisation_scopes.items()
        }
        organisation_scopes = {org: s for org, s in organisation_scopes.items() if s}
        if not organisation_scopes:
            raise InvalidScopeError()
        access, refresh, row = issue_token(
            _uow().session,
            client_id=old.client_id,
            user_id=old.user_id,
            organisation_scopes=organisation_scopes,
            scope=_scope_of(organisation_scopes),
            with_refresh=True,
            family=old.family,
            code_id=old.code_id,
            access_ttl=_ttl(),
        )
        return _bearer(access, refresh, row)

    def revoke_old_credential(self, refresh_token: StoredToken) -> None:
        refresh_token.row.refreshed_at = utcnow()


# --- client credentials -------------------------------------------------------------------


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # "none" lets a public client be identified so that it gets unauthorized_client.
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=False
    ) -> dict:
        client = self.request.client
        requested = set(scope_to_list(scope) or ()) or set(client.allowed_scopes)
        granted = sorted(requested & client.allowed_scopes)
        if not granted:
            raise InvalidScopeError("None of the requested scopes is allowed for this client.")
        organisation_scopes = {str(client.organisation_id): granted}
        access, _, row = issue_token(
            _uow().session,
            client_id=client.get_client_id(),
            user_id=None,
            organisation_scopes=organisation_scopes,
            scope=" ".join(granted),
            with_refresh=False,
            access_ttl=_ttl(),
        )
        return _bearer(access, None, row)


# --- revocation and introspection ---------------------------------------------------------


def _find_token(token_string: str, hint: str | None) -> StoredToken | None:
    session = _uow().session
    digest = hash_secret(token_string)
    kinds = ["access_token", "refresh_token"]
    if hint == "refresh_token":
        kinds.reverse()
    for kind in kinds:
        column = (
            OAuthToken.access_token_hash
            if kind == "access_token"
            else OAuthToken.refresh_token_hash
        )
        row = session.scalar(select(OAuthToken).where(column == digest))
        if row is not None:
            return StoredToken(row, kind)
    return None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def revoke_token(self, token: StoredToken, request) -> None:
        # Either token of a pair revokes the whole rotation family.
        revoke_family(_uow().session, token.row.family)
        _uow().commit()


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def check_permission(self, token: StoredToken, client, request) -> bool:
        # A client may introspect only the tokens issued to it.
        return token.check_client(client)

    def introspect_token(self, token: StoredToken) -> dict:
        row = token.row
        user = _uow().session.get(User, row.user_id) if row.user_id else None
        payload = {
            "active": True,
            "scope": row.scope,
            "client_id": row.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "exp": int(token.get_expires_at().timestamp()),
            "iat": int(row.issued_at.timestamp()),
            "organisations": row.organisation_scopes,
        }
        if user is not None:
            payload["username"] = user.email
            payload["sub"] = str(user.id)
        return payload


def register(server) -> None:
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
