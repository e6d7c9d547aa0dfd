import marshmallow as ma

from api.http.schema import Schema
from api.resources.common import EntitySchema


class OAuthGrantSchema(EntitySchema):
    class Meta:
        name = "OAuthGrant"

    client_id = ma.fields.String(
        dump_only=True, metadata={"description": "The client's `clvc_…` id"}
    )
    client_name = ma.fields.String(
        dump_only=True, allow_none=True, metadata={"description": "The client's name"}
    )
    user_id = ma.fields.UUID(dump_only=True)
    user_email = ma.fields.String(
        dump_only=True, allow_none=True, metadata={"description": "The member who consented"}
    )
    scopes = ma.fields.List(ma.fields.String(), dump_only=True)
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class OAuthGrantFilterSchema(Schema):
    active = ma.fields.Boolean(
        metadata={"description": "true: only consents in force; false: only revoked ones"}
    )
