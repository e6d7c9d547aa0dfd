"""Every failure as an RFC 9457 problem document, mapped in one place."""

from __future__ import annotations

import http
import logging

import marshmallow as ma
from flask import Response, current_app, g, json, request
from flask_smorest import Api
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from api.domain import errors as domain
from api.logs import redact
from api.spec_shape import shape, sometimes_absent

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("clover.errors")

STATUS = {
    domain.Unauthenticated: 401,
    domain.PermissionDenied: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.Gone: 410,
    domain.IdempotencyConflict: 409,
    domain.StaleVersion: 412,
    domain.TooLarge: 413,
    domain.RuleViolation: 422,
    domain.IdempotencyMismatch: 422,
}


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document."""

    class Meta:
        name = "Problem"

    type = ma.fields.String(
        required=True,
        metadata={"description": "URI naming the kind of problem; `about:blank` for plain HTTP"},
    )
    title = ma.fields.String(required=True, metadata={"description": "Short summary of the kind"})
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    # Present only when there is something to say: problem() leaves them out otherwise.
    detail = ma.fields.String(
        metadata=sometimes_absent(description="What went wrong in this occurrence")
    )
    request_id = ma.fields.String(
        metadata=sometimes_absent(description="The X-Request-ID of the request")
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata=sometimes_absent(description="Field name → list of messages, for invalid input"),
    )


def problem(
    status: int,
    *,
    detail: str | None = None,
    kind: str | None = None,
    title: str | None = None,
    errors: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, object] = {
        "type": f"urn:clover:problem:{kind}" if kind else "about:blank",
        "title": title or http.HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _field_errors(messages: dict) -> dict:
    """webargs nests messages by location ({"json": {...}}); clients want the fields."""
    errors: dict = {}
    for location, value in messages.items():
        if isinstance(value, dict):
            errors.update(value)
        else:
            errors[location] = value
    return errors


class CloverApi(Api):
    """flask-smorest's Api answering and documenting problem+json errors."""

    ERROR_SCHEMA = ProblemSchema

    def document(self) -> dict:
        """The OpenAPI document, as served and as committed (see ``api.spec_shape``)."""
        return shape(self.spec.to_dict())

    def _openapi_json(self):
        return current_app.response_class(
            json.dumps(self.document(), indent=2, sort_keys=False), mimetype="application/json"
        )

    def _register_responses(self):
        # Same as the parent, with the problem content type for error responses.
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}}
            if status == 429:
                response["headers"] = {
                    "Retry-After": {
                        "description": "Seconds until the limit named in detail lets requests in",
                        "schema": {"type": "integer"},
                    }
                }
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {
                "description": "Default error response",
                "content": {PROBLEM_JSON: {"schema": self.ERROR_SCHEMA}},
            },
            lazy=True,
        )

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(domain.DomainError, handle_domain_error)
        self._app.register_error_handler(StaleDataError, handle_stale_data)
        self._app.register_error_handler(IntegrityError, handle_integrity_error)
        self._app.register_error_handler(DataError, handle_data_error)

    def handle_http_exception(self, error: HTTPException):
        if isinstance(error, InternalServerError):
            original = getattr(error, "original_exception", None)
            if original is not None:
                log.error(
                    "unhandled error on %s %s",
                    request.method,
                    redact(request.path),
                    exc_info=original,
                    extra={
                        "fields": {
                            "request_id": g.get("request_id"),
                            "method": request.method,
                            "path": redact(request.path),
                            "status": 500,
                        }
                    },
                )
            return problem(500, detail="An unexpected error occurred; it has been logged.")
        headers = {
            name: value for name, value in error.get_headers() if name.lower() != "content-type"
        }
        data = getattr(error, "data", None) or {}
        headers.update(data.get("headers") or {})
        errors = data.get("errors") or (
            _field_errors(data["messages"]) if "messages" in data else None
        )
        status = error.code or 500
        detail = data.get("message") or error.description
        if errors and status in (400, 422):
            detail = "The request is not valid; see errors for each field."
        return problem(status, detail=detail, errors=errors, headers=headers)


def handle_domain_error(error: domain.DomainError) -> Response:
    status = STATUS.get(type(error), 400)
    headers = {"WWW-Authenticate": 'Bearer realm="clover"'} if status == 401 else None
    return problem(
        status,
        detail=error.detail,
        kind=error.kind,
        title=error.title,
        errors=error.errors or None,
        headers=headers,
    )


def handle_stale_data(_error: StaleDataError) -> Response:
    # Two writes raced on the same version: the later one loses, as with a stale If-Match.
    return problem(
        412,
        kind="stale-version",
        detail="the resource was changed by another request; read it again and retry",
    )


def handle_data_error(error: DataError) -> Response:
    # Input is bounded before it reaches the database, so this is stored data no
    # aggregate can hold (e.g. values kept before the bounds existed).
    log.warning(
        "data error answered as 422: %s",
        type(error.orig).__name__,
        extra={"fields": {"request_id": g.get("request_id")}},
    )
    return problem(
        422,
        kind="out-of-range",
        detail="a figure of this request is outside the range a number can hold",
    )


def handle_integrity_error(error: IntegrityError) -> Response:
    # The constraint's name only: the database's message quotes the row's values.
    diag = getattr(error.orig, "diag", None)
    log.info(
        "integrity error answered as 409 (constraint %s)",
        getattr(diag, "constraint_name", None) or "unknown",
        extra={"fields": {"request_id": g.get("request_id")}},
    )
    return problem(409, kind="conflict", detail="the change conflicts with existing data")
