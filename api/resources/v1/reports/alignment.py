"""GET …/reports/alignment: is the work aligned with the strategy's objectives?"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports.alignment import AlignmentReport, KpiAlignment, alignment_report
from api.http.context import uow
from api.http.schema import Schema
from api.resources.v1.kpis.schemas import KpiValueSchema
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.roi import (
    CampaignRoiSchema,
    RoiPricingSchema,
    campaign_roi_body,
    unit_value,
)


class AlignmentArgsSchema(Schema):
    strategy_id = ma.fields.UUID(required=True)
    value_per_conversion = unit_value("What one conversion is worth")
    value_per_lead = unit_value("What one lead is worth")


class KpiAlignmentSchema(Schema):
    class Meta:
        name = "KpiAlignment"

    kpi_id = ma.fields.UUID()
    name = ma.fields.String()
    metric_key = ma.fields.String(allow_none=True)
    period = ma.fields.String()
    target = ma.fields.Float()
    direction = ma.fields.String()
    latest = ma.fields.Nested(
        KpiValueSchema,
        allow_none=True,
        metadata={
            "description": "Its newest period with data (an actual), as on the scorecard; "
            "not the just-opened period no metric point has reached. null: no data"
        },
    )
    complete = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "Whether `latest`'s period has ended in the organisation's time "
            "zone; null: no latest"
        },
    )
    status = ma.fields.String(metadata={"description": "`latest`'s status, or no_data"})
    attainment = ma.fields.Float(allow_none=True)
    has_data = ma.fields.Boolean(
        metadata={"description": "Whether some period of the KPI has an actual"}
    )


class ObjectiveAlignmentSchema(Schema):
    class Meta:
        name = "ObjectiveAlignment"

    objective_id = ma.fields.UUID()
    title = ma.fields.String()
    business_outcome = ma.fields.String()
    priority = ma.fields.Integer()
    kpis = ma.fields.List(ma.fields.Nested(KpiAlignmentSchema))
    campaigns = ma.fields.List(
        ma.fields.Nested(CampaignRoiSchema),
        metadata={"description": "Campaigns serving the objective, ROI over the strategy period"},
    )
    no_campaign = ma.fields.Boolean(metadata={"description": "No campaign serves the objective"})
    no_data = ma.fields.Boolean(
        metadata={"description": "None of its KPIs has a value with an actual"}
    )


class AlignmentInputsSchema(RoiPricingSchema):
    class Meta:
        name = "AlignmentInputs"

    strategy_id = ma.fields.UUID()


class AlignmentReportSchema(Schema):
    class Meta:
        name = "AlignmentReport"

    inputs = ma.fields.Nested(AlignmentInputsSchema)
    strategy_id = ma.fields.UUID()
    name = ma.fields.String()
    status = ma.fields.String()
    objectives = ma.fields.List(
        ma.fields.Nested(ObjectiveAlignmentSchema),
        metadata={"description": "By priority (1 first)"},
    )
    objectives_without_campaign = ma.fields.Integer()
    objectives_without_data = ma.fields.Integer()


def kpi_body(row: KpiAlignment) -> dict:
    kpi, latest = row.kpi, row.latest
    return {
        "kpi_id": kpi.id,
        "name": kpi.name,
        "metric_key": kpi.metric_key,
        "period": kpi.period,
        "target": kpi.target,
        "direction": kpi.direction,
        "latest": latest,
        "complete": row.complete,
        "status": latest.status if latest else "no_data",
        "attainment": latest.attainment if latest else None,
        "has_data": row.has_data,
    }


def alignment_body(report: AlignmentReport) -> dict:
    return {
        "inputs": report.inputs,
        "strategy_id": report.strategy.id,
        "name": report.strategy.name,
        "status": report.strategy.status,
        "objectives": [
            {
                "objective_id": o.objective.id,
                "title": o.objective.title,
                "business_outcome": o.objective.business_outcome,
                "priority": o.objective.priority,
                "kpis": [kpi_body(k) for k in o.kpis],
                "campaigns": [campaign_roi_body(c) for c in o.campaigns],
                "no_campaign": o.no_campaign,
                "no_data": o.no_data,
            }
            for o in report.objectives
        ],
        "objectives_without_campaign": report.objectives_without_campaign,
        "objectives_without_data": report.objectives_without_data,
    }


CSV_COLUMNS = ("line", "id", "name", "status", "attainment", "cost", "people_cost", "value", "roi")


def alignment_rows(body: dict) -> list[dict]:
    """One row per objective, followed by a row per KPI and per campaign of it."""
    rows = []
    for o in body["objectives"]:
        objective = {
            "objective_id": o["objective_id"],
            "objective": o["title"],
            "business_outcome": o["business_outcome"],
            "priority": o["priority"],
        }
        rows.append(
            {
                **objective,
                **dict.fromkeys(CSV_COLUMNS),
                "line": "objective",
                "no_campaign": o["no_campaign"],
                "no_data": o["no_data"],
            }
        )
        for k in o["kpis"]:
            rows.append(
                {
                    **objective,
                    **dict.fromkeys(CSV_COLUMNS),
                    "line": "kpi",
                    "id": k["kpi_id"],
                    "name": k["name"],
                    "status": k["status"],
                    "attainment": k["attainment"],
                }
            )
        for c in o["campaigns"]:
            rows.append(
                {
                    **objective,
                    **{name: c.get(name) for name in CSV_COLUMNS},
                    "line": "campaign",
                    "id": c["campaign_id"],
                }
            )
    return rows


class Alignment(MethodView):
    @blp.operation("reports_alignment", scope="reports:read")
    @blp.response(200, AlignmentReportSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(alignment_rows)
    @blp.arguments(AlignmentArgsSchema, location="query", as_kwargs=True)
    def get(self, **args):
        """How well a strategy's work serves its objectives

        For each objective of the strategy (priority 1 first):

        - its KPIs with the value of their latest period with data (`status`,
          `attainment`; `complete` says whether that period has ended), as on the
          strategy's scorecard;
        - the campaigns linked to it, each with its cost and ROI over the strategy's
          period, computed as in `reports_roi` (`value_per_conversion` and
          `value_per_lead` apply; a budget counts for the days its campaign shares with
          the strategy's period, the rule of every report); a campaign serving several
          objectives is listed in full under each, so do not add its cost across
          objectives;
        - `no_campaign`: no campaign serves the objective;
        - `no_data`: none of its KPIs has a value with an actual (a KPI without metric
          points, or not rolled up yet).

        The CSV variant has a row per objective, then one per KPI and per campaign of it.
        """
        return alignment_body(alignment_report(uow=uow(), **args))
