"""Plan benchmark: GET …/plan with 10,000 content items over 12 months, against raw SQL.

Run with ``.venv/bin/python -m bench.plan`` (``make bench`` runs it after
``bench.run``). Like ``bench.run`` it creates a throwaway PostgreSQL database
``bench_<random>`` on the server named by ``BENCH_DATABASE_URL``, migrates it,
seeds one organisation (small counts through the API, the content items in
bulk), measures in-process and drops the database, also when something fails.

The product asks for the plan of 10,000 items over 12 months "in well under a
second"; this prints that figure, but nothing here passes or fails on time: the
ratios against the raw query, measured in the same run, are what to compare
between runs and machines (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import gzip
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import psycopg
from sqlalchemy import insert

from api.db import Database
from api.domain import tenancy
from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant, system_tenant
from api.domain.base import new_id, utcnow
from api.domain.content_items.models import CONTENT_STATUSES, FORMATS, ContentItem
from api.domain.content_items.rules import plan_date
from api.domain.plan.service import PlanFilter, build_plan
from api.domain.uow import UnitOfWork
from api.resources.v1.plan.routes import PlanSchema, plan_body
from bench.common import (
    counting,
    environment,
    p95,
    psycopg_url,
    quiet_app,
    table,
    throwaway_database,
    time_calls,
)
from tests.factories import Factory, Org

YEAR = 2027
MONTHS = 12
ITEMS = 10_000
CHANNELS = 8
RESOURCES = 20
CAMPAIGNS = 10  # 4 running all year, 6 of two months each (January–February, …)
ALL_YEAR = 4
CHANNELS_PER_CAMPAIGN = 3
WARMUP = 3  # calls per operation before any timing
TIMED = 10  # timed calls per operation, taken in interleaved rounds
SEED = 2027  # the data are the same on every run

CHANNEL_KINDS = ("linkedin", "instagram", "youtube", "blog", "newsletter", "email", "x", "event")
# (status, weight): scheduled and published items carry a scheduled time.
STATUS_MIX = (
    ("idea", 10),
    ("drafting", 15),
    ("in_review", 10),
    ("approved", 15),
    ("scheduled", 25),
    ("publishing", 1),
    ("published", 20),
    ("publish_failed", 2),
    ("cancelled", 5),
)
EFFORT_HOURS = (0.5, 1, 1.5, 2, 3, 4, 6, 8)
TOPICS = (
    "spring launch teaser",
    "customer story",
    "how-to guide",
    "product update",
    "event recap",
    "industry trends",
    "behind the scenes",
    "partner spotlight",
)

# The rows build_plan's first query returns (the items of the window with their
# campaign, channel and owner), with the organisation filter the tenant scope adds to
# every table. The counts, effort and resources build_plan also reads are not in it.
RAW_PLAN_ITEMS = """
SELECT ci.id, ci.title, ci.status, ci.format, ci.due_date, ci.scheduled_at, ci.plan_date,
       ci.effort_hours, c.id, c.name, ch.id, ch.name, ch.kind, r.id, r.name
FROM content_items AS ci
JOIN campaigns AS c ON c.id = ci.campaign_id AND c.organisation_id = %(org)s
JOIN channels AS ch ON ch.id = ci.channel_id AND ch.organisation_id = %(org)s
LEFT OUTER JOIN resources AS r ON r.id = ci.owner_id AND r.organisation_id = %(org)s
WHERE ci.organisation_id = %(org)s AND ci.plan_date >= %(start)s AND ci.plan_date < %(end)s
ORDER BY ci.plan_date, ci.id
"""


@dataclass
class Operation:
    label: str
    run: Callable[[], object]
    note: str
    samples: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1e3

    @property
    def p95_ms(self) -> float:
        return p95(self.samples) * 1e3


@dataclass(frozen=True)
class Seeded:
    org: Org
    campaigns: int
    channels: int
    resources: int
    items: int


def tenant_of(org: Org) -> Tenant:
    grant = Grant(org.id, "owner", ROLE_SCOPES["owner"])
    return Tenant(org.id, Principal("api_key", {org.id: grant}, org.owner_id), grant)


def created(response) -> dict:
    if response.status_code != 201:
        raise RuntimeError(f"seeding answered {response.status_code}: {response.data!r}")
    return response.get_json()


def month_span(first: int, count: int) -> tuple[date, date]:
    """The first day of month ``first`` (1-12) of YEAR and the last day ``count`` months on."""
    last = first + count  # the month after the span
    end = date(YEAR + 1, 1, 1) if last > 12 else date(YEAR, last, 1)
    return date(YEAR, first, 1), end - timedelta(days=1)


def seed(client, factory: Factory, database: Database) -> Seeded:
    """Strategy, channels, resources and campaigns through the API; the items in bulk."""
    org = factory.organisation("Bench Plan")

    def post(path: str, body: dict) -> dict:
        return created(client.post(org.url(path), headers=org.headers, json=body))

    strategy = post(
        "/strategies",
        {"name": f"Plan {YEAR}", "period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-12-31"},
    )
    channels = [
        post("/channels", {"kind": kind, "name": f"{kind.title()} {n + 1}"})["id"]
        for n, kind in enumerate(CHANNEL_KINDS[:CHANNELS])
    ]
    owners = [
        post(
            "/resources",
            {
                "name": f"Resource {n + 1}",
                "kind": "team" if n % 5 == 0 else "person",
                "weekly_capacity_hours": 10 + (n * 7) % 31,
            },
        )["id"]
        for n in range(RESOURCES)
    ]
    campaigns = []  # (id, start, end, channel ids)
    for n in range(CAMPAIGNS):
        start, end = month_span(1, 12) if n < ALL_YEAR else month_span(1 + 2 * (n - ALL_YEAR), 2)
        linked = [channels[(n + k * 3) % CHANNELS] for k in range(CHANNELS_PER_CAMPAIGN)]
        body = {
            "strategy_id": strategy["id"],
            "name": f"Campaign {n + 1}",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "channel_ids": linked,
        }
        campaigns.append((post("/campaigns", body)["id"], start, end, linked))

    rows = content_rows(org, campaigns, owners)
    with UnitOfWork(database.session()) as uow:
        uow.open_for(system_tenant(org.id))
        uow.session.execute(tenancy.statement(insert(ContentItem), organisation_id=org.id), rows)
        uow.commit()
    return Seeded(org, len(campaigns), len(channels), len(owners), len(rows))


def content_rows(org: Org, campaigns: list[tuple], owners: list[str]) -> list[dict]:
    """ITEMS content items spread evenly over the days of YEAR, in no particular order."""
    rng = random.Random(SEED)
    statuses = [status for status, _ in STATUS_MIX]
    weights = [weight for _, weight in STATUS_MIX]
    if set(statuses) != set(CONTENT_STATUSES):
        raise RuntimeError(f"STATUS_MIX must name every status of {CONTENT_STATUSES}")
    first, days = date(YEAR, 1, 1), (date(YEAR + 1, 1, 1) - date(YEAR, 1, 1)).days
    now = utcnow()
    rows = []
    for n in range(ITEMS):
        day = first + timedelta(days=rng.randrange(days))
        campaign_id, _, _, linked = rng.choice([c for c in campaigns if c[1] <= day <= c[2]])
        status = rng.choices(statuses, weights)[0]
        kind = rng.choice(FORMATS)
        scheduled_at = due_date = published_at = None
        if status in ("scheduled", "publishing", "published", "publish_failed"):
            hour = clock_time(rng.randrange(6, 21), rng.choice((0, 15, 30, 45)), tzinfo=UTC)
            scheduled_at = datetime.combine(day, hour)
            if rng.random() < 0.5:
                due_date = day - timedelta(days=rng.randrange(4))
            if status == "published":
                published_at = scheduled_at
        else:
            due_date = day
        rows.append(
            {
                "id": new_id(),
                "organisation_id": org.id,
                "campaign_id": uuid.UUID(campaign_id),
                "channel_id": uuid.UUID(rng.choice(linked)),
                "owner_id": uuid.UUID(rng.choice(owners)),
                "title": f"{kind.replace('_', ' ').title()} {n + 1:05d}: {rng.choice(TOPICS)}",
                "brief": "",
                "format": kind,
                "status": status,
                "effort_hours": rng.choice(EFFORT_HOURS),
                "due_date": due_date,
                "scheduled_at": scheduled_at,
                "published_at": published_at,
                "plan_date": plan_date(scheduled_at, due_date),
                "distribution_actions": [],
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def item_count(body: dict) -> int:
    return sum(len(month["items"]) for month in body["months"])


def plan_request(client, seeded: Seeded, path: str) -> Callable[[], object]:
    """The full request: auth, tenancy, args, build_plan, plan_body, JSON, request log."""

    def run():
        response = client.get(path, headers=seeded.org.headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.data!r}")
        return response.get_data()

    return run


def domain_call(database: Database, seeded: Seeded, start: date) -> Callable[[], object]:
    """build_plan alone, in its own unit of work (a pool checkout and the ROLLBACK at close)."""
    tenant = tenant_of(seeded.org)

    def run():
        with UnitOfWork(database.session()) as uow:
            uow.open_for(tenant)
            return build_plan(uow=uow, start=start, months=MONTHS, filters=PlanFilter())

    return run


def raw_query(connection: psycopg.Connection, seeded: Seeded, start: date, end: date):
    params = {"org": seeded.org.id, "start": start, "end": end}

    def run():
        with connection.cursor() as cursor:
            cursor.execute(RAW_PLAN_ITEMS, params)
            return cursor.fetchall()

    return run


def measure(operations: list[Operation], warmup: int, timed: int) -> None:
    for op in operations:
        time_calls(op.run, warmup, [])
    for round_ in range(timed):
        # Rotate the order so drift (thermal, other load) does not favour one operation.
        shift = round_ % len(operations)
        for op in operations[shift:] + operations[:shift]:
            gc.collect()
            time_calls(op.run, 1, op.samples)


# Where one request's time goes: (what, file ending, function); cumulative times.
PHASES = (
    ("build_plan: its 5 queries, rows → months", "api/domain/plan/service.py", "build_plan"),
    ("plan_body: the hand-written dump", "api/resources/v1/plan/routes.py", "plan_body"),
    ("JSON encoding: json.dumps", "json/__init__.py", "dumps"),
)


def short(filename: str) -> str:
    parts = filename.replace("\\", "/").split("/")
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    for mine in ("api", "bench", "tests", "workers"):
        if mine in parts:
            return "/".join(parts[parts.index(mine) :])
    return parts[-1]


def profile(run: Callable[[], object], top: int) -> None:
    """One call under cProfile: time by phase, then the functions with the most own time."""
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler).stats
    total = sum(own for _cc, _nc, own, _cum, _callers in stats.values())
    phases = []
    for what, ending, function in PHASES:
        spent = sum(
            cum
            for (filename, _line, name), (_cc, _nc, _own, cum, _callers) in stats.items()
            if name == function and filename.replace("\\", "/").endswith(ending)
        )
        phases.append((what, spent))
    phases.sort(key=lambda phase: -phase[1])
    phases.append(
        ("the rest: Flask, auth, tenancy, request log", total - sum(t for _, t in phases))
    )
    print()
    print(f"Profile of one plan request (cProfile: {total * 1e3:,.0f} ms, the profiler's overhead")
    print("inflating Python-heavy code most, so read the shares, not the milliseconds):")
    for what, spent in phases:
        print(f"  {what:<46} {spent * 1e3:7,.0f} ms  {spent / total:4.0%}")
    print(f"\nTop {top} functions by own time:")
    print(f"  {'calls':>9}  {'own ms':>7}  {'cum ms':>7}  function")
    ranked = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, name), (_cc, calls, own, cum, _callers) in ranked:
        where = name if filename == "~" else f"{short(filename)}:{line}({name})"
        print(f"  {calls:>9,}  {own * 1e3:7.1f}  {cum * 1e3:7.1f}  {where}")


def report(operations: list[Operation], header: list[str], baseline: Operation) -> None:
    columns = ["operation", "n", "median ms", "p95 ms", "vs raw SQL"]
    rows = [
        [
            op.label,
            str(len(op.samples)),
            f"{op.median_ms:,.1f}",
            f"{op.p95_ms:,.1f}",
            "1.0 (baseline)" if op is baseline else f"{op.median_ms / baseline.median_ms:.1f}",
        ]
        for op in operations
    ]
    print()
    for text in header:
        print(text)
    print()
    table(columns, rows)
    print()
    for op in operations:
        print(f"{op.label.split(' ')[0]} {op.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.plan", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--warmup", type=int, default=WARMUP, help=f"default {WARMUP}")
    parser.add_argument("--timed", type=int, default=TIMED, help=f"default {TIMED} (at least 2)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="afterwards, profile one request with cProfile and show the top N functions",
    )
    args = parser.parse_args(argv)
    if args.timed < 2:
        parser.error("--timed must be at least 2")

    started = time.perf_counter()
    start, end = date(YEAR, 1, 1), date(YEAR + 1, 1, 1)
    with throwaway_database() as db:
        app = quiet_app(db.settings)
        client = app.test_client()
        seeded = seed(client, Factory(db.database), db.database)
        raw = psycopg.connect(psycopg_url(db.url), autocommit=True)
        try:
            # What autovacuum would have done by now on a real server: statistics for the
            # planner and a visibility map, so the bulk load does not skew the query plans.
            raw.execute("VACUUM (ANALYZE)")
            seeded_at = time.perf_counter()

            path = seeded.org.url(f"/plan?start={YEAR}-01&months={MONTHS}")
            request = plan_request(client, seeded, path)
            domain = domain_call(db.database, seeded, start)
            query = raw_query(raw, seeded, start, end)
            schema = PlanSchema()
            plan = domain()
            dumped = plan_body(plan)
            body = request()

            # The same 10,000 rows on every path, or the comparison means nothing.
            counts = {
                "GET …/plan (JSON parsed)": item_count(
                    client.get(path, headers=seeded.org.headers).get_json()
                ),
                "build_plan()": sum(len(month.items) for month in plan.months),
                "raw SQL": len(query()),
            }
            if set(counts.values()) != {seeded.items} or len(plan.months) != MONTHS:
                raise RuntimeError(f"expected {seeded.items} items in {MONTHS} months: {counts}")

            api = Operation(
                f"(a) GET …/plan?start={YEAR}-01&months={MONTHS}",
                request,
                "the full request through the Flask test client: API-key lookup, tenancy,"
                " query args, build_plan, plan_body, JSON encoding, request log.",
            )
            alone = Operation(
                "(b) build_plan() alone",
                domain,
                "the domain call in its own unit of work: its 5 queries and the Python"
                " that groups rows into months.",
            )
            dump = Operation(
                "(b1) plan_body(plan)",
                lambda: plan_body(plan),
                "the view's hand-written serialisation of one plan (built once, outside"
                " the timing).",
            )
            generic = Operation(
                "(b1') PlanSchema().dump(plan)",
                lambda: schema.dump(plan),
                "the generic marshmallow dump of the same plan, which the view avoids;"
                " for comparison, not part of (a).",
            )
            encode = Operation(
                "(b2) JSON encoding of the dump",
                lambda: app.json.dumps(dumped),
                "app.json.dumps of that dump (what jsonify does), to the str only.",
            )
            sql = Operation(
                "(c) raw SQL items query (psycopg)",
                query,
                "psycopg alone, one autocommit connection: the items query joined to"
                " campaigns, channels and resources for the 12 months, every row fetched.",
            )
            operations = [api, alone, dump, generic, encode, sql]
            measure(operations, args.warmup, args.timed)
            with counting(db.database.engine) as seen:
                request()
            finished = time.perf_counter()
        finally:
            raw.close()

        report(
            operations,
            [
                f"Clover plan benchmark — {environment(db.server_version)}",
                f"Data: one organisation, {seeded.items:,} content items spread over the"
                f" {MONTHS} months of {YEAR}, {seeded.campaigns} campaigns, {seeded.channels}"
                f" channels, {seeded.resources} resources.",
                f"Method: {args.warmup} warm-up calls per operation, then {args.timed}"
                " interleaved rounds of one call each; time.perf_counter per call. Every"
                f" path was checked to return the same {seeded.items:,} items first.",
            ],
            sql,
        )
        serialising = (dump.median_ms + encode.median_ms) / api.median_ms
        print()
        print(
            f"GET …/plan, {seeded.items:,} items over {MONTHS} months: median"
            f" {api.median_ms:,.0f} ms (p95 {api.p95_ms:,.0f} ms) in-process, for"
            f" {len(body) / 1e6:.1f} MB of JSON ({len(gzip.compress(body)) / 1e6:.1f} MB"
            " gzipped); no network, WSGI server or client-side parsing in that figure."
        )
        print(
            f"Ratios of medians: (a)/(c) = {api.median_ms / sql.median_ms:.1f},"
            f" (b)/(c) = {alone.median_ms / sql.median_ms:.1f};"
            f" serialising, (b1)+(b2), is {serialising:.0%} of (a)."
        )
        print(
            f"SQL statements per plan request: {seen['statements']} (before_cursor_execute on"
            f" database_for(settings).engine), besides {seen['checkouts']} pool checkout"
            f" (with its pre-ping) and {seen['transaction_ends']} COMMIT/ROLLBACK."
        )
        print(
            f"Run: {finished - started:.1f} s in all (setup and seeding "
            f"{seeded_at - started:.1f} s, measuring {finished - seeded_at:.1f} s)."
        )
        if args.profile:
            profile(request, args.profile)
        return 0


if __name__ == "__main__":
    sys.exit(main())
