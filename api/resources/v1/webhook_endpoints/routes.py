import uuid

from flask import url_for
from flask.views import MethodView

from api.crypto import cipher_for
from api.domain.outbound import UrlPolicy
from api.domain.uow import UnitOfWork
from api.domain.webhooks import service
from api.domain.webhooks.models import WebhookEndpoint
from api.domain.webhooks.service import WebhookEndpointChanges, WebhookEndpointDraft
from api.http.blueprint import Blueprint
from api.http.context import clover, uow
from api.http.crud import Crud, register_crud
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


def issued(result: service.IssuedEndpoint) -> tuple[WebhookEndpoint, dict]:
    endpoint = result.endpoint
    fields = WebhookEndpointSchema._declared_fields
    return endpoint, {**{name: getattr(endpoint, name) for name in fields}, "secret": result.secret}


# The use cases, given what they need from the deployment: its URL policy and cipher.


def create(*, uow: UnitOfWork, draft: WebhookEndpointDraft) -> service.IssuedEndpoint:
    cipher = cipher_for(clover().settings)
    return service.create_endpoint(uow=uow, draft=draft, policy=policy(), cipher=cipher)


def update(
    *,
    uow: UnitOfWork,
    endpoint_id: uuid.UUID,
    changes: WebhookEndpointChanges,
    expected_version: int | None,
) -> WebhookEndpoint:
    return service.update_endpoint(
        uow=uow,
        endpoint_id=endpoint_id,
        changes=changes,
        expected_version=expected_version,
        policy=policy(),
    )


register_crud(
    blp,
    Crud(
        noun="webhook endpoint",
        plural="webhook_endpoints",
        scope_area="webhooks",
        schema=WebhookEndpointSchema,
        update_schema=WebhookEndpointUpdateSchema,
        create=create,
        list=service.list_endpoints,
        get=service.get_endpoint,
        update=update,
        delete=service.delete_endpoint,
        summaries={
            "list": "List webhook endpoints (never their secrets)",
            "create": (
                "Create a webhook endpoint; the response holds its signing secret, shown once"
            ),
            "get": "Get a webhook endpoint (without its secret)",
            "update": "Update a webhook endpoint's URL, events or enabled flag",
            "delete": "Delete a webhook endpoint and its delivery log",
        },
        issued_schema=IssuedWebhookEndpointSchema,
        issued=issued,
    ),
    id_name="endpoint_id",
)


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
