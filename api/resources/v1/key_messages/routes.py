from flask import url_for
from flask.views import MethodView

from api.domain.key_messages import service
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.key_messages.schemas import KeyMessageSchema, KeyMessageUpdateSchema

blp = Blueprint(
    "key_messages",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>",
    description=(
        "Key messages a strategy wants out, in the phrases that carry them; mentions and "
        "published content items are matched against them as they arrive "
        "(see `…/reports/message-pull-through`)."
    ),
)


@blp.route("/strategies/<uuid:strategy_id>/key-messages")
class StrategyKeyMessages(MethodView):
    @blp.operation("key_messages_list", scope="strategies:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(KeyMessageSchema, "KeyMessagePage"), headers=LINK_HEADER)
    def get(self, args, strategy_id):
        """List a strategy's key messages"""
        return paged(
            service.list_messages(uow=uow(), strategy_id=strategy_id, page=page_request(args))
        )

    @blp.operation("key_messages_create", scope="strategies:write", idempotent=True)
    @blp.arguments(KeyMessageSchema)
    @blp.response(201, KeyMessageSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, draft, strategy_id):
        """Add a key message to a strategy

        Its objectives must be the strategy's; its audiences the organisation's. The
        organisation's mentions and published content items said before it existed
        are matched against it in a job after the response.
        """
        message = service.create_message(uow=uow(), strategy_id=strategy_id, draft=draft)
        location = url_for(
            "key_messages.KeyMessageById",
            organisation_id=uow().tenant.organisation_id,
            key_message_id=message.id,
        )
        return saved(message, 201, location)


@blp.route("/key-messages/<uuid:key_message_id>")
class KeyMessageById(MethodView):
    @blp.operation("key_messages_get", scope="strategies:read")
    @blp.response(200, KeyMessageSchema, headers=ETAG_HEADER)
    def get(self, key_message_id):
        """Get a key message"""
        return saved(service.get_message(uow=uow(), key_message_id=key_message_id))

    @blp.operation("key_messages_update", scope="strategies:write", versioned=True)
    @blp.arguments(KeyMessageUpdateSchema)
    @blp.response(200, KeyMessageSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, key_message_id):
        """Update a key message (new phrases re-match its history in a job)"""
        return saved(
            service.update_message(
                uow=uow(),
                key_message_id=key_message_id,
                changes=changes,
                expected_version=expected_version(),
            )
        )

    @blp.operation("key_messages_delete", scope="strategies:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, key_message_id):
        """Delete a key message and its matches"""
        service.delete_message(uow=uow(), key_message_id=key_message_id)
