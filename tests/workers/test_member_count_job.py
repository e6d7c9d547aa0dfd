"""member_count is kept by a background job: queued in Redis, run by a real RQ worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import update

from api.domain.organisations.models import Organisation
from tests.api import builders
from tests.helpers import empty_rq
from workers import jobs

ROOT = Path(__file__).resolve().parents[2]
CLOVER = Path(sys.executable).parent / "clover"  # the console script of this virtualenv
JOB = "workers.jobs.refresh_member_count"


@pytest.fixture
def rq_redis(redis_url):
    """The test Redis db with every RQ queue (and its scheduled retries) emptied."""
    connection = Redis.from_url(redis_url)
    empty_rq(connection)
    yield connection
    empty_rq(connection)
    connection.close()


def worker_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLOVER_") and k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, CLOVER_ENV="test")
    return env


def run_burst_worker(database_url: str, redis_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLOVER), "worker", "--burst", "--queue", "default"],
        cwd=ROOT,
        env=worker_env(database_url, redis_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def jobs_for(queue: Queue, org) -> list:
    """The member-count jobs waiting on ``queue`` for this organisation."""
    return [job for job in queue.get_jobs() if job.func_name == JOB and job.args == (str(org.id),)]


def member_count(client, org) -> int:
    response = client.get(org.url(), headers=org.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["member_count"]


def test_adding_a_member_queues_a_job_that_a_worker_process_runs_to_update_member_count(
    client, factory, rq_redis, database_url, redis_url
):
    org = factory.organisation("Queued Count Ltd")
    default = Queue("default", connection=rq_redis)
    assert jobs_for(default, org) == []

    builders.invited_member(client, org)  # accepted at signup: a new member

    queued = jobs_for(default, org)
    assert len(queued) == 1
    assert member_count(client, org) == 1  # nothing ran the job yet

    result = run_burst_worker(database_url, redis_url)

    assert result.returncode == 0, result.stderr
    assert jobs_for(default, org) == []
    assert queued[0].get_status(refresh=True) == "finished", result.stderr
    assert member_count(client, org) == 2


def test_removing_a_member_is_counted_once_the_worker_has_run(
    client, factory, rq_redis, database_url, redis_url
):
    org = factory.organisation("Shrinking Ltd")
    joined = builders.invited_member(client, org)
    member_id = builders.member_id(client, org, joined["user"]["id"])

    removed = client.delete(org.url(f"/members/{member_id}"), headers=org.headers)
    assert removed.status_code == 204

    default = Queue("default", connection=rq_redis)
    assert len(jobs_for(default, org)) == 2  # one per change
    # Force a wrong stored count so that only the job can bring it back to the truth.
    with factory.database.session() as session:
        session.execute(
            update(Organisation).where(Organisation.id == org.id).values(member_count=7)
        )
        session.commit()
    assert member_count(client, org) == 7

    result = run_burst_worker(database_url, redis_url)

    assert result.returncode == 0, result.stderr
    assert member_count(client, org) == 1


def test_refresh_member_count_is_idempotent(client, factory, job_runtime):
    org = factory.organisation("Twice Counted Ltd")
    factory.member(org, "analyst")  # added behind the job's back: stored count stays 1
    factory.member(org, "contributor")
    assert member_count(client, org) == 1

    first = jobs.refresh_member_count(str(org.id))
    after_first = client.get(org.url(), headers=org.headers).get_json()
    second = jobs.refresh_member_count(str(org.id))
    after_second = client.get(org.url(), headers=org.headers).get_json()

    assert first == second == 3
    assert after_first["member_count"] == after_second["member_count"] == 3
    # The second run found nothing to change, so it wrote nothing (no version bump).
    assert after_second["version"] == after_first["version"]
