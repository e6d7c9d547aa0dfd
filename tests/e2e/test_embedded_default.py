"""The embedded default a newcomer gets from `make run`: a SQLite file, jobs in-process."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from api import create_app
from api.config import Settings
from api.db import database_for
from api.migrate import upgrade
from tests.api import builders
from tests.factories import Factory, bearer, unique_email

CLOVER = Path(sys.executable).parent / "clover"  # the console script of this virtualenv
KEY_LINE = re.compile(r"API key \(shown once\): (\S+)")
STARTUP_SECONDS = 20


def embedded_env(database_url: str) -> dict[str, str]:
    """This process's environment with only DATABASE_URL set among Clover's settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLOVER_") and k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env["DATABASE_URL"] = database_url
    return env


def clover(*args: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(CLOVER), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"clover {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_until_serving(server: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"clover serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if get(f"{base}/healthz")[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"clover serve not ready after {STARTUP_SECONDS}s:\n{log.read_text()}")


def test_make_run_serves_the_demo_organisation_from_a_sqlite_file(tmp_path):
    database = tmp_path / "clover.db"
    env = embedded_env(f"sqlite:///{database}")

    assert "database at head" in clover("db", "upgrade", cwd=tmp_path, env=env)
    assert database.is_file()
    seeded = clover("demo", cwd=tmp_path, env=env)
    assert "Demo organisation created." in seeded
    match = KEY_LINE.search(seeded)
    assert match, seeded
    token = match.group(1)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(CLOVER), "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(server, base, log)

        status, ready = get(f"{base}/readyz")
        assert status == 200, ready
        assert ready["checks"]["redis"]["detail"].startswith("not configured")

        status, me = get(f"{base}/v1/me", bearer(token))
        assert status == 200, me
        assert [o["name"] for o in me["organisations"]] == ["Clover Demo"]
        assert me["organisations"][0]["role"] == "owner"

        # The demo's first scorecard shows numbers rolled up from its synced channels.
        org_url = f"{base}/v1/organisations/{me['organisations'][0]['id']}"
        _, strategies = get(f"{org_url}/strategies?status=active", bearer(token))
        [strategy] = strategies["items"]
        _, card = get(f"{org_url}/strategies/{strategy['id']}/scorecard", bearer(token))
        trends = [k["trend"] for o in card["objectives"] for k in o["kpis"]]
        assert len(trends) == 3
        assert all(any(v is not None for v in trend) for trend in trends), trends

        status, _ = get(f"{base}/v1/me", bearer(token + "x"))
        assert status == 401
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# The same defaults in-process: create_app on a migrated SQLite file, no REDIS_URL.


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """An app on its own SQLite file, with in-process jobs."""
    url = f"sqlite:///{tmp_path_factory.mktemp('embedded') / 'clover.db'}"
    settings = Settings.build(database_url=url, environment="test")
    assert settings.redis_url == ""
    upgrade(settings)
    try:
        yield create_app(settings)
    finally:
        database_for(settings).dispose()


@pytest.fixture
def api(embedded):
    return embedded.test_client()


@pytest.fixture
def users(embedded) -> Factory:
    return Factory(embedded.extensions["clover"].database)


def signup(api, organisation_name: str) -> dict:
    response = api.post(
        "/v1/signup",
        json={
            "email": unique_email("signup"),
            "name": "Sam Signup",
            "password": "correct horse battery",
            "organisation_name": organisation_name,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_signup_returns_a_working_owner_key(api):
    body = signup(api, "Signed Up BV")

    token = body["api_key"]["token"]
    assert body["organisation"]["name"] == "Signed Up BV"
    assert body["organisation"]["member_count"] == 1
    me = api.get("/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert [(o["id"], o["role"]) for o in me.get_json()["organisations"]] == [
        (body["organisation"]["id"], "owner")
    ]


def test_signup_refuses_a_short_password(api):
    response = api.post(
        "/v1/signup",
        json={
            "email": "short@example.test",
            "name": "Sam",
            "password": "elevenchars",
            "organisation_name": "Short Ltd",
        },
    )

    assert response.status_code == 422
    assert "password" in json.dumps(response.get_json())


def join(api, org_url: str, headers: dict) -> None:
    """Someone invited to the organisation signs up with the invitation."""
    invited = builders.created(
        api.post(
            f"{org_url}/invitations",
            json={"email": unique_email("invitee"), "role": "analyst"},
            headers=headers,
        )
    )
    builders.created(
        api.post(
            "/v1/signup",
            json={
                "email": invited["email"],
                "name": "Ivy Invitee",
                "password": "correct horse battery",
                "invitation_token": invited["token"],
            },
        )
    )


def test_a_member_joining_updates_member_count_at_once(api, users):
    body = signup(api, "Counted At Once")
    org_url = f"/v1/organisations/{body['organisation']['id']}"
    headers = bearer(body["api_key"]["token"])

    join(api, org_url, headers)

    assert api.get(org_url, headers=headers).get_json()["member_count"] == 2


def test_member_list_pages_through_every_member_one_at_a_time(api, users):
    body = signup(api, "Paged Members")
    org_url = f"/v1/organisations/{body['organisation']['id']}"
    headers = bearer(body["api_key"]["token"])
    for _ in range(3):
        join(api, org_url, headers)

    seen: list[str] = []
    query = {"limit": 1}
    for _ in range(10):  # bounded: a cursor that never ends fails the test
        page = api.get(f"{org_url}/members", query_string=query, headers=headers).get_json()
        assert len(page["items"]) <= 1
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        query = {"limit": 1, "cursor": page["next_cursor"]}

    everyone = api.get(f"{org_url}/members", headers=headers).get_json()
    assert everyone["next_cursor"] is None
    assert len(everyone["items"]) == 4
    assert seen == [item["id"] for item in everyone["items"]]


def test_another_organisations_key_gets_404_for_the_first_organisation(api):
    first = signup(api, "First Tenant")
    second = signup(api, "Second Tenant")
    first_url = f"/v1/organisations/{first['organisation']['id']}"
    intruder = bearer(second["api_key"]["token"])

    assert api.get(first_url, headers=bearer(first["api_key"]["token"])).status_code == 200
    assert api.get(first_url, headers=intruder).status_code == 404
    assert api.get(f"{first_url}/members", headers=intruder).status_code == 404
    assert (
        api.post(
            f"{first_url}/invitations",
            json={"email": "x@example.test", "role": "analyst"},
            headers=intruder,
        ).status_code
        == 404
    )


def test_strategy_to_plan_on_sqlite(api, users):
    """The month arithmetic and JSON columns work on the embedded database too."""
    org = users.organisation("Embedded Planning")
    strategy = builders.ready_strategy(api, org)
    assert (
        api.post(org.url(f"/strategies/{strategy['id']}/activate"), headers=org.headers).status_code
        == 200
    )
    channel = builders.channel(api, org, purposes=["marketing", "loyalty"])
    campaign = builders.campaign(api, org, strategy["id"], channel_ids=[channel["id"]])
    owner = builders.resource(api, org, name="Writer", weekly_capacity_hours=2)
    builders.content_item(
        api,
        org,
        campaign["id"],
        channel["id"],
        title="March",
        due_date="2027-03-31",
        owner_id=owner["id"],
        effort_hours=10,
    )
    builders.content_item(
        api,
        org,
        campaign["id"],
        channel["id"],
        title="April",
        scheduled_at="2027-04-01T00:30:00+02:00",
    )

    body = api.get(org.url("/plan?start=2027-03&months=2"), headers=org.headers).get_json()

    march, april = body["months"]
    assert [i["title"] for i in march["items"]] == [
        "March",
        "April",
    ]  # 00:30 +02:00 is March 31 UTC
    assert april["items"] == []
    assert march["counts_by_status"] == {"idea": 2}
    writer = next(load for load in march["capacity"] if load["name"] == "Writer")
    assert writer["over_capacity"] is True
    trail = api.get(org.url("/audit-events?resource_type=strategy"), headers=org.headers).get_json()
    assert [e["action"] for e in trail["items"]] == ["activate", "create"]


def test_points_become_kpi_values_at_once_on_sqlite(api, users):
    """Embedded default: ingestion runs the rollup in-process, with SQLite's period SQL."""
    org = users.organisation("Embedded Metrics")
    strategy = builders.strategy(api, org, period_start="2025-01-01", period_end="2025-12-31")
    objective = builders.objective(api, org, strategy["id"])
    weekly = builders.kpi(
        api, org, objective["id"], metric_key="leads", period="week", target=10, baseline=5
    )
    quarterly = builders.kpi(
        api, org, objective["id"], metric_key="leads", period="quarter", target=100, baseline=50
    )
    points = [
        {"metric_key": "leads", "day": "2025-01-06", "value": 4},  # a Monday
        {"metric_key": "leads", "day": "2025-01-12", "value": 8},  # the Sunday of that week
        {"metric_key": "leads", "day": "2025-04-01", "value": 3},
    ]

    response = api.post(
        org.url("/metric-points/batch"), headers=org.headers, json={"points": points}
    )

    assert response.status_code == 200
    weeks = api.get(
        org.url(f"/kpis/{weekly['id']}/values?from=2025-01-06&to=2025-01-13"), headers=org.headers
    ).get_json()["items"]
    assert [(w["period_start"], w["actual"], w["status"]) for w in weeks] == [
        ("2025-01-06", 12.0, "on_track"),
        ("2025-01-13", None, "no_data"),
    ]
    quarters = api.get(org.url(f"/kpis/{quarterly['id']}/values"), headers=org.headers).get_json()[
        "items"
    ]
    assert [(q["period_start"], q["actual"]) for q in quarters] == [
        ("2025-01-01", 12.0),
        ("2025-04-01", 3.0),
        ("2025-07-01", None),
        ("2025-10-01", None),
    ]
