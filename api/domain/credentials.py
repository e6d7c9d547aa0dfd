"""Notice every committed change that can alter what a bearer token may do.

An API key's principal depends on its key row (revoked, expired, rotated, its role and
scopes), for a personal key on its member's membership (removed, demoted) and on the
user and organisation behind them (deleted). Processes may keep principals they resolved
for a few seconds (``api/http/principals.py``); they must drop them the moment any of
that changes, wherever the change was made. This module only tells: after a commit that
changed such a row, the session factory's ``on_change`` is called, once per commit.

A change is seen in the flush (any new, changed or deleted row of those models, except
the bookkeeping columns below) and in ORM bulk UPDATE/DELETE statements on them, unless
the statement says ``execution_options(credentials_unchanged=True)`` (recording a key's
last use).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from api.domain.identity.models import ApiKey, User
from api.domain.organisations.models import Membership, Organisation

WATCHED = (ApiKey, Membership, User, Organisation)
# Columns that change on use or as a side effect, and change no one's rights.
BOOKKEEPING = frozenset({"last_used_at", "updated_at", "version", "member_count"})
CHANGED = "clover.credentials_changed"
UNCHANGED_OPTION = "credentials_unchanged"


def install(factory, on_change: Callable[[], None]) -> None:
    event.listen(factory, "before_flush", _watch_flush)
    event.listen(factory, "do_orm_execute", _watch_statement)

    @event.listens_for(factory, "after_commit")
    def _notify(session: Session) -> None:
        if session.info.pop(CHANGED, False):
            on_change()

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(CHANGED, None)


def _changes_rights(obj) -> bool:
    state = inspect(obj)
    return any(attr.key not in BOOKKEEPING and attr.history.has_changes() for attr in state.attrs)


def _watch_flush(session: Session, _context, _instances) -> None:
    if session.info.get(CHANGED):
        return
    for obj in session.new | session.deleted:
        if isinstance(obj, WATCHED):
            session.info[CHANGED] = True
            return
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and _changes_rights(obj):
            session.info[CHANGED] = True
            return


def _watch_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete) or state.execution_options.get(UNCHANGED_OPTION):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, WATCHED):
        state.session.info[CHANGED] = True
