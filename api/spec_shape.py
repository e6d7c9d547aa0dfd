"""The document's last step: what a response always carries is required in it.

marshmallow's ``required`` is about loading, so apispec marks no field of a response
schema as required, and every generated client then types every attribute of every
response as "maybe absent" (``X | Unset`` in Python, ``x?:`` in TypeScript). A dump
writes every field whose attribute exists, so here, once the document is built:

- every object schema reached from a response lists all its properties as
  ``required`` (a null value stays allowed by its ``type``), except the properties
  a schema declares with ``sometimes_absent()`` (e.g. a value shown only once);
- a component reached from both a request and a response is split: the response
  keeps its name, the request gets ``<Name>Input`` (without its read-only
  properties), so inputs keep their optional fields;
- read-only properties leave input schemas and write-only ones leave responses.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

# The field metadata of a property a response may leave out (removed from the document).
SOMETIMES_ABSENT = "x-sometimes-absent"
PREFIX = "#/components/schemas/"
INPUT_SUFFIX = "Input"
_NESTED_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_NESTED_ONE = ("items", "additionalProperties", "not", "contains")


def sometimes_absent(**metadata: Any) -> dict[str, Any]:
    """Field metadata for a property some responses do not carry (not ``required``)."""
    return {**metadata, SOMETIMES_ABSENT: True}


def _subschemas(node: dict) -> Iterator[dict]:
    yield from (node.get("properties") or {}).values()
    for key in _NESTED_ONE:
        if isinstance(node.get(key), dict):
            yield node[key]
    for key in _NESTED_LISTS:
        yield from (item for item in node.get(key) or () if isinstance(item, dict))


def _walk(node: Any) -> Iterator[dict]:
    """Every schema object in ``node`` (a request, a response or a schema), refs not followed."""
    if isinstance(node, dict):
        if "$ref" in node or "properties" in node or "type" in node:
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _names(node: Any, schemas: dict) -> set[str]:
    """The components ``node`` reaches, following refs."""
    found: set[str] = set()
    todo = [node]
    while todo:
        for schema in _walk(todo.pop()):
            ref = schema.get("$ref", "")
            name = ref.removeprefix(PREFIX)
            if ref.startswith(PREFIX) and name not in found:
                found.add(name)
                todo.append(schemas[name])
    return found


def _operations(document: dict) -> Iterator[dict]:
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation:
                yield operation


def _request_parts(document: dict) -> list[Any]:
    parts: list[Any] = []
    for item in document.get("paths", {}).values():
        parts.append(item.get("parameters") or [])
    for operation in _operations(document):
        parts.append(operation.get("requestBody") or {})
        parts.append(operation.get("parameters") or [])
    return parts


def _response_parts(document: dict) -> list[Any]:
    parts: list[Any] = [list((document.get("components") or {}).get("responses", {}).values())]
    parts.extend(operation["responses"] for operation in _operations(document))
    return parts


def _drop(schema: dict, flag: str) -> None:
    properties = schema.get("properties")
    if not properties:
        return
    for name in [name for name, value in properties.items() if value.get(flag)]:
        del properties[name]
        if name in schema.get("required", ()):
            schema["required"].remove(name)
    if "required" in schema and not schema["required"]:
        del schema["required"]


def _as_response(schema: dict) -> None:
    """All properties required but those declared sometimes absent; nested schemas too."""
    for node in [schema, *_deep(schema)]:
        _drop(node, "writeOnly")
        properties = node.get("properties")
        if not properties:
            continue
        required = [
            name for name, value in properties.items() if not value.pop(SOMETIMES_ABSENT, False)
        ]
        if required:
            node["required"] = sorted(set(required) | set(node.get("required", ())))


def _as_input(schema: dict) -> None:
    for node in [schema, *_deep(schema)]:
        _drop(node, "readOnly")
        for value in (node.get("properties") or {}).values():
            value.pop(SOMETIMES_ABSENT, None)


def _deep(schema: dict) -> Iterator[dict]:
    todo = list(_subschemas(schema))
    while todo:
        node = todo.pop()
        yield node
        todo.extend(_subschemas(node))


def _point_at_inputs(node: Any, shared: set[str]) -> None:
    for schema in _walk(node):
        name = schema.get("$ref", "").removeprefix(PREFIX)
        if name in shared:
            schema["$ref"] = f"{PREFIX}{name}{INPUT_SUFFIX}"


def shape(document: dict) -> dict:
    """The document with response fields required and shared components split (a copy)."""
    document = copy.deepcopy(document)
    schemas: dict = document.get("components", {}).get("schemas", {})
    requests, responses = _request_parts(document), _response_parts(document)
    in_requests = set().union(*(_names(part, schemas) for part in requests))
    in_responses = set().union(*(_names(part, schemas) for part in responses))
    shared = in_requests & in_responses
    clash = {f"{name}{INPUT_SUFFIX}" for name in shared} & set(schemas)
    if clash:
        raise ValueError(f"input schemas would replace components: {sorted(clash)}")

    for name in shared:
        schemas[f"{name}{INPUT_SUFFIX}"] = copy.deepcopy(schemas[name])
    for part in requests:
        _point_at_inputs(part, shared)
    for name in in_requests:
        target = f"{name}{INPUT_SUFFIX}" if name in shared else name
        _point_at_inputs(schemas[target], shared)
        _as_input(schemas[target])
    for name in in_responses:
        _as_response(schemas[name])
    for part in responses:  # schemas written inline in a response
        for schema in _walk(part):
            if "properties" in schema:
                _as_response(schema)
    for name in set(schemas) - in_requests - in_responses:
        _as_input(schemas[name])  # reached by nothing: only the markers go
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document
