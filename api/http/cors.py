"""CORS for the browser origins registered on public OAuth clients.

The static ``CLOVER_CORS_ORIGINS`` stay with flask-cors in ``create_app``; this
hook adds the same headers for an origin listed on any active public client's
``allowed_origins``. The origin set is read at most once per ``TTL_SECONDS`` per
process (and again at once after this process registers, changes or revokes a
client), so a request costs no query. Bearer tokens, never cookies: no
``Access-Control-Allow-Credentials``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, has_app_context, request
from sqlalchemy.exc import SQLAlchemyError

from api.domain.oauth.clients import active_origins
from api.http.context import clover

log = logging.getLogger("clover.cors")
EXTENSION = "clover.client_origins"
TTL_SECONDS = 30.0
EXPOSED_HEADERS = "ETag, Link, Location, X-Request-ID"
# If-None-Match: a browser app revalidates what it holds (a 304) like any client.
ALLOWED_HEADERS = (
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, X-Request-ID"
)
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
PREFLIGHT_MAX_AGE = "600"


class OriginCache:
    """A set loaded by ``load`` and kept for ``ttl`` seconds."""

    def __init__(self, load: Callable[[], frozenset[str]], ttl: float = TTL_SECONDS) -> None:
        self._load = load
        self.ttl = ttl
        self._origins: frozenset[str] = frozenset()
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self) -> frozenset[str]:
        now = time.monotonic()
        if now < self._expires:
            return self._origins
        with self._lock:
            if now >= self._expires:
                try:
                    self._origins = self._load()
                except SQLAlchemyError:
                    log.exception("could not read the OAuth clients' origins")
                    return self._origins  # try again on the next request
                self._expires = time.monotonic() + self.ttl
        return self._origins

    def forget(self) -> None:
        self._expires = 0.0


def init_app(app: Flask) -> None:
    """Answer registered client origins with CORS headers (idempotent)."""
    if EXTENSION in app.extensions:
        return

    def load() -> frozenset[str]:
        with clover(app).database.session() as session:
            return active_origins(session)

    cache = app.extensions[EXTENSION] = OriginCache(load)

    @app.after_request
    def _client_origin_cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if not origin or "Access-Control-Allow-Origin" in response.headers:
            return response  # not a cross-origin request, or flask-cors answered it
        if origin not in cache.get():
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.vary.add("Origin")
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response


def forget_origins() -> None:
    """Reload the origin set on the next request (after a client changed)."""
    if has_app_context():
        cache = current_app.extensions.get(EXTENSION)
        if cache is not None:
            cache.forget()
