"""Causal lift: did the campaign (or what was done on a channel) cause the change?

The lift report compares a window with a baseline window, so seasonality, trend
and chance count as effect. This report compares the period with a
*counterfactual*: what the metric would have done without the intervention,
estimated from its pre-period and from control series (``causal_model``).

- **Series**: the metric's daily values on the channel, or on the campaign's channels
  (what it acted on: their totals, before and during it; the campaign's own points
  exist only while it runs), and each control's, from ``pre_from`` to ``to``: flows
  and levels add up per day (a day without points is 0 for a flow and missing for a
  level), ratios average. The overlap rules apply (``overlap``): a channel's series is
  its totals, its posts' synced points left out.
- **Controls**: the user's (a channel id: that channel's same metric; a metric key:
  that metric over the organisation's channels), at most ``MAX_CONTROLS``; by default
  the organisation's other channels' same metric (for a campaign: the channels it
  is not on), those whose pre-period correlation with the metric is at least
  ``MIN_CORRELATION``, the ``MAX_CONTROLS`` best by correlation. No default control
  qualifying, the counterfactual comes from the pre-period alone (and says so).
- **Too little data**: points on fewer than ``MIN_PRE_DAYS_WITH_DATA`` days of the
  pre-period, or on no day of the period, give reasons instead of figures (zeros filled
  in for a flow's empty days would otherwise teach the model a quiet metric).
- **Figures** are per day (the period's average effect), as the lift report's daily
  averages, plus the total for flows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import func, select

from api.domain import tenancy
from api.domain.bounds import MIN_DAY
from api.domain.campaigns.models import Campaign, CampaignChannel
from api.domain.channels.models import Channel
from api.domain.errors import RuleViolation
from api.domain.metrics import overlap
from api.domain.metrics.definitions import Definition
from api.domain.metrics.models import MetricPoint
from api.domain.reports import causal_model, lift
from api.domain.reports.causal_answer import answer, assumptions
from api.domain.reports.causal_model import MIN_CORRELATION, CausalFit
from api.domain.reports.figures import Figure
from api.domain.reports.window import MAX_DAYS, Window, window
from api.domain.uow import UnitOfWork

MAX_CONTROLS = 5
VERDICTS = ("lift", "drop", "no_clear_effect", "not_enough_data")
# The default pre-period: this many times the period, at least ``MIN_DEFAULT_PRE`` days
# and at most the longest window (5 years).
PRE_FACTOR, MIN_DEFAULT_PRE = 3, 28
# Days with points the pre-period needs (besides its length, see ``causal_model``).
MIN_PRE_DAYS_WITH_DATA = causal_model.MIN_PRE_DAYS


@dataclass(frozen=True)
class Control:
    kind: str  # channel or metric
    name: str
    channel_id: uuid.UUID | None
    metric: str
    correlation: float | None  # in the pre-period


@dataclass(frozen=True)
class Day:
    day: date
    in_period: bool
    actual: float | None
    counterfactual: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class CausalLiftReport:
    metric: str
    metric_name: str
    kind: str
    behaviour: str | None
    unit: str
    campaign_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    period: Window
    pre_period: Window
    pre_period_default: bool
    controls_default: bool
    controls: list[Control]
    actual: Figure  # the period's daily average
    counterfactual: Figure
    absolute_lift: Figure  # a day, on average over the period
    absolute_lift_lower: Figure
    absolute_lift_upper: Figure
    total_lift: Figure  # over the period; flows only
    relative_lift: Figure
    relative_lift_lower: Figure
    relative_lift_upper: Figure
    probability: Figure  # of a causal effect
    verdict: str
    answer: str
    assumptions: list[str] = field(default_factory=list)
    days: list[Day] = field(default_factory=list)


def periods(
    day_from: date, day_to: date, pre_from: date | None, pre_to: date | None
) -> tuple[Window, Window, bool]:
    """The period, the pre-period (given, or the default before it), and whether defaulted."""
    period = window(day_from, day_to)
    if pre_from is None and pre_to is None:
        days = min(max(PRE_FACTOR * period.days, MIN_DEFAULT_PRE), MAX_DAYS)
        start = period.start - timedelta(days=days)
        if start < MIN_DAY:
            raise RuleViolation(
                "the default pre-period starts before the first day",
                errors={
                    "from": [
                        f"The pre-period (the {days} days before) would start before "
                        f"{MIN_DAY.isoformat()}; give pre_from and pre_to."
                    ]
                },
            )
        return period, Window(start, period.start - timedelta(days=1)), True
    if pre_from is None or pre_to is None:
        missing = "pre_from" if pre_from is None else "pre_to"
        raise RuleViolation(
            "half a pre-period",
            errors={missing: ["Give pre_from and pre_to together, or neither."]},
        )
    pre = window(pre_from, pre_to, names=("pre_from", "pre_to"))
    if pre.end >= period.start:
        raise RuleViolation(
            "the pre-period does not end before the period",
            errors={"pre_to": ["The pre-period must end before from."]},
        )
    return period, pre, False


def causal_lift_report(
    *,
    uow: UnitOfWork,
    metric: str,
    day_from: date,
    day_to: date,
    pre_from: date | None = None,
    pre_to: date | None = None,
    campaign_id: uuid.UUID | None = None,
    channel_id: uuid.UUID | None = None,
    controls: list[str] | None = None,
) -> CausalLiftReport:
    period, pre, pre_default = periods(day_from, day_to, pre_from, pre_to)
    if (campaign_id is None) == (channel_id is None):
        raise RuleViolation(
            "exactly one of campaign or channel",
            errors={"campaign_id": ["Give campaign_id or channel_id (exactly one)."]},
        )
    if controls is not None and len(controls) > MAX_CONTROLS:
        raise RuleViolation(
            "too many controls", errors={"controls": [f"At most {MAX_CONTROLS} controls."]}
        )
    definition = lift.metric_definition(uow=uow, key=metric)
    if campaign_id is not None:
        campaign = tenancy.get(uow.session, Campaign, campaign_id, what="campaign")
        scope = f" for the campaign {campaign.name}"
        untouchable = set(
            uow.session.scalars(
                select(CampaignChannel.channel_id).where(CampaignChannel.campaign_id == campaign_id)
            )
        )
    else:
        scope = f" on {tenancy.get(uow.session, Channel, channel_id, what='channel').name}"
        untouchable = {channel_id}
    days = [pre.start + timedelta(days=i) for i in range(pre.days + period.days)]
    # What the campaign acted on is its channels: their totals, before and during it
    # (its own points exist only while it runs, so they have no pre-period).
    treated = sorted(untouchable, key=str)
    measured = _by(uow, definition, days, [MetricPoint.channel_id.in_(treated)], None)[None]
    split = pre.days
    y = _filled(definition, measured)
    if controls:
        chosen, x = _given_controls(uow, definition, days, controls, untouchable)
    else:
        chosen, x = _default_controls(uow, definition, days, untouchable, y[:split])
    seen_pre, seen = (
        int(np.isfinite(measured[:split]).sum()),
        int(np.isfinite(measured[split:]).sum()),
    )
    too_short = split < causal_model.MIN_PRE_DAYS  # the model says so, with the lengths
    if not treated:
        fit = CausalFit.refused("The campaign is on no channel: there is no series to compare.")
    elif not too_short and (seen_pre < MIN_PRE_DAYS_WITH_DATA or seen == 0):
        # Zeros filled in for days without points would teach the model a quiet metric.
        fit = CausalFit.refused(
            f"Too little data: points on {seen_pre} days of the pre-period (at least "
            f"{MIN_PRE_DAYS_WITH_DATA} needed) and on {seen} days of the period (at least 1)."
        )
    else:
        fit = causal_model.causal_fit(
            y[:split],
            y[split:],
            None if x is None else x[:split],
            None if x is None else x[split:],
            control_names=tuple(c.name for c in chosen),
        )
    if fit.correlations:
        chosen = [
            Control(c.kind, c.name, c.channel_id, c.metric, round(r, 4))
            for c, r in zip(chosen, fit.correlations, strict=True)
        ]
    return _report(
        definition, scope, period, pre, pre_default, not controls, chosen, y, days, fit,
        campaign_id=campaign_id, channel_id=channel_id,
    )  # fmt: skip


def _by(uow, definition: Definition, days, where, group, *, campaign_id=None) -> dict:
    """One grouped query: ``{group value: daily values}`` over ``days``, NaN without points.

    ``group`` None: one series, under the key None, even without any point.
    """
    value = func.avg if definition.kind == "ratio" else func.sum
    groups = [] if group is None else [group]
    rows = uow.session.execute(
        select(*groups, MetricPoint.day, value(MetricPoint.value))
        .where(
            MetricPoint.metric_key == definition.key,
            MetricPoint.day.between(days[0], days[-1]),
            *overlap.counted(campaign_id=campaign_id),
            *where,
        )
        .group_by(*groups, MetricPoint.day)
    )
    index = {d: i for i, d in enumerate(days)}
    out: dict = {} if group is not None else {None: np.full(len(days), np.nan)}
    for row in rows:
        key = row[0] if group is not None else None
        series = out.setdefault(key, np.full(len(days), np.nan))
        series[index[row[-2]]] = float(row[-1])
    return out


def _default_controls(uow, definition, days, untouchable, y_pre):
    """The other channels' same metric that track it best (see the module)."""
    names = dict(
        uow.session.execute(
            select(Channel.id, Channel.name).where(Channel.id.not_in(untouchable))
        ).all()
    )
    if not names:
        return [], None
    series = _by(uow, definition, days, [MetricPoint.channel_id.in_(names)], MetricPoint.channel_id)
    ranked = []
    for channel_id, measured in series.items():
        values = _filled(definition, measured)
        if not np.all(np.isfinite(values)):
            continue  # a level or ratio with days unmeasured cannot be a regressor
        (r,) = causal_model.correlations(y_pre, values[: len(y_pre), None])
        if abs(r) >= MIN_CORRELATION:
            ranked.append((-abs(r), str(channel_id), channel_id, values))
    ranked = sorted(ranked)[:MAX_CONTROLS]
    if not ranked:
        return [], None
    chosen = [Control("channel", names[cid], cid, definition.key, None) for _, _, cid, _ in ranked]
    return chosen, np.column_stack([values for *_, values in ranked])


def _given_controls(uow, definition, days, controls, untouchable):
    """The user's controls: a channel id (the same metric there) or a metric key."""
    chosen, columns = [], []
    channel_ids, keys = [], []
    for i, control in enumerate(dict.fromkeys(controls)):
        try:
            channel_ids.append(uuid.UUID(control))
        except ValueError:
            try:
                keys.append(lift.metric_definition(uow=uow, key=control))
            except RuleViolation:
                raise RuleViolation(
                    f"control {control!r} is neither a channel id nor a metric key",
                    errors={"controls": [f"Item {i}: not a channel id or a metric key."]},
                ) from None
        else:
            if channel_ids[-1] in untouchable:
                raise RuleViolation(
                    "a control the intervention touched",
                    errors={
                        "controls": [f"Item {i}: the campaign or channel itself is no control."]
                    },
                )
    if channel_ids:
        channels = {c: tenancy.get(uow.session, Channel, c, what="channel") for c in channel_ids}
        series = _by(
            uow, definition, days, [MetricPoint.channel_id.in_(channel_ids)], MetricPoint.channel_id
        )
        for c in channel_ids:
            chosen.append(Control("channel", channels[c].name, c, definition.key, None))
            columns.append(_filled(definition, series.get(c, np.full(len(days), np.nan))))
    for other in keys:
        chosen.append(Control("metric", other.name, None, other.key, None))
        columns.append(_filled(other, _by(uow, other, days, [], None)[None]))
    return chosen, np.column_stack(columns)


def _filled(definition: Definition, values: np.ndarray) -> np.ndarray:
    """A flow's days without points are days of 0; a level's or ratio's stay unmeasured."""
    if definition.kind == "ratio" or definition.behaviour == "level":
        return values
    return np.nan_to_num(values, nan=0.0)


def _report(
    definition, scope, period, pre, pre_default, controls_default, chosen, y, days, fit,
    *, campaign_id, channel_id,
) -> CausalLiftReport:  # fmt: skip
    split, n = pre.days, period.days
    adds_up = definition.kind != "ratio" and definition.behaviour != "level"
    if fit.reason is not None:
        missing = Figure.missing(fit.reason)
        figures = dict.fromkeys(FIGURES, missing)
        actual = float(np.mean(y[split:])) if np.all(np.isfinite(y[split:])) else None
        figures["actual"] = Figure(actual) if actual is not None else missing
        verdict = "not_enough_data"
    else:
        a, r = fit.absolute, fit.relative
        rel = (
            dict(relative_lift=Figure(r.value), relative_lift_lower=Figure(r.lower),
                 relative_lift_upper=Figure(r.upper))
            if r is not None else dict.fromkeys(RELATIVE, Figure.missing(fit.relative_reason))
        )  # fmt: skip
        figures = dict(
            actual=Figure(fit.actual_sum / n),
            counterfactual=Figure(fit.counterfactual_sum / n),
            absolute_lift=Figure(a.value / n),
            absolute_lift_lower=Figure(a.lower / n),
            absolute_lift_upper=Figure(a.upper / n),
            total_lift=Figure(a.value)
            if adds_up
            else Figure.missing("a ratio or level does not add up over days"),
            probability=Figure(fit.probability),
            **rel,
        )
        verdict = "lift" if a.lower > 0 else "drop" if a.upper < 0 else "no_clear_effect"
    series = [
        Day(
            day=d,
            in_period=i >= split,
            actual=None if not np.isfinite(y[i]) else float(y[i]),
            counterfactual=None if fit.predicted is None else float(fit.predicted[i]),
            lower=None if fit.lower is None else float(fit.lower[i]),
            upper=None if fit.upper is None else float(fit.upper[i]),
        )
        for i, d in enumerate(days)
    ]
    return CausalLiftReport(
        metric=definition.key,
        metric_name=definition.name,
        kind=definition.kind,
        behaviour=definition.behaviour,
        unit=definition.unit,
        campaign_id=campaign_id,
        channel_id=channel_id,
        period=period,
        pre_period=pre,
        pre_period_default=pre_default,
        controls_default=controls_default,
        controls=chosen,
        verdict=verdict,
        answer=answer(definition.name, scope, period, verdict, figures, fit),
        assumptions=assumptions(chosen, controls_default, adds_up),
        days=series,
        **figures,
    )


RELATIVE = ("relative_lift", "relative_lift_lower", "relative_lift_upper")
FIGURES = (
    "actual", "counterfactual", "absolute_lift", "absolute_lift_lower",
    "absolute_lift_upper", "total_lift", "probability", *RELATIVE,
)  # fmt: skip
