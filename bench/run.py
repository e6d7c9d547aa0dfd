"""Request-path benchmark: Clover's cost as ratios against baselines from the same run.

Run with ``make bench`` (or ``.venv/bin/python -m bench.run``). It creates a
throwaway PostgreSQL database ``bench_<random>`` on the server named by
``BENCH_DATABASE_URL`` (an admin URL, default
postgresql://postgres@127.0.0.1:5432/postgres), migrates it, seeds it through
the domain factories, measures in-process with the Flask test client, prints a
table and drops the database, also when something fails.

Absolute microseconds depend on the machine; the ratios are what to compare
between runs and machines. Nothing here passes or fails on time (see
docs/performance.md).

Afterwards it runs the plan benchmark (``bench/plan.py``, its own throwaway
database; ``--no-plan`` skips it), then the metrics benchmark (``bench/metrics.py``,
ingestion and KPI rollups on ~2 million points, a few minutes; ``--no-metrics``
skips it), then the reports benchmark (``bench/reports.py``, the report endpoints
over the same ~2 million points; ``--no-reports`` skips it), then the batch benchmark
(``bench/batches.py``, 500 content items in one request against 500 single creates;
``--no-batches`` skips it), then the key-message matching benchmark (``bench/messages.py``
on 20,000 texts; ``--no-messages`` skips it), then the causal-lift benchmark
(``bench/causal.py``, five years of daily data with five controls against the raw fetch
of the same series; ``--no-causal`` skips it), then the Citus readiness of the schema
(``bench/citus.py``, what a move to Citus distributed by ``organisation_id`` would need;
``--no-citus`` skips it).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from flask import Flask

from api.domain.access import ROLES
from bench import batches, causal, citus, messages, metrics, plan, reports
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

MEMBERS = 200  # in the measured organisation, its owner included
OTHER_MEMBERS = 20  # in the second organisation, so the tenant filter has rows to exclude
ROUNDS = 5  # each operation's iterations are split over rounds run in turn
WARMUP = 50  # requests per operation before any timing
COUNT_PASS = 20  # requests per operation with the statement counter attached
MESSAGE_TEXTS = 20_000  # mention texts of the key-message matching benchmark

# The columns the member page serialises (MemberSchema), in keyset order.
RAW_MEMBER_PAGE = """
SELECT m.id, m.created_at, m.updated_at, m.role, m.version, u.id, u.email, u.name
FROM memberships AS m
JOIN users AS u ON u.id = m.user_id
WHERE m.organisation_id = %s
ORDER BY m.id
LIMIT %s
"""


@dataclass
class Operation:
    label: str
    run: Callable[[], object]
    iterations: int
    kind: str  # "bare", "api" or "sql"
    raw: str | None = None  # label of the raw SQL baseline for an API list
    samples: list[float] = field(default_factory=list)
    statements: float | None = None
    checkouts: float | None = None
    transaction_ends: float | None = None

    @property
    def median_us(self) -> float:
        return statistics.median(self.samples) * 1e6

    @property
    def p95_us(self) -> float:
        return p95(self.samples) * 1e6


def bare_app() -> Flask:
    """The baseline: Flask alone, one view returning a small JSON document."""
    app = Flask("bench_bare")

    @app.get("/ping")
    def ping():
        return {"status": "ok", "service": "bench"}

    return app


def seed(factory: Factory) -> tuple[Org, Org]:
    org = factory.organisation("Bench Marketing")
    for i in range(MEMBERS - 1):
        factory.member(org, ROLES[1 + i % (len(ROLES) - 1)])  # every role but owner
    other = factory.organisation("Other Tenant")
    for i in range(OTHER_MEMBERS - 1):
        factory.member(other, ROLES[1 + i % (len(ROLES) - 1)])
    return org, other


def checked_get(client, path: str, headers: dict[str, str] | None, items: int | None = None):
    """A GET that must succeed (a benchmark of error responses would be meaningless)."""

    def run():
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}: {response.data!r}")
        return response

    response = run()
    if items is not None and len(response.get_json()["items"]) != items:
        raise RuntimeError(f"GET {path} returned {len(response.get_json()['items'])} items")
    return run


def raw_page(connection: psycopg.Connection, organisation_id: uuid.UUID, limit: int):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(RAW_MEMBER_PAGE, (organisation_id, limit + 1))
            return cursor.fetchall()

    rows = run()
    if len(rows) != min(limit + 1, MEMBERS):
        raise RuntimeError(f"raw member page returned {len(rows)} rows")
    return run


def measure(operations: list[Operation]) -> None:
    for op in operations:
        time_calls(op.run, WARMUP, [])
    for round_ in range(ROUNDS):
        # Rotate the order so drift (thermal, other load) does not favour one operation.
        shift = round_ % len(operations)
        for op in operations[shift:] + operations[:shift]:
            share = op.iterations // ROUNDS + (1 if round_ < op.iterations % ROUNDS else 0)
            gc.collect()
            time_calls(op.run, share, op.samples)


def count_statements(engine, operations: list[Operation]) -> None:
    """SQL per request, counted in a separate pass so the listener costs the timings nothing."""
    with counting(engine) as counts:
        for op in operations:
            if op.kind != "api":
                continue
            for key in counts:
                counts[key] = 0
            for _ in range(COUNT_PASS):
                op.run()
            op.statements = counts["statements"] / COUNT_PASS
            op.checkouts = counts["checkouts"] / COUNT_PASS
            op.transaction_ends = counts["transaction_ends"] / COUNT_PASS


def number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def report(operations: list[Operation], header: list[str]) -> None:
    by_label = {op.label: op for op in operations}
    bare = next(op for op in operations if op.kind == "bare")
    columns = ["operation", "n", "median µs", "p95 µs", "vs bare Flask", "API / raw SQL", "SQL/req"]
    rows = []
    for op in operations:
        vs_bare = "1.0 (baseline)" if op is bare else f"{op.median_us / bare.median_us:.1f}"
        vs_raw = "-"
        if op.raw:
            vs_raw = f"{op.median_us / by_label[op.raw].median_us:.1f}"
        elif op.kind == "sql":
            vs_raw = "1.0 (baseline)"
        rows.append(
            [
                op.label,
                str(len(op.samples)),
                f"{op.median_us:,.0f}",
                f"{op.p95_us:,.0f}",
                vs_bare,
                vs_raw,
                number(op.statements),
            ]
        )
    print()
    for text in header:
        print(text)
    print()
    table(columns, rows)
    print()
    print("Ratios are of medians. vs bare Flask: a minimal Flask app (same process, same test")
    print("client) returning a small JSON. API / raw SQL: the API request against psycopg")
    print("running only the member-page query. SQL/req: statements seen by SQLAlchemy's")
    print("before_cursor_execute on database_for(settings).engine, in a separate pass.")
    extras = [op for op in operations if op.kind == "api"]
    print("Per request besides those statements (same pass):")
    for op in extras:
        print(
            f"  {op.label}: {number(op.checkouts)} pool checkout(s) (pinged only when idle,"
            f" api/db.py), {number(op.transaction_ends)} COMMIT/ROLLBACK"
        )
    lists = [op for op in operations if op.kind == "api" and op.raw]
    if len(lists) == 2:
        small, large = lists
        print(
            f"Member list, limit=200 against limit=50: {large.median_us / small.median_us:.1f}x"
            f" (raw SQL: {by_label[large.raw].median_us / by_label[small.raw].median_us:.1f}x)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every iteration count (default 1.0; 0.2 for a quick look)",
    )
    parser.add_argument(
        "--no-plan",
        action="store_true",
        help="skip the plan benchmark (python -m bench.plan) that otherwise runs afterwards",
    )
    parser.add_argument(
        "--no-metrics",
        action="store_true",
        help="skip the metrics benchmark (python -m bench.metrics) that otherwise runs next",
    )
    parser.add_argument(
        "--no-reports",
        action="store_true",
        help="skip the reports benchmark (python -m bench.reports) that otherwise runs next",
    )
    parser.add_argument(
        "--no-batches",
        action="store_true",
        help="skip the batch benchmark (python -m bench.batches) that otherwise runs next",
    )
    parser.add_argument(
        "--no-messages",
        action="store_true",
        help="skip the key-message matching benchmark (python -m bench.messages) that runs next",
    )
    parser.add_argument(
        "--no-causal",
        action="store_true",
        help="skip the causal-lift benchmark (python -m bench.causal) that otherwise runs next",
    )
    parser.add_argument(
        "--no-citus",
        action="store_true",
        help="skip the Citus readiness of the schema (python -m bench.citus) that runs last",
    )
    args = parser.parse_args(argv)
    status = requests(args.scale)
    if status == 0 and not args.no_plan:
        print(flush=True)
        status = plan.main([])
    if status == 0 and not args.no_metrics:
        print(flush=True)
        status = metrics.main([])
    if status == 0 and not args.no_reports:
        print(flush=True)
        status = reports.main([])
    if status == 0 and not args.no_batches:
        print(flush=True)
        status = batches.main([])
    if status == 0 and not args.no_messages:
        print(flush=True)
        # A fiftieth of its default million texts: the ratios are what this run compares,
        # and a million texts take minutes.
        status = messages.main(["--texts", str(MESSAGE_TEXTS)])
    if status == 0 and not args.no_causal:
        print(flush=True)
        status = causal.main([])
    if status == 0 and not args.no_citus:
        print(flush=True)
        status = citus.main([])
    return status


def requests(scale: float) -> int:
    def iterations(count: int) -> int:
        return max(ROUNDS * 4, round(count * scale))

    started = time.perf_counter()
    with throwaway_database() as db:
        app = quiet_app(db.settings)
        org, _other = seed(Factory(db.database))
        seeded = time.perf_counter()

        client = app.test_client()
        bare = bare_app().test_client()
        raw = psycopg.connect(psycopg_url(db.url), autocommit=True)
        try:
            members = org.url("/members")
            operations = [
                Operation(
                    "(a) bare Flask GET /ping", checked_get(bare, "/ping", None), 1000, "bare"
                ),
                Operation(
                    "(b) GET /v1/organisations/{id}",
                    checked_get(client, org.url(), org.headers),
                    1000,
                    "api",
                ),
                Operation(
                    "(c) GET …/members?limit=50",
                    checked_get(client, f"{members}?limit=50", org.headers, items=50),
                    600,
                    "api",
                    raw="(d) raw SQL member page LIMIT 51",
                ),
                Operation(
                    "(c) GET …/members?limit=200",
                    checked_get(client, f"{members}?limit=200", org.headers, items=200),
                    300,
                    "api",
                    raw="(d) raw SQL member page LIMIT 201",
                ),
                Operation(
                    "(d) raw SQL member page LIMIT 51", raw_page(raw, org.id, 50), 1000, "sql"
                ),
                Operation(
                    "(d) raw SQL member page LIMIT 201", raw_page(raw, org.id, 200), 600, "sql"
                ),
            ]
            for op in operations:
                op.iterations = iterations(op.iterations)

            measure(operations)
            count_statements(db.database.engine, operations)
        finally:
            raw.close()
        finished = time.perf_counter()

        report(
            operations,
            [
                f"Clover request benchmark — {environment(db.server_version)}",
                f"Data: one organisation with {MEMBERS} members (owner included), a second "
                f"with {OTHER_MEMBERS}; requests authenticate with the owner's API key.",
                f"Method: Flask test client in-process, {WARMUP} warm-up requests per "
                f"operation, then {ROUNDS} interleaved rounds; time.perf_counter per request.",
            ],
        )
        print(
            f"Run: {finished - started:.1f} s in all (setup and seeding "
            f"{seeded - started:.1f} s, measuring {finished - seeded:.1f} s)."
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
