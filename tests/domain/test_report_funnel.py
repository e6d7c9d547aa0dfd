"""The funnel's pure assembly: each interaction counted once."""

from hypothesis import given
from hypothesis import strategies as st

from api.domain.metrics.definitions import BUILT_IN
from api.domain.reports.funnel import StageMetrics, counted, funnel_of, stage_metrics_of

ENGAGEMENT = StageMetrics(
    "engagement",
    ["engagements", "clicks", "shares", "comments", "email_opens"],
    [],
    {"clicks": "engagements", "shares": "engagements", "comments": "engagements"},
)
PARTS = ("clicks", "shares", "comments")


def built_in_stages() -> list[StageMetrics]:
    return stage_metrics_of(BUILT_IN)


def total(stage: StageMetrics, cells) -> float:
    return funnel_of([stage], cells).stages[0].total


def test_parts_are_not_added_to_a_parent_with_data():
    cell = {"engagements": 600, "clicks": 300, "shares": 100, "comments": 50, "email_opens": 5}

    assert counted(ENGAGEMENT, cell) == {
        "engagements": 600,
        "clicks": 0,
        "shares": 0,
        "comments": 0,
        "email_opens": 5,
    }


def test_parts_count_where_their_parent_has_no_data():
    assert total(ENGAGEMENT, [{"clicks": 40, "shares": 10}]) == 50


def test_a_part_of_a_part_is_covered_by_the_grandparent():
    stage = StageMetrics("lead", ["leads", "demo", "demo_booked"], [], {"demo": "leads"})
    chained = StageMetrics("lead", stage.metric_keys, [], {"demo": "leads", "demo_booked": "demo"})

    assert counted(chained, {"leads": 10, "demo_booked": 3}) == {"leads": 10, "demo_booked": 0}


def test_each_cell_decides_on_its_own_and_the_funnel_adds_the_cells():
    cells = [{"engagements": 600, "clicks": 300}, {"clicks": 40}]

    [stage] = funnel_of([ENGAGEMENT], cells).stages

    assert stage.total == 640
    assert [(m.key, m.total, m.counted) for m in stage.metrics] == [
        ("engagements", 600, 600),
        ("clicks", 340, 40),
    ]


def test_churn_is_beside_the_stages_with_a_rate_against_active_customers():
    funnel = funnel_of(built_in_stages(), [{"churned_customers": 5, "active_customers": 250}])

    assert funnel.churn.rate.value == 5 / 250
    assert {s.stage: s.total for s in funnel.stages}["advocacy"] == 0


def test_the_catalogue_puts_levels_and_parts_in_their_stages():
    stages = {s.stage: s for s in built_in_stages()}

    assert stages["awareness"].level_keys == ["followers"]
    assert stages["customer"].level_keys == ["active_customers"]
    assert stages["awareness"].part_of == {"reach": "impressions"}
    assert stages["engagement"].part_of == dict.fromkeys(PARTS, "engagements")
    assert stages["advocacy"].metric_keys == []
    every = {key for s in stages.values() for key in s.metric_keys}
    assert not {"churned_customers", "support_tickets"} & every


amounts = st.integers(min_value=0, max_value=10**9).map(float)  # counts
cell = st.fixed_dictionaries({"engagements": amounts}, optional={"email_opens": amounts})


@given(
    cells=st.lists(cell, min_size=1, max_size=5),
    parts=st.lists(st.dictionaries(st.sampled_from(PARTS), amounts), min_size=5, max_size=5),
)
def test_adding_parts_never_changes_a_stage_total_when_the_parent_is_there(cells, parts):
    with_parts = [{**c, **extra} for c, extra in zip(cells, parts, strict=False)]

    assert total(ENGAGEMENT, with_parts) == total(ENGAGEMENT, cells)


@given(parts=st.dictionaries(st.sampled_from(PARTS), amounts, min_size=1))
def test_without_the_parent_a_stage_counts_its_parts_once(parts):
    assert total(ENGAGEMENT, [parts]) == sum(parts.values())
