import marshmallow as ma

from api.domain.content_items.models import CONTENT_STATUSES, FORMATS
from api.domain.content_items.service import (
    ContentItemChanges,
    ContentItemDraft,
    ContentTransition,
    DistributionAction,
)
from api.http.schema import Schema
from api.resources.common import EntitySchema


class DistributionActionSchema(Schema):
    into = DistributionAction

    class Meta:
        name = "DistributionAction"

    action = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "e.g. 'share in the partner newsletter'"},
    )
    channel_id = ma.fields.UUID(allow_none=True, load_default=None)
    done = ma.fields.Boolean(load_default=False)


class ContentItemFields(Schema):
    owner_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "The resource who makes it"}
    )
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=300))
    brief = ma.fields.String(validate=ma.validate.Length(max=20_000))
    format = ma.fields.String(validate=ma.validate.OneOf(FORMATS))
    effort_hours = ma.fields.Float(allow_nan=False, validate=ma.validate.Range(min=0, max=10_000))
    due_date = ma.fields.Date(allow_none=True)
    scheduled_at = ma.fields.AwareDateTime(allow_none=True)
    published_at = ma.fields.AwareDateTime(allow_none=True)
    published_url = ma.fields.URL(allow_none=True, validate=ma.validate.Length(max=2000))
    distribution_actions = ma.fields.List(
        ma.fields.Nested(DistributionActionSchema),
        validate=ma.validate.Length(max=50),
        metadata={"description": "Ordered steps to distribute the item"},
    )
    channel_id = ma.fields.UUID(metadata={"description": "One of the campaign's channels"})


class ContentItemSchema(EntitySchema, ContentItemFields):
    into = ContentItemDraft

    class Meta:
        name = "ContentItem"

    campaign_id = ma.fields.UUID(dump_only=True)
    channel_id = ma.fields.UUID(
        required=True, metadata={"description": "One of the campaign's channels"}
    )
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    status = ma.fields.String(
        dump_only=True,
        metadata={
            "description": "idea → drafting → in_review → approved → scheduled → published, "
            "or cancelled"
        },
    )
    approved_by_user_id = ma.fields.UUID(dump_only=True, allow_none=True)
    approved_by_api_key_id = ma.fields.UUID(dump_only=True, allow_none=True)
    approved_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    plan_date = ma.fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Day in the plan: the scheduled day (UTC), else the due date"},
    )
    version = ma.fields.Integer(dump_only=True)


class ContentItemUpdateSchema(ContentItemFields):
    into = ContentItemChanges

    class Meta:
        name = "ContentItemUpdate"


class TransitionSchema(Schema):
    into = ContentTransition

    class Meta:
        name = "ContentTransition"

    to = ma.fields.String(required=True, validate=ma.validate.OneOf(CONTENT_STATUSES))
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    scheduled_at = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "Sets the scheduled time when scheduling"}
    )
    published_at = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "Sets the published time when publishing"}
    )
    published_url = ma.fields.URL(load_default=None, validate=ma.validate.Length(max=2000))


class StatusChangeSchema(Schema):
    class Meta:
        name = "ContentStatusChange"

    id = ma.fields.UUID()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    actor_user_id = ma.fields.UUID(allow_none=True)
    actor_api_key_id = ma.fields.UUID(allow_none=True)
    comment = ma.fields.String()
    created_at = ma.fields.DateTime()


class ContentFilterSchema(Schema):
    campaign_id = ma.fields.UUID()
    channel_id = ma.fields.UUID()
    owner_id = ma.fields.UUID()
    status = ma.fields.String(validate=ma.validate.OneOf(CONTENT_STATUSES))
    due_from = ma.fields.Date()
    due_to = ma.fields.Date()
