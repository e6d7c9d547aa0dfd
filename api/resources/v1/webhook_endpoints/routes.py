from flask import url_for
from flask.views import MethodView

from api.crypto import cipher_for
from api.domain.outbound import UrlPolicy
from api.domain.webhooks import service
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import clover, uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.webhook_endpoints.schemas import (
    IssuedWebhookEndpointSchema,
    WebhookDeliverySchema,
    WebhookEndpointSchema,
    WebhookEndpointUpdateSchema,
)

blp = Blueprint(
    "webhook-endpoints",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/webhook-endpoints",
    description=(
        "Webhook endpoints: Clover POSTs the events they subscribe to, signed per Standard "
        "Webhooks (webhook-id, webhook-timestamp, webhook-signature), and retries for a day."
    ),
)
LOCATION = {"Location": {"description": "The delivery log", "schema": {"type": "string"}}}


def policy() -> UrlPolicy:
    settings = clover().settings
    return UrlPolicy.of_environment(
        settings.environment, allow_private=settings.webhooks_allow_private
    )


def issued(result) -> dict:
    endpoint = result.endpoint
    fields = WebhookEndpointSchema._declared_fields
    return {**{name: getattr(endpoint, name) for name in fields}, "secret": result.secret}


@blp.route("")
class WebhookEndpoints(MethodView):
    @blp.operation("webhook_endpoints_list", scope="webhooks:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(
        200, page_schema(WebhookEndpointSchema, "WebhookEndpointPage"), headers=LINK_HEADER
    )
    def get(self, args):
        """List webhook endpoints (never their secrets)"""
        return paged(service.list_endpoints(uow=uow(), page=page_request(args)))

    @blp.operation("webhook_endpoints_create", scope="webhooks:write", idempotent=True)
    @blp.arguments(WebhookEndpointSchema)
    @blp.response(201, IssuedWebhookEndpointSchema, headers=ETAG_HEADER)
    def post(self, data):
        """Create a webhook endpoint; the response holds its signing secret, shown once"""
        result = service.create_endpoint(
            uow=uow(), draft=data, policy=policy(), cipher=cipher_for(clover().settings)
        )
        location = url_for(
            "webhook-endpoints.WebhookEndpointById",
            organisation_id=uow().tenant.organisation_id,
            endpoint_id=result.endpoint.id,
        )
        return issued(result), 201, {"Location": location, "ETag": f'"{result.endpoint.version}"'}


@blp.route("/<uuid:endpoint_id>")
class WebhookEndpointById(MethodView):
    @blp.operation("webhook_endpoints_get", scope="webhooks:read")
    @blp.response(200, WebhookEndpointSchema, headers=ETAG_HEADER)
    def get(self, endpoint_id):
        """Get a webhook endpoint (without its secret)"""
        return saved(service.get_endpoint(uow=uow(), endpoint_id=endpoint_id))

    @blp.operation("webhook_endpoints_update", scope="webhooks:write", versioned=True)
    @blp.arguments(WebhookEndpointUpdateSchema)
    @blp.response(200, WebhookEndpointSchema, headers=ETAG_HEADER)
    def patch(self, changes, endpoint_id):
        """Update a webhook endpoint's URL, events or enabled flag"""
        endpoint = service.update_endpoint(
            uow=uow(),
            endpoint_id=endpoint_id,
            changes=changes,
            expected_version=expected_version(),
            policy=policy(),
        )
        return saved(endpoint)

    @blp.operation("webhook_endpoints_delete", scope="webhooks:write")
    @blp.response(204)
    def delete(self, endpoint_id):
        """Delete a webhook endpoint and its delivery log"""
        service.delete_endpoint(uow=uow(), endpoint_id=endpoint_id)


@blp.route("/<uuid:endpoint_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.operation("webhook_deliveries_list", scope="webhooks:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(
        200, page_schema(WebhookDeliverySchema, "WebhookDeliveryPage"), headers=LINK_HEADER
    )
    def get(self, args, endpoint_id):
        """List an endpoint's deliveries, newest first"""
        page = service.list_deliveries(uow=uow(), endpoint_id=endpoint_id, page=page_request(args))
        return paged(page)


@blp.route("/<uuid:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver")
class Redeliver(MethodView):
    @blp.operation("webhook_deliveries_redeliver", scope="webhooks:write")
    @blp.response(202, WebhookDeliverySchema, headers=LOCATION)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, endpoint_id, delivery_id):
        """Send a delivery again, with the same webhook-id

        Answers 202: the delivery is pending again and a worker sends it shortly.
        """
        delivery = service.redeliver(uow=uow(), endpoint_id=endpoint_id, delivery_id=delivery_id)
        location = url_for(
            "webhook-endpoints.WebhookDeliveries",
            organisation_id=uow().tenant.organisation_id,
            endpoint_id=endpoint_id,
        )
        return delivery, 202, {"Location": location}
