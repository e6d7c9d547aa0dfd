"""ROI arithmetic: pure functions over figures already summed by SQL.

A figure the inputs cannot support is ``None`` with a reason a person can read,
never a division by zero and never a silent 0. Money (costs, value, cost per lead
or engagement) is ``Decimal``; ROI is a ratio and stays a float.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from api.domain import money
from api.domain.reports.figures import Figure


@dataclass(frozen=True)
class Inputs:
    """What one campaign (or a total) cost and brought in the window.

    A metric is ``None`` when no point of it was sent, 0 when points add up to 0.
    """

    cost: Figure  # money, in ``cost_currency``
    cost_source: str | None  # cost_points, budget, or None
    cost_currency: str | None
    people_cost: Decimal  # priced hours × hourly cost, in the organisation's currency
    priced_hours: float
    unpriced_hours: float  # effort of items without an owner or whose owner has no hourly cost
    unpriced_items: int
    revenue: Decimal | None  # money, in the organisation's currency
    conversions: float | None
    leads: float | None
    engagements: float | None


@dataclass(frozen=True)
class Figures:
    inputs: Inputs
    value: Figure
    roi: Figure
    roi_with_people_time: Figure
    cost_per_lead: Figure
    cost_per_engagement: Figure


def money_cost(
    *,
    cost_points: Decimal | float | None,
    budget: Figure | None,
    budget_currency: str,
    currency: str,
) -> tuple[Figure, str | None, str | None]:
    """The money a campaign cost: its cost points when it has any, else its budget.

    ``budget`` is the campaign's budget charged to the window (``budgets.budget_in_window``),
    None when it has no budget. (cost, source, currency). Cost points are in the
    organisation's ``currency``.
    """
    if cost_points is not None:
        return Figure(money.amount(cost_points)), "cost_points", currency
    if budget is not None:
        return budget, "budget", budget_currency
    return Figure.missing("the campaign has no budget and no cost points in the window"), None, None


def attributed_value(
    inputs: Inputs, *, value_per_conversion: Decimal | float, value_per_lead: Decimal | float
) -> Figure:
    """revenue + conversions × value per conversion + leads × value per lead.

    Known when at least one part has data; a part without data counts as 0.
    """
    parts = [
        (inputs.revenue, 1),
        (inputs.conversions, value_per_conversion),
        (inputs.leads, value_per_lead),
    ]
    valued = [
        money.amount(count) * money.amount(rate)
        for count, rate in parts
        if count is not None and rate
    ]
    if not valued:
        return Figure.missing(
            "nothing to value: no revenue points, and no conversions or leads "
            "with a value per conversion or per lead"
        )
    return Figure(sum(valued))


def _cost_problem(cost: Figure, cost_currency: str | None, currency: str) -> str | None:
    if cost.value is None:
        return f"no cost: {cost.reason}"
    if cost_currency is not None and cost_currency != currency:
        return f"the cost is in {cost_currency}, the value in {currency}"
    return None


def return_on(value: Figure, cost: Decimal | float) -> Figure:
    """(value − cost) / cost: a ratio, so a float computed from exact amounts."""
    if value.value is None:
        return Figure.missing(f"no value: {value.reason}")
    if cost == 0:
        return Figure.missing("the cost is zero")
    cost = money.amount(cost)
    return Figure(float((money.amount(value.value) - cost) / cost))


def cost_per(cost: Decimal | float, count: float | None, what: str) -> Figure:
    """Money per lead or engagement: ``Decimal``."""
    if count is None:
        return Figure.missing(f"no {what} points in the window")
    if count == 0:
        return Figure.missing(f"zero {what} in the window")
    return Figure(money.amount(cost) / money.amount(count))


def figures(
    inputs: Inputs,
    *,
    currency: str,
    value_per_conversion: Decimal | float,
    value_per_lead: Decimal | float,
) -> Figures:
    """Value and ratios from one campaign's (or a total's) inputs."""
    value = attributed_value(
        inputs, value_per_conversion=value_per_conversion, value_per_lead=value_per_lead
    )
    problem = _cost_problem(inputs.cost, inputs.cost_currency, currency)
    if problem is not None:
        no = Figure.missing(problem)
        return Figures(inputs, value, no, no, no, no)
    cost = money.amount(inputs.cost.value)
    return Figures(
        inputs,
        value,
        roi=return_on(value, cost),
        roi_with_people_time=return_on(value, cost + money.amount(inputs.people_cost)),
        cost_per_lead=cost_per(cost, inputs.leads, "leads"),
        cost_per_engagement=cost_per(cost, inputs.engagements, "engagements"),
    )


def _sum(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _sum_money(values: Iterable[Decimal | float | None]) -> Decimal | None:
    known = [money.amount(v) for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def total(rows: list[Inputs], *, currency: str) -> Inputs:
    """The inputs of all rows together.

    The total cost is known only when every row's cost is known and in the
    organisation's currency: a partial sum would flatter the ROI.
    """
    without = sum(1 for row in rows if row.cost.value is None)
    currencies = {row.cost_currency for row in rows if row.cost.value is not None}
    if not rows:
        cost = Figure.missing("no campaigns")
    elif without:
        cost = Figure.missing(f"{without} of {len(rows)} campaigns have no cost")
    elif currencies - {currency}:
        cost = Figure.missing(
            f"costs are in {', '.join(sorted(currencies))}, not all in {currency}"
        )
    else:
        cost = Figure(sum((money.amount(row.cost.value) for row in rows), Decimal(0)))
    sources = {row.cost_source for row in rows}
    return Inputs(
        cost=cost,
        cost_source=sources.pop() if len(sources) == 1 else ("mixed" if sources else None),
        cost_currency=currency if cost.value is not None else None,
        people_cost=sum((money.amount(row.people_cost) for row in rows), Decimal(0)),
        priced_hours=sum(row.priced_hours for row in rows),
        unpriced_hours=sum(row.unpriced_hours for row in rows),
        unpriced_items=sum(row.unpriced_items for row in rows),
        revenue=_sum_money(row.revenue for row in rows),
        conversions=_sum(row.conversions for row in rows),
        leads=_sum(row.leads for row in rows),
        engagements=_sum(row.engagements for row in rows),
    )
