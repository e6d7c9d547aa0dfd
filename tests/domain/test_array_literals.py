"""Array literals, the bulk upserts' parameters on PostgreSQL, read back exactly."""

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from api.domain.base import array_literal


@pytest.mark.parametrize(
    ("values", "element"),
    [
        (
            ["plain", 'a "quote"', "back\\slash", "a,b", "{braces}", " spaced ", "", "NULL", None],
            "text",
        ),
        ([0.1, -0.0, 1e15, -123456.789, 5e-324, 2.0**53 + 2, None], "float8"),
        ([uuid.uuid4(), None, uuid.UUID(int=0)], "uuid"),
        ([date(2026, 12, 31), date(1, 1, 1), None], "date"),
        ([], "text"),
    ],
)
def test_postgresql_reads_an_array_literal_back_as_its_values(database, values, element):
    with database.session() as session:
        read = session.scalar(
            text(f"SELECT CAST(:values AS {element}[])"), {"values": array_literal(values)}
        )

    assert read == values
    assert [type(v) for v in read] == [type(v) for v in values]
