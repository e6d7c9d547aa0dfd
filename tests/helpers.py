"""Helpers more than one test module uses: real database faults, RQ's queues, the embedded app."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from flask import Flask
from redis import Redis
from rq import Queue

from api import create_app
from api.config import Settings
from api.db import database_for
from api.jobs import QUEUES
from api.migrate import upgrade

# A connection failure's SQLSTATE: the driver reports it as the database going away.
CONNECTION_FAILURE = "08006"


@contextmanager
def embedded_app(directory: Path, **values: object) -> Iterator[Flask]:
    """The embedded default: an app on its own SQLite file in ``directory``, jobs in-process."""
    settings = Settings.build(
        database_url=f"sqlite:///{directory / 'clover.db'}", environment="test", **values
    )
    upgrade(settings)
    try:
        yield create_app(settings)
    finally:
        database_for(settings).dispose()


def empty_rq(connection: Redis) -> None:
    """Empty every RQ queue (and its scheduled jobs) of a Redis database."""
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        queue.empty()
        registry = queue.scheduled_job_registry
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


def psycopg_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


@dataclass(frozen=True)
class Fault:
    """One trigger refusing writes to a table; ``seen`` counts the rows that reached it."""

    connection: psycopg.Connection
    name: str
    table: str

    def seen(self) -> int:
        # A sequence, not a table: it counts the rows of transactions that rolled back too.
        last, called = self.connection.execute(
            f"SELECT last_value, is_called FROM {self.name}_seen"
        ).fetchone()
        return last if called else 0


class DatabaseFaults:
    """Triggers in the test database that make writes fail, as a real database fault would.

    ``refuse("metric_points", after=3, times=1)`` lets three rows through, refuses
    the fourth, then lets every later row through: a database that went away once.
    Every trigger is dropped by ``drop`` (the ``database_faults`` fixture does it).
    """

    def __init__(self, database_url: str) -> None:
        self.connection = psycopg.connect(psycopg_url(database_url), autocommit=True)
        self.made: list[Fault] = []

    def refuse(
        self,
        table: str,
        *,
        on: str = "INSERT",
        after: int = 0,
        times: int | None = None,
        when: str | None = None,
        message: str = "disk on fire",
        code: str = "P0001",
    ) -> Fault:
        """Refuse rows ``after``+1 … ``after``+``times`` (every later row without ``times``)
        written by ``on`` (``INSERT``, ``UPDATE``, ``INSERT OR UPDATE``) for which the SQL
        condition ``when`` (over ``NEW`` and ``OLD``) holds."""
        fault = Fault(self.connection, f"clover_fault_{uuid.uuid4().hex[:8]}", table)
        last = "NULL" if times is None else str(after + times)
        self.connection.execute(f"CREATE SEQUENCE {fault.name}_seen")
        self.connection.execute(
            f"CREATE FUNCTION {fault.name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"DECLARE seen bigint := nextval('{fault.name}_seen'); last bigint := {last}; "
            f"BEGIN IF seen > {after} AND (last IS NULL OR seen <= last) THEN "
            f"RAISE EXCEPTION USING MESSAGE = '{message}', ERRCODE = '{code}'; END IF; "
            "RETURN NEW; END $$"
        )
        condition = f"WHEN ({when}) " if when else ""
        self.connection.execute(
            f"CREATE TRIGGER {fault.name} BEFORE {on} ON {table} FOR EACH ROW "
            f"{condition}EXECUTE FUNCTION {fault.name}()"
        )
        self.made.append(fault)
        return fault

    def went_away(self, table: str, **kwargs) -> Fault:
        """As ``refuse``, failing as a lost database connection does."""
        return self.refuse(table, message="database went away", code=CONNECTION_FAILURE, **kwargs)

    def drop(self) -> None:
        for fault in self.made:
            self.connection.execute(f"DROP TRIGGER IF EXISTS {fault.name} ON {fault.table}")
            self.connection.execute(f"DROP FUNCTION IF EXISTS {fault.name}()")
            self.connection.execute(f"DROP SEQUENCE IF EXISTS {fault.name}_seen")
        self.made.clear()
        self.connection.close()
