"""The scorecard's latest period: the newest with data, and whether it has ended."""

from datetime import date

import pytest

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
from api.domain.kpis import service as kpis
from api.domain.kpis import values as kpi_values
from api.domain.kpis.rollups import run_rollup
from api.domain.kpis.service import KpiDraft
from api.domain.metrics.models import MetricPoint, dimensions_of
from api.domain.strategies import objectives, service
from api.domain.strategies.objectives import ObjectiveDraft
from api.domain.strategies.service import StrategyDraft

FIRST_OF_JUNE = date(2027, 6, 1)


class World:
    """A 2027 strategy with one monthly leads KPI (target 20): 17 in April, 22 in May."""

    def __init__(self, factory, *, with_points: bool = True):
        self.factory = factory
        self.org = factory.organisation()
        grant = Grant(self.org.id, "owner", ROLE_SCOPES["owner"])
        self.tenant = Tenant(self.org.id, Principal("api_key", {self.org.id: grant}), grant)
        with self.uow() as uow:
            self.strategy_id = service.create_strategy(
                uow=uow,
                draft=StrategyDraft(
                    name="2027", period_start=date(2027, 1, 1), period_end=date(2027, 12, 31)
                ),
            ).id
        with self.uow() as uow:
            objective_id = objectives.create_objective(
                uow=uow,
                strategy_id=self.strategy_id,
                draft=ObjectiveDraft(title="O", business_outcome="sales"),
            ).id
        with self.uow() as uow:
            draft = KpiDraft(name="Leads", metric_key="leads", target=20.0, period="month")
            self.kpi_id = kpis.create_kpi(uow=uow, objective_id=objective_id, draft=draft).id
        if with_points:
            self.points([(date(2027, 4, 10), 17.0), (date(2027, 5, 10), 22.0)])

    def uow(self):
        uow = self.factory.uow()
        uow.open_for(self.tenant)
        return uow

    def points(self, rows):
        with self.uow() as uow:
            for day, value in rows:
                uow.session.add(
                    MetricPoint(
                        metric_key="leads",
                        day=day,
                        value=value,
                        source="api",
                        dimensions=dimensions_of(None, None, None),
                    )
                )
            uow.commit()

    def score(self, today: date) -> kpi_values.KpiScore:
        with self.uow() as uow:
            run_rollup(uow=uow, full=True, today=today)
        with self.uow() as uow:
            card = kpi_values.scorecard(uow=uow, strategy_id=self.strategy_id, today=today)
            assert card.today == today
            return card.scores[self.kpi_id]


@pytest.fixture
def world(factory):
    return World(factory)


def test_on_the_first_of_a_month_the_latest_is_last_month_not_the_empty_one(world):
    scored = world.score(FIRST_OF_JUNE)

    assert (scored.latest.period_start, scored.latest.period_end) == (
        date(2027, 5, 1),
        date(2027, 5, 31),
    )
    assert (scored.latest.actual, scored.complete, scored.status) == (22.0, True, "on_track")
    assert scored.current is None  # June has no data yet
    assert [v.actual for v in reversed(scored.trend)] == [None, None, None, 17.0, 22.0, None]


def test_an_open_period_with_data_is_the_latest_and_the_current_one_not_complete(world):
    world.points([(FIRST_OF_JUNE, 5.0)])

    scored = world.score(FIRST_OF_JUNE)

    assert (scored.latest.period_start, scored.latest.actual) == (FIRST_OF_JUNE, 5.0)
    assert scored.complete is False
    assert scored.current is scored.latest


def test_a_period_ending_today_is_not_complete_yet(world):
    scored = world.score(date(2027, 5, 31))

    assert (scored.latest.period_start, scored.complete) == (date(2027, 5, 1), False)
    assert scored.current.actual == 22.0


def test_a_kpi_without_data_has_no_latest(factory):
    world = World(factory, with_points=False)

    scored = world.score(FIRST_OF_JUNE)

    assert (scored.latest, scored.complete, scored.current, scored.status) == (
        None,
        None,
        None,
        "no_data",
    )
