"""Replacing a batch's key-message links is planned for its ids on every run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import text

from api.domain.access import system_tenant
from api.domain.key_messages import matching


@dataclass(frozen=True)
class Arrived:  # what link_mentions reads of a flushed mention
    id: uuid.UUID
    text: str


def test_the_links_deletion_never_runs_on_a_generic_plan(factory):
    # A generic plan cached while the link table was small kept scanning all of it once
    # it grew (docs/performance.md): each run is planned for its batch instead.
    org = factory.organisation()
    batch = [Arrived(uuid.uuid4(), "nothing to match") for _ in range(20)]
    with factory.uow() as uow:
        uow.open_for(system_tenant(org.id))
        # psycopg prepares a statement on its sixth run; by default the server would
        # switch to a generic plan from the sixth execution of the prepared one.
        for _ in range(16):
            matching.link_mentions(uow=uow, mentions=batch)
        plans = uow.session.execute(
            text(
                "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
                " WHERE statement LIKE 'DELETE FROM mention_messages%'"
            )
        ).one()
    assert plans == (0, 11)
