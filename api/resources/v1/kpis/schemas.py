import marshmallow as ma

from api.domain.kpis.models import AGGREGATIONS, DIRECTIONS, KPI_PERIODS
from api.domain.kpis.service import KpiChanges, KpiDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema, name_field


def metric_key_field(description: str):
    return ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": description},
    )


def figure(description: str, **kwargs):
    return ma.fields.Float(
        allow_nan=False,
        validate=ma.validate.Range(min=-1e12, max=1e12),
        metadata={"description": description},
        **kwargs,
    )


class KpiFields(Schema):
    name = name_field()
    metric_key = metric_key_field(
        "Metric measured (sum, avg, last); see GET /v1/metric-definitions"
    )
    aggregation = ma.fields.String(
        validate=ma.validate.OneOf(AGGREGATIONS),
        metadata={
            "description": (
                "sum (flows), avg (per day with data), last (each channel's latest day "
                "in the period, summed across channels), or ratio of numerator_key to "
                "denominator_key (flows). A level metric takes last or avg."
            )
        },
    )
    numerator_key = metric_key_field("Ratio KPIs: the metric on top")
    denominator_key = metric_key_field("Ratio KPIs: the metric below")
    period = ma.fields.String(validate=ma.validate.OneOf(KPI_PERIODS))
    target = figure("Value to reach per period")
    baseline = figure("Value before the strategy, for comparison", allow_none=True)
    direction = ma.fields.String(
        validate=ma.validate.OneOf(DIRECTIONS),
        metadata={"description": "Whether higher (increase) or lower (decrease) is better"},
    )
    channel_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Measure only this channel's data"}
    )
    campaign_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Measure only this campaign's data"}
    )
    forecast_alert_probability = ma.fields.Float(
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=0, max=1),
        metadata={
            "description": "Early warning: the webhook kpi.forecast_changed fires when the "
            "forecast's probability of reaching the target crosses this (0 to 1, either "
            "way) between two forecasts of a period. null: no alert"
        },
    )


class KpiSchema(EntitySchema, KpiFields):
    into = KpiDraft

    class Meta:
        name = "Kpi"

    objective_id = ma.fields.UUID(dump_only=True)
    name = name_field(required=True)
    target = figure("Value to reach per period", required=True)
    version = ma.fields.Integer(dump_only=True)


class KpiUpdateSchema(KpiFields):
    into = KpiChanges

    class Meta:
        name = "KpiUpdate"


class KpiForecastSchema(Schema):
    class Meta:
        name = "KpiForecast"

    kpi_id = ma.fields.UUID()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    as_of = ma.fields.Date(
        metadata={"description": "The last day observed; the days after it are forecast"}
    )
    target = ma.fields.Float()
    projected = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "The KPI's figure projected for the whole period (the median of "
            "simulated outcomes): sum KPIs the days so far plus the forecast days, avg the "
            "mean per day, last the level on the period's last day, ratio the ratio of the "
            "two summed flows. null: no forecast (see `reason`)"
        },
    )
    lower80 = ma.fields.Float(allow_none=True, metadata={"description": "80 % interval, low"})
    upper80 = ma.fields.Float(allow_none=True, metadata={"description": "80 % interval, high"})
    lower95 = ma.fields.Float(allow_none=True, metadata={"description": "95 % interval, low"})
    upper95 = ma.fields.Float(allow_none=True, metadata={"description": "95 % interval, high"})
    probability = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Probability (0 to 1) of reaching the target at the period's end: "
            "at or above it, or at or below it for decrease KPIs"
        },
    )
    method = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "local_trend_weekly (a local linear trend with a weekly season, "
            "from 21 days of history), mean_rate (shorter histories: the mean daily rate of "
            "the last two weeks), random_walk (a level with a short history), constant (a "
            "history that never changed), observed (the period's last day: nothing left to "
            "forecast). null: no forecast"
        },
    )
    history_days = ma.fields.Integer(
        metadata={"description": "Days of history the forecast read (at most 84)"}
    )
    reason = ma.fields.String(
        allow_none=True, metadata={"description": "Why there is no forecast, else null"}
    )
    answer = ma.fields.String(
        metadata={
            "description": 'In plain words, e.g. "projected 1,340 leads (80 % interval '
            '1,180–1,510) against a target of 1,500: 22 % chance of making it"'
        }
    )
    computed_at = ma.fields.DateTime()


class KpiValueSchema(Schema):
    class Meta:
        name = "KpiValue"

    kpi_id = ma.fields.UUID()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    actual = ma.fields.Float(allow_none=True, metadata={"description": "null: no data"})
    target = ma.fields.Float()
    baseline = ma.fields.Float(allow_none=True)
    attainment = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "actual / expected (decrease KPIs: expected / actual); expected is "
            "the target, pro-rated over the elapsed part of the period for sum KPIs"
        },
    )
    status = ma.fields.String(
        metadata={
            "description": "on_track (attainment ≥ 100 %), at_risk (≥ 80 %), off_track, or no_data"
        }
    )
    computed_at = ma.fields.DateTime()
    forecast = ma.fields.Nested(
        KpiForecastSchema,
        allow_none=True,
        metadata={
            "description": "The open period's forecast, computed by the rollups; null for "
            "periods that have ended or before the first rollup of the period"
        },
    )


class KpiValueListSchema(Schema):
    class Meta:
        name = "KpiValueList"

    items = ma.fields.List(ma.fields.Nested(KpiValueSchema))


class KpiValueArgsSchema(Schema):
    since = ma.fields.Date(
        data_key="from", metadata={"description": "Periods starting on or after this day"}
    )
    until = ma.fields.Date(
        data_key="to", metadata={"description": "Periods starting on or before this day"}
    )
