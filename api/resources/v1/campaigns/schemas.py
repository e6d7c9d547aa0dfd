import marshmallow as ma

from api.domain.campaigns.models import CAMPAIGN_STATUSES
from api.domain.campaigns.reviews import CausalLiftRequest, ReviewChanges, ReviewDraft
from api.domain.campaigns.service import CampaignChanges, CampaignDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field
from api.resources.money import Amount, currency_code


def ids(description: str):
    return ma.fields.List(
        ma.fields.UUID(),
        validate=ma.validate.Length(max=200),
        metadata={"description": description},
    )


class CampaignFields(Schema):
    name = name_field()
    description = ma.fields.String(validate=ma.validate.Length(max=10_000))
    start_date = ma.fields.Date(metadata={"description": "Inside the strategy's period"})
    end_date = ma.fields.Date(metadata={"description": "Inside the strategy's period"})
    # The column is NUMERIC(14, 2): 1e12 itself does not fit.
    budget_amount = Amount(allow_none=True, description="The whole budget, in `budget_currency`")
    budget_currency = currency_code("ISO 4217; default: the organisation's currency")
    utm_campaign = ma.fields.String(
        validate=[ma.validate.Length(min=1, max=100), ma.validate.Regexp(r"^[a-z0-9_.-]+$")],
        metadata={"description": "Unique per organisation; generated from the name if omitted"},
    )
    objective_ids = ids("Objectives served, of the campaign's strategy")
    channel_ids = ids("Channels the campaign uses")
    audience_ids = ids("Audiences the campaign targets")


class CampaignSchema(EntitySchema, CampaignFields):
    into = CampaignDraft

    class Meta:
        name = "Campaign"

    strategy_id = ma.fields.UUID(
        required=True, metadata={"description": "A draft or active strategy"}
    )
    name = name_field(required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    status = ma.fields.String(
        dump_only=True, metadata={"description": "planned → active → completed | cancelled"}
    )
    pdca_cycle = ma.fields.Integer(
        dump_only=True, metadata={"description": "Current cycle, from 1"}
    )
    pdca_phase = ma.fields.String(
        dump_only=True, metadata={"description": "plan → do → check → act"}
    )
    version = ma.fields.Integer(dump_only=True)


class CampaignUpdateSchema(CampaignFields):
    into = CampaignChanges

    class Meta:
        name = "CampaignUpdate"


class CampaignFilterSchema(Schema):
    strategy_id = ma.fields.UUID()
    status = ma.fields.String(validate=ma.validate.OneOf(CAMPAIGN_STATUSES))
    utm_campaign = ma.fields.String(
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "The campaign with exactly this UTM code"},
    )


class ReviewFields(Schema):
    what_worked = ma.fields.String(validate=ma.validate.Length(max=20_000))
    what_did_not_work = ma.fields.String(validate=ma.validate.Length(max=20_000))
    actions = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=1000)),
        validate=ma.validate.Length(max=100),
        metadata={"description": "Actions for the next cycle"},
    )
    quick_win = ma.fields.Boolean()


class KpiSnapshotEntrySchema(Schema):
    class Meta:
        name = "KpiSnapshotEntry"

    kpi_id = ma.fields.UUID()
    kpi_name = ma.fields.String()
    objective_id = ma.fields.UUID()
    period_start = ma.fields.Date(allow_none=True)
    actual = ma.fields.Float(allow_none=True)
    target = ma.fields.Float(allow_none=True)
    attainment = ma.fields.Float(allow_none=True)
    status = ma.fields.String(
        allow_none=True, metadata={"description": "on_track, at_risk, off_track or no_data"}
    )


class CausalLiftRequestSchema(Schema):
    into = CausalLiftRequest

    class Meta:
        name = "ReviewCausalLiftRequest"

    metric = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    day_from = ma.fields.Date(
        data_key="from", metadata={"description": "Default: the campaign's start date"}
    )
    day_to = ma.fields.Date(data_key="to", metadata={"description": "Default: its end date"})
    pre_from = ma.fields.Date(metadata={"description": "As in the causal-lift report"})
    pre_to = ma.fields.Date()
    controls = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=64)),
        validate=ma.validate.Length(max=5),
        metadata={"description": "Channel ids or metric keys; default as in the report"},
    )


class ReviewSchema(EntitySchema, ReviewFields):
    into = ReviewDraft

    class Meta:
        name = "Review"

    campaign_id = ma.fields.UUID(dump_only=True)
    cycle = ma.fields.Integer(dump_only=True, metadata={"description": "The PDCA cycle it closes"})
    kpi_snapshot = ma.fields.List(
        ma.fields.Nested(KpiSnapshotEntrySchema),
        dump_only=True,
        metadata={
            "description": "Latest KPI values of the objectives served, taken at creation "
            "(empty until KPI values are computed)"
        },
    )
    causal_lift = ma.fields.Nested(
        CausalLiftRequestSchema,
        load_only=True,
        allow_none=True,
        metadata={"description": "Take a causal-lift snapshot of the cycle's window too"},
    )
    causal_lift_snapshot = ma.fields.Dict(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The causal-lift report (GET …/reports/causal-lift, without its "
            "daily series) taken at creation when asked for; null otherwise"
        },
    )
    version = ma.fields.Integer(dump_only=True)


class ReviewUpdateSchema(ReviewFields):
    into = ReviewChanges

    class Meta:
        name = "ReviewUpdate"


class LearningSchema(Schema):
    class Meta:
        name = "Learning"

    review = ma.fields.Nested(ReviewSchema)
    campaign_name = ma.fields.String()


class LearningFilterSchema(Schema):
    channel_id = ma.fields.UUID(metadata={"description": "Reviews of campaigns using this channel"})
    objective_id = ma.fields.UUID(
        metadata={"description": "Reviews of campaigns serving this objective"}
    )
    quick_win = ma.fields.Boolean()
