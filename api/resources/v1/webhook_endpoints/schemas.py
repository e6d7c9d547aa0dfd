import marshmallow as ma

from api.domain.webhooks.models import DELIVERY_STATUSES, EVENT_TYPES
from api.domain.webhooks.service import WebhookEndpointChanges, WebhookEndpointDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema

URL = {"description": "Where deliveries are POSTed: https, on a public address"}


def events_field(**kwargs) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(
            validate=ma.validate.OneOf(EVENT_TYPES), metadata={"title": "WebhookEventType"}
        ),
        validate=ma.validate.Length(min=1, max=len(EVENT_TYPES)),
        metadata={"description": "Event types sent to this endpoint"},
        **kwargs,
    )


class WebhookEndpointSchema(EntitySchema):
    into = WebhookEndpointDraft

    class Meta:
        name = "WebhookEndpoint"
        unknown = ma.RAISE

    url = ma.fields.URL(
        required=True,
        schemes={"https", "http"},
        require_tld=False,
        validate=ma.validate.Length(max=2000),
        metadata=URL,
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    events = events_field(required=True)
    enabled = ma.fields.Boolean(load_default=True)
    disabled_reason = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Why Clover disabled the endpoint (consecutive failed deliveries)"
        },
    )
    consecutive_failures = ma.fields.Integer(dump_only=True)


class WebhookEndpointUpdateSchema(Schema):
    into = WebhookEndpointChanges

    class Meta:
        name = "WebhookEndpointUpdate"
        unknown = ma.RAISE

    url = ma.fields.URL(
        schemes={"https", "http"},
        require_tld=False,
        validate=ma.validate.Length(max=2000),
        metadata=URL,
    )
    description = ma.fields.String(validate=ma.validate.Length(max=2000))
    events = events_field()
    enabled = ma.fields.Boolean(
        metadata={"description": "Enabling a disabled endpoint resets its failure count"}
    )


class IssuedWebhookEndpointSchema(WebhookEndpointSchema):
    """A webhook endpoint as created: the only time its signing secret is shown."""

    class Meta:
        name = "IssuedWebhookEndpoint"

    secret = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Signing secret (whsec_…) for the webhook-signature header. "
            "Shown once; store it now. Null when the response is an Idempotency-Key "
            "replay (secrets are never stored)."
        },
    )


class WebhookDeliverySchema(Schema):
    class Meta:
        name = "WebhookDelivery"

    id = ma.fields.UUID(dump_only=True)
    endpoint_id = ma.fields.UUID(dump_only=True)
    event_id = ma.fields.UUID(
        dump_only=True, metadata={"description": "Also the webhook-id header of every attempt"}
    )
    event_type = ma.fields.String(dump_only=True)
    status = ma.fields.String(
        dump_only=True,
        validate=ma.validate.OneOf(DELIVERY_STATUSES),
        metadata={"title": "WebhookDeliveryStatus"},
    )
    attempts = ma.fields.Integer(dump_only=True)
    last_status_code = ma.fields.Integer(dump_only=True, allow_none=True)
    last_error = ma.fields.String(dump_only=True, allow_none=True)
    last_attempt_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    next_attempt_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)
