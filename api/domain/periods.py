"""Calendar periods (day, ISO week from Monday, month, fiscal quarter) in SQL and Python.

The SQL functions bucket a date column on PostgreSQL and SQLite alike; the
Python helpers generate the same period starts, so a series can list periods
that have no rows.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal

GRANULARITIES = ("day", "week", "month")


class sql_period_start(FunctionElement):
    """The first day of the week (Monday), month or fiscal quarter holding a date, in SQL.

    Its period and fiscal shift are part of the SQL text, so they are part of its
    cache key: statements holding it are compiled once per period and shift.
    """

    type = Date()
    inherit_cache = True
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("period", InternalTraversal.dp_string),
        ("shift", InternalTraversal.dp_plain_obj),
    ]

    def __init__(self, day, period: str, fiscal_start_month: int = 1):
        if period not in ("week", "month", "quarter") or not 1 <= fiscal_start_month <= 12:
            raise ValueError("bad period or fiscal start month")
        self.period, self.shift = period, fiscal_start_month - 1
        super().__init__(day)


@compiles(sql_period_start, "postgresql")
def _period_start_pg(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    if element.period != "quarter":
        return f"CAST(date_trunc('{element.period}', {day}) AS DATE)"
    shift = f"INTERVAL '{element.shift} months'"
    return f"CAST(date_trunc('quarter', {day} - {shift}) + {shift} AS DATE)"


@compiles(sql_period_start, "sqlite")
def _period_start_sqlite(element, compiler, **kw):
    day = compiler.process(element.clauses, **kw)
    if element.period == "week":
        # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is Monday.
        return f"date({day}, 'weekday 0', '-6 days')"
    if element.period == "month":
        return f"date({day}, 'start of month')"
    shifted = f"date({day}, 'start of month', '-{element.shift} months')"
    back = f"((CAST(strftime('%m', {shifted}) AS INTEGER) - 1) % 3)"
    return f"date({shifted}, '-' || {back} || ' months', '+{element.shift} months')"


def week_start(day_column):
    return sql_period_start(day_column, "week")


def month_start(day_column):
    return sql_period_start(day_column, "month")


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


def period_start(day: date, granularity: str, fiscal_start_month: int = 1) -> date:
    """The reference for the SQL bucketing (quarters follow the fiscal year)."""
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        shift = fiscal_start_month - 1
        shifted = add_months(day.replace(day=1), -shift)
        return add_months(shifted.replace(month=(shifted.month - 1) // 3 * 3 + 1), shift)
    raise ValueError(f"unknown granularity {granularity!r}")


def next_period(start: date, granularity: str) -> date:
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return add_months(start, 3 if granularity == "quarter" else 1)


def period_end(start: date, granularity: str) -> date:
    """The last day of the period starting on ``start`` (the calendar's last day at most)."""
    try:
        return next_period(start, granularity) - timedelta(days=1)
    except (OverflowError, ValueError):
        return date.max


def count_periods(first: date, last: date, granularity: str, fiscal_start_month: int = 1) -> int:
    """How many periods overlap [first, last], without listing them."""
    if last < first:
        return 0
    start = period_start(first, granularity, fiscal_start_month)
    end = period_start(last, granularity, fiscal_start_month)
    if granularity == "day":
        return (end - start).days + 1
    if granularity == "week":
        return (end - start).days // 7 + 1
    months = (end.year - start.year) * 12 + end.month - start.month
    return months // 3 + 1 if granularity == "quarter" else months + 1


def period_starts(
    first: date, last: date, granularity: str, fiscal_start_month: int = 1
) -> list[date]:
    """The start of every period overlapping [first, last], in order."""
    count = count_periods(first, last, granularity, fiscal_start_month)
    starts = [period_start(first, granularity, fiscal_start_month)] if count else []
    for _ in range(count - 1):
        starts.append(next_period(starts[-1], granularity))
    return starts
