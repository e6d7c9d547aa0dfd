"""Audiences: who the organisation talks to, what they are worth, where they hang out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from api.domain import tenancy
from api.domain.audiences.models import CHANNEL_KINDS, Audience
from api.domain.base import check_version
from api.domain.editing import apply_changes, refuse
from api.domain.inputs import UNSET, Changes, Draft, Unset
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


@dataclass(frozen=True, kw_only=True)
class AudienceChanges(Changes):
    name: str | Unset = UNSET
    kind: str | Unset = UNSET
    description: str | Unset = UNSET
    characteristics: list[str] | Unset = UNSET
    value_tier: str | Unset = UNSET
    size_estimate: int | Unset | None = UNSET
    channel_preferences: dict[str, float] | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class AudienceDraft(AudienceChanges, Draft):
    name: str


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


def _checked(fields: AudienceChanges) -> dict:
    """The fields sent, checked (422 otherwise) and normalised."""
    refuse(
        {
            **check_channel_preferences(fields.or_("channel_preferences", {})),
            **check_characteristics(fields.or_("characteristics", [])),
        },
        "invalid audience",
    )
    given = fields.given()
    if "characteristics" in given:  # tags: trimmed, unique, in the order given
        given["characteristics"] = list(dict.fromkeys(t.strip() for t in given["characteristics"]))
    return given


def create_audience(*, uow: UnitOfWork, draft: AudienceDraft) -> Audience:
    audience = Audience(**_checked(draft))
    uow.session.add(audience)
    uow.commit()
    return audience


def list_audiences(*, uow: UnitOfWork, page: PageRequest) -> Page[Audience]:
    return paginate(uow.session, select(Audience), Audience.id, page)


def get_audience(*, uow: UnitOfWork, audience_id: uuid.UUID) -> Audience:
    return tenancy.get(uow.session, Audience, audience_id, what="audience")


def update_audience(
    *,
    uow: UnitOfWork,
    audience_id: uuid.UUID,
    changes: AudienceChanges,
    expected_version: int | None,
) -> Audience:
    audience = get_audience(uow=uow, audience_id=audience_id)
    check_version(audience, expected_version)
    apply_changes(audience, _checked(changes), FIELDS)
    uow.commit()
    return audience


def delete_audience(*, uow: UnitOfWork, audience_id: uuid.UUID) -> None:
    uow.session.delete(get_audience(uow=uow, audience_id=audience_id))
    uow.commit()
