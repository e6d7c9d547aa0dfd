"""Audit events: who changed what, when, from which client.

Recorded by an ``after_flush`` hook for every ``Audited`` model, so a use case
cannot forget it: creates, updates (changed fields with before/after) and
deletes; lifecycle actions name themselves with ``mark``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, String, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.domain import tenancy
from api.domain.base import Base, IdMixin, utcnow
from api.domain.pagination import Page, PageRequest, paginate

ACTOR = "clover.actor"
ACTIONS = "clover.audit_actions"
NOTES = "clover.audit_notes"
UNAUDITED = frozenset({"id", "organisation_id", "created_at", "updated_at", "version"})


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    client_id: str | None = None
    request_id: str | None = None


class Audited:
    """Mixin: changes to this model are recorded as audit events."""

    __audit_type__: str
    # Columns never written to the trail (secrets, bookkeeping).
    __audit_exclude__: frozenset[str] = frozenset()


class AuditEvent(IdMixin, tenancy.TenantOwned, Base):
    __tablename__ = "audit_events"

    actor_user_id: Mapped[uuid.UUID | None]
    actor_api_key_id: Mapped[uuid.UUID | None]
    actor_client_id: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    resource_type: Mapped[str] = mapped_column(String(40), index=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(index=True)
    changes: Mapped[dict] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def set_actor(session: Session, actor: Actor) -> None:
    session.info[ACTOR] = actor


def mark(session: Session, obj: Audited, action: str) -> None:
    """Name the change to ``obj`` in this flush (e.g. ``activate``) instead of ``update``."""
    session.info.setdefault(ACTIONS, {})[id(obj)] = action


def note(session: Session, obj: Audited, changes: dict) -> None:
    """Add changes the columns do not show (e.g. a campaign's linked channels)."""
    session.info.setdefault(NOTES, {}).setdefault(id(obj), {}).update(_plain(changes))


def install(factory) -> None:
    # After the flush: new rows have their ids and parents are written, while the
    # session still holds the pre-flush history. The events are flushed in the next
    # pass of the same commit.
    event.listen(factory, "after_flush", _record)


def _plain(value):
    if isinstance(value, uuid.UUID | date | datetime):
        return value.isoformat() if not isinstance(value, uuid.UUID) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _columns(obj) -> list[str]:
    skipped = UNAUDITED | obj.__audit_exclude__
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in skipped]


def _record(session: Session, _context) -> None:
    actor: Actor = session.info.get(ACTOR) or Actor()
    actions: dict[int, str] = session.info.pop(ACTIONS, {})
    notes: dict[int, dict] = session.info.pop(NOTES, {})
    events = []
    for obj in session.new:
        if isinstance(obj, Audited):
            after = {k: {"before": None, "after": _plain(getattr(obj, k))} for k in _columns(obj)}
            after.update(notes.get(id(obj), {}))
            events.append((obj, actions.get(id(obj), "create"), after))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            changes = {}
            for key in _columns(obj):
                history = state.attrs[key].history
                if history.has_changes():
                    before = history.deleted[0] if history.deleted else None
                    after = history.added[0] if history.added else None
                    if before != after:
                        changes[key] = {"before": _plain(before), "after": _plain(after)}
            changes.update(notes.get(id(obj), {}))
            if changes:
                events.append((obj, actions.get(id(obj), "update"), changes))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            before = {k: {"before": _plain(getattr(obj, k)), "after": None} for k in _columns(obj)}
            events.append((obj, actions.get(id(obj), "delete"), before))
    organisation_id = tenancy.scoped_organisation(session)
    for obj, action, changes in events:
        session.add(
            AuditEvent(
                organisation_id=getattr(obj, "organisation_id", None) or organisation_id or obj.id,
                actor_user_id=actor.user_id,
                actor_api_key_id=actor.api_key_id,
                actor_client_id=actor.client_id,
                action=action,
                resource_type=obj.__audit_type__,
                resource_id=obj.id,
                changes=changes,
                request_id=actor.request_id,
            )
        )


@dataclass(frozen=True)
class AuditFilter:
    resource_type: str | None = None
    resource_id: uuid.UUID | None = None
    actor_user_id: uuid.UUID | None = None
    actor_api_key_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_events(*, uow, filters: AuditFilter, page: PageRequest) -> Page[AuditEvent]:
    """The organisation's audit events, newest first."""
    session = uow.session
    stmt = select(AuditEvent)
    if filters.resource_type:
        stmt = stmt.where(AuditEvent.resource_type == filters.resource_type)
    if filters.resource_id:
        stmt = stmt.where(AuditEvent.resource_id == filters.resource_id)
    if filters.actor_user_id:
        stmt = stmt.where(AuditEvent.actor_user_id == filters.actor_user_id)
    if filters.actor_api_key_id:
        stmt = stmt.where(AuditEvent.actor_api_key_id == filters.actor_api_key_id)
    if filters.since:
        stmt = stmt.where(AuditEvent.created_at >= filters.since)
    if filters.until:
        stmt = stmt.where(AuditEvent.created_at < filters.until)
    return paginate(session, stmt, AuditEvent.id, page, newest_first=True)
