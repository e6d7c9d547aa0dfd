"""Changing a competitor's keywords queues a tracked re-match that a real worker process runs."""

from rq import Queue

from tests.api import builders
from tests.workers.conftest import run_worker

JOB = "workers.jobs.rematch_competitor_mentions"


def said(client, org, channel, text, **fields) -> dict:
    return builders.created(
        client.post(
            org.url("/mentions"),
            headers=org.headers,
            json={
                "channel_id": channel["id"],
                "text": text,
                "posted_at": "2027-03-01T10:00:00Z",
                "topic": "competitor",
                **fields,
            },
        )
    )


def named(client, org, mention) -> tuple:
    body = client.get(org.url(f"/mentions/{mention['id']}"), headers=org.headers).get_json()
    return body["competitor_id"], body["competitor_source"]


def test_new_keywords_reach_older_mentions_through_the_worker(
    client, factory, database_url, redis_url, empty_queues
):
    org = factory.organisation()
    channel = builders.channel(client, org)
    globex = builders.created(
        client.post(org.url("/competitors"), headers=org.headers, json={"name": "Globex"})
    )
    other = builders.created(
        client.post(org.url("/competitors"), headers=org.headers, json={"name": "Initech"})
    )
    default = Queue("default", connection=empty_queues)
    assert [j for j in default.get_jobs() if j.func_name == JOB] == []  # no keywords yet
    older = said(client, org, channel, "Those ACME widgets again")
    given = said(client, org, channel, "Acme widgets", competitor_id=other["id"])

    changed = client.patch(
        org.url(f"/competitors/{globex['id']}"),
        headers=org.headers,
        json={"keywords": ["acme widget"]},
    )
    assert changed.status_code == 200
    [job] = client.get(org.url("/jobs?kind=rematch"), headers=org.headers).get_json()["items"]
    assert (job["status"], job["rematches"]) == ("queued", "competitors")
    queued = [j for j in default.get_jobs() if j.func_name == JOB]
    assert [(j.id, j.args) for j in queued] == [(f"job-{job['id']}", (str(org.id), job["id"]))]
    assert named(client, org, older) == (None, None)  # nothing ran the job yet

    run_worker(database_url, redis_url, "default")

    assert queued[0].get_status(refresh=True) == "finished"
    assert queued[0].return_value() == {"changed": 1}
    done = client.get(org.url(f"/jobs/{job['id']}"), headers=org.headers).get_json()
    assert (done["status"], done["counts"], done["attempts"]) == ("succeeded", {"changed": 1}, 1)
    assert named(client, org, older) == (globex["id"], "matched")
    assert named(client, org, given) == (other["id"], "given")


def test_a_change_of_name_alone_queues_nothing(client, factory, empty_queues):
    org = factory.organisation()
    globex = builders.created(
        client.post(org.url("/competitors"), headers=org.headers, json={"name": "Globex"})
    )

    client.patch(org.url(f"/competitors/{globex['id']}"), headers=org.headers, json={"name": "G"})

    default = Queue("default", connection=empty_queues)
    assert [j for j in default.get_jobs() if j.func_name == JOB] == []
    jobs = client.get(org.url("/jobs?kind=rematch"), headers=org.headers).get_json()["items"]
    assert jobs == []
