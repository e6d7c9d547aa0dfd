"""GET …/reports/message-pull-through: do people repeat our key messages?"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports.message_pull_through import (
    GRANULARITIES,
    VERDICTS,
    message_pull_through,
)
from api.http.context import uow
from api.http.schema import Schema
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.channels import ChannelReportArgsSchema
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative
from api.resources.v1.reports.fields import figure, reason
from api.resources.v1.reports.share_of_voice import VoiceTrendSchema


class PullThroughArgsSchema(ChannelReportArgsSchema):
    strategy_id = ma.fields.UUID(
        required=True, metadata={"description": "The strategy whose key messages are read"}
    )
    period = ma.fields.String(
        load_default="month",
        validate=ma.validate.OneOf(GRANULARITIES),
        metadata={"description": "week (from Monday) or month"},
    )


def count(name: str, description: str) -> ma.fields.Integer:
    return ma.fields.Integer(
        required=True, attribute=f"pull.counts.{name}", metadata={"description": description}
    )


class PullSchema(Schema):
    """One message's figures in one period or over the whole window."""

    class Meta:
        name = "MessagePull"

    own_posts = count("own_posts", "Our content items published in the period")
    own_posts_carrying = count("own_posts_carrying", "Those carrying the message")
    own_share = figure("pull.own_share", "own_posts_carrying / own_posts: how often we say it")
    own_share_reason = reason("pull.own_share")
    company_mentions = count("company_mentions", "Mentions of us (topic company)")
    company_mentions_carrying = count("company_mentions_carrying", "Those carrying the message")
    company_share = figure(
        "pull.company_share",
        "company_mentions_carrying / company_mentions: how often others repeat it",
    )
    company_share_reason = reason("pull.company_share")
    company_sentiment = figure(
        "pull.company_sentiment",
        "Mean sentiment score (−1 to 1) of the mentions of us carrying the message",
    )
    company_sentiment_reason = reason("pull.company_sentiment")
    competitor_mentions = count("competitor_mentions", "Mentions of competitors")
    competitor_mentions_carrying = count(
        "competitor_mentions_carrying", "Those carrying the message"
    )
    competitor_share = figure(
        "pull.competitor_share",
        "competitor_mentions_carrying / competitor_mentions: are competitors owning it?",
    )
    competitor_share_reason = reason("pull.competitor_share")
    competitor_sentiment = figure(
        "pull.competitor_sentiment",
        "Mean sentiment score of the competitors' mentions carrying the message",
    )
    competitor_sentiment_reason = reason("pull.competitor_sentiment")


class OverallPullSchema(PullSchema):
    class Meta:
        name = "MessagePullOverall"

    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)


class PullPeriodSchema(OverallPullSchema):
    class Meta:
        name = "MessagePullPeriod"

    previous_company_share = figure("previous_company_share", "company_share of the period before")
    previous_company_share_reason = reason("previous_company_share")
    company_share_change = figure(
        "company_share_change", "company_share − the period before's (0.03 is 3 points)"
    )
    company_share_change_reason = reason("company_share_change")
    own_share_change = figure("own_share_change", "own_share − the period before's")
    own_share_change_reason = reason("own_share_change")


class MessagePullSchema(Schema):
    class Meta:
        name = "MessagePullThroughMessage"

    key_message_id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True)
    periods = ma.fields.List(ma.fields.Nested(PullPeriodSchema), required=True)
    overall = ma.fields.Nested(
        OverallPullSchema,
        required=True,
        metadata={"description": "The whole window (counts added up, then divided)"},
    )
    company_share_trend = ma.fields.Nested(VoiceTrendSchema, required=True)
    verdict = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(VERDICTS),
        metadata={
            "description": (
                "Of the last period: pulled_through (people repeat it in at least half the "
                "share we say it in), partly, not_pulled_through (no mention of us carries "
                "it), not_enough_data (no mentions of us)"
            )
        },
    )
    answer = ma.fields.String(
        required=True, metadata={"description": "The answer in one sentence, with its figures"}
    )


class MessagePullThroughSchema(Schema):
    class Meta:
        name = "MessagePullThrough"

    strategy_id = ma.fields.UUID(required=True)
    day_from = ma.fields.Date(required=True, data_key="from")
    day_to = ma.fields.Date(required=True, data_key="to")
    period = ma.fields.String(required=True)
    messages = ma.fields.List(ma.fields.Nested(MessagePullSchema), required=True)


def pull_rows(report) -> list[dict]:
    """One CSV row per message and period, then one per message for the whole window."""
    body = MessagePullThroughSchema().dump(report)
    rows = []
    for message in body["messages"]:
        named = {"key_message_id": message["key_message_id"], "name": message["name"]}
        rows += [{"level": "period", **named, **p} for p in message["periods"]]
        rows.append(
            {
                "level": "overall",
                **named,
                **message["overall"],
                "verdict": message["verdict"],
                "answer": message["answer"],
            }
        )
    return rows


class MessagePullThrough(MethodView):
    @blp.operation("reports_message_pull_through", scope="reports:read")
    @blp.arguments(PullThroughArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, MessagePullThroughSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(pull_rows)
    def get(self, **args):
        """Pull-through of a strategy's key messages, per week or month

        For each key message of `strategy_id` and each period from `from` to `to`
        (weeks from Monday; the first and last hold only the days in the range):

        - **own share** = our content items published in the period carrying the
          message ÷ our content items published (how often we say it);
        - **company share** = mentions of us (topic `company`, by `posted_at`)
          carrying it ÷ all mentions of us (how often others repeat it), and the
          mean sentiment of those carrying it;
        - **competitor share**, the same for mentions of competitors (are they
          owning our message?);
        - the **change** of each share against the period before (for the first
          period, the whole period before the window), and the trend of the
          company share over the periods.

        A text carries a message when one of its phrases is in it as whole words,
        whatever the case, accents and inflections. `verdict` and `answer` read the
        last period. A share over nothing is `null` with a reason. `Accept: text/csv`
        gives one row per message and period, then per message over the window.
        """
        return message_pull_through(uow=uow(), **args)
