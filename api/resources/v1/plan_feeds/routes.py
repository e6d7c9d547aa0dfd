from flask import make_response, url_for
from flask.views import MethodView

from api.domain.plan import feeds
from api.http.blueprint import Blueprint
from api.http.context import open_plan_feed, uow
from api.http.pages import LINK_HEADER, PageArgsSchema, page_request, page_schema, paged
from api.resources.v1.plan_feeds.schemas import (
    IssuedPlanFeedSchema,
    PlanFeedCreateSchema,
    PlanFeedSchema,
)

ICALENDAR = "text/calendar; charset=utf-8"
STRING = {"schema": {"type": "string"}}
TOKEN_PARAMETER = {
    "name": "token",
    "in": "path",
    "required": True,
    "description": "The feed's secret token, as its `feed_url` holds it (never logged)",
    **STRING,
}

blp = Blueprint(
    "plan-feeds",
    __name__,
    url_prefix="/v1/organisations/<uuid:organisation_id>/plan-feeds",
    description=(
        "Calendar feeds of the plan: a secret address a calendar app subscribes to. "
        "Its token is shown once and stored only as a hash; it reads only the plan."
    ),
)
calendar_blp = Blueprint(
    "plan-feed-calendar",
    __name__,
    url_prefix="/v1/plan-feeds",
    description=(
        "The plan as iCalendar, read by calendar apps with the feed's token in the address "
        "(they cannot send a bearer header). The token sits outside any organisation's "
        "path, so the address names no organisation, and it is never written to the logs."
    ),
)


def feed_url(token: str) -> str:
    return url_for("plan-feed-calendar.PlanFeedCalendar", token=token, _external=True)


def issued(result: feeds.IssuedFeed) -> dict:
    body = {name: getattr(result.feed, name) for name in PlanFeedSchema._declared_fields}
    return {**body, "token": result.token, "feed_url": feed_url(result.token)}


@blp.route("")
class PlanFeeds(MethodView):
    @blp.operation("plan_feeds_list", scope="content:read")
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(PlanFeedSchema, "PlanFeedPage"), headers=LINK_HEADER)
    def get(self, args):
        """List calendar feeds (never their tokens)"""
        return paged(feeds.list_plan_feeds(uow=uow(), page=page_request(args)))

    @blp.operation("plan_feeds_create", scope="content:write", idempotent=True)
    @blp.arguments(PlanFeedCreateSchema)
    @blp.response(201, IssuedPlanFeedSchema)
    def post(self, draft):
        """Create a calendar feed; the response holds its address, shown once

        The feed shows the plan's next twelve months, narrowed to a campaign, a channel
        or an owner when the body names one (each must be this organisation's, else 404).
        """
        result = feeds.create_plan_feed(uow=uow(), draft=draft)
        location = url_for(
            "plan-feeds.PlanFeedById",
            organisation_id=uow().tenant.organisation_id,
            feed_id=result.feed.id,
        )
        return issued(result), 201, {"Location": location}


@blp.route("/<uuid:feed_id>")
class PlanFeedById(MethodView):
    @blp.operation("plan_feeds_get", scope="content:read")
    @blp.response(200, PlanFeedSchema)
    def get(self, feed_id):
        """Get a calendar feed (without its token)"""
        return feeds.get_plan_feed(uow=uow(), feed_id=feed_id)

    @blp.operation("plan_feeds_revoke", scope="content:write")
    @blp.response(204)
    def delete(self, feed_id):
        """Revoke a calendar feed; its address stops working at once"""
        feeds.revoke_plan_feed(uow=uow(), feed_id=feed_id)


@calendar_blp.route("/<token>/plan.ics")
class PlanFeedCalendar(MethodView):
    @calendar_blp.operation("plan_feeds_calendar", public=True, tenant=False)
    @calendar_blp.doc(
        parameters=[TOKEN_PARAMETER],
        responses={
            200: {
                "description": "The plan's next twelve months as iCalendar (RFC 5545): one "
                "event per content item, at its scheduled time or all day on its due date",
                "headers": {"ETag": {"description": "Changes when the plan does", **STRING}},
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            },
            304: {"description": "Not modified: the plan is as the `If-None-Match` ETag"},
        },
    )
    @calendar_blp.alt_response(404, response="NOT_FOUND")
    def get(self, token):
        """The plan as a calendar feed, opened by the feed's token (no bearer header)

        An unknown, malformed or revoked token (or one whose maker left) is the same 404.
        Answers 304 to a matching `If-None-Match`.
        """
        feed_id = open_plan_feed(token)
        body = feeds.feed_calendar(uow=uow(), feed_id=feed_id, item_url=_item_url)
        response = make_response(body)
        response.headers["Content-Type"] = ICALENDAR
        response.headers["Cache-Control"] = "private, no-cache"
        response.add_etag()  # a matching If-None-Match makes it a 304 (api.http.conditional)
        return response


def _item_url(item_id) -> str:
    return url_for(
        "content-items.ContentItemById",
        organisation_id=uow().tenant.organisation_id,
        item_id=item_id,
        _external=True,
    )
