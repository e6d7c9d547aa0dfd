"""Audiences: who the organisation talks to, what they are worth, where they hang out."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from api.domain import tenancy
from api.domain.access import Tenant
from api.domain.audiences.models import CHANNEL_KINDS, Audience
from api.domain.base import check_version
from api.domain.editing import apply_changes, refuse
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.uow import UnitOfWork

FIELDS = (
    "name",
    "kind",
    "description",
    "characteristics",
    "value_tier",
    "size_estimate",
    "channel_preferences",
)


def check_channel_preferences(preferences: dict[str, float]) -> dict[str, list[str]]:
    problems = []
    for kind, weight in preferences.items():
        if kind not in CHANNEL_KINDS:
            problems.append(f"Unknown channel kind {kind!r}.")
        elif not 0 <= weight <= 1:
            problems.append(f"Weight for {kind!r} must be between 0 and 1.")
    return {"channel_preferences": problems} if problems else {}


def check_characteristics(tags: list[str]) -> dict[str, list[str]]:
    # Tags are stored trimmed: one of only spaces would be stored (and shown) as "".
    if any(not tag.strip() for tag in tags):
        return {"characteristics": ["A tag must not be blank."]}
    return {}


def _checked(data: dict) -> None:
    refuse(
        {
            **check_channel_preferences(data.get("channel_preferences", {})),
            **check_characteristics(data.get("characteristics", [])),
        },
        "invalid audience",
    )


def _normalised(data: dict) -> dict:
    if "characteristics" in data:  # tags: trimmed, unique, in the order given
        data = {
            **data,
            "characteristics": list(dict.fromkeys(t.strip() for t in data["characteristics"])),
        }
    return data


def create_audience(uow: UnitOfWork, tenant: Tenant, data: dict) -> Audience:
    _checked(data)
    audience = Audience(**_normalised(data))
    uow.session.add(audience)
    uow.commit()
    return audience


def list_audiences(uow: UnitOfWork, tenant: Tenant, page: PageRequest) -> Page[Audience]:
    return paginate(uow.session, select(Audience), Audience.id, page)


def get_audience(uow: UnitOfWork, tenant: Tenant, audience_id: uuid.UUID) -> Audience:
    return tenancy.get(uow.session, Audience, audience_id, what="audience")


def update_audience(
    uow: UnitOfWork,
    tenant: Tenant,
    audience_id: uuid.UUID,
    changes: dict,
    expected_version: int | None,
) -> Audience:
    audience = get_audience(uow, tenant, audience_id)
    check_version(audience, expected_version)
    _checked(changes)
    apply_changes(audience, _normalised(changes), FIELDS)
    uow.commit()
    return audience


def delete_audience(uow: UnitOfWork, tenant: Tenant, audience_id: uuid.UUID) -> None:
    uow.session.delete(get_audience(uow, tenant, audience_id))
    uow.commit()
