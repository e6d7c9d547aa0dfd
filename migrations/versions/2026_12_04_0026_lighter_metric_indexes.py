"""Metric points: no index of the organisation alone, partial campaign and content item indexes

Every ingested point is written into each of the table's indexes. The organisation's
own index is never the best one: its column leads the day index and the unique index,
which serve every query by organisation (and the organisation's ON DELETE CASCADE).
Most points name no campaign and no content item, so those two indexes were mostly
NULLs; every query on them, and the foreign keys' checks when a campaign or a content
item is deleted, look for one non-null id (``= X`` or ``IN (…)``), which a partial
index ``WHERE … IS NOT NULL`` answers. Both dialects support partial indexes.

Revision ID: 0026_lighter_metric_indexes
Revises: 0025_covering_metric_index
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_lighter_metric_indexes"
down_revision: str | None = "0025_covering_metric_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = ("campaign_id", "content_item_id")


def _where(column: str) -> dict:
    clause = sa.text(f"{column} IS NOT NULL")
    return {"postgresql_where": clause, "sqlite_where": clause}


def upgrade() -> None:
    op.drop_index("ix_metric_points_organisation_id", table_name="metric_points")
    for column in PARTIAL:
        name = f"ix_metric_points_{column}"
        op.drop_index(name, table_name="metric_points")
        op.create_index(name, "metric_points", [column], unique=False, **_where(column))


def downgrade() -> None:
    for column in PARTIAL:
        name = f"ix_metric_points_{column}"
        op.drop_index(name, table_name="metric_points")
        op.create_index(name, "metric_points", [column], unique=False)
    op.create_index(
        "ix_metric_points_organisation_id", "metric_points", ["organisation_id"], unique=False
    )
