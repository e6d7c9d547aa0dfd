import marshmallow as ma
from flask import jsonify
from flask.views import MethodView

from api.domain.base import utcnow
from api.domain.plan.service import MAX_MONTHS, Plan, PlanFilter, build_plan
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.schema import Month, Schema

blp = Blueprint(
    "plan",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/plan",
    description="The rolling content plan, month by month, with the team's wiggle room.",
)


class PlanArgsSchema(Schema):
    start = Month(metadata={"description": "First month, YYYY-MM (default: this month)"})
    months = ma.fields.Integer(
        load_default=12,
        validate=ma.validate.Range(min=1, max=MAX_MONTHS),
        metadata={"description": f"How many months, 1 to {MAX_MONTHS} (default 12)"},
    )
    campaign_id = ma.fields.UUID()
    channel_id = ma.fields.UUID()
    owner_id = ma.fields.UUID(metadata={"description": "A resource"})


class PlanItemSchema(Schema):
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
    engagements = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "The item's headline result: its engagements so far (likes, "
            "reposts, replies of the published post, see `GET …/content-items/{id}/results`); "
            "null while it has none"
        },
    )


class ResourceLoadSchema(Schema):
    class Meta:
        name = "ResourceLoad"

    resource_id = ma.fields.UUID()
    name = ma.fields.String()
    planned_hours = ma.fields.Float(metadata={"description": "Effort of its items this month"})
    capacity_hours = ma.fields.Float(
        metadata={"description": "Weekly capacity × weeks in the month (days / 7)"}
    )
    over_capacity = ma.fields.Boolean()


class PlanMonthSchema(Schema):
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


class PlanSchema(Schema):
    class Meta:
        name = "Plan"

    start = ma.fields.Function(lambda p: p.start.strftime("%Y-%m"))
    months = ma.fields.List(ma.fields.Nested(PlanMonthSchema))


@blp.route("")
class ContentPlan(MethodView):
    @blp.operation("plan_get", scope="content:read")
    @blp.arguments(PlanArgsSchema, location="query")
    @blp.response(200, PlanSchema)
    def get(self, args):
        """The rolling content plan

        For each month from `start`: the content items due or scheduled in it (an
        item sits on its scheduled day, else its due date), counts by channel and
        by status, and per resource the planned effort against its capacity with
        an `over_capacity` flag.
        """
        start = args["start"] if "start" in args else utcnow().date()
        filters = PlanFilter(
            campaign_id=args.get("campaign_id"),
            channel_id=args.get("channel_id"),
            owner_id=args.get("owner_id"),
        )
        plan = build_plan(uow=uow(), start=start, months=args["months"], filters=filters)
        return jsonify(plan_body(plan))


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _float(value) -> float | None:
    return float(value) if value is not None else None


def _str(value) -> str | None:
    return str(value) if value is not None else None


def plan_body(plan: Plan) -> dict:
    """What PlanSchema documents, written out by hand: a year of items is tens of
    thousands of fields, and the generic dump was most of the request's time
    (see docs/performance.md). A test keeps the two identical."""
    return {
        "start": plan.start.strftime("%Y-%m"),
        "months": [
            {
                "month": month.month.strftime("%Y-%m"),
                "items": [
                    {
                        "id": str(row["id"]),
                        "title": row["title"],
                        "status": row["status"],
                        "format": row["format"],
                        "due_date": _iso(row["due_date"]),
                        "scheduled_at": _iso(row["scheduled_at"]),
                        "plan_date": row["plan_date"].isoformat(),
                        "effort_hours": float(row["effort_hours"]),
                        "campaign_id": str(row["campaign_id"]),
                        "campaign_name": row["campaign_name"],
                        "channel_id": str(row["channel_id"]),
                        "channel_name": row["channel_name"],
                        "channel_kind": row["channel_kind"],
                        "owner_id": _str(row["owner_id"]),
                        "owner_name": row["owner_name"],
                        "engagements": _float(row["engagements"]),
                    }
                    for row in month.items
                ],
                "counts_by_channel": month.by_channel,
                "counts_by_status": month.by_status,
                "capacity": [
                    {
                        "resource_id": str(load.resource_id),
                        "name": load.name,
                        "planned_hours": load.planned_hours,
                        "capacity_hours": load.capacity_hours,
                        "over_capacity": load.over_capacity,
                    }
                    for load in month.capacity
                ],
            }
            for month in plan.months
        ],
    }
