import marshmallow as ma

from api.domain.mentions.models import COMPETITOR_SOURCES, SENTIMENT_LABELS, TOPICS
from api.domain.mentions.service import (
    MAX_BATCH,
    InvalidItem,
    MentionBatchItem,
    MentionChanges,
    MentionDraft,
)
from api.http.schema import Schema
from api.resources.common import EntitySchema

TOPIC = {"description": "What the mention is about: company (default), competitor or industry"}
SCORE = {
    "description": "Sentiment from -1 (negative) to 1 (positive). Omit it (or send null) "
    "and Clover scores the text with VADER; a score sent is kept as given"
}


COMPETITOR = {
    "description": "The competitor the mention is about (its topic is then competitor). "
    "Omit it (or send null) and Clover matches a competitor mention to the one competitor "
    "whose handle wrote it or whose keyword it holds"
}


class MentionFields(Schema):
    author = ma.fields.String(validate=ma.validate.Length(max=200))
    competitor_id = ma.fields.UUID(allow_none=True, metadata=COMPETITOR)
    text = ma.fields.String(validate=ma.validate.Length(min=1, max=20_000))
    url = ma.fields.URL(allow_none=True, validate=ma.validate.Length(max=2000))
    posted_at = ma.fields.AwareDateTime(metadata={"description": "When it was posted"})
    topic = ma.fields.String(validate=ma.validate.OneOf(TOPICS), metadata=TOPIC)
    sentiment_score = ma.fields.Float(
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=-1, max=1),
        metadata=SCORE,
    )


class MentionInputFields(MentionFields):
    external_id = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "The network's id of the post; sending the same channel and "
            "external id again updates that mention"
        },
    )
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20_000))
    posted_at = ma.fields.AwareDateTime(
        required=True, metadata={"description": "When it was posted"}
    )


class MentionSchema(EntitySchema, MentionInputFields):
    into = MentionDraft

    class Meta:
        name = "Mention"

    channel_id = ma.fields.UUID(required=True, metadata={"description": "Where it was said"})
    sentiment_label = ma.fields.String(
        dump_only=True,
        validate=ma.validate.OneOf(SENTIMENT_LABELS),
        metadata={
            "description": "positive (score ≥ 0.05), negative (≤ -0.05) or neutral, from the score"
        },
    )
    competitor_source = ma.fields.String(
        dump_only=True,
        allow_none=True,
        validate=ma.validate.OneOf(COMPETITOR_SOURCES),
        metadata={
            "description": "given (by its caller), matched (by Clover), or null: no competitor"
        },
    )
    version = ma.fields.Integer(dump_only=True)


class MentionUpdateSchema(MentionFields):
    into = MentionChanges

    class Meta:
        name = "MentionUpdate"

    sentiment_score = ma.fields.Float(
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=-1, max=1),
        metadata={
            "description": "A corrected score, kept as given; null re-scores the text. "
            "Changing the text without a score re-scores it too"
        },
    )


class MentionBatchItemSchema(MentionInputFields):
    into = MentionBatchItem

    class Meta:
        name = "MentionBatchItem"

    channel_id = ma.fields.UUID(
        metadata={"description": "Where it was said; default: the batch's channel_id"}
    )


class BatchItems(ma.fields.List):
    """Loads each item on its own: an invalid one becomes an ``InvalidItem`` (rejected with
    its index by the batch), instead of failing the whole request."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise self.make_error("invalid")
        items = []
        for item in value:
            try:
                items.append(self.inner.deserialize(item, **kwargs))
            except ma.ValidationError as error:
                items.append(InvalidItem(error.normalized_messages()))
        return items


class MentionBatchSchema(Schema):
    class Meta:
        name = "MentionBatch"

    channel_id = ma.fields.UUID(
        load_default=None,
        metadata={"description": "Channel of the mentions that name none (404 if unknown)"},
    )
    mentions = BatchItems(
        ma.fields.Nested(MentionBatchItemSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_BATCH),
        metadata={
            "description": f"1 to {MAX_BATCH:,} mentions, applied in order; an invalid one "
            "is listed in `rejected` and the others are written"
        },
    )


class AcceptedMentionSchema(Schema):
    class Meta:
        name = "AcceptedMention"

    index = ma.fields.Integer(
        required=True, metadata={"description": "Position in `mentions`, from 0"}
    )
    id = ma.fields.UUID(required=True)
    outcome = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(("inserted", "updated")),
        metadata={"description": "inserted, or updated (its channel and external id were known)"},
    )


class RejectedMentionSchema(Schema):
    class Meta:
        name = "RejectedMention"

    index = ma.fields.Integer(
        required=True, metadata={"description": "Position in `mentions`, from 0"}
    )
    reason = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "Field → messages, when a field is wrong"}
    )


class MentionBatchResultSchema(Schema):
    class Meta:
        name = "MentionBatchResult"

    inserted = ma.fields.Integer(required=True, metadata={"description": "New mentions"})
    updated = ma.fields.Integer(
        required=True,
        metadata={"description": "Mentions updated through their channel and external id"},
    )
    accepted = ma.fields.List(ma.fields.Nested(AcceptedMentionSchema), required=True)
    rejected = ma.fields.List(ma.fields.Nested(RejectedMentionSchema), required=True)


class MentionFilterSchema(Schema):
    channel_id = ma.fields.UUID()
    competitor_id = ma.fields.UUID(metadata={"description": "Mentions naming this competitor"})
    topic = ma.fields.String(validate=ma.validate.OneOf(TOPICS))
    sentiment_label = ma.fields.String(validate=ma.validate.OneOf(SENTIMENT_LABELS))
    posted_from = ma.fields.AwareDateTime(metadata={"description": "Posted at or after this time"})
    posted_to = ma.fields.AwareDateTime(metadata={"description": "Posted before this time"})
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Text containing this, ignoring case"},
    )
