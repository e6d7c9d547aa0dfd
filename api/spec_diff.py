"""Breaking changes between two OpenAPI documents: the released one and the code's.

`clover spec --check` lists what would break a client written against
``openapi/released.json`` and fails unless ``info.version``'s major number grew:

- an operation removed;
- in a request: a new required parameter or body field, a parameter or body field
  removed (bodies refuse unknown fields), an enum value or a type no longer accepted;
- in a response, success or error (the problem documents' fields are read too): a
  field removed or no longer always present, a success status removed, a type or enum
  value a client has never seen (a generated client refuses an unknown enum value).
  An error status no longer documented is not breaking.

Not caught: an enum dropped from a response field (its values widen to any string);
``Job.kind`` dropped its enum so, and keeps 1.0 clients safe by listing re-match jobs
only when asked for (``?kind=rematch``).

Written here, not taken from a library: no maintained OpenAPI diff tool is installed
or installable offline in the project's environment (the npm ones need node for a
check that is otherwise pure Python, or download a binary when installed).
References are followed; ``anyOf: [X, {type: null}]`` reads as a nullable X.
"""

from __future__ import annotations

from dataclasses import dataclass

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, order=True)
class Change:
    """One breaking change: where it is (operation, then a path inside it) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def major(document: dict) -> int:
    version = str(document.get("info", {}).get("version", "0"))
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def allowed(released: dict, current: dict) -> bool:
    """Breaking changes are allowed once the major version has grown."""
    return major(current) > major(released)


class _Side:
    """One document, with its references resolved on demand."""

    def __init__(self, document: dict) -> None:
        self.document = document

    def resolve(self, node: dict | None) -> dict:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 50:
            target: object = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]  # type: ignore[index]
            node, seen = target, seen + 1  # type: ignore[assignment]
        return node if isinstance(node, dict) else {}

    def schema(self, node: dict | None) -> tuple[dict, frozenset[str], str | None]:
        """(schema, its types with "null" when nullable, the component it names)."""
        name = None
        if isinstance(node, dict) and "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
        schema = self.resolve(node)
        options = schema.get("anyOf") or schema.get("oneOf") or ()
        if len(options) == 2:
            values = [o for o in options if _types(self.resolve(o)) != {"null"}]
            if len(values) == 1:
                inner, types, name = self.schema(values[0])
                return inner, types | {"null"}, name
        return schema, _types(schema), name


def _types(schema: dict) -> frozenset[str]:
    kind = schema.get("type")
    if kind is None:
        return frozenset()
    found = frozenset([kind] if isinstance(kind, str) else kind)
    return found | {"integer"} if "number" in found else found


def _operations(document: dict) -> dict[tuple[str, str], dict]:
    found = {}
    for path, item in (document.get("paths") or {}).items():
        for method in METHODS:
            if isinstance(item.get(method), dict):
                operation = dict(item[method])
                operation["parameters"] = [
                    *(item.get("parameters") or []),
                    *(operation.get("parameters") or []),
                ]
                found[(method, path)] = operation
    return found


class _Comparison:
    def __init__(self, released: dict, current: dict) -> None:
        self.old, self.new = _Side(released), _Side(current)
        self.changes: list[Change] = []

    def note(self, where: str, what: str) -> None:
        self.changes.append(Change(where, what))

    def run(self) -> list[Change]:
        old_ops, new_ops = _operations(self.old.document), _operations(self.new.document)
        for key, old in old_ops.items():
            where = f"{key[0].upper()} {key[1]}"
            if key not in new_ops:
                self.note(where, f"operation removed ({old.get('operationId', 'no id')})")
                continue
            new = new_ops[key]
            self.parameters(where, old, new)
            self.body(where, old.get("requestBody"), new.get("requestBody"))
            self.responses(where, old.get("responses") or {}, new.get("responses") or {})
        return sorted(set(self.changes))

    def parameters(self, where: str, old: dict, new: dict) -> None:
        def by_key(side: _Side, operation: dict) -> dict[tuple[str, str], dict]:
            resolved = (side.resolve(p) for p in operation["parameters"])
            return {(p.get("in", ""), p.get("name", "")): p for p in resolved}

        before, after = by_key(self.old, old), by_key(self.new, new)
        for (place, name), parameter in after.items():
            label = f"{where} {place} parameter {name}"
            if (place, name) not in before:
                if parameter.get("required"):
                    self.note(label, "new required parameter")
                continue
            if parameter.get("required") and not before[(place, name)].get("required"):
                self.note(label, "now required")
            self.accepts(label, before[(place, name)].get("schema"), parameter.get("schema"))
        for place, name in before.keys() - after.keys():
            if place != "header":  # an unknown header is ignored, a query parameter is not
                self.note(f"{where} {place} parameter {name}", "parameter removed")

    def body(self, where: str, old: dict | None, new: dict | None) -> None:
        old, new = self.old.resolve(old), self.new.resolve(new)
        if not new:
            return
        if not old:
            if new.get("required"):
                self.note(f"{where} body", "new required request body")
            return
        if new.get("required") and not old.get("required"):
            self.note(f"{where} body", "request body now required")
        for media, content in (old.get("content") or {}).items():
            if media not in (new.get("content") or {}):
                self.note(f"{where} body {media}", "content type no longer accepted")
                continue
            self.accepts(
                f"{where} body", content.get("schema"), new["content"][media].get("schema")
            )

    def responses(self, where: str, old: dict, new: dict) -> None:
        for status, answer in old.items():
            if status not in new:
                # An error no longer documented is one a client need not handle any more.
                if str(status).startswith("2"):
                    self.note(f"{where} {status}", "success status removed")
                continue
            # Error bodies too: a client reads a problem document's fields (its field errors).
            before, after = self.old.resolve(answer), self.new.resolve(new[status])
            for media, content in (before.get("content") or {}).items():
                now = (after.get("content") or {}).get(media)
                if now is None:
                    self.note(f"{where} {status} {media}", "content type no longer returned")
                    continue
                self.returns(f"{where} {status}", content.get("schema"), now.get("schema"))

    def accepts(self, label: str, old_node, new_node, within: frozenset = frozenset()) -> None:
        """What the released document accepted, the current one must accept."""
        if old_node is None or new_node is None:
            return
        old, old_types, old_name = self.old.schema(old_node)
        new, new_types, new_name = self.new.schema(new_node)
        pair = (old_name, new_name)
        if old_name and pair in within:
            return  # a schema nested in itself: compared once on this path
        within = within | {pair} if old_name else within
        if old_types and new_types and not old_types <= new_types:
            self.note(label, f"no longer accepts {', '.join(sorted(old_types - new_types))}")
        if "enum" in new and (
            dropped := set(map(str, old.get("enum", ()))) - set(map(str, new["enum"]))
        ):
            self.note(label, f"no longer accepts {', '.join(sorted(dropped))}")
        if "enum" in new and "enum" not in old:
            self.note(label, "now limited to a list of values")
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        for name in sorted(set(new.get("required", ())) - set(old.get("required", ()))):
            self.note(
                f"{label}.{name}", "new required field" if name not in old_props else "now required"
            )
        for name, schema in old_props.items():
            if self.old.resolve(schema).get("readOnly"):
                continue  # never accepted in a request, whatever the document showed
            if name not in new_props:
                if new.get("additionalProperties") is False:
                    self.note(f"{label}.{name}", "field no longer accepted")
                continue
            self.accepts(f"{label}.{name}", schema, new_props[name], within)
        if "items" in old and "items" in new:
            self.accepts(f"{label}[]", old["items"], new["items"], within)

    def returns(self, label: str, old_node, new_node, within: frozenset = frozenset()) -> None:
        """What a client of the released document reads, the current one must still give."""
        if old_node is None or new_node is None:
            return
        old, old_types, old_name = self.old.schema(old_node)
        new, new_types, new_name = self.new.schema(new_node)
        pair = (old_name, new_name)
        if old_name and pair in within:
            return  # a schema nested in itself: compared once on this path
        within = within | {pair} if old_name else within
        if old_types and new_types and not new_types <= old_types:
            self.note(label, f"may now be {', '.join(sorted(new_types - old_types))}")
        if "enum" in old and (
            added := set(map(str, new.get("enum", ()))) - set(map(str, old["enum"]))
        ):
            self.note(label, f"new values {', '.join(sorted(added))}")
        old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
        for name in sorted(set(old.get("required", ())) - set(new.get("required", ()))):
            if name in new_props:
                self.note(f"{label}.{name}", "no longer always present")
        for name, schema in old_props.items():
            if self.old.resolve(schema).get("writeOnly"):
                continue  # never in a response
            if name not in new_props:
                self.note(f"{label}.{name}", "field removed")
                continue
            self.returns(f"{label}.{name}", schema, new_props[name], within)
        if "items" in old and "items" in new:
            self.returns(f"{label}[]", old["items"], new["items"], within)


def breaking_changes(released: dict, current: dict) -> list[Change]:
    """Every change of ``current`` that breaks a client of ``released``, sorted."""
    return _Comparison(released, current).run()
