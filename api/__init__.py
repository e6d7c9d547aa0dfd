"""Clover's HTTP API. ``create_app`` wires settings → extensions → auth → blueprints."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, send_from_directory
from flask_cors import CORS
from swagger_ui_bundle import swagger_ui_path
from werkzeug.middleware.proxy_fix import ProxyFix

from api import logs, oauth
from api.config import Settings
from api.db import Database, database_for
from api.domain import models  # noqa: F401  (every model mapped before the first query)
from api.domain.media.storage import DiskStorage, MediaStorage
from api.errors import CloverApi
from api.http import access_log, conditional, context, cors, limits, metrics, principals
from api.jobs import dispatcher
from api.resources import health
from api.resources.v1 import BLUEPRINTS

API_VERSION = "1.0.0"
DESCRIPTION = """\
Clover runs social media marketing as a business process: a strategy tied to
business objectives, channels, a rolling content plan, campaigns in
plan-do-check-act cycles, and KPIs measured from the channels' data.

Everything an organisation owns lives under `/v1/organisations/{organisation_id}/`.
Authenticate with `Authorization: Bearer <token>`: an organisation API key, or an
OAuth 2 access token from Clover's own authorization server (`/oauth/authorize`
with PKCE, `/oauth/token`; see `/.well-known/oauth-authorization-server`). Errors are RFC 9457
`application/problem+json` documents; another organisation's objects are 404.
Lists are cursor-paged (`limit`, `cursor` → `items`, `next_cursor`). Reads return
an `ETag`; writes may send `If-Match` (optional) and get 412 when it is stale.
Days are accepted from 1970-01-01 to 2999-12-31 (months 1970-01 to 2999-12) and
date-times, once in UTC, within the same range; text may not hold NUL characters or
unpaired surrogates, and numbers may not run past 100 digits (422, field named).
Creates accept an `Idempotency-Key` header (metric-point batches and imports are
idempotent by themselves: they upsert).
Requests are rate-limited per caller, per organisation and (sign-in endpoints) per
client address: every answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (seconds) for the tightest limit; over it, a 429 with `Retry-After`.
"""


class CloverFlask(Flask):
    """Flask, minus its own multi-line report of unhandled errors.

    The 500 handler in ``api.errors`` logs each one once, as a JSON line with the
    request id; Flask's logger would log it a second time, as text without one.
    """

    def log_exception(self, exc_info) -> None:
        return None


@dataclass
class Clover:
    """What the app holds for its requests."""

    settings: Settings
    database: Database
    jobs: object
    media: MediaStorage


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)

    app = CloverFlask(__name__, static_folder=None)
    if settings.trusted_proxies:
        # Behind TLS terminators: the OAuth server sees https and the public host.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="Clover API",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        # No call to the public validator: the docs make no request off this host.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None, "deepLinking": True},
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION},
            "security": [{"bearer": []}],
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An organisation API key",
                    }
                }
            },
        },
    )
    app.extensions["clover"] = Clover(
        settings, database_for(settings), dispatcher(settings), DiskStorage(settings.media_dir)
    )
    app.json.sort_keys = False

    context.init_app(app)
    access_log.init_app(app)
    principals.init_app(app)  # API keys' principals kept while their generation holds
    metrics.init_app(app)  # counts every answer, the rate limits' 429s too; GET /metrics
    limits.init_app(app)  # rate limits: before any view, headers on every answer
    conditional.init_app(app)  # If-None-Match on every GET with an ETag: 304
    if settings.cors_origins:
        CORS(
            app,
            origins=list(settings.cors_origins),
            expose_headers=["ETag", "Link", "Location", "X-Request-ID"],
        )

    @app.get("/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_path, filename)

    @app.get("/favicon.ico")
    def favicon():
        # Browsers ask every host for one; answer rather than log a 404 per docs visit.
        return send_from_directory(swagger_ui_path, "favicon-32x32.png", mimetype="image/png")

    api = CloverApi(app, spec_kwargs={"extra_plugins": [conditional.ConditionalReadsPlugin()]})
    health.init_app(app)
    api.register_blueprint(health.blp)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.extensions["clover.api"] = api
    oauth.init_app(app)  # the authorization server: /oauth/* and its metadata
    cors.init_app(app)  # and CORS for the origins of registered public clients
    return app
