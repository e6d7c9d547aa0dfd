"""ROI formulas on hand-computed figures; totals are the sums of their campaigns."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.reports.budgets import NO_END
from api.domain.reports.formulas import Figure, Inputs, figures, money_cost, total

EUR = "EUR"


def inputs(**fields) -> Inputs:
    values = {
        "cost": Figure(1000.0),
        "cost_source": "budget",
        "cost_currency": EUR,
        "people_cost": 0.0,
        "priced_hours": 0.0,
        "unpriced_hours": 0.0,
        "unpriced_items": 0,
        "revenue": None,
        "conversions": None,
        "leads": None,
        "engagements": None,
        **fields,
    }
    return Inputs(**values)


def computed(row: Inputs, value_per_conversion=0.0, value_per_lead=0.0):
    return figures(
        row,
        currency=EUR,
        value_per_conversion=value_per_conversion,
        value_per_lead=value_per_lead,
    )


def test_value_adds_revenue_and_valued_conversions_and_leads():
    row = inputs(revenue=1500.0, conversions=4.0, leads=20.0)

    result = computed(row, value_per_conversion=100.0, value_per_lead=10.0)

    assert result.value == Figure(1500 + 4 * 100 + 20 * 10)  # 2100


def test_roi_is_value_less_cost_over_cost():
    result = computed(inputs(cost=Figure(1000.0), revenue=2100.0))

    assert result.roi == Figure(pytest.approx(1.1))


def test_roi_with_people_time_adds_people_cost_to_the_cost():
    result = computed(inputs(cost=Figure(1000.0), people_cost=500.0, revenue=3000.0))

    assert result.roi_with_people_time.value == pytest.approx((3000 - 1500) / 1500)
    assert result.roi.value == pytest.approx(2.0)


def test_cost_per_lead_and_per_engagement():
    result = computed(inputs(cost=Figure(1000.0), leads=40.0, engagements=2000.0))

    assert result.cost_per_lead == Figure(25.0)
    assert result.cost_per_engagement == Figure(0.5)


def test_zero_cost_gives_no_roi_with_a_reason():
    result = computed(inputs(cost=Figure(0.0), revenue=100.0, leads=5.0))

    assert result.roi == Figure.missing("the cost is zero")
    assert result.cost_per_lead == Figure(0.0)


def test_no_cost_makes_every_ratio_null_with_the_reason():
    cost, source, currency = money_cost(
        cost_points=None, budget=None, budget_currency=EUR, currency=EUR
    )

    result = computed(inputs(cost=cost, cost_source=source, cost_currency=currency, revenue=5.0))

    assert cost.value is None and source is None
    for ratio in (result.roi, result.roi_with_people_time, result.cost_per_lead):
        assert ratio.value is None
        assert ratio.reason.startswith("no cost: the campaign has no budget")


def test_no_leads_and_zero_engagements_are_told_apart():
    result = computed(inputs(leads=None, engagements=0.0))

    assert result.cost_per_lead == Figure.missing("no leads points in the window")
    assert result.cost_per_engagement == Figure.missing("zero engagements in the window")


def test_without_value_inputs_value_and_roi_are_null():
    result = computed(inputs(conversions=10.0, leads=10.0))  # no values per unit given

    assert result.value.value is None
    assert "no revenue points" in result.value.reason
    assert result.roi.value is None and result.roi.reason.startswith("no value:")


def test_cost_points_win_over_the_budget():
    budget = Figure(1000.0)  # the budget in the window
    assert money_cost(cost_points=800.0, budget=budget, budget_currency="USD", currency=EUR) == (
        Figure(800.0),
        "cost_points",
        EUR,
    )
    assert money_cost(cost_points=None, budget=budget, budget_currency="USD", currency=EUR) == (
        Figure(1000.0),
        "budget",
        "USD",
    )


def test_a_budget_that_cannot_be_charged_to_the_window_is_a_missing_cost():
    cost, source, _ = money_cost(
        cost_points=None, budget=Figure.missing(NO_END), budget_currency=EUR, currency=EUR
    )
    result = computed(inputs(cost=cost, cost_source=source, revenue=5.0))

    assert (cost, source) == (Figure.missing(NO_END), "budget")
    assert result.roi == Figure.missing(f"no cost: {NO_END}")


def test_a_budget_in_another_currency_gives_no_ratios():
    result = computed(inputs(cost_currency="USD", revenue=5000.0))

    assert result.roi == Figure.missing("the cost is in USD, the value in EUR")
    assert result.value == Figure(5000.0)


def test_total_cost_is_null_when_a_campaign_has_none():
    rows = [inputs(), inputs(cost=Figure.missing("none"), cost_source=None, cost_currency=None)]

    assert total(rows, currency=EUR).cost == Figure.missing("1 of 2 campaigns have no cost")


def test_total_cost_is_null_when_currencies_differ():
    rows = [inputs(), inputs(cost_currency="USD")]

    assert total(rows, currency=EUR).cost.value is None


def test_total_of_no_campaigns():
    result = computed(total([], currency=EUR))

    assert result.roi.value is None
    assert result.value.value is None


amounts = st.decimals(min_value=0, max_value=1_000_000, places=2)
maybe = st.none() | amounts
rows_strategy = st.lists(
    st.builds(
        inputs,
        cost=st.builds(Figure, amounts),
        cost_source=st.sampled_from(["budget", "cost_points"]),
        people_cost=amounts,
        priced_hours=amounts,
        unpriced_hours=amounts,
        unpriced_items=st.integers(0, 50),
        revenue=maybe,
        conversions=maybe,
        leads=maybe,
        engagements=maybe,
    ),
    min_size=1,
    max_size=8,
)


def _sum_known(values):
    known = [v for v in values if v is not None]
    return sum(known) if known else None


@given(rows_strategy, amounts, amounts)
def test_the_total_is_the_sum_of_its_campaigns(rows, per_conversion, per_lead):
    summed = total(rows, currency=EUR)
    parts = [computed(row, per_conversion, per_lead) for row in rows]
    whole = computed(summed, per_conversion, per_lead)

    assert summed.cost.value == pytest.approx(sum(row.cost.value for row in rows))
    for name in ("people_cost", "priced_hours", "unpriced_hours", "unpriced_items"):
        assert getattr(summed, name) == pytest.approx(sum(getattr(row, name) for row in rows))
    for name in ("revenue", "conversions", "leads", "engagements"):
        expected = _sum_known(getattr(row, name) for row in rows)
        if expected is None:
            assert getattr(summed, name) is None
        else:
            assert getattr(summed, name) == pytest.approx(expected)
    values = [p.value.value for p in parts]
    if all(v is None for v in values):
        assert whole.value.value is None
    else:
        assert whole.value.value == pytest.approx(
            _sum_known(values), rel=Decimal("1e-9"), abs=Decimal("1e-6")
        )
