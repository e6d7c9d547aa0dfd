"""Resources: the people and teams who create content or talk to customers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from api.domain import tenancy
from api.domain.base import check_version
from api.domain.editing import apply_changes
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.organisations.models import Membership
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.resources.models import Resource
from api.domain.uow import UnitOfWork

FIELDS = (
    "name",
    "kind",
    "role",
    "known_role",
    "weekly_capacity_hours",
    "hourly_cost",
    "member_id",
)


@dataclass(frozen=True, kw_only=True)
class ResourceChanges(Changes):
    name: str | Unset = UNSET
    kind: str | Unset = UNSET
    role: str | Unset = UNSET
    known_role: str | Unset | None = UNSET
    weekly_capacity_hours: float | Unset = UNSET
    hourly_cost: Decimal | Unset | None = UNSET
    member_id: uuid.UUID | Unset | None = UNSET


@dataclass(frozen=True, kw_only=True)
class ResourceDraft(ResourceChanges, Draft):
    name: str
    weekly_capacity_hours: float


def _check_member(uow: UnitOfWork, member_id: uuid.UUID | None) -> None:
    """A linked member must be of this organisation: another's is simply not found."""
    if member_id is not None:
        tenancy.get(uow.session, Membership, member_id, what="member")


def create_resource(*, uow: UnitOfWork, draft: ResourceDraft) -> Resource:
    _check_member(uow, draft.or_("member_id", None))
    resource = Resource(**draft.given())
    uow.session.add(resource)
    uow.commit()
    return resource


def list_resources(*, uow: UnitOfWork, page: PageRequest) -> Page[Resource]:
    return paginate(uow.session, select(Resource), Resource.id, page)


def get_resource(*, uow: UnitOfWork, resource_id: uuid.UUID) -> Resource:
    return tenancy.get(uow.session, Resource, resource_id, what="resource")


def update_resource(
    *,
    uow: UnitOfWork,
    resource_id: uuid.UUID,
    changes: ResourceChanges,
    expected_version: int | None,
) -> Resource:
    resource = get_resource(uow=uow, resource_id=resource_id)
    check_version(resource, expected_version)
    if changes.sent("member_id"):
        _check_member(uow, changes.member_id)
    apply_changes(resource, changes.given(), FIELDS)
    uow.commit()
    return resource


def delete_resource(*, uow: UnitOfWork, resource_id: uuid.UUID) -> None:
    uow.session.delete(get_resource(uow=uow, resource_id=resource_id))
    uow.commit()


def unlink_member(*, uow: UnitOfWork, membership_id: uuid.UUID) -> None:
    """Before a member leaves: their resources stay, no longer linked."""
    for resource in uow.session.scalars(
        select(Resource).where(Resource.member_id == membership_id)
    ):
        resource.member_id = None
