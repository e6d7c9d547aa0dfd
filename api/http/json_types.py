"""JSON bodies are typed as the spec says: a number is not a string, 0 is not false.

marshmallow is lenient on purpose (query strings are all text): ``Integer``
takes ``"12"`` and truncates ``2.5``, ``Float`` takes ``"1.5"``, ``Boolean`` takes
``0`` and ``"yes"``. In a JSON body that would accept what the spec calls invalid,
and a client's bug would pass unnoticed. This parser checks the JSON types of a
body against its schema's fields before marshmallow loads it; the messages are
marshmallow's, per field, so the 422 reads like any other.
"""

from __future__ import annotations

import numbers

import marshmallow as ma

from api.http.jsonbody import BoundedJsonParser


def _is_integer(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    # JSON has one number type: 3.0 is the integer 3 (schemathesis and JavaScript send it).
    return isinstance(value, float) and value.is_integer()


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


# field class → (JSON type test, message); the first match in the MRO wins.
JSON_TYPES: list[tuple[type[ma.fields.Field], object, str]] = [
    (ma.fields.Boolean, lambda v: isinstance(v, bool), "Not a valid boolean."),
    (ma.fields.Integer, _is_integer, "Not a valid integer."),
    # Money: a decimal string, or a number (the spec admits both for a body's amount).
    (ma.fields.Decimal, lambda v: isinstance(v, str) or _is_number(v), "Not a valid number."),
    (ma.fields.Number, _is_number, "Not a valid number."),
    (ma.fields.String, lambda v: isinstance(v, str), "Not a valid string."),
    (ma.fields.UUID, lambda v: isinstance(v, str), "Not a valid UUID."),
    (ma.fields.Date, lambda v: isinstance(v, str), "Not a valid date."),
    (ma.fields.DateTime, lambda v: isinstance(v, str), "Not a valid datetime."),
]


def _type_error(field: ma.fields.Field, value) -> str | None:
    for kind, is_valid, message in JSON_TYPES:
        if isinstance(field, kind):
            return None if is_valid(value) else message
    return None


def type_errors(schema: ma.Schema, data) -> dict:
    """Field name → messages for values of the wrong JSON type (nested as the data is)."""
    if not isinstance(data, dict):
        return {}
    errors: dict = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if field.dump_only or key not in data:
            continue
        problem = _field_errors(field, data[key])
        if problem:
            errors[key] = problem
    return errors


def _field_errors(field: ma.fields.Field, value):
    if value is None:
        return None  # marshmallow decides on null (allow_none)
    if isinstance(field, ma.fields.Nested):
        if field.many:
            if not isinstance(value, list):
                return None
            nested = {
                i: e for i, item in enumerate(value) if (e := type_errors(field.schema, item))
            }
            return nested or None
        return type_errors(field.schema, value) or None
    if isinstance(field, ma.fields.List):
        if not isinstance(value, list):
            return None  # marshmallow's own "Not a valid list."
        nested = {i: e for i, item in enumerate(value) if (e := _field_errors(field.inner, item))}
        return nested or None
    if isinstance(field, ma.fields.Dict) and field.value_field is not None:
        if not isinstance(value, dict):
            return None
        nested = {
            k: {"value": e}
            for k, item in value.items()
            if (e := _field_errors(field.value_field, item))
        }
        return nested or None
    message = _type_error(field, value)
    return [message] if message else None


def _merged(loaded: dict, typed: dict) -> dict:
    """marshmallow's errors with the type errors laid over them, nested dicts merged."""
    merged = dict(loaded)
    for key, value in typed.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


class TypedJsonParser(BoundedJsonParser):
    """The bounded JSON parser, also refusing JSON values of the wrong type (422)."""

    def pre_load(self, location_data, *, schema, req, location):
        if location == "json":
            errors = type_errors(schema, location_data)
            if errors:
                # Everything else wrong with the body too, as a plain load would list it.
                raise ma.ValidationError(_merged(schema.validate(location_data), errors))
        return super().pre_load(location_data, schema=schema, req=req, location=location)
