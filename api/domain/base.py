"""Declarative base, column types and mixins shared by every model."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import uuid_utils
from sqlalchemy import CheckConstraint, DateTime, MetaData, bindparam, cast, func, types
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from uuid_utils.compat import uuid7

from api.domain.errors import StaleVersion

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): time-ordered, so ids double as a stable keyset order.

    uuid-utils keeps them increasing within the process, across threads (a counter
    orders ids of the same millisecond); ``compat`` gives the standard ``uuid.UUID``.
    """
    return uuid7()


def new_id_texts(count: int) -> list[str]:
    """``count`` new ids, spelled: the same sequence as ``new_id``, for an array literal.

    uuid-utils spells its own UUIDs in Rust, four times quicker than ``str(new_id())``.
    """
    return [str(uuid_utils.uuid7()) for _ in range(count)]


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned:
    """Optimistic concurrency: every UPDATE checks and bumps ``version``.

    The version is the ETag; a concurrent write with the same version loses.
    """

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}


def check_version(obj: Versioned, expected_version: int | None) -> None:
    """Refuse a write based on an older copy than the stored one (If-Match)."""
    if expected_version is not None and obj.version != expected_version:
        raise StaleVersion(
            f"the resource has changed (version {obj.version}, yours {expected_version}); "
            "read it again and retry"
        )


def one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (named after the column)."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)


def unnested_rows(table, columns: tuple[str, ...]):
    """PostgreSQL: rows from one array parameter per column, each named as its column.

    A bulk INSERT … SELECT from these stays one short statement whatever the number
    of rows (a VALUES list of a thousand rows costs more to build and parse than to run).
    Each parameter is one ``array_literal`` string.
    """
    arrays = [cast(bindparam(c, type_=types.Text), ARRAY(table.c[c].type)) for c in columns]
    return func.unnest(*arrays).table_valued(*columns).render_derived()


def array_literal(values: Iterable[object]) -> str:
    """A PostgreSQL array literal (``{"a",1.5,NULL}``) of ``values``, for ``unnested_rows``.

    psycopg adapts a list element by element in Python (a dumper call and a regular
    expression each), which for a 10,000-point batch cost more than building these.
    PostgreSQL reads the ``str()`` of a UUID, a date, a datetime or a number (a
    float's is its shortest exact form) back as the element: none holds a quote, a
    comma or a brace. Strings are quoted and escaped; None is NULL.
    """
    return (
        "{"
        + ",".join(
            '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
            if isinstance(v, str)
            else "NULL"
            if v is None
            else str(v)
            for v in values
        )
        + "}"
    )
