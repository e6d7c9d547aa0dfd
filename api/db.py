"""Engines and sessions: one Database per URL, shared by the API and in-process jobs."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from api.domain import audit, tenancy


class Database:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.engine = _make_engine(settings)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        tenancy.install(self.sessions)
        audit.install(self.sessions)

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
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"options": options},
    )


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
