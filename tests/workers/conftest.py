"""Real RQ worker processes for the worker tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry

from api.jobs import QUEUES
from api.redis import redis_connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_queues(redis_url):
    """Empty every queue (and its scheduled jobs) of the test Redis database."""
    connection = redis_connection(redis_url)
    for name in QUEUES:
        Queue(name, connection=connection).empty()
        registry = ScheduledJobRegistry(name, connection=connection)
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    return connection


def run_worker(database_url: str, redis_url: str, *queues: str) -> None:
    """`clover worker --burst` in its own process, with only the settings it needs."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CLOVER_ENV": "test",
        # The fake networks listen on loopback.
        "CLOVER_CONNECTIONS_ALLOW_PRIVATE": "true",
    }
    args = [sys.executable, "-m", "workers.cli", "worker", "--burst"]
    for queue in queues:
        args += ["--queue", queue]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
