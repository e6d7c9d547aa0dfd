from flask import current_app, url_for
from flask.views import MethodView

from api.domain.metrics import definitions, points, series
from api.domain.metrics.definitions import KEY_PATTERN
from api.domain.metrics.points import PointFilter
from api.http.blueprint import Blueprint, body_limit
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.metric_definitions.routes import (
    MetricDefinitionListSchema,
    MetricDefinitionSchema,
)
from api.resources.v1.metrics.schemas import (
    BatchArgsSchema,
    MetricDefinitionCreateSchema,
    MetricPointBatchResultSchema,
    MetricPointBatchSchema,
    MetricPointFilterSchema,
    MetricPointSchema,
    MetricSeriesArgsSchema,
    MetricSeriesSchema,
)

# A full batch (10,000 points with ids) is 1.5 to 3 MB of JSON: more than the app's
# default body limit, which stays as it is for every other endpoint.
BATCH_MAX_BYTES = 4 * 1024 * 1024

blp = Blueprint(
    "metrics",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>",
    description=(
        "Numbers in: metric points per day from any source (sync, import, api), "
        "optionally of a channel, campaign or content item; the organisation's own "
        "metric keys beside the built-in catalogue; a metric's values over time."
    ),
)


@blp.route("/metric-points/batch")
class MetricPointBatch(MethodView):
    @blp.operation("metric_points_ingest", scope="metrics:write")
    @body_limit(lambda: max(BATCH_MAX_BYTES, current_app.config["MAX_CONTENT_LENGTH"]))
    @blp.arguments(BatchArgsSchema, location="query", as_kwargs=True)
    @blp.arguments(MetricPointBatchSchema)
    @blp.response(200, MetricPointBatchResultSchema)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, batch, atomic):
        """Write a batch of metric points

        Up to 10,000 points (4 MB) per request. A point with the identity of a stored
        one (metric key, day, source, channel, campaign, content item) replaces its
        value; within a batch the last of such points wins. Each point is checked:
        its metric key must be defined, its channel, campaign and content item must
        exist in this organisation, its value must be finite. With `atomic=false`
        the valid points are written and the others listed in `rejected` by index;
        with `atomic=true` any invalid point refuses the batch with a 422 listing
        them in `errors.points`. Sending the same batch again is safe. KPI values
        are recomputed shortly after.
        """
        result = points.ingest_points(uow=uow(), points=batch["points"], atomic=atomic)
        rejected = [{"index": index, "reason": reason} for index, reason in result.rejected]
        return {"inserted": result.inserted, "updated": result.updated, "rejected": rejected}


@blp.route("/metric-points")
class MetricPoints(MethodView):
    @blp.operation("metric_points_list", scope="metrics:read")
    @blp.arguments(MetricPointFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(MetricPointSchema, "MetricPointPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List metric points, with filters

        In the order they were first written; a replaced point keeps its place.
        """
        return paged(
            points.list_points(uow=uow(), filters=PointFilter(**filters), page=page_request(args))
        )


@blp.route("/metric-series")
class MetricSeries(MethodView):
    @blp.operation("metric_series_get", scope="metrics:read")
    @blp.arguments(MetricSeriesArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, MetricSeriesSchema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def get(self, metric, **args):
        """A metric's values per day, week or month

        Flows (count and currency metrics) add up over a period; levels (followers,
        active customers) take their latest value in the period on each channel,
        summed across channels; ratio metrics are averaged over its points. Every
        period from `from` to `to` is listed (weeks start on Monday), with `null`
        where there are no points; the first and last periods count only the days
        within the range. At most 1,000 periods.
        """
        return series.metric_series(uow=uow(), metric_key=metric, **args)


@blp.route("/metric-definitions")
class MetricDefinitions(MethodView):
    @blp.operation("metric_definitions_list_for_organisation", scope="metrics:read")
    @blp.response(200, MetricDefinitionListSchema)
    def get(self):
        """List the metric keys available to the organisation

        The built-in catalogue (`built_in: true`) followed by the organisation's own keys.
        """
        return {"items": definitions.list_definitions(uow=uow())}

    @blp.operation("metric_definitions_create", scope="metrics:write", idempotent=True)
    @blp.arguments(MetricDefinitionCreateSchema)
    @blp.response(201, MetricDefinitionSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, draft):
        """Define a metric key of the organisation's own

        The key must not be a built-in key or one the organisation already defines (409).
        `behaviour` says how reports and KPIs add it up over time: `flow` (the default
        for count and currency: summed over days) or `level` (its latest value counts,
        e.g. subscribers); ratio metrics take none (averaged). `part_of` names a
        defined key, of the same kind and behaviour, whose count already includes this
        one's: the funnel then counts the part only where its parent has no data.
        """
        made = definitions.create_definition(uow=uow(), draft=draft)
        location = url_for(
            "metrics.MetricDefinitionByKey",
            organisation_id=uow().tenant.organisation_id,
            metric_key=made.key,
        )
        return made, 201, {"Location": location}


# The path names a key as definitions spell it; anything else is a 404.
METRIC_KEY_PATH = {
    "in": "path",
    "name": "metric_key",
    "required": True,
    "schema": {"type": "string", "pattern": KEY_PATTERN.pattern, "maxLength": 64},
}


@blp.route("/metric-definitions/<metric_key>", parameters=[METRIC_KEY_PATH])
class MetricDefinitionByKey(MethodView):
    @blp.operation("metric_definitions_get", scope="metrics:read")
    @blp.response(200, MetricDefinitionSchema)
    def get(self, metric_key):
        """Get a metric definition, built-in or the organisation's"""
        return definitions.get_definition(uow=uow(), key=metric_key)

    @blp.operation("metric_definitions_delete", scope="metrics:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, metric_key):
        """Delete an unused metric key of the organisation

        Built-in keys, and keys that metric points, KPIs or other keys' `part_of`
        use, stay (409).
        """
        definitions.delete_definition(uow=uow(), key=metric_key)
