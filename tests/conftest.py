"""Test session: a fresh PostgreSQL database (dropped after) and real Redis.

Set TEST_DATABASE_URL (an admin URL whose server we may create databases on) and
TEST_REDIS_URL to point elsewhere. When either is unreachable the run stops with
a message saying how to start it: never a silent skip.

Under pytest-xdist (`make test` runs ``-n auto``) every worker is a session of its own: its
own databases, and its own Redis database (the given one for the first worker, the ones
below it for the next), since the tests empty RQ's queues of theirs.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
import redis
from sqlalchemy import event

from api import create_app
from api.config import Settings
from api.db import database_for
from api.migrate import upgrade
from api.redis import redis_connection
from tests.factories import Factory
from tests.helpers import DatabaseFaults, empty_rq, psycopg_url
from tests.response_check import check_responses
from workers import runtime

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _worker_redis_url(url: str) -> str:
    """The Redis database of this xdist worker: gw0 the given one, gw1 the one below..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, slash, number = url.rpartition("/")
    if not slash or "//" not in base or not number.isdigit():
        base, number = url.rstrip("/"), "0"
    return f"{base}/{(int(number) - int(worker[2:])) % 16}"


REDIS_URL = _worker_redis_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
}


def _unreachable(service: str, url: str, error: Exception) -> None:
    pytest.exit(
        f"{service} is not reachable at {url} ({error}).\n"
        f"Start it (e.g. `{HOW_TO_START[service]}`) or point "
        f"TEST_{'DATABASE' if service == 'PostgreSQL' else 'REDIS'}_URL at one.",
        returncode=3,
    )


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        _unreachable("Redis", REDIS_URL, error)
    return REDIS_URL


@pytest.fixture(scope="session")
def pg_server():
    """Creates throwaway databases on the test server and drops them at the end."""
    try:
        admin = psycopg.connect(psycopg_url(ADMIN_URL), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        _unreachable("PostgreSQL", ADMIN_URL, error)
    created: list[str] = []

    def create() -> str:
        name = f"clover_test_{uuid.uuid4().hex[:12]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_database(ADMIN_URL, name)

    yield create
    for name in created:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def fresh_database(pg_server):
    """``fresh_database()``: the URL of a new, migrated database (e.g. a module's own)."""

    def create() -> str:
        url = pg_server()
        upgrade(Settings.build(database_url=url, environment="test"))
        return url

    return create


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:
    return fresh_database()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    """Where the test app keeps uploaded media (never the working directory's var/)."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def settings(database_url, redis_url, media_dir) -> Settings:
    # Rate-limit counters of this session only: they outlive it in Redis.
    return Settings.build(
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        rate_limit_prefix=f"clover-test-{uuid.uuid4().hex[:12]}:ratelimit",
        media_dir=str(media_dir),
        # The fake networks of the sync tests listen on loopback.
        connections_allow_private=True,
        # Statement counts count a request's own statements, whatever an earlier one left
        # kept (tests/api/test_kept_principals.py keeps principals).
        principals_kept_seconds=0,
    )


# What the session's answers did not match in the document (see tests/response_check.py).
RESPONSE_MISMATCHES: list[str] = []


@pytest.fixture(scope="session")
def app(settings):
    app = create_app(settings)
    check_responses(app, RESPONSE_MISMATCHES)
    return app


@pytest.fixture(autouse=True)
def answers_match_the_document():
    """Every JSON answer a test got is one the OpenAPI document describes."""
    RESPONSE_MISMATCHES.clear()
    yield
    found, RESPONSE_MISMATCHES[:] = list(RESPONSE_MISMATCHES), []
    assert not found, "answers the document does not describe:\n" + "\n".join(found[:20])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def database(settings):
    return database_for(settings)


@pytest.fixture
def factory(database) -> Factory:
    return Factory(database)


@pytest.fixture
def job_runtime(settings):
    """Jobs called in this process use the test database (restored afterwards)."""
    previous = runtime._settings
    runtime.configure(settings)
    yield
    runtime.configure(previous)


@pytest.fixture
def empty_queues(redis_url):
    """Every RQ queue of the test Redis database, emptied (the connection to it)."""
    connection = redis_connection(redis_url)
    empty_rq(connection)
    return connection


@pytest.fixture
def database_faults(database_url):
    """Writes that fail in the test database itself (``DatabaseFaults``), until the test ends."""
    faults = DatabaseFaults(database_url)
    yield faults
    faults.drop()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.count += 1
        self.statements.append(statement)


@pytest.fixture
def count_queries(database):
    """Counts the SQL statements run inside ``with count_queries() as counter:``."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(database.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(database.engine, "before_cursor_execute", counter)

    return counting
