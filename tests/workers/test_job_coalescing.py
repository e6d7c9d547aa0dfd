"""Coalesced jobs: one waiting run per id, bounded ids, flat cost however many changes came."""

import uuid

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.job import Job, JobStatus
from structlog.contextvars import bound_contextvars

from api.jobs import RQDispatcher

JOB = "workers.jobs.refresh_member_count"


class CountingRedis(Redis):
    """A Redis client that counts the commands it sends (pipelines count as one)."""

    commands = 0

    def execute_command(self, *args, **options):
        CountingRedis.commands += 1
        return super().execute_command(*args, **options)


def counting(connection) -> CountingRedis:
    return CountingRedis(connection_pool=connection.connection_pool)


@pytest.fixture
def key() -> str:
    """A coalescing id of this test only (ended runs outlive a test in Redis)."""
    return f"rollup-{uuid.uuid4().hex}"


def end(job: Job) -> None:
    """What a worker leaves when the run is over."""
    job.set_status(JobStatus.FINISHED)


def test_changes_while_a_run_waits_share_it(empty_queues, key):
    dispatcher = RQDispatcher(empty_queues)

    first = dispatcher.enqueue("default", JOB, "a", job_id=key)
    second = dispatcher.enqueue("default", JOB, "a", job_id=key)

    assert first.id == second.id == key
    assert dispatcher.queue("default").count == 1


def test_a_change_during_a_run_queues_exactly_one_more(empty_queues, key):
    dispatcher = RQDispatcher(empty_queues)
    running = dispatcher.enqueue("default", JOB, "a", job_id=key)
    dispatcher.queue("default").remove(running)  # what a worker does when it takes it
    running.set_status(JobStatus.STARTED)

    follow_ups = {dispatcher.enqueue("default", JOB, "a", job_id=key).id for _ in range(5)}

    assert follow_ups == {f"{key}-next"}
    assert dispatcher.queue("default").get_job_ids() == [f"{key}-next"]


def test_thousands_of_changes_keep_ids_bounded_and_cost_flat(empty_queues, key):
    dispatcher = RQDispatcher(counting(empty_queues))
    ids, costs = set(), []

    for _ in range(1000):
        before = CountingRedis.commands
        job = dispatcher.enqueue("default", JOB, "a", job_id=key)
        costs.append(CountingRedis.commands - before)
        ids.add(job.id)
        end(job)  # every change arrives after the run it queued is over

    assert ids <= {key, f"{key}-next"}
    assert max(len(i) for i in ids) <= len(key) + len("-next")
    assert max(costs[-200:]) <= max(costs[:200])


def test_a_real_worker_runs_the_coalesced_job_and_the_slot_is_reused(empty_queues, key):
    dispatcher = RQDispatcher(empty_queues)
    job = dispatcher.enqueue("default", "builtins.len", "abc", job_id=key)

    SimpleWorker([dispatcher.queue("default")], connection=empty_queues).work(burst=True)

    assert Job.fetch(key, connection=empty_queues).get_status() == JobStatus.FINISHED
    again = dispatcher.enqueue("default", "builtins.len", "abc", job_id=key)
    assert again.id == job.id == key
    assert again.get_status() == JobStatus.QUEUED


def test_a_run_queued_with_a_context_of_its_own_carries_it_not_the_callers(empty_queues, key):
    """The reconciler queues a lost run under its job's request, whatever its own context."""
    dispatcher = RQDispatcher(empty_queues)
    carried = {"request_id": "trace-created-2", "organisation_id": "org"}

    with bound_contextvars(request_id="trace-of-the-caller", organisation_id="its-org"):
        again = dispatcher.enqueue("default", JOB, "a", job_id=key, carrying=carried)
        unnamed = dispatcher.enqueue("default", JOB, "b", job_id=f"{key}-b", carrying={})
        queued = dispatcher.enqueue("default", JOB, "c", job_id=f"{key}-c")

    assert Job.fetch(again.id, connection=empty_queues).meta == carried
    assert Job.fetch(unnamed.id, connection=empty_queues).meta == {}  # a job no request made
    assert Job.fetch(queued.id, connection=empty_queues).meta == {
        "request_id": "trace-of-the-caller",
        "organisation_id": "its-org",
    }
