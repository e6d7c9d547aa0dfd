"""Conditional reads: every GET that answers with an ETag answers ``If-None-Match`` with 304.

One mechanism for every view rather than one per view: after a GET's 200, the
response's ETag (an entity's version, the calendar's hash) is compared with
``If-None-Match`` the way RFC 9110 says (weak comparison, ``*``, a list of tags;
werkzeug parses and compares), and a match becomes a 304 with the ETag and no
body. A page of a list has no version of its own, so its validator is the hash
of the page as dumped: its items (and so each item's version and fields) and its
``next_cursor``; a change to any item on the page, or to where the page ends,
changes it. ``ConditionalReadsPlugin`` documents the same thing in the spec for
every GET whose 200 declares an ETag.
"""

from __future__ import annotations

from apispec import BasePlugin
from flask import Flask, Response, g, request

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": (
        "ETags from earlier reads (`*`, one or a comma-separated list; `W/` tags compare "
        "weakly): when one matches, the answer is 304 without a body."
    ),
    "schema": {"type": "string"},
}
ETAG = {"description": "Version of the resource", "schema": {"type": "string"}}
NOT_MODIFIED = {
    "description": "Not modified: the resource is as one of the `If-None-Match` ETags",
    "headers": {"ETag": ETAG},
}
PAGE_ETAG = {
    "ETag": {
        "description": "Validator of this page (its items and `next_cursor`)",
        "schema": {"type": "string"},
    }
}


def validate_page() -> None:
    """Give this response (a page of a list) an ETag of its own, made from its body."""
    g.page_validator = True


def init_app(app: Flask) -> None:
    @app.after_request
    def _answer_conditional_reads(response: Response) -> Response:
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if response.is_streamed:
            return response
        if g.pop("page_validator", False) and "ETag" not in response.headers:
            response.add_etag()  # a hash of the dumped page
        etag, _weak = response.get_etag()
        if etag and request.if_none_match.contains_weak(etag):
            response.status_code = 304  # werkzeug sends a 304 without its body
        return response


class ConditionalReadsPlugin(BasePlugin):
    """Documents the 304 and ``If-None-Match`` of every GET whose 200 has an ETag."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        operation = (operations or {}).get("get")
        if not operation:
            return
        responses = operation.get("responses", {})
        ok = responses.get(200) or responses.get("200")
        if not isinstance(ok, dict) or "ETag" not in ok.get("headers", {}):
            return
        if 304 not in responses and "304" not in responses:
            responses[304 if 200 in responses else "304"] = NOT_MODIFIED
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "If-None-Match" for p in parameters if isinstance(p, dict)):
            parameters.append(IF_NONE_MATCH)
