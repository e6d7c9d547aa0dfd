"""The pool pings a connection only after it sat idle: a busy worker pays no ping per request."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from api.db import ping_after_idle


def _engine(database_url: str, idle_seconds: float):
    url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    engine = create_engine(url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle_seconds)
    return engine


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(engine, pid: int) -> None:
    with create_engine(engine.url, poolclass=NullPool).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()


def test_a_connection_that_died_while_idle_is_replaced_before_the_request_uses_it(database_url):
    engine = _engine(database_url, idle_seconds=0)  # every checkout counts as after a quiet spell
    try:
        first = _backend(engine)
        _terminate(engine, first)  # as a server restart or a dropped connection would

        second = _backend(engine)  # no error: the ping found it dead, the pool reconnected

        assert second != first
    finally:
        engine.dispose()


def test_a_connection_back_in_the_pool_moments_ago_is_used_without_a_ping(database_url):
    engine = _engine(database_url, idle_seconds=3600)
    try:
        first = _backend(engine)
        _terminate(engine, first)

        # Not pinged, so the dead connection is met by the statement itself…
        with pytest.raises(exc.OperationalError):
            _backend(engine)
        # …and the error made the pool drop it: the next request gets a new one.
        assert _backend(engine) != first
    finally:
        engine.dispose()
