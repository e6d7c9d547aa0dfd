import marshmallow as ma

from api.domain.key_messages.service import MAX_PHRASES, KeyMessageChanges, KeyMessageDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


def phrases(**kwargs):
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        validate=ma.validate.Length(min=1, max=MAX_PHRASES),
        metadata={
            "description": (
                "The phrases and variants that carry the message, matched as whole words "
                "whatever their case, accents and inflections ('easy setup' finds "
                "'Easy set-ups'); sending them replaces the list and re-matches the history"
            )
        },
        **kwargs,
    )


def ids(description: str):
    return ma.fields.List(
        ma.fields.UUID(),
        validate=ma.validate.Length(max=100),
        metadata={"description": description},
    )


class KeyMessageSchema(EntitySchema):
    into = KeyMessageDraft

    class Meta:
        name = "KeyMessage"

    strategy_id = ma.fields.UUID(dump_only=True)
    name = name_field(required=True)
    phrases = phrases(required=True)
    objective_ids = ids("Objectives of the strategy the message serves")
    audience_ids = ids("Audiences the message is for (optional)")
    version = ma.fields.Integer(dump_only=True)


class KeyMessageUpdateSchema(Schema):
    into = KeyMessageChanges

    class Meta:
        name = "KeyMessageUpdate"

    name = name_field()
    phrases = phrases()
    objective_ids = ids("Replaces the objectives served")
    audience_ids = ids("Replaces the audiences")
