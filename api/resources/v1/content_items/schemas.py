import marshmallow as ma

from api.domain.content_items.batches import (
    MAX_ITEMS,
    BatchStep,
    ContentBatchTransition,
    ContentItemBatchDraft,
)
from api.domain.content_items.models import CONTENT_STATUSES, FORMATS, MANUAL_STATUSES
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
    text = ma.fields.String(
        validate=ma.validate.Length(max=10_000),
        metadata={
            "description": "What goes out on the channel. The channel's own limit (e.g. "
            "Mastodon's 500 characters, Bluesky's 300 graphemes) is checked when the item "
            "is approved and again before it is sent"
        },
    )
    media_ids = ma.fields.List(
        ma.fields.UUID(),
        validate=ma.validate.Length(max=20),
        metadata={
            "description": "The organisation's media the item carries, in order (uploaded "
            "with POST …/media); the channel's limits on their number, type and size are "
            "checked with the text"
        },
    )
    as_thread = ma.fields.Boolean(
        metadata={
            "description": "Post a text over the channel's limit as a thread (otherwise "
            "such a text is refused)"
        }
    )


class ContentItemSchema(EntitySchema, ContentItemFields):
    into = ContentItemDraft

    class Meta:
        name = "ContentItem"

    campaign_id = ma.fields.UUID(dump_only=True)
    channel_id = ma.fields.UUID(
        required=True, metadata={"description": "One of the campaign's channels"}
    )
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    # Not an enum in the document: an item read back may be in any status, while a
    # create accepts only the initial ones (the domain's rule, a 422 naming the field).
    status = ma.fields.String(
        metadata={
            "description": "idea → drafting → in_review → approved → scheduled → published, "
            "or cancelled. On a connected channel Clover publishes a scheduled item at its "
            "time: scheduled → publishing → published, or publish_failed (see publish_error). "
            "On create: idea (the default), drafting or in_review; any later status is "
            "reached through the transitions and their rules"
        },
    )
    external_id = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The network's id of the post Clover published"},
    )
    publish_error = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Why the last publication failed (publish_failed)"},
    )
    publish_retryable = ma.fields.Boolean(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Whether rescheduling a failed publication can help"},
    )
    approved_by_user_id = ma.fields.UUID(dump_only=True, allow_none=True)
    approved_by_api_key_id = ma.fields.UUID(dump_only=True, allow_none=True)
    approved_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    plan_date = ma.fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Day in the plan: the scheduled day (UTC), else the due date"},
    )
    series_id = ma.fields.UUID(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The content series that generated the item, if any"},
    )
    occurrence_at = ma.fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The series' occurrence the item is (UTC)"},
    )
    detached = ma.fields.Boolean(
        dump_only=True,
        metadata={"description": "Edited by hand, so its series no longer changes it"},
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

    to = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(MANUAL_STATUSES),
        metadata={
            "description": "publishing and publish_failed are Clover's publisher's alone; "
            "published only for items on channels that are not connected"
        },
    )
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    scheduled_at = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "Sets the scheduled time when scheduling"}
    )
    published_at = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "Sets the published time when publishing"}
    )
    published_url = ma.fields.URL(load_default=None, validate=ma.validate.Length(max=2000))


def _flat(messages, prefix: str = "") -> dict:
    """Nested messages as dotted paths: ``{"items": {17: {"channel_id": [...]}}}`` becomes
    ``{"items.17.channel_id": [...]}``, as the domain names a batch's items."""
    if not isinstance(messages, dict):
        return {prefix: messages}
    flat: dict = {}
    for key, value in messages.items():
        flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


class BatchSchema(Schema):
    """A batch request: its errors name each item by its index."""

    def handle_error(self, error, data, **kwargs):
        raise ma.ValidationError(_flat(error.normalized_messages())) from error


class ContentItemBatchSchema(BatchSchema):
    into = ContentItemBatchDraft

    class Meta:
        name = "ContentItemBatch"

    items = ma.fields.List(
        ma.fields.Nested(ContentItemSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_ITEMS),
        metadata={"description": f"The items to create, 1 to {MAX_ITEMS}"},
    )


class ContentItemBatchResultSchema(Schema):
    class Meta:
        name = "ContentItemBatchResult"

    items = ma.fields.List(
        ma.fields.Nested(ContentItemSchema), metadata={"description": "In the request's order"}
    )


class ContentBatchStepSchema(Schema):
    into = BatchStep

    class Meta:
        name = "ContentBatchStep"

    id = ma.fields.UUID(required=True, metadata={"description": "The content item's id"})
    scheduled_at = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "Sets the scheduled time when scheduling"}
    )
    published_at = ma.fields.AwareDateTime(
        load_default=None, metadata={"description": "Sets the published time when publishing"}
    )
    published_url = ma.fields.URL(load_default=None, validate=ma.validate.Length(max=2000))


class ContentBatchTransitionSchema(BatchSchema):
    into = ContentBatchTransition

    class Meta:
        name = "ContentBatchTransition"

    to = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(MANUAL_STATUSES),
        metadata={"description": "The status every item moves to, as one at a time"},
    )
    comment = ma.fields.String(load_default="", validate=ma.validate.Length(max=5000))
    items = ma.fields.List(
        ma.fields.Nested(ContentBatchStepSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_ITEMS),
        metadata={"description": f"The items to move, 1 to {MAX_ITEMS}, each at most once"},
    )


class StatusChangeSchema(Schema):
    class Meta:
        name = "ContentStatusChange"

    id = ma.fields.UUID()
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    actor_user_id = ma.fields.UUID(allow_none=True)
    actor_api_key_id = ma.fields.UUID(allow_none=True)
    actor = ma.fields.String(
        allow_none=True,
        metadata={"description": "publisher for the steps Clover's publisher made, else null"},
    )
    comment = ma.fields.String()
    created_at = ma.fields.DateTime()


class PublishAttemptSchema(Schema):
    class Meta:
        name = "PublishAttempt"

    id = ma.fields.UUID()
    content_item_id = ma.fields.UUID()
    number = ma.fields.Integer()
    key = ma.fields.String(
        metadata={"description": "Sent as the Idempotency-Key or record key on every try"}
    )
    provider = ma.fields.String()
    outcome = ma.fields.String(
        metadata={"description": "unknown (under way, or its answer was lost), sent or failed"}
    )
    tries = ma.fields.Integer()
    external_id = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    started_at = ma.fields.DateTime()
    next_try_at = ma.fields.DateTime(allow_none=True)
    finished_at = ma.fields.DateTime(allow_none=True)


class ContentFilterSchema(Schema):
    campaign_id = ma.fields.UUID()
    channel_id = ma.fields.UUID()
    owner_id = ma.fields.UUID()
    series_id = ma.fields.UUID(metadata={"description": "The items of one content series"})
    status = ma.fields.String(validate=ma.validate.OneOf(CONTENT_STATUSES))
    due_from = ma.fields.Date()
    due_to = ma.fields.Date()


class CampaignRefSchema(Schema):
    class Meta:
        name = "CampaignRef"

    id = ma.fields.UUID()
    name = ma.fields.String()


class PublicationSchema(Schema):
    class Meta:
        name = "Publication"

    network = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The network Clover published on (sandbox, mastodon, bluesky); "
            "null for an item marked published by hand"
        },
    )
    external_id = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True)
    published_at = ma.fields.DateTime()


class ResultDaySchema(Schema):
    class Meta:
        name = "ResultDay"

    day = ma.fields.Date()
    values = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={"description": "Metric key → the day's figure (for a count: what it gained)"},
    )


class ContentItemResultsSchema(Schema):
    class Meta:
        name = "ContentItemResults"

    content_item_id = ma.fields.UUID(attribute="item.id")
    title = ma.fields.String(attribute="item.title")
    status = ma.fields.String(attribute="item.status")
    channel_id = ma.fields.UUID(attribute="item.channel_id")
    campaign = ma.fields.Nested(CampaignRefSchema)
    publication = ma.fields.Nested(
        PublicationSchema,
        allow_none=True,
        metadata={"description": "Where and when it went out; null until it is published"},
    )
    totals = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={
            "description": "Metric key → the latest total: a count (engagements, shares, "
            "comments, impressions where the network exposes them) summed over its days, a "
            "level its latest value, a ratio its mean"
        },
    )
    series = ma.fields.List(
        ma.fields.Nested(ResultDaySchema), metadata={"description": "By day, oldest first"}
    )
    as_of = ma.fields.Date(allow_none=True, metadata={"description": "The last day with a figure"})
