"""GET …/reports/channels: which channels reach, engage and bring leads, at what cost."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.channels.models import MODES
from api.domain.reports.channels import FAMILIES, channel_comparison
from api.http.context import uow
from api.http.schema import Schema
from api.resources.money import amount_out
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.fields import figure, money_figure, reason


class ChannelReportArgsSchema(Schema):
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day, inclusive"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day, inclusive; at most 5 years after from"},
    )


class ChannelFiguresSchema(Schema):
    """The figures of a channel, a group of channels or all of them."""

    class Meta:
        name = "ChannelFigures"

    reach = ma.fields.Float(
        required=True,
        attribute="figures.reach",
        metadata={
            "description": "Sum of daily reach points (impressions where a channel has none)"
        },
    )
    engagements = ma.fields.Float(required=True, attribute="figures.engagements")
    leads = ma.fields.Float(required=True, attribute="figures.leads")
    cost = amount_out(
        "In the organisation's currency; null when no cost is known",
        required=True,
        allow_none=True,
        attribute="figures.cost",
    )
    engagement_rate = figure("figures.engagement_rate", "engagements / reach")
    engagement_rate_reason = reason("figures.engagement_rate")
    cost_per_lead = money_figure("figures.cost_per_lead", "cost / leads")
    cost_per_lead_reason = reason("figures.cost_per_lead")
    engagement_share = figure(
        "figures.engagement_share", "engagements / all channels' engagements; 0.25 is 25 %"
    )
    engagement_share_reason = reason("figures.engagement_share")
    lead_share = figure("figures.lead_share", "leads / all channels' leads")
    lead_share_reason = reason("figures.lead_share")


class ChannelReportRowSchema(ChannelFiguresSchema):
    class Meta:
        name = "ChannelReportRow"

    channel_id = ma.fields.UUID(required=True, attribute="channel.channel_id")
    name = ma.fields.String(required=True, attribute="channel.name")
    kind = ma.fields.String(required=True, attribute="channel.kind")
    mode = ma.fields.String(required=True, attribute="channel.mode")
    family = ma.fields.String(
        required=True,
        attribute="channel.family",
        metadata={"description": "social (social networks and blogs) or traditional"},
    )
    reach_metric = ma.fields.String(
        required=True,
        allow_none=True,
        attribute="channel.reach_metric",
        metadata={"description": "reach, impressions (no reach points), or null (neither)"},
    )
    engagement_metric = ma.fields.String(
        required=True,
        allow_none=True,
        attribute="channel.engagement_metric",
        metadata={
            "description": (
                "engagements, parts (no engagements points: clicks + shares + comments), "
                "or null (neither)"
            )
        },
    )
    cost_basis = ma.fields.String(
        required=True,
        allow_none=True,
        attribute="channel.cost_basis",
        metadata={
            "description": "cost_points (the channel's `cost` points), campaign_budgets, "
            "or null (no cost known)"
        },
    )


class ChannelGroupSchema(ChannelFiguresSchema):
    class Meta:
        name = "ChannelGroup"

    group = ma.fields.String(
        required=True, metadata={"description": "The mode, the family, or all (the total)"}
    )
    channels = ma.fields.Integer(required=True, metadata={"description": "Channels in the group"})


class ChannelComparisonSchema(Schema):
    class Meta:
        name = "ChannelComparison"

    name = ma.fields.String(
        required=True,
        metadata={"description": "press_vs_blog_mentions or email_responses_vs_social_replies"},
    )
    traditional_metric = ma.fields.String(required=True)
    traditional = ma.fields.Float(required=True)
    social_metric = ma.fields.String(required=True)
    social = ma.fields.Float(required=True)
    social_per_traditional = figure("social_per_traditional", "social / traditional")
    social_per_traditional_reason = reason("social_per_traditional")


class ChannelReportCampaignSchema(Schema):
    class Meta:
        name = "ChannelReportCampaign"

    campaign_id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    budget_amount = amount_out("The whole budget", required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    channels = ma.fields.Integer(required=True, metadata={"description": "Its channels"})
    budget_in_window = amount_out("budget × its days in the window / its days", required=True)


class ChannelReportInputsSchema(Schema):
    class Meta:
        name = "ChannelReportInputs"

    metric_keys = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "The metrics read"}
    )
    campaigns = ma.fields.List(
        ma.fields.Nested(ChannelReportCampaignSchema),
        required=True,
        metadata={"description": "Campaigns whose budgets are the cost of their channels"},
    )
    campaigns_in_other_currencies = ma.fields.List(
        ma.fields.UUID(),
        required=True,
        metadata={"description": "Campaigns left out of the cost: budget in another currency"},
    )
    unattributed = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        required=True,
        metadata={"description": "Sums of the points without a channel, not in any row"},
    )


class ChannelReportSchema(Schema):
    class Meta:
        name = "ChannelReport"

    day_from = ma.fields.Date(required=True, data_key="from")
    day_to = ma.fields.Date(required=True, data_key="to")
    currency = ma.fields.String(required=True)
    channels = ma.fields.List(
        ma.fields.Nested(ChannelReportRowSchema), required=True, attribute="rows"
    )
    by_mode = ma.fields.List(
        ma.fields.Nested(ChannelGroupSchema),
        required=True,
        metadata={"description": f"Groups {', '.join(MODES)}"},
    )
    by_family = ma.fields.List(
        ma.fields.Nested(ChannelGroupSchema),
        required=True,
        metadata={"description": f"Groups {', '.join(FAMILIES)}"},
    )
    total = ma.fields.Nested(ChannelGroupSchema, required=True)
    comparisons = ma.fields.List(ma.fields.Nested(ChannelComparisonSchema), required=True)
    inputs = ma.fields.Nested(ChannelReportInputsSchema, required=True)


def channel_rows(report) -> list[dict]:
    """One CSV row per channel, per group and for the total."""
    body = ChannelReportSchema().dump(report)
    rows = [{"level": "channel", **row} for row in body["channels"]]
    rows += [{"level": "mode", **row} for row in body["by_mode"]]
    rows += [{"level": "family", **row} for row in body["by_family"]]
    return [*rows, {"level": "total", **body["total"]}]


class ChannelReport(MethodView):
    @blp.operation("reports_channels", scope="reports:read")
    @blp.arguments(ChannelReportArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ChannelReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(channel_rows)
    def get(self, **args):
        """Channel comparison: push vs conversational, social vs traditional

        Every channel's figures from `from` to `to` (metric points of any source),
        then grouped by mode (push, conversational) and by family (social, traditional),
        and in total. Groups and the total add up their channels' sums and compute
        their rates from those sums; the total is the sum of the channel rows.

        - **reach**: the sum of the channel's daily `reach` points; where it has
          none, of its `impressions` (`reach_metric` says which; never both added).
        - **engagements**: the sum of the channel's `engagements` points; where it
          has none, of its parts `clicks`, `shares` and `comments`
          (`engagement_metric` says which): each interaction counts once.
        - **leads**: the sum of its points. Every metric here is a flow; no level
          (followers) is summed.
        - **cost**: the sum of the channel's `cost` points (an organisation-defined
          metric) if it has any; otherwise its part of the budgets of the campaigns
          on it that run in the window: each budget spread evenly over the
          campaign's days (only the days in the window count: budget × campaign days
          in the window / campaign days, the rule the ROI and alignment reports use
          too) and split evenly across the campaign's channels. Budgets in another
          currency than the organisation's are left out (listed in `inputs`).
          `cost_basis` says which.
        - **engagement rate** = engagements / reach; **cost per lead** = cost / leads;
          **engagement share** and **lead share** = the channel's (group's) part of all
          channels' engagements or leads. `null` with a reason instead of dividing by 0.
        - **comparisons**: press vs blog coverage (`press_mentions`, the traditional
          side, vs `blog_mentions`, the social side) and email responses vs replies on
          social channels (`email_responses` vs `comments` of social channels), with
          social / traditional. Press, blog and email count every point of their
          metric. The family agrees: blog channels are social, press channels
          traditional.

        Points without a channel are not in the rows; their sums are in
        `inputs.unattributed`.
        """
        return channel_comparison(uow=uow(), **args)
