"""The base of every request and response schema: input refused once for all fields.

Every schema in ``api/resources`` and ``api/http`` derives from ``Schema`` (a test
checks it), so that whatever a field's type:

- text with a NUL or a lone surrogate (which no database stores and no client
  means) is refused before any field reads it, with the field named, also inside
  lists, nested objects and dictionary keys;
- a number of more than ``MAX_DIGITS`` digits (kept unparsed by ``api.http.jsonbody``)
  is refused the same way, before Python's int conversion limit;
- a date must lie within ``MIN_DAY..MAX_DAY`` and a date-time, once in UTC, within
  ``MIN_INSTANT..MAX_INSTANT`` (so ``9999-12-31T23:59:59-01:00`` is a 422, not an
  overflow), documented in the field's description;
- an integer without its own range is bounded to a 32-bit column's, shown in the spec.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import ClassVar

import marshmallow as ma
from flask import g, has_request_context

from api.domain.bounds import (
    DAY_PATTERN,
    DAYS,
    INSTANTS,
    INT32,
    MAX_DAY,
    MAX_DIGITS,
    MAX_INSTANT,
    MIN_DAY,
    MIN_INSTANT,
    MONTH_PATTERN,
    MONTHS,
)

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
BAD_TEXT_MESSAGE = "Must not contain NUL characters or unpaired surrogates."
LONG_NUMBER_MESSAGE = f"Numbers of more than {MAX_DIGITS} digits are not accepted."


class LongNumber:
    """A JSON number too long to convert: kept as its length, refused by ``Schema``."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def bad_text(value: str) -> bool:
    return BAD_TEXT.search(value) is not None


def _printable_key(key):
    if isinstance(key, str) and bad_text(key):
        return BAD_TEXT.sub("\ufffd", key)
    return key


_PLAIN = (int, float, bool)


def _input_errors(value) -> list[str] | dict | None:
    """Messages for bad text and over-long numbers in ``value``, by path like marshmallow's."""
    if isinstance(value, str):
        return [BAD_TEXT_MESSAGE] if bad_text(value) else None
    if isinstance(value, LongNumber):
        return [LONG_NUMBER_MESSAGE]
    filename = getattr(value, "filename", None)  # an uploaded file (multipart)
    if isinstance(filename, str) and bad_text(filename):
        return ["Its file name must not contain NUL characters or unpaired surrogates."]
    if isinstance(value, list | tuple):
        items = ((i, _input_errors(v)) for i, v in enumerate(value))
        return {i: e for i, e in items if e} or None
    if hasattr(value, "items"):  # dicts and webargs' MultiDictProxy
        errors: dict = {}
        for key, item in value.items():
            if isinstance(key, str) and bad_text(key):
                errors[_printable_key(key)] = [BAD_TEXT_MESSAGE]
            elif item is None or type(item) in _PLAIN:
                continue  # the common case, without a call
            elif type(item) is str:
                if BAD_TEXT.search(item) is not None:
                    errors[key] = [BAD_TEXT_MESSAGE]
            elif (found := _input_errors(item)) is not None:
                errors[key] = found
        return errors or None
    return None


class DayRange(ma.validate.Validator):
    """A date within the product's range (not a ``Range``: apispec would put dates in the spec)."""

    message = f"Must be a date from {DAYS}."

    def __call__(self, value: date) -> date:
        if not MIN_DAY <= value <= MAX_DAY:
            raise ma.ValidationError(self.message)
        return value


class InstantRange(ma.validate.Validator):
    """A date-time whose UTC form lies within the product's range; naive ones are UTC."""

    message = f"Must be a date-time from {INSTANTS}."

    def __call__(self, value: datetime) -> datetime:
        try:
            utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        except OverflowError:  # the offset pushes it past year 1 or 9999
            raise ma.ValidationError(self.message) from None
        if not MIN_INSTANT <= utc <= MAX_INSTANT:
            raise ma.ValidationError(self.message)
        return value


def _describe(field: ma.fields.Field, bound: str, pattern: str | None) -> None:
    description = field.metadata.get("description")
    text = f"{description}; {bound}" if description else bound
    field.metadata = {**field.metadata, "description": text}
    if pattern:
        field.metadata["pattern"] = pattern


def bound_field(field: ma.fields.Field) -> None:
    """Add the product's bounds to an input field (and the fields inside it)."""
    if field.dump_only:
        return
    if isinstance(field, ma.fields.List):
        bound_field(field.inner)
    elif isinstance(field, ma.fields.Tuple):
        for inner in field.tuple_fields:
            bound_field(inner)
    elif isinstance(field, ma.fields.Dict):
        for inner in (field.key_field, field.value_field):
            if inner is not None:
                bound_field(inner)
    elif isinstance(field, ma.fields.DateTime):
        field.validators = [InstantRange(), *field.validators]
        # No pattern beside `format: date-time`: generated clients and fuzzers cannot
        # build values that satisfy both; the range is in the description and enforced.
        _describe(field, INSTANTS, None)
    elif isinstance(field, ma.fields.Date):
        field.validators = [DayRange(), *field.validators]
        _describe(field, DAYS, DAY_PATTERN)
    elif isinstance(field, ma.fields.Integer) and not any(
        isinstance(v, ma.validate.Range) for v in field.validators
    ):
        field.validators = [*field.validators, ma.validate.Range(*INT32)]


# How deep in nested loads this context is: the outermost load checks all its input
# once, so nested schemas (10,000 points of a batch) need not check theirs again.
_LOADS: ContextVar[int] = ContextVar("clover_schema_loads", default=0)


def mark_checked(body) -> None:
    """Tell the schema that this request body holds nothing to refuse (its text shows it)."""
    if has_request_context():
        g.clover_checked_body = body


def _checked(data) -> bool:
    return has_request_context() and g.get("clover_checked_body") is data


def refuse_unusable(data) -> None:
    """Raise a ValidationError naming every place in ``data`` no field can hold."""
    errors = _input_errors(data)
    if errors:
        raise ma.ValidationError(errors)


class Schema(ma.Schema):
    """Every Clover schema's base (see the module's docstring).

    A request schema names the domain input it loads into with ``into`` (a
    ``Draft`` or ``Changes`` dataclass of the use case): views hand the domain
    typed values, never the body's dict.
    """

    into: ClassVar[type | None] = None

    @ma.post_load
    def _into_domain_input(self, data, **_kwargs):
        return data if self.into is None else self.into(**data)

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        bound_field(field_obj)

    def load(self, data, **kwargs):
        token = _LOADS.set(_LOADS.get() + 1)
        try:
            return super().load(data, **kwargs)
        finally:
            _LOADS.reset(token)

    @ma.pre_load(pass_collection=True)
    def _refuse_unusable_input(self, data, **_kwargs):
        if _LOADS.get() <= 1 and not _checked(data):
            refuse_unusable(data)
        return data

    def _serialize(self, obj, *, many: bool = False):
        """As marshmallow's, with each plain field's value read in one call.

        marshmallow reads a value through four calls per field (``Field.serialize``,
        ``Field.get_value``, ``Schema.get_attribute``, ``utils.get_value``); a page of 50
        members makes some 450 such reads. For a field that overrides none of them the
        same ``utils.get_value`` is called here directly, with the same default handling;
        any other field (or a schema with its own ``get_attribute``) is read as marshmallow
        reads it. The output is the same, key for key.
        """
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        ret = self.dict_class()
        for key, attr_name, check_key, field in self._dump_plan():
            if check_key is None:
                value = field.serialize(attr_name, obj, accessor=self.get_attribute)
            else:
                value = ma.utils.get_value(obj, check_key, ma.missing)
                if value is ma.missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                    if value is ma.missing:
                        continue
                value = field._serialize(value, attr_name, obj)
            if value is ma.missing:
                continue
            ret[key] = value
        return ret

    def _dump_plan(self) -> list[tuple[str, str, str | None, ma.fields.Field]]:
        """(output key, attribute name, key to read or None for marshmallow's way, field)."""
        cached = self.__dict__.get("_clover_dump_plan")
        if cached is not None and cached[0] is self.dump_fields:
            return cached[1]
        plain_schema = type(self).get_attribute is ma.Schema.get_attribute
        plan = []
        for attr_name, field in self.dump_fields.items():
            key = field.data_key if field.data_key is not None else attr_name
            kind = type(field)
            plain = (
                plain_schema
                and field._CHECK_ATTRIBUTE
                and kind.serialize is ma.fields.Field.serialize
                and kind.get_value is ma.fields.Field.get_value
            )
            check_key = (
                (attr_name if field.attribute is None else field.attribute) if plain else None
            )
            plan.append((key, attr_name, check_key, field))
        self._clover_dump_plan = (self.dump_fields, plan)
        return plan


MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")  # the range is checked after, to name it


class Month(ma.fields.String):
    """A calendar month, ``YYYY-MM``, within the product's range; loads as its first day."""

    default_error_messages = {
        "invalid_month": "Must be YYYY-MM.",
        "month_range": f"Must be a month from {MONTHS}.",
    }

    def __init__(self, **kwargs) -> None:
        metadata = kwargs.pop("metadata", {})
        description = metadata.get("description", "A month")
        super().__init__(
            metadata={
                **metadata,
                "description": f"{description}; {MONTHS}",
                "pattern": MONTH_PATTERN,
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        text = super()._deserialize(value, attr, data, **kwargs)
        match = MONTH.match(text)
        if not match:
            raise self.make_error("invalid_month")
        if not MIN_DAY.year <= int(match[1]) <= MAX_DAY.year:
            raise self.make_error("month_range")
        return date(int(match[1]), int(match[2]), 1)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.strftime("%Y-%m")
