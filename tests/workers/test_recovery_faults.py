"""Work survives a Redis that restarts empty and a worker killed with its work horse.

Real `clover worker` processes on a Redis server of the module's own (killed and
restarted empty by the tests) and a database of its own (the reconciler looks at
every organisation's jobs). Recovery is fast here because the workers run with
short bounds (heartbeat 1 s, stale after 3 s, reconcile every 2 s); nothing waits
on the wall clock: every wait is a bounded poll that fails the test on timeout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import redis
from rq.worker import Worker
from sqlalchemy import func, select, text

from api import create_app
from api.config import Settings
from api.db import database_for
from api.domain.metrics.models import MetricPoint
from tests.api import builders
from tests.workers.conftest import ROOT
from tests.workers.test_sync_faults import (
    STATUSES_PATH,
    Instance,
    _crash,
    assert_synced_exactly,
    mastodon_channel,
    populate,
    stored_cursor,
    wait_for,
)
from tests.workers.test_webhooks import Receiver
from workers import runtime
from workers.recovery import reconcile

BOUNDS = {
    "CLOVER_JOB_HEARTBEAT_SECONDS": "1",
    "CLOVER_JOB_STALE_SECONDS": "3",
    "CLOVER_JOB_RECONCILE_SECONDS": "2",
}
SALES = {"day": "Date", "value": "Sales", "metric_key": "pos_sales"}
TIMEOUT = 60


def measured(what: str, since: float) -> None:
    """Recovery times, shown with ``pytest -s`` (never asserted: no wall-clock checks)."""
    print(f"\n{what}: {time.monotonic() - since:.1f} s")


class OwnRedis:
    """A Redis server without persistence: killed, it comes back empty."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server to start")
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=5)
            self.process = None


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def own_redis():
    server = OwnRedis()
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def database_url(fresh_database) -> str:
    return fresh_database()


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def settings(database_url, own_redis, upload_dir) -> Settings:
    return Settings.build(
        database_url=database_url,
        redis_url=own_redis.url,
        environment="test",
        upload_dir=str(upload_dir),
        webhooks_allow_private=True,
        connections_allow_private=True,  # the fake Mastodon is on loopback
        job_heartbeat_seconds=1,
        job_stale_seconds=3,
        job_reconcile_seconds=2,
    )


@pytest.fixture(scope="module")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="module")
def database(settings):
    database = database_for(settings)
    yield database
    database.dispose()


@pytest.fixture
def fresh_redis(own_redis):
    if own_redis.process is None:
        own_redis.start()
    connection = redis.Redis.from_url(own_redis.url)
    connection.flushall()
    yield connection
    connection.close()


def _env(settings: Settings) -> dict:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "CLOVER_ENV": "test",
        "CLOVER_UPLOAD_DIR": settings.upload_dir,
        "CLOVER_WEBHOOKS_ALLOW_PRIVATE": "true",
        "CLOVER_CONNECTIONS_ALLOW_PRIVATE": "true",
        "PYTHONUNBUFFERED": "1",
        **BOUNDS,
    }


@pytest.fixture
def workers(settings, fresh_redis, tmp_path):
    """Start long-running `clover worker` processes; all are killed at the end."""
    started: list[tuple[subprocess.Popen, object]] = []

    def start() -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(started)}.log").open("w")
        args = [sys.executable, "-m", "workers.cli", "worker"]
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=_env(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGCONT)
            _crash(process)
        log.close()


def burst(settings, *queues: str, timeout: float = TIMEOUT) -> str:
    args = [sys.executable, "-m", "workers.cli", "worker", "--burst"]
    for queue in queues:
        args += ["--queue", queue]
    done = subprocess.run(
        args, cwd=ROOT, env=_env(settings), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return done.stdout + done.stderr


def idle_workers(connection) -> list[Worker]:
    try:
        return [w for w in Worker.all(connection=connection) if w.get_state() == "idle"]
    except redis.RedisError:
        return []


# -- the API, as a client uses it -------------------------------------------------------------


def csv_of(rows: int) -> bytes:
    lines = ["Date,Sales"] + [
        f"{datetime.fromordinal(730120 + i).date().isoformat()},{i % 97}" for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def upload(client, org, rows: int) -> dict:
    response = client.post(
        org.url("/imports"),
        headers=org.headers,
        data={"file": (io.BytesIO(csv_of(rows)), "sales.csv"), "mapping": json.dumps(SALES)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def rollup(client, org, request_id: str | None = None) -> dict:
    traced = {"X-Request-ID": request_id} if request_id else {}
    response = client.post(org.url("/rollups"), headers={**org.headers, **traced})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def sandbox_sync(client, org) -> dict:
    channel = builders.channel(client, org, kind="mastodon", name="Sandbox")
    connected = client.put(
        org.url(f"/channels/{channel['id']}/connection"),
        headers=org.headers,
        json={"provider": "sandbox", "account": "@c", "credentials": {"access_token": "t"}},
    )
    assert connected.status_code == 200, connected.get_json()
    response = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def job_of(client, org, job: dict) -> dict:
    return client.get(org.url(f"/jobs/{job['id']}"), headers=org.headers).get_json()


def lines_of_run(output: str, job: dict) -> list[dict]:
    """The worker's log lines (JSON, one a line) written for the run of ``job``."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("rq_job_id") == f"job-{job['id']}"]


def points(database, org) -> tuple[int, float]:
    with database.session() as session:
        count, total = session.execute(
            select(func.count(), func.coalesce(func.sum(MetricPoint.value), 0)).where(
                MetricPoint.organisation_id == org.id, MetricPoint.metric_key == "pos_sales"
            )
        ).one()
    return count, float(total)


def expected_points(rows: int) -> tuple[int, float]:
    return rows, float(sum(i % 97 for i in range(rows)))


# -- 1. Redis restarts empty under a running worker ----------------------------------------------


def test_work_accepted_before_and_during_a_redis_outage_runs_when_redis_is_back_empty(
    client, factory, database, settings, own_redis, fresh_redis, workers
):
    org = factory.organisation()
    strategy = builders.ready_strategy(client, org)
    server = Receiver()
    hook = builders.created(
        client.post(
            org.url("/webhook-endpoints"),
            headers=org.headers,
            json={"url": server.url, "events": ["strategy.activated", "import.completed"]},
        )
    )
    worker = workers()
    wait_for(lambda: idle_workers(fresh_redis), timeout=TIMEOUT, what="the worker to listen")

    os.killpg(worker.pid, signal.SIGSTOP)  # paused through the outage, its scheduler too
    before = [upload(client, org, 300), rollup(client, org)]  # in Redis, then lost with it
    own_redis.kill()
    assert client.get("/readyz").status_code == 503
    during = [upload(client, org, 200), sandbox_sync(client, org)]
    activated = client.post(org.url(f"/strategies/{strategy['id']}/activate"), headers=org.headers)
    assert activated.status_code == 200  # its event waits in the outbox
    own_redis.start()  # empty
    back = time.monotonic()
    os.killpg(worker.pid, signal.SIGCONT)

    accepted = before + during
    wait_for(
        lambda: all(job_of(client, org, job)["status"] == "succeeded" for job in accepted),
        timeout=TIMEOUT,
        what="every accepted job to succeed",
    )
    measured("redis back → all four jobs succeeded ", back)
    assert worker.poll() is None  # the same worker reconnected
    done = [job_of(client, org, job) for job in accepted]
    assert [job["attempts"] for job in done] == [1, 1, 1, 1]
    assert points(database, org) == expected_points(300)  # 200 rows are the same days again
    assert done[1]["counts"]["kpis"] == 1
    assert done[3]["counts"]["metric_points"] > 0
    sent = wait_for(
        lambda: len(server.requests) >= 3 and server.verified(hook["secret"]),
        timeout=TIMEOUT,
        what="the outbox's events to be delivered",
    )
    assert sorted(event["type"] for event in sent) == [
        "import.completed",
        "import.completed",
        "strategy.activated",
    ]
    # Periodic work is armed again in the new Redis (scheduled, or run already).
    for periodic in ("jobs-reconcile", "sync-due", "webhooks-sweep", "nightly-rollups"):
        assert fresh_redis.keys(f"rq:job:{periodic}-*"), periodic
    server.close()


# -- 2. a worker and its work horse killed mid-job ------------------------------------------------


def reconcile_until_interrupted(client, org, settings, job: dict) -> dict:
    """Run the reconciler (as the scheduler does) until it finds the job abandoned."""

    def interrupted():
        with runtime.using(settings):
            reconcile(reschedule=False)
        shown = job_of(client, org, job)
        return shown if shown["status"] == "interrupted" else None

    return wait_for(interrupted, timeout=TIMEOUT, what="the job to show interrupted")


def crash(worker) -> float:
    horses = _crash(worker)
    assert len(horses) == 1, "the job's work horse was not running"
    return time.monotonic()


def test_an_import_killed_with_its_horse_is_interrupted_then_resumed_exactly(
    client, factory, database, settings, workers
):
    org = factory.organisation()
    rows = 6_000
    job = upload(client, org, rows)
    worker = workers()
    midway = wait_for(
        lambda: 0 < (shown := job_of(client, org, job))["progress"] < 0.75 and shown,
        timeout=TIMEOUT,
        what="the import to be part-way",
    )
    killed = crash(worker)
    assert job_of(client, org, job)["status"] == "running"

    interrupted = reconcile_until_interrupted(client, org, settings, job)
    measured("import killed → interrupted ", killed)
    assert interrupted["attempts"] == 1 and interrupted["progress"] >= midway["progress"]
    burst(settings)

    done = job_of(client, org, job)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert done["started_at"] == midway["started_at"]  # the first start
    assert done["counts"] == {
        "rows": rows,
        "inserted": rows,
        "updated": 0,
        "rejected": 0,
        "skipped": 0,
    }
    assert points(database, org) == expected_points(rows)


def test_a_rollup_killed_with_its_horse_is_interrupted_then_run_again(
    client, factory, database, settings, workers
):
    org = factory.organisation()
    strategy = builders.strategy(client, org, period_start="2025-01-01", period_end="2025-12-31")
    builders.kpi(client, org, builders.objective(client, org, strategy["id"])["id"])
    with database.engine.connect() as blocker:
        # The rollup's writes wait behind this lock: it is running when killed.
        blocker.execute(text("LOCK TABLE kpi_values IN EXCLUSIVE MODE"))
        job = rollup(client, org, request_id="trace-killed-rollup-5")
        worker = workers()
        first = wait_for(
            lambda: (shown := job_of(client, org, job))["status"] == "running" and shown,
            timeout=TIMEOUT,
            what="the rollup to run",
        )
        killed = crash(worker)
        blocker.rollback()

    interrupted = reconcile_until_interrupted(client, org, settings, job)
    measured("rollup killed → interrupted ", killed)
    assert interrupted["attempts"] == 1
    output = burst(settings, "rollups")

    done = job_of(client, org, job)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2 and done["started_at"] == first["started_at"]
    assert done["counts"] == {"kpis": 1, "values": 12, "status_changes": 12, "skipped_kpis": 0}
    # The run queued again still names the request that created the job.
    assert done["request_id"] == "trace-killed-rollup-5"
    again = lines_of_run(output, job)
    assert any("Successfully completed" in line["message"] for line in again)
    assert all(line["request_id"] == "trace-killed-rollup-5" for line in again)
    assert all(line["organisation_id"] == str(org.id) for line in again)


def test_a_sync_killed_with_its_horse_is_interrupted_then_resumed_exactly(
    client, factory, database, settings, workers
):
    org = factory.organisation()
    mastodon = Instance()
    mastodon.expected, mastodon.mentioned = populate(mastodon, datetime.now(UTC).date())
    try:
        mastodon.delays[STATUSES_PATH] = 1.0  # each page of statuses takes a second
        channel = mastodon_channel(client, org, mastodon)
        response = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
        assert response.status_code == 202
        job = response.get_json()
        worker = workers()
        wait_for(
            lambda: (c := stored_cursor(database, channel)) and c.get("max_id"),
            timeout=TIMEOUT,
            what="the first page of statuses to be stored",
        )
        first = job_of(client, org, job)
        killed = crash(worker)
        mastodon.delays.clear()

        interrupted = reconcile_until_interrupted(client, org, settings, job)
        measured("sync killed → interrupted ", killed)
        assert interrupted["attempts"] == 1
        burst(settings, "sync")

        done = job_of(client, org, job)
        assert done["status"] == "succeeded", done
        assert done["attempts"] == 2 and done["started_at"] == first["started_at"]
        assert_synced_exactly(database, channel, mastodon)
    finally:
        mastodon.close()
