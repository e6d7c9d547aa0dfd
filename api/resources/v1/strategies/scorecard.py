"""The scorecard read: its schema and how a scorecard becomes its body."""

import marshmallow as ma

from api.domain.kpis.values import LATEST_RULE, Scorecard
from api.http.schema import Schema
from api.resources.v1.kpis.schemas import KpiForecastSchema, KpiSchema, KpiValueSchema


class KpiScoreSchema(Schema):
    class Meta:
        name = "KpiScore"

    kpi = ma.fields.Nested(KpiSchema)
    latest = ma.fields.Nested(
        KpiValueSchema,
        allow_none=True,
        metadata={
            "description": "The newest period with data (an actual), complete or not; not "
            "the just-opened period no metric point has reached yet. null: no period has data"
        },
    )
    period_start = ma.fields.Date(
        allow_none=True, metadata={"description": "First day of `latest`'s period"}
    )
    period_end = ma.fields.Date(
        allow_none=True, metadata={"description": "Last day of `latest`'s period"}
    )
    complete = ma.fields.Boolean(
        allow_none=True,
        metadata={
            "description": "Whether `latest`'s period has ended (before `today`); false: it "
            "is still open and its status compares with the target to date. null: no latest"
        },
    )
    current = ma.fields.Nested(
        KpiValueSchema,
        allow_none=True,
        metadata={"description": "The open period (holding `today`) when it has data, else null"},
    )
    status = ma.fields.String(metadata={"description": "`latest`'s status, or no_data"})
    forecast = ma.fields.Nested(
        KpiForecastSchema,
        allow_none=True,
        metadata={
            "description": "The open period's forecast (from the rollups), even before the "
            "period has data; null when there is none"
        },
    )
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
    today = ma.fields.Date(
        metadata={
            "description": "The organisation's day (in its time zone) the scorecard was read "
            "on: what decides whether a period is complete"
        }
    )
    latest_rule = ma.fields.String(
        metadata={
            "description": "How each KPI's `latest` is chosen: latest_period_with_data (the "
            "newest period with an actual, `complete` saying whether it has ended)",
            "enum": [LATEST_RULE],
        }
    )
    objectives = ma.fields.List(ma.fields.Nested(ObjectiveScoreSchema))


def scorecard_body(card: Scorecard) -> dict:
    def score(kpi):
        scored = card.scores[kpi.id]
        latest = scored.latest
        return {
            "kpi": kpi,
            "latest": latest,
            "period_start": latest.period_start if latest else None,
            "period_end": latest.period_end if latest else None,
            "complete": scored.complete,
            "current": scored.current,
            "status": scored.status,
            "forecast": scored.forecast,
            "trend": [v.actual for v in reversed(scored.trend)],
        }

    return {
        "strategy_id": card.strategy.id,
        "name": card.strategy.name,
        "status": card.strategy.status,
        "today": card.today,
        "latest_rule": LATEST_RULE,
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
