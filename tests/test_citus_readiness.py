"""bench/citus.py's reading of the live schema, checked against questions put to the
database another way (information_schema and pg_indexes rather than its own catalog query)."""

from __future__ import annotations

import re

import psycopg
import pytest

from bench.citus import (
    DISTRIBUTION_COLUMN,
    Catalog,
    Column,
    ForeignKey,
    Key,
    classify,
    read_catalog,
    report,
)
from tests.helpers import psycopg_url


@pytest.fixture(scope="module")
def connection(database_url):
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def readiness(connection):
    return classify(read_catalog(connection))


def rows(connection, sql: str, *params) -> list[tuple]:
    return connection.execute(sql, params).fetchall()


def tables_with_the_column(connection) -> set[str]:
    return {
        name
        for (name,) in rows(
            connection,
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = %s",
            DISTRIBUTION_COLUMN,
        )
    }


def unique_constraints(connection, table: str) -> list[tuple[str, ...]]:
    """The column lists of a table's unique constraints (primary key included)."""
    found = rows(
        connection,
        "SELECT tc.constraint_name, array_agg(k.column_name::text ORDER BY k.ordinal_position)"
        " FROM information_schema.table_constraints AS tc"
        " JOIN information_schema.key_column_usage AS k"
        "   ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema"
        " WHERE tc.table_schema = current_schema() AND tc.table_name = %s"
        "   AND tc.constraint_type IN ('UNIQUE', 'PRIMARY KEY')"
        " GROUP BY tc.constraint_name",
        table,
    )
    return [tuple(columns) for _, columns in found]


def test_every_table_is_placed_once(connection, readiness):
    tables = {
        name
        for (name,) in rows(
            connection,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            "   AND table_name <> 'alembic_version'",
        )
    }
    placed = [*readiness.distributed, *readiness.reference, *readiness.local]
    assert sorted(placed) == sorted(tables)


def test_the_tables_said_to_lack_organisation_id_have_no_such_column(connection, readiness):
    without = {*readiness.reference, *readiness.local}
    assert without, "every table has the column: the schema changed, or the reading is wrong"
    assert not without & tables_with_the_column(connection)
    assert {"users", "oauth_tokens"} <= without


def test_the_distributed_tables_are_those_with_the_column_and_the_tenants(connection, readiness):
    assert readiness.tenant_table == "organisations"
    assert set(readiness.distributed) == tables_with_the_column(connection) | {"organisations"}
    assert readiness.distributed["organisations"] == "id"
    assert readiness.distributed["campaigns"] == DISTRIBUTION_COLUMN


def test_users_are_a_reference_table_because_memberships_point_at_them(connection, readiness):
    [(count,)] = rows(
        connection,
        "SELECT count(*) FROM information_schema.referential_constraints AS r"
        " JOIN information_schema.table_constraints AS mine"
        "   ON mine.constraint_name = r.constraint_name"
        " JOIN information_schema.table_constraints AS theirs"
        "   ON theirs.constraint_name = r.unique_constraint_name"
        " WHERE mine.table_name = 'memberships' AND theirs.table_name = 'users'",
    )
    assert count >= 1
    assert "memberships" in readiness.reference["users"]


def test_a_unique_key_on_a_value_of_its_own_is_a_global_lookup(connection, readiness):
    assert ("prefix",) in unique_constraints(connection, "api_keys")
    listed = {(k.table, k.columns) for k in readiness.lookups}
    assert ("api_keys", ("prefix",)) in listed
    assert ("users", ("email",)) in listed
    assert ("organisations", ("slug",)) in listed


def test_a_composite_key_with_organisation_id_is_not_listed(connection, readiness):
    assert (DISTRIBUTION_COLUMN, "id") in unique_constraints(connection, "campaigns")
    campaigns = [k.columns for k in readiness.keys if k.table == "campaigns"]
    assert campaigns == [("id",)]  # the primary key alone
    assert "campaigns" in readiness.twin_keys  # and its twin can become the primary key


def test_unique_indexes_are_listed_exactly_when_they_lack_organisation_id(connection, readiness):
    with_column = tables_with_the_column(connection)
    lacking = set()
    for table, name, definition in rows(
        connection,
        "SELECT tablename, indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND indexdef LIKE 'CREATE UNIQUE INDEX%%'",
    ):
        columns = re.search(r"USING \w+ \((.*?)\)(?: WHERE .*)?$", definition).group(1)
        if table in with_column and DISTRIBUTION_COLUMN not in columns:
            lacking.add((table, name))
    assert lacking
    listed = {(k.table, k.name) for k in readiness.keys if k.table != "organisations"}
    assert listed == lacking


def test_todays_foreign_keys_between_tenant_tables_all_carry_organisation_id(readiness):
    # The composite keys of DESIGN.md: the database refuses cross-tenant references today,
    # and Citus would keep each reference on one shard.
    assert readiness.foreign_keys == []


def catalog(*columns: tuple[str, str], keys=(), foreign_keys=()) -> Catalog:
    return Catalog(
        columns=tuple(Column(table, name, True) for table, name in columns),
        keys=tuple(keys),
        foreign_keys=tuple(foreign_keys),
    )


def test_a_foreign_key_without_organisation_id_on_both_sides_is_refused():
    tenants = ForeignKey("orders", "o_org", ("organisation_id",), "orgs", ("id",))
    loose = ForeignKey("lines", "l_order", ("order_id",), "orders", ("id",))
    composite = ForeignKey(
        "lines", "l_order2", ("organisation_id", "order_id"), "orders", ("organisation_id", "id")
    )
    schema = catalog(
        ("orgs", "id"),
        ("orders", "id"),
        ("orders", "organisation_id"),
        ("lines", "organisation_id"),
        ("lines", "order_id"),
        foreign_keys=[tenants, loose, composite],
    )
    readiness = classify(schema)
    assert [fk for fk, _ in readiness.foreign_keys] == [loose]


def test_a_table_without_the_column_that_points_into_a_tenant_table_is_no_reference_table():
    schema = catalog(
        ("orgs", "id"),
        ("orders", "organisation_id"),
        ("orders", "id"),
        ("orders", "country_id"),
        ("countries", "id"),
        ("tokens", "order_id"),
        keys=[
            Key("countries", "countries_pkey", "primary key", ("id",)),
            Key("tokens", "tokens_hash", "unique", ("hash",)),
        ],
        foreign_keys=[
            ForeignKey("orders", "o_org", ("organisation_id",), "orgs", ("id",)),
            ForeignKey("orders", "o_country", ("country_id",), "countries", ("id",)),
            ForeignKey("tokens", "t_order", ("order_id",), "orders", ("id",)),
        ],
    )
    readiness = classify(schema)
    assert set(readiness.reference) == {"countries"}
    assert set(readiness.local) == {"tokens"}
    assert [fk.name for fk, _ in readiness.foreign_keys] == ["t_order"]
    assert [k.name for k in readiness.lookups] == ["tokens_hash"]
    assert any("tokens unique (hash)" in line for line in report(readiness))
