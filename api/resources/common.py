"""Fields every resource schema shares."""

import marshmallow as ma

from api.http.schema import Schema


class EntitySchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


def name_field(**kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(min=1, max=200), **kwargs)
