"""The one way a query is scoped to an organisation.

Once a session is scoped (``scope_session``), every ORM SELECT, UPDATE and
DELETE on a ``TenantOwned`` model gets ``organisation_id = :org`` added, and
every new tenant-owned row is stamped with (or checked against) that
organisation before flush. Services never filter by organisation by hand.

The hook cannot reach statement-level SQL: an INSERT (… SELECT), an upsert, or a
Core statement on a tenant table. Such a statement goes through ``statement``,
which names its organisation; the hook refuses one that does not
(``UnscopedStatement``) and one run in a session scoped to another organisation.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Table, event, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.sql import Executable
from sqlalchemy.sql.util import find_tables

from api.domain.errors import NotFound

KEY = "clover.organisation_id"
# An execution option naming a statement that reads every organisation's rows on purpose.
ALL_ORGANISATIONS = "clover_all_organisations"
# The execution option ``statement`` sets: the organisation a statement-level SQL names.
STATEMENT_OPTION = "clover_organisation_id"
T = TypeVar("T")
S = TypeVar("S", bound=Executable)


class TenantOwned:
    """Mixin for rows that belong to one organisation."""

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )


def tenant_fk(column: str, table: str, **kwargs) -> ForeignKeyConstraint:
    """A composite foreign key: the referenced row must belong to the same organisation."""
    return ForeignKeyConstraint(
        ["organisation_id", column], [f"{table}.organisation_id", f"{table}.id"], **kwargs
    )


class CrossTenantWrite(RuntimeError):
    """A row of one organisation was about to be written in another's session (a bug)."""


class UnscopedStatement(RuntimeError):
    """Statement-level SQL on a tenant table that names no organisation (a bug)."""


def scope_session(session: Session, organisation_id: uuid.UUID) -> None:
    session.info[KEY] = organisation_id


def scoped_organisation(session: Session) -> uuid.UUID | None:
    return session.info.get(KEY)


def get(
    session: Session,
    model: type[T],
    id_: uuid.UUID,
    *,
    what: str | None = None,
    options=(),
    fresh: bool = False,
) -> T:
    """Load one tenant row by id or raise NotFound (another tenant's row is not found).

    ``fresh`` reloads it (and what ``options`` load) even if the session holds it.
    """
    obj = session.get(model, id_, options=options, populate_existing=fresh)
    if obj is None:
        raise NotFound(f"{what or model.__name__} {id_} not found")
    return obj


def any_row(session: Session, stmt) -> bool:
    """Whether ``stmt`` (an ORM select of a tenant model) finds a row.

    Use this rather than a bare ``exists().where(...)``: a SELECT with no ORM
    entity of its own is not an ORM statement, so the scoping criteria would
    not reach the tables inside it.
    """
    return bool(session.scalar(select(stmt.exists())))


def across_organisations(stmt):
    """Mark an ORM statement that deliberately reads rows of every organisation.

    For facts that are public across tenants (an OAuth client's name, id, scopes and
    browser origins, which an agency's client shows in other organisations) and for
    lookups keyed by a person rather than an organisation (their memberships). The
    scoping hook leaves such a statement alone even in a scoped session.
    """
    return stmt.execution_options(**{ALL_ORGANISATIONS: True})


def in_organisations(stmt, organisation_ids):
    """Limit an ORM statement's tenant tables to the given organisations.

    For a use case that spans several organisations at once (an OAuth consent or token
    of one person in each organisation they chose). In a scoped session the scope
    still applies as well.
    """
    ids = list(organisation_ids)
    return stmt.options(
        with_loader_criteria(
            TenantOwned, lambda cls: cls.organisation_id.in_(ids), include_aliases=True
        )
    )


def statement(stmt: S, *, organisation_id: uuid.UUID) -> S:
    """``stmt``, statement-level SQL on tenant tables, for ``organisation_id`` only.

    The one way to run SQL the scoping hook does not reach (an INSERT … SELECT, an
    upsert, a Core statement on a table). The statement itself restricts its rows to
    the organisation (stamps it on what it inserts, filters by it what it reads): the
    hook cannot add criteria to it. It runs only in a session scoped to that same
    organisation (CrossTenantWrite otherwise), so a caller cannot name one tenant
    while the rest of its unit of work acts for another.
    """
    return stmt.execution_options(**{STATEMENT_OPTION: organisation_id})


def install(factory) -> None:
    """Attach the scoping listeners to a sessionmaker."""
    event.listen(factory, "do_orm_execute", _add_tenant_criteria)
    event.listen(factory, "before_flush", _stamp_new_rows)


def _add_tenant_criteria(state: ORMExecuteState) -> None:
    organisation_id = state.session.info.get(KEY)
    if state.is_column_load:
        return
    if state.is_insert or not state.is_orm_statement:
        _check_statement(state, organisation_id)
        return
    if organisation_id is None:
        return
    if state.execution_options.get(ALL_ORGANISATIONS):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantOwned,
                lambda cls: cls.organisation_id == organisation_id,
                include_aliases=True,
            )
        )


def _check_statement(state: ORMExecuteState, organisation_id: uuid.UUID | None) -> None:
    """Statement-level SQL on a tenant table must have come through ``statement``."""
    named = state.execution_options.get(STATEMENT_OPTION)
    if named is None:
        tables = _tenant_tables_in(state.statement)
        if tables:
            raise UnscopedStatement(
                f"statement-level SQL on {', '.join(sorted(tables))} escapes tenancy's "
                "scoping: build it with tenancy.statement(stmt, organisation_id=...)"
            )
    elif named != organisation_id:
        raise CrossTenantWrite(
            f"a statement for organisation {named} ran in a session scoped to {organisation_id}"
        )


def _tenant_tables_in(stmt) -> set[str]:
    found = find_tables(
        stmt,
        check_columns=True,
        include_aliases=True,
        include_joins=True,
        include_selects=True,
        include_crud=True,
    )
    tenant = _tenant_tables()
    return {t.name for t in found if isinstance(t, Table) and t.name in tenant}


def _tenant_tables() -> frozenset[str]:
    """The tables of every mapped ``TenantOwned`` model (walked each time: models import late)."""
    names, pending = set(), list(TenantOwned.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        table = getattr(cls, "__table__", None)
        if table is not None:
            names.add(table.name)
    return frozenset(names)


def _stamp_new_rows(session: Session, _context, _instances) -> None:
    organisation_id = session.info.get(KEY)
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if obj.organisation_id is None:
            if organisation_id is None:
                raise CrossTenantWrite(f"{type(obj).__name__} has no organisation")
            obj.organisation_id = organisation_id
        elif organisation_id is not None and obj.organisation_id != organisation_id:
            raise CrossTenantWrite(f"{type(obj).__name__} belongs to another organisation")
