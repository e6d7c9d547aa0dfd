"""Clover's own OAuth 2 authorization server (Authlib): authorization code + PKCE,
refresh with rotation, client credentials, revocation, introspection, RFC 8414 metadata.

The use cases live in ``api.domain.oauth``; the modules here adapt them to Authlib and
import one way: this package imports ``grants`` and ``views``, both import ``server``.
"""

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from api.domain.access import ALL_SCOPES
from api.oauth import grants, views
from api.oauth.server import create_server

SESSION_COOKIE = "clover_oauth"


class LoginSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, opened without its signer for a request with no cookie.

    The session is the login and consent pages' only (its cookie's path is ``/oauth``),
    so an API call carries no cookie at all: it gets the same empty session Flask would
    give it, without building a signing serializer on every request. A request with a
    cookie header goes through Flask's own ``open_session`` unchanged.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """The authorization server, its endpoints and the login/consent session cookie."""
    settings = app.extensions["clover"].settings
    app.secret_key = settings.secret_key
    app.session_interface = LoginSessions()
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
