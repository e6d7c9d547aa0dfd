"""What a job needs to run: its settings and database.

``clover worker`` configures its process from the environment. An in-process job
(the embedded default) runs with the settings of the app that queued it
(``using``), so two apps in one process never mix databases. Jobs open their own
unit of work from here.
"""

from __future__ import annotations

import uuid

from api.config import Settings
from api.db import Database, database_for
from api.domain.access import system_tenant
from api.domain.uow import UnitOfWork
from api.jobs import dispatcher, queued_settings
from api.jobs import using as using  # callers enter a job's settings as runtime.using

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings


def settings() -> Settings:
    global _settings
    override = queued_settings()
    if override is not None:
        return override
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def database() -> Database:
    return database_for(settings())


def unit_of_work(organisation_id: uuid.UUID | None = None) -> UnitOfWork:
    """A unit of work of Clover's own, opened for ``organisation_id`` when one is named.

    A job that works for several organisations opens one per organisation.
    """
    uow = UnitOfWork(database().session(), dispatcher(settings()))
    if organisation_id is not None:
        uow.open_for(system_tenant(organisation_id))
    return uow
