"""A flask-smorest Blueprint whose decorators both enforce and document.

``@blp.operation(...)`` on every view method names the operation, resolves the
caller, authorises it for the organisation in the URL (scoping the unit of
work to it), applies Idempotency-Key semantics to creates, and documents the
security scheme and the error responses that follow from all that.
"""

from __future__ import annotations

import http
from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from webargs.core import is_json

from api.domain.access import Tenant
from api.domain.audit import Actor
from api.domain.errors import StaleVersion
from api.http.context import current_principal, uow
from api.http.idempotency import HEADER as IDEMPOTENCY_HEADER
from api.http.idempotency import run_idempotently
from api.http.json_types import TypedJsonParser
from api.http.security import operation_security, register_security_schemes

IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "ETag from an earlier read; the write is refused with 412 if it is stale.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Unique key for this create (at most 255 characters, kept 24 h). Repeating the "
        "request with the same key and body replays the first response; the same key "
        "with another body is a 422; while the first is running, a 409."
    ),
    "schema": {"type": "string", "maxLength": 255},
}
ETAG_HEADER = {"ETag": {"description": "Version of the resource", "schema": {"type": "string"}}}


def etag(obj) -> str:
    return f'"{obj.version}"'


def saved(obj, status: int = 200, location: str | None = None):
    """A view's return value for one versioned entity: body, status, ETag (and Location)."""
    headers = {"ETag": etag(obj)}
    if location:
        headers["Location"] = location
    return obj, status, headers


def expected_version() -> int | None:
    """The version named by If-Match, None when absent or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    # Versions are small integers: a longer tag names none (and int() refuses 4,300 digits).
    if not (tag.isascii() and tag.isdigit() and len(tag) <= 18):
        raise StaleVersion("If-Match does not name a version of this resource")
    return int(tag)


def actor_of(principal) -> Actor:
    return Actor(
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        client_id=principal.client_id,
        request_id=g.get("request_id"),
    )


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = TypedJsonParser()

    def register_views_in_doc(self, api, app, spec, *, name, parameters):
        # The operations below name the ``oauth2`` scheme: make sure the spec declares it.
        register_security_schemes(spec)
        super().register_views_in_doc(api, app, spec, name=name, parameters=parameters)

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        """As flask-smorest's, and a required JSON body is required: the spec says so.

        webargs reads a missing or non-JSON body as ``{}``, so a PATCH without one
        would succeed; a generated client trusting ``required: true`` never sends
        that, and a hand-written one should hear that it sent nothing.
        """
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return parse

        def decorator(func):
            parsed = parse(func)

            @wraps(parsed)
            def with_body(*args, **kw):
                _require_json_body()
                return parsed(*args, **kw)

            return with_body

        return decorator

    def operation(
        self,
        operation_id: str,
        *,
        scope: str | None = None,
        public: bool = False,
        tenant: bool = True,
        idempotent: bool = False,
        versioned: bool = False,
    ):
        """Enforce and document one operation.

        public: no credentials needed. tenant: the URL names an organisation, the
        caller must reach it (404 otherwise) and hold ``scope`` there (403).
        """

        def decorator(func):
            @wraps(func)
            def enforced(*args, **kwargs):
                if not public:
                    principal = current_principal()
                    if tenant:
                        organisation_id = kwargs.pop("organisation_id")
                        grant = principal.authorise(organisation_id, scope)
                        uow().open_for(
                            Tenant(organisation_id, principal, grant), actor_of(principal)
                        )
                    else:
                        uow().act_as(actor_of(principal))
                if idempotent:
                    return run_idempotently(func, *args, **kwargs)
                return func(*args, **kwargs)

            parameters = []
            if idempotent:
                parameters.append(IDEMPOTENCY_KEY)
            if versioned:
                parameters.append(IF_MATCH)
            doc: dict = {"operationId": operation_id}
            if parameters:
                doc["parameters"] = parameters
            doc["security"] = [] if public else operation_security(scope)
            wrapped = self.doc(**doc)(enforced)
            errors = [] if self.name == "health" else [429]  # health checks are not limited
            if not public:
                errors.append(401)
                if tenant:
                    errors += [403, 404]
            errors += _input_errors(func)
            if idempotent:
                errors += [409, 422]
            if versioned:
                errors.append(412)
            for status in errors:
                wrapped = self.alt_response(status, response=_response_name(status))(wrapped)
            return wrapped

        return decorator


def _require_json_body() -> None:
    if not request.get_data(cache=True):
        abort(422, errors={"body": ["A JSON body is required."]})
    if not is_json(request.mimetype):
        abort(415, message="The body must be JSON (Content-Type: application/json).")


def _response_name(status: int) -> str:
    return http.HTTPStatus(status).name


BODY_LOCATIONS = ("json", "form", "files", "multipart")
WRITE_METHODS = ("post", "put", "patch", "delete")


def _input_errors(view) -> list[int]:
    """The statuses that follow from what the view reads (set by the inner decorators).

    A body can be malformed (400), too large (413) or invalid (422), and a JSON
    body sent as another media type is 415; any argument can be invalid (422); a
    write can collide with existing data (409, from a unique constraint).
    """
    arguments = getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    locations = {argument["in"] for argument in arguments}
    errors = []
    if locations & set(BODY_LOCATIONS):
        errors += [400, 413]
    if "json" in locations:
        errors.append(415)
    if locations:
        errors.append(422)
    if view.__name__ in WRITE_METHODS:
        errors.append(409)
    return errors


def body_limit(limit: Callable[[], int]):
    """Let this view read a body of up to ``limit()`` bytes (the app's limit is for JSON).

    Goes between ``@blp.operation`` (the caller is known before any byte is read)
    and ``@blp.arguments`` (which reads the body).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            request.max_content_length = limit()
            return view(*args, **kwargs)

        return wrapper

    return decorator
