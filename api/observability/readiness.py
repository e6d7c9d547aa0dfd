"""What ``/readyz`` reports: each dependency with its state, and whether the schema is current.

The code's migration head is read from the scripts once, when the app starts
(``schema_heads``); the database's revision is read from ``alembic_version`` on each
check. A database behind the head (a deploy that skipped ``clover db upgrade``), or
ahead of it (an older release rolled back over a newer schema), is not ready: the
code would meet tables it does not expect.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine

from api.config import Settings
from api.migrate import alembic_config

IN_PROCESS = "not configured (jobs run in-process)"


def schema_heads(settings: Settings) -> frozenset[str]:
    """The head revision(s) of the migration scripts this code ships with."""
    return frozenset(ScriptDirectory.from_config(alembic_config(settings)).get_heads())


def _failure(error: Exception) -> dict:
    # The error's type and first line: enough to act on, no connection string.
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return {"ok": False, "detail": f"{type(error).__name__}: {first_line}"[:300]}


def _revisions(names) -> str | None:
    return ", ".join(sorted(names)) or None


def database_and_migrations(engine: Engine, heads: frozenset[str]) -> tuple[dict, dict]:
    """The database's check and the migrations' (read on one connection)."""
    head = _revisions(heads)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                current = frozenset(
                    connection.scalars(text("SELECT version_num FROM alembic_version"))
                )
            except Exception:
                current = frozenset()  # never migrated: no alembic_version table
    except Exception as error:  # any failure means "not ready"; say which
        unread = {"ok": False, "current": None, "head": head, "detail": "database unreachable"}
        return _failure(error), unread
    database = {"ok": True, "detail": "reachable"}
    if current == heads:
        return database, {"ok": True, "current": head, "head": head, "detail": "at head"}
    detail = (
        f"the database is at {_revisions(current) or 'no revision'}, this code needs {head}: "
        "run `clover db upgrade`"
    )
    return database, {"ok": False, "current": _revisions(current), "head": head, "detail": detail}


def redis(connection) -> dict:
    """Redis's check (``connection`` None: jobs run in-process, nothing to reach)."""
    if connection is None:
        return {"ok": True, "detail": IN_PROCESS}
    try:
        connection.ping()
    except Exception as error:
        return _failure(error)
    return {"ok": True, "detail": "reachable"}


def report(engine: Engine, heads: frozenset[str], redis_connection) -> tuple[dict, bool]:
    """``({status, checks}, ready)`` for ``/readyz``."""
    database, migrations = database_and_migrations(engine, heads)
    checks = {"database": database, "redis": redis(redis_connection), "migrations": migrations}
    ready = all(check["ok"] for check in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, ready
