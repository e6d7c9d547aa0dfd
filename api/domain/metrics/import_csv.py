"""Reading an uploaded CSV of metric points: its mapping, header and rows. No database.

The file is read as any CSV import reads it (``api.domain.imports.csv_file``): one
line at a time, rows numbered by the CSV line they start on.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import BinaryIO

from api.domain.errors import RuleViolation
from api.domain.imports.csv_file import (
    LINE_LIMIT,
    Header,
    Lines,
    RecordTooLong,
    encoding_problem,
    read_column_names,
    records,
    shown,
)

# Also read from here by the metric import and its tests.
__all__ = ["LINE_LIMIT", "Lines", "RecordTooLong", "encoding_problem"]

DIMENSIONS = ("channel_id", "campaign_id", "content_item_id")
# Dimension → the mapping field naming the column that holds each row's name for it.
NAMED_BY = {"channel_id": "channel_handle_column", "campaign_id": "campaign_utm_column"}
ISO_DAY = "%Y-%m-%d"


@dataclass(frozen=True, kw_only=True)
class ColumnMapping:
    """Which column holds what, as an import request names it.

    The metric key is one for every row (``metric_key``) or a column's
    (``metric_key_column``); so is each dimension (an id, or ``<dimension>_column``).
    Channels may be named by handle and campaigns by UTM code instead (``NAMED_BY``),
    resolved to ids when the rows are checked and written.
    """

    day: str
    value: str
    metric_key: str | None = None
    metric_key_column: str | None = None
    channel_id: uuid.UUID | None = None
    channel_id_column: str | None = None
    campaign_id: uuid.UUID | None = None
    campaign_id_column: str | None = None
    content_item_id: uuid.UUID | None = None
    content_item_id_column: str | None = None
    channel_handle_column: str | None = None
    campaign_utm_column: str | None = None
    day_format: str = ISO_DAY
    delimiter: str = ","

    def __post_init__(self) -> None:
        if (self.metric_key is None) == (self.metric_key_column is None):
            raise RuleViolation(
                "the mapping needs either metric_key (one key for every row) or "
                "metric_key_column (the column holding each row's key)",
                errors={"mapping": {"metric_key": ["Give metric_key or metric_key_column."]}},
            )
        for name in DIMENSIONS:
            if getattr(self, name) is not None and getattr(self, f"{name}_column") is not None:
                raise RuleViolation(
                    f"the mapping gives both {name} and {name}_column",
                    errors={"mapping": {name: [f"Give {name} or {name}_column, not both."]}},
                )
        for name, field in NAMED_BY.items():
            given = [other for other in (name, f"{name}_column") if getattr(self, other)]
            if getattr(self, field) is not None and given:
                raise RuleViolation(
                    f"the mapping gives both {field} and {given[0]}",
                    errors={"mapping": {field: [f"Give {field} or {given[0]}, not both."]}},
                )

    @cached_property
    def constants(self) -> dict[str, uuid.UUID]:
        """Dimension → the id of every row."""
        return {name: id_ for name in DIMENSIONS if (id_ := getattr(self, name)) is not None}

    @cached_property
    def columns(self) -> dict[str, str]:
        """Dimension → the column holding each row's id."""
        return {
            name: column
            for name in DIMENSIONS
            if (column := getattr(self, f"{name}_column")) is not None
        }

    @cached_property
    def name_columns(self) -> dict[str, str]:
        """Dimension → the column holding each row's name for it (a handle, a UTM code)."""
        return {
            name: column
            for name, field in NAMED_BY.items()
            if (column := getattr(self, field)) is not None
        }

    @classmethod
    def from_dict(cls, data: dict) -> ColumnMapping:
        """From a job's params (``to_dict``), where ids are text."""
        ids = {
            name: uuid.UUID(str(data[name])) for name in DIMENSIONS if data.get(name) is not None
        }
        return cls(**{**data, **ids})

    def to_dict(self) -> dict:
        """JSON-ready, the inverse of ``from_dict``."""
        data: dict = {"day": self.day, "value": self.value}
        if self.metric_key is not None:
            data["metric_key"] = self.metric_key
        else:
            data["metric_key_column"] = self.metric_key_column
        data.update({name: str(value) for name, value in self.constants.items()})
        data.update({f"{name}_column": column for name, column in self.columns.items()})
        data.update({NAMED_BY[name]: column for name, column in self.name_columns.items()})
        data.update(day_format=self.day_format, delimiter=self.delimiter)
        return data

    def named_columns(self) -> dict[str, str]:
        """Mapping field → the column it names."""
        named = {"day": self.day, "value": self.value}
        if self.metric_key_column is not None:
            named["metric_key_column"] = self.metric_key_column
        named.update({f"{name}_column": column for name, column in self.columns.items()})
        named.update({NAMED_BY[name]: column for name, column in self.name_columns.items()})
        return named


def read_header(raw: BinaryIO, mapping: ColumnMapping) -> Header:
    """The header row, checked against the mapping (RuleViolation naming what is wrong)."""
    names, lines = read_column_names(raw, mapping.delimiter)
    columns = {}
    for index, name in enumerate(names):
        columns.setdefault(name, index)
    problems: dict[str, list[str]] = {}
    for mapped, column in mapping.named_columns().items():
        if column not in columns:
            problems[mapped] = [f"No column {column!r} in the header row."]
        elif names.count(column) > 1:
            problems[mapped] = [f"The header row has more than one column {column!r}."]
    if problems:
        missing = sorted({column for f, column in mapping.named_columns().items() if f in problems})
        raise RuleViolation(
            f"the file's header row does not have the mapped column(s) "
            f"{', '.join(repr(c) for c in missing)} (once each); it has "
            f"{', '.join(repr(n) for n in names[:50])}",
            errors={"mapping": problems},
        )
    return Header(columns, lines.offset, lines.number)


@dataclass(frozen=True)
class Row:
    line: int
    point: dict | None = None
    problem: str | None = None
    # Dimension → the name its id is still to be found by (a handle, a UTM code).
    names: dict[str, str] | None = None


def rows(lines: Lines, mapping: ColumnMapping, header: Header) -> Iterator[Row]:
    """Each non-blank record after ``lines``' position: a point, or why it is not one."""
    for line, cells, problem in records(lines, mapping.delimiter):
        if problem is not None:
            yield Row(line, problem=problem)
        else:
            yield parse_row(line, cells, mapping, header.columns)


@lru_cache(maxsize=4096)
def _day(text: str, day_format: str) -> date | None:
    """Rows repeat their days, and strptime is the slowest step of a row: cached."""
    if day_format == ISO_DAY and _plain_iso_day(text):
        # A long series has a new day on every row: the C parser reads these ten times faster.
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass  # strptime decides
    try:
        return datetime.strptime(text, day_format).date()
    except ValueError:
        return None


def _plain_iso_day(text: str) -> bool:
    """YYYY-MM-DD in ASCII digits, which both parsers read as the same day."""
    digits = text[:4] + text[5:7] + text[8:]
    return len(text) == 10 and text[4] == text[7] == "-" and digits.isascii() and digits.isdigit()


def parse_row(line: int, cells: list[str], mapping: ColumnMapping, columns: dict) -> Row:
    """One record as a metric point (source ``import``), or every reason it is not one."""

    def cell(column: str) -> str:
        index = columns[column]
        return cells[index].strip() if index < len(cells) else ""

    required = [mapping.day, mapping.value]
    if mapping.metric_key_column is not None:
        required.append(mapping.metric_key_column)
    missing = [column for column in required if not cell(column)]
    if missing:
        return Row(line, problem=f"no value in column(s) {', '.join(map(repr, missing))}")
    problems = []
    raw_day, raw_value = cell(mapping.day), cell(mapping.value)
    day = _day(raw_day, mapping.day_format)
    if day is None:
        problems.append(
            f"{mapping.day}: {shown(raw_day)} is not a day in the format {mapping.day_format}"
        )
    value = None
    try:
        value = float(raw_value)
    except ValueError:
        problems.append(f"{mapping.value}: {shown(raw_value)} is not a number")
    else:
        if not math.isfinite(value):
            problems.append(f"{mapping.value}: {shown(raw_value)} is not a finite number")
    metric_key = mapping.metric_key
    if mapping.metric_key_column is not None:
        metric_key = cell(mapping.metric_key_column)
        if len(metric_key) > 64:
            problems.append(f"{mapping.metric_key_column}: {shown(metric_key)} is too long")
    point = {
        "metric_key": metric_key,
        "day": day,
        "value": value,
        "source": "import",
        **mapping.constants,
    }
    for name, column in mapping.columns.items():
        raw = cell(column)
        try:
            point[name] = uuid.UUID(raw) if raw else None
        except ValueError:
            problems.append(f"{column}: {shown(raw)} is not an id")
    if problems:
        return Row(line, problem="; ".join(problems))
    names = {name: raw for name, column in mapping.name_columns.items() if (raw := cell(column))}
    for name in mapping.name_columns:
        point[name] = None  # until the name is resolved
    return Row(line, point=point, names=names or None)
