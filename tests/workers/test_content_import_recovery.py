"""A content import whose worker dies while it writes: interrupted, run again, each item once.

The writing pass of a content import is one transaction (items are created, not
upserted): a run killed part-way leaves nothing, and the run the reconciler queues
again writes the whole file. Real workers, a real Redis, SIGKILL (the module's fixtures
are the recovery fault tests').
"""

from __future__ import annotations

import io

from sqlalchemy import func, select

from api.domain.content_items.models import ContentItem, ContentStatusChange
from tests.api import builders
from tests.workers.test_recovery_faults import (  # noqa: F401
    TIMEOUT,
    app,
    burst,
    crash,
    database,
    database_url,
    fresh_redis,
    job_of,
    own_redis,
    reconcile_until_interrupted,
    settings,
    upload_dir,
    wait_for,
    workers,
)

HEADER = "title,channel,campaign,due_date,status\n"


def posts(rows: int) -> bytes:
    lines = [f"Post {n},@acme,spring_push,2027-03-{n % 28 + 1:02d},drafting" for n in range(rows)]
    return (HEADER + "\n".join(lines) + "\n").encode()


def counted(db, org, model) -> int:
    with db.session() as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.organisation_id == org.id)
        )


def test_a_content_import_killed_while_writing_is_run_again_and_creates_each_item_once(
    client,
    factory,
    database,  # noqa: F811
    settings,  # noqa: F811
    workers,  # noqa: F811
):
    org = factory.organisation()
    builders.running_campaign(client, org, utm_campaign="spring_push")
    rows = 5_000
    response = client.post(
        org.url("/content-items/imports"),
        headers=org.headers,
        data={"file": (io.BytesIO(posts(rows)), "posts.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    job = response.get_json()
    worker = workers()
    writing = wait_for(  # every row checked: the writing pass has begun
        lambda: (
            (shown := job_of(client, org, job))["progress"] >= 0.5
            and shown["status"] == "running"
            and shown
        ),
        timeout=TIMEOUT,
        what="the import to be writing",
    )
    crash(worker)
    assert counted(database, org, ContentItem) == 0  # the killed transaction left nothing

    interrupted = reconcile_until_interrupted(client, org, settings, job)
    assert interrupted["attempts"] == 1
    burst(settings, timeout=300)  # a whole file in one transaction, on a busy machine

    done = job_of(client, org, job)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert done["started_at"] == writing["started_at"]
    assert done["counts"]["inserted"] == rows
    assert counted(database, org, ContentItem) == rows
    assert counted(database, org, ContentStatusChange) == rows  # each starts in drafting
