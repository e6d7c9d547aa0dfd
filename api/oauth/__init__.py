"""Clover's own OAuth 2 authorization server (Authlib): authorization code + PKCE,
refresh with rotation, client credentials, revocation, introspection, RFC 8414 metadata.

``init_app`` composes it: the server (``server``), its grants and endpoints
(``grants``) and its pages (``views``), each of which imports only ``server``.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from flask import Flask

from api.domain.access import ALL_SCOPES
from api.oauth import grants, views
from api.oauth.server import SESSION_COOKIE, query_client, save_token


def init_app(app: Flask) -> None:
    """The authorization server, its endpoints and the login/consent session cookie."""
    settings = app.extensions["clover"].settings
    app.secret_key = settings.secret_key
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_PATH="/oauth",  # only the login and consent pages use it
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment == "production",
        OAUTH2_SCOPES_SUPPORTED=sorted(ALL_SCOPES),
    )
    authorization = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    grants.register(authorization)
    app.extensions["clover.oauth"] = authorization
    app.register_blueprint(views.blp)


__all__ = ["init_app"]
