import marshmallow as ma

from api.domain.plan.feeds import PlanFeedDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


class PlanFeedSchema(EntitySchema):
    class Meta:
        name = "PlanFeed"

    name = ma.fields.String(dump_only=True)
    prefix = ma.fields.String(
        dump_only=True,
        metadata={"description": "Visible part of the feed's token, to recognise it"},
    )
    campaign_id = ma.fields.UUID(dump_only=True, allow_none=True)
    channel_id = ma.fields.UUID(dump_only=True, allow_none=True)
    owner_id = ma.fields.UUID(
        dump_only=True, allow_none=True, metadata={"description": "A resource"}
    )
    last_used_at = ma.fields.DateTime(
        dump_only=True, allow_none=True, metadata={"description": "Last read (to the minute)"}
    )
    revoked_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_by_user_id = ma.fields.UUID(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Who made the feed; it stops working if they leave"},
    )


class PlanFeedCreateSchema(Schema):
    into = PlanFeedDraft

    class Meta:
        name = "PlanFeedCreate"

    name = name_field(required=True, metadata={"description": "e.g. Sam's calendar"})
    campaign_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Only this campaign's items"}
    )
    channel_id = ma.fields.UUID(allow_none=True, metadata={"description": "Only this channel's"})
    owner_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Only the items this resource owns"}
    )


class IssuedPlanFeedSchema(PlanFeedSchema):
    """A calendar feed as created: the only time its token and URL are shown."""

    class Meta:
        name = "IssuedPlanFeed"

    token = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The feed's secret token. Shown once; null when the response is an "
            "Idempotency-Key replay (secrets are never stored)."
        },
    )
    feed_url = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The address to subscribe to in a calendar app (holds the token: "
            "share it like a password). Shown once, like the token."
        },
    )
