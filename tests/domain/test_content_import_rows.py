"""Rows of a CSV of planned posts, read without a database (``content_items.import_rows``)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest

from api.domain.content_items.import_rows import parse_row, read_header, unquoted
from api.domain.errors import RuleViolation

COLUMNS = {"title": 0, "channel": 1, "campaign": 2, "status": 3, "scheduled_at": 4, "text": 5}


def row(*cells: str):
    return parse_row(7, list(cells), COLUMNS)


def test_a_row_gives_a_drafts_fields_and_the_names_to_resolve():
    parsed = row(" Launch ", "@acme", "spring", "In_Review", "2027-03-01T09:00:00+01:00", " hi ")

    assert parsed.problem is None
    assert parsed.status == "in_review"
    assert parsed.fields == {
        "title": "Launch",
        "text": " hi ",  # texts are kept as written
        "scheduled_at": datetime(2027, 3, 1, 8, tzinfo=UTC),
    }
    assert parsed.names == {"channel": "@acme", "campaign": "spring"}


@pytest.mark.parametrize("status", ["approved", "scheduled", "published", "publishing"])
def test_a_status_beyond_in_review_is_refused(status):
    assert row("T", "c", "p", status).problem.startswith(f"status: '{status}' cannot be imported")


@pytest.mark.parametrize("instant", ["2027-03-01T09:00:00", "2027-03-01", "3000-01-01T00:00:00Z"])
def test_a_scheduled_time_needs_its_offset_and_the_products_range(instant):
    assert row("T", "c", "p", "", instant).problem.startswith("scheduled_at:")


def test_a_missing_required_cell_is_named():
    assert row("", "c", "").problem == "no value in column(s) 'title', 'campaign'"


def test_a_days_range_and_shape_are_checked():
    columns = {"title": 0, "channel": 1, "campaign": 2, "due_date": 3}
    assert parse_row(2, ["T", "c", "p", "2027-03-04"], columns).fields["due_date"] == date(
        2027, 3, 4
    )
    for bad in ("1969-12-31", "2027-3-4", "20270304"):
        assert parse_row(2, ["T", "c", "p", bad], columns).problem.startswith("due_date:")


@pytest.mark.parametrize(
    ("cell", "read"),
    [("'=SUM(A1)", "=SUM(A1)"), ("'@acme", "@acme"), ("'quoted", "'quoted"), ("'", "'")],
)
def test_the_exports_quote_before_a_formula_is_removed_and_no_other(cell, read):
    assert unquoted(cell) == read


def test_the_header_is_read_ignoring_case_and_unknown_columns():
    header = read_header(io.BytesIO(b"\xef\xbb\xbfTitle,Channel,Campaign,id,notes\nx,y,z\n"))
    assert {name: header.columns[name] for name in ("title", "channel", "campaign")} == {
        "title": 0,
        "channel": 1,
        "campaign": 2,
    }
    with pytest.raises(RuleViolation) as refused:
        read_header(io.BytesIO(b"title,owner\n"))
    assert refused.value.errors["file"] == [
        "No column 'channel' in the header row.",
        "No column 'campaign' in the header row.",
    ]


def test_a_nul_character_makes_the_row_invalid():
    assert row("T\x00", "c", "p").problem == "a NUL character in column(s) 'title'"
