"""Calendar periods (day, ISO week from Monday, month) in SQL and in Python.

The SQL functions bucket a date column on PostgreSQL and SQLite alike; the
Python helpers generate the same period starts, so a series can list periods
that have no rows.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

GRANULARITIES = ("day", "week", "month")


class month_start(FunctionElement):
    """The first day of the month of a date, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(month_start, "postgresql")
def _month_start_pg(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


class week_start(FunctionElement):
    """The Monday of the ISO week of a date, in SQL."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_pg(element, compiler, **kw):
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element, compiler, **kw):
    # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is Monday.
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


def bucket(day_column, granularity: str):
    """The SQL expression for the start of the period holding ``day_column``."""
    if granularity == "day":
        return day_column
    if granularity == "week":
        return week_start(day_column)
    if granularity == "month":
        return month_start(day_column)
    raise ValueError(f"unknown granularity {granularity!r}")


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, granularity: str) -> date:
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown granularity {granularity!r}")


def next_period(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return add_months(start, 1)


def period_end(start: date, granularity: str) -> date:
    """The last day of the period starting on ``start`` (the calendar's last day at most)."""
    try:
        return next_period(start, granularity) - timedelta(days=1)
    except (OverflowError, ValueError):
        return date.max


def count_periods(first: date, last: date, granularity: str) -> int:
    """How many periods overlap [first, last], without listing them."""
    if last < first:
        return 0
    start, end = period_start(first, granularity), period_start(last, granularity)
    if granularity == "day":
        return (end - start).days + 1
    if granularity == "week":
        return (end - start).days // 7 + 1
    return (end.year - start.year) * 12 + end.month - start.month + 1


def period_starts(first: date, last: date, granularity: str) -> list[date]:
    """The start of every period overlapping [first, last], in order."""
    count = count_periods(first, last, granularity)
    starts = [period_start(first, granularity)] if count else []
    for _ in range(count - 1):
        starts.append(next_period(starts[-1], granularity))
    return starts
