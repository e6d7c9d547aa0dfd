"""Keyset pagination over time-ordered ids: no duplicates or gaps while rows are added."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.domain.errors import RuleViolation

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(b"v1:" + last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(b"v1:") or len(raw) != 19:
        raise RuleViolation("the cursor is not valid", errors={"cursor": ["Invalid cursor."]})
    return uuid.UUID(bytes=raw[3:])


def paginate(
    session: Session,
    stmt: Select,
    id_column: InstrumentedAttribute,
    page: PageRequest,
    *,
    newest_first: bool = False,
) -> Page:
    if not 1 <= page.limit <= MAX_LIMIT:
        raise RuleViolation(
            "limit out of range", errors={"limit": [f"Must be between 1 and {MAX_LIMIT}."]}
        )
    if page.cursor:
        after = decode_cursor(page.cursor)
        stmt = stmt.where(id_column < after if newest_first else id_column > after)
    order = id_column.desc() if newest_first else id_column
    rows = list(session.scalars(stmt.order_by(order).limit(page.limit + 1)))
    if len(rows) <= page.limit:
        return Page(rows, None)
    rows = rows[: page.limit]
    return Page(rows, encode_cursor(rows[-1].id))
