from flask import url_for
from flask.views import MethodView

from api.domain.content_items import batches, service
from api.domain.content_items.service import ContentFilter
from api.domain.publishing import service as publishing
from api.domain.results import service as results
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.content_items.schemas import (
    ContentBatchTransitionSchema,
    ContentFilterSchema,
    ContentItemBatchResultSchema,
    ContentItemBatchSchema,
    ContentItemResultsSchema,
    ContentItemSchema,
    ContentItemUpdateSchema,
    PublishAttemptSchema,
    StatusChangeSchema,
    TransitionSchema,
)

blp = Blueprint(
    "content-items",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>",
    description=(
        "What is made, by whom, for which channel, and its way from idea to publication. "
        "Approval is governance: only roles with content:approve approve."
    ),
)
ITEM_PAGE = page_schema(ContentItemSchema, "ContentItemPage")


@blp.route("/campaigns/<uuid:campaign_id>/content-items")
class CampaignContent(MethodView):
    @blp.operation("content_items_list_for_campaign", scope="content:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ITEM_PAGE, headers=LINK_HEADER)
    def get(self, args, campaign_id):
        """List a campaign's content items"""
        return paged(
            service.list_campaign_items(uow=uow(), campaign_id=campaign_id, page=page_request(args))
        )

    @blp.operation("content_items_create", scope="content:write", idempotent=True)
    @blp.arguments(ContentItemSchema)
    @blp.response(201, ContentItemSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, draft, campaign_id):
        """Add a content item to a campaign

        It starts as an idea, or in the `status` sent: drafting or in_review (any other
        is a 422 naming `status`). Its history starts with that status.
        """
        item = service.create_item(uow=uow(), campaign_id=campaign_id, draft=draft)
        location = url_for(
            "content-items.ContentItemById",
            organisation_id=uow().tenant.organisation_id,
            item_id=item.id,
        )
        return saved(item, 201, location)


@blp.route("/campaigns/<uuid:campaign_id>/content-items/batch")
class CampaignContentBatch(MethodView):
    @blp.operation("content_items_create_batch", scope="content:write", idempotent=True)
    @blp.arguments(ContentItemBatchSchema)
    @blp.response(201, ContentItemBatchResultSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, batch, campaign_id):
        """Add up to 500 content items to a campaign at once

        Each starts as an idea, or in its own `status`: drafting or in_review (any
        other is that item's error, `items.4.status`).

        All or nothing: if any item breaks a rule, none is created and the problem
        names each failing item by its index (`items.17.channel_id`). A channel, owner
        or medium the organisation does not hold (another organisation's, or none) is
        such an item's error, "Not found.".
        """
        return {"items": batches.create_items(uow=uow(), campaign_id=campaign_id, batch=batch)}


@blp.route("/content-items/transitions")
class BatchTransition(MethodView):
    @blp.operation("content_items_transition_batch", scope="content:write")
    @blp.arguments(ContentBatchTransitionSchema)
    @blp.response(200, ContentItemBatchResultSchema)
    def post(self, batch):
        """Move up to 500 content items to another status at once

        Each item moves by the rules of one at a time (see the single transition):
        approving needs content:approve (403 for the whole batch otherwise), on a
        connected channel approval checks its limits and scheduling queues the
        publication. All or nothing: if any item cannot make the step, none moves and
        the problem names each failing item by its index (`items.3`, `items.3.text`);
        an item the organisation does not hold is `items.3.id`, "Not found.".
        """
        return {"items": batches.move_items(uow=uow(), batch=batch)}


@blp.route("/content-items")
class ContentItems(MethodView):
    @blp.operation("content_items_list", scope="content:read")
    @blp.arguments(ContentFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, ITEM_PAGE, headers=LINK_HEADER)
    def get(self, args, **filters):
        """List content items across campaigns, with filters"""
        return paged(
            service.list_items(uow=uow(), filters=ContentFilter(**filters), page=page_request(args))
        )


@blp.route("/content-items/<uuid:item_id>")
class ContentItemById(MethodView):
    @blp.operation("content_items_get", scope="content:read")
    @blp.response(200, ContentItemSchema, headers=ETAG_HEADER)
    def get(self, item_id):
        """Get a content item"""
        return saved(service.get_item(uow=uow(), item_id=item_id))

    @blp.operation("content_items_update", scope="content:write", versioned=True)
    @blp.arguments(ContentItemUpdateSchema)
    @blp.response(200, ContentItemSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, item_id):
        """Update a content item

        Changing the title, brief, text or as_thread of an approved, scheduled or
        publish_failed item sends it back to in_review. An item being published
        cannot change.
        """
        return saved(
            service.update_item(
                uow=uow(), item_id=item_id, changes=changes, expected_version=expected_version()
            )
        )

    @blp.operation("content_items_delete", scope="content:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, item_id):
        """Delete a content item that is not published"""
        service.delete_item(uow=uow(), item_id=item_id)


@blp.route("/content-items/<uuid:item_id>/transition")
class Transition(MethodView):
    @blp.operation("content_items_transition", scope="content:write", versioned=True)
    @blp.arguments(TransitionSchema)
    @blp.response(200, ContentItemSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, transition, item_id):
        """Move a content item to another status

        idea → drafting → in_review → approved → scheduled → published (or back a
        step, or cancelled). Approving needs content:approve (owners, admins,
        strategists); scheduling needs a scheduled time, publishing a published time.
        On a connected channel, approving checks the channel's limits (422 naming the
        channel and the limit) and Clover publishes the scheduled item at its time
        (publishing → published or publish_failed): it cannot be marked published by
        hand (409). A publish_failed item is rescheduled or sent back to approved.
        """
        item = service.move_item(
            uow=uow(), item_id=item_id, transition=transition, expected_version=expected_version()
        )
        return saved(item)


@blp.route("/content-items/<uuid:item_id>/history")
class History(MethodView):
    @blp.operation("content_items_history", scope="content:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(
        200, page_schema(StatusChangeSchema, "ContentStatusChangePage"), headers=LINK_HEADER
    )
    def get(self, args, item_id):
        """A content item's status history, oldest first"""
        return paged(service.history(uow=uow(), item_id=item_id, page=page_request(args)))


@blp.route("/content-items/<uuid:item_id>/publish-attempts")
class PublishAttempts(MethodView):
    @blp.operation("content_items_publish_attempts", scope="content:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(PublishAttemptSchema, "PublishAttemptPage"), headers=LINK_HEADER)
    def get(self, args, item_id):
        """A content item's publish attempts, oldest first"""
        return paged(publishing.list_attempts(uow=uow(), item_id=item_id, page=page_request(args)))


@blp.route("/content-items/<uuid:item_id>/results")
class Results(MethodView):
    @blp.operation("content_items_results", scope="content:read")
    @blp.response(200, ContentItemResultsSchema)
    def get(self, item_id):
        """What a content item did

        Its latest totals per metric key and the series by day, from its metric points
        (for a post Clover published, the sync reads the network's counts of it:
        engagements, shares, comments, impressions where the network exposes them),
        beside its publication and its campaign.
        """
        return results.item_results(uow=uow(), item_id=item_id)
