import marshmallow as ma

from api.domain.strategies.models import BUSINESS_OUTCOMES
from api.domain.strategies.objectives import ObjectiveChanges, ObjectiveDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


def outcome(**kwargs):
    return ma.fields.String(
        validate=ma.validate.OneOf(BUSINESS_OUTCOMES),
        metadata={"description": "The business outcome the objective serves"},
        **kwargs,
    )


def priority():
    return ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=5), metadata={"description": "1 (highest) to 5"}
    )


def description():
    return ma.fields.String(validate=ma.validate.Length(max=10_000))


class ObjectiveSchema(EntitySchema):
    into = ObjectiveDraft

    class Meta:
        name = "Objective"

    strategy_id = ma.fields.UUID(dump_only=True)
    title = name_field(required=True)
    business_outcome = outcome(required=True)
    priority = priority()
    description = description()
    version = ma.fields.Integer(dump_only=True)


class ObjectiveUpdateSchema(Schema):
    into = ObjectiveChanges

    class Meta:
        name = "ObjectiveUpdate"

    title = name_field()
    business_outcome = outcome()
    priority = priority()
    description = description()
