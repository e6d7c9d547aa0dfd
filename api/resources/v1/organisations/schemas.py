import marshmallow as ma

from api.domain.organisations.service import OrganisationChanges, OrganisationDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field
from api.resources.money import currency_code


class OrganisationSchema(EntitySchema):
    into = OrganisationDraft

    class Meta:
        name = "Organisation"

    name = name_field(required=True)
    slug = ma.fields.String(dump_only=True)
    timezone = ma.fields.String(
        validate=ma.validate.Length(max=64), metadata={"description": "IANA time zone name"}
    )
    currency = currency_code()
    fiscal_year_start_month = ma.fields.Integer(validate=ma.validate.Range(min=1, max=12))
    member_count = ma.fields.Integer(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Also the ETag"})


class OrganisationUpdateSchema(Schema):
    into = OrganisationChanges

    class Meta:
        name = "OrganisationUpdate"

    name = name_field()
    timezone = OrganisationSchema._declared_fields["timezone"]
    currency = OrganisationSchema._declared_fields["currency"]
    fiscal_year_start_month = OrganisationSchema._declared_fields["fiscal_year_start_month"]
