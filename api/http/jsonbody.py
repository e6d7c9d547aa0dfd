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
import re

from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from api.domain.bounds import MAX_DIGITS
from api.http.schema import LongNumber, mark_checked

MAX_DEPTH = 32
LONG_DIGITS = re.compile(rb"\d{%d}" % (MAX_DIGITS + 1))
TOO_DEEP = f"JSON nested deeper than {MAX_DEPTH} levels is not accepted."


class TooDeep(ValueError):
    pass


def _number(text: str):
    digits = len(text) - text.startswith("-")
    return LongNumber(digits) if digits > MAX_DIGITS else int(text)


def _depth(value) -> int:
    """How deeply arrays and objects nest (counted without recursion, level by level)."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level and depth <= MAX_DEPTH:
        depth += 1
        below = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below += [child for child in children if isinstance(child, dict | list)]
        level = below
    return depth


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
            value = loads(data)
        except TooDeep:
            abort(422, messages={"json": [TOO_DEEP]})
        # Without escapes, JSON text holds no NUL or lone surrogate (raw ones do not
        # parse), and without a long run of digits no LongNumber: nothing to look for.
        if b"\\u" not in data and LONG_DIGITS.search(data) is None:
            mark_checked(value)
        return value
