"""Idempotency-Key handling around a create view (the rules live in the domain)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from flask import Response, make_response, request

from api.domain import idempotency
from api.domain.errors import RuleViolation
from api.http.context import clover, current_principal
from api.http.schema import bad_text

HEADER = "Idempotency-Key"
# Headers worth replaying with the stored body.
REPLAYED_HEADERS = ("Location", "ETag", "Content-Type")
# Secrets are shown once: the stored copy of a response never keeps them, so a
# replay answers the same object with these fields null.
SECRET_FIELDS = frozenset({"token", "client_secret", "secret", "feed_url"})


def without_secrets(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and SECRET_FIELDS & data.keys():
        return json.dumps({k: (None if k in SECRET_FIELDS else v) for k, v in data.items()})
    return body


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same" for an idempotency key."""
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def run_idempotently(view, *args, **kwargs) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return make_response(view(*args, **kwargs))
    if not 1 <= len(key) <= 255 or bad_text(key):
        raise RuleViolation(
            "invalid Idempotency-Key",
            errors={HEADER: ["Must be 1 to 255 characters, without NUL characters."]},
        )
    ext = clover()
    caller = current_principal().identity
    ttl = timedelta(hours=ext.settings.idempotency_ttl_hours)
    same_as = fingerprint(request.method, request.path, request.get_data(cache=True))
    with ext.database.session() as session:
        outcome = idempotency.begin(session, caller=caller, key=key, fingerprint=same_as, ttl=ttl)
    if isinstance(outcome, idempotency.Replay):
        response = Response(outcome.body, status=outcome.status_code, headers=outcome.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        response = make_response(view(*args, **kwargs))
    except BaseException:
        _abandon(outcome.record_id)
        raise
    if response.status_code >= 500:
        _abandon(outcome.record_id)
    else:
        with ext.database.session() as session:
            idempotency.finish(
                session,
                outcome.record_id,
                status_code=response.status_code,
                body=without_secrets(response.get_data(as_text=True)),
                headers={h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers},
            )
    return response


def _abandon(record_id) -> None:
    with clover().database.session() as session:
        idempotency.abandon(session, record_id)
