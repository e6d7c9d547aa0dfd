from flask.views import MethodView

from api.domain.forecasts import service as forecasts
from api.domain.kpis import service
from api.domain.kpis import values as kpi_values
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.resources.v1.kpis.schemas import (
    KpiForecastSchema,
    KpiSchema,
    KpiUpdateSchema,
    KpiValueArgsSchema,
    KpiValueListSchema,
)

blp = Blueprint(
    "kpis",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/kpis",
    description="KPIs measuring objectives (created under `…/objectives/{id}/kpis`).",
)


@blp.route("/<uuid:kpi_id>")
class KpiById(MethodView):
    @blp.operation("kpis_get", scope="strategies:read")
    @blp.response(200, KpiSchema, headers=ETAG_HEADER)
    def get(self, kpi_id):
        """Get a KPI"""
        return saved(service.get_kpi(uow=uow(), kpi_id=kpi_id))

    @blp.operation("kpis_update", scope="strategies:write", versioned=True)
    @blp.arguments(KpiUpdateSchema)
    @blp.response(200, KpiSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, kpi_id):
        """Update a KPI (the whole KPI is checked again)"""
        return saved(
            service.update_kpi(
                uow=uow(), kpi_id=kpi_id, changes=changes, expected_version=expected_version()
            )
        )

    @blp.operation("kpis_delete", scope="strategies:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, kpi_id):
        """Delete a KPI"""
        service.delete_kpi(uow=uow(), kpi_id=kpi_id)


@blp.route("/<uuid:kpi_id>/values")
class KpiValues(MethodView):
    @blp.operation("kpis_values", scope="metrics:read")
    @blp.arguments(KpiValueArgsSchema, location="query")
    @blp.response(200, KpiValueListSchema)
    def get(self, args, kpi_id):
        """A KPI's values by period, oldest first

        Computed by the rollups from metric points: after new points, values
        follow within moments (a queued rollup), and a nightly full rollup
        recomputes every period.
        """
        return {"items": kpi_values.list_values(uow=uow(), kpi_id=kpi_id, **args)}


@blp.route("/<uuid:kpi_id>/forecast")
class KpiForecastLatest(MethodView):
    @blp.operation("kpis_forecast", scope="metrics:read")
    @blp.response(200, KpiForecastSchema)
    def get(self, kpi_id):
        """The KPI's forecast for its open period

        Computed by the rollups (never at request time), after new metric points and
        by the nightly full rollup. 404 when the KPI has no forecast yet (no rollup
        since it was created, or no open period: its strategy has ended).
        """
        return forecasts.current_forecast(uow=uow(), kpi_id=kpi_id)
