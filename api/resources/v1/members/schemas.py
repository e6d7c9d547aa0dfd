import marshmallow as ma

from api.domain.access import ROLES
from api.domain.organisations.service import MemberChanges
from api.http.schema import Schema
from api.resources.common import EntitySchema

ROLE = ma.fields.String(
    required=True,
    validate=ma.validate.OneOf(ROLES),
    metadata={"description": "owner, admin, strategist, contributor or analyst"},
)


class MemberUserSchema(Schema):
    class Meta:
        name = "MemberUser"

    id = ma.fields.UUID(dump_only=True)
    email = ma.fields.String(dump_only=True)
    name = ma.fields.String(dump_only=True)


class MemberSchema(EntitySchema):
    class Meta:
        name = "Member"

    user = ma.fields.Nested(MemberUserSchema, dump_only=True)
    role = ma.fields.String(dump_only=True)
    version = ma.fields.Integer(dump_only=True)


class MemberUpdateSchema(Schema):
    into = MemberChanges

    class Meta:
        name = "MemberUpdate"

    role = ROLE
