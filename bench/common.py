"""What the benchmarks share: a throwaway database, the app, timing and SQL counting.

Nothing here passes or fails on time (see docs/performance.md).
"""

from __future__ import annotations

import logging
import os
import platform
import signal
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import make_url

from api import create_app
from api.config import Settings
from api.db import Database, database_for
from api.migrate import upgrade

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Throwaway:
    """A freshly migrated database that lives as long as the ``with`` block."""

    name: str
    url: str
    settings: Settings
    database: Database  # the engine migrations, app and seeding share
    server_version: int

    @property
    def postgres(self) -> str:
        return f"{self.server_version // 10000}.{self.server_version % 10000}"


@contextmanager
def throwaway_database() -> Iterator[Throwaway]:
    """Create ``bench_<random>`` on ADMIN_URL's server and migrate it to head.

    The database is dropped on the way out, also when something fails or the
    process gets SIGTERM (``kill``).
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(psycopg_url(ADMIN_URL), autocommit=True, connect_timeout=5)
    server_version = admin.info.server_version
    database = None
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(ADMIN_URL, name)
        settings = Settings.build(database_url=url, environment="test")
        database = database_for(settings)
        print(f"bench: database {name}: migrating and seeding…", flush=True)
        upgrade(settings)
        yield Throwaway(name, url, settings, database, server_version)
    finally:
        if database is not None:
            database.dispose()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def quiet_app(settings: Settings) -> Flask:
    """``create_app``, with request logs still formatted (part of a request's cost), not printed."""
    app = create_app(settings)
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger("clover").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    return app


def environment(server_version: int) -> str:
    pg = f"{server_version // 10000}.{server_version % 10000}"
    return (
        f"Python {platform.python_version()}, PostgreSQL {pg}, "
        f"{os.cpu_count()} CPU(s), {platform.machine()}"
    )


def time_calls(run: Callable[[], object], count: int, samples: list[float]) -> None:
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        run()
        samples.append(clock() - started)


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


@contextmanager
def counting(engine) -> Iterator[dict[str, int]]:
    """Counts statements, pool checkouts and COMMIT/ROLLBACKs on ``engine`` while open.

    Use it in a pass of its own, so the listeners cost the timed calls nothing.
    """
    counts = {"statements": 0, "checkouts": 0, "transaction_ends": 0}

    def statement(*_args):
        counts["statements"] += 1

    def checkout(*_args):  # pinged only after an idle spell (api/db.py)
        counts["checkouts"] += 1

    def transaction_end(*_args):
        counts["transaction_ends"] += 1

    hooks = [
        (engine, "before_cursor_execute", statement),
        (engine.pool, "checkout", checkout),
        (engine, "commit", transaction_end),
        (engine, "rollback", transaction_end),
    ]
    for target, name, fn in hooks:
        event.listen(target, name, fn)
    try:
        yield counts
    finally:
        for target, name, fn in hooks:
            event.remove(target, name, fn)


def table(columns: list[str], rows: list[list[str]]) -> None:
    """Print rows under their columns: the first left-aligned, the others right-aligned."""
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    print(line(columns))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
