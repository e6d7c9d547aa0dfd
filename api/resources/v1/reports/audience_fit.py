"""GET …/reports/audience-channel-fit: is the effort for each audience where it hangs out?"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports.audience_fit import audience_channel_fit
from api.domain.reports.fit_scores import MISMATCHES, VALUE_WEIGHTS
from api.http.context import uow
from api.http.schema import Schema
from api.resources.money import amount_out
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.fields import figure, money_figure, reason

WEIGHTS = ", ".join(f"{tier} {weight:g}" for tier, weight in VALUE_WEIGHTS.items())


class AudienceFitArgsSchema(Schema):
    strategy_id = ma.fields.UUID(
        required=True, metadata={"description": "The strategy whose campaigns count"}
    )
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day, inclusive"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day, inclusive; at most 5 years after from"},
    )


class FitAudienceSchema(Schema):
    class Meta:
        name = "AudienceFitAudience"

    audience_id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    value_tier = ma.fields.String(required=True)
    value_weight = ma.fields.Float(
        required=True, metadata={"description": f"The value tier as a number: {WEIGHTS}"}
    )
    channel_preferences = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        required=True,
        metadata={"description": "Channel kind → weight 0..1, as the audience states them"},
    )
    spend = amount_out("Budget attributed to the audience over all channels", required=True)
    hours = ma.fields.Float(
        required=True, metadata={"description": "Content hours attributed to it, all channels"}
    )


class FitCellSchema(Schema):
    class Meta:
        name = "AudienceFitCell"

    audience_id = ma.fields.UUID(required=True, attribute="audience.audience_id")
    audience = ma.fields.String(required=True, attribute="audience.name")
    value_tier = ma.fields.String(required=True, attribute="audience.value_tier")
    value_weight = ma.fields.Float(required=True, attribute="audience.value_weight")
    channel_id = ma.fields.UUID(required=True, attribute="channel.channel_id")
    channel = ma.fields.String(required=True, attribute="channel.name")
    kind = ma.fields.String(required=True, attribute="channel.kind")
    preference = figure("preference", "The audience's stated weight (0..1) for the channel's kind")
    preference_reason = reason("preference")
    spend = amount_out(
        "Budget attributed to the audience on the channel in the window", required=True
    )
    hours = ma.fields.Float(
        required=True, metadata={"description": "Content hours attributed to it in the window"}
    )
    desired_share = figure(
        "desired_share",
        "preference / the sum of the audience's preferences over all channels (0.56 is 56 %)",
    )
    desired_share_reason = reason("desired_share")
    effort_share = figure(
        "effort_share",
        "mean of the spend share and the hours share of the audience's effort (the one "
        "there is when it has only spend or only hours)",
    )
    effort_share_reason = reason("effort_share")
    fit_score = figure(
        "fit_score",
        "effort_share − desired_share: 0 is a fit, below 0 less effort than the "
        "preference asks for, above 0 more",
    )
    fit_score_reason = reason("fit_score")
    reach = figure("reach", "Sum of the attributed `reach` points")
    reach_reason = reason("reach")
    engagements = figure("engagements", "Sum of the attributed `engagements` points")
    engagements_reason = reason("engagements")
    leads = figure("leads", "Sum of the attributed `leads` points")
    leads_reason = reason("leads")
    engagement_rate = figure("engagement_rate", "engagements / reach")
    engagement_rate_reason = reason("engagement_rate")
    cost_per_lead = money_figure("cost_per_lead", "spend / leads")
    cost_per_lead_reason = reason("cost_per_lead")


class FitMismatchSchema(Schema):
    class Meta:
        name = "AudienceFitMismatch"

    audience_id = ma.fields.UUID(required=True)
    channel_id = ma.fields.UUID(required=True)
    fit_score = ma.fields.Float(required=True)
    weight = ma.fields.Float(
        required=True, metadata={"description": "|fit_score| × value_weight: the ranking"}
    )
    answer = ma.fields.String(required=True, metadata={"description": "The gap in plain words"})


class FitInputsSchema(Schema):
    class Meta:
        name = "AudienceFitInputs"

    strategy_id = ma.fields.UUID(required=True)
    day_from = ma.fields.Date(required=True, data_key="from")
    day_to = ma.fields.Date(required=True, data_key="to")
    currency = ma.fields.String(required=True)
    value_weights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(), required=True)
    rules = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "The attribution rules"}
    )
    campaigns = ma.fields.List(
        ma.fields.UUID(),
        required=True,
        metadata={"description": "The strategy's campaigns running in the window"},
    )
    campaigns_without_audience = ma.fields.List(
        ma.fields.UUID(),
        required=True,
        metadata={"description": "Running campaigns that target no audience: counted nowhere"},
    )
    campaigns_in_other_currencies = ma.fields.List(
        ma.fields.UUID(),
        required=True,
        metadata={"description": "Campaigns left out of the spend: budget in another currency"},
    )


class AudienceFitReportSchema(Schema):
    class Meta:
        name = "AudienceFitReport"

    inputs = ma.fields.Nested(FitInputsSchema, required=True)
    audiences = ma.fields.List(ma.fields.Nested(FitAudienceSchema), required=True)
    cells = ma.fields.List(
        ma.fields.Nested(FitCellSchema),
        required=True,
        metadata={"description": "Every audience × every channel, by audience then channel"},
    )
    mismatches = ma.fields.List(
        ma.fields.Nested(FitMismatchSchema),
        required=True,
        metadata={"description": f"The {MISMATCHES} heaviest gaps, heaviest first"},
    )


def fit_rows(report) -> list[dict]:
    """One CSV row per audience × channel."""
    return AudienceFitReportSchema().dump(report)["cells"]


class AudienceChannelFit(MethodView):
    @blp.operation("reports_audience_channel_fit", scope="reports:read")
    @blp.arguments(AudienceFitArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, AudienceFitReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(fit_rows)
    def get(self, **args):
        """Audience × channel fit: is the effort for each audience where it hangs out?

        For every audience of the organisation × every channel, over the campaigns of
        `strategy_id` whose dates overlap `from`..`to`:

        - **preference**: the audience's stated weight (0..1) for the channel's kind;
          `null` with a reason when it states none for that kind. **value_weight**:
          its value tier as a number (low 0.25, medium 0.5, high 0.75, strategic 1).
        - **spend**: each campaign's budget in the window (budget × campaign days in
          the window / campaign days, the rule of every report) split evenly over its
          audiences × its channels; budgets in another currency are left out (listed
          in `inputs`). **hours**: each content item's effort hours (cancelled ones
          excepted) on the item's channel, split evenly over its campaign's
          audiences, × the share of the campaign's days in the window.
        - **reach**, **engagements**, **leads**: the campaigns' metric points on the
          channel in the window (their posts' synced points included), each
          campaign's split evenly over its audiences; **engagement_rate** =
          engagements / reach; **cost_per_lead** = spend / leads. `null` with a
          reason when no point of those campaigns reached the cell, or instead of
          dividing by 0.
        - **desired_share** = preference / the sum of the audience's preferences
          over all channels (each channel of a kind carries the kind's weight; the
          value weight would multiply every channel of the audience alike, so it
          leaves the shares unchanged).
        - **effort_share** = the mean of the cell's share of the audience's spend and
          of its hours (only the one the audience has, when it has only one).
        - **fit_score** = effort_share − desired_share: 0 is effort where the
          audience wants it; −0.48 is 48 points less than its preferences ask for.
          `null` with the reason when either share is.
        - **mismatches**: the 5 cells with the largest |fit_score| × value_weight, in
          plain words with the audience's and channel's names.

        A campaign without audiences counts for none (listed in `inputs`). The CSV
        variant has one row per cell. 422 when the window holds more than 1,000 of
        the strategy's campaigns or the organisation has more than 10,000 audiences ×
        channels.
        """
        return audience_channel_fit(uow=uow(), **args)
