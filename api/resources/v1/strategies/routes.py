from flask import url_for
from flask.views import MethodView

from api.domain.kpis import values as kpi_values
from api.domain.strategies import objectives as objective_service
from api.domain.strategies import service
from api.domain.strategies.service import StrategyFilter
from api.domain.strategies.summary import strategy_summary
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.objectives.schemas import ObjectiveSchema
from api.resources.v1.strategies.schemas import (
    StrategyFilterSchema,
    StrategySchema,
    StrategyUpdateSchema,
)
from api.resources.v1.strategies.scorecard import ScorecardSchema, scorecard_body
from api.resources.v1.strategies.summary import StrategySummarySchema, summary_body

blp = Blueprint(
    "strategies",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/strategies",
    description=(
        "Business strategies: objectives tied to business outcomes, measured by KPIs. "
        "A strategy is activated only once it has objectives with KPIs and the "
        "organisation has audiences and resources: only then, activities."
    ),
)


def _created(strategy):
    location = url_for(
        "strategies.StrategyById", organisation_id=strategy.organisation_id, strategy_id=strategy.id
    )
    return saved(strategy, 201, location)


@blp.route("")
class Strategies(MethodView):
    @blp.operation("strategies_list", scope="strategies:read")
    @blp.arguments(StrategyFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(StrategySchema, "StrategyPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List strategies, filtered by status and period"""
        page = service.list_strategies(
            uow=uow(), filters=StrategyFilter(**filters), page=page_request(args)
        )
        return paged(page)

    @blp.operation("strategies_create", scope="strategies:write", idempotent=True)
    @blp.arguments(StrategySchema)
    @blp.response(201, StrategySchema, headers=ETAG_HEADER)
    def post(self, data):
        """Create a draft strategy"""
        return _created(service.create_strategy(uow=uow(), draft=data))


@blp.route("/<uuid:strategy_id>")
class StrategyById(MethodView):
    @blp.operation("strategies_get", scope="strategies:read")
    @blp.response(200, StrategySchema, headers=ETAG_HEADER)
    def get(self, strategy_id):
        """Get a strategy"""
        return saved(service.get_strategy(uow=uow(), strategy_id=strategy_id))

    @blp.operation("strategies_update", scope="strategies:write", versioned=True)
    @blp.arguments(StrategyUpdateSchema)
    @blp.response(200, StrategySchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, strategy_id):
        """Update a strategy (not once archived)"""
        strategy = service.update_strategy(
            uow=uow(), strategy_id=strategy_id, changes=changes, expected_version=expected_version()
        )
        return saved(strategy)

    @blp.operation("strategies_delete", scope="strategies:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, strategy_id):
        """Delete a draft strategy with its objectives and KPIs"""
        service.delete_strategy(uow=uow(), strategy_id=strategy_id)


@blp.route("/<uuid:strategy_id>/activate")
class ActivateStrategy(MethodView):
    @blp.operation("strategies_activate", scope="strategies:write", versioned=True)
    @blp.response(200, StrategySchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(
        422,
        response="UNPROCESSABLE_ENTITY",
    )
    def post(self, strategy_id):
        """Activate a draft strategy

        Refused with 422 listing every missing precondition (objectives, a KPI on
        every objective, audiences, resources), and with 409 when its period
        overlaps another active strategy.
        """
        return saved(
            service.activate_strategy(
                uow=uow(), strategy_id=strategy_id, expected_version=expected_version()
            )
        )


@blp.route("/<uuid:strategy_id>/archive")
class ArchiveStrategy(MethodView):
    @blp.operation("strategies_archive", scope="strategies:write", versioned=True)
    @blp.response(200, StrategySchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, strategy_id):
        """Archive a strategy; it becomes read-only"""
        return saved(
            service.archive_strategy(
                uow=uow(), strategy_id=strategy_id, expected_version=expected_version()
            )
        )


@blp.route("/<uuid:strategy_id>/summary")
class StrategySummary(MethodView):
    @blp.operation("strategies_summary", scope="strategies:read")
    @blp.response(200, StrategySummarySchema)
    def get(self, strategy_id):
        """The strategy page in one read

        Objectives with their KPIs, the organisation's audiences and resources
        with total weekly capacity, the latest readiness, and which activation
        preconditions are met.
        """
        return summary_body(strategy_summary(uow=uow(), strategy_id=strategy_id))


@blp.route("/<uuid:strategy_id>/scorecard")
class StrategyScorecard(MethodView):
    @blp.operation("strategies_scorecard", scope="metrics:read")
    @blp.response(200, ScorecardSchema)
    def get(self, strategy_id):
        """The strategy's scorecard

        Every objective with its KPIs, each KPI's latest value and status, and
        the trend of its last six periods.

        A KPI's `latest` is its newest period *with data* (`latest_rule`
        latest_period_with_data), not the just-opened period no metric point has
        reached yet: on the first of a month the scorecard still shows last month.
        `period_start`/`period_end` say which period that is, `complete` whether it
        has ended in the organisation's time zone (`today`); an open period's status
        compares its actual with the target to date. `current` is the open period's
        value when it already has data.
        """
        return scorecard_body(kpi_values.scorecard(uow=uow(), strategy_id=strategy_id))


@blp.route("/<uuid:strategy_id>/objectives")
class StrategyObjectives(MethodView):
    @blp.operation("objectives_list", scope="strategies:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(ObjectiveSchema, "ObjectivePage"), headers=LINK_HEADER)
    def get(self, args, strategy_id):
        """List a strategy's objectives"""
        return paged(
            objective_service.list_objectives(
                uow=uow(), strategy_id=strategy_id, page=page_request(args)
            )
        )

    @blp.operation("objectives_create", scope="strategies:write", idempotent=True)
    @blp.arguments(ObjectiveSchema)
    @blp.response(201, ObjectiveSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, strategy_id):
        """Add an objective to a strategy"""
        objective = objective_service.create_objective(
            uow=uow(), strategy_id=strategy_id, draft=data
        )
        location = url_for(
            "objectives.ObjectiveById",
            organisation_id=uow().tenant.organisation_id,
            objective_id=objective.id,
        )
        return saved(objective, 201, location)
