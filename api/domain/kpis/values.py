"""Reading KPI values: one KPI's periods, and a strategy's scorecard."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from api.domain import tenancy
from api.domain.errors import RuleViolation
from api.domain.forecasts import service as forecasts
from api.domain.forecasts.models import KpiForecast
from api.domain.kpis.models import Kpi, KpiValue
from api.domain.organisations.models import Organisation
from api.domain.strategies.models import Objective, Strategy
from api.domain.uow import UnitOfWork

MAX_VALUES = 1000
TREND_PERIODS = 6


def list_values(
    *, uow: UnitOfWork, kpi_id: uuid.UUID, since: date | None = None, until: date | None = None
) -> list[KpiValue]:
    """The KPI's values by period, oldest first (periods starting in [since, until])."""
    kpi = tenancy.get(uow.session, Kpi, kpi_id, what="KPI")
    stmt = select(KpiValue).where(KpiValue.kpi_id == kpi.id)
    if since:
        stmt = stmt.where(KpiValue.period_start >= since)
    if until:
        stmt = stmt.where(KpiValue.period_start <= until)
    values = list(uow.session.scalars(stmt.order_by(KpiValue.period_start).limit(MAX_VALUES + 1)))
    if len(values) > MAX_VALUES:
        raise RuleViolation(
            "too many periods", errors={"from": [f"Ask for at most {MAX_VALUES} periods."]}
        )
    return values


def latest_values(
    *, uow: UnitOfWork, kpi_ids: list[uuid.UUID], count: int, with_data: bool = False
) -> dict:
    """KPI id → its last ``count`` values, newest first, in one query.

    ``with_data``: only values with an actual (the periods metric points reached).
    """
    if not kpi_ids:
        return {}
    where = [KpiValue.kpi_id.in_(kpi_ids)]
    if with_data:
        where.append(KpiValue.actual.is_not(None))
    rank = (
        func.row_number()
        .over(partition_by=KpiValue.kpi_id, order_by=KpiValue.period_start.desc())
        .label("rank")
    )
    ranked = select(KpiValue.id, rank).where(*where).subquery()
    rows = uow.session.scalars(
        select(KpiValue)
        .join(ranked, ranked.c.id == KpiValue.id)
        .where(ranked.c.rank <= count)
        .order_by(KpiValue.kpi_id, KpiValue.period_start.desc())
    )
    latest: dict = {kpi_id: [] for kpi_id in kpi_ids}
    for value in rows:
        latest[value.kpi_id].append(value)
    return latest


# The scorecard

LATEST_RULE = "latest_period_with_data"


@dataclass(frozen=True)
class KpiScore:
    """One KPI on the scorecard, read on the organisation's ``today``.

    ``latest`` is the newest period with an actual, not the just-opened period no
    metric point has reached yet (on the first of a month that one is empty while
    the months before hold data). ``complete``: that period has ended (None when
    there is no latest). ``current``: the period holding today, when it has data.
    """

    kpi: Kpi
    latest: KpiValue | None
    complete: bool | None
    current: KpiValue | None
    trend: list[KpiValue]  # the last periods, newest first, with or without data
    forecast: KpiForecast | None = None  # the open period's, as the rollups left it

    @property
    def status(self) -> str:
        return self.latest.status if self.latest is not None else "no_data"


def score(
    kpi: Kpi,
    *,
    trend: list[KpiValue],
    latest: KpiValue | None,
    today: date,
    forecast: KpiForecast | None = None,
) -> KpiScore:
    """A KPI's score from its last values and its newest value with data (pure)."""
    current = next(
        (v for v in trend if v.period_start <= today <= v.period_end and v.actual is not None),
        None,
    )
    complete = latest.period_end < today if latest is not None else None
    if forecast is not None and not forecast.period_start <= today <= forecast.period_end:
        forecast = None  # a period that has ended since its last forecast
    return KpiScore(kpi, latest, complete, current, trend, forecast)


@dataclass(frozen=True)
class Scorecard:
    strategy: Strategy
    today: date  # the organisation's day the scorecard was read on
    scores: dict  # KPI id → KpiScore


def scorecard(*, uow: UnitOfWork, strategy_id: uuid.UUID, today: date | None = None) -> Scorecard:
    """Every KPI of the strategy with its latest period with data and its trend.

    ``today`` defaults to the organisation's today in its time zone (what decides
    whether a period is complete, as for the rollups).
    """
    strategy = tenancy.get(
        uow.session,
        Strategy,
        strategy_id,
        what="strategy",
        options=[selectinload(Strategy.objectives).selectinload(Objective.kpis)],
    )
    today = today or organisation_today(uow=uow)
    kpis = [kpi for objective in strategy.objectives for kpi in objective.kpis]
    ids = [kpi.id for kpi in kpis]
    trends = latest_values(uow=uow, kpi_ids=ids, count=TREND_PERIODS)
    with_data = latest_values(uow=uow, kpi_ids=ids, count=1, with_data=True)
    forecast_of = {
        kpi_id: found
        for (kpi_id, _), found in forecasts.forecasts_of(uow=uow, kpi_ids=ids).items()
        if found.period_start <= today <= found.period_end
    }
    scores = {
        kpi.id: score(
            kpi,
            trend=trends.get(kpi.id, []),
            latest=next(iter(with_data.get(kpi.id, [])), None),
            today=today,
            forecast=forecast_of.get(kpi.id),
        )
        for kpi in kpis
    }
    return Scorecard(strategy, today, scores)


def organisation_today(*, uow: UnitOfWork) -> date:
    """The rollups' today: the organisation's time zone decides which periods have ended."""
    organisation = uow.session.get(Organisation, uow.tenant.organisation_id)
    return datetime.now(ZoneInfo(organisation.timezone)).date()
