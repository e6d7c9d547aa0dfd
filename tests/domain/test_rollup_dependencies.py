"""Which KPIs and periods an incremental rollup recomputes: those of the changed keys (pure)."""

import uuid
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.domain import periods
from api.domain.kpis.actuals import days_to_recompute, kpi_keys
from api.domain.kpis.models import Kpi
from api.domain.kpis.rollups import _starts
from api.domain.strategies.models import Strategy

MAY_2, MAY_3 = date(2027, 5, 2), date(2027, 5, 3)


def sum_of(key: str, **fields) -> Kpi:
    return Kpi(aggregation="sum", metric_key=key, **fields)


def ratio_of(numerator: str, denominator: str) -> Kpi:
    return Kpi(aggregation="ratio", numerator_key=numerator, denominator_key=denominator)


def test_a_kpi_depends_on_its_key_and_a_ratio_on_both_of_its_keys():
    assert kpi_keys(sum_of("leads")) == ("leads",)
    assert kpi_keys(Kpi(aggregation="last", metric_key="followers")) == ("followers",)
    assert kpi_keys(ratio_of("conversions", "leads")) == ("conversions", "leads")


def test_a_full_rollup_recomputes_every_period():
    assert days_to_recompute(sum_of("leads"), None) is None


def test_a_kpi_none_of_whose_keys_changed_recomputes_nothing():
    changed = {"engagements": {MAY_2}}

    assert days_to_recompute(sum_of("leads"), changed) == set()
    assert days_to_recompute(ratio_of("conversions", "leads"), changed) == set()


def test_a_kpi_recomputes_the_days_its_key_changed_on_and_no_other_keys_days():
    changed = {"leads": {MAY_2}, "engagements": {MAY_3}}

    assert days_to_recompute(sum_of("leads"), changed) == {MAY_2}


def test_a_ratio_recomputes_when_either_key_changes_on_the_days_of_both():
    changed = {"leads": {MAY_2}, "conversions": {MAY_3}}

    assert days_to_recompute(ratio_of("conversions", "leads"), changed) == {MAY_2, MAY_3}
    assert days_to_recompute(ratio_of("clicks", "leads"), changed) == {MAY_2}
    assert days_to_recompute(ratio_of("conversions", "clicks"), changed) == {MAY_3}


def test_filters_narrow_the_points_of_a_key_so_the_key_still_decides():
    # A channel or campaign filter reads fewer points of the same key; a change of the
    # key anywhere may be one of them, so it recomputes (a superset is always right).
    changed = {"leads": {MAY_2}}
    of_channel = sum_of("leads", channel_id=uuid.uuid4())
    of_campaign = sum_of("leads", campaign_id=uuid.uuid4())

    assert days_to_recompute(of_channel, changed) == {MAY_2}
    assert days_to_recompute(of_campaign, changed) == {MAY_2}


def test_a_part_or_its_parent_changing_does_not_touch_the_other():
    # clicks are part of engagements (definitions.part_of), but a KPI never adds a
    # part into its parent: its actual reads its own key's points alone.
    changed = {"clicks": {MAY_2}}

    assert days_to_recompute(sum_of("engagements"), changed) == set()
    assert days_to_recompute(sum_of("clicks"), {"engagements": {MAY_2}}) == set()


@settings(max_examples=200, deadline=None)
@given(
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(min_value=-10, max_value=800),
    today=st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 12, 31)),
    days=st.sets(st.dates(min_value=date(2019, 6, 1), max_value=date(2032, 6, 1)), max_size=6),
    period=st.sampled_from(["week", "month", "quarter"]),
    fiscal=st.integers(min_value=1, max_value=12),
)
def test_the_periods_of_changed_days_are_those_of_the_strategy_holding_them(
    first, length, today, days, period, fiscal
):
    kpi = Kpi(aggregation="sum", metric_key="leads", period=period)
    strategy = Strategy(period_start=first, period_end=first + timedelta(days=length))
    every = _starts(kpi, strategy, fiscal_start_month=fiscal, today=today, days=None)
    touched = {periods.period_start(d, period, fiscal) for d in days}

    found = _starts(kpi, strategy, fiscal_start_month=fiscal, today=today, days=days)

    assert found == [start for start in every if start in touched]
