import marshmallow as ma

from api.domain.strategies.models import STRATEGY_STATUSES
from api.domain.strategies.service import StrategyChanges, StrategyDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field

CONTEXT = ma.fields.String(
    validate=ma.validate.Length(max=20_000),
    metadata={"description": "The business context the strategy answers to"},
)


class StrategySchema(EntitySchema):
    into = StrategyDraft

    class Meta:
        name = "Strategy"

    name = name_field(required=True)
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    business_context = CONTEXT
    status = ma.fields.String(dump_only=True, metadata={"description": "draft → active → archived"})
    version = ma.fields.Integer(dump_only=True)


class StrategyUpdateSchema(Schema):
    into = StrategyChanges

    class Meta:
        name = "StrategyUpdate"

    name = name_field()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    business_context = CONTEXT


class StrategyFilterSchema(Schema):
    status = ma.fields.String(validate=ma.validate.OneOf(STRATEGY_STATUSES))
    period_from = ma.fields.Date(
        metadata={"description": "Only strategies whose period ends on or after this day"}
    )
    period_to = ma.fields.Date(
        metadata={"description": "Only strategies whose period starts on or before this day"}
    )
