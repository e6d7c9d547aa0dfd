from datetime import date

import marshmallow as ma
from flask.views import MethodView

from api.domain.base import utcnow
from api.domain.planning.service import MAX_MONTHS, PlanFilter, build_plan
from api.http.blueprint import Blueprint
from api.http.context import uow

blp = Blueprint(
    "plan",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/plan",
    description="The rolling content plan, month by month, with the team's wiggle room.",
)


class PlanArgsSchema(ma.Schema):
    start = ma.fields.String(
        validate=ma.validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="Must be YYYY-MM."),
        metadata={"description": "First month, YYYY-MM (default: this month)"},
    )
    months = ma.fields.Integer(
        load_default=12,
        validate=ma.validate.Range(min=1, max=MAX_MONTHS),
        metadata={"description": f"How many months, 1 to {MAX_MONTHS} (default 12)"},
    )
    campaign_id = ma.fields.UUID()
    channel_id = ma.fields.UUID()
    owner_id = ma.fields.UUID(metadata={"description": "A resource"})


class PlanItemSchema(ma.Schema):
    class Meta:
        name = "PlanItem"

    id = ma.fields.UUID()
    title = ma.fields.String()
    status = ma.fields.String()
    format = ma.fields.String()
    due_date = ma.fields.Date(allow_none=True)
    scheduled_at = ma.fields.DateTime(allow_none=True)
    plan_date = ma.fields.Date()
    effort_hours = ma.fields.Float()
    campaign_id = ma.fields.UUID()
    campaign_name = ma.fields.String()
    channel_id = ma.fields.UUID()
    channel_name = ma.fields.String()
    channel_kind = ma.fields.String()
    owner_id = ma.fields.UUID(allow_none=True)
    owner_name = ma.fields.String(allow_none=True)


class ResourceLoadSchema(ma.Schema):
    class Meta:
        name = "ResourceLoad"

    resource_id = ma.fields.UUID()
    name = ma.fields.String()
    planned_hours = ma.fields.Float(metadata={"description": "Effort of its items this month"})
    capacity_hours = ma.fields.Float(
        metadata={"description": "Weekly capacity × weeks in the month (days / 7)"}
    )
    over_capacity = ma.fields.Boolean()


class PlanMonthSchema(ma.Schema):
    class Meta:
        name = "PlanMonth"

    month = ma.fields.Function(
        lambda m: m.month.strftime("%Y-%m"), metadata={"description": "YYYY-MM"}
    )
    items = ma.fields.List(ma.fields.Nested(PlanItemSchema))
    counts_by_channel = ma.fields.Dict(
        attribute="by_channel", keys=ma.fields.String(), values=ma.fields.Integer()
    )
    counts_by_status = ma.fields.Dict(
        attribute="by_status", keys=ma.fields.String(), values=ma.fields.Integer()
    )
    capacity = ma.fields.List(ma.fields.Nested(ResourceLoadSchema))


class PlanSchema(ma.Schema):
    class Meta:
        name = "Plan"

    start = ma.fields.Function(lambda p: p.start.strftime("%Y-%m"))
    months = ma.fields.List(ma.fields.Nested(PlanMonthSchema))


@blp.route("")
class ContentPlan(MethodView):
    @blp.operation("plan_get", scope="content:read")
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, PlanSchema)
    def get(self, args, tenant):
        """The rolling content plan

        For each month from `start`: the content items due or scheduled in it (an
        item sits on its scheduled day, else its due date), counts by channel and
        by status, and per resource the planned effort against its capacity with
        an `over_capacity` flag.
        """
        start = date.fromisoformat(f"{args['start']}-01") if "start" in args else utcnow().date()
        filters = PlanFilter(
            campaign_id=args.get("campaign_id"),
            channel_id=args.get("channel_id"),
            owner_id=args.get("owner_id"),
        )
        return build_plan(uow(), tenant, start=start, months=args["months"], filters=filters)
