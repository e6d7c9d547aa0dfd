"""Where an open period will end: pure functions from a KPI's daily history to a projection.

The model is statsmodels' ``UnobservedComponents``: a local linear trend (a
level and a slope that may both drift) plus a fixed weekly season, fitted by
maximum likelihood with the Kalman filter. It was chosen over exponential
smoothing (``ETSModel``, Holt-Winters) after measuring both on simulated series:
their ``simulate`` starts every path from the *estimated* last state as if it
were known, so the interval of a 30-day sum left out the uncertainty of the
level itself and covered the truth in about half of the cases meant to be 80 %.
``UnobservedComponents.simulate`` draws each path's starting state from the
filter's distribution of it, and its 80 % interval of a sum covered the truth in
80-85 % of the cases. Paths are simulated whole, so the interval of a period's
sum (or mean, or ratio of two sums) is that of the sum, not of each day.

Below ``WEEKLY_DAYS`` of history there are too few weeks for a season: the
plain fallback is the mean daily rate of the recent days with a normal interval
that counts the uncertainty of the mean itself (``mean_rate``), or for a level
its last value moving as a random walk (``random_walk``). Below ``MIN_DAYS``
there is no forecast, only the reason.

Every outcome is a share of ``PATHS`` simulated outcomes: the projection is
their median, the intervals their central 80 % and 95 %, the probability the
share that reaches the target (below it for ``decrease`` KPIs). A seed per KPI
and period makes the same history give the same forecast.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

MIN_DAYS = 7
WEEKLY_DAYS = 21  # three weeks: enough to tell a weekly rhythm from noise
WINDOW_DAYS = 84  # twelve weeks: the recent rhythm and trend, and a bounded fit
RECENT_DAYS = 14  # the fallback's mean daily rate is that of the last two weeks
PATHS = 1000


@dataclass(frozen=True)
class Projection:
    """A period's projected outcome; figures are None when ``reason`` says why."""

    method: str | None
    history_days: int
    projected: float | None = None
    lower80: float | None = None
    upper80: float | None = None
    lower95: float | None = None
    upper95: float | None = None
    probability: float | None = None
    reason: str | None = None


def no_forecast(reason: str, history_days: int = 0) -> Projection:
    return Projection(method=None, history_days=history_days, reason=reason)


# Daily series


def daily(history: Mapping[date, float], first: date, last: date, *, fill: str) -> np.ndarray:
    """The days ``first``..``last`` as an array: a missing day is 0 for a flow (``zero``),
    the previous day's value for a level (``previous``)."""
    days = (last - first).days + 1
    out = np.zeros(max(days, 0))
    previous = 0.0
    for i in range(days):
        value = history.get(first + timedelta(days=i))
        if value is None:
            value = previous if fill == "previous" else 0.0
        out[i] = previous = value
    return out


# Simulated paths


def simulate(y: np.ndarray, horizon: int, rng: np.random.Generator, *, level: bool = False):
    """(method, paths of shape (horizon, PATHS)) continuing the daily series ``y``."""
    if horizon <= 0:
        return "observed", np.zeros((0, PATHS))
    if np.ptp(y) == 0:
        return "constant", np.full((horizon, PATHS), float(y[-1]))
    if len(y) >= WEEKLY_DAYS:
        paths = _structural(y, horizon, rng)
        if paths is not None:
            return "local_trend_weekly", paths
    if level:
        steps = np.diff(y[-RECENT_DAYS:])
        scale = float(np.std(steps, ddof=1)) if len(steps) > 1 else 0.0
        walk = np.cumsum(rng.normal(0.0, scale, (horizon, PATHS)), axis=0)
        return "random_walk", y[-1] + walk
    recent = y[-RECENT_DAYS:]
    mean, sd = float(np.mean(recent)), float(np.std(recent, ddof=1))
    # Each path draws its own daily rate: the mean of a few days is itself uncertain.
    rates = mean + rng.normal(0.0, sd / math.sqrt(len(recent)), PATHS)
    return "mean_rate", rates + rng.normal(0.0, sd, (horizon, PATHS))


def _structural(y: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray | None:
    # Imported when first needed: statsmodels takes a second to import, which the API's
    # start (it never forecasts) should not pay.
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    try:
        with warnings.catch_warnings():
            # Convergence warnings on short or flat stretches; the fit is still usable.
            warnings.simplefilter("ignore")
            fitted = UnobservedComponents(
                y,
                level="local linear trend",
                freq_seasonal=[{"period": 7, "harmonics": 3}],
                stochastic_freq_seasonal=[False],
            ).fit(disp=False)
            paths = fitted.simulate(horizon, anchor="end", repetitions=PATHS, rng=rng)
    except (ValueError, np.linalg.LinAlgError):
        return None
    paths = np.asarray(paths, dtype=float).reshape(horizon, PATHS)
    return paths if np.isfinite(paths).all() else None


# Outcomes of a period


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    as_of: date  # the last observed day (today): later days are forecast

    @property
    def remaining(self) -> int:
        return max((self.end - self.as_of).days, 0)


def project(
    *,
    aggregation: str,
    history: Mapping[date, float],
    period: Period,
    target: float,
    direction: str,
    seed: int,
    denominator: Mapping[date, float] | None = None,
) -> Projection:
    """Project the KPI's figure for ``period`` from its daily history (day → value).

    ``sum``: the days observed so far plus the forecast days; ``avg``: the mean per
    day with data; ``last`` (a level): the value on the period's last day;
    ``ratio``: the ratio of the two summed flows, ``history`` over ``denominator``.
    """
    rng = np.random.default_rng(seed)
    known = [d for d in history if d <= period.as_of]
    if aggregation == "ratio":
        known += [d for d in (denominator or {}) if d <= period.as_of]
    if not known:
        return no_forecast("no metric points yet")
    first = max(min(known), period.as_of - timedelta(days=WINDOW_DAYS - 1))
    span = (period.as_of - first).days + 1
    if aggregation == "avg":
        # An average is over the days with data: the series is those days, in order.
        days = sorted(d for d in known if d >= first)
        span = len(days)
    if span < MIN_DAYS:
        return no_forecast(
            f"only {span} day(s) of history; a forecast needs at least {MIN_DAYS}", span
        )
    h = period.remaining
    if aggregation == "sum":
        y = daily(history, first, period.as_of, fill="zero")
        method, paths = simulate(y, h, rng)
        observed = _observed_sum(history, period)
        outcomes = observed + np.clip(paths, 0, None).sum(axis=0)
    elif aggregation == "avg":
        y = np.array([history[d] for d in days])
        method, paths = simulate(y, h, rng)
        seen = [v for d, v in history.items() if period.start <= d <= period.as_of]
        outcomes = (sum(seen) + paths.sum(axis=0)) / (len(seen) + h)
    elif aggregation == "last":
        y = daily(history, first, period.as_of, fill="previous")
        method, paths = simulate(y, h, rng, level=True)
        outcomes = paths[-1] if h else np.full(PATHS, y[-1])
    elif aggregation == "ratio":
        top = daily(history, first, period.as_of, fill="zero")
        bottom = daily(denominator or {}, first, period.as_of, fill="zero")
        method, top_paths = simulate(top, h, rng)
        _, bottom_paths = simulate(bottom, h, rng)
        num = _observed_sum(history, period) + np.clip(top_paths, 0, None).sum(axis=0)
        den = _observed_sum(denominator or {}, period) + np.clip(bottom_paths, 0, None).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            outcomes = np.where(den > 0, num / den, np.nan)
        outcomes = outcomes[np.isfinite(outcomes)]
        if len(outcomes) < PATHS // 2:
            return no_forecast("the denominator is projected to stay at zero", span)
    else:
        raise ValueError(f"unknown aggregation {aggregation!r}")
    return _summary(outcomes, method, span, target=target, direction=direction)


def _observed_sum(history: Mapping[date, float], period: Period) -> float:
    return float(sum(v for d, v in history.items() if period.start <= d <= period.as_of))


def _summary(outcomes: np.ndarray, method: str, span: int, *, target: float, direction: str):
    q = np.quantile(outcomes, [0.025, 0.1, 0.5, 0.9, 0.975])
    reaching = outcomes <= target if direction == "decrease" else outcomes >= target
    return Projection(
        method=method,
        history_days=span,
        projected=float(q[2]),
        lower80=float(q[1]),
        upper80=float(q[3]),
        lower95=float(q[0]),
        upper95=float(q[4]),
        probability=float(np.mean(reaching)),
    )


# In plain words


def figure(value: float) -> str:
    """1,340 for counts; three significant digits for small figures (0.0342)."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def answer(projection: Projection, *, target: float, what: str) -> str:
    """ "projected 1,340 leads (80 % interval 1,180–1,510) against a target of 1,500: 22 %
    chance of making it", or why there is no forecast."""
    if projection.projected is None:
        return f"no forecast: {projection.reason}"
    chance = round(100 * projection.probability)
    return (
        f"projected {figure(projection.projected)}{' ' + what if what else ''} (80 % interval "
        f"{figure(projection.lower80)}–{figure(projection.upper80)}) against a target of "
        f"{figure(target)}: {chance} % chance of making it"
    )
