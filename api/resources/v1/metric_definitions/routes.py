import marshmallow as ma
from flask.views import MethodView

from api.domain.metrics.catalogue import BUILT_IN
from api.http.blueprint import Blueprint
from api.http.schema import Schema

blp = Blueprint(
    "metric-definitions",
    __name__,
    url_prefix="/v1/metric-definitions",
    description="The metric catalogue: what each metric key means.",
)


class MetricDefinitionSchema(Schema):
    class Meta:
        name = "MetricDefinition"

    key = ma.fields.String()
    name = ma.fields.String()
    unit = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "count, currency or ratio"})
    funnel_stage = ma.fields.String(
        allow_none=True,
        metadata={"description": "awareness, engagement, lead, customer or advocacy"},
    )
    description = ma.fields.String()
    built_in = ma.fields.Boolean()


class MetricDefinitionListSchema(Schema):
    class Meta:
        name = "MetricDefinitionList"

    items = ma.fields.List(ma.fields.Nested(MetricDefinitionSchema))


@blp.route("")
class MetricDefinitions(MethodView):
    @blp.operation("metric_definitions_list", tenant=False)
    @blp.response(200, MetricDefinitionListSchema)
    def get(self):
        """List the built-in metric catalogue"""
        return {"items": [{**vars(m), "built_in": True} for m in BUILT_IN]}
