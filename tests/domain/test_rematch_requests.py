"""Asking for a re-match: one queued job per thing, locked while the change is made
(real PostgreSQL, no HTTP)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from api.domain.access import system_tenant
from api.domain.jobs import rematches
from api.domain.jobs.models import Job


def asked(factory, org, of, **params) -> uuid.UUID:
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        job = rematches.request_rematch(uow=uow, of=of, **params)
        uow.commit()
        return job.id


def test_each_thing_has_its_own_queued_rematch(factory):
    org, other = factory.organisation(), factory.organisation("Other")
    one, two = uuid.uuid4(), uuid.uuid4()

    first = asked(factory, org, rematches.KEY_MESSAGE, key_message_id=one)

    assert asked(factory, org, rematches.KEY_MESSAGE, key_message_id=one) == first
    assert asked(factory, org, rematches.KEY_MESSAGE, key_message_id=two) != first
    rivals = asked(factory, org, rematches.COMPETITORS)
    assert rivals not in (first, asked(factory, other, rematches.COMPETITORS))
    assert asked(factory, org, rematches.COMPETITORS) == rivals


def test_the_reused_row_is_locked_until_the_change_commits(factory, database):
    """A worker beginning the job (``begin_attempt`` locks the row) waits for the change,
    so the phrases it then reads are the new ones."""
    org = factory.organisation()
    job_id = asked(factory, org, rematches.COMPETITORS)
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        assert rematches.request_rematch(uow=uow, of=rematches.COMPETITORS).id == job_id

        with database.engine.connect() as worker, pytest.raises(OperationalError):
            worker.execute(select(Job.id).where(Job.id == job_id).with_for_update(nowait=True))
        uow.commit()

    with database.engine.connect() as worker:
        assert (
            worker.execute(
                select(Job.id).where(Job.id == job_id).with_for_update(nowait=True)
            ).scalar()
            == job_id
        )
