"""The access log: one line per request (request id, organisation, caller, latency)."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from structlog.contextvars import clear_contextvars

from api.logs import redact


def init_app(app: Flask) -> None:
    log = logging.getLogger("clover.request")

    @app.before_request
    def _start_clock():
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("started")
        principal = g.get("principal")
        organisation_id = (request.view_args or {}).get("organisation_id")
        path = redact(request.path)  # a calendar feed's address holds its token
        log.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "fields": {
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 2)
                    if started
                    else None,
                    "organisation_id": str(organisation_id) if organisation_id else None,
                    "caller": principal.identity if principal else None,
                }
            },
        )
        return response

    @app.teardown_request
    def _forget_context(_exc):
        # The thread serves other requests next (and tests call code directly).
        clear_contextvars()
