import marshmallow as ma

from api.domain.content_items.models import FORMATS
from api.domain.content_series.models import INITIAL_STATUSES
from api.domain.content_series.rules import MAX_OCCURRENCES
from api.domain.content_series.service import ContentSeriesChanges, ContentSeriesDraft
from api.http.schema import Schema
from api.resources.common import EntitySchema

RULE_DESCRIPTION = (
    "An iCalendar RRULE (RFC 5545) without DTSTART, e.g. FREQ=WEEKLY;BYDAY=TU,TH;"
    "UNTIL=20271231. It repeats at most daily, ends (COUNT or UNTIL, or the series' "
    f"ends_on) and gives 1 to {MAX_OCCURRENCES} occurrences. UNTIL is a UTC instant "
    "(…T090000Z), or a local date-time or date in the organisation's time zone. A day a "
    "month does not have gives no occurrence that month; BYMONTHDAY=-1 is the last day"
)


class ContentSeriesFields(Schema):
    channel_id = ma.fields.UUID(metadata={"description": "One of the campaign's channels"})
    owner_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "The resource who makes the items"}
    )
    title = ma.fields.String(
        validate=ma.validate.Length(min=1, max=290),
        metadata={"description": "The items' title; {date} becomes each one's local date"},
    )
    brief = ma.fields.String(validate=ma.validate.Length(max=20_000))
    text = ma.fields.String(validate=ma.validate.Length(max=10_000))
    format = ma.fields.String(validate=ma.validate.OneOf(FORMATS))
    effort_hours = ma.fields.Float(
        allow_nan=False,
        validate=ma.validate.Range(min=0, max=10_000),
        metadata={"description": "Per item"},
    )
    rule = ma.fields.String(
        validate=ma.validate.Length(min=1, max=500), metadata={"description": RULE_DESCRIPTION}
    )
    starts_at = ma.fields.NaiveDateTime(
        metadata={
            "description": "The first occurrence's local date and time (DTSTART), without an "
            "offset: it is read in the organisation's time zone, and the time of day stays "
            "the same local time across daylight saving changes"
        }
    )
    ends_on = ma.fields.Date(
        allow_none=True,
        metadata={"description": "The last local day an occurrence may fall on, if any"},
    )


class ContentSeriesSchema(EntitySchema, ContentSeriesFields):
    into = ContentSeriesDraft

    class Meta:
        name = "ContentSeries"

    campaign_id = ma.fields.UUID(required=True)
    channel_id = ma.fields.UUID(
        required=True, metadata={"description": "One of the campaign's channels"}
    )
    title = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=290),
        metadata={"description": "The items' title; {date} becomes each one's local date"},
    )
    rule = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": RULE_DESCRIPTION},
    )
    starts_at = ma.fields.NaiveDateTime(
        required=True,
        metadata={
            "description": "The first occurrence's local date and time (DTSTART), without an "
            "offset: it is read in the organisation's time zone, and the time of day stays "
            "the same local time across daylight saving changes"
        },
    )
    initial_status = ma.fields.String(
        validate=ma.validate.OneOf(INITIAL_STATUSES),
        metadata={
            "description": "The status the items start in (idea by default); an item still in "
            "it, not edited by hand and not yet due is one the series changes"
        },
    )
    version = ma.fields.Integer(dump_only=True)


class ContentSeriesUpdateSchema(ContentSeriesFields):
    into = ContentSeriesChanges

    class Meta:
        name = "ContentSeriesUpdate"


class ContentSeriesFilterSchema(Schema):
    campaign_id = ma.fields.UUID()
