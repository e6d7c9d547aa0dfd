"""The strategy page read: its schema and how a summary becomes its body."""

import marshmallow as ma

from api.domain.strategies.summary import StrategySummary
from api.http.schema import Schema
from api.resources.v1.audiences.schemas import AudienceSchema
from api.resources.v1.kpis.schemas import KpiSchema
from api.resources.v1.objectives.schemas import ObjectiveSchema
from api.resources.v1.readiness.schemas import ReadinessSchema, readiness_body
from api.resources.v1.resources.schemas import ResourceSchema
from api.resources.v1.strategies.schemas import StrategySchema


class ObjectiveWithKpisSchema(ObjectiveSchema):
    class Meta:
        name = "ObjectiveWithKpis"

    kpis = ma.fields.List(ma.fields.Nested(KpiSchema), dump_only=True)


class CapacitySchema(Schema):
    class Meta:
        name = "Capacity"

    resources = ma.fields.List(ma.fields.Nested(ResourceSchema))
    weekly_capacity_hours = ma.fields.Float()


class PreconditionsSchema(Schema):
    class Meta:
        name = "ActivationPreconditions"

    met = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Boolean(),
        metadata={"description": "objectives, kpis, audiences, resources → met?"},
    )
    missing = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "What is missing, in words, per precondition"},
    )
    can_activate = ma.fields.Boolean()


class StrategySummarySchema(Schema):
    class Meta:
        name = "StrategySummary"

    strategy = ma.fields.Nested(StrategySchema)
    objectives = ma.fields.List(ma.fields.Nested(ObjectiveWithKpisSchema))
    audiences = ma.fields.List(ma.fields.Nested(AudienceSchema))
    capacity = ma.fields.Nested(CapacitySchema)
    readiness = ma.fields.Nested(ReadinessSchema)
    activation = ma.fields.Nested(PreconditionsSchema)


def summary_body(summary: StrategySummary) -> dict:
    return {
        "strategy": summary.strategy,
        "objectives": summary.strategy.objectives,
        "audiences": summary.audiences,
        "capacity": {
            "resources": summary.resources,
            "weekly_capacity_hours": summary.weekly_capacity_hours,
        },
        "readiness": readiness_body(summary.readiness),
        "activation": {
            "met": summary.preconditions,
            "missing": summary.gaps,
            "can_activate": not summary.gaps and summary.strategy.status == "draft",
        },
    }
