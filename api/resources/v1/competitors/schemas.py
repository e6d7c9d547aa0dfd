import marshmallow as ma

from api.domain.competitors.service import CompetitorChanges, CompetitorDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


class CompetitorFields(Schema):
    name = name_field(metadata={"description": "Unique in the organisation"})
    handles = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        validate=ma.validate.Length(max=50),
        metadata={
            "description": 'Its accounts on the networks ("@globex"): a competitor '
            "mention written by one of them is matched to it (any case, @ optional)"
        },
    )
    keywords = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        validate=ma.validate.Length(max=100),
        metadata={
            "description": "Phrases naming it or its products: a competitor mention whose "
            "text holds one (whole words, ignoring case, accents, punctuation and "
            "inflection) is matched to it"
        },
    )


class CompetitorSchema(EntitySchema, CompetitorFields):
    into = CompetitorDraft

    class Meta:
        name = "Competitor"

    name = name_field(required=True, metadata={"description": "Unique in the organisation"})
    version = ma.fields.Integer(dump_only=True)


class CompetitorUpdateSchema(CompetitorFields):
    into = CompetitorChanges

    class Meta:
        name = "CompetitorUpdate"
