"""GET …/reports/funnel: stage totals and conversion rates, overall, per channel, per campaign."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.metrics.models import FUNNEL_STAGES
from api.domain.reports.funnel import funnel_report
from api.http.context import uow
from api.http.schema import Schema
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.fields import figure, reason


class FunnelArgsSchema(Schema):
    campaign_id = ma.fields.UUID(metadata={"description": "Only this campaign's points"})
    channel_id = ma.fields.UUID(metadata={"description": "Only this channel's points"})
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day, inclusive"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day, inclusive; at most 5 years after from"},
    )


class FunnelStageMetricsSchema(Schema):
    class Meta:
        name = "FunnelStageMetrics"

    stage = ma.fields.String(required=True, validate=ma.validate.OneOf(FUNNEL_STAGES))
    metric_keys = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "The count metrics that count in the stage"},
    )
    level_keys = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={
            "description": "Those that are levels: their latest value per channel counts, not a sum"
        },
    )
    part_of = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={
            "description": (
                "Part → the metric of this stage it is a part of: a part is not added "
                "where its parent has data"
            )
        },
    )


class FunnelMetricTotalSchema(Schema):
    class Meta:
        name = "FunnelMetricTotal"

    key = ma.fields.String(required=True)
    total = ma.fields.Float(
        required=True,
        metadata={
            "description": "A flow's sum over the window; a level's latest value per channel"
        },
    )
    counted = ma.fields.Float(
        required=True,
        metadata={
            "description": (
                "What of the total the stage counts: all of it, or 0 for a part where "
                "the metric it is a part of has data (per channel and campaign)"
            )
        },
    )


class FunnelStageSchema(Schema):
    class Meta:
        name = "FunnelStage"

    stage = ma.fields.String(required=True, validate=ma.validate.OneOf(FUNNEL_STAGES))
    total = ma.fields.Float(
        required=True,
        metadata={"description": "Each interaction once: the sum of its metrics' counted"},
    )
    metrics = ma.fields.List(
        ma.fields.Nested(FunnelMetricTotalSchema),
        required=True,
        metadata={"description": "The stage's metrics that have points, with their totals"},
    )


class FunnelConversionSchema(Schema):
    class Meta:
        name = "FunnelConversion"

    from_stage = ma.fields.String(required=True)
    to_stage = ma.fields.String(required=True)
    rate = figure("rate", "to_stage total ÷ from_stage total; 0.05 is 5 %")
    reason = reason("rate", "Why the rate is null (the from stage total is 0)")


class FunnelChurnSchema(Schema):
    class Meta:
        name = "FunnelChurn"

    churned_customers = ma.fields.Float(
        required=True, metadata={"description": "Customers lost in the window (a flow)"}
    )
    active_customers = ma.fields.Float(
        required=True,
        metadata={"description": "The customer base: active_customers' latest level per channel"},
    )
    rate = figure("rate", "churned_customers ÷ active_customers; 0.02 is 2 %")
    reason = reason("rate", "Why the rate is null (no active customers)")


class FunnelSchema(Schema):
    class Meta:
        name = "Funnel"

    stages = ma.fields.List(ma.fields.Nested(FunnelStageSchema), required=True)
    conversions = ma.fields.List(ma.fields.Nested(FunnelConversionSchema), required=True)
    churn = ma.fields.Nested(
        FunnelChurnSchema,
        required=True,
        metadata={"description": "Loss of customers, beside the stages: never a stage"},
    )


class ChannelFunnelSchema(Schema):
    class Meta:
        name = "ChannelFunnel"

    channel_id = ma.fields.UUID(
        required=True, allow_none=True, metadata={"description": "null: points of no channel"}
    )
    name = ma.fields.String(required=True, allow_none=True)
    kind = ma.fields.String(required=True, allow_none=True)
    mode = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "push or conversational"}
    )
    family = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "social or traditional"}
    )
    funnel = ma.fields.Nested(FunnelSchema, required=True)


class CampaignFunnelSchema(Schema):
    class Meta:
        name = "CampaignFunnel"

    campaign_id = ma.fields.UUID(
        required=True, allow_none=True, metadata={"description": "null: points of no campaign"}
    )
    name = ma.fields.String(required=True, allow_none=True)
    utm_campaign = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The campaign's UTM code: join lead data kept elsewhere on it"},
    )
    funnel = ma.fields.Nested(FunnelSchema, required=True)


class FunnelReportSchema(Schema):
    class Meta:
        name = "FunnelReport"

    day_from = ma.fields.Date(required=True, data_key="from")
    day_to = ma.fields.Date(required=True, data_key="to")
    days = ma.fields.Integer(required=True)
    campaign_id = ma.fields.UUID(required=True, allow_none=True)
    channel_id = ma.fields.UUID(required=True, allow_none=True)
    stage_metrics = ma.fields.List(
        ma.fields.Nested(FunnelStageMetricsSchema),
        required=True,
        metadata={"description": "The inputs: which metric keys make up each stage"},
    )
    funnel = ma.fields.Nested(FunnelSchema, required=True)
    by_channel = ma.fields.List(ma.fields.Nested(ChannelFunnelSchema), required=True)
    by_campaign = ma.fields.List(ma.fields.Nested(CampaignFunnelSchema), required=True)


def _stage_rows(funnel: dict, **group) -> list[dict]:
    rate_from = {c["from_stage"]: c for c in funnel["conversions"]}
    return [
        {
            **group,
            "stage": stage["stage"],
            "total": stage["total"],
            "rate_to_next_stage": rate_from.get(stage["stage"], {}).get("rate"),
            "rate_reason": rate_from.get(stage["stage"], {}).get("reason"),
        }
        for stage in funnel["stages"]
    ]


def funnel_rows(report) -> list[dict]:
    """One row per stage: the whole funnel, then per channel, then per campaign."""
    body = FunnelReportSchema().dump(report)
    empty = {
        "channel_id": None,
        "channel_name": None,
        "campaign_id": None,
        "campaign_name": None,
        "utm_campaign": None,
    }
    rows = _stage_rows(body["funnel"], view="total", **empty)
    for c in body["by_channel"]:
        group = empty | {"channel_id": c["channel_id"], "channel_name": c["name"]}
        rows += _stage_rows(c["funnel"], view="channel", **group)
    for c in body["by_campaign"]:
        group = empty | {
            "campaign_id": c["campaign_id"],
            "campaign_name": c["name"],
            "utm_campaign": c["utm_campaign"],
        }
        rows += _stage_rows(c["funnel"], view="campaign", **group)
    return rows


class Funnel(MethodView):
    @blp.operation("reports_funnel", scope="reports:read")
    @blp.arguments(FunnelArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, FunnelReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(funnel_rows)
    def get(self, **args):
        """Funnel from awareness to advocacy, per channel and per campaign

        Stages: awareness → engagement → lead → customer → advocacy, with churn
        beside them as loss.

        Which metrics count where (built-in; `stage_metrics` lists them with the
        organisation's own count metrics that name a stage; currency and ratio
        metrics are left out: they do not add up with counts):

        - awareness: impressions, reach (part of impressions), followers (level),
          mentions, press_mentions, blog_mentions, email_sends
        - engagement: engagements, clicks, shares, comments (parts of engagements),
          email_opens, email_responses, customer_interactions
        - lead: leads
        - customer: conversions, pos_sales, active_customers (level)
        - advocacy: the organisation's own count metrics of the stage (referrals,
          reviews …); no built-in metric is advocacy

        - **Each interaction is counted once.** A **flow** counts the sum of its
          points from `from` to `to`. A **level** (`followers`, `active_customers`)
          counts its latest value in the window on each channel, summed across
          channels; never a sum over days. A **part** (`clicks`, `shares`,
          `comments` of `engagements`; `reach` of `impressions`) is not added where
          the metric it is a part of has data; where only parts have data, the
          parts count. That is decided for each channel and campaign apart; each
          metric's `counted` says what of its `total` the stage counts.
        - **Churn** (`churned_customers`) is loss of loyalty, not advocacy: `churn`
          gives it beside the stages, with a rate against `active_customers`.
        - **Support tickets** are in no stage: a request for help is customer
          service demand, neither advocacy nor a loss of customers.
        - **Conversion rate** from one stage to the next = next stage total ÷ stage
          total; `null` with a reason when the stage total is 0.
        - `by_channel`: the same funnel per channel (a row with `channel_id: null`
          holds points of no channel), so that leads can be traced to the social
          interactions before them. The rows add up to `funnel`.
        - `by_campaign`: the same per campaign with points in the window, with its
          `utm_campaign` to join lead data kept elsewhere (a CRM keyed by UTM code);
          a row with `campaign_id: null` holds points of no campaign.

        `campaign_id` and `channel_id` narrow every view to that campaign's or
        channel's points. At most 5 years.
        """
        return funnel_report(uow=uow(), **args)
