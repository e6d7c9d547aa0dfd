"""Job attempts, heartbeats and what the reconciler takes as lost (real PostgreSQL, no HTTP).

A database of the module's own: the reconciler's queries see every organisation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from structlog.contextvars import bound_contextvars, clear_contextvars

from api.config import Settings, SettingsError
from api.db import database_for
from api.domain.access import system_tenant
from api.domain.base import utcnow
from api.domain.jobs import recovery
from api.domain.jobs import service as jobs
from api.domain.jobs.models import Job


@pytest.fixture(scope="module")
def database_url(fresh_database) -> str:
    return fresh_database()


@pytest.fixture(scope="module")
def database(database_url):
    database = database_for(Settings.build(database_url=database_url, environment="test"))
    yield database
    database.dispose()


def new_job(factory, org, kind="import", **params) -> Job:
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        job = jobs.create_job(uow=uow, kind=kind, params=params)
        uow.commit()
        return job


def begin(factory, org, job):
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        return jobs.begin_attempt(uow=uow, job_id=job.id)


def age(database, job, **fields) -> None:
    with database.session() as session:
        session.execute(update(Job).where(Job.id == job.id).values(**fields))
        session.commit()


def current(database, job) -> Job:
    with database.session() as session:
        return session.get(Job, job.id)


def test_a_resumed_job_counts_one_attempt_more_and_keeps_its_first_start(factory, database):
    org = factory.organisation()
    job = new_job(factory, org)

    first = begin(factory, org, job)
    assert (first.status, first.attempts) == ("running", 1)
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        jobs.interrupt_job(uow=uow, job_id=job.id)
    assert current(database, job).status == "interrupted"
    again = begin(factory, org, job)

    assert (again.status, again.attempts) == ("running", 2)
    assert again.started_at == first.started_at
    assert again.heartbeat_at >= first.heartbeat_at


def test_a_finished_job_is_not_begun_again(factory, database):
    org = factory.organisation()
    job = new_job(factory, org)
    begin(factory, org, job)
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        jobs.finish_job(uow=uow, job_id=job.id, counts={"rows": 1})

    assert begin(factory, org, job) is None
    assert (current(database, job).status, current(database, job).attempts) == ("succeeded", 1)


def test_a_running_job_with_a_stale_heartbeat_is_interrupted_and_a_fresh_one_is_not(
    factory, database
):
    org = factory.organisation()
    stale, fresh = new_job(factory, org), new_job(factory, org, kind="sync", channel_id="c-1")
    for job in (stale, fresh):
        begin(factory, org, job)
    age(database, stale, heartbeat_at=utcnow() - timedelta(minutes=5))

    with database.session() as session:
        found = recovery.interrupt_stale(session, stale_before=utcnow() - timedelta(minutes=1))

    assert [item.job_id for item in found.interrupted] == [stale.id]
    [item] = found.interrupted
    assert (item.queue, item.queue_id, item.args) == (
        "default",
        f"job-{stale.id}",
        (str(org.id), str(stale.id)),
    )
    assert current(database, stale).status == "interrupted"
    assert current(database, fresh).status == "running"


def test_a_job_lost_too_many_times_fails_instead_of_looping(factory, database):
    org = factory.organisation()
    job = new_job(factory, org, kind="rollup", full=True)
    begin(factory, org, job)
    age(
        database,
        job,
        attempts=recovery.MAX_ATTEMPTS,
        heartbeat_at=utcnow() - timedelta(minutes=5),
    )

    with database.session() as session:
        found = recovery.interrupt_stale(session, stale_before=utcnow() - timedelta(minutes=1))

    assert found.failed == [job.id] and found.interrupted == []
    failed = current(database, job)
    assert failed.status == "failed" and "stopped 5 times" in failed.error


def test_queued_jobs_count_as_lost_only_once_their_enqueue_had_time(factory, database):
    org = factory.organisation()
    old, young = new_job(factory, org), new_job(factory, org, kind="rollup", full=True)
    interrupted = new_job(factory, org, kind="sync", channel_id="c-2")
    age(database, old, created_at=utcnow() - timedelta(minutes=1))
    age(database, interrupted, status="interrupted")

    with database.session() as session:
        waiting = recovery.lost_candidates(session, queued_before=utcnow() - timedelta(seconds=10))

    ids = {item.job_id: item for item in waiting}
    assert old.id in ids and interrupted.id in ids and young.id not in ids
    assert ids[interrupted.id].queue_id == "sync-c-2"
    assert ids[interrupted.id].args == (str(org.id), "c-2", str(interrupted.id))


def test_the_stale_bound_must_leave_room_for_two_heartbeats():
    with pytest.raises(SettingsError, match="at least twice"):
        Settings.from_env({"CLOVER_JOB_HEARTBEAT_SECONDS": "30", "CLOVER_JOB_STALE_SECONDS": "45"})
    settings = Settings.from_env({"CLOVER_JOB_STALE_SECONDS": "20"})
    assert (settings.job_heartbeat_seconds, settings.job_stale_seconds) == (10, 20)


def test_each_kind_of_import_is_queued_again_to_its_own_job(factory, database):
    org = factory.organisation()
    points, posts = new_job(factory, org), new_job(factory, org, of="content_items")

    assert recovery.requeue_of(points).function == "workers.jobs.import_metric_points"
    assert recovery.requeue_of(posts).function == "workers.jobs.import_content_items"
    assert recovery.requeue_of(posts).queue_id == f"job-{posts.id}"


def test_each_kind_of_rematch_is_queued_again_to_its_own_job(factory, database):
    org = factory.organisation()
    message = new_job(factory, org, "rematch", of="key_message", key_message_id="m")
    rivals = new_job(factory, org, "rematch", of="competitors")

    again = recovery.requeue_of(message)
    assert (again.queue, again.function, again.queue_id) == (
        "default",
        "workers.jobs.rematch_key_message",
        f"job-{message.id}",
    )
    assert again.args == (str(org.id), str(message.id))
    assert recovery.requeue_of(rivals).function == "workers.jobs.rematch_competitor_mentions"
    assert recovery.requeue_of(rivals).args == (str(org.id), str(rivals.id))


def test_a_job_keeps_the_request_id_it_was_created_under_and_a_run_queued_again_carries_it(
    factory, database
):
    org = factory.organisation()
    with bound_contextvars(request_id="trace-created-1", organisation_id=str(org.id)):
        job = new_job(factory, org, "rollup", full=True)

    assert current(database, job).request_id == "trace-created-1"
    assert recovery.requeue_of(job).carried == {
        "request_id": "trace-created-1",
        "organisation_id": str(org.id),
    }


def test_a_job_no_request_created_is_queued_again_carrying_nothing(factory, database):
    org = factory.organisation()
    clear_contextvars()  # periodic work: no request's id in the context
    job = new_job(factory, org, "rollup", full=True)

    assert current(database, job).request_id is None
    assert recovery.requeue_of(job).carried == {}  # as logs.carried() gives outside a request
