"""Metric points: the unique index covers what the rollups and reports read

A metric key's points are spread over most of the table's pages (a daily sync
writes every key of a day together), so reading one key through the unique index
used to visit nearly the whole heap. With the value, the channel, the campaign and
the content item in the index (INCLUDE, PostgreSQL 11+), the rollups' grouped
queries are index-only scans. The constraint keeps its name, so ON CONFLICT still
finds it as its arbiter. SQLite has no INCLUDE: its unique index stays as it is.

Revision ID: 0025_covering_metric_index
Revises: 0024_rematch_jobs
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025_covering_metric_index"
down_revision: str | None = "0024_rematch_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The naming convention's name, as PostgreSQL stores it (truncated to 63 characters).
UNIQUE = "uq_metric_points_organisation_id_metric_key_day_source__a24d"
KEY = ["organisation_id", "metric_key", "day", "source", "dimensions"]
COVERED = ["value", "channel_id", "campaign_id", "content_item_id"]


def _rebuild(include: list[str]) -> None:
    # Built beside the old one, then swapped in under the constraint's name: the points
    # stay unique throughout, and the swap holds the table's lock only briefly.
    building = "metric_points_unique_rebuilt"
    op.create_index(building, "metric_points", KEY, unique=True, postgresql_include=include)
    op.drop_constraint(UNIQUE, "metric_points", type_="unique")
    op.execute(f"ALTER TABLE metric_points ADD CONSTRAINT {UNIQUE} UNIQUE USING INDEX {building}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(COVERED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild([])
