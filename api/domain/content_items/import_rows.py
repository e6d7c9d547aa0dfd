"""Reading a CSV of planned posts: its columns and each row as a content item draft. No database.

The columns are those of the plan's CSV export (``GET …/plan`` with ``Accept: text/csv``),
so an exported plan, edited, can be imported again. Columns the import does not know
(the export's ``id``, ``channel_handle`` and the like) are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import BinaryIO

from api.domain.bounds import DAYS, INSTANTS, MAX_DIGITS, MAX_INSTANT, MIN_INSTANT, day_in_range
from api.domain.content_items import rules
from api.domain.content_items.models import CONTENT_STATUSES, FORMATS
from api.domain.errors import RuleViolation
from api.domain.imports.csv_file import (
    FORMULA_STARTS,
    Header,
    Lines,
    read_column_names,
    records,
    shown,
)

DELIMITER = ","

COLUMNS = (
    "title",
    "channel",
    "campaign",
    "owner",
    "due_date",
    "scheduled_at",
    "text",
    "status",
    "format",
    "effort_hours",
    "brief",
)
REQUIRED = ("title", "channel", "campaign")
# Statuses a file may give its items: an item is approved in Clover, never by a file.
IMPORT_STATUSES = rules.INITIAL_STATUSES
# The single create's bounds (the API's schema for a content item).
MAX_LENGTHS = {"title": 300, "text": 10_000, "brief": 20_000}
MAX_EFFORT_HOURS = 10_000
# Cells kept as written (the rest are stripped of surrounding spaces).
VERBATIM = ("text", "brief")


@dataclass(frozen=True)
class PostRow:
    """One record of the file: a draft's fields and the names still to resolve, or a problem."""

    line: int
    problem: str | None = None
    fields: dict = field(default_factory=dict)
    # "channel", "campaign", "owner" → the name or id the row gives.
    names: dict[str, str] = field(default_factory=dict)
    status: str = "idea"


def read_header(raw: BinaryIO) -> Header:
    """The header row: every required column, once; unknown columns are ignored."""
    names, lines = read_column_names(raw, DELIMITER)
    columns: dict[str, int] = {}
    for index, name in enumerate(names):
        columns.setdefault(name.lower(), index)
    lowered = [name.lower() for name in names]
    problems = {
        column: [
            f"No column {column!r} in the header row."
            if column not in columns
            else f"The header row has more than one column {column!r}."
        ]
        for column in COLUMNS
        if (column in REQUIRED and column not in columns) or lowered.count(column) > 1
    }
    if problems:
        raise RuleViolation(
            f"the file's header row needs the column(s) {', '.join(map(repr, REQUIRED))} "
            f"(once each, and each optional column at most once); it has "
            f"{', '.join(repr(n) for n in names[:50])}",
            errors={"file": [message for messages in problems.values() for message in messages]},
        )
    return Header(columns, lines.offset, lines.number)


def rows(lines: Lines, header: Header) -> Iterator[PostRow]:
    for line, cells, problem in records(lines, DELIMITER):
        yield PostRow(line, problem=problem) if problem else parse_row(line, cells, header.columns)


def unquoted(text: str) -> str:
    """A cell as the export wrote it, back: the quote before a would-be formula goes."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def parse_row(line: int, cells: list[str], columns: dict[str, int]) -> PostRow:
    """One record as a content item's fields, or every reason it is not one."""

    def cell(column: str) -> str:
        index = columns.get(column)
        if index is None or index >= len(cells):
            return ""
        text = cells[index] if column in VERBATIM else cells[index].strip()
        return unquoted(text)

    held = [column for column in COLUMNS if columns.get(column, len(cells)) < len(cells)]
    if nul := [column for column in held if "\x00" in cells[columns[column]]]:
        # No text column can hold it (PostgreSQL refuses it): the row, not the job, fails.
        return PostRow(line, problem=f"a NUL character in column(s) {', '.join(map(repr, nul))}")
    missing = [column for column in REQUIRED if not cell(column).strip()]
    if missing:
        return PostRow(line, problem=f"no value in column(s) {', '.join(map(repr, missing))}")
    problems: list[str] = []
    fields: dict = {"title": cell("title")}
    for column in ("text", "brief"):
        if value := cell(column):
            fields[column] = value
    for column, limit in MAX_LENGTHS.items():
        if len(fields.get(column, "")) > limit:
            problems.append(f"{column}: longer than {limit:,} characters")
    if raw := cell("due_date"):
        day = _day(raw)
        if day is None:
            problems.append(f"due_date: {shown(raw)} is not a day (YYYY-MM-DD, {DAYS})")
        fields["due_date"] = day
    if raw := cell("scheduled_at"):
        instant = _instant(raw)
        if instant is None:
            problems.append(
                f"scheduled_at: {shown(raw)} is not a time with its offset "
                f"(e.g. 2027-03-01T09:00:00+01:00, {INSTANTS})"
            )
        fields["scheduled_at"] = instant
    if raw := cell("format"):
        if raw not in FORMATS:
            problems.append(f"format: {shown(raw)} is not one of {', '.join(FORMATS)}")
        fields["format"] = raw
    if raw := cell("effort_hours"):
        hours = _number(raw)
        if hours is None or not 0 <= hours <= MAX_EFFORT_HOURS:
            problems.append(
                f"effort_hours: {shown(raw)} is not a number of hours from 0 to "
                f"{MAX_EFFORT_HOURS:,}"
            )
        fields["effort_hours"] = hours
    status = cell("status").lower() or "idea"
    if status not in IMPORT_STATUSES:
        known = status in CONTENT_STATUSES
        problems.append(
            f"status: {shown(cell('status'))} "
            + (
                "cannot be imported: a file's items go up to in_review, and are approved in Clover"
                if known
                else f"is not one of {', '.join(IMPORT_STATUSES)}"
            )
        )
    if problems:
        return PostRow(line, problem="; ".join(problems))
    names = {
        column: value for column in ("channel", "campaign", "owner") if (value := cell(column))
    }
    return PostRow(line, fields=fields, names=names, status=status)


def _day(text: str) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if len(text) == 10 and day_in_range(day) else None


def _instant(text: str) -> datetime | None:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    if instant.tzinfo is None or not MIN_INSTANT <= instant <= MAX_INSTANT:
        return None
    return instant.astimezone(UTC)


def _number(text: str) -> float | None:
    if len(text) > MAX_DIGITS:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
