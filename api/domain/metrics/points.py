"""Metric points in: batches validated point by point, upserted set-based.

A point's identity is (organisation, metric key, day, source, dimensions); sending
a point again replaces its value. A batch is counted as if its points were
applied in order: a point whose identity appears again later in the same batch
is replaced by the later one and counted as ``updated``, so that
``inserted + updated + len(rejected)`` is always the number of points sent.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from sqlalchemy import Boolean, bindparam, cast, func, literal_column, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from api.domain import tenancy
from api.domain.base import array_literal, new_id, new_id_texts, unnested_rows, utcnow
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.content_items.models import ContentItem
from api.domain.errors import RuleViolation
from api.domain.metrics.definitions import known_metric_keys
from api.domain.metrics.models import MetricPoint, dimensions_of
from api.domain.metrics.rollup_requests import request_rollup
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.tenancy import CrossTenantWrite
from api.domain.uow import UnitOfWork

__all__ = [
    "BatchResult",
    "PointDraft",
    "PointFilter",
    "ingest_points",
    "invalid_points",
    "known_metric_keys",
    "list_points",
]

MAX_BATCH = 10_000
# The largest magnitude a metric point may have. A quadrillion leaves room to sum
# billions of points in double precision; 1e308-sized values overflow any sum.
MAX_VALUE = 1e15
# SQLite's upsert, and the count before it, go by chunks: the count's IN names 4
# parameters per point, under SQLite's limit of 32,766. PostgreSQL takes a batch at once.
CHUNK = 1_000
# What clients may send; "derived" points are written by Clover itself.
CLIENT_SOURCES = ("api", "import", "sync")
COLUMNS = (
    "id",
    "organisation_id",
    "metric_key",
    "day",
    "value",
    "channel_id",
    "campaign_id",
    "content_item_id",
    "source",
    "dimensions",
    "created_at",
    "updated_at",
)
# What PostgreSQL's upsert gets one array of; the organisation and the timestamps are
# one value for the whole batch.
PER_POINT = tuple(c for c in COLUMNS if c not in ("organisation_id", "created_at", "updated_at"))
REFERENCES = (
    ("channel_id", Channel, "channel"),
    ("campaign_id", Campaign, "campaign"),
    ("content_item_id", ContentItem, "content item"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PointDraft:
    """A metric point to write: its identity and value.

    Not a ``Draft`` with ``UNSET`` fields: every field has its value (a batch's
    schema fills the defaults), and slots keep 10,000 of them small and quick.
    """

    metric_key: str
    day: date
    value: float
    channel_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    content_item_id: uuid.UUID | None = None
    source: str = "api"


@dataclass(frozen=True)
class BatchResult:
    inserted: int
    updated: int
    rejected: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PointFilter:
    metric_key: str | None = None
    channel_id: uuid.UUID | None = None
    campaign_id: uuid.UUID | None = None
    day_from: date | None = None
    day_to: date | None = None


def _existing_ids(uow: UnitOfWork, points: list[PointDraft]) -> dict[str, set[uuid.UUID]]:
    """Per reference kind, which of the referenced ids this organisation has: one query each."""
    found = {}
    for name, model, _ in REFERENCES:
        wanted = {id_ for p in points if (id_ := getattr(p, name)) is not None}
        found[name] = (
            set(uow.session.scalars(select(model.id).where(model.id.in_(wanted))))
            if wanted
            else set()
        )
    return found


def _campaign_channels(
    uow: UnitOfWork, points: list[PointDraft]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """The (campaign, channel) links among the points naming both: one query."""
    campaigns = {p.campaign_id for p in points if p.campaign_id and p.channel_id}
    if not campaigns:
        return set()
    rows = uow.session.execute(
        select(CampaignChannel.campaign_id, CampaignChannel.channel_id).where(
            CampaignChannel.campaign_id.in_(campaigns)
        )
    )
    return {(campaign_id, channel_id) for campaign_id, channel_id in rows}


def channel_outside_campaign(
    *, campaign_id: uuid.UUID | None, channel_id: uuid.UUID | None, links: set[tuple]
) -> str | None:
    """A point for a campaign on a channel that campaign does not use counts for neither."""
    if campaign_id is None or channel_id is None or (campaign_id, channel_id) in links:
        return None
    return f"campaign {campaign_id} does not use channel {channel_id}"


def _problems(
    point: PointDraft, known: set[str], existing: dict[str, set[uuid.UUID]], links: set[tuple]
) -> list[str]:
    problems = []
    if point.metric_key not in known:
        problems.append(f"metric key {point.metric_key!r} is not defined")
    value = point.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append("value must be a finite number")
    elif abs(value) > MAX_VALUE:
        problems.append(f"value must be between -{MAX_VALUE:.0e} and {MAX_VALUE:.0e}")
    if point.source not in CLIENT_SOURCES:
        problems.append(f"source must be one of {', '.join(CLIENT_SOURCES)}")
    for name, _, what in REFERENCES:
        if (id_ := getattr(point, name)) is not None and id_ not in existing[name]:
            problems.append(f"{what} {id_} not found")
    if not problems and (
        outside := channel_outside_campaign(
            campaign_id=point.campaign_id, channel_id=point.channel_id, links=links
        )
    ):
        problems.append(outside)
    return problems


def _latest(points: Iterable[PointDraft]) -> dict[tuple, PointDraft]:
    """Each identity's last point among ``points`` (a later one replaces an earlier one)."""
    latest = {}
    spelled: dict[tuple, str] = {}  # a batch names few distinct references: spelled once each
    for point in points:
        refs = (point.channel_id, point.campaign_id, point.content_item_id)
        if (dimensions := spelled.get(refs)) is None:
            dimensions = spelled[refs] = dimensions_of(*refs)
        latest[(point.metric_key, point.day, point.source, dimensions)] = point
    return latest


def _identity_columns(columns) -> tuple:
    """A point's identity within its organisation, as columns of ``columns``."""
    return (columns.metric_key, columns.day, columns.source, columns.dimensions)


@cache
def _upsert_statement(dialect: str):
    """INSERT … ON CONFLICT (identity) DO UPDATE, built once per dialect and cached compiled.

    On PostgreSQL, one statement for a whole batch that answers one number: how many
    of its rows it inserted.
    """
    table = MetricPoint.__table__
    if dialect == "postgresql":
        rows = unnested_rows(table, PER_POINT)
        stmt = postgresql.insert(table).from_select(
            COLUMNS,
            select(
                *(
                    rows.c[c] if c in PER_POINT else cast(bindparam(c), table.c[c].type)
                    for c in COLUMNS
                )
            ),
        )
    else:
        stmt = sqlite.insert(table)  # run with one parameter set per row
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.organisation_id, *_identity_columns(table.c)],
        set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        # Re-sending an unchanged value rewrites nothing, so the rollup has nothing to redo.
        where=table.c.value != stmt.excluded.value,
    )
    if dialect == "postgresql":
        # xmax is 0 on a row this statement inserted (an updated row holds a transaction id).
        written = stmt.returning(literal_column("xmax = 0", Boolean).label("inserted")).cte()
        return select(func.count()).select_from(written).where(written.c.inserted)
    return stmt


def _upsert(uow: UnitOfWork, latest: dict[tuple, PointDraft], *, organisation_id: uuid.UUID) -> int:
    """Insert or replace each identity's point of ``latest``; returns how many were new.

    The others replaced an existing point (counted as updated even when the value
    was already the same, in which case the row is left untouched).
    """
    session = uow.session
    dialect = session.get_bind().dialect.name
    stmt = tenancy.statement(_upsert_statement(dialect), organisation_id=organisation_id)
    # A stable order makes concurrent batches lock their rows in the same order.
    identities = sorted(latest)
    drafts = [latest[identity] for identity in identities]
    keys, days, sources, dimensions = zip(*identities, strict=True)
    columns = {
        "id": new_id_texts(len(identities))
        if dialect == "postgresql"
        else [new_id() for _ in identities],
        "metric_key": keys,
        "day": days,
        "value": [float(p.value) for p in drafts],
        "channel_id": [p.channel_id for p in drafts],
        "campaign_id": [p.campaign_id for p in drafts],
        "content_item_id": [p.content_item_id for p in drafts],
        "source": sources,
        "dimensions": dimensions,
    }
    # Set here: tenancy's flush hook does not see a statement-level insert.
    batch = {"organisation_id": organisation_id, "created_at": utcnow()}
    batch["updated_at"] = batch["created_at"]
    if dialect == "postgresql":
        params = {column: array_literal(values) for column, values in columns.items()}
        return session.scalar(stmt, params | batch)
    rows = [
        dict(zip(columns, values, strict=True), **batch)
        for values in zip(*columns.values(), strict=True)
    ]
    inserted = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        # No xmax on SQLite: count the identities already stored first (same transaction).
        already = session.scalar(
            select(func.count())
            .select_from(MetricPoint)
            .where(tuple_(*_identity_columns(MetricPoint)).in_(identities[start : start + CHUNK]))
        )
        session.execute(stmt, chunk)
        inserted += len(chunk) - already
    return inserted


def invalid_points(*, uow: UnitOfWork, points: list[PointDraft]) -> list[tuple[int, str]]:
    """Each point of ``points`` that cannot be written, as (index, reason); writes nothing.

    The checks ``ingest_points`` makes, for a caller that must know every invalid
    point before writing any (an import that fails whole).
    """
    if tenancy.scoped_organisation(uow.session) != uow.tenant.organisation_id:
        # The checks below rely on tenancy's scoping, and the insert is not stamped by it.
        raise CrossTenantWrite("metric points are written in a session scoped to their tenant")
    if len(points) > MAX_BATCH:
        raise RuleViolation(
            f"a batch holds at most {MAX_BATCH} points",
            errors={"points": [f"At most {MAX_BATCH} points per batch."]},
        )
    known = known_metric_keys(uow=uow)
    existing = _existing_ids(uow, points)
    links = _campaign_channels(uow, points)
    rejected = []
    for index, point in enumerate(points):
        problems = _problems(point, known, existing, links)
        if problems:
            rejected.append((index, "; ".join(problems)))
    return rejected


def ingest_points(*, uow: UnitOfWork, points: list[PointDraft], atomic: bool) -> BatchResult:
    """Validate, then upsert the valid points; with ``atomic``, any invalid point refuses all."""
    rejected = invalid_points(uow=uow, points=points)
    if atomic and rejected:
        raise RuleViolation(
            f"{len(rejected)} of {len(points)} points are not valid; none were written",
            errors={"points": {str(index): [reason] for index, reason in rejected}},
        )
    refused = {index for index, _ in rejected}
    kept = [p for index, p in enumerate(points) if index not in refused] if refused else points
    latest = _latest(kept)
    inserted = _upsert(uow, latest, organisation_id=uow.tenant.organisation_id) if latest else 0
    if latest:
        request_rollup(uow=uow)
        uow.commit()
    replaced_in_batch = len(kept) - len(latest)
    return BatchResult(inserted, len(latest) - inserted + replaced_in_batch, rejected)


def list_points(*, uow: UnitOfWork, filters: PointFilter, page: PageRequest) -> Page[MetricPoint]:
    stmt = select(MetricPoint)
    for column, value in (
        (MetricPoint.metric_key, filters.metric_key),
        (MetricPoint.channel_id, filters.channel_id),
        (MetricPoint.campaign_id, filters.campaign_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.day_from:
        stmt = stmt.where(MetricPoint.day >= filters.day_from)
    if filters.day_to:
        stmt = stmt.where(MetricPoint.day <= filters.day_to)
    return paginate(uow.session, stmt, MetricPoint.id, page)
