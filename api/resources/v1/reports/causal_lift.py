"""GET …/reports/causal-lift: did the campaign cause the lift, against a counterfactual?"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports.causal_lift import MAX_CONTROLS, VERDICTS, causal_lift_report
from api.http.context import uow
from api.http.schema import Schema
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.fields import figure, reason


class CausalLiftArgsSchema(Schema):
    metric = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "A built-in metric key or one the organisation defined"},
    )
    campaign_id = ma.fields.UUID(
        metadata={"description": "The campaign's channels' points (or channel_id)"}
    )
    channel_id = ma.fields.UUID(metadata={"description": "The channel's points (or campaign_id)"})
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day of the period"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day of the period, inclusive; at most 5 years after from"},
    )
    pre_from = ma.fields.Date(metadata={"description": "First day of the pre-period"})
    pre_to = ma.fields.Date(
        metadata={"description": "Last day of the pre-period (before from), with pre_from"}
    )
    controls = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
        validate=ma.validate.Length(max=MAX_CONTROLS),
        metadata={
            "description": "Repeat for each control: a channel id (the same metric there) "
            "or a metric key (that metric over the organisation's channels)"
        },
    )


class CausalControlSchema(Schema):
    class Meta:
        name = "CausalLiftControl"

    kind = ma.fields.String(required=True, metadata={"description": "channel or metric"})
    name = ma.fields.String(required=True)
    channel_id = ma.fields.UUID(required=True, allow_none=True)
    metric = ma.fields.String(required=True)
    correlation = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "With the metric in the pre-period; null if not computed"},
    )


class CausalDaySchema(Schema):
    class Meta:
        name = "CausalLiftDay"

    day = ma.fields.Date(required=True)
    in_period = ma.fields.Boolean(
        required=True, metadata={"description": "false: a day of the pre-period"}
    )
    actual = ma.fields.Float(required=True, allow_none=True)
    counterfactual = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "Pre-period: one-day-ahead prediction; period: the forecast"},
    )
    lower = ma.fields.Float(required=True, allow_none=True, metadata={"description": "95 % band"})
    upper = ma.fields.Float(required=True, allow_none=True)


class PeriodSchema(Schema):
    class Meta:
        name = "CausalLiftPeriod"

    day_from = ma.fields.Date(required=True, data_key="from", attribute="start")
    day_to = ma.fields.Date(required=True, data_key="to", attribute="end")
    days = ma.fields.Integer(required=True)


class CausalLiftReportSchema(Schema):
    class Meta:
        name = "CausalLiftReport"

    metric = ma.fields.String(required=True)
    metric_name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "count, currency or ratio"})
    behaviour = ma.fields.String(required=True, allow_none=True)
    unit = ma.fields.String(required=True)
    campaign_id = ma.fields.UUID(required=True, allow_none=True)
    channel_id = ma.fields.UUID(required=True, allow_none=True)
    period = ma.fields.Nested(PeriodSchema, required=True)
    pre_period = ma.fields.Nested(PeriodSchema, required=True)
    pre_period_default = ma.fields.Boolean(required=True)
    controls_default = ma.fields.Boolean(required=True)
    controls = ma.fields.List(ma.fields.Nested(CausalControlSchema), required=True)
    actual = figure("actual", "The period's daily average")
    actual_reason = reason("actual")
    counterfactual = figure("counterfactual", "The daily average expected without the intervention")
    counterfactual_reason = reason("counterfactual")
    absolute_lift = figure("absolute_lift", "actual − counterfactual, a day")
    absolute_lift_reason = reason("absolute_lift")
    absolute_lift_lower = figure("absolute_lift_lower", "Its 95 % interval's lower end")
    absolute_lift_lower_reason = reason("absolute_lift_lower")
    absolute_lift_upper = figure("absolute_lift_upper", "Its 95 % interval's upper end")
    absolute_lift_upper_reason = reason("absolute_lift_upper")
    total_lift = figure("total_lift", "The effect over the period; flows only")
    total_lift_reason = reason("total_lift")
    relative_lift = figure("relative_lift", "absolute lift / counterfactual; 0.23 is 23 %")
    relative_lift_reason = reason("relative_lift")
    relative_lift_lower = figure("relative_lift_lower", "Its 95 % interval's lower end")
    relative_lift_lower_reason = reason("relative_lift_lower")
    relative_lift_upper = figure("relative_lift_upper", "Its 95 % interval's upper end")
    relative_lift_upper_reason = reason("relative_lift_upper")
    probability = figure("probability", "Probability of a causal effect (1 − two-sided p)")
    probability_reason = reason("probability")
    verdict = ma.fields.String(required=True, validate=ma.validate.OneOf(VERDICTS))
    answer = ma.fields.String(required=True)
    assumptions = ma.fields.List(ma.fields.String(), required=True)
    days = ma.fields.List(ma.fields.Nested(CausalDaySchema), required=True)


def causal_rows(report) -> list[dict]:
    """The daily series, for a chart in a spreadsheet."""
    return CausalDaySchema(many=True).dump(report.days)


class CausalLift(MethodView):
    @blp.operation("reports_causal_lift", scope="reports:read")
    @blp.arguments(CausalLiftArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, CausalLiftReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(causal_rows)
    def get(self, **args):
        """Causal lift: the metric against what it would have done without the intervention

        The lift report counts season, trend and chance as effect; this one compares
        the period `from`..`to` on a channel (`channel_id`) or on a campaign's channels
        (`campaign_id`, exactly one; their totals, before and during the campaign)
        with a **counterfactual**: a structural time
        series (local level, day-of-week pattern, the controls as regressors) fitted
        on the pre-period and forecast over the period with the controls' actual
        values, as CausalImpact does.

        - **Pre-period**: `pre_from`..`pre_to`, ending before `from`; by default the
          3 × the period's days (at least 28) before it. It needs at least 21
          days and at least as many as the period.
        - **Controls**: `controls` (repeat it; channel ids or metric keys, at most
          5); each must correlate with the metric in the pre-period at least 0.5
          (in absolute value), or the figures are null with the reason. By default the
          organisation's other channels the campaign (or channel) is not, the best
          correlated of them (at least 0.5, at most 5); none: the pre-period alone.
        - **Figures** a day on average over the period, with 95 % intervals from
          1,000 seeded simulations of the counterfactual; `probability` is that of a
          causal effect; `verdict` is `lift` or `drop` when the interval excludes 0,
          `no_clear_effect` otherwise, `not_enough_data` with reasons. `days` holds the
          series to plot (also the CSV variant); `assumptions` what the figures rest on.
        """
        return causal_lift_report(uow=uow(), **args)
