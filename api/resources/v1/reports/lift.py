"""GET …/reports/lift: is a metric up against a baseline window?"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports.lift import VERDICTS, lift_report
from api.http.context import uow
from api.http.schema import Schema
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.fields import figure, reason


class LiftArgsSchema(Schema):
    metric = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "A built-in metric key or one the organisation defined"},
    )
    campaign_id = ma.fields.UUID(metadata={"description": "Only this campaign's points"})
    channel_id = ma.fields.UUID(
        metadata={"description": "Only this channel's points (not with campaign_id)"}
    )
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day, inclusive"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day, inclusive; at most 5 years after from"},
    )
    baseline_from = ma.fields.Date(
        metadata={"description": "First day of the baseline window (default: see above)"}
    )
    baseline_to = ma.fields.Date(
        metadata={"description": "Last day of the baseline window, given with baseline_from"}
    )


class LiftWindowSchema(Schema):
    class Meta:
        name = "LiftWindow"

    day_from = ma.fields.Date(required=True, data_key="from", attribute="start")
    day_to = ma.fields.Date(required=True, data_key="to", attribute="end")
    days = ma.fields.Integer(required=True, metadata={"description": "Days in the window"})
    points = ma.fields.Integer(required=True, metadata={"description": "Metric points counted"})
    days_with_data = ma.fields.Integer(required=True)
    total = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Sum of the points' values; null for ratio and level metrics"},
    )
    daily_average = figure(
        "daily_average",
        "flows (count and currency): total / days (days without points count as 0); "
        "levels (followers): the average level, per channel over its days with data, "
        "summed across channels; ratio: mean of the points; null when the window has "
        "no points",
    )
    daily_average_reason = reason("daily_average")


class LiftReportSchema(Schema):
    class Meta:
        name = "LiftReport"

    metric = ma.fields.String(required=True)
    metric_name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "count, currency or ratio"})
    behaviour = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "flow or level (what daily_average means); null for ratios"},
    )
    unit = ma.fields.String(required=True)
    campaign_id = ma.fields.UUID(required=True, allow_none=True)
    channel_id = ma.fields.UUID(required=True, allow_none=True)
    baseline_default = ma.fields.Boolean(
        required=True,
        metadata={"description": "true: the baseline is the window of the same length before"},
    )
    window = ma.fields.Nested(LiftWindowSchema, required=True)
    baseline = ma.fields.Nested(LiftWindowSchema, required=True)
    absolute_lift = figure("absolute_lift", "window daily average − baseline daily average")
    absolute_lift_reason = reason("absolute_lift")
    relative_lift = figure(
        "relative_lift", "absolute lift / |baseline daily average|; 0.23 is 23 %"
    )
    relative_lift_reason = reason("relative_lift")
    verdict = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(VERDICTS),
        metadata={"description": "lift (absolute lift > 0), no_lift, or not_enough_data"},
    )
    answer = ma.fields.String(
        required=True, metadata={"description": "The answer in one sentence, with its figures"}
    )


def lift_rows(report) -> list[dict]:
    body = LiftReportSchema().dump(report)
    row = {k: v for k, v in body.items() if k not in ("window", "baseline")}
    for prefix in ("window", "baseline"):
        row |= {f"{prefix}_{k}": v for k, v in body[prefix].items()}
    return [row]


class Lift(MethodView):
    @blp.operation("reports_lift", scope="reports:read")
    @blp.arguments(LiftArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, LiftReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(lift_rows)
    def get(self, **args):
        """Lift of a metric against a baseline window

        Answers "do you see a lift in customer interactions?" (`metric=customer_interactions`)
        for any metric, over all the organisation's points or one campaign's
        (`campaign_id`) or one channel's (`channel_id`, not both).

        - **Daily average** of a window: for flows (count and currency metrics), the
          sum of the points' values ÷ the days in the window, days without points
          counting as 0; for levels (`behaviour: level`, e.g. followers), the average
          level: on each channel the mean of its daily values over the days it was
          measured, summed across channels (never a sum over days, and a day without
          a measure is not a day of zero followers); for ratio metrics, the mean of
          the points (days without points left out). `null` when the window has no
          points at all.
        - **Baseline window**: `baseline_from`..`baseline_to` (both or neither; it
          must not overlap `from`..`to`); by default the window of the same length
          just before `from`.
        - **Absolute lift** = window daily average − baseline daily average.
        - **Relative lift** = absolute lift ÷ |baseline daily average| (0.23 is 23 %);
          `null` with a reason when the baseline average is 0.
        - **Verdict**: `lift` when the absolute lift is above 0, `no_lift` otherwise,
          `not_enough_data` when either window has no points; `answer` says the same
          in a sentence. Both windows are at most 5 years long.
        """
        return lift_report(uow=uow(), **args)
