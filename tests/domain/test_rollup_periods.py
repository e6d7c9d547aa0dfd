"""The SQL period bucketing agrees with the Python reference, on PostgreSQL and SQLite."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, literal, select
from sqlalchemy.types import Date

from api.db import database_for
from api.domain import periods
from api.domain.periods import sql_period_start

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31))
PERIODS = st.sampled_from(["week", "month", "quarter"])
FISCAL = st.integers(min_value=1, max_value=12)


@pytest.fixture(scope="module")
def engines(settings):
    sqlite = create_engine("sqlite://")
    yield {"postgresql": database_for(settings).engine, "sqlite": sqlite}
    sqlite.dispose()


def in_sql(engine, day, period, fiscal):
    with engine.connect() as connection:
        value = connection.scalar(select(sql_period_start(literal(day, Date), period, fiscal)))
    return value if isinstance(value, date) else date.fromisoformat(value)


@settings(max_examples=150, deadline=None)
@given(day=DAYS, period=PERIODS, fiscal=FISCAL)
def test_sql_buckets_match_the_reference(engines, day, period, fiscal):
    expected = periods.period_start(day, period, fiscal)
    for name, engine in engines.items():
        assert in_sql(engine, day, period, fiscal) == expected, name


@given(day=DAYS, period=PERIODS, fiscal=FISCAL)
def test_a_day_lies_in_its_period(day, period, fiscal):
    start = periods.period_start(day, period, fiscal)
    end = periods.period_end(start, period)

    assert start <= day <= end
    assert periods.period_start(end, period, fiscal) == start
    assert periods.period_start(end + timedelta(days=1), period, fiscal) == end + timedelta(days=1)


def test_fiscal_quarters_follow_the_fiscal_year():
    # Fiscal year from April: January to March is the fourth quarter, starting in January.
    assert periods.period_start(date(2027, 2, 14), "quarter", 4) == date(2027, 1, 1)
    assert periods.period_start(date(2027, 4, 1), "quarter", 4) == date(2027, 4, 1)
    assert periods.period_start(date(2027, 12, 31), "quarter", 11) == date(2027, 11, 1)
    assert periods.period_start(date(2027, 3, 3), "week") == date(2027, 3, 1)  # a Monday
