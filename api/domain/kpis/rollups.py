"""KPI rollups: metric points → KPI values, with set-based SQL.

For each KPI, one grouped query computes the actual of every period asked for (the
KPI's aggregation, channel and campaign filters, ratio); an incremental rollup sends
those of all its KPIs as one statement. Then one query reads the previous statuses
of every KPI and one upsert writes all their values (on PostgreSQL one statement
does both, and records the rollup state: ``kpis.writes``). A Python loop runs over
KPIs and periods, never over metric points. A KPI without a campaign filter leaves
the posts' synced points to their channel's totals (``metrics.overlap``): a post is
not counted twice. Ingestion asks for a rollup after writing points
(``api.domain.metrics.rollup_requests``); the job it queues (coalesced per
organisation) recomputes only the KPIs whose metric keys have points changed since
the previous run, and of those only the periods holding the changed days. A full
rollup recomputes every period. After the values, a KPI's open period is forecast
(``api.domain.forecasts``) when the rollup recomputed it."""

from __future__ import annotations

import logging
import math
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import DataError

from api.domain import periods
from api.domain.base import new_id, utcnow
from api.domain.forecasts import service as forecasts
from api.domain.kpis import rules, writes
from api.domain.kpis.actuals import (
    actuals,
    actuals_of,
    changed_keys,
    days_to_recompute,
)
from api.domain.kpis.models import Kpi, KpiStatusChange, RollupState
from api.domain.organisations.models import Organisation
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

log = logging.getLogger("clover.rollups")

# Points committed by a transaction that began before a rollup started can carry an
# earlier updated_at than its start; looking this far back catches them (a rollup
# twice over the same period is harmless).
LOOKBACK = timedelta(minutes=5)


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


@dataclass
class _Work:
    """One KPI's share of a rollup: the periods to recompute and what was found."""

    kpi: Kpi
    strategy: Strategy
    starts: list[date]
    found: dict | None = None  # period start → actual; None when not computable


def _starts(
    kpi: Kpi,
    strategy: Strategy,
    *,
    fiscal_start_month: int,
    today: date,
    days: set[date] | None,
) -> list[date]:
    """The KPI's periods to recompute: all up to today, or those holding ``days``."""
    last_day = min(strategy.period_end, today)
    if days is None:
        return periods.period_starts(
            strategy.period_start, last_day, kpi.period, fiscal_start_month
        )
    if not days or last_day < strategy.period_start:
        return []
    # The changed days' periods, without listing the strategy's hundreds of weeks first.
    lowest = periods.period_start(strategy.period_start, kpi.period, fiscal_start_month)
    highest = periods.period_start(last_day, kpi.period, fiscal_start_month)
    touched = {periods.period_start(d, kpi.period, fiscal_start_month) for d in days}
    return sorted(s for s in touched if lowest <= s <= highest)


def _finite(found: dict) -> dict | None:
    # A ratio over no denominator has no value (None); it is not an overflow. SQLite
    # sums overflow to infinity instead of failing.
    if any(value is not None and not math.isfinite(value) for value in found.values()):
        return None
    return found


def _compute(uow: UnitOfWork, work: _Work, fiscal_start_month: int) -> dict | None:
    return _finite(
        actuals(uow=uow, kpi=work.kpi, starts=work.starts, fiscal_start_month=fiscal_start_month)
    )


def _compute_together(uow: UnitOfWork, work: list[_Work], fiscal_start_month: int) -> None:
    wanted = [(item.kpi, item.starts) for item in work]
    found = actuals_of(uow=uow, wanted=wanted, fiscal_start_month=fiscal_start_month)
    for item, actual in zip(work, found, strict=True):
        item.found = _finite(actual)


class _Unsummable(Exception):
    """A KPI's grouped query failed (DataError: its points overflow a float) and took the
    transaction with it."""


def _compute_all(
    uow: UnitOfWork, work: list[_Work], fiscal_start_month: int, *, full: bool, alone: bool
) -> None:
    """Every KPI's actuals, or None for a KPI whose figures cannot be computed.

    A full rollup runs one grouped query per KPI (each a long scan); an incremental
    one, whose queries read a few days each, runs them as one statement
    (``actuals_of``), a round trip and an execution for all of them.

    One KPI whose figures overflow must not stop the others. On PostgreSQL its
    grouped query fails (DataError) and takes the transaction with it: the queries
    run under no savepoint, and when one fails (``_Unsummable``) the rollup runs again
    ``alone``, each KPI's query under a savepoint of its own (savepoints cost two
    round trips each, on every rollup, for a failure that is rare).
    """
    session = uow.session
    if alone:
        postgres = session.get_bind().dialect.name == "postgresql"
        for item in work:
            try:
                with session.begin_nested() if postgres else nullcontext():
                    item.found = _compute(uow, item, fiscal_start_month)
            except DataError:
                item.found = None
        return
    try:
        if full:
            for item in work:
                item.found = _compute(uow, item, fiscal_start_month)
        else:
            _compute_together(uow, work, fiscal_start_month)
    except DataError as error:
        raise _Unsummable from error


def _rows(item: _Work, *, today: date, now: datetime) -> list[dict]:
    """One KPI's value rows, a row per period recomputed."""
    kpi = item.kpi
    target = float(kpi.target)
    baseline = float(kpi.baseline) if kpi.baseline is not None else None
    rows = []
    for start in item.starts:
        end = periods.period_end(start, kpi.period)
        actual = item.found.get(start)
        evaluation = rules.evaluate(
            actual=actual,
            target=target,
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
                "target": target,
                "baseline": baseline,
                "attainment": evaluation.attainment,
                "status": evaluation.status,
                "computed_at": now,
            }
        )
    return rows


def _changes(uow: UnitOfWork, kpi: Kpi, rows: list[dict], before: dict) -> list[KpiStatusChange]:
    """One KPI's status changes against the statuses ``before`` (webhook events for them)."""
    changes = []
    for row in rows:
        start, status = row["period_start"], row["status"]
        previous = before.get((kpi.id, start))
        if previous == status:
            continue
        changes.append(
            KpiStatusChange(
                organisation_id=kpi.organisation_id,
                kpi_id=kpi.id,
                period_start=start,
                from_status=previous,
                to_status=status,
            )
        )
        if previous is not None:  # a change, not a first computation
            events.emit(
                uow=uow,
                type="kpi.status_changed",
                payload={
                    "kpi_id": kpi.id,
                    "name": kpi.name,
                    "period_start": start,
                    "period_end": row["period_end"],
                    "from": previous,
                    "to": status,
                    "actual": row["actual"],
                    "target": row["target"],
                    "attainment": row["attainment"],
                },
                organisation_id=kpi.organisation_id,
            )
    return changes


def _forecast(
    uow: UnitOfWork, item: _Work, *, fiscal_start_month: int, today: date, full: bool
) -> int:
    """Project the KPI's open period (the one holding ``today``, when it was recomputed)
    to its end, and forget the forecasts of periods that have ended. 1 when forecast."""
    kpi, strategy = item.kpi, item.strategy
    current = periods.period_start(today, kpi.period, fiscal_start_month)
    forecast_made = current in item.starts and strategy.period_end >= today
    if full or forecast_made:
        forecasts.drop_closed(uow=uow, kpi=kpi, open_start=current if forecast_made else None)
    if forecast_made:
        forecasts.forecast_kpi(
            uow=uow,
            kpi=kpi,
            period_start=current,
            period_end=periods.period_end(current, kpi.period),
            today=today,
        )
    return int(forecast_made)


def run_rollup(
    *,
    uow: UnitOfWork,
    full: bool = False,
    today: date | None = None,
    lookback: timedelta = LOOKBACK,
    forecast: bool = True,
) -> RollupResult:
    """Bring the organisation's KPI values up to date (idempotent), and with ``forecast``
    the forecasts of the open periods recomputed.

    A full rollup recomputes every period of every KPI; an incremental one, only the
    KPIs whose keys have points changed since the previous run, and of those only
    the periods holding the changed days of their keys (``days_to_recompute``). The
    actuals of all KPIs are computed first, then their values written in one upsert.

    It needs a unit of work of its own: when a KPI's figures overflow, the transaction
    is rolled back and the rollup runs again (``_compute_all``).
    """
    try:
        return _run(uow, full=full, today=today, lookback=lookback, forecast=forecast)
    except _Unsummable:
        # Nothing was written before the grouped queries, only read: the rollup starts
        # again in a new transaction, each KPI's query alone under a savepoint.
        uow.rollback()
        return _run(uow, full=full, today=today, lookback=lookback, forecast=forecast, alone=True)


def _run(
    uow: UnitOfWork,
    *,
    full: bool,
    today: date | None,
    lookback: timedelta,
    forecast: bool,
    alone: bool = False,
) -> RollupResult:
    organisation_id = uow.tenant.organisation_id
    session = uow.session
    started = utcnow()
    # The organisation and its rollup state (None before the first rollup) in one query.
    found = session.execute(
        select(Organisation, RollupState)
        .outerjoin(RollupState, RollupState.organisation_id == Organisation.id)
        .where(Organisation.id == organisation_id)
    ).first()
    if found is None:
        return RollupResult(0, 0, 0)
    organisation, state = found
    changed: dict[str, set[date]] | None = None
    if state is not None and not full:
        changed = changed_keys(uow=uow, since=state.rolled_up_at - lookback)
    full = changed is None
    today = today or _today(organisation)
    fiscal = organisation.fiscal_year_start_month
    pairs = session.execute(
        select(Kpi, Strategy)
        .join(Objective, Objective.id == Kpi.objective_id)
        .join(Strategy, Strategy.id == Objective.strategy_id)
        .where(Strategy.status != "archived")
        .order_by(Kpi.id)
    ).all()
    work = []
    for kpi, strategy in pairs:
        days = days_to_recompute(kpi, changed)
        starts = _starts(kpi, strategy, fiscal_start_month=fiscal, today=today, days=days)
        if starts:
            work.append(_Work(kpi, strategy, starts))
    _compute_all(uow, work, fiscal, full=full, alone=alone)
    skipped: list[tuple[uuid.UUID, str]] = []
    for item in work:
        if item.found is None:
            log.warning("rollup skipped KPI %s of %s: %s", item.kpi.id, organisation_id, TOO_LARGE)
            skipped.append((item.kpi.id, f"KPI {item.kpi.name!r} ({item.kpi.id}) {TOO_LARGE}"))
    work = [item for item in work if item.found is not None]
    now = utcnow()
    rows_of = [_rows(item, today=today, now=now) for item in work]
    rows = [row for kpi_rows in rows_of for row in kpi_rows]
    before = writes.write(
        uow=uow,
        rows=rows,
        kpi_ids=[item.kpi.id for item in work],
        starts=None if full else sorted({start for item in work for start in item.starts}),
        state=state,
        started=started,
    )
    changes: list[KpiStatusChange] = []
    for item, kpi_rows in zip(work, rows_of, strict=True):
        changes += _changes(uow, item.kpi, kpi_rows, before)
    session.add_all(changes)
    forecast_count = 0
    if forecast:
        for item in work:
            forecast_count += _forecast(
                uow, item, fiscal_start_month=fiscal, today=today, full=full
            )
    uow.commit()
    return RollupResult(len(pairs), len(rows), len(changes), tuple(skipped), forecast_count)


def _today(organisation: Organisation) -> date:
    """Today in the organisation's time zone: what 'elapsed' means for its periods."""
    return datetime.now(ZoneInfo(organisation.timezone)).date()
