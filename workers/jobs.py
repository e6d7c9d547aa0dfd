"""RQ jobs. Each takes ids and primitives, runs domain code, and is safe to run twice."""

from __future__ import annotations

import uuid

from api.domain.organisations import service as organisations
from workers import runtime


def refresh_member_count(organisation_id: str) -> int:
    with runtime.unit_of_work() as uow:
        return organisations.refresh_member_count(uow, uuid.UUID(organisation_id))
