from datetime import date, datetime

import marshmallow as ma
from flask_smorest.fields import Upload

from api.domain.metrics.import_csv import NAMED_BY, ColumnMapping
from api.domain.metrics.imports import ON_ERROR
from api.http.schema import Schema
from api.http.uploads import JsonNested


def _column(description: str, **kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": description},
        **kwargs,
    )


def _names_a_day(day_format: str) -> None:
    probe = date(2027, 12, 31)
    try:
        readable = datetime.strptime(probe.strftime(day_format), day_format).date() == probe
    except ValueError:
        readable = False
    if not readable:
        raise ma.ValidationError("Must name the year, month and day, e.g. %d/%m/%Y.")


class ImportMappingSchema(Schema):
    into = ColumnMapping

    class Meta:
        name = "ImportMapping"

    day = _column("The column holding each row's day", required=True)
    value = _column(
        "The column holding each row's value (a number, `.` as decimal point)", required=True
    )
    metric_key = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64),
        metadata={"description": "One metric key for every row (or give metric_key_column)"},
    )
    metric_key_column = _column("The column holding each row's metric key")
    channel_id = ma.fields.UUID(metadata={"description": "One channel for every row"})
    channel_id_column = _column("The column holding each row's channel id (may be empty)")
    campaign_id = ma.fields.UUID(metadata={"description": "One campaign for every row"})
    campaign_id_column = _column("The column holding each row's campaign id (may be empty)")
    content_item_id = ma.fields.UUID(metadata={"description": "One content item for every row"})
    content_item_id_column = _column("The column holding each row's content item id (may be empty)")
    channel_handle_column = _column(
        "The column holding each row's channel by its handle, ignoring case and a leading `@` "
        "(may be empty; instead of channel_id or channel_id_column)"
    )
    campaign_utm_column = _column(
        "The column holding each row's campaign by its UTM code, exactly "
        "(may be empty; instead of campaign_id or campaign_id_column)"
    )
    day_format = ma.fields.String(
        load_default="%Y-%m-%d",
        validate=[ma.validate.Length(min=2, max=40), _names_a_day],
        metadata={"description": "strptime format of the days, e.g. %d/%m/%Y (default ISO)"},
    )
    delimiter = ma.fields.String(
        load_default=",",
        validate=[ma.validate.Length(equal=1), ma.validate.NoneOf(['"', "\n", "\r"])],
        metadata={"description": "The character between cells (default `,`)"},
    )

    @ma.validates_schema
    def _one_metric_key(self, data, **_kwargs):
        if ("metric_key" in data) == ("metric_key_column" in data):
            raise ma.ValidationError(
                "Give metric_key (one key for every row) or metric_key_column.", "metric_key"
            )
        for name in ("channel_id", "campaign_id", "content_item_id"):
            if name in data and f"{name}_column" in data:
                raise ma.ValidationError(f"Give {name} or {name}_column, not both.", name)
        for name, field in NAMED_BY.items():
            given = [other for other in (name, f"{name}_column") if other in data]
            if field in data and given:
                raise ma.ValidationError(f"Give {field} or {given[0]}, not both.", field)


class CsvUpload(Upload):
    default_error_messages = {"invalid": "Must be a file part."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not hasattr(value, "stream"):
            raise self.make_error("invalid")
        return value


class ImportUploadSchema(Schema):
    class Meta:
        name = "ImportUpload"

    file = CsvUpload(
        required=True,
        metadata={
            "description": "The CSV: UTF-8 text (a byte order mark is fine), a header row, "
            "at most 200 MB by default (CLOVER_MAX_IMPORT_BYTES), lines of at most 65,536 "
            "characters"
        },
    )
    mapping = JsonNested(
        ImportMappingSchema,
        required=True,
        metadata={"description": "Which column holds what, as a JSON object"},
    )
    on_error = ma.fields.String(
        load_default="fail",
        validate=ma.validate.OneOf(ON_ERROR),
        metadata={
            "description": "What a file with invalid rows does: `fail` (the default) writes "
            "nothing and fails the job, listing every invalid row; `skip` writes the valid "
            "rows and lists (and counts as skipped) the others",
            "enum": list(ON_ERROR),
        },
    )
