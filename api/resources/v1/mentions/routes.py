from flask import url_for
from flask.views import MethodView

from api.domain.mentions import service
from api.domain.mentions.service import MentionFilter
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.mentions.schemas import (
    MentionBatchResultSchema,
    MentionBatchSchema,
    MentionFilterSchema,
    MentionSchema,
    MentionUpdateSchema,
)

blp = Blueprint(
    "mentions",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/mentions",
    description=(
        "What people say about the company, its competitors and its industry, with "
        "sentiment (scored offline with VADER unless sent). Mentions keep the derived "
        "metrics mentions, sentiment_score_sum, competitor_mentions and industry_mentions "
        "per channel and UTC day in step: sentiment_score_sum / mentions is the average "
        "sentiment of any period."
    ),
)


@blp.route("")
class Mentions(MethodView):
    @blp.operation("mentions_list", scope="metrics:read")
    @blp.arguments(MentionFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(MentionSchema, "MentionPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List mentions, most recently recorded first, with filters"""
        return paged(
            service.list_mentions(
                uow=uow(), filters=MentionFilter(**filters), page=page_request(args)
            )
        )

    @blp.operation("mentions_create", scope="metrics:write", idempotent=True)
    @blp.arguments(MentionSchema)
    @blp.response(201, MentionSchema, headers=ETAG_HEADER)
    @blp.alt_response(
        200,
        schema=MentionSchema,
        headers=ETAG_HEADER,
        description="Updated: the channel already had a mention with this external id",
    )
    def post(self, draft):
        """Record a mention

        Its sentiment is scored from the text unless sentiment_score is sent. Sending
        a channel's external id again updates that mention (200) instead.
        """
        mention, created = service.create_mention(uow=uow(), draft=draft)
        location = url_for(
            "mentions.MentionById",
            organisation_id=uow().tenant.organisation_id,
            mention_id=mention.id,
        )
        return saved(mention, 201 if created else 200, location)


@blp.route("/batch")
class MentionBatch(MethodView):
    @blp.operation("mentions_batch", scope="metrics:write", idempotent=True)
    @blp.arguments(MentionBatchSchema)
    @blp.response(200, MentionBatchResultSchema)
    def post(self, data):
        """Record up to 1,000 mentions at once

        Items are applied in order, like single creates; an invalid item (or one whose
        channel is not found) is listed in `rejected` with its index and the others are
        written.
        """
        result = service.create_batch(
            uow=uow(), items=data["mentions"], channel_id=data["channel_id"]
        )
        return {
            "inserted": result.inserted,
            "updated": result.updated,
            "accepted": result.accepted,
            "rejected": result.rejected,
        }


@blp.route("/<uuid:mention_id>")
class MentionById(MethodView):
    @blp.operation("mentions_get", scope="metrics:read")
    @blp.response(200, MentionSchema, headers=ETAG_HEADER)
    def get(self, mention_id):
        """Get a mention"""
        return saved(service.get_mention(uow=uow(), mention_id=mention_id))

    @blp.operation("mentions_update", scope="metrics:write", versioned=True)
    @blp.arguments(MentionUpdateSchema)
    @blp.response(200, MentionSchema, headers=ETAG_HEADER)
    def patch(self, changes, mention_id):
        """Correct a mention

        A new topic, text, score or time recomputes the derived metrics of the days
        involved. A new text without a score is scored again; a null score re-scores
        the text.
        """
        mention = service.update_mention(
            uow=uow(), mention_id=mention_id, changes=changes, expected_version=expected_version()
        )
        return saved(mention)
