import marshmallow as ma

from api.domain.readiness.service import AssessmentDraft, CurrentReadiness
from api.http.schema import Schema
from api.resources.common import EntitySchema


def score(**kwargs):
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=5), **kwargs)


def notes():
    return ma.fields.String(validate=ma.validate.Length(max=10_000))


class AssessmentSchema(EntitySchema):
    into = AssessmentDraft

    class Meta:
        name = "ReadinessAssessment"

    assessed_on = ma.fields.Date(
        load_default=None, metadata={"description": "Day of the assessment (default: today)"}
    )
    culture = score(required=True)
    leadership = score(required=True)
    governance = score(required=True)
    technology = score(required=True)
    culture_notes = notes()
    leadership_notes = notes()
    governance_notes = notes()
    technology_notes = notes()


class ScoresSchema(Schema):
    class Meta:
        name = "ReadinessScores"

    culture = ma.fields.Integer()
    leadership = ma.fields.Integer()
    governance = ma.fields.Integer()
    technology = ma.fields.Integer()


class ScoreChangeSchema(ScoresSchema):
    class Meta:
        name = "ReadinessChange"

    overall = ma.fields.Float()


class ReadinessSchema(Schema):
    class Meta:
        name = "Readiness"

    assessment_id = ma.fields.UUID(allow_none=True)
    assessed_on = ma.fields.Date(allow_none=True)
    scores = ma.fields.Nested(ScoresSchema, allow_none=True)
    overall = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "0.3 × culture + 0.3 × leadership + 0.3 × governance + "
            "0.1 × technology (the big leaves weigh more), on the 1 to 5 scale"
        },
    )
    weakest_leaf = ma.fields.String(
        allow_none=True, metadata={"description": "Lowest score; on a tie, the heavier leaf"}
    )
    change_since_previous = ma.fields.Nested(
        ScoreChangeSchema,
        allow_none=True,
        metadata={"description": "Latest minus previous assessment; null with only one"},
    )


def readiness_body(readiness: CurrentReadiness) -> dict:
    latest = readiness.latest
    return {
        "assessment_id": latest.id if latest else None,
        "assessed_on": latest.assessed_on if latest else None,
        "scores": readiness.scores,
        "overall": readiness.overall,
        "weakest_leaf": readiness.weakest_leaf,
        "change_since_previous": readiness.change,
    }
