import marshmallow as ma

from api.domain.audiences.models import AUDIENCE_KINDS, CHANNEL_KINDS, VALUE_TIERS
from api.domain.audiences.service import AudienceChanges, AudienceDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


class AudienceFields(Schema):
    name = name_field()
    kind = ma.fields.String(validate=ma.validate.OneOf(AUDIENCE_KINDS))
    description = ma.fields.String(validate=ma.validate.Length(max=10_000))
    characteristics = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=100)),
        validate=ma.validate.Length(max=100),
        metadata={"description": "Tags describing the audience"},
    )
    value_tier = ma.fields.String(validate=ma.validate.OneOf(VALUE_TIERS))
    size_estimate = ma.fields.Integer(
        allow_none=True, validate=ma.validate.Range(min=0, max=10_000_000_000)
    )
    channel_preferences = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(CHANNEL_KINDS)),
        values=ma.fields.Float(allow_nan=False, validate=ma.validate.Range(min=0, max=1)),
        metadata={"description": "Channel kind → weight from 0 to 1: where the audience hangs out"},
    )


class AudienceSchema(EntitySchema, AudienceFields):
    into = AudienceDraft

    class Meta:
        name = "Audience"

    name = name_field(required=True)
    version = ma.fields.Integer(dump_only=True)


class AudienceUpdateSchema(AudienceFields):
    into = AudienceChanges

    class Meta:
        name = "AudienceUpdate"
