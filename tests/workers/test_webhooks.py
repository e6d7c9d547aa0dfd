"""Webhooks end to end: a real change, the outbox, a real worker, a real HTTP receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from api import create_app
from api.config import Settings
from api.domain.access import system_tenant
from api.domain.base import utcnow
from api.domain.uow import UnitOfWork
from api.domain.webhooks import delivery, events
from api.domain.webhooks.models import WebhookDelivery, WebhookEvent
from tests.api import builders
from tests.workers.conftest import ROOT
from workers import runtime
from workers import webhooks as webhook_jobs


class Receiver:
    """An HTTP server on loopback that answers with ``statuses`` in turn (the last repeats)."""

    def __init__(self, statuses=(204,), delay: float = 0.0) -> None:
        self.statuses, self.delay, self.requests = list(statuses), delay, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                time.sleep(receiver.delay)
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def verified(self, secret: str) -> list[dict]:
        """Every request's body, after checking its signature with the reference package."""
        return [Webhook(secret).verify(body, headers) for headers, body in self.requests]


@pytest.fixture
def receiver():
    made = []

    def start(*statuses, delay=0.0):
        made.append(Receiver(statuses or (204,), delay))
        return made[-1]

    yield start
    for server in made:
        server.close()


@pytest.fixture(scope="module")
def private_app(settings):
    """The API, allowed to register loopback endpoints (the receivers of these tests)."""
    return create_app(settings.model_copy(update={"webhooks_allow_private": True}))


@pytest.fixture
def api(private_app):
    return private_app.test_client()


@pytest.fixture
def in_process(database_url):
    """Run jobs here and now (no Redis): what `runtime` gives a job in the embedded default."""
    settings = Settings.build(
        database_url=database_url, environment="test", webhooks_allow_private=True
    )
    with runtime.using(settings):
        yield settings


def run_worker(database_url: str, redis_url: str) -> str:
    """`clover worker --burst` on the webhooks queue, allowed to send to loopback (its stderr)."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CLOVER_ENV": "test",
        "CLOVER_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    args = [sys.executable, "-m", "workers.cli", "worker", "--burst", "--queue", "webhooks"]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def endpoint(client, org, url, events=("strategy.activated",)) -> dict:
    return builders.created(
        client.post(
            org.url("/webhook-endpoints"),
            headers=org.headers,
            json={"url": url, "events": list(events)},
        )
    )


def activate(client, org) -> dict:
    strategy = builders.ready_strategy(client, org)
    response = client.post(org.url(f"/strategies/{strategy['id']}/activate"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return strategy


def deliveries(client, org, hook) -> list[dict]:
    response = client.get(
        org.url(f"/webhook-endpoints/{hook['id']}/deliveries"), headers=org.headers
    )
    assert response.status_code == 200
    return response.get_json()["items"]


def test_an_activated_strategy_is_delivered_signed_by_a_worker(
    api, factory, database_url, redis_url, empty_queues, receiver
):
    org = factory.organisation()
    server = receiver(204)
    hook = endpoint(api, org, server.url)
    other = endpoint(api, org, server.url, events=["sync.failed"])  # not subscribed

    strategy = activate(api, org)
    run_worker(database_url, redis_url)

    [sent] = server.verified(hook["secret"])
    assert sent["type"] == "strategy.activated"
    assert sent["data"]["strategy_id"] == strategy["id"]
    assert sent["data"]["period_start"] == "2027-01-01"
    [headers] = [h for h, _ in server.requests]
    [logged] = deliveries(api, org, hook)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "succeeded",
        1,
        204,
    )
    assert headers["webhook-id"] == logged["event_id"]
    assert deliveries(api, org, other) == []


def test_an_invitation_is_announced_to_a_receiver_without_its_token(
    settings, factory, database_url, redis_url, empty_queues, receiver
):
    template = "https://app.example.test/join?token={token}"
    client = create_app(
        settings.model_copy(
            update={"webhooks_allow_private": True, "invitation_accept_url": template}
        )
    ).test_client()
    org = factory.organisation()
    server = receiver(204)
    hook = endpoint(client, org, server.url, events=["member.invited"])

    invited = builders.invitation(client, org, role="contributor")
    run_worker(database_url, redis_url)

    [sent] = server.verified(hook["secret"])
    assert sent["type"] == "member.invited"
    assert sent["data"] == {
        "invitation_id": invited["id"],
        "email": invited["email"],
        "role": "contributor",
        "expires_at": sent["data"]["expires_at"],
        "invited_by_user_id": str(org.owner_id),
        "accept_url_template": template,
    }
    assert datetime.fromisoformat(sent["data"]["expires_at"]) == datetime.fromisoformat(
        invited["expires_at"]
    )
    [(_, body)] = server.requests
    assert invited["token"] not in body.decode()


def test_a_redelivery_sends_the_same_message_again(
    api, factory, database_url, redis_url, empty_queues, receiver
):
    org = factory.organisation()
    server = receiver(204)
    hook = endpoint(api, org, server.url)
    activate(api, org)
    run_worker(database_url, redis_url)
    [logged] = deliveries(api, org, hook)

    response = api.post(
        org.url(f"/webhook-endpoints/{hook['id']}/deliveries/{logged['id']}/redeliver"),
        headers=org.headers,
    )
    assert response.status_code == 202
    assert response.get_json()["status"] == "pending"
    run_worker(database_url, redis_url)

    first, second = server.verified(hook["secret"])
    assert first == second
    assert server.requests[0][0]["webhook-id"] == server.requests[1][0]["webhook-id"]
    assert deliveries(api, org, hook)[0]["status"] == "succeeded"


def test_a_delivery_of_another_endpoint_is_not_found(api, factory, receiver, in_process):
    org = factory.organisation()
    server = receiver(204)
    hook, other = endpoint(api, org, server.url), endpoint(api, org, server.url)
    activate(api, org)
    webhook_jobs.dispatch_events(str(org.id))
    [logged] = deliveries(api, org, hook)

    response = api.post(
        org.url(f"/webhook-endpoints/{other['id']}/deliveries/{logged['id']}/redeliver"),
        headers=org.headers,
    )

    assert response.status_code == 404


def test_a_receiver_that_fails_then_recovers_gets_the_retry(api, factory, receiver, in_process):
    org = factory.organisation()
    server = receiver(503, 200)
    hook = endpoint(api, org, server.url)
    activate(api, org)

    webhook_jobs.dispatch_events(str(org.id))
    [failed_once] = deliveries(api, org, hook)
    assert failed_once["status"] == "pending" and failed_once["attempts"] == 1
    assert failed_once["last_status_code"] == 503
    assert failed_once["next_attempt_at"] > failed_once["last_attempt_at"]
    assert webhook_jobs.deliver(str(org.id), failed_once["id"]) is None  # not due yet
    with factory.uow() as uow:  # time passes
        uow.open_for(system_tenant(org.id))
        uow.session.get(WebhookDelivery, uuid.UUID(failed_once["id"])).next_attempt_at = None
        uow.commit()

    assert webhook_jobs.deliver(str(org.id), failed_once["id"]) == "succeeded"
    [logged] = deliveries(api, org, hook)
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == (
        "succeeded",
        2,
        200,
    )
    assert len(server.verified(hook["secret"])) == 2


def test_a_receiver_that_times_out_is_retried_later(api, factory, receiver, in_process):
    impatient = in_process.model_copy(update={"webhooks_timeout_ms": 300})
    org = factory.organisation()
    server = receiver(200, delay=1.5)
    hook = endpoint(api, org, server.url)
    activate(api, org)

    with runtime.using(impatient):
        webhook_jobs.dispatch_events(str(org.id))

    [logged] = deliveries(api, org, hook)
    assert logged["status"] == "pending" and logged["attempts"] == 1
    assert logged["last_status_code"] is None
    assert "no response within 0.3 s" in logged["last_error"]


def until_its_retries_are_spent(factory, org, delivery_id: str) -> None:
    """Time passes before each retry of the delivery, until its schedule is spent."""
    for _ in delivery.RETRY_SCHEDULE:
        with factory.uow() as uow:
            uow.open_for(system_tenant(org.id))
            uow.session.get(WebhookDelivery, uuid.UUID(delivery_id)).next_attempt_at = None
            uow.commit()
        assert webhook_jobs.deliver(str(org.id), delivery_id) is not None


def test_persistent_failure_fails_deliveries_and_disables_the_endpoint(
    api, factory, receiver, database_url
):
    settings = Settings.build(
        database_url=database_url,
        environment="test",
        webhooks_allow_private=True,
        webhooks_disable_after=2,
    )
    org = factory.organisation()
    server = receiver(500)
    hook = endpoint(api, org, server.url)

    with runtime.using(settings):
        for _ in range(2):
            activate(api, org)
            archive = api.get(org.url("/strategies?status=active"), headers=org.headers)
            [active] = archive.get_json()["items"]
            api.post(org.url(f"/strategies/{active['id']}/archive"), headers=org.headers)
            webhook_jobs.dispatch_events(str(org.id))
            for pending in deliveries(api, org, hook):
                if pending["status"] == "pending":
                    until_its_retries_are_spent(factory, org, pending["id"])

    logged = deliveries(api, org, hook)
    assert [d["status"] for d in logged] == ["failed", "failed"]
    assert logged[0]["last_error"] == "the endpoint answered 500"
    now = api.get(org.url(f"/webhook-endpoints/{hook['id']}"), headers=org.headers).get_json()
    assert now["enabled"] is False
    assert now["disabled_reason"] == "2 consecutive deliveries failed"
    trail = api.get(
        org.url(f"/audit-events?resource_id={hook['id']}"), headers=org.headers
    ).get_json()["items"]
    assert trail[0]["action"] == "disable"
    assert trail[0]["changes"]["enabled"] == {"before": True, "after": False}
    refused = api.post(
        org.url(f"/webhook-endpoints/{hook['id']}/deliveries/{logged[0]['id']}/redeliver"),
        headers=org.headers,
    )
    assert refused.status_code == 409


def test_the_event_is_saved_with_the_change_when_redis_is_down_and_swept_later(
    database_url, factory, receiver, in_process
):
    down = create_app(
        Settings.build(
            database_url=database_url,
            redis_url="redis://127.0.0.1:1/0",
            environment="test",
            webhooks_allow_private=True,
        )
    ).test_client()
    org = factory.organisation()
    server = receiver(204)
    hook = endpoint(down, org, server.url)

    strategy = activate(down, org)  # the dispatch job cannot be queued: logged, not an error

    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        [saved] = uow.session.scalars(select(WebhookEvent))
        assert saved.type == "strategy.activated" and saved.dispatched_at is None
    webhook_jobs.sweep_webhooks(reschedule=False, older_than_seconds=0)
    [sent] = server.verified(hook["secret"])
    assert sent["data"]["strategy_id"] == strategy["id"]


def test_an_event_rolled_back_with_its_change_is_never_sent(factory):
    org = factory.organisation()

    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        events.emit(uow=uow, type="sync.completed", payload={"channel_id": str(uuid.uuid4())})
        uow.flush()
        uow.rollback()

    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        assert list(uow.session.scalars(select(WebhookEvent))) == []


def test_the_payload_is_json_with_type_timestamp_and_data(factory):
    event = WebhookEvent(type="sync.failed", payload={"error": "boom"})
    event.created_at = utcnow()

    body = json.loads(delivery.message(event))

    assert body == {
        "type": "sync.failed",
        "timestamp": event.created_at.isoformat(),
        "data": {"error": "boom"},
    }


class Recorder:
    def __init__(self) -> None:
        self.jobs: list[tuple] = []

    def enqueue(self, queue, job, *args, job_id=None, at=None):
        self.jobs.append((queue, job, args, job_id))


def test_many_events_in_one_transaction_queue_one_dispatch_after_commit(factory):
    org = factory.organisation()
    recorder = Recorder()

    with UnitOfWork(factory.database.session(), recorder) as uow:
        uow.open_for(system_tenant(org.id))
        for _ in range(3):
            events.emit(uow=uow, type="sync.completed", payload={"channel_id": str(uuid.uuid4())})
        assert recorder.jobs == []  # nothing before the commit
        uow.commit()
        events.emit(uow=uow, type="sync.failed", payload={"channel_id": str(uuid.uuid4())})
        uow.commit()

    dispatch = ("webhooks", events.DISPATCH_JOB, (str(org.id),), events.dispatch_job_id(org.id))
    assert recorder.jobs == [dispatch, dispatch]
