"""Forecasting a KPI's open period, as part of its rollup; reading the stored forecasts.

A forecast is computed only by the rollups (``kpis.rollups`` calls ``forecast_kpi``
after it has written a KPI's values), never at request time: one grouped query
reads the KPI's daily history under its filters, ``projection`` fits one model
(two for a ratio: its numerator and denominator) and one upsert stores the row.
When the probability of reaching the target crosses the KPI's
``forecast_alert_probability`` between two forecasts of a period,
``kpi.forecast_changed`` is emitted into the same transaction (the outbox).
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from api.domain import tenancy
from api.domain.base import new_id, utcnow
from api.domain.errors import NotFound
from api.domain.forecasts import projection
from api.domain.forecasts.models import KpiForecast
from api.domain.kpis.models import Kpi
from api.domain.metrics import overlap
from api.domain.metrics.models import MetricPoint
from api.domain.uow import UnitOfWork
from api.domain.webhooks import events

FIGURES = ("projected", "lower80", "upper80", "lower95", "upper95", "probability")


def seed_for(kpi_id: uuid.UUID, period_start: date) -> int:
    """The same KPI, period and history give the same forecast."""
    digest = hashlib.sha256(f"{kpi_id}:{period_start.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def daily_history(*, uow: UnitOfWork, kpi: Kpi, first: date, last: date) -> dict:
    """metric key → {day: value} for the KPI's metric(s) under its filters, in one query.

    A level's day is, on each channel, its latest value carried forward (a page that
    reports every other day still has followers in between), summed across channels.
    """
    keys = (
        [kpi.numerator_key, kpi.denominator_key] if kpi.aggregation == "ratio" else [kpi.metric_key]
    )
    where = overlap.figure_points(
        keys, first, last, channel_id=kpi.channel_id, campaign_id=kpi.campaign_id
    )
    groups = [MetricPoint.metric_key, MetricPoint.day]
    if kpi.aggregation == "last":
        groups.append(MetricPoint.channel_id)
    rows = uow.session.execute(
        select(*groups, func.sum(MetricPoint.value)).where(*where).group_by(*groups)
    ).all()
    found: dict = {key: {} for key in keys}
    if kpi.aggregation != "last":
        for key, day, value in rows:
            found[key][_as_date(day)] = float(value)
        return found
    by_channel: dict = defaultdict(dict)
    for key, day, channel, value in rows:
        by_channel[(key, channel)][_as_date(day)] = float(value)
    for (key, _), days in by_channel.items():
        start = min(days)
        carried = projection.daily(days, start, last, fill="previous")
        for i, value in enumerate(carried):
            day = start + timedelta(days=i)
            found[key][day] = found[key].get(day, 0.0) + float(value)
    return found


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def drop_closed(*, uow: UnitOfWork, kpi: Kpi, open_start: date | None) -> None:
    """Forget the forecasts of the KPI's periods other than ``open_start`` (ended, or of
    a period length it no longer has): a forecast is about a period still to come."""
    stmt = delete(KpiForecast).where(KpiForecast.kpi_id == kpi.id)
    if open_start is not None:
        stmt = stmt.where(KpiForecast.period_start != open_start)
    uow.session.execute(stmt)


def forecast_kpi(
    *, uow: UnitOfWork, kpi: Kpi, period_start: date, period_end: date, today: date
) -> KpiForecast | None:
    """Forecast the KPI's open period ``period_start``..``period_end`` as of ``today``."""
    first = today - timedelta(days=projection.WINDOW_DAYS - 1)
    history = daily_history(uow=uow, kpi=kpi, first=first, last=today)
    ratio = kpi.aggregation == "ratio"
    result = projection.project(
        aggregation=kpi.aggregation,
        history=history[kpi.numerator_key if ratio else kpi.metric_key],
        denominator=history[kpi.denominator_key] if ratio else None,
        period=projection.Period(period_start, period_end, today),
        target=float(kpi.target),
        direction=kpi.direction,
        seed=seed_for(kpi.id, period_start),
    )
    previous = uow.session.scalar(
        select(KpiForecast.probability).where(
            KpiForecast.kpi_id == kpi.id, KpiForecast.period_start == period_start
        )
    )
    row = {
        "id": new_id(),
        "organisation_id": kpi.organisation_id,
        "kpi_id": kpi.id,
        "period_start": period_start,
        "period_end": period_end,
        "as_of": today,
        "target": float(kpi.target),
        **{name: getattr(result, name) for name in FIGURES},
        "method": result.method,
        "history_days": result.history_days,
        "reason": result.reason,
        "answer": projection.answer(result, target=float(kpi.target), what=_what(kpi)),
        "computed_at": utcnow(),
    }
    _upsert(uow, row)
    if crossed(previous, result.probability, kpi.forecast_alert_probability):
        events.emit(
            uow=uow,
            type="kpi.forecast_changed",
            payload={
                "kpi_id": kpi.id,
                "name": kpi.name,
                "period_start": period_start,
                "period_end": period_end,
                "threshold": kpi.forecast_alert_probability,
                "previous_probability": previous,
                "probability": result.probability,
                "projected": result.projected,
                "lower80": result.lower80,
                "upper80": result.upper80,
                "lower95": result.lower95,
                "upper95": result.upper95,
                "target": float(kpi.target),
                "answer": row["answer"],
            },
            organisation_id=kpi.organisation_id,
        )
    return result


def crossed(previous: float | None, current: float | None, threshold: float | None) -> bool:
    """Whether the probability moved across ``threshold`` (either way) between two forecasts.

    A first forecast, or one with no probability, crosses nothing: the alert is about a
    change, and "no forecast" is not a change of outlook.
    """
    if threshold is None or previous is None or current is None:
        return False
    return (previous >= threshold) != (current >= threshold)


def _what(kpi: Kpi) -> str:
    # The ratio's two keys make a poor noun; its figure stands alone.
    return "" if kpi.aggregation == "ratio" else (kpi.metric_key or "").replace("_", " ")


def _upsert(uow: UnitOfWork, row: dict) -> None:
    dialect = uow.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(KpiForecast)
    stmt = stmt.on_conflict_do_update(
        index_elements=[KpiForecast.organisation_id, KpiForecast.kpi_id, KpiForecast.period_start],
        set_={name: stmt.excluded[name] for name in row if name not in ("id", "kpi_id")},
    )
    uow.session.execute(tenancy.statement(stmt, organisation_id=row["organisation_id"]), [row])


# Reading


def forecasts_of(*, uow: UnitOfWork, kpi_ids: list[uuid.UUID], since: date | None = None) -> dict:
    """(KPI id, period start) → its stored forecast, in one query."""
    if not kpi_ids:
        return {}
    stmt = select(KpiForecast).where(KpiForecast.kpi_id.in_(kpi_ids))
    if since is not None:
        stmt = stmt.where(KpiForecast.period_start >= since)
    return {(f.kpi_id, f.period_start): f for f in uow.session.scalars(stmt)}


def current_forecast(*, uow: UnitOfWork, kpi_id: uuid.UUID) -> KpiForecast:
    """The KPI's forecast of its open period (the newest the rollups kept)."""
    kpi = tenancy.get(uow.session, Kpi, kpi_id, what="KPI")
    found = uow.session.scalars(
        select(KpiForecast)
        .where(KpiForecast.kpi_id == kpi.id)
        .order_by(KpiForecast.period_start.desc())
        .limit(1)
    ).first()
    if found is None:
        raise NotFound(f"KPI {kpi_id} has no forecast yet")
    return found
