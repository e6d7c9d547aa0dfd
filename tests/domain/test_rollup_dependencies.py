"""Which KPIs an incremental rollup recomputes: those whose own keys changed (pure)."""

import uuid
from datetime import date

from api.domain.kpis.models import Kpi
from api.domain.kpis.rollups import days_to_recompute, kpi_keys

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
