import marshmallow as ma
from flask.views import MethodView

from api.domain.metrics.definitions import BUILT_IN
from api.http.blueprint import Blueprint
from api.http.schema import Schema

blp = Blueprint(
    "metric-definitions",
    __name__,
    url_prefix="/v1/metric-definitions",
    description=(
        "The metric catalogue: what each metric key means, its funnel stage, whether it is "
        "a flow (summed over days) or a level (its latest value counts), and which metric "
        "it is a part of."
    ),
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
    behaviour = ma.fields.String(
        allow_none=True,
        metadata={
            "description": (
                "How the metric adds up over time. flow: a window's figure is the sum of "
                "its days (impressions, leads). level: a state measured on days, whose "
                "latest value in a window counts, per channel (followers, active "
                "customers); never summed over days. null for ratio metrics: averaged."
            )
        },
    )
    part_of = ma.fields.String(
        allow_none=True,
        metadata={
            "description": (
                "The metric whose count already includes this one's (clicks, shares and "
                "comments are part of engagements; reach of impressions): where the "
                "parent has data, the part is not added to it again. null: a part of none."
            )
        },
    )


class MetricDefinitionListSchema(Schema):
    class Meta:
        name = "MetricDefinitionList"

    items = ma.fields.List(ma.fields.Nested(MetricDefinitionSchema))


@blp.route("")
class MetricDefinitions(MethodView):
    @blp.operation("metric_definitions_list", tenant=False)
    @blp.response(200, MetricDefinitionListSchema)
    def get(self):
        """List the built-in metric catalogue

        Each metric's `funnel_stage`, `behaviour` (flow or level) and `part_of` say how
        reports and KPI rollups count it. Levels: `followers`, `active_customers`.
        Parts: `clicks`, `shares` and `comments` of `engagements`; `reach` of
        `impressions` (each person reached saw an impression). `churned_customers` is
        in no stage: the funnel reports it as loss beside the stages. `support_tickets`
        is in no stage either: a request for help is customer service demand, neither
        advocacy nor loss.
        """
        return {"items": BUILT_IN}
