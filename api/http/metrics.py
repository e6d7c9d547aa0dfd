"""Request metrics, counted for every answer, and ``GET /metrics`` for Prometheus.

A request is counted under its operation: the operationId of the view that
answered (``campaigns_update``), the Flask endpoint of a view outside the OpenAPI
document (the OAuth server's), or ``unmatched`` when no route matched. Never the
raw path, so the series stay as many as the operations.

``GET /metrics`` is an operator's route, outside the OpenAPI document and the rate
limits: it answers only to ``Authorization: Bearer <CLOVER_METRICS_TOKEN>`` (401
otherwise), and is not there at all (404) while that setting is empty.
"""

from __future__ import annotations

import hmac
import time
from functools import cache

from flask import Flask, Response, current_app, g, request

from api.errors import problem
from api.jobs import QUEUES, RQDispatcher
from api.observability import exposition
from api.observability import metrics as recorded

PATH = "/metrics"
UNMATCHED = "unmatched"


@cache
def _operation_id(view_function, method: str) -> str | None:
    view_class = getattr(view_function, "view_class", None)
    handler = getattr(view_class, method.lower(), None) if view_class else view_function
    doc = getattr(handler, "_apidoc", {}).get("manual_doc", {})
    return doc.get("operationId")


def operation() -> str:
    """The answering operation's stable name (see the module's docstring)."""
    if request.url_rule is None or request.endpoint is None:
        return UNMATCHED
    view_function = current_app.view_functions.get(request.endpoint)
    named = _operation_id(view_function, request.method) if view_function else None
    return named or request.endpoint


def _authorised(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def init_app(app: Flask) -> None:
    ext = app.extensions["clover"]
    settings = ext.settings

    @app.before_request
    def _start_clock():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.get("metrics_started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        recorded.request_answered(operation(), request.method, response.status_code, seconds)
        return response

    def depths() -> dict[str, int]:
        return {name: ext.jobs.queue(name).count for name in QUEUES}

    @app.get(PATH)
    def metrics():
        if not settings.metrics_token:
            return problem(404, detail="nothing is found at this path")
        if not _authorised(settings.metrics_token):
            return problem(
                401,
                detail="this needs the metrics token (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        body = exposition.scrape(
            settings.prometheus_multiproc_dir or None,
            depths if isinstance(ext.jobs, RQDispatcher) else None,
        )
        return Response(body, mimetype=None, content_type=exposition.CONTENT_TYPE_LATEST)
