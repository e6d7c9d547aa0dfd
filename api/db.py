"""Engines and sessions: one Database per URL, shared by the API and in-process jobs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api import credentials
from api.config import Settings
from api.domain import audit, tenancy
from api.domain import credentials as credential_changes


class Database:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.engine = _make_engine(settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        tenancy.install(self.sessions)
        audit.install(self.sessions)
        # Kept principals are dropped everywhere once a commit changes someone's rights.
        credentials.watch(self.url, settings.redis_url)
        credential_changes.install(self.sessions, lambda: credentials.changed(self.url))

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # A runaway query must not hold a worker forever.
    options = f"-c statement_timeout={settings.statement_timeout_ms}"
    # Statement parameters never reach a log or an error message: they hold password
    # and key hashes, secrets' ciphertexts and email addresses.
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=10,
        max_overflow=10,
        # Older connections are replaced rather than trusted (a proxy or firewall may
        # have dropped them silently).
        pool_recycle=RECYCLE_SECONDS,
        connect_args={"options": options},
    )
    ping_after_idle(engine)
    return engine


# A connection back in the pool less than this long ago is used without a ping: on a busy
# worker that is every checkout, and a ping is a round trip (BEGIN; SELECT 1) per request.
PING_AFTER_IDLE_SECONDS = 5.0
RECYCLE_SECONDS = 1800


def ping_after_idle(engine: Engine, seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a pooled connection at checkout only when it has been idle ``seconds`` or more.

    A server restart or a dropped connection is met after a quiet spell, where it is
    found by the ping: the pool then drops every older connection and hands out a new
    one, and the request never sees it. One that breaks while the worker is busy fails
    the request that meets it (the error also makes the pool drop every older
    connection), which a pre-ping on every checkout would not prevent either unless
    the break came exactly between two requests.
    """
    clock = time.monotonic

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record):
        record.info["checked_in_at"] = clock()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        if record is not None:
            record.info["checked_in_at"] = clock()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        if clock() - record.info.get("checked_in_at", 0.0) < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool replaces this connection (and every older one) and checks out again.
            raise exc.InvalidatePoolError(str(error)) from error


_databases: dict[tuple[str, int], Database] = {}
_lock = threading.Lock()


def database_for(settings: Settings) -> Database:
    """The process-wide Database for these settings (the API and jobs share it)."""
    key = (settings.database_url, settings.statement_timeout_ms)
    with _lock:
        db = _databases.get(key)
        if db is None:
            db = _databases[key] = Database(settings)
        return db
