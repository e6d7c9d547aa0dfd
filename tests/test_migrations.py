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


def _before(revision: str) -> str:
    return (
        ScriptDirectory.from_config(alembic_config(Settings())).get_revision(revision).down_revision
    )


@pytest.mark.parametrize("backend", ["fresh_postgres", "fresh_sqlite"])
def test_existing_keys_become_personal_when_a_person_made_them(backend, request):
    """0008: a key with a creator acts for them from now on; one without is the organisation's."""
    import uuid
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from api.domain.base import UTCDateTime

    settings = request.getfixturevalue(backend)
    upgrade(settings, _before("0008_api_key_kinds"))
    now, org, user = datetime.now(UTC), uuid.uuid4(), uuid.uuid4()
    stamps = {"created_at": now, "updated_at": now}

    def table(name, *columns):
        stamped = [sa.column("created_at", UTCDateTime()), sa.column("updated_at", UTCDateTime())]
        return sa.table(name, sa.column("id", sa.Uuid()), *columns, *stamped)

    organisations = table(
        "organisations",
        *(sa.column(c) for c in ("name", "slug", "timezone", "currency")),
        *(sa.column(c) for c in ("fiscal_year_start_month", "member_count", "version")),
    )
    users = table("users", sa.column("email"), sa.column("name"))
    keys = table(
        "api_keys",
        *(sa.column(c) for c in ("name", "prefix", "secret_hash", "role")),
        sa.column("scopes", sa.JSON()),
        sa.column("organisation_id", sa.Uuid()),
        sa.column("created_by_user_id", sa.Uuid()),
    )
    key = {"secret_hash": "x", "role": "admin", "scopes": [], "organisation_id": org, **stamps}
    url = settings.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            organisations.insert(),
            {
                "id": org,
                "name": "Old",
                "slug": "old",
                "timezone": "UTC",
                "currency": "EUR",
                "fiscal_year_start_month": 1,
                "member_count": 1,
                "version": 1,
                **stamps,
            },
        )
        connection.execute(
            users.insert(), {"id": user, "email": "old@example.test", "name": "Old", **stamps}
        )
        connection.execute(
            keys.insert(),
            [
                {
                    **key,
                    "id": uuid.uuid4(),
                    "name": "mine",
                    "prefix": "a",
                    "created_by_user_id": user,
                },
                {
                    **key,
                    "id": uuid.uuid4(),
                    "name": "server",
                    "prefix": "b",
                    "created_by_user_id": None,
                },
            ],
        )
    engine.dispose()

    upgrade(settings, "0008_api_key_kinds")

    engine = create_engine(url)
    with engine.connect() as connection:
        kinds = dict(connection.execute(text("SELECT name, kind FROM api_keys")).all())
    engine.dispose()
    assert kinds == {"mine": "personal", "server": "organisation"}


def _unique_index_of_metric_points(url: str) -> tuple[str, str]:
    """(constraint kind, index definition) of the metric points' unique constraint."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT c.contype, pg_get_indexdef(c.conindid) FROM pg_constraint c"
                    " WHERE c.conrelid = 'metric_points'::regclass AND c.contype = 'u'"
                )
            ).one()
    finally:
        engine.dispose()


def test_postgres_metric_points_unique_constraint_covers_what_the_rollups_read(fresh_postgres):
    """0025: INCLUDE (value, channel, campaign, content item), still the ON CONFLICT arbiter."""
    from api.domain.metrics.models import MetricPoint

    (constraint,) = [
        c for c in MetricPoint.__table__.constraints if c.name and c.name.startswith("uq_")
    ]
    covered = ", ".join(constraint.dialect_options["postgresql"]["include"])
    upgrade(fresh_postgres)

    kind, definition = _unique_index_of_metric_points(fresh_postgres.database_url)
    assert kind == "u"
    assert definition.endswith(
        f"(organisation_id, metric_key, day, source, dimensions) INCLUDE ({covered})"
    )

    downgrade(fresh_postgres, _before("0025_covering_metric_index"))
    kind, definition = _unique_index_of_metric_points(fresh_postgres.database_url)
    assert kind == "u" and "INCLUDE" not in definition


def _secondary_indexes_of_metric_points(url: str) -> dict[str, str]:
    """Index name → definition, for the metric points' indexes other than the unique one."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                rows = connection.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes"
                        " WHERE tablename = 'metric_points' AND indexname LIKE 'ix_%'"
                    )
                )
            else:
                rows = connection.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                        " AND tbl_name = 'metric_points' AND name LIKE 'ix_%'"
                    )
                )
            return dict(rows.all())
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["fresh_postgres", "fresh_sqlite"])
def test_metric_points_campaign_and_content_item_indexes_are_partial(backend, request):
    """0026: no index of the organisation alone; campaign and content item indexes skip NULLs."""
    settings = request.getfixturevalue(backend)
    upgrade(settings)

    indexes = _secondary_indexes_of_metric_points(settings.database_url)
    assert set(indexes) == {
        "ix_metric_points_campaign_id",
        "ix_metric_points_channel_id",
        "ix_metric_points_content_item_id",
        "ix_metric_points_day",
        "ix_metric_points_updated",
    }
    for column in ("campaign_id", "content_item_id"):
        where = indexes[f"ix_metric_points_{column}"].replace("(", "").replace(")", "")
        assert where.endswith(f"WHERE {column} IS NOT NULL")
    assert "WHERE" not in indexes["ix_metric_points_channel_id"]

    downgrade(settings, _before("0026_lighter_metric_indexes"))
    indexes = _secondary_indexes_of_metric_points(settings.database_url)
    assert "ix_metric_points_organisation_id" in indexes
    assert not any("WHERE" in definition for definition in indexes.values())


@pytest.mark.parametrize("backend", ["fresh_postgres", "fresh_sqlite"])
def test_jobs_from_before_the_request_id_keep_working_without_one(backend, request):
    """0027: a job row already there has no request id (NULL) and survives the way back."""
    import uuid
    from datetime import UTC, datetime

    settings = request.getfixturevalue(backend)
    upgrade(settings, _before("0027_job_request_id"))
    now, org, job = datetime.now(UTC).replace(tzinfo=None), uuid.uuid4().hex, uuid.uuid4().hex
    # 32 hex digits: how SQLite stores a UUID, and a form PostgreSQL's uuid accepts.
    url = settings.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organisations (id, name, slug, timezone, currency,"
                " fiscal_year_start_month, member_count, version, created_at, updated_at)"
                " VALUES (:id, 'Old', 'old', 'UTC', 'EUR', 1, 1, 1, :now, :now)"
            ),
            {"id": org, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO jobs (id, organisation_id, kind, status, progress, params, counts,"
                " created_at, attempts) VALUES (:id, :org, 'rollup', 'queued', 0, '{}', '{}',"
                " :now, 0)"
            ),
            {"id": job, "org": org, "now": now},
        )
    engine.dispose()

    upgrade(settings, "0027_job_request_id")
    engine = create_engine(url)
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT kind, request_id FROM jobs")).one()
    engine.dispose()
    assert tuple(kept) == ("rollup", None)

    downgrade(settings, _before("0027_job_request_id"))
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM jobs")).scalar() == 1
    engine.dispose()
