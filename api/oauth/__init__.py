"""Clover's own OAuth 2 authorization server (Authlib): authorization code + PKCE,
refresh with rotation, client credentials, revocation, introspection, RFC 8414 metadata."""

from api.oauth.server import init_app

__all__ = ["init_app"]
