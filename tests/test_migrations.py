"""The migrations build exactly the schema the models describe, on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from api.config import Settings
from api.db import database_for
from api.domain.models import Base
from api.migrate import alembic_config, downgrade, upgrade

# Every table the models declare: what `upgrade head` must create.
TABLES = set(Base.metadata.tables)


def heads() -> tuple[str, ...]:
    return ScriptDirectory.from_config(alembic_config(Settings())).get_heads()


def schema_diff(url: str) -> list:
    """What autogenerate would still change to make the database match the models."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def tables_and_revision(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = connection.execute(text("SELECT version_num FROM alembic_version"))
                revision = revision.scalar()
            return tables - {"alembic_version"}, revision
    finally:
        engine.dispose()


@pytest.fixture
def fresh_postgres(pg_server):
    settings = Settings.build(database_url=pg_server(), environment="test")
    yield settings
    database_for(settings).dispose()  # the migrations' pooled connections


@pytest.fixture
def fresh_sqlite(tmp_path):
    settings = Settings.build(
        database_url=f"sqlite:///{tmp_path / 'clover.db'}", environment="test"
    )
    yield settings
    database_for(settings).dispose()


def test_the_migrations_have_a_single_head():
    assert len(heads()) == 1, f"branched migrations, merge them: {heads()}"
    assert {"organisations", "users", "memberships", "api_keys"} <= TABLES


def test_postgres_upgrade_from_empty_matches_the_models(fresh_postgres):
    assert tables_and_revision(fresh_postgres.database_url) == (set(), None)

    upgrade(fresh_postgres)

    assert tables_and_revision(fresh_postgres.database_url) == (TABLES, *heads())
    assert schema_diff(fresh_postgres.database_url) == []


def test_postgres_downgrade_to_base_then_upgrade_again_rebuilds_the_schema(fresh_postgres):
    upgrade(fresh_postgres)

    downgrade(fresh_postgres, "base")
    assert tables_and_revision(fresh_postgres.database_url) == (set(), None)

    upgrade(fresh_postgres)
    assert tables_and_revision(fresh_postgres.database_url) == (TABLES, *heads())
    assert schema_diff(fresh_postgres.database_url) == []


def test_sqlite_upgrade_from_empty_matches_the_models(fresh_sqlite):
    upgrade(fresh_sqlite)

    assert tables_and_revision(fresh_sqlite.database_url) == (TABLES, *heads())
    assert schema_diff(fresh_sqlite.database_url) == []
