from decimal import Decimal

import marshmallow as ma

from api.domain.resources.models import KNOWN_ROLES, RESOURCE_KINDS
from api.domain.resources.service import ResourceChanges, ResourceDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field
from api.resources.money import Amount

MAX_HOURLY_COST = Decimal("1000000.00")


class ResourceFields(Schema):
    name = name_field()
    kind = ma.fields.String(validate=ma.validate.OneOf(RESOURCE_KINDS))
    role = ma.fields.String(
        validate=ma.validate.Length(max=100), metadata={"description": "Free text"}
    )
    known_role = ma.fields.String(
        allow_none=True,
        validate=ma.validate.OneOf(KNOWN_ROLES),
        # The title names the enum in generated clients (else openapi-python-client makes
        # three identical classes of a nullable enum: ResourceKnownRoleType1, …Type2Type1, …).
        metadata={"description": "The closest known role, for reports", "title": "KnownRole"},
    )
    weekly_capacity_hours = ma.fields.Float(
        allow_nan=False, validate=ma.validate.Range(min=0, max=168)
    )
    hourly_cost = Amount(
        allow_none=True,
        maximum=MAX_HOURLY_COST,
        description="In the organisation's currency, to count people's time in ROI",
    )
    member_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "The member this resource is, if any"}
    )


class ResourceSchema(EntitySchema, ResourceFields):
    into = ResourceDraft

    class Meta:
        name = "Resource"

    name = name_field(required=True)
    weekly_capacity_hours = ma.fields.Float(
        required=True, allow_nan=False, validate=ma.validate.Range(min=0, max=168)
    )
    version = ma.fields.Integer(dump_only=True)


class ResourceUpdateSchema(ResourceFields):
    into = ResourceChanges

    class Meta:
        name = "ResourceUpdate"
