"""The sync job end to end, faults included: real `clover worker` processes, real Redis.

A channel is connected through the API to a fake Mastodon instance on loopback
(the one of ``tests/fakes/mastodon.py``, extended here with slow and persistently failing
endpoints), and syncs through ``POST …/sync`` or the periodic ``sync_due``.

The module runs on a database of its own: ``sync_due`` queues every connection of
every tenant, so a shared database would have it sync other tests' channels (and
other tests' periodic runs sync ours). Its connections are removed after each test.

Keeping it fast: RQ's production backoff (``api.jobs.RETRY``: 10 s, 60 s,
300 s) is shortened on the queued job itself (one retry, after 1 s): the job is
still queued by the API and retried by RQ, only sooner.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job as RQJob
from rq.registry import ScheduledJobRegistry, StartedJobRegistry
from rq.worker import Worker
from sqlalchemy import delete, func, select

from api import create_app
from api.config import Settings
from api.db import database_for
from api.domain.channels.connections import Connection
from api.domain.channels.sync import SYNC_JOB, sync_job_id
from api.domain.jobs.models import Job
from api.domain.mentions.models import Mention
from api.domain.metrics.models import MetricPoint
from api.jobs import RETRY
from tests.api import builders
from tests.fakes.mastodon import STATUSES_PATH, TOKEN, FakeMastodon, mention, status
from tests.helpers import empty_rq
from tests.workers.conftest import ROOT
from workers import runtime
from workers.sync import sync_due

VERIFY_PATH = "/api/v1/accounts/verify_credentials"
WINDOW_DAYS = 30  # the registered adapter's window (today included); pages of 40
SCHEDULER_LOCK = "rq:scheduler-lock:sync"


# -- a database of the module's own, and an app that records what it answers ----------------------


class Exposed:
    """Everything that leaves Clover during a test: API responses and worker output."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def leaks(self, secret: str) -> list[str]:
        return [where for where, text in self.texts if secret in text]


@pytest.fixture(scope="module")
def exposed() -> Exposed:
    return Exposed()


@pytest.fixture(scope="module")
def database_url(fresh_database) -> str:
    return fresh_database()


@pytest.fixture(scope="module")
def settings(database_url, redis_url) -> Settings:
    return Settings.build(
        database_url=database_url,
        redis_url=redis_url,
        environment="test",
        connections_allow_private=True,  # the fake Mastodon is on loopback
    )


@pytest.fixture(scope="module")
def app(settings, exposed):
    app = create_app(settings)

    @app.after_request
    def record(response):
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        exposed.add(f"API {response.status_code}", f"{headers}\n{response.get_data(as_text=True)}")
        return response

    return app


@pytest.fixture(scope="module")
def database(settings):
    database = database_for(settings)
    yield database
    database.dispose()  # before the session drops the module's database


@pytest.fixture(autouse=True)
def isolated(empty_queues, database, exposed, caplog):
    """Empty queues before and after; no connection outlives its test; no token ever shows."""
    exposed.texts.clear()
    caplog.set_level(logging.DEBUG)
    yield empty_queues
    empty_rq(empty_queues)  # e.g. a failing channel's retry, scheduled for later
    with database.session() as session:
        session.execute(delete(Connection))
        session.commit()
    exposed.add("pytest log", caplog.text)
    assert exposed.leaks(TOKEN) == []


# -- the fake instance ----------------------------------------------------------------------------


class Instance(FakeMastodon):
    """The fake Mastodon, plus endpoints that answer slowly or fail on every request."""

    def __init__(self) -> None:
        super().__init__()
        self.delays: dict[str, float] = {}  # path prefix → seconds before answering
        self.outages: dict[str, tuple[int, dict]] = {}  # path prefix → (status, body), always

    def handle(self, http) -> None:
        path = urlsplit(http.path).path
        for prefix, seconds in list(self.delays.items()):
            if path.startswith(prefix):
                self.release.wait(seconds)
        for prefix, (status_code, body) in list(self.outages.items()):
            if path.startswith(prefix):
                self.requests.append((path, {}))
                return self.send(http, status_code, body)
        return super().handle(http)


def populate(server: Instance, today: date) -> tuple[dict, set[str]]:
    """120 statuses over the 30-day window (4 pages) and 6 mentions in it.

    Returns the metric values a sync must store, by (metric, day), and the mentions' ids.
    """
    totals: dict[date, tuple[int, int, int]] = {}
    for back in range(WINDOW_DAYS):
        day = today - timedelta(days=back)
        for k, hour in enumerate((1, 7, 13, 19)):
            favourites, boosts, replies = (back + k) % 7, (back * k) % 3, k
            server.statuses.append(status(f"{day}T{hour:02d}:00:00", favourites, boosts, replies))
            engagements, shares, comments = totals.get(day, (0, 0, 0))
            totals[day] = (
                engagements + favourites + boosts + replies,
                shares + boosts,
                comments + replies,
            )
    server.statuses += [
        status(f"{today - timedelta(days=12)}T10:30:00", 500, 500, 500, boost=True),  # a boost
        status(f"{today - timedelta(days=WINDOW_DAYS)}T23:59:59", 90, 90, 90),  # before it
        status(f"{today - timedelta(days=45)}T12:00:00", 90, 90, 90),
    ]
    for back in (0, 2, 5, 11, 20, 29):
        server.notifications.append(
            mention(
                f"{today - timedelta(days=back)}T09:{back:02d}:00",
                f"fan{back}@social.example",
                f"<p>@clover note {back}</p>",
            )
        )
    server.notifications += [
        mention(f"{today - timedelta(days=3)}T08:00:00", "gu", "<p>x</p>", type_="favourite"),
        mention(f"{today - timedelta(days=40)}T08:00:00", "old@social.example", "<p>old</p>"),
    ]
    values = {("followers", today): 1234.0}
    for day, (engagements, shares, comments) in totals.items():
        values |= {
            ("engagements", day): engagements,
            ("shares", day): shares,
            ("comments", day): comments,
        }
    mentioned = {
        n["status"]["id"]
        for n in server.notifications
        if n["type"] == "mention" and "old@" not in n["account"]["acct"]
    }
    return values, mentioned


@pytest.fixture
def instances():
    """Start fake instances on demand, each with the same account, statuses and mentions."""
    started: list[Instance] = []

    def start() -> Instance:
        server = Instance()
        started.append(server)
        server.expected, server.mentioned = populate(server, datetime.now(UTC).date())
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def mastodon(instances) -> Instance:
    return instances()


# -- workers --------------------------------------------------------------------------------------


def _worker_command(database_url: str, redis_url: str, *, burst: bool) -> tuple[list, dict]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CLOVER_ENV": "test",
        "CLOVER_CONNECTIONS_ALLOW_PRIVATE": "true",  # the fake Mastodon is on loopback
        "PYTHONUNBUFFERED": "1",
    }
    args = [sys.executable, "-m", "workers.cli", "worker", "--queue", "sync"]
    return args + (["--burst"] if burst else []), env


@pytest.fixture
def work(database_url, redis_url, exposed):
    """Run `clover worker --burst` (with its scheduler) on the sync queue; its output."""

    def run() -> str:
        args, env = _worker_command(database_url, redis_url, burst=True)
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        output = done.stdout + done.stderr
        exposed.add("worker output", output)
        assert done.returncode == 0, output[-3000:]
        return output

    return run


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_until(when: datetime) -> None:
    """Sleep (at most 5 s) until RQ's scheduler counts a job scheduled at ``when`` as due."""
    seconds = when.timestamp() - time.time() + 0.05
    assert seconds < 5, f"scheduled {seconds:.1f} s ahead"
    time.sleep(max(seconds, 0))


# -- the API, as a client uses it -----------------------------------------------------------------


def mastodon_channel(client, org, server: Instance, token: str = TOKEN, name: str = "Fediverse"):
    channel = builders.channel(client, org, kind="mastodon", name=name, handle="@clover")
    response = connect(client, org, channel, server, token)
    assert response.status_code == 200, response.get_json()
    return channel


def connect(client, org, channel, server: Instance, token: str = TOKEN):
    body = {
        "provider": "mastodon",
        "account": "@clover@mastodon.example",
        "base_url": server.url,
        "credentials": {"access_token": token},
    }
    return client.put(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers, json=body
    )


def request_sync(client, org, channel, request_id: str | None = None) -> dict:
    headers = {**org.headers, "X-Request-ID": request_id} if request_id else org.headers
    response = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def job_of(client, org, job: dict) -> dict:
    return client.get(org.url(f"/jobs/{job['id']}"), headers=org.headers).get_json()


def connection_of(client, org, channel) -> dict:
    return client.get(
        org.url(f"/channels/{channel['id']}/connection"), headers=org.headers
    ).get_json()


# -- what is stored -------------------------------------------------------------------------------


def stored_points(database, channel) -> tuple[dict, Counter]:
    """The channel's synced values by (metric, day), and how many rows each (metric, day)
    has, the points derived from its mentions included."""
    with database.session() as session:
        rows = session.execute(
            select(
                MetricPoint.metric_key, MetricPoint.day, MetricPoint.value, MetricPoint.source
            ).where(MetricPoint.channel_id == channel["id"])
        ).all()
    values = {(key, day): value for key, day, value, source in rows if source == "sync"}
    return values, Counter((key, day) for key, day, _, _ in rows)


def stored_mentions(database, channel) -> Counter:
    with database.session() as session:
        ids = session.scalars(
            select(Mention.external_id).where(Mention.channel_id == channel["id"])
        ).all()
    return Counter(ids)


def stored_cursor(database, channel) -> dict | None:
    with database.session() as session:
        return session.scalar(
            select(Connection.cursor).where(Connection.channel_id == channel["id"])
        )


def assert_synced_exactly(database, channel, server: Instance) -> None:
    values, rows = stored_points(database, channel)
    assert values == server.expected  # every day of the window, nothing else: no gaps
    assert set(rows.values()) == {1}  # one row per (metric, day): no duplicates
    mentions = stored_mentions(database, channel)
    assert set(mentions) == server.mentioned and set(mentions.values()) == {1}
    with database.session() as session:
        derived = session.scalar(
            select(func.sum(MetricPoint.value)).where(
                MetricPoint.channel_id == channel["id"], MetricPoint.metric_key == "mentions"
            )
        )
    assert derived == len(server.mentioned)  # the daily mention counts, each counted once


def queued_channels(redis) -> list[str]:
    return [job.args[1] for job in Queue("sync", connection=redis).get_jobs()]


def scheduled_syncs(redis) -> list[tuple[RQJob, datetime]]:
    registry = ScheduledJobRegistry("sync", connection=redis)
    jobs = [RQJob.fetch(job_id, connection=redis) for job_id in registry.get_job_ids()]
    return [(j, registry.get_scheduled_time(j)) for j in jobs if j.func_name == SYNC_JOB]


# -- 1. the happy path ----------------------------------------------------------------------------


def test_a_requested_sync_runs_in_a_worker_and_stores_exact_numbers_and_mentions(
    client, factory, database, mastodon, work
):
    org = factory.organisation()
    channel = mastodon_channel(client, org, mastodon)

    job = request_sync(client, org, channel)
    assert job["status"] == "queued" and job["kind"] == "sync"
    output = work()

    done = job_of(client, org, job)
    assert done["status"] == "succeeded", (done, output)
    # 1 account page, 4 pages of statuses (the 4th reaches past the window), 1 of mentions
    assert done["counts"] == {"pages": 6, "metric_points": 1 + 3 * WINDOW_DAYS, "mentions": 6}
    assert_synced_exactly(database, channel, mastodon)
    followers = client.get(
        org.url(f"/metric-points?metric_key=followers&channel_id={channel['id']}"),
        headers=org.headers,
    ).get_json()["items"]
    assert [(p["day"], p["value"]) for p in followers] == [
        (datetime.now(UTC).date().isoformat(), 1234)
    ]
    listed = client.get(
        org.url(f"/mentions?channel_id={channel['id']}&limit=50"), headers=org.headers
    ).get_json()["items"]
    assert {m["author"] for m in listed} == {
        f"fan{n}@social.example" for n in (0, 2, 5, 11, 20, 29)
    }
    connection = connection_of(client, org, channel)
    assert connection["status"] == "connected"
    assert connection["last_sync_at"] is not None and connection["last_error"] is None
    assert stored_cursor(database, channel)["phase"] == "done"


# -- 2. refused credentials -----------------------------------------------------------------------


def test_refused_credentials_ask_for_reconnection_and_stop_the_syncs_until_then(
    client, factory, database, settings, mastodon, work, isolated
):
    org = factory.organisation()
    channel = mastodon_channel(client, org, mastodon, token=f"revoked-{TOKEN}")

    job = request_sync(client, org, channel)
    work()

    refusal = f"Mastodon GET {VERIFY_PATH}: HTTP 401 (The access token is invalid)"
    done = job_of(client, org, job)
    assert done["status"] == "failed"
    assert done["error"] == f"needs reauthorisation: {refusal}"
    connection = connection_of(client, org, channel)
    assert (connection["status"], connection["last_error"]) == ("needs_reauth", refusal)
    assert stored_points(database, channel)[0] == {}

    again = client.post(org.url(f"/channels/{channel['id']}/sync"), headers=org.headers)
    assert again.status_code == 409, again.get_json()
    with runtime.using(settings):
        assert sync_due() == 0
    assert channel["id"] not in queued_channels(isolated)

    reconnected = connect(client, org, channel, mastodon)
    assert reconnected.status_code == 200
    assert (reconnected.get_json()["status"], reconnected.get_json()["last_error"]) == (
        "connected",
        None,
    )
    with runtime.using(settings):
        assert sync_due() == 1
    assert queued_channels(isolated) == [channel["id"]]


# -- 3. rate limited ------------------------------------------------------------------------------


def test_a_rate_limit_reschedules_the_sync_after_retry_after_and_it_resumes(
    client, factory, database, mastodon, work, isolated
):
    org = factory.organisation()
    channel = mastodon_channel(client, org, mastodon)
    mastodon.fail(STATUSES_PATH, 429, after=1, headers={"Retry-After": "2"})

    job = request_sync(client, org, channel, request_id="trace-sync-429")
    before = time.time()
    work()
    after = time.time()

    assert job_of(client, org, job)["status"] == "running"  # not finished: only paused
    connection = connection_of(client, org, channel)
    assert connection["status"] == "connected"
    assert connection["last_error"] == "rate limited by the network; continuing in 2 s"
    [(later, when)] = scheduled_syncs(isolated)
    assert later.args == (str(org.id), channel["id"], job["id"])
    # The continuation keeps the sync's retry policy and time limit (a 5xx after a 429
    # is still retried; a long history is not cut at RQ's default 180 s).
    assert (later.retries_left, later.retry_intervals) == (RETRY.max, RETRY.intervals)
    assert later.timeout == 3600
    assert later.meta["request_id"] == "trace-sync-429"  # its lines name the request too
    assert before + 1 <= when.timestamp() <= after + 2  # RQ keeps whole seconds
    cursor = stored_cursor(database, channel)  # the first page of statuses is behind it
    assert cursor["phase"] == "statuses" and cursor["max_id"]
    assert stored_points(database, channel)[0] == {
        k: v for k, v in mastodon.expected.items() if k[0] == "followers"
    }

    wait_until(when)
    work()

    done = job_of(client, org, job)
    assert done["status"] == "succeeded", done
    assert_synced_exactly(database, channel, mastodon)
    max_ids = [q.get("max_id", [None])[0] for q in mastodon.requests_to(STATUSES_PATH)]
    assert len(max_ids) == 5 and max_ids[1] == max_ids[2] == cursor["max_id"]  # asked again
    assert len(mastodon.requests_to(VERIFY_PATH)) == 1  # resumed, not restarted
    assert scheduled_syncs(isolated) == []
    assert connection_of(client, org, channel)["last_error"] is None


# -- 4. a persistent outage -----------------------------------------------------------------------


def test_a_persistent_outage_fails_the_job_after_rqs_retries_and_marks_the_connection(
    client, factory, database, mastodon, work, isolated
):
    org = factory.organisation()
    channel = mastodon_channel(client, org, mastodon)
    mastodon.outages["/"] = (500, {"error": "We're sorry, but something went wrong"})

    job = request_sync(client, org, channel)
    queued = RQJob.fetch(sync_job_id(channel["id"]), connection=isolated)
    assert (queued.retries_left, queued.retry_intervals) == (3, [10, 60, 300])  # production
    queued.retries_left, queued.retry_intervals = 1, [1]  # the same, sooner
    queued.save()
    work()

    outage = f"Mastodon GET {VERIFY_PATH}: HTTP 500"
    assert job_of(client, org, job)["status"] == "interrupted"  # RQ will try again
    connection = connection_of(client, org, channel)
    assert (connection["status"], connection["last_error"]) == ("failing", outage)
    [(retry, when)] = scheduled_syncs(isolated)
    assert retry.id == queued.id and retry.retries_left == 0

    wait_until(when)
    work()

    done = job_of(client, org, job)
    assert (done["status"], done["error"]) == ("failed", outage)
    connection = connection_of(client, org, channel)
    assert (connection["status"], connection["last_error"]) == ("failing", outage)
    assert len(mastodon.requests_to(VERIFY_PATH)) == 2  # the first try and RQ's retry
    assert scheduled_syncs(isolated) == []
    assert stored_points(database, channel)[0] == {}


# -- 5. one failing channel among others ----------------------------------------------------------


def test_a_failing_channel_does_not_hold_up_the_others(
    client, factory, database, settings, instances, work, isolated
):
    org = factory.organisation()
    good_server, broken_server = instances(), instances()
    broken_server.outages["/"] = (500, {"error": "down"})
    good = mastodon_channel(client, org, good_server, name="Good")
    broken = mastodon_channel(client, org, broken_server, name="Broken")

    with runtime.using(settings):
        assert sync_due() == 2
    assert sorted(queued_channels(isolated)) == sorted([good["id"], broken["id"]])
    work()

    assert_synced_exactly(database, good, good_server)
    assert connection_of(client, org, good)["status"] == "connected"
    assert connection_of(client, org, good)["last_sync_at"] is not None
    failing = connection_of(client, org, broken)
    assert failing["status"] == "failing"
    assert failing["last_error"] == f"Mastodon GET {VERIFY_PATH}: HTTP 500"
    assert broken_server.requests_to(VERIFY_PATH)  # it was tried, and RQ will retry it later
    assert [j.args[1] for j, _ in scheduled_syncs(isolated)] == [broken["id"]]


# -- 6. a worker killed mid-sync ------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: state, ppid, pgrp, …; None once gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()
    except OSError:
        return None


def _crash(worker: subprocess.Popen) -> list[int]:
    """SIGKILL the worker and everything it started, as a machine crash would; returns
    the work horses killed. RQ's work horse runs in a process group of its own
    (``os.setpgrp``): killing the worker's group alone would leave it finishing the sync."""
    stats = {int(p): _stat(int(p)) for p in os.listdir("/proc") if p.isdigit()}
    tree, todo = [], [worker.pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += [child for child, stat in stats.items() if stat and int(stat[1]) == pid]
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=5)
    wait_for(
        lambda: all((_stat(pid) or ["X"])[0] in ("Z", "X") for pid in tree),
        timeout=5,
        what="the killed processes to end",
    )
    return [pid for pid in tree[1:] if stats[pid] and int(stats[pid][2]) == pid]


def _bury(redis, pid: int, lock_before: bytes | None) -> None:
    """What a SIGKILLed worker leaves in Redis and would hold up later tests: its
    registration and its scheduler lock (which lasts a minute)."""
    for dead in Worker.all(connection=redis):
        if dead.pid == pid:
            dead.register_death()
    lock = redis.get(SCHEDULER_LOCK)
    if lock is not None and lock != lock_before:
        redis.delete(SCHEDULER_LOCK)


def test_a_worker_killed_mid_sync_loses_and_duplicates_nothing(
    client, factory, database, database_url, redis_url, mastodon, work, isolated, exposed, tmp_path
):
    """Recovery: POST …/sync again, which resumes at once from the stored cursor.

    RQ would also recover on its own, later: the killed job stays in the
    StartedJobRegistry until its heartbeat lapses (30 s job monitoring + 60 s); a
    worker's registry cleanup (when it starts, then every 10 min) then retries it
    after RETRY's first interval (10 s). That rerun is harmless (it resumes from the
    same cursor) and finishes the first job record; too slow to wait for here. The
    new request is not swallowed by the dead job's unique id: the dispatcher queues
    `sync-<id>-next` when the first one is no longer waiting.
    """
    org = factory.organisation()
    channel = mastodon_channel(client, org, mastodon)
    mastodon.delays[STATUSES_PATH] = 1.0

    first = request_sync(client, org, channel)
    args, env = _worker_command(database_url, redis_url, burst=False)
    lock_before = isolated.get(SCHEDULER_LOCK)
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        cursor = wait_for(
            lambda: (
                (c := stored_cursor(database, channel))
                and c.get("phase") == "statuses"
                and c.get("max_id")
                and c
            ),
            timeout=20,
            what="the first page of statuses to be stored",
        )
        assert worker.poll() is None, log.read_text()[-3000:]
    finally:
        horses = _crash(worker)  # the worker, its work horse and its scheduler process
        _bury(isolated, worker.pid, lock_before)
        exposed.add("killed worker output", log.read_text())
    try:
        assert len(horses) == 1  # the process running the job died too
        # Killed with the 2nd page of statuses in flight: the followers and the cursor
        # (with the 1st page's sums) are stored; daily totals come on the phase's last page.
        assert job_of(client, org, first)["status"] == "running"
        assert stored_cursor(database, channel) == cursor
        assert stored_points(database, channel)[0] == {
            k: v for k, v in mastodon.expected.items() if k[0] == "followers"
        }
        abandoned = StartedJobRegistry("sync", connection=isolated)
        assert sync_job_id(channel["id"]) in abandoned.get_job_ids()

        mastodon.delays.clear()
        second = request_sync(client, org, channel)
        assert queued_channels(isolated) == [channel["id"]]
        assert Queue("sync", connection=isolated).job_ids == [f"{sync_job_id(channel['id'])}-next"]
        output = work()
    finally:  # no later worker (of any test) may pick the abandoned job up
        with contextlib.suppress(NoSuchJobError):
            RQJob.fetch(sync_job_id(channel["id"]), connection=isolated).delete()

    done = job_of(client, org, second)
    assert done["status"] == "succeeded", (done, output)
    assert_synced_exactly(database, channel, mastodon)
    # Resumed from the cursor: neither the account nor the first page of statuses read again.
    assert len(mastodon.requests_to(VERIFY_PATH)) == 1
    max_ids = [q.get("max_id", [None])[0] for q in mastodon.requests_to(STATUSES_PATH)]
    assert max_ids.count(None) == 1 and cursor["max_id"] in max_ids, max_ids


# -- 7. credentials never show --------------------------------------------------------------------


def test_the_access_token_never_shows_in_responses_errors_or_worker_logs(
    client, factory, database, instances, work, isolated, exposed
):
    org = factory.organisation()
    revoked, picky, down = instances(), instances(), instances()
    revoked.fail(VERIFY_PATH, 401, body={"error": f"token {TOKEN} was revoked"})
    picky.fail(STATUSES_PATH, 400, body={"error": f"bad header Authorization: Bearer {TOKEN}"})
    down.outages["/"] = (500, {"error": f"stack trace: Authorization: Bearer {TOKEN}"})
    channels = {
        server: mastodon_channel(client, org, server, name=name)
        for server, name in ((revoked, "Revoked"), (picky, "Picky"), (down, "Down"))
    }
    jobs = {server: request_sync(client, org, channel) for server, channel in channels.items()}

    output = work()

    shown = {
        server: (job_of(client, org, jobs[server]), connection_of(client, org, channel))
        for server, channel in channels.items()
    }
    assert shown[revoked][1]["last_error"] == (
        f"Mastodon GET {VERIFY_PATH}: HTTP 401 (token *** was revoked)"
    )
    assert shown[picky][0]["error"] == (
        f"Mastodon GET {STATUSES_PATH}: HTTP 400 (bad header Authorization: Bearer ***)"
    )
    assert shown[down][1]["last_error"] == f"Mastodon GET {VERIFY_PATH}: HTTP 500"
    assert "Unavailable: Mastodon GET" in output  # RQ logged the failed try's traceback
    rq_jobs = [RQJob.fetch(sync_job_id(c["id"]), connection=isolated) for c in channels.values()]
    for rq_job in rq_jobs:  # what RQ keeps: the arguments, and results (none for a retry)
        result = rq_job.latest_result()
        kept = (result.exc_string, result.return_value) if result else ()
        exposed.add(f"RQ {rq_job.id}", f"{rq_job.args} {rq_job.kwargs} {kept}")
    with database.session() as session:  # what is stored for the API to show later
        ids = [c["id"] for c in channels.values()]
        last_errors = session.scalars(
            select(Connection.last_error).where(Connection.channel_id.in_(ids))
        ).all()
        job_errors = session.scalars(
            select(Job.error).where(Job.id.in_([j["id"] for j in jobs.values()]))
        ).all()
    assert len(last_errors) == len(job_errors) == 3 and all(last_errors)
    exposed.add("connections.last_error", repr(last_errors))
    exposed.add("jobs.error", repr(job_errors))
    assert exposed.leaks(TOKEN) == []
    assert any("Bearer ***" in text for _, text in exposed.texts)  # shown, but redacted
