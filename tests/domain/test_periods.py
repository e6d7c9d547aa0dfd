"""Week and month starts in SQL agree with Python's date arithmetic, on both databases."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import Date, create_engine, literal, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.orm import Session

from api.db import database_for
from api.domain import periods

# Every day from December 2023 to March 2029: five year ends, two leap days, and
# ISO weeks that start in one year and end in the next.
FIRST, LAST = date(2023, 12, 1), date(2029, 3, 31)
DAYS = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
# Columns per SELECT: below PostgreSQL's limit of 1,664 and SQLite's of 2,000.
COLUMNS = 500


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def session(request, settings):
    """A session of the app's PostgreSQL database, or of an in-memory SQLite one."""
    if request.param == "postgresql":
        with database_for(settings).session() as pg:
            yield pg
        return
    engine = create_engine("sqlite://")
    with Session(engine) as in_memory:
        yield in_memory
    engine.dispose()


def in_sql(session, function, days) -> list:
    """``function`` of each day, computed by the database, a few hundred days per query."""
    found = []
    for start in range(0, len(days), COLUMNS):
        chunk = days[start : start + COLUMNS]
        found += list(session.execute(select(*(function(literal(d, Date)) for d in chunk))).one())
    return found


def test_week_start_is_the_monday_of_the_iso_week(session):
    found = in_sql(session, periods.week_start, DAYS)

    assert found == [d - timedelta(days=d.weekday()) for d in DAYS]
    assert all(
        monday.isoweekday() == 1 and monday.isocalendar()[:2] == day.isocalendar()[:2]
        for monday, day in zip(found, DAYS, strict=True)
    )


def test_month_start_is_the_first_of_the_month(session):
    assert in_sql(session, periods.month_start, DAYS) == [d.replace(day=1) for d in DAYS]


@pytest.mark.parametrize("granularity", periods.GRANULARITIES)
def test_the_sql_bucket_matches_the_python_period_start(session, granularity):
    found = in_sql(session, lambda day: periods.bucket(day, granularity), DAYS[:400])

    assert found == [periods.period_start(d, granularity) for d in DAYS[:400]]


@pytest.mark.parametrize("granularity", periods.GRANULARITIES)
def test_period_starts_cover_the_range_once_in_order(granularity):
    for first, last in [(FIRST, LAST), (date(2024, 2, 29), date(2024, 3, 4)), (LAST, LAST)]:
        starts = periods.period_starts(first, last, granularity)

        assert len(starts) == periods.count_periods(first, last, granularity)
        assert starts[0] <= first and periods.period_end(starts[-1], granularity) >= last
        assert all(
            periods.period_end(a, granularity) + timedelta(days=1) == b for a, b in pairwise(starts)
        )


def test_periods_at_the_end_of_the_calendar_do_not_overflow():
    assert periods.period_end(date(9999, 12, 27), "week") == date.max
    assert periods.period_end(date(9999, 12, 1), "month") == date.max
    assert periods.period_starts(date(9999, 12, 30), date.max, "day") == [
        date(9999, 12, 30),
        date.max,
    ]


def test_a_period_bucket_is_compiled_once_per_period_and_fiscal_shift(session):
    """Statements holding one are served from the compiled cache, each shift with its SQL."""
    day = literal(date(2026, 5, 20), Date)

    def quarter_start(fiscal_start_month: int):
        return session.execute(select(periods.sql_period_start(day, "quarter", fiscal_start_month)))

    quarter_start(4)
    again = quarter_start(4)

    assert again.context.cache_hit == CacheStats.CACHE_HIT
    assert again.scalar_one() == date(2026, 4, 1)
    assert quarter_start(2).scalar_one() == date(2026, 5, 1)
    assert quarter_start(3).scalar_one() == date(2026, 3, 1)
