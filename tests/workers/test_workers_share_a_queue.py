"""Two worker processes on one queue, as on two hosts: each takes one job, none runs twice.

The barrier is the database's own lock: the test holds ``rollup_states`` locked, so each
tracked rollup blocks on its first read of it. Only when two backends wait on that lock
at once (two jobs running, one in each worker, since a worker runs one job at a time) is
it let go; a worker that had taken both jobs could never get there.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import psycopg
from rq.job import Job

from api.domain.jobs.service import tracked_job_id
from tests.api import builders
from tests.helpers import psycopg_url
from tests.workers.conftest import ROOT, worker_env

GIVE_UP_AFTER = 120.0  # seconds: a stuck barrier fails the test rather than hang it

WAITING_ON_ROLLUP_STATES = """
SELECT count(*) FROM pg_locks AS l
JOIN pg_class AS c ON c.oid = l.relation
WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND c.relname = 'rollup_states' AND NOT l.granted
"""


def start_worker(database_url: str, redis_url: str) -> subprocess.Popen:
    # The lock wait counts toward the statement timeout: long enough for the slower start.
    env = worker_env(database_url, redis_url, CLOVER_STATEMENT_TIMEOUT_MS="300000")
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "worker", "--burst", "--queue", "rollups"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def requested_rollup(client, factory) -> str:
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    builders.kpi(client, org, builders.objective(client, org, strategy["id"])["id"])
    accepted = client.post(org.url("/rollups"), headers=org.headers)
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    return accepted.get_json()["id"]


def wait_for_two_waiters(barrier: psycopg.Connection, workers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + GIVE_UP_AFTER
    while True:
        [(waiting,)] = barrier.execute(WAITING_ON_ROLLUP_STATES).fetchall()
        if waiting == 2:
            return
        ended = [w for w in workers if w.poll() is not None]
        assert not ended, "a worker ended before both jobs began: " + ended[0].stderr.read()[-2000:]
        assert time.monotonic() < deadline, f"only {waiting} job(s) reached the barrier"
        time.sleep(0.1)


def jobs_in(log: str) -> list[str]:
    """The RQ job ids a worker's JSON log lines say it completed."""
    done = []
    for line in log.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if "Successfully completed" in str(entry.get("message", entry.get("event", ""))):
            done.append(entry.get("rq_job_id"))
    return done


def test_two_workers_on_one_queue_each_run_one_job(
    client, factory, database_url, redis_url, empty_queues
):
    job_ids = [requested_rollup(client, factory), requested_rollup(client, factory)]

    with psycopg.connect(psycopg_url(database_url), autocommit=True) as watcher:
        barrier = psycopg.connect(psycopg_url(database_url))
        barrier.execute("LOCK TABLE rollup_states IN ACCESS EXCLUSIVE MODE")
        workers = [start_worker(database_url, redis_url) for _ in range(2)]
        try:
            wait_for_two_waiters(watcher, workers)
        finally:
            barrier.rollback()  # lets both jobs go on (and a failed test's workers end)
            barrier.close()
            logs = [w.communicate(timeout=GIVE_UP_AFTER)[1] for w in workers]
        assert [w.returncode for w in workers] == [0, 0], logs

        rows = watcher.execute(
            "SELECT id::text, status, attempts FROM jobs WHERE id = ANY(%s::uuid[])", (job_ids,)
        ).fetchall()
    assert sorted(rows) == sorted((job_id, "succeeded", 1) for job_id in job_ids)

    queued = [Job.fetch(tracked_job_id(job_id), connection=empty_queues) for job_id in job_ids]
    assert all(job.get_status() == "finished" for job in queued)
    assert queued[0].worker_name and queued[1].worker_name
    assert queued[0].worker_name != queued[1].worker_name
    # And from the workers' own lines: one job each, together both.
    completed = [jobs_in(log) for log in logs]
    assert sorted(len(done) for done in completed) == [1, 1], logs
    assert sorted(completed[0] + completed[1]) == sorted(tracked_job_id(j) for j in job_ids)
