"""Per-request state: request id, the unit of work, the caller."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime

from flask import Flask, current_app, g, request
from structlog.contextvars import clear_contextvars

from api import logs
from api.domain.access import Principal, Tenant, system_tenant
from api.domain.audit import Actor
from api.domain.errors import NotFound, Unauthenticated
from api.domain.identity.secrets import KEY_PREFIX
from api.domain.identity.service import authenticate_api_key, record_api_key_use
from api.domain.oauth.tokens import authenticate_oauth_token
from api.domain.plan.feeds import authenticate_plan_feed, record_plan_feed_use
from api.domain.uow import UnitOfWork
from api.errors import problem
from api.http import principals
from api.http.schema import bad_text

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = logging.getLogger("clover.auth")


def clover(app: Flask | None = None):
    return (app or current_app).extensions["clover"]


def uow() -> UnitOfWork:
    """The request's unit of work, opened on first use and closed at teardown."""
    if "uow" not in g:
        ext = clover()
        g.uow = UnitOfWork(ext.database.session(), ext.jobs)
    return g.uow


def current_principal() -> Principal:
    if "principal" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise Unauthenticated("this needs a bearer token (Authorization: Bearer <key>)")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
        if bad_text(token):
            raise Unauthenticated("the bearer token is not valid")
        if token.startswith(KEY_PREFIX + "_"):
            generation = principals.generation_before_read()
            g.principal = authenticate_api_key(uow().session, token, record_use=_record_key_use)
            principals.keep(token, g.principal, generation)
        else:
            g.principal = authenticate_oauth_token(uow().session, token)
        logs.bind(caller=g.principal.identity)
    return g.principal


def _record_key_use(key_id: uuid.UUID, organisation_id: uuid.UUID, at: datetime) -> bool:
    """Write a key's last_used_at on a connection of its own, never the request's.

    The request's transaction stays the request's to commit or roll back; a failure
    here (a lock, a lost connection) loses one timestamp and never the request.
    """
    try:
        with UnitOfWork(clover().database.session()) as work:
            work.open_for(system_tenant(organisation_id))
            record_api_key_use(uow=work, key_id=key_id, at=at)
    except Exception:
        log.warning("last_used_at of API key %s was not recorded", key_id, exc_info=True)
        return False
    return True


def open_plan_feed(token: str) -> uuid.UUID:
    """Open the request's unit of work for the calendar feed a URL's token opens.

    Calendar apps send no bearer header: the token in the path is the credential,
    and it reads only its organisation's plan. Any token that opens nothing is
    the same 404. Returns the feed's id.
    """
    if bad_text(token) or len(token) > 200:
        raise NotFound("no calendar feed at this address")
    feed, principal = authenticate_plan_feed(uow().session, token, record_use=_record_feed_use)
    g.principal = principal
    logs.bind(caller=principal.identity)
    organisation_id = feed.organisation_id
    uow().open_for(
        Tenant(organisation_id, principal, principal.grants[organisation_id]),
        Actor(request_id=g.get("request_id")),
    )
    return feed.id


def _record_feed_use(feed_id: uuid.UUID, organisation_id: uuid.UUID, at: datetime) -> bool:
    """Write a feed's last_used_at on a connection of its own (as for API keys)."""
    try:
        with UnitOfWork(clover().database.session()) as work:
            work.open_for(system_tenant(organisation_id))
            record_plan_feed_use(uow=work, feed_id=feed_id, at=at)
    except Exception:
        log.warning("last_used_at of plan feed %s was not recorded", feed_id, exc_info=True)
        return False
    return True


def bearer_token() -> str | None:
    """The request's bearer token (after ``current_principal`` has accepted it)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def init_app(app: Flask) -> None:
    @app.before_request
    def _request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Every line of this request carries its id, and so does every job it queues.
        clear_contextvars()
        logs.bind(request_id=g.request_id)

    @app.before_request
    def _refuse_unusable_path():
        # No stored key or name holds a NUL or an unpaired surrogate: nothing is there.
        if any(isinstance(v, str) and bad_text(v) for v in (request.view_args or {}).values()):
            return problem(404, detail="nothing is found at this path")
        return None

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def _close_uow(_exc):
        work = g.pop("uow", None)
        if work is not None:
            work.close()
