"""The Authlib authorization server's bindings: Clover's clients as Authlib clients.

Authlib validates requests, authenticates clients and runs the grants; every read and
write of the database is a use case in ``api.domain.oauth`` over the request's unit
of work (``api.http.context.uow``), and each use case commits its own transaction.

The modules of this package import one way: ``api.oauth`` (``init_app``) imports
``grants`` and ``views``, both import ``server``, and ``server`` imports none of them.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.util import scope_to_list
from flask import Flask, current_app

from api.domain.access import ALL_SCOPES
from api.domain.oauth.clients import find_client
from api.domain.oauth.models import OAuthClient
from api.domain.oauth.tokens import hash_secret
from api.http.context import uow
from api.http.schema import bad_text

EXTENSION = "clover.oauth"


class Client:
    """An ``OAuthClient`` row as Authlib's ``ClientMixin``."""

    def __init__(self, row: OAuthClient) -> None:
        self.row = row

    @property
    def client_id(self) -> str:
        return self.row.client_id

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def organisation_id(self) -> uuid.UUID:
        return self.row.organisation_id

    @property
    def is_public(self) -> bool:
        return self.row.client_type == "public"

    @property
    def allowed_scopes(self) -> frozenset[str]:
        return frozenset(self.row.allowed_scopes or ()) & ALL_SCOPES

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        # redirect_uri is always required and compared exactly.
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The scope of an authorization request: all requested scopes must be allowed."""
        requested = scope_to_list(scope) if scope else sorted(self.allowed_scopes)
        if not requested or not set(requested) <= self.allowed_scopes:
            return None
        return " ".join(dict.fromkeys(requested))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.row.redirect_uris or ())

    def check_client_secret(self, client_secret: str) -> bool:
        if self.is_public or not self.row.secret_hash:
            return False
        return hmac.compare_digest(hash_secret(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            # A public client has no secret; it cannot introspect.
            return method == "none" and endpoint != "introspection"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials" and self.is_public:
            return False
        return grant_type in (self.row.grant_types or ())


def query_client(client_id: str) -> Client | None:
    # A NUL reaches no database (PostgreSQL refuses the query): no such client.
    if not client_id or len(client_id) > 64 or bad_text(client_id):
        return None
    row = find_client(uow=uow(), client_id=client_id)
    return Client(row) if row is not None else None


def save_token(_token: dict, _request) -> None:
    # Nothing left to do: the use case that issued the token has stored and committed it.
    pass


def access_ttl(app: Flask | None = None) -> timedelta:
    settings = (app or current_app).extensions["clover"].settings
    return timedelta(minutes=settings.oauth_access_ttl_minutes)


def create_server(app: Flask) -> AuthorizationServer:
    authorization = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    app.extensions[EXTENSION] = authorization
    return authorization


def server(app: Flask | None = None) -> AuthorizationServer:
    return (app or current_app).extensions[EXTENSION]
