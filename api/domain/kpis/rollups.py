"""KPI rollups: metric points → KPI values, with set-based SQL.

For each KPI, one grouped query computes the actual of every period asked for
(the KPI's aggregation, channel and campaign filters, ratio) and one upsert
writes the KPI values; a Python loop runs over KPIs and periods, never over
metric points. A KPI without a campaign filter leaves the posts' synced points to
their channel's totals (``metrics.overlap``): a post is not counted twice.
Ingestion asks for a rollup after writing points
(``api.domain.metrics.rollup_requests``); the job it queues (coalesced per
organisation) recomputes only the periods holding points changed since the
previous run. A full rollup recomputes every period. After a KPI's values, its open
period is forecast (``api.domain.forecasts``) when the rollup recomputed it.
"""

from __future__ import annotations

import logging
import math
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError

from api.domain import periods, tenancy
from api.domain.base import new_id, unnested_rows, utcnow
from api.domain.forecasts import service as forecasts
from api.domain.kpis import rules
from api.domain.kpis.models import Kpi, KpiStatusChange, KpiValue, RollupState
from api.domain.metrics import overlap
from api.domain.metrics.levels import latest_levels
from api.domain.metrics.models import MetricPoint
from api.domain.organisations.models import Organisation
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

log = logging.getLogger("clover.rollups")

# Points committed by a transaction that began before a rollup started can carry an
# earlier updated_at than its start; looking this far back catches them (a rollup
# twice over the same period is harmless).
LOOKBACK = timedelta(minutes=5)


# Actuals


def actuals(*, uow: UnitOfWork, kpi: Kpi, starts: list[date], fiscal_start_month: int) -> dict:
    """period start → actual, for the periods of ``starts`` that have data."""
    if not starts:
        return {}
    first = starts[0]
    last = periods.period_end(starts[-1], kpi.period)
    bucket = periods.sql_period_start(MetricPoint.day, kpi.period, fiscal_start_month)
    keys = (
        [kpi.numerator_key, kpi.denominator_key] if kpi.aggregation == "ratio" else [kpi.metric_key]
    )
    where = [
        MetricPoint.metric_key.in_(keys),
        MetricPoint.day >= first,
        MetricPoint.day <= last,
        *overlap.counted(campaign_id=kpi.campaign_id),
    ]
    if kpi.channel_id:
        where.append(MetricPoint.channel_id == kpi.channel_id)
    if kpi.campaign_id:
        where.append(MetricPoint.campaign_id == kpi.campaign_id)
    if kpi.aggregation == "sum":
        value = func.sum(MetricPoint.value)
    elif kpi.aggregation == "avg":
        # Average per day with data, from the sum and the count: never an average of averages.
        value = func.sum(MetricPoint.value) / func.count(distinct(MetricPoint.day))
    elif kpi.aggregation == "ratio":
        numerator = func.sum(
            case((MetricPoint.metric_key == kpi.numerator_key, MetricPoint.value), else_=0.0)
        )
        denominator = func.sum(
            case((MetricPoint.metric_key == kpi.denominator_key, MetricPoint.value), else_=0.0)
        )
        value = numerator / func.nullif(denominator, 0.0)
    else:
        # last: on each channel, the total of its latest day with data in the period,
        # summed across channels (the followers of two pages that report on different days).
        stmt = latest_levels(where=where, groups=[bucket])
        return {_as_date(p): float(v) for p, _, v in uow.session.execute(stmt) if p is not None}
    stmt = select(bucket, value).where(*where).group_by(bucket)
    wanted = set(starts)
    return {
        _as_date(p): (float(v) if v is not None else None)
        for p, v in uow.session.execute(stmt)
        if _as_date(p) in wanted
    }


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# The rollup


@dataclass(frozen=True)
class RollupResult:
    kpis: int
    values: int
    status_changes: int
    # KPIs left as they were, each with the reason (their figures could not be computed).
    skipped: tuple[tuple[uuid.UUID, str], ...] = ()
    forecasts: int = 0  # open periods forecast


TOO_LARGE = (
    "was not rolled up: its metric points add up to more than a number can hold "
    "(its earlier values were kept)"
)


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

    On PostgreSQL one statement writes a KPI's values, each column's values as one
    array (``unnest``): a row at a time, a full rollup's thousands of values cost
    five times as long. SQLite takes the rows as parameters (executemany).
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
    if not rows:
        return
    dialect = uow.session.get_bind().dialect.name
    stmt = tenancy.statement(_upsert_statement(dialect), organisation_id=organisation_id)
    if dialect == "postgresql":
        columns = {name: [row[name] for row in rows] for name in VALUE_COLUMNS}
        uow.session.execute(stmt, {"organisation_id": organisation_id, **columns})
    else:
        uow.session.execute(stmt, rows)


class NotComputable(Exception):
    """A KPI's figures overflow what a number can hold."""


def rollup_kpi(
    *,
    uow: UnitOfWork,
    kpi: Kpi,
    strategy: Strategy,
    fiscal_start_month: int,
    today: date,
    changed_days: set[date] | None,
    forecast: bool = True,
) -> tuple[int, int, int]:
    """Recompute one KPI's values; ``changed_days`` None means every period.

    Then, with ``forecast``, project its open period (the one holding ``today``, when
    it was recomputed) to its end. (values, status changes, forecasts)
    """
    last_day = min(strategy.period_end, today)
    starts = periods.period_starts(strategy.period_start, last_day, kpi.period, fiscal_start_month)
    if changed_days is not None:
        touched = {periods.period_start(d, kpi.period, fiscal_start_month) for d in changed_days}
        starts = [s for s in starts if s in touched]
    if not starts:
        return 0, 0, 0
    found = actuals(uow=uow, kpi=kpi, starts=starts, fiscal_start_month=fiscal_start_month)
    # A ratio over no denominator has no value (None); it is not an overflow.
    if any(value is not None and not math.isfinite(value) for value in found.values()):
        raise NotComputable(kpi.id)  # SQLite sums overflow to infinity instead of failing
    before = dict(
        uow.session.execute(
            select(KpiValue.period_start, KpiValue.status).where(
                KpiValue.kpi_id == kpi.id, KpiValue.period_start.in_(starts)
            )
        ).all()
    )
    now = utcnow()
    rows, changes = [], []
    for start in starts:
        end = periods.period_end(start, kpi.period)
        actual = found.get(start)
        evaluation = rules.evaluate(
            actual=actual,
            target=float(kpi.target),
            direction=kpi.direction,
            aggregation=kpi.aggregation,
            start=start,
            end=end,
            today=today,
        )
        rows.append(
            {
                "id": new_id(),
                "organisation_id": kpi.organisation_id,
                "kpi_id": kpi.id,
                "period_start": start,
                "period_end": end,
                "actual": actual,
                "target": float(kpi.target),
                "baseline": float(kpi.baseline) if kpi.baseline is not None else None,
                "attainment": evaluation.attainment,
                "status": evaluation.status,
                "computed_at": now,
            }
        )
        if before.get(start) != evaluation.status:
            changes.append(
                KpiStatusChange(
                    organisation_id=kpi.organisation_id,
                    kpi_id=kpi.id,
                    period_start=start,
                    from_status=before.get(start),
                    to_status=evaluation.status,
                )
            )
            if before.get(start) is not None:  # a change, not a first computation
                events.emit(
                    uow=uow,
                    type="kpi.status_changed",
                    payload={
                        "kpi_id": kpi.id,
                        "name": kpi.name,
                        "period_start": start,
                        "period_end": end,
                        "from": before.get(start),
                        "to": evaluation.status,
                        "actual": actual,
                        "target": float(kpi.target),
                        "attainment": evaluation.attainment,
                    },
                    organisation_id=kpi.organisation_id,
                )
    _upsert(uow, rows, organisation_id=kpi.organisation_id)
    uow.session.add_all(changes)
    current = periods.period_start(today, kpi.period, fiscal_start_month)
    forecast_made = forecast and current in starts and strategy.period_end >= today
    if forecast and (changed_days is None or forecast_made):
        forecasts.drop_closed(uow=uow, kpi=kpi, open_start=current if forecast_made else None)
    if forecast_made:
        forecasts.forecast_kpi(
            uow=uow,
            kpi=kpi,
            period_start=current,
            period_end=periods.period_end(current, kpi.period),
            today=today,
        )
    return len(rows), len(changes), int(forecast_made)


def run_rollup(
    *,
    uow: UnitOfWork,
    full: bool = False,
    today: date | None = None,
    lookback: timedelta = LOOKBACK,
    forecast: bool = True,
) -> RollupResult:
    """Bring the organisation's KPI values up to date (idempotent), and with ``forecast``
    the forecasts of the open periods recomputed."""
    organisation_id = uow.tenant.organisation_id
    session = uow.session
    started = utcnow()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        return RollupResult(0, 0, 0)
    state = session.get(RollupState, organisation_id)
    changed_days: set[date] | None = None
    if state is not None and not full:
        changed_days = set(
            session.scalars(
                select(MetricPoint.day)
                .where(MetricPoint.updated_at > state.rolled_up_at - lookback)
                .distinct()
            )
        )
    today = today or _today(organisation)
    pairs = session.execute(
        select(Kpi, Strategy)
        .join(Objective, Objective.id == Kpi.objective_id)
        .join(Strategy, Strategy.id == Objective.strategy_id)
        .where(Strategy.status != "archived")
        .order_by(Kpi.id)
    ).all()
    values = changes = forecast_count = 0
    skipped: list[tuple[uuid.UUID, str]] = []
    postgres = session.get_bind().dialect.name == "postgresql"
    if changed_days is None or changed_days:
        for kpi, strategy in pairs:
            # One KPI whose figures cannot be computed must not stop the others. On
            # PostgreSQL its failed statement is undone by a savepoint; SQLite's sums
            # overflow to infinity instead, caught before anything is written.
            try:
                with session.begin_nested() if postgres else nullcontext():
                    written, changed, forecast_made = rollup_kpi(
                        uow=uow,
                        kpi=kpi,
                        strategy=strategy,
                        fiscal_start_month=organisation.fiscal_year_start_month,
                        today=today,
                        changed_days=changed_days,
                        forecast=forecast,
                    )
            except (DataError, NotComputable):
                log.warning("rollup skipped KPI %s of %s: %s", kpi.id, organisation_id, TOO_LARGE)
                skipped.append((kpi.id, f"KPI {kpi.name!r} ({kpi.id}) {TOO_LARGE}"))
                continue
            values += written
            changes += changed
            forecast_count += forecast_made
    if state is None:
        session.add(RollupState(organisation_id=organisation_id, rolled_up_at=started))
    else:
        state.rolled_up_at = started
    uow.commit()
    return RollupResult(len(pairs), values, changes, tuple(skipped), forecast_count)


def _today(organisation: Organisation) -> date:
    """Today in the organisation's time zone: what 'elapsed' means for its periods."""
    return datetime.now(ZoneInfo(organisation.timezone)).date()
