"""Metrics benchmark: batch ingestion and KPI rollups on PostgreSQL, against raw SQL.

Run with ``.venv/bin/python -m bench.metrics`` (``bench.run`` runs it last;
``--scale 0.1`` for a quick look). Like the other benchmarks it creates a
throwaway PostgreSQL database ``bench_<random>`` on the server named by
``BENCH_DATABASE_URL``, migrates it, measures in-process and drops the database,
also when something fails.

1. Ingestion: points per second of 10,000-point batches (a) through
   POST …/metric-points/batch, (b) through ``ingest_points``, and (c) as a raw
   psycopg ``COPY metric_points FROM STDIN`` of the same rows, each path into an
   organisation of its own so every point is an insert; then (b) again with new
   values (every point an update).
2. Rollups: one organisation with ~2 million points (20 channels × 30 metric keys
   × 9 years of days, loaded with COPY) and 30 KPIs. A full ``run_rollup``
   against one raw grouped query per KPI over the same rows; an incremental
   ``run_rollup`` after a 1,000-point batch (and after a 40-point batch of one
   key), at 0.5, 1 and 2 million points.
3. Where the time goes: each rollup's time split between its statements and
   the Python around them, EXPLAIN (ANALYZE, BUFFERS) of the rollup's queries
   against the raw ones (which index, how many pages), the table's indexes and
   their use; with ``--profile N``, cProfile of one full and one incremental
   rollup. Then a what-if, measured on the same data (``--no-what-if`` skips
   it): one grouped query for all KPIs.
4. Forecasts: the same full rollup with and without forecasting the open periods
   (``bench/forecasts.py``), the added time as a ratio of the rollup's own.

The product's goals (the domain ingestion path within 3× of COPY, a full rollup
within 1.5× of the raw queries, incremental rollups that do not grow with the
history) are printed next to the figures; nothing here passes or fails on time
(see docs/performance.md).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gc
import pstats
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import psycopg
from flask import Flask
from sqlalchemy import event, select

from api.db import Database
from api.domain import periods
from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
from api.domain.base import new_id, utcnow
from api.domain.channels.models import Channel
from api.domain.kpis import service as kpi_service
from api.domain.kpis.models import KpiValue
from api.domain.kpis.rollups import run_rollup
from api.domain.kpis.service import KpiDraft
from api.domain.metrics import definitions
from api.domain.metrics.definitions import BUILT_IN, MetricDefinitionDraft
from api.domain.metrics.models import dimensions_of
from api.domain.metrics.points import PointDraft, ingest_points
from api.domain.strategies import objectives, service
from api.domain.strategies.objectives import ObjectiveDraft
from api.domain.strategies.service import StrategyDraft
from api.domain.uow import UnitOfWork
from bench.common import (
    Throwaway,
    counting,
    environment,
    psycopg_url,
    quiet_app,
    table,
    throwaway_database,
)
from bench.forecasts import forecast_cost
from tests.factories import Factory, Org

# The rollup organisation's history: CHANNELS × METRIC_KEYS points per day, ending on
# LAST_DAY (a Thursday: the incremental batch's two days share one week, month and
# quarter). 3,287 days (2018-2026) × 600 = 1,972,200 points at --scale 1.
LAST_DAY = date(2026, 12, 31)
DAYS = 3_287
CHANNELS = 20
OWN_KEYS = (
    "webinar_signups",
    "demo_requests",
    "trial_starts",
    "app_installs",
    "referrals",
    "nps_responses",
)
METRIC_KEYS = tuple(m.key for m in BUILT_IN) + OWN_KEYS  # 24 built-in + 6 own = 30
HISTORY_STEPS = (0.25, 0.5, 1.0)  # shares of DAYS loaded before each rollup measurement
ROUNDS = 3  # timed full rollups (and raw baselines), interleaved, per history step
INCREMENTAL = 5  # timed incremental rollups per history step, each after its own batch
INCREMENTAL_DAYS = 2  # the batch: the last 2 days × 20 channels × 25 keys = 1,000 points
INCREMENTAL_KEYS = METRIC_KEYS[:25]  # every key a KPI reads is among them
ONE_KEY = ("leads",)  # a batch of one key: the last 2 days × 20 channels = 40 points

BATCH = 10_000  # points per ingestion batch: 20 channels × 25 keys × 20 days
BATCH_KEYS = 25
BATCH_DAYS = 20
BATCHES = 5  # per ingestion path at --scale 1 (at least 2)

INGEST_GOAL = 3.0  # the domain path within 3× of COPY
FULL_GOAL = 1.5  # a full rollup within 1.5× of the raw grouped queries

COPY_COLUMNS = (
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
COPY_SQL = f"COPY metric_points ({', '.join(COPY_COLUMNS)}) FROM STDIN"

# (name, aggregation, metric key or (numerator, denominator), period, channel index, target,
# direction): sums, averages, last values and ratios; months, quarters and weeks; some of
# one channel.
KPIS = (
    ("Impressions", "sum", "impressions", "month", None, 9.0e6, "increase"),
    ("Reach", "sum", "reach", "month", None, 6.0e6, "increase"),
    ("Clicks", "sum", "clicks", "month", None, 2.5e5, "increase"),
    ("Engagements", "sum", "engagements", "month", None, 4.0e5, "increase"),
    ("Mentions", "sum", "mentions", "month", None, 3.0e4, "increase"),
    ("Emails sent", "sum", "email_sends", "month", None, 5.0e5, "increase"),
    ("Leads", "sum", "leads", "month", None, 2.0e4, "increase"),
    ("Conversions", "sum", "conversions", "month", None, 4.0e3, "increase"),
    ("Revenue", "sum", "revenue", "month", None, 1.5e6, "increase"),
    ("Revenue per quarter", "sum", "revenue", "quarter", None, 4.5e6, "increase"),
    ("Leads per quarter", "sum", "leads", "quarter", None, 6.0e4, "increase"),
    ("POS sales per quarter", "sum", "pos_sales", "quarter", None, 9.0e4, "increase"),
    ("Clicks per week", "sum", "clicks", "week", None, 6.0e4, "increase"),
    ("Leads per week", "sum", "leads", "week", None, 5.0e3, "increase"),
    ("Support tickets per week", "sum", "support_tickets", "week", None, 2.0e3, "decrease"),
    ("Impressions, channel 1", "sum", "impressions", "month", 0, 4.5e5, "increase"),
    ("Clicks, channel 2", "sum", "clicks", "month", 1, 1.2e4, "increase"),
    ("Engagements, channel 3", "sum", "engagements", "month", 2, 2.0e4, "increase"),
    ("Leads, channel 4", "sum", "leads", "month", 3, 1.0e3, "increase"),
    ("Followers (average)", "avg", "followers", "month", None, 2.0e5, "increase"),
    ("Active customers (average)", "avg", "active_customers", "month", None, 9.0e3, "increase"),
    ("Followers per quarter (average)", "avg", "followers", "quarter", None, 2.0e5, "increase"),
    ("Followers (last)", "last", "followers", "month", None, 2.0e5, "increase"),
    ("Active customers (last)", "last", "active_customers", "month", None, 9.0e3, "increase"),
    ("Followers, channel 5 (last)", "last", "followers", "quarter", 4, 1.0e4, "increase"),
    ("Lead conversion", "ratio", ("conversions", "leads"), "month", None, 0.2, "increase"),
    ("Click-through", "ratio", ("clicks", "impressions"), "month", None, 0.03, "increase"),
    ("Open rate", "ratio", ("email_opens", "email_sends"), "month", None, 0.3, "increase"),
    # A ratio of two flows: one over a level (churned / active customers) is refused, as
    # the product refuses it; the churn rate is the funnel report's, over a level base.
    ("Tickets per lead", "ratio", ("support_tickets", "leads"), "quarter", None, 0.05, "decrease"),
    (
        "Reply rate per week",
        "ratio",
        ("email_responses", "email_opens"),
        "week",
        None,
        0.1,
        "increase",
    ),
)

# One KPI's grouped query, raw: the rows the KPI reads, summed per period.
RAW_KPI = """
SELECT date_trunc(%(period)s, day)::date, SUM(value)
FROM metric_points
WHERE organisation_id = %(org)s AND metric_key = ANY(%(keys)s)
  AND day >= %(first)s AND day <= %(last)s{channel}
GROUP BY 1
"""


def tenant_of(org: Org) -> Tenant:
    grant = Grant(org.id, "owner", ROLE_SCOPES["owner"])
    return Tenant(org.id, Principal("api_key", {org.id: grant}, org.owner_id), grant)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


@dataclass
class Workspace:
    """An organisation with channels and its own metric keys, ready for points."""

    org: Org
    tenant: Tenant
    channels: list[uuid.UUID]
    database: Database

    def uow(self) -> UnitOfWork:
        uow = UnitOfWork(self.database.session())
        uow.open_for(self.tenant)
        return uow


def workspace(factory: Factory, database: Database, name: str) -> Workspace:
    org = factory.organisation(name)
    tenant = tenant_of(org)
    with UnitOfWork(database.session()) as uow:
        uow.open_for(tenant)
        channels = [
            Channel(kind="linkedin", mode="conversational", purposes=["marketing"], name=f"C{n}")
            for n in range(CHANNELS)
        ]
        uow.session.add_all(channels)
        uow.commit()
        channel_ids = [c.id for c in channels]
    for key in OWN_KEYS:
        with UnitOfWork(database.session()) as uow:
            uow.open_for(tenant)
            definitions.create_definition(
                uow=uow,
                draft=MetricDefinitionDraft(
                    key=key, name=key.replace("_", " ").title(), unit="", kind="count"
                ),
            )
    return Workspace(org, tenant, channel_ids, database)


def value_of(key_index: int, channel_index: int, day_index: int, bump: int = 0) -> float:
    """A deterministic, varied value: a per-key level, per-channel share and daily noise."""
    level = (key_index * 37 % 11 + 1) * 25
    noise = (day_index * 7919 + key_index * 104_729 + channel_index * 1_299_709) % 97
    return float(level + channel_index * 3 + noise + day_index // 30 + bump)


# 1. Ingestion


def ingestion_points(ws: Workspace, batch: int, first: date, bump: int = 0) -> list[dict]:
    """Batch number ``batch``: 20 days from ``first`` + 20 × batch, as the API's schema loads."""
    points = []
    start = (first - date(2000, 1, 1)).days + batch * BATCH_DAYS
    for d in range(BATCH_DAYS):
        day = first + timedelta(days=batch * BATCH_DAYS + d)
        for c, channel in enumerate(ws.channels):
            for k, key in enumerate(METRIC_KEYS[-BATCH_KEYS:]):
                points.append(
                    {
                        "metric_key": key,
                        "day": day,
                        "value": value_of(k, c, start + d, bump),
                        "channel_id": channel,
                        "campaign_id": None,
                        "content_item_id": None,
                        "source": "sync",
                    }
                )
    assert len(points) == BATCH
    return points


def json_body(app: Flask, points: list[dict]) -> bytes:
    encoded = [
        {
            "metric_key": p["metric_key"],
            "day": p["day"].isoformat(),
            "value": p["value"],
            "channel_id": str(p["channel_id"]),
            "source": p["source"],
        }
        for p in points
    ]
    return app.json.dumps({"points": encoded}).encode()


def copy_rows(ws: Workspace, points: list[dict]) -> list[tuple]:
    now = utcnow()
    return [
        (
            new_id(),
            ws.org.id,
            p["metric_key"],
            p["day"],
            p["value"],
            p["channel_id"],
            None,
            None,
            p["source"],
            dimensions_of(p["channel_id"], None, None),
            now,
            now,
        )
        for p in points
    ]


class Recorder:
    """Stands in for the job queue: a batch's rollup is queued, not run in the request."""

    def __init__(self) -> None:
        self.jobs = 0

    def enqueue(self, queue: str, job: str, *args: object, job_id: str | None = None, at=None):
        self.jobs += 1


@dataclass
class Path:
    label: str
    run: Callable[[int], object]  # batch number → result
    samples: list[float] = field(default_factory=list)
    statements: float | None = None

    @property
    def rate(self) -> float:
        return BATCH / statistics.median(self.samples)


def check_batch(result, inserted: int, updated: int) -> None:
    if (result.inserted, result.updated, len(result.rejected)) != (inserted, updated, 0):
        raise RuntimeError(f"expected {inserted} inserted, {updated} updated: {result}")


def ingestion(
    db: Throwaway, app: Flask, factory: Factory, raw: psycopg.Connection, batches: int
) -> dict:
    database = db.database
    recorder = Recorder()
    app.extensions["clover"] = dataclasses.replace(app.extensions["clover"], jobs=recorder)
    client = app.test_client()
    first = date(2025, 1, 1)
    api_ws = workspace(factory, database, "Ingest API")
    domain_ws = workspace(factory, database, "Ingest domain")
    copy_ws = workspace(factory, database, "Ingest COPY")
    bare_ws = workspace(factory, database, "Ingest COPY without triggers")

    # Everything each path is handed is built before any timing.
    bodies = [json_body(app, ingestion_points(api_ws, b, first)) for b in range(batches + 1)]
    domain_points = [
        [PointDraft(**p) for p in ingestion_points(domain_ws, b, first)] for b in range(batches + 1)
    ]
    updates = [
        [PointDraft(**p) for p in ingestion_points(domain_ws, b, first, bump=1)]
        for b in range(batches + 1)
    ]
    rows = [copy_rows(copy_ws, ingestion_points(copy_ws, b, first)) for b in range(batches)]
    bare_rows = [copy_rows(bare_ws, ingestion_points(bare_ws, b, first)) for b in range(batches)]
    path = api_ws.org.url("/metric-points/batch?atomic=true")

    def api(batch: int):
        response = client.post(
            path, data=bodies[batch], headers=api_ws.org.headers, content_type="application/json"
        )
        if response.status_code != 200:
            raise RuntimeError(f"POST {path} answered {response.status_code}: {response.data!r}")
        body = response.get_json()
        if (body["inserted"], body["updated"], body["rejected"]) != (BATCH, 0, []):
            raise RuntimeError(f"POST {path}: {body}")

    def domain(batch: int):
        with domain_ws.uow() as uow:
            check_batch(ingest_points(uow=uow, points=domain_points[batch], atomic=True), BATCH, 0)

    def update(batch: int):
        with domain_ws.uow() as uow:
            check_batch(ingest_points(uow=uow, points=updates[batch], atomic=True), 0, BATCH)

    def copy(batch: int):
        with raw.transaction(), raw.cursor() as cursor, cursor.copy(COPY_SQL) as copy:
            for row in rows[batch]:
                copy.write_row(row)

    def bare_copy(batch: int):
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no FK triggers
            with cursor.copy(COPY_SQL) as copy:
                for row in bare_rows[batch]:
                    copy.write_row(row)

    inserts = [
        Path("(a) POST …/metric-points/batch", api),
        Path("(b) ingest_points(), inserts", domain),
        Path("(c) raw COPY FROM STDIN", copy),
        Path("(c') the same COPY, FK triggers off", bare_copy),
    ]
    updated = Path("(b') ingest_points(), updates", update)
    for round_ in range(batches):
        # Rotate the order so drift (thermal, other load, table growth) favours no path.
        shift = round_ % len(inserts)
        for p in inserts[shift:] + inserts[:shift]:
            gc.collect()
            started = time.perf_counter()
            p.run(round_)
            p.samples.append(time.perf_counter() - started)
    for round_ in range(batches):
        gc.collect()
        started = time.perf_counter()
        update(round_)
        updated.samples.append(time.perf_counter() - started)

    # SQL per batch, in a pass of its own: one more batch of inserts each.
    with counting(database.engine) as counts:
        for p in inserts[:2]:
            counts["statements"] = 0
            p.run(batches)
            p.statements = counts["statements"]
    with counting(database.engine) as counts:
        update(batches)
        updated.statements = counts["statements"]

    stored = dict(
        raw.execute(
            "SELECT organisation_id, count(*) FROM metric_points"
            " WHERE organisation_id = ANY(%s) GROUP BY 1",
            ([api_ws.org.id, domain_ws.org.id, copy_ws.org.id, bare_ws.org.id],),
        ).fetchall()
    )
    expected = {api_ws.org.id: BATCH * (batches + 1), domain_ws.org.id: BATCH * (batches + 1)}
    expected[copy_ws.org.id] = expected[bare_ws.org.id] = BATCH * batches
    if stored != expected:
        raise RuntimeError(f"points stored per organisation: {stored}, expected {expected}")
    return {"paths": [*inserts, updated], "jobs": recorder.jobs, "batches": batches}


def report_ingestion(result: dict) -> None:
    paths = result["paths"]
    floor = paths[2]
    print()
    print(
        f"1. Batch ingestion: {result['batches']} batches of {BATCH:,} points per path"
        f" ({CHANNELS} channels × {BATCH_KEYS} keys × {BATCH_DAYS} days). (a) to (c') in"
        " interleaved rounds, each into an organisation of its own (every point an insert);"
        " (b') afterwards: (b)'s batches again with new values (every point an update)."
    )
    print()
    columns = ["path", "median s/batch", "points/s", "time vs COPY", "SQL/batch"]
    rows = [
        [
            p.label,
            f"{statistics.median(p.samples):.3f}",
            f"{p.rate:,.0f}",
            "1.00 (floor)" if p is floor else f"{floor.rate / p.rate:.2f}",
            "-" if p.statements is None else f"{p.statements}",
        ]
        for p in paths
    ]
    table(columns, rows)
    domain = paths[1]
    ratio = floor.rate / domain.rate
    where = "met" if ratio <= INGEST_GOAL else f"not met: {ratio / INGEST_GOAL:.1f}× off"
    print()
    print(
        f"Goal, ingest_points within {INGEST_GOAL:.0f}× of COPY: inserts at {ratio:.1f}×"
        f" ({where}); updates at {floor.rate / paths[4].rate:.1f}×."
    )
    print(
        f"Of COPY's own time, {1 - floor.rate / paths[3].rate:.0%} goes to the foreign-key"
        " triggers (c'): per row, a lookup of the organisation and of the channel."
    )
    print(
        "(a) is the whole request (auth, JSON parsing, marshmallow, ingest_points, response);"
        f" its rollup job is queued to a stand-in ({result['jobs']} queued), not run in the"
        " request. (c) gets ready-made tuples (ids included) and writes them with"
        " copy.write_row, one transaction per batch. SQL/batch: statements of one more"
        " batch, counted apart (before_cursor_execute on the app's engine)."
    )


# 2. Rollups


@dataclass
class KpiSpec:
    id: uuid.UUID
    name: str
    aggregation: str
    keys: list[str]
    period: str
    channel_id: uuid.UUID | None


@dataclass
class History:
    ws: Workspace
    first: date  # the strategy's first day (and the oldest point's, once fully loaded)
    kpis: list[KpiSpec]
    loaded_from: date  # the oldest day loaded so far
    points: int = 0


def rollup_workspace(factory: Factory, database: Database, days: int) -> History:
    ws = workspace(factory, database, "Rollup")
    first = LAST_DAY - timedelta(days=days - 1)
    with ws.uow() as uow:
        strategy = service.create_strategy(
            uow=uow, draft=StrategyDraft(name="Nine years", period_start=first, period_end=LAST_DAY)
        )
        strategy_id = strategy.id
    objective_ids = []
    for title, outcome in (
        ("Awareness", "awareness"),
        ("Pipeline", "sales"),
        ("Retention", "loyalty"),
    ):
        with ws.uow() as uow:
            objective = objectives.create_objective(
                uow=uow,
                strategy_id=strategy_id,
                draft=ObjectiveDraft(title=title, business_outcome=outcome),
            )
            objective_ids.append(objective.id)
    kpis = []
    for n, (name, aggregation, key, period, channel, target, direction) in enumerate(KPIS):
        values = {
            "name": name,
            "aggregation": aggregation,
            "period": period,
            "target": target,
            "direction": direction,
            "channel_id": ws.channels[channel] if channel is not None else None,
        }
        if aggregation == "ratio":
            values |= {"numerator_key": key[0], "denominator_key": key[1]}
        else:
            values["metric_key"] = key
        with ws.uow() as uow:
            kpi = kpi_service.create_kpi(
                uow=uow, objective_id=objective_ids[n % 3], draft=KpiDraft(**values)
            )
            keys = list(key) if aggregation == "ratio" else [key]
            kpis.append(KpiSpec(kpi.id, name, aggregation, keys, period, values["channel_id"]))
    return History(ws, first, kpis, LAST_DAY + timedelta(days=1))


def load_history(raw: psycopg.Connection, history: History, first: date) -> float:
    """COPY every point from ``first`` up to the oldest day loaded so far; then VACUUM ANALYZE.

    Days in ascending order, every key and channel of a day together (what a daily sync
    writes), newest history first: each step adds older years. Returns the seconds taken.
    """
    started = time.perf_counter()
    ws = history.ws
    org = str(ws.org.id)
    stamp = utcnow().isoformat()
    prefix = str(new_id())[:24]  # ids: one UUIDv7 prefix per load, then a counter
    channels = [str(c) for c in ws.channels]
    count = 0
    lines: list[str] = []
    with raw.transaction(), raw.cursor() as cursor:
        # The rows are valid by construction: skip the per-row foreign-key triggers (most
        # of COPY's cost on this table, see ingestion) in this transaction only.
        cursor.execute("SET LOCAL session_replication_role = replica")
        with cursor.copy(COPY_SQL) as copy:
            day = first
            while day < history.loaded_from:
                index = (day - date(2000, 1, 1)).days
                iso = day.isoformat()
                for c, channel in enumerate(channels):
                    tail = f"\t{channel}\t\\N\t\\N\tsync\t{channel}||\t{stamp}\t{stamp}\n"
                    for k, key in enumerate(METRIC_KEYS):
                        value = value_of(k, c, index)
                        lines.append(f"{prefix}{count:012x}\t{org}\t{key}\t{iso}\t{value}{tail}")
                        count += 1
                if len(lines) >= 60_000:
                    copy.write("".join(lines))
                    lines.clear()
                day += timedelta(days=1)
            copy.write("".join(lines))
    loaded = time.perf_counter()
    # What autovacuum would have done by now: planner statistics and the visibility map.
    raw.execute("VACUUM (ANALYZE) metric_points")
    history.loaded_from = first
    history.points += count
    print(
        f"bench: {count:,} points loaded with COPY in {loaded - started:.1f} s,"
        f" VACUUM (ANALYZE) {time.perf_counter() - loaded:.1f} s;"
        f" {history.points:,} in the rollup organisation",
        flush=True,
    )
    return loaded - started


# Sections 2 and 3 measure the rollup's own work against the raw queries; what the
# forecasts add is section 4 (bench/forecasts.py), on a day with periods left to forecast.


def full_rollup(history: History) -> Callable[[], object]:
    def run():
        with history.ws.uow() as uow:
            return run_rollup(uow=uow, full=True, today=LAST_DAY, forecast=False)

    return run


def incremental_rollup(history: History) -> Callable[[], object]:
    def run():
        with history.ws.uow() as uow:
            return run_rollup(uow=uow, today=LAST_DAY, lookback=timedelta(0), forecast=False)

    return run


def kpi_range(history: History, kpi: KpiSpec, touched: bool) -> tuple[date, date]:
    """The days run_rollup's query for ``kpi`` covers: every period, or those of the batch."""
    starts = periods.period_starts(history.first, LAST_DAY, kpi.period, 1)
    if touched:
        days = [LAST_DAY - timedelta(days=d) for d in range(INCREMENTAL_DAYS)]
        batch = {periods.period_start(day, kpi.period) for day in days}
        starts = [start for start in starts if start in batch]
    return starts[0], periods.period_end(starts[-1], kpi.period)


def raw_queries(
    history: History, touched: bool = False, keys: tuple[str, ...] | None = None
) -> list[tuple[str, dict]]:
    """The raw grouped query of every KPI over its periods; with ``touched``, over only the
    periods of the incremental batch's days, for the KPIs with a key among ``keys``: what
    an incremental rollup after a batch of those keys must recompute."""
    queries = []
    for kpi in history.kpis:
        if keys is not None and not set(kpi.keys) & set(keys):
            continue
        first, last = kpi_range(history, kpi, touched)
        params = {
            "period": kpi.period,
            "org": history.ws.org.id,
            "keys": kpi.keys,
            "first": first,
            "last": last,
        }
        channel = ""
        if kpi.channel_id is not None:
            channel = " AND channel_id = %(channel)s"
            params["channel"] = kpi.channel_id
        queries.append((RAW_KPI.format(channel=channel), params))
    return queries


def raw_run(raw: psycopg.Connection, queries: list[tuple[str, dict]]) -> Callable[[], list]:
    """The baseline: the raw grouped queries one after the other, every row fetched."""

    def run():
        results = []
        with raw.cursor() as cursor:
            for sql, params in queries:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
        return results

    return run


def check_sums(history: History, results: list) -> None:
    """The rollup's stored actuals of every sum KPI equal the raw query's sums."""
    with history.ws.uow() as uow:
        for kpi, rows in zip(history.kpis, results, strict=True):
            if kpi.aggregation != "sum":
                continue
            stored = dict(
                uow.session.execute(
                    select(KpiValue.period_start, KpiValue.actual).where(
                        KpiValue.kpi_id == kpi.id, KpiValue.actual.is_not(None)
                    )
                ).all()
            )
            raw = dict(rows)
            if stored.keys() != raw.keys() or any(
                abs(stored[s] - raw[s]) > 1e-6 * max(1.0, abs(raw[s])) for s in raw
            ):
                raise RuntimeError(f"KPI {kpi.name!r}: rollup and raw SQL disagree")


def incremental_batch(
    history: History, repetition: int, keys: tuple[str, ...] = INCREMENTAL_KEYS
) -> list[PointDraft]:
    """The points of ``keys`` on the last 2 days (1,000 for the 25 keys), every value new
    (so every point really changes)."""
    ws = history.ws
    points = []
    for d in range(INCREMENTAL_DAYS):
        day = LAST_DAY - timedelta(days=d)
        index = (day - date(2000, 1, 1)).days
        for c, channel in enumerate(ws.channels):
            for key in keys:
                k = METRIC_KEYS.index(key)
                points.append(
                    PointDraft(
                        metric_key=key,
                        day=day,
                        value=value_of(k, c, index, bump=1000 + repetition),
                        channel_id=channel,
                        source="sync",
                    )
                )
    return points


class Batches:
    """Sends incremental batches, each with new values."""

    def __init__(self, history: History) -> None:
        self.history = history
        self.sent = 0

    def send(self, keys: tuple[str, ...] = INCREMENTAL_KEYS) -> None:
        ws = self.history.ws
        with ws.uow() as uow:
            result = ingest_points(
                uow=uow, points=incremental_batch(self.history, self.sent, keys), atomic=True
            )
        self.sent += 1
        if result.updated != CHANNELS * len(keys) * INCREMENTAL_DAYS:
            raise RuntimeError(f"incremental batch: {result}")


@contextmanager
def statement_log(engine) -> Iterator[list[tuple[float, str, object]]]:
    """(seconds in cursor.execute, statement, parameters) of every statement while open."""
    seen: list[tuple[float, str, object]] = []

    def before(conn, _cursor, _statement, _parameters, _context, _many):
        conn.info["bench.started"] = time.perf_counter()

    def after(conn, _cursor, statement, parameters, _context, _many):
        seen.append((time.perf_counter() - conn.info.pop("bench.started"), statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def is_actuals(statement: str) -> bool:
    return "FROM metric_points" in statement and "GROUP BY" in statement


STATEMENT_KINDS = (
    # One per KPI in a full rollup, one for all KPIs in an incremental one.
    ("grouped metric_points queries (actuals)", is_actuals),
    ("changed keys and days (incremental only)", lambda s: "DISTINCT metric_points.metric" in s),
    ("previous statuses (kpi_values)", lambda s: s.startswith("SELECT") and "FROM kpi_values" in s),
    # On PostgreSQL one statement: the upsert, the previous statuses, the rollup state.
    ("KPI values upsert (and previous statuses, state)", lambda s: "INSERT INTO kpi_values" in s),
    ("status changes insert", lambda s: s.startswith("INSERT INTO kpi_status_changes")),
    ("savepoints (SAVEPOINT, RELEASE)", lambda s: s.startswith(("SAVEPOINT", "RELEASE"))),
    ("organisation and rollup state, KPIs (and more)", lambda s: True),
)


@dataclass
class Logged:
    """One run with its statements timed: where its time went."""

    seconds: float
    statements: list[tuple[float, str, object]]

    def split(self) -> list[tuple[str, int, float]]:
        totals = {label: [0, 0.0] for label, _ in STATEMENT_KINDS}
        for seconds, statement, _ in self.statements:
            label = next(label for label, test in STATEMENT_KINDS if test(statement))
            totals[label][0] += 1
            totals[label][1] += seconds
        return [(label, n, s) for label, (n, s) in totals.items() if n]


def logged(engine, run: Callable[[], object]) -> Logged:
    with statement_log(engine) as seen:
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
    return Logged(seconds, seen)


@dataclass
class Step:
    points: int
    load_s: float
    rounds: int
    full: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    incremental: list[float] = field(default_factory=list)
    raw_incremental: list[float] = field(default_factory=list)
    one_key: list[float] = field(default_factory=list)
    raw_one_key: list[float] = field(default_factory=list)
    full_log: Logged | None = None
    incremental_log: Logged | None = None
    values: int = 0


def interleaved(operations: list[tuple[Callable[[], object], list[float]]], rounds: int) -> None:
    for round_ in range(rounds):
        # Rotate the order so drift (other load on the machine) favours neither.
        shift = round_ % len(operations)
        for run, samples in operations[shift:] + operations[:shift]:
            gc.collect()
            started = time.perf_counter()
            run()
            samples.append(time.perf_counter() - started)


def measure_step(history: History, raw: psycopg.Connection, load_s: float, rounds: int) -> Step:
    step = Step(history.points, load_s, rounds)
    engine = history.ws.database.engine
    full = full_rollup(history)
    baseline = raw_run(raw, raw_queries(history))
    step.values = full().values  # brings the newly loaded years in (status changes); not timed
    interleaved([(full, step.full), (baseline, step.raw)], rounds)
    check_sums(history, baseline())
    step.full_log = logged(engine, full)

    batches = Batches(history)
    incremental = incremental_rollup(history)
    raw_incremental = raw_run(raw, raw_queries(history, touched=True, keys=INCREMENTAL_KEYS))
    for _ in range(INCREMENTAL):
        batches.send()
        interleaved([(incremental, step.incremental), (raw_incremental, step.raw_incremental)], 1)
    raw_one_key = raw_run(raw, raw_queries(history, touched=True, keys=ONE_KEY))
    for _ in range(INCREMENTAL):
        batches.send(ONE_KEY)
        interleaved([(incremental, step.one_key), (raw_one_key, step.raw_one_key)], 1)
    batches.send()
    step.incremental_log = logged(engine, incremental)
    return step


def report_rollups(history: History, steps: list[Step]) -> None:
    kinds: dict[str, int] = {}
    for kpi in history.kpis:
        kinds[kpi.aggregation] = kinds.get(kpi.aggregation, 0) + 1
    filtered = sum(1 for k in history.kpis if k.channel_id is not None)
    print()
    print(
        f"2. Rollups: one organisation, {CHANNELS} channels × {len(METRIC_KEYS)} metric keys"
        f" per day, {history.first} to {LAST_DAY}; {len(history.kpis)} KPIs ("
        + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        + f"; {filtered} of one channel) over months, quarters and weeks; today = {LAST_DAY}."
    )
    print(
        "full: run_rollup(full=True); raw: the baseline, one grouped query per KPI over the"
        " same rows (psycopg, rows fetched), interleaved with it"
        f" ({', '.join(str(s.rounds) for s in steps)} rounds at the sizes below)."
    )
    print(
        f"incr.: median of {INCREMENTAL} run_rollup(lookback=0), each after its own"
        f" {CHANNELS * len(INCREMENTAL_KEYS) * INCREMENTAL_DAYS:,}-point ingest_points batch"
        f" of {len(INCREMENTAL_KEYS)} keys on the last {INCREMENTAL_DAYS} days; raw incr.: the"
        " grouped queries of the KPIs with a key in the batch (here all of them), over only"
        " the periods of those days, interleaved with it."
    )
    print()
    columns = [
        "points",
        "full ms",
        "raw ms",
        "full/raw",
        "SQL/full",
        "incr. ms",
        "raw incr. ms",
        "incr./raw",
        "incr. vs first",
        "SQL/incr.",
    ]
    base = median_ms(steps[0].incremental)
    rows = []
    for step in steps:
        incremental = median_ms(step.incremental)
        rows.append(
            [
                f"{step.points:,}",
                f"{median_ms(step.full):,.0f}",
                f"{median_ms(step.raw):,.0f}",
                f"{median_ms(step.full) / median_ms(step.raw):.2f}",
                str(len(step.full_log.statements)),
                f"{incremental:,.0f}",
                f"{median_ms(step.raw_incremental):,.1f}",
                f"{incremental / median_ms(step.raw_incremental):.1f}",
                "1.00 (base)" if step is steps[0] else f"{incremental / base:.2f}",
                str(len(step.incremental_log.statements)),
            ]
        )
    table(columns, rows)
    recomputed = sum(1 for kpi in history.kpis if set(kpi.keys) & set(ONE_KEY))
    print()
    print(
        f"One key: median of {INCREMENTAL} run_rollup(lookback=0), each after a"
        f" {CHANNELS * len(ONE_KEY) * INCREMENTAL_DAYS}-point batch of {', '.join(ONE_KEY)} alone"
        f" on the same days; raw: the grouped queries of the {recomputed} KPIs reading it,"
        " over those periods."
    )
    print()
    table(
        ["points", "1-key incr. ms", "raw 1-key ms", "1-key/raw"],
        [
            [
                f"{step.points:,}",
                f"{median_ms(step.one_key):,.1f}",
                f"{median_ms(step.raw_one_key):,.1f}",
                f"{median_ms(step.one_key) / median_ms(step.raw_one_key):.1f}",
            ]
            for step in steps
        ],
    )
    last = steps[-1]
    ratio = median_ms(last.full) / median_ms(last.raw)
    where = "met" if ratio <= FULL_GOAL else f"not met: {ratio / FULL_GOAL:.2f}× off"
    growth = median_ms(last.incremental) / base
    print()
    print(
        f"Goal, a full rollup within {FULL_GOAL}× of the raw queries: {ratio:.2f}× at"
        f" {last.points:,} points ({where}); {last.values:,} KPI values written per full run."
    )
    print(
        f"Goal, an incremental rollup that stays flat: {growth:.2f}× its time at"
        f" {steps[0].points:,} points for {last.points / steps[0].points:.1f}× the history"
        + (" (flat)." if growth < 1.3 else " (it grows with the history).")
    )
    print(
        "Every sum KPI's stored actuals were checked against the raw query's sums. SQL/…:"
        " statements per run (before_cursor_execute on the app's engine, in a run of its own)."
    )


# 3. Where the time goes


def report_split(what: str, log: Logged) -> None:
    print(f"{what}: {log.seconds * 1e3:,.0f} ms, {len(log.statements)} statements")
    in_sql = 0.0
    for label, n, seconds in log.split():
        in_sql += seconds
        share = seconds / log.seconds
        print(f"  {n:>4} × {label:<50} {seconds * 1e3:8,.1f} ms  {share:4.0%}")
    rest = log.seconds - in_sql
    print(
        f"         {'Python around them (ORM, SQL compilation, rules)':<50}"
        f" {rest * 1e3:8,.1f} ms  {rest / log.seconds:4.0%}"
    )


def explain(raw: psycopg.Connection, sql: str, params) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of a query already run once (so caches favour neither side)."""
    raw.execute(sql, params).fetchall()
    lines = [r[0] for r in raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).fetchall()]
    scans = []
    for line in lines:
        text = line.strip().removeprefix("->").strip()
        for marker in ("Index Only Scan using ", "Index Scan using ", "Bitmap Index Scan on "):
            if text.startswith(marker):
                name = text.removeprefix(marker).split(" ")[0]
                scans.append(f"{marker.split(' using')[0].split(' on')[0]} {name}")
                break
        else:
            if text.startswith(("Seq Scan", "Parallel Seq Scan")):
                scans.append(text.split(" on ")[0])
    buffers = next((line.strip() for line in lines if "Buffers:" in line), "")
    ms = next(float(line.split(":")[1].split()[0]) for line in lines if "Execution Time" in line)
    return {"lines": lines, "scans": list(dict.fromkeys(scans)), "buffers": buffers, "ms": ms}


def pages(buffers: str) -> int:
    """Shared buffers hit or read, from a 'Buffers: shared hit=1 read=2, temp …' line."""
    shared = buffers.partition("shared ")[2].partition(",")[0]
    return sum(int(p.split("=")[1]) for p in shared.split() if p.startswith(("hit=", "read=")))


def explain_rollup(history: History, raw: psycopg.Connection, log: Logged) -> None:
    captured = [(s, p) for _, s, p in log.statements if is_actuals(s)]
    if len(captured) != len(history.kpis):
        raise RuntimeError(f"{len(captured)} grouped queries for {len(history.kpis)} KPIs")
    raws = raw_queries(history)
    heap = raw.execute("SELECT pg_relation_size('metric_points') / 8192").fetchone()[0]
    print()
    print(
        "EXPLAIN (ANALYZE, BUFFERS) of one KPI of each kind, each query run once before"
        f" (pages: buffers hit or read; the table has {heap:,} pages):"
    )
    shown = set()
    first = None
    for kpi, mine, theirs in zip(history.kpis, captured, raws, strict=True):
        kind = (kpi.aggregation, kpi.channel_id is not None)
        if kind in shown:
            continue
        shown.add(kind)
        rollup, baseline = explain(raw, *mine), explain(raw, *theirs)
        first = first or rollup
        print(f"  {kpi.name} ({kpi.aggregation}, {kpi.period})")
        for who, plan in (("run_rollup", rollup), ("raw", baseline)):
            print(
                f"    {who:<10} {plan['ms']:7.1f} ms  {pages(plan['buffers']):>7,} pages"
                f"  {'; '.join(plan['scans'])}"
            )
    kpi = history.kpis[0]
    print()
    print(f"Plan of {kpi.name!r} ({kpi.aggregation}, {kpi.period}) as run_rollup sends it:")
    for line in first["lines"]:
        print(f"  {line}")


def index_usage(raw: psycopg.Connection) -> None:
    rows = raw.execute(
        "SELECT indexrelname, idx_scan, pg_size_pretty(pg_relation_size(indexrelid))"
        " FROM pg_stat_user_indexes WHERE relname = 'metric_points' ORDER BY indexrelname"
    ).fetchall()
    size = raw.execute("SELECT pg_size_pretty(pg_relation_size('metric_points'))").fetchone()[0]
    print()
    print(f"metric_points: table {size}; its indexes, with their scans in this run and size:")
    for name, scans, pretty in rows:
        print(f"  {name:<64} {scans:>7,}  {pretty:>8}")
    # Migration 0025 made the unique constraint's index covering (the old what-if (ii)).
    definition = raw.execute(
        "SELECT pg_get_indexdef(conindid) FROM pg_constraint"
        " WHERE conrelid = 'metric_points'::regclass AND contype = 'u'"
    ).fetchone()[0]
    included = definition.partition(" INCLUDE ")[2]
    print(
        f"The unique index covers {included} (migration 0025): the grouped queries can be"
        " index-only scans."
        if included
        else "The unique index covers no columns: the grouped queries read the table's pages."
    )


PHASES = (
    ("_compute_all(): the grouped queries", "api/domain/kpis/rollups.py", "_compute_all"),
    ("writes.write(): values, statuses before, state", "api/domain/kpis/writes.py", "write"),
    ("rules.evaluate(): statuses", "api/domain/kpis/rules.py", "evaluate"),
    ("UnitOfWork.commit(): status changes", "api/domain/uow.py", "commit"),
    ("SQL compilation (SQLAlchemy)", "sqlalchemy/sql/elements.py", "_compiler"),
)


def profile(run: Callable[[], object], what: str, top: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler).stats
    total = sum(own for _cc, _nc, own, _cum, _callers in stats.values())

    def spent(ending: str, function: str) -> float:
        return sum(
            cum
            for (filename, _line, name), (_cc, _nc, _own, cum, _callers) in stats.items()
            if name == function and filename.replace("\\", "/").endswith(ending)
        )

    print()
    print(f"Profile of one {what} (cProfile: {total * 1e3:,.0f} ms, its overhead included):")
    for label, ending, function in PHASES:
        seconds = spent(ending, function)
        print(f"  {label:<46} {seconds * 1e3:8,.0f} ms  {seconds / total:4.0%}")
    waiting = spent("psycopg/cursor.py", "execute")
    print(
        f"  {'of all that, in psycopg cursor.execute':<46} {waiting * 1e3:8,.0f} ms"
        f"  {waiting / total:4.0%}"
    )
    print(f"Top {top} functions by own time:")
    ranked = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, name), (_cc, calls, own, cum, _callers) in ranked:
        where = (
            name if filename == "~" else f"{filename.split('site-packages/')[-1]}:{line}({name})"
        )
        print(f"  {calls:>9,}  {own * 1e3:8.1f} ms own  {cum * 1e3:8.1f} ms cum  {where}")


# What-ifs, measured on the same data


ONE_PASS = """
SELECT metric_key, channel_id, date_trunc('week', day)::date, date_trunc('month', day)::date,
       SUM(value), MAX(day)
FROM metric_points
WHERE organisation_id = %(org)s AND day >= %(first)s AND day <= %(last)s
GROUP BY 1, 2, 3, 4
"""


def what_ifs(history: History, raw: psycopg.Connection, last: Step) -> None:
    raw_ms = median_ms(last.raw)
    full_ms = median_ms(last.full)
    print()
    print("What-if, measured on the same data after the figures above:")

    # One scan for every KPI: group once by key, channel, week and month.
    one_pass: list[float] = []
    first = history.first - timedelta(days=6)
    params = {"org": history.ws.org.id, "first": first, "last": LAST_DAY}
    interleaved([(lambda: raw.execute(ONE_PASS, params).fetchall(), one_pass)], 3)
    print(
        "  (i) one grouped query over all the organisation's points, by key, channel, week"
        " and month (what the sum and ratio KPIs of every period need; avg and last need"
        f" days too): {median_ms(one_pass):,.0f} ms, against {raw_ms:,.0f} ms for the"
        f" {len(history.kpis)} per-KPI raw queries and {full_ms:,.0f} ms for the full rollup."
    )


# The run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.metrics", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply the rollup history (default 1.0: ~2 M points) and, up to 1.0, the"
        " ingestion batches; 0.1 for a quick look",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also profile one full and one incremental rollup (cProfile), top N functions",
    )
    parser.add_argument(
        "--no-what-if",
        action="store_true",
        help="skip the what-if at the end (one grouped query for every KPI)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 4:
        parser.error("--scale must be above 0 and at most 4")
    days = max(16 * 7, round(DAYS * args.scale))
    batches = max(2, round(BATCHES * min(args.scale, 1.0)))

    started = time.perf_counter()
    with throwaway_database() as db:
        app = quiet_app(db.settings)
        factory = Factory(db.database)
        raw = psycopg.connect(psycopg_url(db.url), autocommit=True)
        try:
            print(f"bench: ingestion, {batches} batches of {BATCH:,} points per path…", flush=True)
            ingested = ingestion(db, app, factory, raw, batches)
            ingested_at = time.perf_counter()

            history = rollup_workspace(factory, db.database, days)
            steps = []
            for n, share in enumerate(HISTORY_STEPS):
                first = LAST_DAY - timedelta(days=round(days * share) - 1)
                load_s = load_history(raw, history, first)
                rounds = ROUNDS if n == len(HISTORY_STEPS) - 1 else 1
                print(f"bench: rollups at {history.points:,} points…", flush=True)
                steps.append(measure_step(history, raw, load_s, rounds))
            rolled_at = time.perf_counter()

            print()
            print(f"Clover metrics benchmark — {environment(db.server_version)}")
            report_ingestion(ingested)
            report_rollups(history, steps)
            last = steps[-1]
            print()
            settings = raw.execute(
                "SELECT string_agg(name || '=' || current_setting(name), ', ')"
                " FROM unnest(ARRAY['shared_buffers', 'work_mem', 'jit']) AS name"
            ).fetchone()[0]
            print(f"3. Where the time goes, at {last.points:,} points (server: {settings})")
            print()
            report_split("One full rollup", last.full_log)
            report_split("One incremental rollup", last.incremental_log)
            explain_rollup(history, raw, last.full_log)
            index_usage(raw)
            if args.profile:
                profile(full_rollup(history), "full rollup", args.profile)
                Batches(history).send()
                profile(incremental_rollup(history), "incremental rollup", args.profile)
            if not args.no_what_if:
                what_ifs(history, raw, last)
            forecast_cost(history.ws.uow, len(history.kpis), ROUNDS)
            finished = time.perf_counter()
        finally:
            raw.close()
        print()
        print(
            f"Run: {finished - started:.1f} s in all (ingestion {ingested_at - started:.1f} s;"
            f" loads and rollups {rolled_at - ingested_at:.1f} s, of which COPY"
            f" {sum(s.load_s for s in steps):.1f} s; explaining and what-ifs"
            f" {finished - rolled_at:.1f} s)."
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
