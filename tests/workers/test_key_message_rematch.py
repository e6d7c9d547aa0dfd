"""A key message's re-match is a tracked job: queued with its phrases' change, shown at
…/jobs/{id}, run by a real worker process, reused while it waits."""

from __future__ import annotations

import uuid

import pytest
from rq import Queue
from sqlalchemy import update

from api.domain.jobs.models import Job
from tests.api import builders
from tests.api.test_key_messages import mention, message, october, publish
from tests.factories import bearer
from tests.workers.conftest import run_worker
from workers import jobs as worker_jobs

JOB = "workers.jobs.rematch_key_message"


def rematches(client, org) -> list[dict]:
    response = client.get(org.url("/jobs?kind=rematch"), headers=org.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def job_of(client, org, job_id: str) -> dict:
    return client.get(org.url(f"/jobs/{job_id}"), headers=org.headers).get_json()


def rephrase(client, org, made, *phrases: str) -> None:
    response = client.patch(
        org.url(f"/key-messages/{made['id']}"), headers=org.headers, json={"phrases": phrases}
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_new_phrases_queue_a_rematch_job_a_worker_runs_to_success_with_its_counts(
    client, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    campaign, channel = builders.running_campaign(client, org)
    made = message(client, org, strategy["id"], phrases=["easy to set up"])
    [created] = rematches(client, org)  # a new message looks for what was said before it
    for text in ("easy to set up", "quick install", "Quick installs, finally"):
        mention(client, org, channel, text)
    publish(client, org, campaign, channel, "A quick install guide")
    run_worker(database_url, redis_url, "default")
    assert job_of(client, org, created["id"])["status"] == "succeeded"

    rephrase(client, org, made, "quick install")

    [job, _] = rematches(client, org)  # newest first
    assert (job["status"], job["rematches"], job["key_message_id"]) == (
        "queued",
        "key_message",
        made["id"],
    )
    default = Queue("default", connection=empty_queues)
    assert [(j.id, j.func_name, j.args) for j in default.get_jobs()] == [
        (f"job-{job['id']}", JOB, (str(org.id), job["id"]))
    ]
    assert client.get(org.url("/jobs"), headers=org.headers).get_json()["items"] == []

    run_worker(database_url, redis_url, "default")

    done = job_of(client, org, job["id"])
    assert (done["status"], done["attempts"], done["progress"]) == ("succeeded", 1, 1.0)
    assert done["counts"] == {"mentions": 2, "content_items": 1}
    after = october(client, org, strategy["id"])[0]["periods"][0]
    assert (after["company_mentions_carrying"], after["own_posts_carrying"]) == (2, 1)


def test_a_second_change_while_the_rematch_waits_reuses_it_and_it_reads_the_last_phrases(
    client, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    channel = builders.channel(client, org)
    made = message(client, org, strategy["id"], phrases=["easy to set up"])
    mention(client, org, channel, "quick install")
    mention(client, org, channel, "no fuss")

    rephrase(client, org, made, "quick install")
    rephrase(client, org, made, "no fuss", "quick install")

    [job] = rematches(client, org)  # the new message's, still queued, for all three
    assert job["status"] == "queued"
    assert len(Queue("default", connection=empty_queues).get_jobs()) == 1
    run_worker(database_url, redis_url, "default")
    assert job_of(client, org, job["id"])["counts"] == {"mentions": 2, "content_items": 0}


def test_a_change_while_the_rematch_runs_queues_another(client, factory, database, empty_queues):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    made = message(client, org, strategy["id"])
    [running] = rematches(client, org)
    with database.session() as session:  # a worker has it: it may have read the old phrases
        session.execute(
            update(Job).where(Job.id == uuid.UUID(running["id"])).values(status="running")
        )
        session.commit()

    rephrase(client, org, made, "no fuss")

    assert [job["status"] for job in rematches(client, org)] == ["queued", "running"]


def test_a_rematch_of_another_organisation_is_404(client, factory, empty_queues):
    org, other = factory.organisation(), factory.organisation("Other")
    message(client, org, builders.strategy(client, org)["id"])
    [job] = rematches(client, org)

    for url in (other.url(f"/jobs/{job['id']}"), org.url(f"/jobs/{job['id']}")):
        response = client.get(url, headers=bearer(other.token))
        assert response.status_code == 404, url
    assert rematches(client, other) == []


def test_a_rematch_that_fails_says_so_without_the_database_s_words(
    client, factory, database_faults, job_runtime, empty_queues
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    mention(client, org, builders.channel(client, org), "Easy to set up")
    message(client, org, strategy["id"])
    [job] = rematches(client, org)
    database_faults.refuse("mention_messages", message="relation secret_table: disk on fire")

    with pytest.raises(Exception, match="disk on fire"):
        worker_jobs.rematch_key_message(str(org.id), job["id"])

    failed = job_of(client, org, job["id"])
    assert (failed["status"], failed["counts"]) == ("failed", {})
    assert failed["error"] == "the re-match stopped unexpectedly; it was logged"


def test_a_rematch_queued_before_rematches_were_tracked_still_relinks_its_message(
    client, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    strategy = builders.strategy(client, org)
    mention(client, org, builders.channel(client, org), "Easy to set up")
    made = message(client, org, strategy["id"])
    empty_queues.flushdb()  # only the run as the previous release queued it
    Queue("default", connection=empty_queues).enqueue(
        JOB, str(org.id), made["id"], job_id=f"rematch-{made['id']}-0123456789abcdef"
    )

    run_worker(database_url, redis_url, "default")

    assert october(client, org, strategy["id"])[0]["periods"][0]["company_mentions_carrying"] == 1
