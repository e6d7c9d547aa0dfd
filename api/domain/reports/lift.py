"""Lift: is a metric up in a window against a baseline window before it?

"Do you see a lift in customer interactions?" answered with the figures behind
the answer: the metric's daily average in each window, the absolute and the
relative lift, and a sentence a person can read.

What is compared follows the metric's behaviour: a flow's total per day of the
window; a level's (followers') average level, per channel over the days it was
measured, summed across channels (a level is never summed over days); a ratio's
mean of its points.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, select

from api.domain import tenancy
from api.domain.campaigns.models import Campaign
from api.domain.channels.models import Channel
from api.domain.errors import NotFound, RuleViolation
from api.domain.metrics import overlap
from api.domain.metrics.definitions import Definition, get_definition
from api.domain.metrics.models import MetricPoint
from api.domain.reports import rates
from api.domain.reports.window import Window, baseline_before, window
from api.domain.uow import UnitOfWork

VERDICTS = ("lift", "no_lift", "not_enough_data")


@dataclass(frozen=True)
class WindowFigures:
    start: date
    end: date
    days: int
    points: int
    days_with_data: int
    total: float | None  # None for ratios and levels, which do not add up over days
    daily_average: rates.Figure


@dataclass(frozen=True)
class LiftReport:
    metric: str
    metric_name: str
    kind: str
    behaviour: str | None
    unit: str
    campaign_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    baseline_default: bool
    window: WindowFigures
    baseline: WindowFigures
    absolute_lift: rates.Figure
    relative_lift: rates.Figure
    verdict: str
    answer: str


def lift_report(
    *,
    uow: UnitOfWork,
    metric: str,
    day_from: date,
    day_to: date,
    baseline_from: date | None = None,
    baseline_to: date | None = None,
    campaign_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
) -> LiftReport:
    current = window(day_from, day_to)
    baseline = _baseline(current, baseline_from, baseline_to)
    if campaign_id is not None and channel_id is not None:
        raise RuleViolation(
            "one of campaign or channel",
            errors={"channel_id": ["Give campaign_id or channel_id, not both."]},
        )
    definition = metric_definition(uow=uow, key=metric)
    scope = ""
    if campaign_id is not None:
        campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
        scope = f" for the campaign {campaign.name}"
    if channel_id is not None:
        scope = f" on {tenancy.get(uow.session, Channel, channel_id, what='channel').name}"

    now, before = _figures(uow, definition, current, baseline, campaign_id, channel_id)
    change = rates.lift(current=now.daily_average, baseline=before.daily_average)
    verdict = verdict_of(change)
    return LiftReport(
        metric=definition.key,
        metric_name=definition.name,
        kind=definition.kind,
        behaviour=definition.behaviour,
        unit=definition.unit,
        campaign_id=campaign_id,
        channel_id=channel_id,
        baseline_default=baseline_from is None,
        window=now,
        baseline=before,
        absolute_lift=change.absolute,
        relative_lift=change.relative,
        verdict=verdict,
        answer=answer(
            name=definition.name,
            scope=scope,
            kind=definition.kind if definition.behaviour != "level" else "level",
            current=now,
            baseline=before,
            change=change,
        ),
    )


def _baseline(current: Window, start: date | None, end: date | None) -> Window:
    if start is None and end is None:
        return baseline_before(current)
    if start is None or end is None:
        missing = "baseline_from" if start is None else "baseline_to"
        raise RuleViolation(
            "half a baseline window",
            errors={missing: ["Give baseline_from and baseline_to together, or neither."]},
        )
    baseline = window(start, end, names=("baseline_from", "baseline_to"))
    if baseline.start <= current.end and current.start <= baseline.end:
        raise RuleViolation(
            "the baseline window overlaps the window",
            errors={"baseline_to": ["The baseline window must not overlap from..to."]},
        )
    return baseline


def metric_definition(*, uow: UnitOfWork, key: str) -> Definition:
    """The metric's definition; a rule violation on `metric`, naming the key, when none."""
    try:
        return get_definition(uow=uow, key=key)
    except NotFound:
        raise RuleViolation(
            f"metric key {key!r} is not defined",
            errors={"metric": ["Not a built-in or organisation metric key."]},
        ) from None


def _figures(
    uow: UnitOfWork,
    definition: Definition,
    current: Window,
    baseline: Window,
    campaign_id: uuid.UUID | None,
    channel_id: uuid.UUID | None,
) -> tuple[WindowFigures, WindowFigures]:
    """Both windows' aggregates in one statement, one FILTERed aggregate per figure."""

    def aggregates(w: Window):
        inside = MetricPoint.day.between(w.start, w.end)
        return (
            func.coalesce(func.sum(MetricPoint.value).filter(inside), 0.0),
            func.count(MetricPoint.id).filter(inside),
            func.count(distinct(MetricPoint.day)).filter(inside),
            func.avg(MetricPoint.value).filter(inside),
        )

    where = [
        MetricPoint.metric_key == definition.key,
        MetricPoint.day.between(current.start, current.end)
        | MetricPoint.day.between(baseline.start, baseline.end),
        *overlap.counted(campaign_id=campaign_id),
    ]
    if campaign_id is not None:
        where.append(MetricPoint.campaign_id == campaign_id)
    if channel_id is not None:
        where.append(MetricPoint.channel_id == channel_id)
    row = uow.session.execute(
        select(*aggregates(current), *aggregates(baseline)).where(*where)
    ).one()
    levels = (None, None)
    if definition.behaviour == "level":
        levels = _average_levels(uow, where, current, baseline)
    return (
        _window_figures(definition, current, *row[:4], level=levels[0]),
        _window_figures(definition, baseline, *row[4:], level=levels[1]),
    )


def _average_levels(uow: UnitOfWork, where: list, *windows: Window) -> tuple:
    """Per window: each channel's average level over its days with data, summed across channels."""

    def average(w: Window):
        inside = MetricPoint.day.between(w.start, w.end)
        return func.sum(MetricPoint.value).filter(inside) / func.nullif(
            func.count(distinct(MetricPoint.day)).filter(inside), 0
        )

    # One row per channel, summed here: an outer SELECT over a subquery would have no
    # ORM entity of its own, and the tenancy criteria would not reach inside it.
    per_channel = uow.session.execute(
        select(*(average(w) for w in windows)).where(*where).group_by(MetricPoint.channel_id)
    ).all()
    levels: list[float | None] = [None] * len(windows)
    for row in per_channel:
        for i, value in enumerate(row):
            if value is not None:
                levels[i] = (levels[i] or 0.0) + float(value)
    return tuple(levels)


def _window_figures(
    definition: Definition, w: Window, total, points, days_with_data, mean, *, level
) -> WindowFigures:
    total = float(total)
    adds_up = definition.kind != "ratio" and definition.behaviour != "level"
    return WindowFigures(
        start=w.start,
        end=w.end,
        days=w.days,
        points=points,
        days_with_data=days_with_data,
        total=total if adds_up else None,
        daily_average=rates.daily_average(
            total=total,
            days=w.days,
            points=points,
            kind=definition.kind,
            mean=None if mean is None else float(mean),
            behaviour=definition.behaviour,
            level=level,
        ),
    )


def verdict_of(change: rates.Lift) -> str:
    if change.absolute.value is None:
        return "not_enough_data"
    return "lift" if change.absolute.value > 0 else "no_lift"


def answer(
    *,
    name: str,
    kind: str,
    current: WindowFigures,
    scope: str = "",
    baseline: WindowFigures,
    change: rates.Lift,
) -> str:
    """The question "do you see a lift in <metric>?" answered in one sentence."""
    subject = subject_words(name) + scope
    verb = "are" if name.split(" ")[-1].endswith("s") else "is"
    if change.absolute.value is None:
        empty = current if current.daily_average.value is None else baseline
        which = "window" if empty is current else "baseline window"
        return (
            f"Not enough data: nothing recorded for {subject} from {empty.start} to "
            f"{empty.end} (the {which})."
        )
    now, before = current.daily_average.value, baseline.daily_average.value
    # Ratios and levels are averages, not amounts a day.
    per = " on average" if kind in ("ratio", "level") else " a day"
    figures = (
        f"({figure(now)}{per} from {current.start} to {current.end} against "
        f"{figure(before)}{per} from {baseline.start} to {baseline.end})"
    )
    relative = change.relative.value
    if change.absolute.value > 0:
        if relative is None:
            return f"Yes: {subject} {verb} up from {figure(before)} {figures}."
        return f"Yes: {subject} {verb} up {percentage(relative)} {figures}."
    if change.absolute.value == 0:
        return f"No lift: {subject} {verb} unchanged {figures}."
    if relative is None:
        return f"No lift: {subject} {verb} down from {figure(before)} {figures}."
    return f"No lift: {subject} {verb} down {percentage(relative)} {figures}."


def subject_words(name: str) -> str:
    """ "Customer interactions" → "customer interactions"; "NPS" stays "NPS"."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def figure(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.2f}".rstrip("0").rstrip(".") or "0"


def percentage(fraction: float) -> str:
    p = abs(fraction) * 100
    if p < 0.1:
        return "less than 0.1 %"
    if p >= 10:
        return f"{p:,.0f} %"
    return f"{p:.1f}".rstrip("0").rstrip(".") + " %"
