"""Metric points derived from mentions, kept in step with them.

Per channel and UTC day: ``mentions`` (company-topic mentions),
``sentiment_score_sum`` (the sum of their scores; divided by ``mentions`` it is
the average sentiment of any period, without averaging averages),
``competitor_mentions`` and ``industry_mentions``. They are recomputed from the
mentions table, never incremented, so a correction (another topic, a moved
``posted_at``) cannot leave a stale number behind.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Date,
    Float,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.domain import tenancy
from api.domain.base import utcnow
from api.domain.mentions.models import Mention
from api.domain.metrics.models import MetricPoint, dimensions_of

SOURCE = "derived"
KEYS = ("mentions", "sentiment_score_sum", "competitor_mentions", "industry_mentions")
Slot = tuple[date, uuid.UUID]  # (UTC day, channel): what one set of derived points covers

# UUIDv7 ids made in SQL (48-bit Unix milliseconds, version 7, random rest), so derived
# points sort by creation time among the Python-made ids. PostgreSQL 15 has no uuidv7().
_NEW_ID = {
    "postgresql": (
        "CAST(OVERLAY(OVERLAY(REPLACE(CAST(gen_random_uuid() AS TEXT), '-', '') PLACING "
        "LPAD(TO_HEX(CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)), "
        "12, '0') FROM 1 FOR 12) PLACING '7' FROM 13 FOR 1) AS UUID)"
    ),
    # SQLAlchemy keeps UUIDs on SQLite as 32 lower-case hex digits.
    "sqlite": (
        "lower(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) "
        "|| '7' || substr(hex(randomblob(2)), 2, 3) "
        "|| substr('89ab', 1 + abs(random() % 4), 1) || substr(hex(randomblob(8)), 2, 15))"
    ),
}


def slot_of(mention: Mention) -> Slot:
    return mention.posted_at.astimezone(UTC).date(), mention.channel_id


def utc_day(column, dialect: str):
    if dialect == "postgresql":
        # Inline 'UTC' (not a parameter): the same expression is selected and grouped by.
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column, type_=Date)  # SQLite keeps UTC times as ISO text


def refresh(session: Session, organisation_id: uuid.UUID, slots: Iterable[Slot]) -> None:
    """Recompute the derived points of ``slots`` from the mentions (flushed beforehand).

    One INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE writes the four points of
    every slot that has mentions; one UPDATE sets to 0 those of slots left without
    any. Zeroed rather than deleted: the rollup finds its work through the points'
    ``updated_at``, and a deleted point would leave its KPI periods untouched.
    """
    slots = set(slots)
    if not slots:
        return
    dialect = session.get_bind().dialect.name
    day = utc_day(Mention.posted_at, dialect)
    first = datetime.combine(min(d for d, _ in slots), time(), UTC)
    after = datetime.combine(max(d for d, _ in slots) + timedelta(days=1), time(), UTC)
    channels = {channel for _, channel in slots}
    in_slots = (
        # The range lets the (organisation, posted_at) index narrow the scan.
        Mention.posted_at >= first,
        Mention.posted_at < after,
        Mention.channel_id.in_(channels),
        tuple_(Mention.channel_id, day).in_([(channel, d) for d, channel in slots]),
    )
    if dialect == "postgresql":
        _lock(session, organisation_id, slots)
    now = utcnow()
    _write(session, organisation_id, dialect, day, in_slots, channels, now)
    session.execute(
        update(MetricPoint)
        .where(
            MetricPoint.source == SOURCE,
            MetricPoint.metric_key.in_(KEYS),
            tuple_(MetricPoint.day, MetricPoint.dimensions).in_(
                [(d, dimensions_of(channel, None, None)) for d, channel in slots]
            ),
            MetricPoint.value != 0,
            ~exists().where(
                Mention.channel_id == MetricPoint.channel_id,
                day == MetricPoint.day,
                Mention.posted_at >= first,
                Mention.posted_at < after,
            ),
        )
        .values(value=0.0, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _lock(session: Session, organisation_id: uuid.UUID, slots: set[Slot]) -> None:
    """Wait for other transactions recomputing these slots to commit (PostgreSQL).

    Under READ COMMITTED two writers of one slot would each count only their own new
    mentions and the later upsert would win with a short count. Holding a transaction
    lock per slot makes the second recompute start after the first commits, so its
    statement sees both. Taken in one order (sorted) by everyone, so never a deadlock.
    SQLite needs none: it has one writer at a time.
    """
    keys = sorted(
        int.from_bytes(
            hashlib.blake2b(f"mentions:{organisation_id}:{c}:{d}".encode(), digest_size=8).digest(),
            "big",
            signed=True,
        )
        for d, c in slots
    )
    session.execute(
        text("SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS bigint[])) AS key"),
        {"keys": keys},
    )


def _write(session, organisation_id, dialect, day, in_slots, channels, now) -> None:
    def when(topic: str, value):
        return func.sum(case((Mention.topic == topic, value), else_=0))

    table = MetricPoint.__table__
    counts = (
        select(
            day.label("day"),
            Mention.channel_id.label("channel_id"),
            when("company", 1).label("mentions"),
            when("company", Mention.sentiment_score).label("sentiment_score_sum"),
            when("competitor", 1).label("competitor_mentions"),
            when("industry", 1).label("industry_mentions"),
        )
        # A statement-level insert escapes tenancy's hooks: the organisation is named here.
        .where(Mention.organisation_id == organisation_id, *in_slots)
        .group_by(day, Mention.channel_id)
        .cte("counts")
    )
    dimensions = case(
        {channel: dimensions_of(channel, None, None) for channel in channels},
        value=counts.c.channel_id,
    )
    columns = (
        "id",
        "organisation_id",
        "metric_key",
        "day",
        "value",
        "channel_id",
        "source",
        "dimensions",
        "created_at",
        "updated_at",
    )
    rows = union_all(
        *(
            select(
                literal_column(_NEW_ID[dialect], table.c.id.type),
                literal(organisation_id, table.c.organisation_id.type),
                literal(key, table.c.metric_key.type),
                counts.c.day,
                cast(counts.c[key], Float),
                counts.c.channel_id,
                literal(SOURCE, table.c.source.type),
                dimensions,
                literal(now, table.c.created_at.type),
                literal(now, table.c.updated_at.type),
            )
            # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT (parsing ambiguity).
            .where(counts.c.day.is_not(None))
            for key in KEYS
        )
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).from_select(columns, rows, include_defaults=False)
    stmt = stmt.on_conflict_do_update(
        index_elements=["organisation_id", "metric_key", "day", "source", "dimensions"],
        set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        # An unchanged number is not rewritten, so the rollup has nothing to redo for it.
        where=table.c.value != stmt.excluded.value,
    )
    session.execute(tenancy.statement(stmt, organisation_id=organisation_id))
