import marshmallow as ma

from api.domain.audiences.models import CHANNEL_KINDS
from api.domain.channels.models import CHANNEL_STATUSES, MODES, PURPOSES
from api.domain.channels.service import ChannelChanges, ChannelDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


class ChannelFields(Schema):
    name = name_field()
    mode = ma.fields.String(
        validate=ma.validate.OneOf(MODES),
        metadata={
            "description": "push or conversational; default: conversational for social "
            "networks and events, push for the rest"
        },
    )
    purposes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(PURPOSES)),
        validate=ma.validate.Length(min=1, max=len(PURPOSES)),
        metadata={"description": "One or more of marketing, customer_service, loyalty"},
    )
    handle = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=200))
    url = ma.fields.URL(allow_none=True, validate=ma.validate.Length(max=2000))
    status = ma.fields.String(validate=ma.validate.OneOf(CHANNEL_STATUSES))


class ChannelSchema(EntitySchema, ChannelFields):
    into = ChannelDraft

    class Meta:
        name = "Channel"

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNEL_KINDS))
    name = name_field(required=True)
    family = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "social (social networks and blogs) or traditional, from the kind"
        },
    )
    version = ma.fields.Integer(dump_only=True)


class ChannelUpdateSchema(ChannelFields):
    into = ChannelChanges

    class Meta:
        name = "ChannelUpdate"


class ChannelFilterSchema(Schema):
    status = ma.fields.String(validate=ma.validate.OneOf(CHANNEL_STATUSES))
    kind = ma.fields.String(validate=ma.validate.OneOf(CHANNEL_KINDS))
    handle = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "Channels with this handle, ignoring case and a leading `@` "
            "(`@Acme` finds `acme`)"
        },
    )
    name = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Channels with exactly this name"},
    )
