"""The standard operations of a plain tenant entity, declared once.

For entities whose create, list, get, update and delete only call their use
case (audiences, resources…). An entity without update or delete leaves them
out; any other operation is a view registered beside these. Each operation
keeps its own operationId, summary and documented errors; the use cases stay
in the domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from flask.views import MethodView

from api.http.blueprint import ETAG_HEADER, Blueprint, etag, expected_version
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.http.schema import Schema


@dataclass(frozen=True)
class Crud:
    noun: str  # singular, for summaries: "audience"
    plural: str  # operationId prefix: "audiences"
    scope_area: str  # "strategies" → strategies:read / strategies:write
    schema: type
    create: Callable
    list: Callable
    get: Callable
    update_schema: type | None = None
    update: Callable | None = None
    delete: Callable | None = None
    # Query parameters the list accepts, passed to ``list`` as keywords.
    filter_schema: type | None = None
    # The collection's path below the blueprint's prefix.
    path: str = ""
    # Summaries that say more than "Create an audience", by operation ("list", "create"…).
    summaries: Mapping[str, str] = field(default_factory=dict)
    # A versioned entity answers with its ETag (and takes If-Match on update).
    versioned: bool = True
    # A create that shows a secret once answers with ``issued_schema``; ``issued`` turns
    # what create returns into (the entity, the body).
    issued_schema: type | None = None
    issued: Callable[[Any], tuple[Any, Any]] | None = None


def register_crud(blp: Blueprint, crud: Crud, id_name: str) -> None:
    read, write = f"{crud.scope_area}:read", f"{crud.scope_area}:write"
    item_endpoint = f"{blp.name}.{crud.plural}_item"
    page = page_schema(crud.schema, f"{crud.schema.Meta.name}Page")
    filters = crud.filter_schema or EmptySchema
    etag_header = ETAG_HEADER if crud.versioned else None
    a_noun = f"{_article(crud.noun)} {crud.noun}"

    def summary(operation: str, default: str):
        return blp.doc(summary=crud.summaries.get(operation, default))

    def headers_for(entity, location: str | None = None) -> dict[str, str]:
        headers = {"ETag": etag(entity)} if crud.versioned else {}
        if location:
            headers["Location"] = location
        return headers

    class Collection(MethodView):
        @blp.operation(f"{crud.plural}_list", scope=read)
        @blp.arguments(filters, location="query", as_kwargs=True)
        @blp.arguments(PageArgsSchema, location="query")
        @blp.response(200, page, headers=LINK_HEADER)
        @summary("list", f"List {crud.plural.replace('_', ' ')}")
        def get(self, args, **filters):
            return paged(crud.list(uow=uow(), page=page_request(args), **filters))

        @blp.operation(f"{crud.plural}_create", scope=write, idempotent=True)
        @blp.arguments(crud.schema)
        @blp.response(201, crud.issued_schema or crud.schema, headers=etag_header)
        @summary("create", f"Create {a_noun}")
        def post(self, data):
            result = crud.create(uow=uow(), draft=data)
            entity, body = crud.issued(result) if crud.issued else (result, result)
            location = url_for(
                item_endpoint, organisation_id=uow().tenant.organisation_id, **{id_name: entity.id}
            )
            return body, 201, headers_for(entity, location)

    class Item(MethodView):
        @blp.operation(f"{crud.plural}_get", scope=read)
        @blp.response(200, crud.schema, headers=etag_header)
        @summary("get", f"Get {a_noun}")
        def get(self, **ids):
            entity = crud.get(uow=uow(), **ids)
            return entity, 200, headers_for(entity)

        if crud.update:

            @blp.operation(f"{crud.plural}_update", scope=write, versioned=True)
            @blp.arguments(crud.update_schema)
            @blp.response(200, crud.schema, headers=etag_header)
            @summary("update", f"Update {a_noun}")
            def patch(self, changes, **ids):
                entity = crud.update(
                    uow=uow(), **ids, changes=changes, expected_version=expected_version()
                )
                return entity, 200, headers_for(entity)

        if crud.delete:

            @blp.operation(f"{crud.plural}_delete", scope=write)
            @blp.response(204)
            @blp.alt_response(409, response="CONFLICT")
            @summary("delete", f"Delete {a_noun}")
            def delete(self, **ids):
                crud.delete(uow=uow(), **ids)

    blp.add_url_rule(crud.path, endpoint=f"{crud.plural}_collection", view_func=Collection)
    blp.add_url_rule(
        f"{crud.path}/<uuid:{id_name}>", endpoint=f"{crud.plural}_item", view_func=Item
    )


class EmptySchema(Schema):
    """No filters."""


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"
