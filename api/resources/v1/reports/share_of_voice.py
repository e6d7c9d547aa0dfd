"""GET …/reports/share-of-voice: how much of the talk is about the company, and how it feels."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView

from api.domain.reports.share_of_voice import GRANULARITIES, share_of_voice
from api.http.context import uow
from api.http.schema import Schema
from api.resources.v1.reports.blueprint import blp
from api.resources.v1.reports.channels import ChannelReportArgsSchema, figure, reason
from api.resources.v1.reports.csv import CSV_RESPONSE, csv_alternative

NO_MENTIONS = "null: no mentions of any topic in the period"


class ShareOfVoiceArgsSchema(ChannelReportArgsSchema):
    granularity = ma.fields.String(
        load_default="month",
        validate=ma.validate.OneOf(GRANULARITIES),
        metadata={"description": "week (from Monday) or month"},
    )


class VoiceSchema(Schema):
    """Mentions and sentiment of one period or of the whole window."""

    class Meta:
        name = "Voice"

    company_mentions = ma.fields.Float(
        required=True,
        allow_none=True,
        attribute="voice.company_mentions",
        metadata={"description": NO_MENTIONS},
    )
    competitor_mentions = ma.fields.Float(
        required=True, allow_none=True, attribute="voice.competitor_mentions"
    )
    industry_mentions = ma.fields.Float(
        required=True, allow_none=True, attribute="voice.industry_mentions"
    )
    sentiment_score_sum = ma.fields.Float(
        required=True,
        allow_none=True,
        attribute="voice.sentiment_score_sum",
        metadata={"description": "Sum of the sentiment scores of the company mentions"},
    )
    company_share = figure(
        "voice.company_share", "company mentions / (company + competitor mentions)"
    )
    company_share_reason = reason("voice.company_share")
    average_sentiment = figure(
        "voice.average_sentiment", "sentiment_score_sum / company mentions, from -1 to 1"
    )
    average_sentiment_reason = reason("voice.average_sentiment")


class VoicePeriodSchema(VoiceSchema):
    class Meta:
        name = "VoicePeriod"

    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)


class VoiceTrendSchema(Schema):
    class Meta:
        name = "VoiceTrend"

    slope = figure(
        "slope",
        "Slope of the least-squares line through the periods with a value, per period",
    )
    slope_reason = reason("slope")
    change = figure("change", "Last period's value minus the first's (periods with a value)")
    change_reason = reason("change")
    periods_used = ma.fields.Integer(
        required=True, metadata={"description": "Periods with a value"}
    )


class ShareOfVoiceInputsSchema(Schema):
    class Meta:
        name = "ShareOfVoiceInputs"

    source = ma.fields.String(
        required=True, metadata={"description": "The source of the points read"}
    )
    metric_keys = ma.fields.List(ma.fields.String(), required=True)


class ShareOfVoiceSchema(Schema):
    class Meta:
        name = "ShareOfVoice"

    day_from = ma.fields.Date(required=True, data_key="from")
    day_to = ma.fields.Date(required=True, data_key="to")
    granularity = ma.fields.String(required=True)
    periods = ma.fields.List(ma.fields.Nested(VoicePeriodSchema), required=True)
    overall = ma.fields.Nested(
        VoicePeriodSchema, required=True, metadata={"description": "The whole window"}
    )
    sentiment_trend = ma.fields.Nested(VoiceTrendSchema, required=True)
    share_trend = ma.fields.Nested(VoiceTrendSchema, required=True)
    inputs = ma.fields.Nested(ShareOfVoiceInputsSchema, required=True)


def voice_rows(report) -> list[dict]:
    """One CSV row per period, then the overall figures."""
    body = ShareOfVoiceSchema().dump(report)
    rows = [{"level": "period", **row} for row in body["periods"]]
    return [*rows, {"level": "overall", **body["overall"]}]


class ShareOfVoice(MethodView):
    @blp.operation("reports_share_of_voice", scope="reports:read")
    @blp.arguments(ShareOfVoiceArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ShareOfVoiceSchema)
    @blp.doc(responses={200: {"content": CSV_RESPONSE["content"]}})
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @csv_alternative(voice_rows)
    def get(self, **args):
        """Share of voice and sentiment, per week or month

        What people say about the company, its competitors and its industry, per
        period from `from` to `to` (every period listed, weeks from Monday; the first
        and last hold only the days in the range) and overall.

        - Read from the metric points Clover derives from the mentions (source
          `derived`, per channel and UTC day of `posted_at`): `mentions` (company
          topic), `competitor_mentions`, `industry_mentions`, `sentiment_score_sum`.
          Points of those keys sent by clients are not counted.
        - **company share** = company mentions / (company + competitor mentions).
        - **average sentiment** = sentiment_score_sum / company mentions: the mean
          score of the company's mentions, from −1 to 1 (overall: the window's sums
          divided, never an average of the periods' averages).
        - **trends** of the average sentiment and of the company share over the
          periods: `slope`, of the least-squares line through the periods that have
          a value (x = the period's position), per period; `change`, the last such
          period's value minus the first's.
        - A period without mentions has `null` counts; a figure that would divide
          by 0 is `null` with a reason.
        """
        return share_of_voice(uow=uow(), **args)
