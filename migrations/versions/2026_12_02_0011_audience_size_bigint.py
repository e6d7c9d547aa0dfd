"""Audiences: size_estimate as a 64-bit integer, as the API documents it

Revision ID: 0011_audience_size_bigint
Revises: 0007_webhooks
Create Date: 2026-12-02 00:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_audience_size_bigint"
down_revision: str | None = "0010_metric_behaviour"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audiences") as batch:
        batch.alter_column(
            "size_estimate",
            existing_type=sa.Integer(),
            type_=sa.BigInteger(),
            existing_nullable=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("audiences") as batch:
        batch.alter_column(
            "size_estimate",
            existing_type=sa.BigInteger(),
            type_=sa.Integer(),
            existing_nullable=True,
        )
