"""The nightly full rollup is scheduled with RQ's own scheduler, once per night."""

from datetime import UTC, datetime

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry

from api.jobs import RQDispatcher
from api.redis import redis_connection
from workers import runtime
from workers.schedule import next_night, nightly_rollups, schedule_nightly


@pytest.fixture
def jobs(redis_url, settings):
    connection = redis_connection(redis_url)
    for name in ("rollups", "default"):
        Queue(name, connection=connection).empty()
        registry = ScheduledJobRegistry(name, connection=connection)
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    runtime.configure(settings)
    yield RQDispatcher(connection)
    runtime.configure(None)


def test_next_night_is_the_coming_two_oclock():
    assert next_night(datetime(2027, 3, 1, 1, 0, tzinfo=UTC)) == datetime(
        2027, 3, 1, 2, 0, tzinfo=UTC
    )
    assert next_night(datetime(2027, 3, 1, 2, 0, tzinfo=UTC)) == datetime(
        2027, 3, 2, 2, 0, tzinfo=UTC
    )


def test_scheduling_twice_schedules_one_run(jobs):
    now = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)

    first = schedule_nightly(jobs, now)
    second = schedule_nightly(jobs, now)

    registry = ScheduledJobRegistry("rollups", connection=jobs.connection)
    assert first == second == "nightly-rollups-2030-05-02"
    assert registry.get_job_ids() == [first]
    assert registry.get_scheduled_time(first) == datetime(2030, 5, 2, 2, 0, tzinfo=UTC)


def test_the_nightly_run_queues_a_full_rollup_per_organisation_and_the_next_night(jobs, factory):
    org = factory.organisation()

    count = nightly_rollups()

    queued = Queue("rollups", connection=jobs.connection).get_jobs()
    mine = [j for j in queued if j.args == (str(org.id), True)]
    assert count >= 1 and len(mine) == 1
    assert mine[0].func_name == "workers.jobs.rollup_kpis"
    assert ScheduledJobRegistry("rollups", connection=jobs.connection).get_job_ids()
