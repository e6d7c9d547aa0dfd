"""What a job needs to run: the process's settings and database.

The API process configures it in ``create_app``; ``clover worker`` configures it
from the environment. Jobs open their own unit of work from here.
"""

from __future__ import annotations

from api.config import Settings
from api.db import Database, database_for
from api.domain.uow import UnitOfWork

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def database() -> Database:
    return database_for(settings())


def unit_of_work() -> UnitOfWork:
    from workers.queues import dispatcher

    return UnitOfWork(database().session(), dispatcher(settings()))
