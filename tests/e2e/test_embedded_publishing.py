"""The embedded default publishes by itself: its in-process sweep sends the demo's first
post to the sandbox within a minute of its time (the sweep driven with a clock here)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.background import Sweeper
from api.config import Settings
from api.crypto import cipher_for
from api.db import database_for
from api.demo import seed_demo
from api.domain.content_items.models import ContentItem, ContentStatusChange
from api.domain.publishing.models import PublishAttempt
from api.domain.uow import UnitOfWork
from api.jobs import dispatcher
from api.migrate import upgrade


@pytest.fixture
def embedded(tmp_path):
    settings = Settings.build(
        database_url=f"sqlite:///{tmp_path / 'clover.db'}", environment="test"
    )
    assert settings.redis_url == ""
    upgrade(settings)
    database = database_for(settings)
    with UnitOfWork(database.session(), dispatcher(settings)) as uow:
        seed_demo(uow, cipher=cipher_for(settings))
    yield settings, database
    database.dispose()


def demo_post(database) -> ContentItem:
    with database.session() as session:
        return session.scalars(select(ContentItem).where(ContentItem.text != "")).one()


def test_the_in_process_sweep_publishes_the_demo_post_within_a_minute_of_its_time(embedded):
    settings, database = embedded
    scheduled = demo_post(database)
    sweeper = Sweeper(settings)

    sweeper.run_once(now=scheduled.scheduled_at - timedelta(seconds=30))
    before = demo_post(database)
    sweeper.run_once(now=scheduled.scheduled_at + timedelta(seconds=59))
    after = demo_post(database)

    assert scheduled.status == before.status == "scheduled"
    assert after.status == "published"
    assert after.external_id.startswith("sandbox-")
    with database.session() as session:
        [attempt] = session.scalars(select(PublishAttempt)).all()
        steps = session.execute(
            select(ContentStatusChange.to_status, ContentStatusChange.actor)
            .where(ContentStatusChange.content_item_id == after.id)
            .order_by(ContentStatusChange.id)
        ).all()
    assert attempt.outcome == "sent"
    assert steps[-2:] == [("publishing", "publisher"), ("published", "publisher")]


def test_the_sweeper_thread_sweeps_again_every_interval(embedded):
    settings, _ = embedded
    sweeper = Sweeper(settings, every=0.05)
    runs = []
    sweeper.run_once = lambda now=None: runs.append(now)  # count the rounds only

    sweeper.start()
    deadline = time.monotonic() + 5
    while len(runs) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    sweeper.stop()

    assert len(runs) >= 2
