"""A re-match the queue lost, or whose worker died, is queued again by the reconciler and
finishes: its Job row is the record, not Redis.

Real workers, a Redis of the module's own (the recovery fault tests' fixtures, short
bounds); every wait is a bounded poll.
"""

from __future__ import annotations

from sqlalchemy import text

from tests.api import builders
from tests.api.test_key_messages import EASY, mention, message, october
from tests.workers.test_recovery_faults import (  # noqa: F401
    TIMEOUT,
    app,
    burst,
    crash,
    database,
    database_url,
    fresh_redis,
    job_of,
    lines_of_run,
    own_redis,
    reconcile_until_interrupted,
    settings,
    upload_dir,
    wait_for,
    workers,
)
from workers import runtime
from workers.recovery import reconcile


def queued_rematch(client, org) -> dict:
    [job] = client.get(org.url("/jobs?kind=rematch"), headers=org.headers).get_json()["items"]
    assert job["status"] == "queued"
    return job


def test_a_rematch_redis_lost_is_queued_again_by_the_reconciler_and_succeeds(
    client,
    factory,
    settings,  # noqa: F811
    fresh_redis,  # noqa: F811
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org)
    mention(client, org, channel, "Easy to set up, really")
    builders.created(
        client.post(
            org.url(f"/strategies/{strategy['id']}/key-messages"),
            headers={**org.headers, "X-Request-ID": "trace-lost-rematch-6"},
            json=EASY,
        )
    )
    job = queued_rematch(client, org)
    assert job["request_id"] == "trace-lost-rematch-6"
    key = f"rq:job:job-{job['id']}"
    assert fresh_redis.exists(key)

    fresh_redis.flushdb()  # Redis restarted empty

    def requeued() -> bool:
        with runtime.using(settings):
            reconcile(reschedule=False)
        return bool(fresh_redis.exists(key))

    wait_for(requeued, timeout=TIMEOUT, what="the reconciler to queue the re-match again")
    output = burst(settings, "default")

    done = job_of(client, org, job)
    assert (done["status"], done["attempts"]) == ("succeeded", 1), done
    # The run queued again (Redis kept no meta) still names the request that created it.
    again = lines_of_run(output, job)
    assert any("Successfully completed" in line["message"] for line in again)
    assert all(line["request_id"] == "trace-lost-rematch-6" for line in again)
    assert all(line["organisation_id"] == str(org.id) for line in again)
    assert done["counts"] == {"mentions": 1, "content_items": 0}
    period = october(client, org, strategy["id"])[0]["periods"][0]
    assert period["company_mentions_carrying"] == 1


def test_a_rematch_killed_with_its_horse_is_interrupted_then_run_again(
    client,
    factory,
    database,  # noqa: F811
    settings,  # noqa: F811
    workers,  # noqa: F811
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org)
    mention(client, org, channel, "Easy to set up, really")
    with database.engine.connect() as blocker:
        # The re-match's first DELETE waits behind this lock: it is running when killed.
        blocker.execute(text("LOCK TABLE mention_messages IN EXCLUSIVE MODE"))
        message(client, org, strategy["id"])
        job = queued_rematch(client, org)
        worker = workers()
        first = wait_for(
            lambda: (shown := job_of(client, org, job))["status"] == "running" and shown,
            timeout=TIMEOUT,
            what="the re-match to run",
        )
        crash(worker)
        blocker.rollback()

    interrupted = reconcile_until_interrupted(client, org, settings, job)
    assert interrupted["attempts"] == 1
    burst(settings, "default")

    done = job_of(client, org, job)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2 and done["started_at"] == first["started_at"]
    assert done["counts"] == {"mentions": 1, "content_items": 0}
