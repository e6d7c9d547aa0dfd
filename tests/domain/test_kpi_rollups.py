"""Rollups against values computed independently, on a real PostgreSQL session."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from api.domain import periods
from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
from api.domain.channels.models import Channel
from api.domain.kpis import service as kpis
from api.domain.kpis.models import KpiStatusChange, KpiValue
from api.domain.kpis.rollups import run_rollup
from api.domain.kpis.service import KpiDraft
from api.domain.metrics.models import MetricPoint, dimensions_of
from api.domain.strategies import objectives, service
from api.domain.strategies.objectives import ObjectiveDraft
from api.domain.strategies.service import StrategyDraft
from tests.factories import Factory
from tests.helpers import embedded_app

YEAR_END = date(2027, 12, 31)


def tenant_of(org) -> Tenant:
    grant = Grant(org.id, "owner", ROLE_SCOPES["owner"])
    return Tenant(org.id, Principal("api_key", {org.id: grant}, org.owner_id), grant)


class World:
    """An organisation with a 2027 strategy, one objective and a channel."""

    def __init__(self, factory):
        self.factory = factory
        self.org = factory.organisation()
        self.tenant = tenant_of(self.org)
        with self.uow() as uow:
            strategy = service.create_strategy(
                uow=uow,
                draft=StrategyDraft(
                    name="2027", period_start=date(2027, 1, 1), period_end=YEAR_END
                ),
            )
        with self.uow() as uow:
            self.objective_id = objectives.create_objective(
                uow=uow,
                strategy_id=strategy.id,
                draft=ObjectiveDraft(title="O", business_outcome="sales"),
            ).id
        with self.uow() as uow:
            channel = Channel(
                kind="linkedin", mode="conversational", purposes=["marketing"], name="L"
            )
            uow.session.add(channel)
            uow.commit()
            self.channel_id = channel.id

    def uow(self):
        uow = self.factory.uow()
        uow.open_for(self.tenant)
        return uow

    def kpi(self, **fields):
        values = {"name": "K", "target": 100.0, "period": "month", **fields}
        with self.uow() as uow:
            return kpis.create_kpi(
                uow=uow, objective_id=self.objective_id, draft=KpiDraft(**values)
            ).id

    def points(self, rows):
        """rows: (metric_key, day, value, channel?)"""
        with self.uow() as uow:
            for key, day, value, *channel in rows:
                channel_id = self.channel_id if channel else None
                uow.session.add(
                    MetricPoint(
                        metric_key=key,
                        day=day,
                        value=value,
                        channel_id=channel_id,
                        source="api",
                        dimensions=dimensions_of(channel_id, None, None),
                    )
                )
            uow.commit()

    def rollup(self, **kwargs):
        with self.uow() as uow:
            return run_rollup(uow=uow, today=YEAR_END, **kwargs)

    def values(self, kpi_id):
        with self.uow() as uow:
            rows = uow.session.scalars(
                select(KpiValue).where(KpiValue.kpi_id == kpi_id).order_by(KpiValue.period_start)
            )
            return {v.period_start: v for v in rows}


@pytest.fixture
def world(factory):
    return World(factory)


def test_sum_avg_last_and_ratio_per_month(world):
    sums = world.kpi(metric_key="leads", aggregation="sum")
    avgs = world.kpi(metric_key="followers", aggregation="avg")
    lasts = world.kpi(metric_key="followers", aggregation="last")
    ratio = world.kpi(
        metric_key=None,
        aggregation="ratio",
        numerator_key="conversions",
        denominator_key="leads",
        target=0.1,
    )
    world.points(
        [
            ("leads", date(2027, 3, 1), 10.0),
            ("leads", date(2027, 3, 1), 5.0, "channel"),
            ("leads", date(2027, 3, 20), 25.0),
            ("conversions", date(2027, 3, 9), 4.0),
            ("followers", date(2027, 3, 2), 100.0),
            ("followers", date(2027, 3, 30), 130.0),
            ("followers", date(2027, 3, 30), 20.0, "channel"),
            ("leads", date(2027, 4, 2), 7.0),
        ]
    )

    world.rollup()

    march = date(2027, 3, 1)
    assert world.values(sums)[march].actual == 40.0
    assert world.values(sums)[date(2027, 4, 1)].actual == 7.0
    assert world.values(avgs)[march].actual == (100 + 130 + 20) / 2  # per day with data
    assert world.values(lasts)[march].actual == 150.0  # the latest day's total
    assert world.values(ratio)[march].actual == pytest.approx(4 / 40)
    assert world.values(ratio)[date(2027, 4, 1)].actual == 0.0
    assert world.values(sums)[date(2027, 5, 1)].status == "no_data"
    assert len(world.values(sums)) == 12  # every month of the strategy up to today


def test_last_takes_each_channels_latest_day_so_levels_of_two_channels_add_up(world):
    lasts = world.kpi(metric_key="followers", aggregation="last")
    world.points(
        [
            ("followers", date(2027, 3, 2), 100.0),
            ("followers", date(2027, 3, 28), 110.0),
            ("followers", date(2027, 3, 2), 15.0, "channel"),
            ("followers", date(2027, 3, 30), 20.0, "channel"),
        ]
    )

    world.rollup()

    # Not 20 (the latest day's total): the points of no channel last reported 110.
    assert world.values(lasts)[date(2027, 3, 1)].actual == 110.0 + 20.0


def test_statuses_against_the_target(world):
    kpi = world.kpi(metric_key="leads", target=100.0)
    fewer = world.kpi(metric_key="support_tickets", target=50.0, direction="decrease")
    world.points(
        [
            ("leads", date(2027, 1, 5), 120.0),
            ("leads", date(2027, 2, 5), 85.0),
            ("leads", date(2027, 3, 5), 10.0),
            ("support_tickets", date(2027, 1, 5), 40.0),
            ("support_tickets", date(2027, 2, 5), 70.0),
        ]
    )

    world.rollup()

    statuses = {d.month: v.status for d, v in world.values(kpi).items() if d.month <= 4}
    assert statuses == {1: "on_track", 2: "at_risk", 3: "off_track", 4: "no_data"}
    assert world.values(fewer)[date(2027, 1, 1)].status == "on_track"
    assert world.values(fewer)[date(2027, 2, 1)].status == "off_track"  # 50/70 < 80 %


def test_channel_filter(world):
    kpi = world.kpi(metric_key="leads", channel_id=world.channel_id)
    world.points([("leads", date(2027, 6, 1), 3.0, "channel"), ("leads", date(2027, 6, 1), 9.0)])

    world.rollup()

    assert world.values(kpi)[date(2027, 6, 1)].actual == 3.0


def test_incremental_rollup_touches_only_changed_periods_and_records_status_changes(world):
    kpi = world.kpi(metric_key="leads", target=10.0)
    world.points([("leads", date(2027, 1, 5), 20.0)])
    world.rollup()
    january = world.values(kpi)[date(2027, 1, 1)]
    february_computed = world.values(kpi)[date(2027, 2, 1)].computed_at

    world.points([("leads", date(2027, 2, 5), 20.0)])
    result = world.rollup(lookback=timedelta(0))

    assert result.values == 1
    values = world.values(kpi)
    assert values[date(2027, 1, 1)].computed_at == january.computed_at
    assert values[date(2027, 2, 1)].computed_at > february_computed
    assert values[date(2027, 2, 1)].status == "on_track"
    with world.uow() as uow:
        changes = uow.session.execute(
            select(
                KpiStatusChange.period_start, KpiStatusChange.from_status, KpiStatusChange.to_status
            )
            .where(KpiStatusChange.kpi_id == kpi, KpiStatusChange.period_start == date(2027, 2, 1))
            .order_by(KpiStatusChange.created_at)
        ).all()
    assert [(c.from_status, c.to_status) for c in changes] == [
        (None, "no_data"),
        ("no_data", "on_track"),
    ]


def test_running_a_rollup_twice_gives_the_same_rows(world):
    kpi = world.kpi(metric_key="leads")
    world.points([("leads", date(2027, 5, 5), 50.0)])
    world.rollup(full=True)
    first = {d: (v.actual, v.status) for d, v in world.values(kpi).items()}

    world.rollup(full=True)

    assert {d: (v.actual, v.status) for d, v in world.values(kpi).items()} == first


def reference(points, aggregation, period, numerator="a", denominator="b", key="a"):
    """Pure Python: the same aggregation, from the raw points."""
    buckets = defaultdict(list)
    for metric, day, value in points:
        buckets[periods.period_start(day, period)].append((metric, day, value))
    out = {}
    for start, rows in buckets.items():
        if aggregation == "ratio":
            den = sum(v for m, _, v in rows if m == denominator)
            out[start] = (sum(v for m, _, v in rows if m == numerator) / den) if den else None
            continue
        rows = [r for r in rows if r[0] == key]
        if not rows:
            continue
        if aggregation == "sum":
            out[start] = sum(v for *_, v in rows)
        elif aggregation == "avg":
            out[start] = sum(v for *_, v in rows) / len({d for _, d, _ in rows})
        else:
            latest = max(d for _, d, _ in rows)
            out[start] = sum(v for _, d, v in rows if d == latest)
    return out


POINTS = st.lists(
    st.tuples(
        st.sampled_from(["leads", "conversions"]),
        st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31)),
        st.integers(min_value=0, max_value=1000).map(float),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda p: (p[0], p[1]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    points=POINTS,
    aggregation=st.sampled_from(["sum", "avg", "last", "ratio"]),
    period=st.sampled_from(["week", "month", "quarter"]),
)
# A ratio whose denominator is 0 has no value: the rollup stores none rather than failing.
@example(points=[("leads", date(2027, 1, 1), 0.0)], aggregation="ratio", period="week")
def test_sql_rollups_match_a_python_reference(factory, points, aggregation, period):
    matches_the_reference(World(factory), points, aggregation, period)


@pytest.fixture(scope="module")
def sqlite_factory(tmp_path_factory):
    with embedded_app(tmp_path_factory.mktemp("rollups")) as app:
        yield Factory(app.extensions["clover"].database)


@settings(max_examples=25, deadline=None)
@given(
    points=POINTS,
    aggregation=st.sampled_from(["sum", "avg", "last", "ratio"]),
    period=st.sampled_from(["week", "month", "quarter"]),
)
def test_on_sqlite_rollups_match_the_python_reference(sqlite_factory, points, aggregation, period):
    matches_the_reference(World(sqlite_factory), points, aggregation, period)


def test_on_sqlite_last_takes_each_channels_latest_day(sqlite_factory):
    test_last_takes_each_channels_latest_day_so_levels_of_two_channels_add_up(World(sqlite_factory))


def levels_of_two_channels_and_none(world):
    """Last KPIs over points of no channel and of two channels that report on different
    days, some days in several points (sources); their actuals, by KPI name."""
    with world.uow() as uow:
        other = Channel(kind="linkedin", mode="conversational", purposes=["marketing"], name="M")
        uow.session.add(other)
        uow.commit()
        other_id = other.id
    kpis_by_name = {
        "month": world.kpi(metric_key="followers", aggregation="last"),
        "quarter": world.kpi(metric_key="followers", aggregation="last", period="quarter"),
        "channel": world.kpi(
            metric_key="followers", aggregation="last", channel_id=world.channel_id
        ),
    }
    rows = [
        # (day, value, channel, source)
        (date(2027, 3, 2), 100.0, None, "api"),
        (date(2027, 3, 28), 110.0, None, "api"),
        (date(2027, 3, 28), 5.0, None, "import"),  # the day's total: 115
        (date(2027, 3, 2), 15.0, world.channel_id, "api"),
        (date(2027, 3, 30), 20.0, world.channel_id, "api"),
        (date(2027, 3, 30), 2.0, world.channel_id, "import"),  # the day's total: 22
        (date(2027, 3, 31), 7.0, other_id, "api"),
        (date(2027, 2, 27), 9.0, other_id, "api"),
        (date(2027, 2, 28), 30.0, world.channel_id, "api"),
        (date(2027, 1, 5), 1.0, None, "api"),
    ]
    with world.uow() as uow:
        for day, value, channel_id, source in rows:
            uow.session.add(
                MetricPoint(
                    metric_key="followers",
                    day=day,
                    value=value,
                    channel_id=channel_id,
                    source=source,
                    dimensions=dimensions_of(channel_id, None, None),
                )
            )
        uow.commit()
    world.rollup(full=True)
    return {
        name: {d: v.actual for d, v in world.values(kpi).items() if v.actual is not None}
        for name, kpi in kpis_by_name.items()
    }


EXPECTED_LEVELS = {
    "month": {
        date(2027, 1, 1): 1.0,
        date(2027, 2, 1): 9.0 + 30.0,
        date(2027, 3, 1): 115.0 + 22.0 + 7.0,
    },
    # February's 9 and 30 are not the quarter's: each channel's latest day is in March.
    "quarter": {date(2027, 1, 1): 115.0 + 22.0 + 7.0},
    "channel": {date(2027, 2, 1): 30.0, date(2027, 3, 1): 22.0},
}


def test_last_of_two_channels_on_different_days_and_of_no_channel(world):
    assert levels_of_two_channels_and_none(world) == EXPECTED_LEVELS


def test_on_sqlite_last_of_two_channels_on_different_days_and_of_no_channel(sqlite_factory):
    assert levels_of_two_channels_and_none(World(sqlite_factory)) == EXPECTED_LEVELS


def test_on_postgresql_last_reads_the_points_once(world):
    """No join of the points to their latest days (the rows read twice): nested aggregates."""
    world.kpi(metric_key="followers", aggregation="last")
    world.points([("followers", date(2027, 3, 2), 100.0)])
    seen = []

    def log(_conn, _cursor, statement, *_args):
        if "FROM metric_points" in statement and "GROUP BY" in statement:
            seen.append(statement)

    engine = world.factory.database.engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        world.rollup(full=True, forecast=False)  # the actuals' statement alone
    finally:
        event.remove(engine, "before_cursor_execute", log)
    assert len(seen) == 1
    assert "JOIN" not in seen[0].upper()
    assert seen[0].count("FROM metric_points") == 1


def matches_the_reference(world, points, aggregation, period):
    fields = (
        {"metric_key": "leads"}
        if aggregation != "ratio"
        else {"metric_key": None, "numerator_key": "conversions", "denominator_key": "leads"}
    )
    kpi = world.kpi(aggregation=aggregation, period=period, **fields)
    world.points(points)

    world.rollup(full=True)

    expected = reference(
        points, aggregation, period, numerator="conversions", denominator="leads", key="leads"
    )
    actual = {d: v.actual for d, v in world.values(kpi).items() if v.actual is not None}
    assert actual.keys() == {d for d, v in expected.items() if v is not None}
    for day, value in actual.items():
        assert value == pytest.approx(expected[day])


def computed(world, kpi_id) -> dict:
    return {d: v.computed_at for d, v in world.values(kpi_id).items()}


def test_an_incremental_rollup_recomputes_the_kpis_of_the_changed_keys_alone(world):
    leads = world.kpi(metric_key="leads")
    engagements = world.kpi(metric_key="engagements")
    followers = world.kpi(metric_key="followers", aggregation="last")
    per_lead = world.kpi(
        metric_key=None,
        aggregation="ratio",
        numerator_key="conversions",
        denominator_key="leads",
        target=0.1,
    )
    per_engagement = world.kpi(
        metric_key=None,
        aggregation="ratio",
        numerator_key="clicks",
        denominator_key="engagements",
        target=0.1,
    )
    world.points(
        [
            ("leads", date(2027, 5, 2), 10.0),
            ("conversions", date(2027, 5, 2), 2.0),
            ("engagements", date(2027, 5, 2), 40.0),
            ("clicks", date(2027, 5, 2), 4.0),
            ("followers", date(2027, 5, 2), 100.0),
        ]
    )
    world.rollup(full=True)
    before = {kpi: computed(world, kpi) for kpi in (leads, engagements, followers, per_lead)}
    before[per_engagement] = computed(world, per_engagement)

    world.points([("leads", date(2027, 5, 20), 30.0)])  # one key: leads
    result = world.rollup(lookback=timedelta(0))

    may = date(2027, 5, 1)
    assert result.values == 2  # May of the leads KPI and of the ratio over leads
    assert world.values(leads)[may].actual == 40.0
    assert world.values(per_lead)[may].actual == pytest.approx(2 / 40)
    for kpi in (leads, per_lead):
        after = computed(world, kpi)
        assert after[may] > before[kpi][may]
        assert {d: t for d, t in after.items() if d != may} == {
            d: t for d, t in before[kpi].items() if d != may
        }
    for kpi in (engagements, followers, per_engagement):
        assert computed(world, kpi) == before[kpi]
    leads_after = computed(world, leads)

    # The ratio's numerator changing recomputes it too, and leaves the leads KPI be.
    world.points([("conversions", date(2027, 5, 21), 6.0)])
    result = world.rollup(lookback=timedelta(0))

    assert result.values == 1
    assert world.values(per_lead)[may].actual == pytest.approx(8 / 40)
    assert computed(world, leads) == leads_after


def incremental_as_full(world) -> tuple[dict, dict]:
    """KPIs of every aggregation, a channel's among them; points, a full rollup, more
    points, an incremental rollup (their queries as one statement): the values it left,
    and those a full rollup then stores."""
    kpis = [
        world.kpi(metric_key="leads", period="week"),
        world.kpi(metric_key="leads", channel_id=world.channel_id),
        world.kpi(metric_key="followers", aggregation="avg", period="quarter"),
        world.kpi(metric_key="followers", aggregation="last"),
        world.kpi(
            metric_key=None,
            aggregation="ratio",
            numerator_key="conversions",
            denominator_key="leads",
        ),
    ]
    world.points(
        [
            ("leads", date(2027, 3, 2), 10.0, "channel"),
            ("leads", date(2027, 3, 3), 5.0),
            ("followers", date(2027, 3, 2), 100.0, "channel"),
            ("followers", date(2027, 3, 3), 40.0),
            ("conversions", date(2027, 3, 2), 2.0),
        ]
    )
    world.rollup(full=True)
    world.points(
        [
            ("leads", date(2027, 3, 4), 7.0, "channel"),
            ("followers", date(2027, 3, 4), 120.0, "channel"),
            ("conversions", date(2027, 3, 4), 1.0),
            ("leads", date(2027, 6, 1), 3.0),
        ]
    )

    def stored():
        return {
            kpi: {d: (v.actual, v.status) for d, v in world.values(kpi).items()} for kpi in kpis
        }

    result = world.rollup(lookback=timedelta(0))
    assert result.values > 0
    incremental = stored()
    world.rollup(full=True)
    return incremental, stored()


def test_an_incremental_rollup_stores_what_a_full_one_does(world):
    incremental, full = incremental_as_full(world)
    assert incremental == full


def test_on_sqlite_an_incremental_rollup_stores_what_a_full_one_does(sqlite_factory):
    incremental, full = incremental_as_full(World(sqlite_factory))
    assert incremental == full


def statements_of(count_queries, run) -> list[str]:
    with count_queries() as counter:
        run()
    return counter.statements


def test_a_rollup_costs_its_grouped_queries_and_a_fixed_number_of_other_statements(
    factory, count_queries
):
    def rolled_up(kpis: int) -> tuple[list[str], list[str]]:
        world = World(factory)
        for n in range(kpis):
            world.kpi(metric_key="leads", period=("week", "month", "quarter")[n % 3])
        world.points([("leads", date(2027, 5, 2), 10.0)])
        full = statements_of(count_queries, lambda: world.rollup(full=True, forecast=False))
        world.points([("leads", date(2027, 5, 3), 10.0)])
        incremental = statements_of(
            count_queries, lambda: world.rollup(lookback=timedelta(0), forecast=False)
        )
        return full, incremental

    def others(statements: list[str]) -> list[str]:
        return [s for s in statements if "FROM metric_points" not in s or "GROUP BY" not in s]

    one, six = rolled_up(1), rolled_up(6)

    # A full rollup: one grouped query per KPI more, nothing else. An incremental one: one
    # statement for every KPI's grouped query, each scoped to the organisation.
    assert len(six[0]) - len(one[0]) == 5
    assert len(six[1]) == len(one[1])
    [grouped] = [s for s in six[1] if s not in others(six[1])]
    assert grouped.count("UNION ALL") == 5
    assert grouped.count("metric_points.organisation_id = ") == 6
    for few, many in zip(one, six, strict=True):
        assert len(others(many)) == len(others(few))
        # Previous statuses, values and the rollup state: one statement for every KPI.
        [write] = [s for s in many if "INSERT INTO kpi_values" in s]
        assert "FROM kpi_values" in write and "INSERT INTO rollup_states" in write
        assert sum("kpi_values" in s for s in many) == 1
        assert sum("rollup_states" in s for s in many) == 2  # read with the organisation
        # No savepoint: only when a KPI's query fails does the rollup run again with one
        # per KPI.
        assert not any(s.startswith("SAVEPOINT") for s in many)


HUGE = 1.7e308


@pytest.mark.parametrize("full", [True, False], ids=["full", "incremental"])
def test_an_overflowing_kpi_keeps_its_values_and_the_others_roll_up(world, factory, full):
    leads = world.kpi(metric_key="leads")
    engagements = world.kpi(metric_key="engagements")
    world.points([("leads", date(2027, 2, 3), 5.0), ("engagements", date(2027, 2, 3), 7.0)])
    world.rollup(full=True)
    for day in (date(2027, 2, 10), date(2027, 2, 11)):
        factory.stored_metric_point(world.org, "leads", day, HUGE)
    world.points([("engagements", date(2027, 2, 4), 1.0)])

    # Incremental: the one statement of both KPIs' queries fails, then each runs alone.
    result = world.rollup(full=True) if full else world.rollup(lookback=timedelta(0))

    [(skipped, why)] = result.skipped
    assert skipped == leads and "more than a number can hold" in why
    assert world.values(leads)[date(2027, 2, 1)].actual == 5.0  # as it was
    assert world.values(engagements)[date(2027, 2, 1)].actual == 8.0
