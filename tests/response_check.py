"""Every JSON answer the tests receive, checked against the committed OpenAPI document.

The document says which response fields are always present (``required``) and which
may be null; the suite's requests cover every kind of object in many states, so a
field some answer leaves out, or a null the document does not allow, shows here as
the test's failure rather than as a generated client's surprise.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from flask import Flask, request
from jsonschema import Draft202012Validator

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
JSON_TYPES = ("application/json", "application/problem+json")
_RULE_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@cache
def _document() -> dict:
    return json.loads(SPEC.read_text())


@cache
def _validator(path: str, method: str, status: int, mimetype: str) -> Draft202012Validator | None:
    document = _document()
    operation = document["paths"].get(path, {}).get(method)
    if operation is None:
        return None
    answer = operation["responses"].get(str(status)) or operation["responses"].get("default")
    if answer is None:
        return None
    if "$ref" in answer:
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
    schema = (answer.get("content") or {}).get(mimetype, {}).get("schema")
    if schema is None:
        return None
    return Draft202012Validator({**schema, "components": document["components"]})


def check_responses(app: Flask, mismatches: list[str]) -> None:
    """Append to ``mismatches`` each JSON answer of ``app`` its documented schema refuses."""

    @app.after_request
    def _check(response):
        rule = request.url_rule
        if rule is None or response.mimetype not in JSON_TYPES or response.direct_passthrough:
            return response
        path = _RULE_PART.sub(r"{\1}", rule.rule)
        validator = _validator(
            path, request.method.lower(), response.status_code, response.mimetype
        )
        if validator is not None:
            body = response.get_json(silent=True)
            for error in validator.iter_errors(body):
                where = "/".join(map(str, error.absolute_path)) or "(body)"
                mismatches.append(
                    f"{request.method} {path} {response.status_code}: {where}: {error.message}"
                )
        return response
