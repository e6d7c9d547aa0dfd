import marshmallow as ma

from api.domain.metrics.definitions import KEY_PATTERN, MetricDefinitionDraft
from api.domain.metrics.models import BEHAVIOURS, FUNNEL_STAGES, KINDS
from api.domain.metrics.points import CLIENT_SOURCES, MAX_BATCH, PointDraft
from api.domain.metrics.series import MAX_PERIODS
from api.domain.periods import GRANULARITIES
from api.http.schema import Schema

METRIC_KEY = {"description": "A built-in metric key or one the organisation defined"}


class MetricPointInputSchema(Schema):
    into = PointDraft

    class Meta:
        name = "MetricPointInput"

    metric_key = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=64), metadata=METRIC_KEY
    )
    day = ma.fields.Date(required=True)
    # Non-finite numbers pass here so that the domain rejects just that point.
    value = ma.fields.Float(
        required=True,
        allow_nan=True,
        metadata={
            "description": (
                "A finite number between -1e15 and 1e15; a point with another value is rejected"
            )
        },
    )
    channel_id = ma.fields.UUID(allow_none=True, load_default=None)
    campaign_id = ma.fields.UUID(allow_none=True, load_default=None)
    content_item_id = ma.fields.UUID(allow_none=True, load_default=None)
    source = ma.fields.String(
        load_default="api",
        validate=ma.validate.OneOf(CLIENT_SOURCES),
        metadata={"description": "Where the number comes from (part of the point's identity)"},
    )


class MetricPointBatchSchema(Schema):
    class Meta:
        name = "MetricPointBatch"

    points = ma.fields.List(
        ma.fields.Nested(MetricPointInputSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_BATCH),
        metadata={"description": f"1 to {MAX_BATCH:,} points"},
    )


class BatchArgsSchema(Schema):
    atomic = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "true: one invalid point refuses the whole batch (422); "
            "false: valid points are written and invalid ones listed in `rejected`"
        },
    )


class RejectedPointSchema(Schema):
    class Meta:
        name = "RejectedPoint"

    index = ma.fields.Integer(
        required=True, metadata={"description": "Position of the point in `points`, from 0"}
    )
    reason = ma.fields.String(required=True)


class MetricPointBatchResultSchema(Schema):
    class Meta:
        name = "MetricPointBatchResult"

    inserted = ma.fields.Integer(required=True, metadata={"description": "New points"})
    updated = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Points that replaced an existing one, including those replaced "
            "by a later point of the same batch"
        },
    )
    rejected = ma.fields.List(ma.fields.Nested(RejectedPointSchema), required=True)


class MetricPointSchema(Schema):
    class Meta:
        name = "MetricPoint"

    id = ma.fields.UUID()
    metric_key = ma.fields.String()
    day = ma.fields.Date()
    value = ma.fields.Float()
    channel_id = ma.fields.UUID(allow_none=True)
    campaign_id = ma.fields.UUID(allow_none=True)
    content_item_id = ma.fields.UUID(allow_none=True)
    source = ma.fields.String(metadata={"description": "sync, import, api or derived"})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()


class MetricPointFilterSchema(Schema):
    metric_key = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    channel_id = ma.fields.UUID()
    campaign_id = ma.fields.UUID()
    day_from = ma.fields.Date(metadata={"description": "First day, inclusive"})
    day_to = ma.fields.Date(metadata={"description": "Last day, inclusive"})


class MetricSeriesArgsSchema(Schema):
    metric = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=64), metadata=METRIC_KEY
    )
    granularity = ma.fields.String(load_default="day", validate=ma.validate.OneOf(GRANULARITIES))
    channel_id = ma.fields.UUID(metadata={"description": "Only this channel's points"})
    campaign_id = ma.fields.UUID(metadata={"description": "Only this campaign's points"})
    day_from = ma.fields.Date(
        required=True, data_key="from", metadata={"description": "First day, inclusive"}
    )
    day_to = ma.fields.Date(
        required=True,
        data_key="to",
        metadata={"description": f"Last day, inclusive; at most {MAX_PERIODS:,} periods"},
    )


class MetricSeriesPeriodSchema(Schema):
    class Meta:
        name = "MetricSeriesPeriod"

    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True)
    value = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "null: no points in the period"}
    )


class MetricSeriesSchema(Schema):
    class Meta:
        name = "MetricSeries"

    metric = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "count, currency or ratio"})
    aggregation = ma.fields.String(
        required=True,
        metadata={
            "description": (
                "sum (flows), last (levels: each channel's latest value in the period, "
                "summed across channels) or avg (ratio metrics)"
            )
        },
    )
    granularity = ma.fields.String(required=True)
    day_from = ma.fields.Date(required=True, data_key="from")
    day_to = ma.fields.Date(required=True, data_key="to")
    periods = ma.fields.List(ma.fields.Nested(MetricSeriesPeriodSchema), required=True)


class MetricDefinitionCreateSchema(Schema):
    into = MetricDefinitionDraft

    class Meta:
        name = "MetricDefinitionCreate"

    key = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(KEY_PATTERN, error="2 to 64 of a-z, 0-9 and _, from a-z."),
        metadata={"description": "Unique in the organisation; not a built-in key"},
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    unit = ma.fields.String(load_default="", validate=ma.validate.Length(max=40))
    kind = ma.fields.String(
        load_default="count",
        validate=ma.validate.OneOf(KINDS),
        metadata={"description": "count and currency add up over a period; ratio averages"},
    )
    funnel_stage = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(FUNNEL_STAGES),
        metadata={"title": "FunnelStage"},  # one named enum in generated clients
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    behaviour = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(BEHAVIOURS),
        metadata={
            "title": "MetricBehaviour",
            "description": (
                "flow (the default for count and currency: summed over days) or level "
                "(latest value counts). Not for ratio metrics, which are averaged."
            ),
        },
    )
    part_of = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=64),
        metadata={
            "description": (
                "A defined key (built-in or the organisation's) whose count includes this "
                "one's, of the same kind and behaviour; not for ratio metrics"
            )
        },
    )
