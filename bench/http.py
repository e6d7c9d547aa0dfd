"""The request path under real WSGI servers, as ratios against bare Flask in the same run.

Run with ``make bench`` (after the in-process benchmarks) or
``.venv/bin/python -m bench.http``. It creates and seeds a throwaway database (as
``bench.run`` does), then serves, each with 2 worker processes on loopback:

- Clover under gunicorn (sync workers) and under granian (WSGI, one thread per worker);
- the bare Flask baseline (``bench/http_apps.py``: ``/ping``, and ``/row``, the SELECT by
  id Clover's GET runs, with psycopg on a kept connection) under the same two servers.

Rate limits are on, in Redis (``BENCH_REDIS_URL``), with budgets no run can use up, so
every request pays for its check as in production. Each target is driven by ``wrk``
(1 thread, 8 connections, ``--duration`` seconds) when it is installed
(``scripts/bench-tools`` installs it); otherwise by a small Python load generator, which
the output says, whose figures are lower and noisier. Then the GET by id is driven again
at 70 % of the rate it reached, to read p99 against p50 under a load that is not the
maximum. ``--profile N`` first runs N in-process GETs by id under cProfile and prints the
top functions; ``--cpu N`` first runs each GET target N times in-process (Flask's test
client, no server) and prints the CPU time of this process per request, against that of
bare ``/row``, and the requests per second WORKERS sync workers could serve at most on
as many cores at that cost, however few round trips a request makes (``--servers none``
stops there). Nothing passes or fails on time (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from api.domain.access import ROLES
from bench import http_apps
from bench.common import environment, psycopg_url, quiet_app, table, throwaway_database
from bench.load import Result, drive
from tests.factories import Factory

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
MEMBERS = 1000  # so that page 200 of 5 is the last page
DEEP_PAGE = 200
PAGE = 5
CONNECTIONS = 8
WORKERS = 2
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
GRANIAN = PYTHON.parent / "granian"
UNLIMITED = "caller=1000000000/60,organisation=1000000000/60,auth=300/60"


@dataclass
class Target:
    label: str
    path: str
    method: str = "GET"
    headers: dict[str, str] | None = None
    body: str | None = None
    paths: list[str] | None = None  # several, taken in turn (writes spread over rows)
    baseline: bool = False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, path: str, seconds: float = 30.0) -> None:
    import http.client

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no server answered on port {port} within {seconds} s")


@contextmanager
def server(kind: str, factory: str, env: dict[str, str], logs: Path, ready: str):
    """One WSGI server with WORKERS processes serving ``bench.http_apps:<factory>``."""
    port = free_port()
    if kind == "gunicorn":
        command = [str(GUNICORN), "--workers", str(WORKERS), "--worker-class", "sync"]
        command += ["--bind", f"127.0.0.1:{port}", f"bench.http_apps:{factory}()"]
    else:
        command = [str(GRANIAN), "--interface", "wsgi", "--workers", str(WORKERS)]
        command += ["--blocking-threads", "1", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--no-log", "--factory", f"bench.http_apps:{factory}"]
    out = (logs / f"{kind}-{factory}.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(port, ready)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()


def seed(app, factory: Factory):
    org = factory.organisation("Bench Marketing")
    for i in range(MEMBERS - 1):
        user_id, _ = factory.user()
        factory.membership(org, user_id, ROLES[1 + i % (len(ROLES) - 1)])
    other = factory.organisation("Other Tenant")
    for _ in range(19):
        user_id, _ = factory.user()
        factory.membership(other, user_id, ROLES[-1])
    client = app.test_client()
    audiences = []
    for i in range(CONNECTIONS):
        response = client.post(org.url("/audiences"), json={"name": f"A{i}"}, headers=org.headers)
        assert response.status_code == 201, response.data
        audiences.append(response.get_json()["id"])
    cursor = None
    for _ in range(DEEP_PAGE - 1):
        query = f"?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
        cursor = client.get(org.url("/members") + query, headers=org.headers).get_json()[
            "next_cursor"
        ]
    replay = '{"name": "Replayed audience"}'
    headers = {**org.headers, "Content-Type": "application/json", "Idempotency-Key": "bench-1"}
    first = client.post(org.url("/audiences"), data=replay, headers=headers)
    assert first.status_code == 201, first.data
    return org, audiences, cursor, replay, headers


def targets(org, audiences, cursor, replay, replay_headers) -> list[Target]:
    auth = org.headers
    return [
        Target("/healthz", "/healthz"),
        Target("GET /v1/organisations/{id}", org.url(), headers=auth),
        Target("GET …/members?limit=50", org.url("/members?limit=50"), headers=auth),
        Target(
            f"GET …/members?limit={PAGE} (page 1)", org.url(f"/members?limit={PAGE}"), headers=auth
        ),
        Target(
            f"GET …/members?limit={PAGE} (page {DEEP_PAGE})",
            org.url(f"/members?limit={PAGE}&cursor={cursor}"),
            headers=auth,
        ),
        Target("GET …/strategies (empty list)", org.url("/strategies"), headers=auth),
        Target(
            "POST …/audiences (idempotent replay)",
            org.url("/audiences"),
            method="POST",
            headers=replay_headers,
            body=replay,
        ),
        Target(
            "PATCH …/audiences/{id} (If-Match: *)",
            org.url(f"/audiences/{audiences[0]}"),
            method="PATCH",
            headers={**auth, "Content-Type": "application/json", "If-Match": "*"},
            body='{"description": "benchmarked"}',
            paths=[org.url(f"/audiences/{a}") for a in audiences],
        ),
    ]


def profile(app, org, count: int) -> str:
    client = app.test_client()
    for _ in range(50):
        client.get(org.url(), headers=org.headers)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        client.get(org.url(), headers=org.headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    return re.sub(r"\n{3,}", "\n\n", out.getvalue())


def cpu_costs(app, bare_app, gets: list[Target], count: int) -> list[list[str]]:
    """Wall and CPU milliseconds per request in this process, and CPU against ``/row``'s."""
    clients = [(bare_app.test_client(), Target("bare Flask /ping", "/ping")),
               (bare_app.test_client(), Target("bare Flask /row", "/row"))]  # fmt: skip
    clients += [(app.test_client(), target) for target in gets]
    measured = []
    for client, target in clients:
        for _ in range(count // 10 + 1):  # warm: compiled statements, kept principals
            client.get(target.path, headers=target.headers)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            response = client.get(target.path, headers=target.headers)
            assert response.status_code == 200, (target.label, response.status_code)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        measured.append((target.label, 1000 * wall / count, 1000 * cpu / count))
    row_cpu = measured[1][2]
    return [
        [label, f"{wall:.2f}", f"{cpu:.2f}", f"{cpu / row_cpu:.2f}", f"{WORKERS * 1000 / cpu:,.0f}"]
        for label, wall, cpu in measured
    ]


def line(server_name: str, target: Target, result: Result, ping: Result, row: Result) -> list[str]:
    return [
        f"{server_name} {target.label}",
        f"{result.rps:,.0f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        "1.00" if result is ping else f"{result.rps / ping.rps:.2f}",
        "-" if target.baseline else f"{result.rps / row.rps:.2f}",
        str(result.errors),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per target")
    parser.add_argument("--profile", type=int, default=0, help="cProfile N in-process GETs")
    parser.add_argument("--cpu", type=int, default=0, help="CPU per request, N in-process")
    parser.add_argument(
        "--servers", default="gunicorn,granian", help="comma-separated, or none (in-process only)"
    )
    args = parser.parse_args(argv)
    generator = "wrk" if shutil.which("wrk") else "python"
    if generator == "python":
        print("bench.http: wrk is not installed (scripts/bench-tools installs it);")
        print("  using the Python load generator: lower and noisier figures.")
    with throwaway_database() as db, ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        prefix = f"bench:{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "REDIS_URL": REDIS_URL,
            "CLOVER_ENV": "production",
            "SECRET_KEY": uuid.uuid4().hex,
            "CLOVER_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "CLOVER_RATE_LIMITS": UNLIMITED,
            "CLOVER_RATE_LIMIT_PREFIX": prefix,
            "CLOVER_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        }
        # In process (seeding, the profile) as served: rate limits in Redis, none used up.
        app = quiet_app(
            db.settings.model_copy(
                update={
                    "redis_url": REDIS_URL,
                    "rate_limits": UNLIMITED,
                    "rate_limit_prefix": prefix,
                }
            )
        )
        factory = Factory(db.database)
        org, audiences, cursor, replay, replay_headers = seed(app, factory)
        env["BENCH_ROW_DATABASE_URL"] = psycopg_url(db.url)
        env["BENCH_ROW_ID"] = str(org.id)
        if args.profile:
            print(f"\ncProfile of {args.profile} in-process GET /v1/organisations/{{id}}:")
            print(profile(app, org, args.profile))
        if args.cpu:
            os.environ.update(
                BENCH_ROW_DATABASE_URL=env["BENCH_ROW_DATABASE_URL"], BENCH_ROW_ID=str(org.id)
            )
            all_targets = targets(org, audiences, cursor, replay, replay_headers)
            gets = [t for t in all_targets if t.method == "GET"]
            print(f"\nIn-process, {args.cpu} requests each (CPU: this process's time):")
            columns = [
                "operation",
                "wall ms",
                "CPU ms",
                "CPU ÷ /row",
                f"at most req/s, {WORKERS} workers",
            ]
            table(columns, cpu_costs(app, http_apps.bare(), gets, args.cpu))
        db.database.dispose()
        if args.servers == "none":
            return 0
        print(f"bench.http: {environment(db.server_version)}; load: {generator}, ", end="")
        print(f"{CONNECTIONS} connections, {args.duration} s per target; {WORKERS} workers")
        print("load average at start (other work on this machine skews every figure): ", end="")
        print(", ".join(f"{n:.1f}" for n in os.getloadavg()))
        rows = []
        notes = []
        for name in args.servers.split(","):
            with server(name, "bare", env, logs, "/ping") as bare_port:
                ping = drive(generator, bare_port, Target("/ping", "/ping"), args.duration)
                row = drive(generator, bare_port, Target("/row", "/row"), args.duration)
            rows.append(line(name, Target("bare Flask /ping", "", baseline=True), ping, ping, row))
            rows.append(line(name, Target("bare Flask /row", "", baseline=True), row, ping, row))
            with server(name, "clover", env, logs, "/healthz") as port:
                results = {}
                for target in targets(org, audiences, cursor, replay, replay_headers):
                    results[target.label] = result = drive(generator, port, target, args.duration)
                    rows.append(line(name, target, result, ping, row))
                get = targets(org, audiences, cursor, replay, replay_headers)[1]
                rate = 0.7 * results[get.label].rps
                paced = drive(generator, port, get, args.duration, rate=rate)
                rows.append(
                    line(name, Target(f"{get.label} at {rate:,.0f}/s", ""), paced, ping, row)
                )
                first = results[f"GET …/members?limit={PAGE} (page 1)"]
                deep = results[f"GET …/members?limit={PAGE} (page {DEEP_PAGE})"]
                notes.append(
                    f"{name}: page {DEEP_PAGE} costs {first.rps / deep.rps:.2f}× page 1 "
                    f"(throughput); at 70 % of the GET's maximum, p99 = "
                    f"{paced.p99_ms / paced.p50_ms:.1f}× p50"
                )
        print()
        columns = ["server, operation", "req/s", "p50 ms", "p99 ms", "÷ /ping", "÷ /row", "errors"]
        table(columns, rows)
        print()
        for note in notes:
            print(note)
        print("÷ /ping, ÷ /row: requests per second against the same server's bare Flask views.")
        print("errors: answers other than 2xx/3xx, and socket errors (each makes a figure moot).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
