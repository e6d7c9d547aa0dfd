"""What a job needs to run: its settings and database.

``clover worker`` configures its process from the environment. An in-process job
(the embedded default) runs with the settings of the app that queued it
(``using``), so two apps in one process never mix databases. Jobs open their own
unit of work from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from api.config import Settings
from api.db import Database, database_for
from api.domain.uow import UnitOfWork

_settings: Settings | None = None
_override: ContextVar[Settings | None] = ContextVar("clover_job_settings", default=None)


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


@contextmanager
def using(settings: Settings) -> Iterator[None]:
    token = _override.set(settings)
    try:
        yield
    finally:
        _override.reset(token)


def settings() -> Settings:
    global _settings
    override = _override.get()
    if override is not None:
        return override
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def database() -> Database:
    return database_for(settings())


def unit_of_work() -> UnitOfWork:
    from workers.queues import dispatcher

    return UnitOfWork(database().session(), dispatcher(settings()))
