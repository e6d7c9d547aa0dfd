"""Organisations and their members."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from zoneinfo import available_timezones

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from api.domain import money, tenancy
from api.domain.access import ROLES, Principal, Tenant, may_grant_role
from api.domain.base import check_version
from api.domain.editing import apply_changes
from api.domain.errors import Conflict, PermissionDenied, RuleViolation
from api.domain.identity.models import User
from api.domain.identity.service import revoke_personal_keys
from api.domain.inputs import UNSET, Changes, Draft, Unset
from api.domain.organisations.models import Membership, Organisation
from api.domain.pagination import Page, PageRequest, paginate
from api.domain.plan.feeds import revoke_member_feeds
from api.domain.resources.service import unlink_member
from api.domain.uow import UnitOfWork

UPDATABLE = ("name", "timezone", "currency", "fiscal_year_start_month")


@dataclass(frozen=True, kw_only=True)
class OrganisationChanges(Changes):
    name: str | Unset = UNSET
    timezone: str | Unset = UNSET
    currency: str | Unset = UNSET
    fiscal_year_start_month: int | Unset = UNSET


@dataclass(frozen=True, kw_only=True)
class OrganisationDraft(OrganisationChanges, Draft):
    name: str


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60] or "organisation"


def check_organisation_fields(fields: OrganisationChanges) -> None:
    errors: dict[str, list[str]] = {}
    if fields.sent("timezone") and fields.timezone not in available_timezones():
        errors["timezone"] = ["Not an IANA time zone name."]
    if fields.sent("currency") and not money.is_currency(fields.currency):
        errors["currency"] = ["Must be an ISO 4217 code such as EUR."]
    if fields.sent("fiscal_year_start_month") and not 1 <= fields.fiscal_year_start_month <= 12:
        errors["fiscal_year_start_month"] = ["Must be between 1 and 12."]
    if errors:
        raise RuleViolation("invalid organisation settings", errors=errors)


def create_organisation(
    *, uow: UnitOfWork, draft: OrganisationDraft, owner_id: uuid.UUID
) -> Organisation:
    """A new organisation with ``owner_id`` as its owner. The caller commits."""
    check_organisation_fields(draft)
    slug = slugify(draft.name)
    if uow.session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
        # 48 random bits: many organisations share a name, and a clash would be a 409.
        slug = f"{slug}-{secrets.token_hex(6)}"
    organisation = Organisation(**draft.given(), slug=slug, member_count=1)
    uow.session.add(organisation)
    uow.flush()
    uow.session.add(Membership(organisation_id=organisation.id, user_id=owner_id, role="owner"))
    uow.flush()
    return organisation


def list_organisations(*, uow: UnitOfWork, principal: Principal, page: PageRequest) -> Page:
    stmt = select(Organisation).where(Organisation.id.in_(list(principal.grants)))
    return paginate(uow.session, stmt, Organisation.id, page)


def get_organisation(*, uow: UnitOfWork) -> Organisation:
    return tenancy.get(uow.session, Organisation, uow.tenant.organisation_id, what="organisation")


def update_organisation(
    *, uow: UnitOfWork, changes: OrganisationChanges, expected_version: int | None
) -> Organisation:
    organisation = get_organisation(uow=uow)
    check_version(organisation, expected_version)
    check_organisation_fields(changes)
    apply_changes(organisation, changes.given(), UPDATABLE)
    uow.commit()
    return organisation


# Members


@dataclass(frozen=True, kw_only=True)
class MemberChanges(Changes):
    role: str


def list_members(*, uow: UnitOfWork, page: PageRequest) -> Page[Membership]:
    stmt = select(Membership).options(joinedload(Membership.user))
    return paginate(uow.session, stmt, Membership.id, page)


def get_member(*, uow: UnitOfWork, membership_id: uuid.UUID) -> Membership:
    return tenancy.get(
        uow.session, Membership, membership_id, what="member", options=[joinedload(Membership.user)]
    )


def _check_role(tenant: Tenant, role: str) -> None:
    if role not in ROLES:
        raise RuleViolation("unknown role", errors={"role": [f"One of {', '.join(ROLES)}."]})
    if not may_grant_role(tenant.role, role):
        raise PermissionDenied(f"a {tenant.role} cannot grant the {role} role")


def admit_member(
    *, uow: UnitOfWork, organisation_id: uuid.UUID, user: User, role: str
) -> Membership:
    """Make a user a member (they accepted an invitation). The caller commits.

    Nobody is added without their consent: invitations are the only way in.
    """
    # The caller is not in the organisation yet: the statement names it (no scope to lean on).
    theirs = select(Membership.id).where(Membership.user_id == user.id).limit(1)
    if uow.session.scalar(tenancy.in_organisations(theirs, [organisation_id])) is not None:
        raise Conflict("you are already a member of this organisation")
    membership = Membership(organisation_id=organisation_id, user=user, role=role)
    uow.session.add(membership)
    uow.flush()
    # What _after_members_changed does, for a caller who is not yet in the tenant.
    uow.after_commit("default", "workers.jobs.refresh_member_count", str(organisation_id))
    return membership


def _owner_count(uow: UnitOfWork) -> int:
    return uow.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.role == "owner")
    )


def change_role(
    *,
    uow: UnitOfWork,
    membership_id: uuid.UUID,
    changes: MemberChanges,
    expected_version: int | None = None,
) -> Membership:
    membership = get_member(uow=uow, membership_id=membership_id)
    check_version(membership, expected_version)
    role = changes.role
    _check_role(uow.tenant, role)
    if membership.role == "owner" and uow.tenant.role != "owner":
        raise PermissionDenied("only an owner can change an owner's role")
    if membership.role == "owner" and role != "owner" and _owner_count(uow) <= 1:
        raise Conflict("the last owner cannot be demoted; make another member owner first")
    membership.role = role
    uow.commit()
    return membership


def remove_member(*, uow: UnitOfWork, membership_id: uuid.UUID) -> None:
    """Remove a member and, in the same transaction, revoke their personal keys and
    the calendar feeds they made.

    Their organisation keys stay: those belong to the organisation.
    """
    membership = get_member(uow=uow, membership_id=membership_id)
    if membership.role == "owner":
        if uow.tenant.role != "owner":
            raise PermissionDenied("only an owner can remove an owner")
        if _owner_count(uow) <= 1:
            raise Conflict("the last owner cannot be removed")
    unlink_member(uow=uow, membership_id=membership.id)
    revoke_personal_keys(uow=uow, user_id=membership.user_id)
    revoke_member_feeds(uow=uow, user_id=membership.user_id)
    uow.session.delete(membership)
    _after_members_changed(uow)
    uow.commit()


def _after_members_changed(uow: UnitOfWork) -> None:
    uow.after_commit(
        "default", "workers.jobs.refresh_member_count", str(uow.tenant.organisation_id)
    )


def refresh_member_count(*, uow: UnitOfWork) -> int:
    """Recount members; idempotent, so a job may run it any number of times.

    A plain UPDATE: the count is derived, so it neither bumps the organisation's
    version (a client's If-Match on its settings stays valid) nor is audited.
    """
    organisation_id = uow.tenant.organisation_id
    count = uow.session.scalar(select(func.count()).select_from(Membership))
    uow.session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id, Organisation.member_count != count)
        .values(member_count=count)
    )
    uow.commit()
    return count
