"""Cursor pages in the body (`items`, `next_cursor`) plus an RFC 8288 Link header."""

from __future__ import annotations

from urllib.parse import urlencode

import marshmallow as ma
from flask import request

from api.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from api.http.conditional import PAGE_ETAG, validate_page
from api.http.schema import Schema

_page_schemas: dict[str, type[ma.Schema]] = {}


class PageArgsSchema(Schema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Page size, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=200),
        metadata={"description": "The `next_cursor` of the previous page"},
    )


def page_request(args: dict) -> PageRequest:
    return PageRequest(limit=args["limit"], cursor=args["cursor"])


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A named page schema (`OrganisationPage`, …) so generated clients read naturally."""
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
                "next_cursor": ma.fields.String(
                    required=True,
                    allow_none=True,
                    metadata={"description": "Pass as `cursor` for the next page; null at the end"},
                ),
            },
        )
    return _page_schemas[name]


def paged(page: Page):
    """The view's return value for a page: body and Link header (and an ETag of the page)."""
    validate_page()
    headers = {}
    if page.next_cursor:
        query = {k: v for k, v in request.args.items() if k != "cursor"}
        query["cursor"] = page.next_cursor
        headers["Link"] = f'<{request.base_url}?{urlencode(query)}>; rel="next"'
    return {"items": page.items, "next_cursor": page.next_cursor}, 200, headers


# The headers of a page (the name is older than its ETag): the Link to the next page
# and the page's validator (``api.http.conditional``).
LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 link to the next page (`rel="next"`), when there is one',
        "schema": {"type": "string"},
    },
    **PAGE_ETAG,
}
