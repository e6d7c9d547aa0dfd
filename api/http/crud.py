"""The five standard operations of a plain tenant entity, declared once.

For entities with nothing beyond create, list, get, update and delete (audiences,
resources…). Each operation keeps its own operationId, summary and documented
errors; the use cases stay in the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask.views import MethodView

from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.http.schema import Schema


@dataclass(frozen=True)
class Crud:
    noun: str  # singular, for summaries: "audience"
    plural: str  # operationId prefix: "audiences"
    scope_area: str  # "strategies" → strategies:read / strategies:write
    schema: type
    update_schema: type
    create: Callable
    list: Callable
    get: Callable
    update: Callable
    delete: Callable
    # Query parameters the list accepts, passed to ``list`` as keywords.
    filter_schema: type | None = None


def register_crud(blp: Blueprint, crud: Crud, id_name: str) -> None:
    read, write = f"{crud.scope_area}:read", f"{crud.scope_area}:write"
    item_endpoint = f"{blp.name}.{crud.plural}_item"
    page = page_schema(crud.schema, f"{crud.schema.Meta.name}Page")

    filters = crud.filter_schema or EmptySchema

    class Collection(MethodView):
        @blp.operation(f"{crud.plural}_list", scope=read)
        @blp.arguments(filters, location="query", as_kwargs=True)
        @blp.arguments(PageArgsSchema, location="query")
        @blp.response(200, page, headers=LINK_HEADER)
        @blp.doc(summary=f"List {crud.plural.replace('_', ' ')}")
        def get(self, args, **filters):
            return paged(crud.list(uow=uow(), page=page_request(args), **filters))

        @blp.operation(f"{crud.plural}_create", scope=write, idempotent=True)
        @blp.arguments(crud.schema)
        @blp.response(201, crud.schema, headers=ETAG_HEADER)
        @blp.doc(summary=f"Create {_article(crud.noun)} {crud.noun}")
        def post(self, data):
            entity = crud.create(uow=uow(), draft=data)
            location = url_for(
                item_endpoint, organisation_id=uow().tenant.organisation_id, **{id_name: entity.id}
            )
            return saved(entity, 201, location)

    class Item(MethodView):
        @blp.operation(f"{crud.plural}_get", scope=read)
        @blp.response(200, crud.schema, headers=ETAG_HEADER)
        @blp.doc(summary=f"Get {_article(crud.noun)} {crud.noun}")
        def get(self, **ids):
            return saved(crud.get(uow=uow(), **ids))

        @blp.operation(f"{crud.plural}_update", scope=write, versioned=True)
        @blp.arguments(crud.update_schema)
        @blp.response(200, crud.schema, headers=ETAG_HEADER)
        @blp.doc(summary=f"Update {_article(crud.noun)} {crud.noun}")
        def patch(self, changes, **ids):
            return saved(
                crud.update(uow=uow(), **ids, changes=changes, expected_version=expected_version())
            )

        @blp.operation(f"{crud.plural}_delete", scope=write)
        @blp.response(204)
        @blp.alt_response(409, response="CONFLICT")
        @blp.doc(summary=f"Delete {_article(crud.noun)} {crud.noun}")
        def delete(self, **ids):
            crud.delete(uow=uow(), **ids)

    blp.add_url_rule("", endpoint=f"{crud.plural}_collection", view_func=Collection)
    blp.add_url_rule(f"/<uuid:{id_name}>", endpoint=f"{crud.plural}_item", view_func=Item)


class EmptySchema(Schema):
    """No filters."""


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"
