"""The scorecard read: its schema and how a scorecard becomes its body."""

import marshmallow as ma

from api.domain.metrics.kpi_values import Scorecard
from api.http.schema import Schema
from api.resources.v1.kpis.schemas import KpiSchema, KpiValueSchema


class KpiScoreSchema(Schema):
    class Meta:
        name = "KpiScore"

    kpi = ma.fields.Nested(KpiSchema)
    latest = ma.fields.Nested(KpiValueSchema, allow_none=True)
    status = ma.fields.String(metadata={"description": "The latest period's status, or no_data"})
    trend = ma.fields.List(
        ma.fields.Float(allow_none=True),
        metadata={"description": "Actuals of the last periods, oldest first (null: no data)"},
    )


class ObjectiveScoreSchema(Schema):
    class Meta:
        name = "ObjectiveScore"

    id = ma.fields.UUID()
    title = ma.fields.String()
    business_outcome = ma.fields.String()
    priority = ma.fields.Integer()
    kpis = ma.fields.List(ma.fields.Nested(KpiScoreSchema))


class ScorecardSchema(Schema):
    class Meta:
        name = "Scorecard"

    strategy_id = ma.fields.UUID()
    name = ma.fields.String()
    status = ma.fields.String()
    objectives = ma.fields.List(ma.fields.Nested(ObjectiveScoreSchema))


def scorecard_body(card: Scorecard) -> dict:
    def score(kpi):
        values = card.values.get(kpi.id, [])
        latest = values[0] if values else None
        return {
            "kpi": kpi,
            "latest": latest,
            "status": latest.status if latest else "no_data",
            "trend": [v.actual for v in reversed(values)],
        }

    return {
        "strategy_id": card.strategy.id,
        "name": card.strategy.name,
        "status": card.strategy.status,
        "objectives": [
            {
                "id": objective.id,
                "title": objective.title,
                "business_outcome": objective.business_outcome,
                "priority": objective.priority,
                "kpis": [score(kpi) for kpi in objective.kpis],
            }
            for objective in card.strategy.objectives
        ],
    }
