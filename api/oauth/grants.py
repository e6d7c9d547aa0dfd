"""Authlib's grants and token endpoints, adapted to the use cases of ``api.domain.oauth``.

* Authorization code: PKCE with S256 only, required at the authorization endpoint
  (Authlib's ``CodeChallenge`` alone checks only at the token endpoint and allows
  ``plain``). A code is single-use: presenting it again revokes what it issued
  (``codes``).
* Refresh token: rotated on every use; presenting an already rotated refresh token
  revokes its whole family (``refresh``).
* Client credentials: confidential clients only, acting in the organisation that
  owns the client, with the requested scopes ∩ the client's allowed scopes.
* Revocation (RFC 7009) revokes the token's family; introspection (RFC 7662) answers
  the token's own client only.

Nothing here touches the database: each method calls one use case, which commits
its own transaction, and turns the domain's refusals into OAuth errors.
"""

from __future__ import annotations

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

from api.domain.base import utcnow
from api.domain.identity.models import User
from api.domain.oauth import codes, refresh, tokens
from api.domain.oauth.codes import ConsentWithdrawn
from api.domain.oauth.models import AuthorizationCode, OAuthToken
from api.domain.oauth.tokens import IssuedToken, ScopeNotAllowed
from api.http.context import uow
from api.oauth.server import access_ttl

# Public clients authenticate with their client_id alone ("none"); PKCE / rotation protect them.
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def _bearer(issued: IssuedToken) -> dict:
    row = issued.row
    token = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": int((row.expires_at - row.issued_at).total_seconds()),
        "scope": row.scope,
    }
    if issued.refresh_token:
        token["refresh_token"] = issued.refresh_token
    return token


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
        # The consent view put the person's decision (a domain Consent) on the request.
        data = request.payload.data
        codes.issue_code(
            uow=uow(),
            consent=request.consent,
            code=code,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            actor=request.actor,
        )

    def query_authorization_code(self, code: str, client) -> Code | None:
        row = codes.redeemable_code(uow=uow(), code=code, client_id=client.get_client_id())
        return Code(row) if row is not None else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        # Kept (marked used by consume_code) so that a second use can be detected.
        pass

    def authenticate_user(self, authorization_code: Code) -> User | None:
        return codes.code_user(uow=uow(), code=authorization_code.row)

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ) -> dict:
        try:
            issued = codes.consume_code(
                uow=uow(),
                code=self.request.authorization_code.row,
                client_id=self.request.client.get_client_id(),
                with_refresh=include_refresh_token,
                access_ttl=access_ttl(),
            )
        except ConsentWithdrawn as refused:
            raise InvalidGrantError(refused.detail) from None
        return _bearer(issued)


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
        row = refresh.redeemable_refresh_token(
            uow=uow(), refresh_token=refresh_token, client_id=self.request.client.get_client_id()
        )
        return StoredToken(row, "refresh_token") if row is not None else None

    def authenticate_user(self, refresh_token: StoredToken) -> User | None:
        return refresh.refresh_user(uow=uow(), token=refresh_token.row)

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=True
    ) -> dict:
        try:
            issued = refresh.rotate_refresh_token(
                uow=uow(),
                token=self.request.refresh_token.row,
                scopes=scope_to_list(scope) or (),
                access_ttl=access_ttl(),
            )
        except ScopeNotAllowed:
            raise InvalidScopeError() from None
        return _bearer(issued)

    def revoke_old_credential(self, refresh_token: StoredToken) -> None:
        # rotate_refresh_token retired it in the transaction that issued its successor.
        pass


# --- client credentials -------------------------------------------------------------------


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # "none" lets a public client be identified so that it gets unauthorized_client.
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def generate_token(
        self, user=None, scope=None, grant_type=None, expires_in=None, include_refresh_token=False
    ) -> dict:
        client = self.request.client
        try:
            issued = tokens.issue_client_token(
                uow=uow(),
                client_id=client.get_client_id(),
                organisation_id=client.organisation_id,
                allowed_scopes=client.allowed_scopes,
                requested_scopes=set(scope_to_list(scope) or ()),
                access_ttl=access_ttl(),
            )
        except ScopeNotAllowed as refused:
            raise InvalidScopeError(refused.detail) from None
        return _bearer(issued)


# --- revocation and introspection ---------------------------------------------------------


def _find_token(token_string: str, hint: str | None) -> StoredToken | None:
    found = tokens.lookup_token(uow=uow(), token=token_string, hint=hint)
    return StoredToken(found.row, found.kind) if found is not None else None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def revoke_token(self, token: StoredToken, request) -> None:
        tokens.revoke_token(uow=uow(), token=token.row)


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return _find_token(token_string, token_type_hint)

    def check_permission(self, token: StoredToken, client, request) -> bool:
        # A client may introspect only the tokens issued to it.
        return token.check_client(client)

    def introspect_token(self, token: StoredToken) -> dict:
        row = token.row
        user = tokens.token_user(uow=uow(), token=row)
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
