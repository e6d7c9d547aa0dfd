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


class CompetitorVoiceSchema(Schema):
    """One competitor's mentions and sentiment in a period."""

    class Meta:
        name = "CompetitorVoice"

    competitor_id = ma.fields.UUID(
        required=True, allow_none=True, metadata={"description": "null for unnamed_competitors"}
    )
    name = ma.fields.String(required=True, allow_none=True)
    mentions = ma.fields.Float(required=True, metadata={"description": "Its competitor mentions"})
    sentiment_score_sum = ma.fields.Float(required=True)
    share = figure("share", "mentions / (company + all competitor mentions)")
    share_reason = reason("share")
    average_sentiment = figure("average_sentiment", "sentiment_score_sum / mentions, -1 to 1")
    average_sentiment_reason = reason("average_sentiment")
    share_change = figure("share_change", "This period's share minus the previous period's")
    share_change_reason = reason("share_change")


class CompetitorVoiceOverallSchema(CompetitorVoiceSchema):
    """One competitor's mentions and sentiment in the whole window, and its trend."""

    class Meta:
        name = "CompetitorVoiceOverall"

    share_change = figure("share_change", "Always null: the window has no previous period")
    share_trend = ma.fields.Nested(
        VoiceTrendSchema,
        required=True,
        metadata={"description": "Of its share over the periods"},
    )


class VoicePeriodSchema(VoiceSchema):
    class Meta:
        name = "VoicePeriod"

    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    competitors = ma.fields.List(
        ma.fields.Nested(CompetitorVoiceSchema),
        required=True,
        metadata={"description": "Every competitor, by name, mentioned or not"},
    )
    unnamed_competitors = ma.fields.Nested(
        CompetitorVoiceSchema,
        required=True,
        metadata={"description": "Competitor mentions that name no competitor"},
    )


class VoiceOverallSchema(VoicePeriodSchema):
    class Meta:
        name = "VoiceOverall"

    competitors = ma.fields.List(
        ma.fields.Nested(CompetitorVoiceOverallSchema),
        required=True,
        metadata={"description": "Every competitor, by name, mentioned or not"},
    )
    unnamed_competitors = ma.fields.Nested(
        CompetitorVoiceOverallSchema,
        required=True,
        metadata={"description": "Competitor mentions that name no competitor"},
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
        VoiceOverallSchema, required=True, metadata={"description": "The whole window"}
    )
    sentiment_trend = ma.fields.Nested(VoiceTrendSchema, required=True)
    share_trend = ma.fields.Nested(VoiceTrendSchema, required=True)
    inputs = ma.fields.Nested(ShareOfVoiceInputsSchema, required=True)


def voice_rows(report) -> list[dict]:
    """Per period, then overall: a row of the totals, one per competitor, one of the unnamed."""
    body = ShareOfVoiceSchema().dump(report)
    rows = []
    for level, period in [*(("period", p) for p in body["periods"]), ("overall", body["overall"])]:
        named, unnamed = period.pop("competitors"), period.pop("unnamed_competitors")
        rows.append({"level": level, **period})
        span = {"period_start": period["period_start"], "period_end": period["period_end"]}
        for kind, voice in [*(("competitor", v) for v in named), ("unnamed_competitors", unnamed)]:
            trend = voice.pop("share_trend", None)
            trend_cells = {f"share_trend_{k}": v for k, v in (trend or {}).items()}
            rows.append({"level": f"{level} {kind}", **span, **voice, **trend_cells})
    return rows


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
        - **competitors**: every competitor, in every period and overall, with its
          competitor mentions (counted from the mentions, by the competitor they
          name), its share = its mentions / (company + all competitor mentions),
          its average sentiment, and the change of its share since the previous
          period (overall: the trend of its share over the periods);
          `unnamed_competitors` is the same for competitor mentions naming none.
          The company share, the competitors' and the unnamed share add up to 1.
        - A period without mentions has `null` counts; a figure that would divide
          by 0 is `null` with a reason. The CSV has, after each period's row and the
          overall row, a row per competitor and one for the unnamed competitors.
        """
        return share_of_voice(uow=uow(), **args)
