"""Pure formulas of the channel and share-of-voice reports: rates, shares, costs, trends.

A figure that would divide by zero is ``None`` with a reason saying why, never an
error and never infinity. Rates are always a ratio of sums (never an average of
averages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from api.domain import money
from api.domain.reports import budgets
from api.domain.reports.figures import Figure
from api.domain.reports.window import Window

K = TypeVar("K")


def ratio(numerator: float | None, denominator: float | None, *, missing: str) -> Figure:
    """``numerator / denominator``; ``missing`` says why when the denominator is 0 or absent."""
    if numerator is None or not denominator:
        return Figure(None, missing)
    return Figure(numerator / denominator)


def engagement_rate(*, engagements: float, reach: float) -> Figure:
    """Engagements per person reached (or per impression where reach is not known)."""
    return ratio(engagements, reach, missing="no reach or impressions in the window")


def cost_per_lead(*, cost: Decimal | float | None, leads: float) -> Figure:
    """Money per lead: ``Decimal``."""
    if cost is None:
        return Figure(None, "no cost: no cost points and no campaign budget in the window")
    if not leads:
        return Figure(None, "no leads in the window")
    return Figure(money.amount(cost) / money.amount(leads))


def share_of_total(part: float, total: float, *, what: str) -> Figure:
    """``part``'s share of ``total`` (0.25 is 25 %)."""
    return ratio(part, total, missing=f"no {what} in the window")


def shares_of_total(parts: Mapping[K, float], *, what: str) -> dict[K, Figure]:
    """Each part's share of the sum of the parts; they add up to 1 when the sum is not 0."""
    total = sum(parts.values())
    return {key: share_of_total(value, total, what=what) for key, value in parts.items()}


def company_share(*, company: float, competitor: float) -> Figure:
    """Share of voice: the company's mentions among its own and its competitors'."""
    return ratio(company, company + competitor, missing="no company or competitor mentions")


def average_sentiment(*, score_sum: float, mentions: float) -> Figure:
    """The mean sentiment of the company's mentions: their score sum over their count."""
    return ratio(score_sum, mentions, missing="no company mentions")


def budget_share(
    *,
    budget: Decimal | float,
    channels: int,
    start: date,
    end: date,
    window_start: date,
    window_end: date,
) -> Decimal:
    """A channel's part of one campaign's budget spent in the window.

    The campaign's budget in the window (``budgets.budget_in_window``, the rule every
    report uses) split evenly across its channels.
    """
    charged = budgets.budget_in_window(
        budget=budget, start=start, end=end, window=Window(window_start, window_end)
    )
    if charged.value is None or channels <= 0:
        return Decimal(0)
    return charged.value / channels


@dataclass(frozen=True)
class Trend:
    """How a series of period values moves.

    slope: the slope of the least-squares line through the periods that have a
    value, per period (x is the period's position, so gaps keep their width).
    change: the last value minus the first.
    """

    slope: Figure
    change: Figure
    periods_used: int


def trend(values: Sequence[float | None]) -> Trend:
    points = [(x, y) for x, y in enumerate(values) if y is not None]
    if len(points) < 2:
        reason = "fewer than two periods with a value"
        return Trend(Figure(None, reason), Figure(None, reason), len(points))
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return Trend(Figure(slope), Figure(points[-1][1] - points[0][1]), n)
