from flask import url_for
from flask.views import MethodView

from api.domain.campaigns import reviews, service
from api.domain.campaigns.reviews import LearningFilter
from api.domain.campaigns.service import CampaignFilter
from api.http.blueprint import ETAG_HEADER, Blueprint, expected_version, saved
from api.http.context import uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.campaigns.schemas import (
    CampaignFilterSchema,
    CampaignSchema,
    CampaignUpdateSchema,
    LearningFilterSchema,
    LearningSchema,
    ReviewSchema,
    ReviewUpdateSchema,
)

blp = Blueprint(
    "campaigns",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>",
    description=(
        "Campaigns serve a strategy's objectives and run in plan-do-check-act cycles; "
        "each cycle's check phase closes with a review. Reviews together are the "
        "organisation's learnings."
    ),
)


def _campaign_url(campaign) -> str:
    return url_for(
        "campaigns.CampaignById", organisation_id=campaign.organisation_id, campaign_id=campaign.id
    )


@blp.route("/campaigns")
class Campaigns(MethodView):
    @blp.operation("campaigns_list", scope="campaigns:read")
    @blp.arguments(CampaignFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(CampaignSchema, "CampaignPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """List campaigns, filtered by strategy, status and UTM code"""
        page = service.list_campaigns(
            uow=uow(), filters=CampaignFilter(**filters), page=page_request(args)
        )
        return paged(page)

    @blp.operation("campaigns_create", scope="campaigns:write", idempotent=True)
    @blp.arguments(CampaignSchema)
    @blp.response(201, CampaignSchema, headers=ETAG_HEADER)
    def post(self, draft):
        """Plan a campaign

        Its dates lie inside the strategy's period (422 otherwise); objectives are
        the strategy's; another organisation's strategy, channel or audience is 404.
        """
        campaign = service.create_campaign(uow=uow(), draft=draft)
        return saved(campaign, 201, _campaign_url(campaign))


@blp.route("/campaigns/<uuid:campaign_id>")
class CampaignById(MethodView):
    @blp.operation("campaigns_get", scope="campaigns:read")
    @blp.response(200, CampaignSchema, headers=ETAG_HEADER)
    def get(self, campaign_id):
        """Get a campaign"""
        return saved(service.get_campaign(uow=uow(), campaign_id=campaign_id))

    @blp.operation("campaigns_update", scope="campaigns:write", versioned=True)
    @blp.arguments(CampaignUpdateSchema)
    @blp.response(200, CampaignSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, campaign_id):
        """Update a campaign (lists of ids replace the current ones)"""
        return saved(
            service.update_campaign(
                uow=uow(),
                campaign_id=campaign_id,
                changes=changes,
                expected_version=expected_version(),
            )
        )

    @blp.operation("campaigns_delete", scope="campaigns:write")
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, campaign_id):
        """Delete a planned campaign (others are cancelled instead)"""
        service.delete_campaign(uow=uow(), campaign_id=campaign_id)


def _lifecycle(action: str, summary: str):
    class Lifecycle(MethodView):
        @blp.operation(f"campaigns_{action}", scope="campaigns:write", versioned=True)
        @blp.response(200, CampaignSchema, headers=ETAG_HEADER)
        @blp.alt_response(409, response="CONFLICT")
        @blp.doc(summary=summary)
        def post(self, campaign_id):
            return saved(
                service.change_status(
                    uow=uow(),
                    campaign_id=campaign_id,
                    action=action,
                    expected_version=expected_version(),
                )
            )

    blp.add_url_rule(
        f"/campaigns/<uuid:campaign_id>/{action}",
        endpoint=f"campaign_{action}",
        view_func=Lifecycle,
    )


_lifecycle("start", "Start a planned campaign")
_lifecycle("complete", "Complete an active campaign")
_lifecycle("cancel", "Cancel a planned or active campaign")


@blp.route("/campaigns/<uuid:campaign_id>/advance")
class AdvancePhase(MethodView):
    @blp.operation("campaigns_advance", scope="campaigns:write", versioned=True)
    @blp.response(200, CampaignSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, campaign_id):
        """Move the campaign one PDCA phase on

        plan → do → check → act; leaving act starts the next cycle at plan.
        Leaving check needs a review of the cycle (409 otherwise).
        """
        return saved(
            service.advance_phase(
                uow=uow(), campaign_id=campaign_id, expected_version=expected_version()
            )
        )


@blp.route("/campaigns/<uuid:campaign_id>/reviews")
class CampaignReviews(MethodView):
    @blp.operation("reviews_list", scope="campaigns:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(ReviewSchema, "ReviewPage"), headers=LINK_HEADER)
    def get(self, args, campaign_id):
        """List a campaign's reviews"""
        return paged(
            reviews.list_reviews(uow=uow(), campaign_id=campaign_id, page=page_request(args))
        )

    @blp.operation("reviews_create", scope="campaigns:write", idempotent=True)
    @blp.arguments(ReviewSchema)
    @blp.response(201, ReviewSchema, headers=ETAG_HEADER)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, draft, campaign_id):
        """Review the current cycle (in its check phase), with a KPI snapshot"""
        review = reviews.create_review(uow=uow(), campaign_id=campaign_id, draft=draft)
        location = url_for(
            "campaigns.ReviewById",
            organisation_id=uow().tenant.organisation_id,
            review_id=review.id,
        )
        return saved(review, 201, location)


@blp.route("/reviews/<uuid:review_id>")
class ReviewById(MethodView):
    @blp.operation("reviews_get", scope="campaigns:read")
    @blp.response(200, ReviewSchema, headers=ETAG_HEADER)
    def get(self, review_id):
        """Get a review"""
        return saved(reviews.get_review(uow=uow(), review_id=review_id))

    @blp.operation("reviews_update", scope="campaigns:write", versioned=True)
    @blp.arguments(ReviewUpdateSchema)
    @blp.response(200, ReviewSchema, headers=ETAG_HEADER)
    def patch(self, changes, review_id):
        """Update a review's findings (its cycle and KPI snapshot stay)"""
        return saved(
            reviews.update_review(
                uow=uow(), review_id=review_id, changes=changes, expected_version=expected_version()
            )
        )


@blp.route("/learnings")
class Learnings(MethodView):
    @blp.operation("learnings_list", scope="campaigns:read")
    @blp.arguments(LearningFilterSchema, location="query", as_kwargs=True)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(LearningSchema, "LearningPage"), headers=LINK_HEADER)
    def get(self, args, **filters):
        """What works and what doesn't: every review, newest first"""
        learnings = reviews.list_learnings(
            uow=uow(), filters=LearningFilter(**filters), page=page_request(args)
        )
        return paged(learnings)
