"""GET …/reports/roi: what campaigns cost and what they brought."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports import formulas
from api.domain.reports.roi import CampaignRoi, RoiReport, roi_report
from api.http.context import uow
from api.http.schema import Schema
from api.resources.money import Amount, amount_out
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative

MAX_UNIT_VALUE = Decimal("1000000000000.00")


def _reason(what: str) -> ma.fields.String:
    return ma.fields.String(
        allow_none=True, metadata={"description": f"Why `{what}` is null; null when it is not"}
    )


def unit_value(description: str) -> Amount:
    return Amount(
        load_default=Decimal(0),
        maximum=MAX_UNIT_VALUE,
        in_query=True,
        description=f"{description}, in the organisation's currency; default 0",
    )


class RoiArgsSchema(Schema):
    campaign_id = ma.fields.UUID(
        metadata={"description": "Only this campaign (else every campaign running in the window)"}
    )
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day, inclusive"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Last day, inclusive; at most 5 years after `from`"},
    )
    value_per_conversion = unit_value("What one conversion is worth")
    value_per_lead = unit_value("What one lead is worth")


class RoiFiguresSchema(Schema):
    class Meta:
        name = "RoiFigures"

    cost = amount_out("Money spent (see `inputs.cost_rule`)", allow_none=True)
    cost_reason = _reason("cost")
    cost_source = ma.fields.String(
        allow_none=True,
        metadata={"description": "cost_points or budget (mixed in a total); null: no cost"},
    )
    cost_currency = ma.fields.String(allow_none=True)
    people_cost = amount_out("Priced hours × their owner's hourly cost, apart from `cost`")
    priced_hours = ma.fields.Float(
        metadata={"description": "Effort hours of content items whose owner has an hourly cost"}
    )
    unpriced_hours = ma.fields.Float(
        metadata={
            "description": "Effort hours of content items without an owner or whose owner "
            "has no hourly cost: not in `people_cost`"
        }
    )
    unpriced_items = ma.fields.Integer(
        metadata={"description": "Content items with unpriced effort hours"}
    )
    revenue = amount_out("Sum of revenue points; null: no points", allow_none=True)
    conversions = ma.fields.Float(allow_none=True, metadata={"description": "null: no points"})
    leads = ma.fields.Float(allow_none=True, metadata={"description": "null: no points"})
    engagements = ma.fields.Float(allow_none=True, metadata={"description": "null: no points"})
    value = amount_out(
        "revenue + conversions × value_per_conversion + leads × value_per_lead",
        allow_none=True,
    )
    value_reason = _reason("value")
    roi = ma.fields.Float(allow_none=True, metadata={"description": "(value − cost) / cost"})
    roi_reason = _reason("roi")
    roi_with_people_time = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "(value − (cost + people_cost)) / (cost + people_cost); "
            "leaves out unpriced hours"
        },
    )
    roi_with_people_time_reason = _reason("roi_with_people_time")
    cost_per_lead = amount_out("cost / leads", allow_none=True)
    cost_per_lead_reason = _reason("cost_per_lead")
    cost_per_engagement = amount_out("cost / engagements", allow_none=True)
    cost_per_engagement_reason = _reason("cost_per_engagement")


class CampaignRoiSchema(RoiFiguresSchema):
    class Meta:
        name = "CampaignRoi"

    campaign_id = ma.fields.UUID()
    name = ma.fields.String()
    status = ma.fields.String()
    start_date = ma.fields.Date()
    end_date = ma.fields.Date()
    budget_amount = amount_out(
        "The whole budget; `cost` is its part in the window", allow_none=True
    )
    budget_currency = ma.fields.String()


class RoiPricingSchema(Schema):
    """The inputs every ROI figure depends on."""

    class Meta:
        name = "RoiPricing"

    day_from = ma.fields.Date(data_key="from")
    day_to = ma.fields.Date(data_key="to")
    value_per_conversion = amount_out("What one conversion was worth")
    value_per_lead = amount_out("What one lead was worth")
    currency = ma.fields.String(
        metadata={"description": "The organisation's: revenue, cost points, hourly costs"}
    )
    cost_rule = ma.fields.String(metadata={"description": "How `cost` is chosen"})
    cost_metric_defined = ma.fields.Boolean(
        metadata={"description": "Whether the organisation defines a `cost` metric key"}
    )
    notes = ma.fields.List(
        ma.fields.String(), metadata={"description": "Defaults and assumptions in effect"}
    )


class RoiInputsSchema(RoiPricingSchema):
    class Meta:
        name = "RoiInputs"

    campaign_id = ma.fields.UUID(allow_none=True)


class RoiReportSchema(Schema):
    class Meta:
        name = "RoiReport"

    inputs = ma.fields.Nested(RoiInputsSchema)
    campaigns = ma.fields.List(ma.fields.Nested(CampaignRoiSchema))
    total = ma.fields.Nested(
        RoiFiguresSchema,
        metadata={
            "description": "All campaigns together; its cost is null unless every campaign "
            "has one in the organisation's currency"
        },
    )


def figures_body(figures: formulas.Figures) -> dict:
    inputs = figures.inputs
    body = {
        "cost": inputs.cost.value,
        "cost_reason": inputs.cost.reason,
        "cost_source": inputs.cost_source,
        "cost_currency": inputs.cost_currency,
        "people_cost": inputs.people_cost,
        "priced_hours": inputs.priced_hours,
        "unpriced_hours": inputs.unpriced_hours,
        "unpriced_items": inputs.unpriced_items,
        "revenue": inputs.revenue,
        "conversions": inputs.conversions,
        "leads": inputs.leads,
        "engagements": inputs.engagements,
    }
    for name in (
        "value",
        "roi",
        "roi_with_people_time",
        "cost_per_lead",
        "cost_per_engagement",
    ):
        figure = getattr(figures, name)
        body[name] = figure.value
        body[f"{name}_reason"] = figure.reason
    return body


def campaign_roi_body(row: CampaignRoi) -> dict:
    campaign = row.campaign
    return {
        "campaign_id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "budget_amount": campaign.budget_amount,
        "budget_currency": campaign.budget_currency,
        **figures_body(row.figures),
    }


def roi_body(report: RoiReport) -> dict:
    return {
        "inputs": report.inputs,
        "campaigns": [campaign_roi_body(row) for row in report.campaigns],
        "total": figures_body(report.total),
    }


def roi_rows(body: dict) -> list[dict]:
    """One row per campaign, then the total."""
    total = {"campaign_id": None, "name": "Total", **body["total"]}
    return [*body["campaigns"], total]


class Roi(MethodView):
    @blp.operation("reports_roi", scope="reports:read")
    @blp.response(200, RoiReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(roi_rows)
    @blp.arguments(RoiArgsSchema, location="query", as_kwargs=True)
    def get(self, **args):
        """Return on investment of campaigns

        For one campaign (`campaign_id`) or every campaign whose dates overlap the
        window, and a total row:

        - `cost` (money): the sum of the campaign's `cost` metric points in the window
          when the organisation defines a `cost` metric key and the campaign has such
          points; otherwise its budget charged to the window by the days it shares with
          the campaign: budget × campaign days in the window / campaign days (a window
          holding the whole campaign gets the whole budget; windows that split it add up
          to it). The channel and alignment reports charge budgets by the same rule, so
          they agree on the same window. Cost points are dated, so they are summed in
          the window, never pro-rated.
        - `people_cost` (apart): effort hours of the campaign's content items (cancelled
          ones excepted) × their owner's hourly cost. Hours of items without an owner, or
          whose owner has no hourly cost, are counted in `unpriced_hours`.
        - `value` = revenue + conversions × `value_per_conversion` + leads ×
          `value_per_lead`, from the campaign's metric points in the window (both values
          default to 0: then conversions and leads add nothing, as `inputs.notes` says).
        - `roi` = (value − cost) / cost; `roi_with_people_time` the same with
          cost + people_cost; `cost_per_lead` = cost / leads; `cost_per_engagement` =
          cost / engagements.

        A figure that cannot be computed (no cost, cost zero, no leads, a budget in
        another currency …) is `null`, with the reason in `<figure>_reason`.
        """
        return roi_body(roi_report(uow=uow(), **args))
