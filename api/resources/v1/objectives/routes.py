from flask import url_for
from flask.views import MethodView

from api.domain.kpis import service as kpi_service
from api.domain.strategies import objectives as service
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.kpis.schemas import KpiSchema
from api.resources.v1.objectives.schemas import ObjectiveSchema, ObjectiveUpdateSchema

blp = Blueprint(
    "objectives",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/objectives",
    description="Objectives of a strategy (created under `…/strategies/{id}/objectives`).",
)


@blp.route("/<uuid:objective_id>")
class ObjectiveById(MethodView):
    @blp.operation("objectives_get", scope="strategies:read")
    @blp.response(200, ObjectiveSchema, headers=ETAG_HEADER)
    def get(self, objective_id):
        """Get an objective"""
        return saved(service.get_objective(uow=uow(), objective_id=objective_id))

    @blp.operation("objectives_update", scope="strategies:write", versioned=True)
    @blp.arguments(ObjectiveUpdateSchema)
    @blp.response(200, ObjectiveSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, objective_id):
        """Update an objective (also while its strategy is active; the change is audited)"""
        return saved(
            service.update_objective(
                uow=uow(),
                objective_id=objective_id,
                changes=changes,
                expected_version=expected_version(),
            )
        )

    @blp.operation("objectives_delete", scope="strategies:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, objective_id):
        """Delete an objective and its KPIs"""
        service.delete_objective(uow=uow(), objective_id=objective_id)


@blp.route("/<uuid:objective_id>/kpis")
class ObjectiveKpis(MethodView):
    @blp.operation("kpis_list", scope="strategies:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(KpiSchema, "KpiPage"), headers=LINK_HEADER)
    def get(self, args, objective_id):
        """List an objective's KPIs"""
        return paged(
            kpi_service.list_kpis(uow=uow(), objective_id=objective_id, page=page_request(args))
        )

    @blp.operation("kpis_create", scope="strategies:write", idempotent=True)
    @blp.arguments(KpiSchema)
    @blp.response(201, KpiSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data, objective_id):
        """Add a KPI to an objective

        A ratio KPI names `numerator_key` and `denominator_key`; the others name
        `metric_key`: a built-in key or one the organisation defines. A level
        (`behaviour: level`, e.g. followers) is measured by `last` or `avg`; a `sum`
        or `ratio` over it would count it again every day and is refused (422). With
        a baseline, an `increase` target must lie above it and a `decrease` target
        below it.
        """
        kpi = kpi_service.create_kpi(uow=uow(), objective_id=objective_id, draft=data)
        location = url_for(
            "kpis.KpiById", organisation_id=uow().tenant.organisation_id, kpi_id=kpi.id
        )
        return saved(kpi, 201, location)
