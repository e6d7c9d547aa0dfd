"""JSON request bodies read with bounds: nesting depth and number length.

The standard library recurses once per nesting level (1,000 levels overflow the
stack) and converts any integer literal (more than 4,300 digits raise). Bodies
nested deeper than ``MAX_DEPTH`` are refused (422, like any body the operation cannot
take, documented on every operation with one); numbers longer than
``MAX_DIGITS`` are kept as ``LongNumber`` so that the schema refuses them (422) with
the field named.
"""

from __future__ import annotations

import json

from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from api.domain.bounds import MAX_DIGITS
from api.http.schema import LongNumber

MAX_DEPTH = 32
TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels is not accepted."


class TooDeep(ValueError):
    pass


def _number(text: str):
    digits = len(text) - text.startswith("-")
    return LongNumber(digits) if digits > MAX_DIGITS else int(text)


def _depth(value) -> int:
    """The deepest nesting of arrays and objects, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def loads(text: str | bytes):
    """``json.loads`` within the bounds; raises ValueError (``TooDeep``) otherwise."""
    try:
        value = json.loads(text, parse_int=_number)
    except RecursionError:
        raise TooDeep(TOO_DEEP) from None
    if _depth(value) > MAX_DEPTH:
        raise TooDeep(TOO_DEEP)
    return value


class BoundedJsonParser(FlaskParser):
    """webargs' Flask parser reading JSON bodies with ``loads``."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        try:
            return loads(data)
        except TooDeep:
            abort(422, messages={"json": [TOO_DEEP]})
