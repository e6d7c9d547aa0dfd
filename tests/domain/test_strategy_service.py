"""Strategy use cases on a real PostgreSQL session, without HTTP."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from api.domain.access import ROLE_SCOPES, Grant, Principal, Tenant
from api.domain.audiences.service import AudienceDraft, check_channel_preferences, create_audience
from api.domain.errors import Conflict, RuleViolation
from api.domain.kpis import service as kpis
from api.domain.kpis.service import KpiDraft
from api.domain.resources.service import ResourceDraft, create_resource
from api.domain.strategies import objectives, service
from api.domain.strategies.objectives import ObjectiveDraft
from api.domain.strategies.service import StrategyDraft


def tenant_of(org) -> Tenant:
    grant = Grant(org.id, "owner", ROLE_SCOPES["owner"])
    return Tenant(org.id, Principal("api_key", {org.id: grant}, org.owner_id), grant)


@pytest.fixture
def org(factory):
    org = factory.organisation()
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        create_audience(uow=uow, draft=AudienceDraft(name="Customers"))
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        create_resource(uow=uow, draft=ResourceDraft(name="Team", weekly_capacity_hours=10))
    return org


def ready_strategy(factory, org, start, end):
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        strategy = service.create_strategy(
            uow=uow, draft=StrategyDraft(name=f"{start}", period_start=start, period_end=end)
        )
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        objective = objectives.create_objective(
            uow=uow,
            strategy_id=strategy.id,
            draft=ObjectiveDraft(title="Leads", business_outcome="lead_generation"),
        )
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        kpis.create_kpi(
            uow=uow,
            objective_id=objective.id,
            draft=KpiDraft(name="L", metric_key="leads", target=5),
        )
    return strategy.id


def activate(factory, org, strategy_id):
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        return service.activate_strategy(uow=uow, strategy_id=strategy_id)


def test_overlapping_periods_cannot_both_be_active(factory, org):
    first = ready_strategy(factory, org, date(2027, 1, 1), date(2027, 12, 31))
    second = ready_strategy(factory, org, date(2027, 12, 31), date(2028, 3, 31))
    activate(factory, org, first)

    with pytest.raises(Conflict):
        activate(factory, org, second)


def test_adjacent_periods_do_not_overlap(factory, org):
    first = ready_strategy(factory, org, date(2027, 1, 1), date(2027, 12, 31))
    second = ready_strategy(factory, org, date(2028, 1, 1), date(2028, 12, 31))
    activate(factory, org, first)

    assert activate(factory, org, second).status == "active"


def test_concurrent_activations_of_overlapping_strategies_let_one_through(factory, org):
    ids = [ready_strategy(factory, org, date(2030, 1, 1), date(2030, 12, 31)) for _ in range(4)]

    def attempt(strategy_id):
        try:
            activate(factory, org, strategy_id)
            return "active"
        except Conflict:
            return "conflict"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(attempt, ids))

    assert outcomes == ["active", "conflict", "conflict", "conflict"]


def test_activation_without_objectives_lists_it(factory, org):
    with factory.uow() as uow:
        uow.open_for(tenant_of(org))
        strategy = service.create_strategy(
            uow=uow,
            draft=StrategyDraft(
                name="Empty", period_start=date(2031, 1, 1), period_end=date(2031, 2, 1)
            ),
        )

    with pytest.raises(RuleViolation) as refused:
        activate(factory, org, strategy.id)
    assert set(refused.value.errors) == {"objectives"}


def test_channel_preference_weights_and_kinds():
    assert check_channel_preferences({"linkedin": 0.0, "email": 1.0}) == {}
    assert (
        len(check_channel_preferences({"linkedin": 1.01, "myspace": 0.5})["channel_preferences"])
        == 2
    )
