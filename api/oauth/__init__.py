"""Clover's own OAuth 2 authorization server (Authlib): authorization code + PKCE,
refresh with rotation, client credentials, revocation, introspection, RFC 8414 metadata.

The use cases live in ``api.domain.oauth``; the modules here adapt them to Authlib and
import one way: this package imports ``grants`` and ``views``, both import ``server``.
"""

from flask import Flask

from api.domain.access import ALL_SCOPES
from api.oauth import grants, views
from api.oauth.server import create_server

SESSION_COOKIE = "clover_oauth"


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
    grants.register(create_server(app))
    app.register_blueprint(views.blp)


__all__ = ["init_app"]
