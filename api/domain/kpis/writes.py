"""A rollup's writes: the KPI values (one upsert) and the rollup state, and the statuses
the values had before them (for the status changes)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import cache

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from api.domain import tenancy
from api.domain.base import array_literal, unnested_rows
from api.domain.kpis.actuals import as_date
from api.domain.kpis.models import KpiValue, RollupState
from api.domain.uow import UnitOfWork

# A KPI value's columns besides its organisation, and those a recomputation replaces.
VALUE_COLUMNS = (
    "id",
    "kpi_id",
    "period_start",
    "period_end",
    "actual",
    "target",
    "baseline",
    "attainment",
    "status",
    "computed_at",
)
RECOMPUTED = ("period_end", "actual", "target", "baseline", "attainment", "status", "computed_at")


@cache
def _upsert_statement(dialect: str):
    """The KPI values upsert, built and compiled once per dialect.

    On PostgreSQL one statement writes the values, each column's values as one array
    literal (``unnest``): a row at a time, a full rollup's thousands of values cost
    five times as long, and as lists psycopg adapts them one element at a time.
    SQLite takes the rows as parameters (executemany).
    """
    table = KpiValue.__table__
    if dialect == "postgresql":
        values = unnested_rows(table, VALUE_COLUMNS)
        organisation = bindparam("organisation_id", type_=table.c.organisation_id.type)
        stmt = postgresql.insert(table).from_select(
            ["organisation_id", *VALUE_COLUMNS],
            select(organisation, *(values.c[name] for name in VALUE_COLUMNS)),
        )
    else:
        stmt = sqlite.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.kpi_id, table.c.period_start],
        set_={name: stmt.excluded[name] for name in RECOMPUTED},
    )


def _upsert(uow: UnitOfWork, rows: list[dict], *, organisation_id: uuid.UUID) -> None:
    """SQLite: the values upsert with the rows as parameters (PostgreSQL writes them in
    ``_write_statement``)."""
    if rows:
        stmt = tenancy.statement(_upsert_statement("sqlite"), organisation_id=organisation_id)
        uow.session.execute(stmt, rows)


@cache
def _write_statement():
    """PostgreSQL: the KPI values upsert and the rollup state's, in one statement that
    returns the statuses the values had before it (the statement's snapshot): one round
    trip where the previous statuses, the upsert and the state were three.

    The previous statuses are read by joining the rows written (``unnest`` of the same
    arrays, once each): a filter ``= ANY(CAST(:param AS uuid[]))`` instead cast the
    array again for every row it tested.
    """
    table, states = KpiValue.__table__, RollupState.__table__
    organisation = bindparam("organisation_id", type_=table.c.organisation_id.type)
    state = postgresql.insert(states).values(
        organisation_id=organisation,
        rolled_up_at=bindparam("rolled_up_at", type_=states.c.rolled_up_at.type),
    )
    state = state.on_conflict_do_update(
        index_elements=[states.c.organisation_id],
        set_={"rolled_up_at": state.excluded.rolled_up_at},
    )
    written = unnested_rows(table, ("kpi_id", "period_start"))
    previous = (
        select(table.c.kpi_id, table.c.period_start, table.c.status)
        .join(
            written,
            and_(
                table.c.kpi_id == written.c.kpi_id,
                table.c.period_start == written.c.period_start,
            ),
        )
        .where(table.c.organisation_id == organisation)
    )
    return previous.add_cte(
        _upsert_statement("postgresql").cte("written_values"), state.cte("written_state")
    )


def write(
    *,
    uow: UnitOfWork,
    rows: list[dict],
    kpi_ids: list[uuid.UUID],
    starts: list[date] | None,
    state: RollupState | None,
    started: datetime,
) -> dict:
    """Write the KPI values ``rows`` and the rollup state (points up to ``started`` rolled
    up); return (KPI id, period start) → status before, for the values written. ``starts``:
    the periods recomputed, or None for all of them."""
    organisation_id = uow.tenant.organisation_id
    if uow.session.get_bind().dialect.name != "postgresql":
        before = _previous_statuses(uow, kpi_ids, starts)
        _upsert(uow, rows, organisation_id=organisation_id)
        if state is None:
            uow.session.add(RollupState(organisation_id=organisation_id, rolled_up_at=started))
        else:
            state.rolled_up_at = started
        return before
    parameters = {
        "organisation_id": organisation_id,
        "rolled_up_at": started,
        **{name: array_literal(row[name] for row in rows) for name in VALUE_COLUMNS},
    }
    stmt = tenancy.statement(_write_statement(), organisation_id=organisation_id)
    return {
        (kpi_id, as_date(start)): status
        for kpi_id, start, status in uow.session.execute(stmt, parameters)
    }


def _previous_statuses(
    uow: UnitOfWork, kpi_ids: list[uuid.UUID], starts: list[date] | None
) -> dict:
    """(KPI id, period start) → status before this rollup, for every KPI in one query."""
    if not kpi_ids:
        return {}
    stmt = select(KpiValue.kpi_id, KpiValue.period_start, KpiValue.status).where(
        KpiValue.kpi_id.in_(kpi_ids)
    )
    if starts is not None:
        stmt = stmt.where(KpiValue.period_start.in_(starts))
    return {(kpi_id, as_date(start)): status for kpi_id, start, status in uow.session.execute(stmt)}
