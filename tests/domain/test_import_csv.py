"""Reading an import's CSV: header checks, rows as points or reasons, line numbers, offsets."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest

from api.domain.errors import RuleViolation
from api.domain.metrics.import_csv import (
    LINE_LIMIT,
    ColumnMapping,
    Lines,
    encoding_problem,
    read_header,
    rows,
)

SALES = ColumnMapping(day="Date", value="Sales", metric_key="pos_sales")


def read(text: str | bytes, mapping: ColumnMapping = SALES) -> list:
    raw = io.BytesIO(text.encode() if isinstance(text, str) else text)
    header = read_header(raw, mapping)
    return list(rows(Lines(raw, offset=header.offset, line=header.line), mapping, header))


def test_a_row_becomes_an_import_point():
    [row] = read("Date,Sales\n2027-03-01, 12.5 \n")

    assert row.line == 2
    assert row.point == {
        "metric_key": "pos_sales",
        "day": date(2027, 3, 1),
        "value": 12.5,
        "source": "import",
    }


def test_rows_are_numbered_by_the_csv_line_they_start_on():
    text = 'Date,Sales,Note\n2027-03-01,1,"two\nlines"\n\n2027-03-02,2,x\n'

    assert [row.line for row in read(text)] == [2, 5]  # the blank line 4 is no row


def test_each_bad_cell_is_named_with_its_value():
    [row] = read("Date,Sales\n31/02/2027,abc\n")

    assert row.point is None
    assert row.problem == (
        "Date: '31/02/2027' is not a day in the format %Y-%m-%d; Sales: 'abc' is not a number"
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_values_must_be_finite(value):
    [row] = read(f"Date,Sales\n2027-03-01,{value}\n")

    assert "is not a finite number" in row.problem


def test_an_empty_or_missing_cell_is_refused():
    missing, empty = read("Date,Sales\n2027-03-01\n,5\n")

    assert missing.problem == "no value in column(s) 'Sales'"
    assert empty.problem == "no value in column(s) 'Date'"


def test_a_line_over_the_limit_is_refused_without_reading_it_whole():
    text = "Date,Sales\n" + "2027-03-01," + "9" * (LINE_LIMIT + 10) + "\n2027-03-02,4\n"

    long, short = read(text)

    assert (long.line, long.problem) == (2, f"the line is longer than {LINE_LIMIT} characters")
    assert (short.line, short.point["value"]) == (3, 4.0)


def test_metric_keys_and_dimensions_can_come_from_columns():
    channel = uuid.uuid4()
    mapping = ColumnMapping.from_dict(
        {
            "day": "Day",
            "value": "N",
            "metric_key_column": "Metric",
            "channel_id_column": "Channel",
            "day_format": "%d/%m/%Y",
            "delimiter": ";",
        }
    )

    with_channel, without, bad = read(
        f"Day;N;Metric;Channel\n31/12/2027;3;reach;{channel}\n01/01/2028;4;likes;\n"
        "01/01/2028;4;likes;nope\n",
        mapping,
    )

    assert with_channel.point["channel_id"] == channel
    assert with_channel.point["day"] == date(2027, 12, 31)
    assert (without.point["metric_key"], without.point["channel_id"]) == ("likes", None)
    assert bad.problem == "Channel: 'nope' is not an id"


def test_a_byte_order_mark_is_skipped():
    [row] = read(b"\xef\xbb\xbfDate,Sales\n2027-03-01,1\n")

    assert row.point["value"] == 1.0


def test_a_header_without_a_mapped_column_names_it():
    with pytest.raises(RuleViolation) as refused:
        read("Day,Sales\n")

    assert "'Date'" in refused.value.detail
    assert refused.value.errors == {"mapping": {"day": ["No column 'Date' in the header row."]}}


def test_an_empty_file_has_no_header():
    with pytest.raises(RuleViolation, match="empty"):
        read("")


def test_encoding_problems_name_the_line():
    assert encoding_problem(io.BytesIO(b"Date,Sales\n2027-03-01,1\n")) is None
    latin1 = "Date,Sales,Note\n2027-03-01,1,ok\n2027-03-02,2,Caf\xe9\n".encode("latin-1")

    assert encoding_problem(io.BytesIO(latin1)).startswith("line 3 is not UTF-8 text (byte 0xe9)")


def test_an_encoding_problem_across_read_chunks_is_found():
    text = "Date,Sales\n" + "é" * 10 + "\n"
    bad = text.encode()[:-2] + b"\xff\n"

    assert encoding_problem(io.BytesIO(text.encode()), chunk_size=3) is None
    assert encoding_problem(io.BytesIO(bad), chunk_size=3).startswith("line 2 ")


def test_offsets_point_where_the_next_record_begins():
    data = b"Date,Sales\n2027-03-01,1\n2027-03-02,2\n"
    raw = io.BytesIO(data)
    header = read_header(raw, SALES)
    lines = Lines(raw, offset=header.offset, line=header.line)
    reader = rows(lines, SALES, header)

    next(reader)
    resumed = list(
        rows(Lines(io.BytesIO(data), offset=lines.offset, line=lines.number), SALES, header)
    )

    assert [(row.line, row.point["value"]) for row in resumed] == [(3, 2.0)]


def test_the_mapping_round_trips_through_job_params():
    mapping = ColumnMapping.from_dict(
        {"day": "D", "value": "V", "metric_key": "reach", "campaign_id": uuid.uuid4()}
    )

    assert ColumnMapping.from_dict(mapping.to_dict()) == mapping


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-02-29", date(2024, 2, 29)),
        ("2027-3-1", date(2027, 3, 1)),  # strptime's %m and %d take one digit too
        ("2023-02-29", None),
        ("2027-13-01", None),
        ("0000-01-01", None),
        ("2027-03-01T00:00", None),
        ("20270301", None),
        ("٢٠٢٧-٠٣-٠١", None),  # strptime's %Y reads only ASCII digits here
    ],
)
def test_iso_days_are_read_exactly_as_strptime_reads_them(text, day):
    row = read(f"Date,Sales\n{text},1\n")[0]

    assert (row.point or {}).get("day") == day


def test_a_row_keeps_the_names_its_channel_and_campaign_are_to_be_found_by():
    mapping = ColumnMapping(
        day="Date",
        value="Sales",
        metric_key="pos_sales",
        channel_handle_column="Channel",
        campaign_utm_column="Campaign",
    )

    named, unnamed = read(
        "Date,Sales,Channel,Campaign\n2027-03-01,1,@acme,spring\n2027-03-02,1,,\n", mapping
    )

    assert named.names == {"channel_id": "@acme", "campaign_id": "spring"}
    assert (named.point["channel_id"], named.point["campaign_id"]) == (None, None)
    assert unnamed.names is None
    assert ColumnMapping.from_dict(mapping.to_dict()) == mapping


@pytest.mark.parametrize("other", [{"channel_id": uuid.uuid4()}, {"channel_id_column": "Id"}])
def test_a_channel_is_named_by_id_or_by_handle_not_both(other):
    with pytest.raises(RuleViolation) as refused:
        ColumnMapping(
            day="Date", value="Sales", metric_key="k", channel_handle_column="Channel", **other
        )

    assert "channel_handle_column" in refused.value.errors["mapping"]
