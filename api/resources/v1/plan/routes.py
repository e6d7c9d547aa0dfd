import marshmallow as ma
from flask import jsonify
from flask.views import MethodView

from api.domain.base import utcnow
from api.domain.content_items.import_rows import COLUMNS
from api.domain.plan.service import MAX_MONTHS, Plan, PlanFilter, build_plan
from api.http.blueprint import Blueprint
from api.http.context import uow
from api.http.schema import Month, Schema
from api.resources.v1.reports.csv import CSV_RESPONSE, as_csv, wants_csv

blp = Blueprint(
    "plan",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/plan",
    description="The rolling content plan, month by month, with the team's wiggle room.",
)

# The export: the import's columns (references by id), then what people read them by.
EXPORT_COLUMNS = [
    "id",
    *COLUMNS,
    "plan_date",
    "channel_handle",
    "campaign_utm",
    "owner_name",
]


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
    @blp.doc(
        responses={
            200: {
                "content": {
                    "text/csv": {
                        **CSV_RESPONSE["content"]["text/csv"],
                        "example": ",".join(EXPORT_COLUMNS) + "\n",
                    }
                }
            }
        }
    )
    def get(self, args):
        """The rolling content plan

        For each month from `start`: the content items due or scheduled in it (an
        item sits on its scheduled day, else its due date), counts by channel and
        by status, and per resource the planned effort against its capacity with
        an `over_capacity` flag.

        With `Accept: text/csv`, the plan's items as CSV, one row each, in the
        columns `POST …/content-items/imports` reads (`channel`, `campaign` and
        `owner` by id), so an exported plan can be edited and imported again, plus
        `id`, `plan_date`, `channel_handle`, `campaign_utm` and `owner_name` for
        people (the import ignores them). A text cell that a spreadsheet would run
        as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
        is written after a `'`, which the import removes again.
        """
        start = args["start"] if "start" in args else utcnow().date()
        filters = PlanFilter(
            campaign_id=args.get("campaign_id"),
            channel_id=args.get("channel_id"),
            owner_id=args.get("owner_id"),
        )
        exporting = wants_csv()
        plan = build_plan(
            uow=uow(), start=start, months=args["months"], filters=filters, for_export=exporting
        )
        if exporting:
            return as_csv(plan_rows(plan), EXPORT_COLUMNS)
        return jsonify(plan_body(plan))


def plan_rows(plan: Plan):
    """The plan's items as rows of the CSV export (references by id, names beside them)."""
    for month in plan.months:
        for row in month.items:
            yield {
                "id": str(row["id"]),
                "title": row["title"],
                "channel": str(row["channel_id"]),
                "campaign": str(row["campaign_id"]),
                "owner": _str(row["owner_id"]),
                "due_date": _iso(row["due_date"]),
                "scheduled_at": _iso(row["scheduled_at"]),
                "text": row["text"],
                "status": row["status"],
                "format": row["format"],
                "effort_hours": float(row["effort_hours"]),
                "brief": row["brief"],
                "plan_date": row["plan_date"].isoformat(),
                "channel_handle": row["channel_handle"],
                "campaign_utm": row["utm_campaign"],
                "owner_name": row["owner_name"],
            }


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
